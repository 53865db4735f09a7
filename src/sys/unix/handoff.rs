//! Anonymous pipes handed to a child process, and the child's side of the handoff.
//!
//! Parent: the child's end is created close-on-exec like every descriptor std and rustix make.
//! Right before `spawn` its `FD_CLOEXEC` flag is cleared so the child inherits it under the same
//! number; right after, the parent's copy is closed (whether the spawn worked or not). Both
//! happen under one process-wide lock, so two of our own spawns never leak each other's ends.
//! A `fork`/`posix_spawn` made at that moment by code that does not take the lock can inherit
//! the end too (see `crate::pipe::spawn_lock`).
//!
//! Child: safe Rust cannot adopt a raw descriptor number (`OwnedFd::from_raw_fd` is unsafe, and
//! rightly: nothing proves the number is unowned). On Linux, opening `/proc/self/fd/N` opens the
//! *pipe* again (a new open file description on the same pipe), safely. Elsewhere `/dev/fd/N`
//! is used, which duplicates the descriptor.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::{Errno, FdFlags};

use super::{FileId, err, type_name};

static SPAWN_LOCK: Mutex<()> = Mutex::new(());

/// The lock our spawns hold while a child's end is inheritable.
pub(crate) fn spawn_lock() -> MutexGuard<'static, ()> {
    SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The number the child will see for `fd`.
pub(crate) fn fd_number(fd: &OwnedFd) -> i32 {
    fd.as_raw_fd()
}

/// Spawns `cmd` with `fds` inherited under their current numbers, then closes the parent's
/// copies (always, also when the spawn fails).
pub(crate) fn spawn_inheriting(cmd: &mut Command, fds: Vec<OwnedFd>) -> io::Result<Child> {
    let _guard = spawn_lock();
    for fd in &fds {
        rustix::io::fcntl_setfd(fd, FdFlags::empty())?;
    }
    let child = cmd.spawn();
    drop(fds);
    child
}

/// Which end the child wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Read,
    Write,
}

impl End {
    fn name(self) -> &'static str {
        match self {
            End::Read => "read end",
            End::Write => "write end",
        }
    }

    fn other(self) -> End {
        match self {
            End::Read => End::Write,
            End::Write => End::Read,
        }
    }
}

/// Opens the pipe end inherited as descriptor `n`, checking that it is an open pipe (or FIFO)
/// end of the wanted direction. The result is in blocking mode and close-on-exec.
pub(crate) fn open_inherited(n: i32, want: End) -> io::Result<OwnedFd> {
    if n < 0 {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!("pipe handle {n} is negative"),
        ));
    }
    let link = link_path(n);
    let st = rustix::fs::stat(&link).map_err(|e| match e {
        Errno::NOENT | Errno::BADF => err(
            io::ErrorKind::NotFound,
            format!(
                "pipe handle {n} is not an open descriptor in this process \
                 (not inherited, or already closed)"
            ),
        ),
        e => super::os_err(e, format_args!("pipe handle {n}: cannot inspect {link}")),
    })?;
    let ty = FileType::from_raw_mode(st.st_mode as _);
    if ty != FileType::Fifo {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!(
                "pipe handle {n} is {}, not a pipe",
                type_name(st.st_mode as u32)
            ),
        ));
    }
    if let Some(have) = access_mode(n)?
        && have != want
    {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!(
                "pipe handle {n} is the {} of a pipe; expected a {}",
                have.name(),
                want.name()
            ),
        ));
    }
    // O_NONBLOCK: a FIFO passed as a handle follows FIFO open rules, and a blocking open would
    // wait for a partner that may be gone (an anonymous pipe never waits). A write end whose
    // readers are all gone is reported below, with `poll`.
    let access = match want {
        End::Read => OFlags::RDONLY,
        End::Write => OFlags::WRONLY,
    };
    let fd = rustix::fs::open(
        &link,
        access | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::NXIO => closed(n, want),
        e => super::os_err(e, format_args!("pipe handle {n}: cannot open {link}")),
    })?;
    let now = rustix::fs::fstat(&fd)?;
    if FileId::of_stat(&now) != FileId::of_stat(&st) {
        return Err(err(
            io::ErrorKind::Other,
            format!("pipe handle {n} changed while it was being opened"),
        ));
    }
    if want == End::Write && no_readers(&fd) {
        return Err(closed(n, want));
    }
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK)?;
    Ok(fd)
}

