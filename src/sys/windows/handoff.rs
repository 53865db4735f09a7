//! Anonymous pipes handed to a child process, and the child's side of the handoff.
//!
//! Parent: [`pipe`] makes a pipe whose two ends are both non-inheritable. The
//! child's end becomes inheritable only while the child is spawned ([`with_inheritable`],
//! under [`spawn_lock`]), and [`spawn_inheriting`] closes the parent's copy of it right after
//! the spawn, whether it worked or not. Two of our own spawns therefore never leak each other's
//! ends; a `CreateProcess` with `bInheritHandles` made at that moment by code that does not take
//! the lock can inherit it too.
//!
//! The handle travels as its value in decimal ([`handle_string`]), which is what .NET's
//! `AnonymousPipeServerStream.GetClientHandleAsString()` produces.
//!
//! Child: [`parse_handle_str`] takes what .NET's `AnonymousPipeClientStream(direction, string)`
//! takes (a decimal integer, optional surrounding whitespace and sign); [`adopt_handle`] checks
//! that the handle
//! is open (`GetHandleInformation`), is a pipe (`GetFileType`) and, where the system says
//! (`NtQueryObject` granted access), is the end asked for; clears its inherit flag so the
//! child's own children do not get it, and adopts it at most once per process.

use std::collections::HashSet;
use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle, RawHandle};
use std::process::{Child, Command};
use std::ptr;
use std::sync::{Mutex, MutexGuard};

use windows_sys::Wdk::Foundation::{NtQueryObject, ObjectBasicInformation};
use windows_sys::Win32::Foundation::{
    FALSE, GetHandleInformation, HANDLE, HANDLE_FLAG_INHERIT, SetHandleInformation,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::Storage::FileSystem::{
    FILE_READ_DATA, FILE_TYPE_PIPE, FILE_WRITE_DATA, GetFileType,
};
use windows_sys::Win32::System::Pipes::CreatePipe;
use windows_sys::Win32::System::WindowsProgramming::PUBLIC_OBJECT_BASIC_INFORMATION;

use super::{last_error, owned, raw};
use crate::error::{PipeEnd, WrongEnd};

static SPAWN_LOCK: Mutex<()> = Mutex::new(());

/// Handle values adopted so far by [`adopt_handle`].
static ADOPTED: Mutex<Option<HashSet<isize>>> = Mutex::new(None);

/// The lock our spawns hold while a child's end is inheritable.
pub(crate) fn spawn_lock() -> MutexGuard<'static, ()> {
    SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// An anonymous pipe, `(read end, write end)`, both non-inheritable. `size` is the suggested
/// buffer size (0: the system's default).
pub(crate) fn pipe(size: u32) -> io::Result<(OwnedHandle, OwnedHandle)> {
    let (mut r, mut w): (HANDLE, HANDLE) = (ptr::null_mut(), ptr::null_mut());
    let sa = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: ptr::null_mut(),
        bInheritHandle: FALSE,
    };
    // SAFETY: `r` and `w` are valid out pointers; `sa` is alive for the call.
    if unsafe { CreatePipe(&mut r, &mut w, &sa, size) } == 0 {
        return Err(last_error("CreatePipe"));
    }
    // SAFETY: CreatePipe succeeded: both are new handles that only we hold.
    let (r, w) = unsafe { (owned(r), owned(w)) };
    let (r, w) = r.zip(w).ok_or_else(|| last_error("CreatePipe"))?;
    Ok((r, w))
}

fn set_inherit(h: &OwnedHandle, on: bool) -> io::Result<()> {
    let flags = if on { HANDLE_FLAG_INHERIT } else { 0 };
    // SAFETY: `h` is an open handle; only its inherit flag changes.
    if unsafe { SetHandleInformation(raw(h), HANDLE_FLAG_INHERIT, flags) } == 0 {
        return Err(last_error("SetHandleInformation(HANDLE_FLAG_INHERIT)"));
    }
    Ok(())
}

