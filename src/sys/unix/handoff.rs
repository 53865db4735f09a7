//! Anonymous pipes handed to a child process, and the child's side of the handoff.
//!
//! Parent: the child's end is created close-on-exec like every descriptor std and rustix make.
//! Right before `spawn` its `FD_CLOEXEC` flag is cleared so the child inherits it under the same
//! number; right after, the parent's copy is closed (whether the spawn worked or not). Both
//! happen under one process-wide lock, so two of our own spawns never leak each other's ends.
//! A `fork`/`posix_spawn` made at that moment by code that does not take the lock can inherit
//! the end too (see `crate::pipe::spawn_lock`).
//!
//! Child: the inherited descriptor is *adopted* by number as an `OwnedFd` ([`adopt_inherited`]),
//! after checking that it is open, of the expected kind, inherited (not close-on-exec), and not
//! adopted before. The child then holds the one and only descriptor for its end, so dropping it
//! closes the end: the parent sees end of stream at once, although the child goes on running.

use std::collections::BTreeSet;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};

use rustix::fs::{FileType, OFlags};
use rustix::io::{Errno, FdFlags};

use super::{err, os_err, type_name};
use crate::error::{PipeEnd, WrongEnd};

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

/// What an inherited descriptor must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// One end of a pipe (or FIFO).
    Pipe(End),
    /// A socket.
    Socket,
}

impl Expect {
    fn what(self) -> &'static str {
        match self {
            Expect::Pipe(_) => "pipe",
            Expect::Socket => "socket",
        }
    }
}

/// Every descriptor number this process has adopted, for its whole life: a number is adopted
/// at most once, because after the first adoption's `OwnedFd` is closed the number may be
/// reused for a file someone else owns.
static ADOPTED: Mutex<BTreeSet<RawFd>> = Mutex::new(BTreeSet::new());

/// Takes ownership of descriptor `n`, inherited from the parent process, as an `OwnedFd`:
/// the handle a parent passed (as .NET's `GetClientHandleAsString()` does) names it.
///
/// Refused, with an error naming `n`, unless the number is:
///
/// 1. open (`fcntl(F_GETFD)`; otherwise [`io::ErrorKind::NotFound`]);
/// 2. of the expected kind (`fstat`: a FIFO for a pipe, a socket for a socket) and, for a pipe,
///    opened in the expected direction (`F_GETFL`) ([`io::ErrorKind::InvalidInput`]); a write
///    end whose readers are all gone is [`io::ErrorKind::BrokenPipe`];
/// 3. not adopted before in this process ([`io::ErrorKind::AlreadyExists`]);
/// 4. inherited: not close-on-exec. Every descriptor this process opens through std, rustix,
///    tokio or async-io is close-on-exec, and one that came in through `exec` cannot be (exec
///    would have closed it), so a close-on-exec number belongs to this process's own code
///    ([`io::ErrorKind::InvalidInput`]).
///
/// The result is blocking and close-on-exec (our own children do not inherit it).
pub(crate) fn adopt_inherited(n: RawFd, want: Expect) -> io::Result<OwnedFd> {
    let what = want.what();
    if n < 0 {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!("{what} handle {n} is negative"),
        ));
    }
    let mut adopted = ADOPTED.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: `borrow_raw` asks that `n` stay open while the borrow lives, so that nothing is
    // done to a file the number stops naming. The borrow is used only by `check_inherited`
    // and the checks after it, which make read-only queries through it (F_GETFD, F_GETFL, fstat, a zero-timeout poll)
    // and never reads, writes or closes; if `n` is not open, or is closed meanwhile by its
    // owner, those calls fail with EBADF or describe the new file, and the checks refuse it.
    // No ownership is assumed here.
    let borrowed = unsafe { BorrowedFd::borrow_raw(n) };
    let fd_flags = check_inherited(borrowed, n, want)?;
    if adopted.contains(&n) {
        return Err(err(
            io::ErrorKind::AlreadyExists,
            format!(
                "{what} handle {n} was adopted already: an inherited descriptor is taken over \
                 once per process (open the handle once and share what it gave)"
            ),
        ));
    }
    if fd_flags.contains(FdFlags::CLOEXEC) {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!(
                "{what} handle {n} is close-on-exec, so it was not inherited from a parent: \
                 this process opened it and it stays with the code that owns it"
            ),
        ));
    }
    adopted.insert(n);
    // SAFETY: `OwnedFd::from_raw_fd` needs `n` to be open and owned by nobody else, since the
    // `OwnedFd` will close it. Open: `check_inherited` has just seen it open (F_GETFD), and
    // the only code that would close it is its owner. Owned by nobody else in this process: it
    // is not close-on-exec, so no std, rustix, tokio or async-io object of this process opened
    // it (they all open close-on-exec); it came in through `exec` from the parent, which handed
    // its number to us (the handle string) for us to own, as .NET's
    // `AnonymousPipeClientStream(handle)` owns it; and `ADOPTED`, checked and updated under
    // the lock held here, shows no earlier adoption made an `OwnedFd` for it.
    let fd = unsafe { OwnedFd::from_raw_fd(n) };
    drop(adopted);
    rustix::io::fcntl_setfd(&fd, FdFlags::CLOEXEC)
        .map_err(|e| os_err(e, format_args!("{what} handle {n}: fcntl(F_SETFD)")))?;
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    if flags.contains(OFlags::NONBLOCK) {
        rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK)
            .map_err(|e| os_err(e, format_args!("{what} handle {n}: fcntl(F_SETFL)")))?;
    }
    Ok(fd)
}