fn closed(n: i32, want: End) -> io::Error {
    err(
        io::ErrorKind::BrokenPipe,
        format!(
            "pipe handle {n}: the {} of the pipe is closed (the other process is gone)",
            want.other().name()
        ),
    )
}

/// Whether a pipe write end has no reader left: `poll` reports `POLLERR` then.
fn no_readers(fd: &OwnedFd) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(fd, PollFlags::OUT)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(rustix::event::poll(&mut fds, Some(&zero)), Ok(1..))
        && fds[0].revents().contains(PollFlags::ERR)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn link_path(n: i32) -> String {
    format!("/proc/self/fd/{n}")
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn link_path(n: i32) -> String {
    format!("/dev/fd/{n}")
}

/// The access mode of descriptor `n` (from `/proc/self/fdinfo`), `None` if it can be used
/// both ways (`O_RDWR`) or the OS does not say.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn access_mode(n: i32) -> io::Result<Option<End>> {
    let info = match std::fs::read_to_string(format!("/proc/self/fdinfo/{n}")) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(err(
                io::ErrorKind::NotFound,
                format!("pipe handle {n} is not an open descriptor in this process"),
            ));
        }
        Err(e) => return Err(e),
    };
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok());
    Ok(match flags.map(|f| f & 0o3) {
        Some(0) => Some(End::Read),
        Some(1) => Some(End::Write),
        _ => None,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn access_mode(_n: i32) -> io::Result<Option<End>> {
    // /dev/fd/N refuses an access mode the descriptor does not have.
    Ok(None)
}

/// Parses a handle string: the decimal descriptor number .NET's `GetClientHandleAsString`
/// produces on Unix.
pub(crate) fn parse_handle(s: &str) -> io::Result<i32> {
    let t = s.trim();
    if !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = t.parse::<i32>()
    {
        return Ok(n);
    }
    Err(err(
        io::ErrorKind::InvalidInput,
        format!("invalid pipe handle {s:?}: expected a decimal descriptor number"),
    ))
}

/// Duplicates inherited socket descriptor `n` (Linux 5.6+): `pidfd_getfd` on our own pidfd
/// gives a new descriptor for the same socket, safely. The original number stays open until
/// exit or exec, which does not matter for a socket: `shutdown` acts on the socket itself.
#[cfg(target_os = "linux")]
pub(crate) fn dup_inherited_socket(n: i32) -> io::Result<OwnedFd> {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    if n < 0 {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!("socket handle {n} is negative"),
        ));
    }
    let pidfd = pidfd_open(getpid(), PidfdFlags::empty())
        .map_err(|e| super::os_err(e, format_args!("socket handle {n}: pidfd_open")))?;
    let fd = pidfd_getfd(&pidfd, n, PidfdGetfdFlags::empty()).map_err(|e| match e {
        Errno::BADF => err(
            io::ErrorKind::NotFound,
            format!(
                "socket handle {n} is not an open descriptor in this process \
                 (not inherited, or already closed)"
            ),
        ),
        Errno::NOSYS => err(
            io::ErrorKind::Unsupported,
            format!("socket handle {n}: this kernel has no pidfd_getfd (Linux 5.6+)"),
        ),
        e => super::os_err(e, format_args!("socket handle {n}: pidfd_getfd")),
    })?;
    let st = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode as _) != FileType::Socket {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!(
                "socket handle {n} is {}, not a socket",
                type_name(st.st_mode as u32)
            ),
        ));
    }
    rustix::io::fcntl_setfd(&fd, FdFlags::CLOEXEC)?;
    Ok(fd)
}

/// Without `pidfd_getfd`, a socket descriptor cannot be adopted by number in safe code.
#[cfg(not(target_os = "linux"))]
pub(crate) fn dup_inherited_socket(n: i32) -> io::Result<OwnedFd> {
    Err(err(
        io::ErrorKind::Unsupported,
        format!("socket handle {n}: adopting an inherited socket needs Linux's pidfd_getfd"),
    ))
}