/// Runs `spawn` with `handles` inheritable, under [`spawn_lock`], and makes them
/// non-inheritable again afterwards.
pub(crate) fn with_inheritable<T>(
    handles: &[&OwnedHandle],
    spawn: impl FnOnce() -> T,
) -> io::Result<T> {
    let _guard = spawn_lock();
    let mut done = Vec::with_capacity(handles.len());
    let mut result = Ok(());
    for h in handles {
        match set_inherit(h, true) {
            Ok(()) => done.push(*h),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let out = result.map(|()| spawn());
    for h in done {
        // Best effort: a failure here leaves the flag on a handle the caller closes anyway.
        let _ = set_inherit(h, false);
    }
    out
}

/// Spawns `cmd` with `handles` inherited under their current values, then closes the
/// parent's copies (always, also when the spawn fails).
pub(crate) fn spawn_inheriting(cmd: &mut Command, handles: Vec<OwnedHandle>) -> io::Result<Child> {
    let refs: Vec<&OwnedHandle> = handles.iter().collect();
    let child = with_inheritable(&refs, || cmd.spawn());
    drop(refs);
    drop(handles);
    child?
}

/// The handle's value in decimal, as .NET's `GetClientHandleAsString()` writes it.
pub(crate) fn handle_string(h: &OwnedHandle) -> String {
    (raw(h) as isize).to_string()
}

/// Parses a handle string the way .NET's `AnonymousPipeClientStream(direction, string)` does
/// (`long.TryParse`: decimal, optional whitespace around it, optional sign).
pub(crate) fn parse_handle_str(s: &str) -> io::Result<isize> {
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "invalid pipe handle {s:?}: expected a decimal number, as .NET's GetClientHandleAsString() writes it"
            ),
        )
    };
    let t = s.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty()
        || !digits
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let v: i64 = digits.parse().map_err(|_| bad())?;
    isize::try_from(v).map_err(|_| bad())
}

/// Which end a handle is, from its granted access, if the system says.
fn end_of(h: HANDLE) -> Option<(bool, bool)> {
    let mut info = PUBLIC_OBJECT_BASIC_INFORMATION::default();
    let mut len = 0u32;
    // SAFETY: `info` is a writable PUBLIC_OBJECT_BASIC_INFORMATION of the size passed; `h`
    // was checked open by the caller; NtQueryObject only writes into `info` and `len`.
    let status = unsafe {
        NtQueryObject(
            h,
            ObjectBasicInformation,
            (&mut info as *mut PUBLIC_OBJECT_BASIC_INFORMATION).cast(),
            size_of::<PUBLIC_OBJECT_BASIC_INFORMATION>() as u32,
            &mut len,
        )
    };
    (status >= 0).then_some((
        info.GrantedAccess & FILE_READ_DATA != 0,
        info.GrantedAccess & FILE_WRITE_DATA != 0,
    ))
}

/// Adopts an inherited pipe handle given as a string (see the module docs); `expect_read`
/// says which end the caller wants.
#[cfg(test)]
pub(crate) fn adopt_handle_str(s: &str, expect_read: bool) -> io::Result<OwnedHandle> {
    adopt_handle(parse_handle_str(s)?, expect_read)
}

