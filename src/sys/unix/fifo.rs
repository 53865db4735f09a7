//! FIFOs (`mkfifo`): creation and opening with a wait policy.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{err, os_err, type_name};

#[cfg(not(target_vendor = "apple"))]
pub(crate) fn create(path: &Path, mode: u32) -> io::Result<()> {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        FileType::Fifo,
        Mode::from_raw_mode(mode as _),
        0,
    )
    .map_err(|e| match e {
        Errno::EXIST => err(
            io::ErrorKind::AlreadyExists,
            format!("cannot create fifo {}: the path exists", path.display()),
        ),
        e => os_err(e, format_args!("cannot create fifo {}", path.display())),
    })
}

/// rustix has no `mkfifo`/`mknodat` for Apple systems, so a FIFO cannot be made here; opening
/// one made by `mkfifo(1)` works.
#[cfg(target_vendor = "apple")]
pub(crate) fn create(path: &Path, _mode: u32) -> io::Result<()> {
    Err(err(
        io::ErrorKind::Unsupported,
        format!(
            "cannot create fifo {}: creating fifos is not supported on this platform \
             (make it with mkfifo(1), then open it)",
            path.display()
        ),
    ))
}

/// How an open waits for the other side.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    Block,
    Timeout(Duration),
    NonBlocking,
}

fn open_raw(path: &Path, flags: OFlags) -> Result<OwnedFd, Errno> {
    loop {
        match rustix::fs::open(
            path,
            flags | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        ) {
            Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// Fails with [`io::ErrorKind::InvalidInput`] naming what `path` is unless `mode` (its
/// `st_mode`) is a fifo's.
fn require_fifo(path: &Path, mode: u32) -> io::Result<()> {
    if FileType::from_raw_mode(mode as _) != FileType::Fifo {
        return Err(err(
            io::ErrorKind::InvalidInput,
            format!("{} is {}, not a fifo", path.display(), type_name(mode)),
        ));
    }
    Ok(())
}

fn check_fifo(path: &Path, fd: &OwnedFd) -> io::Result<()> {
    let st = rustix::fs::fstat(fd)?;
    require_fifo(path, st.st_mode as u32)
}

fn check_path(path: &Path) -> io::Result<()> {
    let st = rustix::fs::stat(path).map_err(|e| open_failed(path, e))?;
    require_fifo(path, st.st_mode as u32)
}

/// Opens `path` with `flags` and checks that it is a fifo.
fn open_fifo(path: &Path, flags: OFlags) -> io::Result<OwnedFd> {
    let fd = open_raw(path, flags).map_err(|e| open_failed(path, e))?;
    check_fifo(path, &fd)?;
    Ok(fd)
}

fn clear_nonblock(fd: &OwnedFd) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd)?;
    rustix::fs::fcntl_setfl(fd, flags - OFlags::NONBLOCK)?;
    Ok(())
}

fn open_failed(path: &Path, e: Errno) -> io::Error {
    os_err(e, format_args!("cannot open fifo {}", path.display()))
}

pub(crate) fn open_read(path: &Path, wait: Wait) -> io::Result<File> {
    let fd = match wait {
        Wait::Block => {
            // Refuse a path that is not a fifo before blocking on it.
            check_path(path)?;
            open_fifo(path, OFlags::RDONLY)?
        }
        Wait::NonBlocking => open_fifo(path, OFlags::RDONLY | OFlags::NONBLOCK)?,
        Wait::Timeout(t) => {
            let fd = open_fifo(path, OFlags::RDONLY | OFlags::NONBLOCK)?;
            // Wait until a writer has sent something or come and gone: a reader cannot see a
            // writer that opened and wrote nothing yet.
            let deadline = Instant::now() + t;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let ts = rustix::event::Timespec {
                    tv_sec: left.as_secs() as _,
                    tv_nsec: left.subsec_nanos() as _,
                };
                let mut fds = [PollFd::new(&fd, PollFlags::IN)];
                match rustix::event::poll(&mut fds, Some(&ts)) {
                    Ok(0) => {
                        return Err(err(
                            io::ErrorKind::TimedOut,
                            format!(
                                "timed out after {} waiting for a writer on fifo {}",
                                crate::error::seconds(t),
                                path.display()
                            ),
                        ));
                    }
                    Ok(_) => break,
                    Err(Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            clear_nonblock(&fd)?;
            fd
        }
    };
    Ok(File::from(fd))
}

pub(crate) fn open_write(path: &Path, wait: Wait) -> io::Result<File> {
    let no_reader = || {
        err(
            io::ErrorKind::NotConnected,
            format!("fifo {} has no reader", path.display()),
        )
    };
    let fd = match wait {
        Wait::Block => {
            // As in `open_read`: not a fifo is refused before blocking.
            check_path(path)?;
            open_fifo(path, OFlags::WRONLY)?
        }
        Wait::NonBlocking => {
            let fd = open_raw(path, OFlags::WRONLY | OFlags::NONBLOCK).map_err(|e| match e {
                Errno::NXIO => no_reader(),
                e => open_failed(path, e),
            })?;
            check_fifo(path, &fd)?;
            fd
        }
        Wait::Timeout(t) => {
            let start = Instant::now();
            let deadline = start + t;
            let mut attempt = 0;
            let fd = loop {
                match open_raw(path, OFlags::WRONLY | OFlags::NONBLOCK) {
                    Ok(fd) => break fd,
                    Err(Errno::NXIO) if Instant::now() < deadline => {
                        attempt += 1;
                        std::thread::sleep(super::socket::backoff(attempt, Some(deadline)));
                    }
                    Err(Errno::NXIO) => {
                        return Err(err(
                            io::ErrorKind::TimedOut,
                            format!(
                                "timed out after {} waiting for a reader on fifo {}",
                                crate::error::seconds(t),
                                path.display()
                            ),
                        ));
                    }
                    Err(e) => return Err(open_failed(path, e)),
                }
            };
            check_fifo(path, &fd)?;
            clear_nonblock(&fd)?;
            fd
        }
    };
    Ok(File::from(fd))
}