/// Checks that `fd` (number `n`) is open and what `want` says it must be; returns its
/// descriptor flags.
fn check_inherited(fd: BorrowedFd<'_>, n: RawFd, want: Expect) -> io::Result<FdFlags> {
    let what = want.what();
    let fd_flags = rustix::io::fcntl_getfd(fd).map_err(|e| match e {
        Errno::BADF => err(
            io::ErrorKind::NotFound,
            format!(
                "{what} handle {n} is not an open descriptor in this process \
                 (not inherited, or already closed)"
            ),
        ),
        e => os_err(e, format_args!("{what} handle {n}: fcntl(F_GETFD)")),
    })?;
    let st = rustix::fs::fstat(fd).map_err(|e| os_err(e, format_args!("{what} handle {n}")))?;
    let ty = FileType::from_raw_mode(st.st_mode as _);
    let end = match want {
        Expect::Socket if ty == FileType::Socket => return Ok(fd_flags),
        Expect::Pipe(end) if ty == FileType::Fifo => end,
        _ => {
            return Err(err(
                io::ErrorKind::InvalidInput,
                format!(
                    "{what} handle {n} is {}, not a {what}",
                    type_name(st.st_mode as u32)
                ),
            ));
        }
    };
    let access = rustix::fs::fcntl_getfl(fd)? & OFlags::ACCMODE;
    let have = if access == OFlags::RDONLY {
        Some(End::Read)
    } else if access == OFlags::WRONLY {
        Some(End::Write)
    } else {
        None // O_RDWR (a FIFO can be opened so): either way works
    };
    if let Some(have) = have
        && have != end
    {
        return Err(WrongEnd {
            handle: n.into(),
            is: match have {
                End::Read => PipeEnd::Read,
                End::Write => PipeEnd::Write,
            },
        }
        .into());
    }
    if end == End::Write && no_readers(fd) {
        return Err(err(
            io::ErrorKind::BrokenPipe,
            format!(
                "pipe handle {n}: the {} of the pipe is closed (the other process is gone)",
                end.other().name()
            ),
        ));
    }
    Ok(fd_flags)
}

/// Whether a pipe write end has no reader left: `poll` reports `POLLERR` (Linux) or `POLLHUP`
/// (the BSDs) then.
fn no_readers(fd: BorrowedFd<'_>) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(rustix::event::poll(&mut fds, Some(&zero)), Ok(1..))
        && fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP)
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