/// Adopts the inherited pipe handle whose value is `v` (see the module docs). `expect_read`
/// says which end the caller wants. The errors name the handle and say what is wrong, with the
/// kinds the Unix adoption uses: not open ([`io::ErrorKind::NotFound`]), not a pipe or the
/// other end ([`io::ErrorKind::InvalidInput`]), adopted before ([`io::ErrorKind::AlreadyExists`]).
pub(crate) fn adopt_handle(v: isize, expect_read: bool) -> io::Result<OwnedHandle> {
    let err =
        |kind: io::ErrorKind, why: String| io::Error::new(kind, format!("pipe handle {v} {why}"));
    let invalid = |why: String| err(io::ErrorKind::InvalidInput, why);
    // Held across the checks: while one of our spawns runs, a child's end is inheritable in
    // this process, and must not pass for an inherited handle.
    let _spawning = spawn_lock();
    let mut adopted = ADOPTED.lock().unwrap_or_else(|e| e.into_inner());
    let adopted = adopted.get_or_insert_with(HashSet::new);
    let h = v as HANDLE;
    if v == 0 || v == -1 {
        return Err(invalid("is not a handle".into()));
    }
    let mut flags = 0u32;
    // SAFETY: GetHandleInformation only reads the process's handle table; an unknown value
    // fails with ERROR_INVALID_HANDLE, which is what we test for.
    if unsafe { GetHandleInformation(h, &mut flags) } == 0 {
        let e = io::Error::last_os_error();
        return Err(err(
            io::ErrorKind::NotFound,
            format!("is not an open handle ({e})"),
        ));
    }
    // SAFETY: `h` is an open handle (checked above); GetFileType only queries it.
    let ty = unsafe { GetFileType(h) };
    if ty != FILE_TYPE_PIPE {
        return Err(invalid(format!("is not a pipe (file type {ty})")));
    }
    if let Some((readable, writable)) = end_of(h) {
        let (ok, is) = if expect_read {
            (readable, PipeEnd::Write)
        } else {
            (writable, PipeEnd::Read)
        };
        if !ok {
            return Err(WrongEnd {
                handle: v as i64,
                is,
            }
            .into());
        }
    }
    // After the kind checks, so that a value reused for another object after the adopted
    // handle was closed reports what that object is when it is not a pipe.
    if adopted.contains(&v) {
        return Err(err(
            io::ErrorKind::AlreadyExists,
            "was adopted already (the value may now name another pipe)".into(),
        ));
    }
    // Inherited handles keep their inherit flag in the child; every handle this process makes
    // through std (and pipeframe's own pipe ends outside a spawn) is not inheritable. So a
    // handle without the flag belongs to code in this process, and adopting it would give it
    // a second owner.
    if flags & HANDLE_FLAG_INHERIT == 0 {
        return Err(invalid(
            "is not inheritable, so it was not inherited from a parent: this process made it \
             and it stays with the code that owns it"
                .into(),
        ));
    }
    adopted.insert(v);
    // SAFETY: `h` is an open pipe handle in this process's table (checked above). It is
    // inheritable while no spawn of ours runs (the spawn lock is held), and nothing in this
    // process makes inheritable handles but our spawns, so it came from the parent and no
    // owner of it exists here; this process adopts each value at most once (the ADOPTED set,
    // held locked across the checks and the adoption), so nothing else will close it.
    let owned = unsafe { OwnedHandle::from_raw_handle(h as RawHandle) };
    let _ = set_inherit(&owned, false);
    Ok(owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    const CHILD_ENV: &str = "PIPEFRAME_WIN_TEST_CHILD";

    #[test]
    fn handle_strings_parse_like_dotnet() {
        assert_eq!(parse_handle_str("1234").unwrap(), 1234);
        assert_eq!(parse_handle_str(" 1234 ").unwrap(), 1234);
        assert_eq!(parse_handle_str("+12").unwrap(), 12);
        assert_eq!(parse_handle_str("-3").unwrap(), -3);
        for bad in ["", " ", "0x10", "12a", "1 2", "--1", "99999999999999999999"] {
            let e = parse_handle_str(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn bad_handles_are_clear_errors() {
        // Not open.
        let e = adopt_handle_str("123456", true).unwrap_err();
        assert!(e.to_string().contains("not an open handle"), "{e}");
        // Open, but a file.
        let f = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let s = {
            use std::os::windows::io::AsRawHandle;
            (f.as_raw_handle() as isize).to_string()
        };
        let e = adopt_handle_str(&s, true).unwrap_err();
        assert!(e.to_string().contains("not a pipe"), "{e}");
        let e = adopt_handle_str("0", true).unwrap_err();
        assert!(e.to_string().contains("not a handle"), "{e}");
    }

    #[test]
    fn adopting_checks_the_end_and_happens_once() {
        let (child, parent) = pipe(0).unwrap();
        let s = handle_string(&child);
        // Not inheritable: this process's own handle, refused.
        let e = adopt_handle_str(&s, true).unwrap_err();
        assert!(e.to_string().contains("is not inheritable"), "{e}");
        // Hand the value over as if inherited: inheritable, and our OwnedHandle given up
        // without closing it.
        set_inherit(&child, true).unwrap();
        std::mem::forget(child);
        let wrong = adopt_handle_str(&s, false);
        let h = adopt_handle_str(&s, true).unwrap();
        let e = adopt_handle_str(&s, true).unwrap_err();
        assert!(e.to_string().contains("was adopted already"), "{e}");
        let mut w = std::fs::File::from(parent);
        w.write_all(b"hi").unwrap();
        drop(w);
        let mut got = Vec::new();
        std::fs::File::from(h).read_to_end(&mut got).unwrap();
        assert_eq!(got, b"hi");
        // NtQueryObject tells the ends apart on Windows and on Wine alike.
        let e = wrong.unwrap_err();
        assert!(
            e.to_string()
                .contains("is the read end of a pipe; expected a write end"),
            "{e}"
        );
    }

    /// The child side of the two tests below; does nothing unless started by them.
    #[test]
    fn child_side() {
        let Ok(spec) = std::env::var(CHILD_ENV) else {
            return;
        };
        let (dir, s) = spec.split_once(':').unwrap();
        if dir == "read" {
            let h = adopt_handle_str(s, true).unwrap();
            let mut got = Vec::new();
            std::fs::File::from(h).read_to_end(&mut got).unwrap();
            // Echo what arrived, then its length, on stdout for the parent to check.
            println!("CHILD-GOT {} {}", got.len(), String::from_utf8_lossy(&got));
        } else {
            let h = adopt_handle_str(s, false).unwrap();
            let mut f = std::fs::File::from(h);
            f.write_all(b"from the child").unwrap();
        }
    }

    fn child_cmd(spec: String) -> Command {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "sys::windows::handoff::tests::child_side",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, spec)
        .stdout(std::process::Stdio::piped());
        cmd
    }

    #[test]
    fn child_reads_what_the_parent_writes_until_end_of_stream() {
        let (child, parent) = pipe(0).unwrap();
        let mut cmd = child_cmd(format!("read:{}", handle_string(&child)));
        let proc = spawn_inheriting(&mut cmd, vec![child]).unwrap();
        let mut w = std::fs::File::from(parent);
        w.write_all(b"to the child").unwrap();
        drop(w); // end of stream for the child: its copy is the only write end left
        let out = proc.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.contains("CHILD-GOT 12 to the child"), "{stdout}");
    }

    #[test]
    fn parent_reads_what_the_child_writes_until_end_of_stream() {
        let (parent, child) = pipe(0).unwrap();
        let mut cmd = child_cmd(format!("write:{}", handle_string(&child)));
        let mut proc = spawn_inheriting(&mut cmd, vec![child]).unwrap();
        let mut got = Vec::new();
        // Ends when the child exits: the parent's copy of the write end was closed at spawn.
        std::fs::File::from(parent).read_to_end(&mut got).unwrap();
        assert_eq!(got, b"from the child");
        assert!(proc.wait().unwrap().success());
    }

    #[test]
    fn ends_are_not_inheritable_outside_a_spawn() {
        let (child, parent) = pipe(0).unwrap();
        let flags = |h: &OwnedHandle| {
            let mut f = 0u32;
            // SAFETY: `h` is open; `f` a valid out pointer.
            assert_ne!(unsafe { GetHandleInformation(raw(h), &mut f) }, 0);
            f & HANDLE_FLAG_INHERIT
        };
        assert_eq!(flags(&parent), 0);
        assert_eq!(flags(&child), 0);
        let inside = with_inheritable(&[&child], || flags(&child)).unwrap();
        assert_eq!(inside, HANDLE_FLAG_INHERIT);
        assert_eq!(flags(&child), 0);
    }
}
