//! Pipe buffer capacity (`F_GETPIPE_SZ` / `F_SETPIPE_SZ`, Linux only).
//!
//! A pipe's capacity is how many bytes a writer can put in it before it blocks. Linux's
//! default is 16 pages (65,536 bytes); an unprivileged process may raise it up to
//! `/proc/sys/fs/pipe-max-size` (1 MiB by default). The kernel refuses (`EPERM`) when the
//! user's pipes already hold more than `/proc/sys/fs/pipe-user-pages-soft` pages; the pipe then
//! keeps the capacity it had, and [`set_capacity`] says so by returning it.

use std::io;
use std::os::fd::BorrowedFd;

/// The capacity asked for when nothing else is known: Linux's default `pipe-max-size`.
pub(crate) const FALLBACK_MAX: usize = 1 << 20;

/// The largest capacity an unprivileged process may set: `/proc/sys/fs/pipe-max-size`, or
/// 1 MiB where that cannot be read. Read once per process.
pub(crate) fn max_capacity() -> usize {
    static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&n| n >= 4096)
            .unwrap_or(FALLBACK_MAX)
    })
}

/// The pipe's current capacity in bytes.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn capacity(fd: BorrowedFd<'_>) -> io::Result<usize> {
    rustix::pipe::fcntl_getpipe_size(fd)
        .map_err(|e| super::os_err(e, "cannot read the pipe's capacity (F_GETPIPE_SZ)"))
}

/// Sets the pipe's capacity to `bytes` (at most [`max_capacity`]; the kernel rounds up to a
/// power of two pages) and returns the capacity it has afterwards. Where the kernel refuses
/// for the per-user page limit (`EPERM`), or because the pipe holds more data than the new
/// capacity (`EBUSY`), the pipe keeps its capacity and that is returned: not an error.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn set_capacity(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<usize> {
    use rustix::io::Errno;
    let want = bytes.clamp(1, max_capacity());
    match rustix::pipe::fcntl_setpipe_size(fd, want) {
        Ok(n) => Ok(n),
        Err(Errno::PERM | Errno::BUSY) => capacity(fd),
        Err(e) => Err(super::os_err(
            e,
            format_args!("cannot set the pipe's capacity to {want} bytes (F_SETPIPE_SZ)"),
        )),
    }
}

/// Pipe capacity is fixed on this system.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn capacity(_: BorrowedFd<'_>) -> io::Result<usize> {
    Err(super::err(
        io::ErrorKind::Unsupported,
        "a pipe's capacity can only be read on Linux (F_GETPIPE_SZ)",
    ))
}

/// Pipe capacity is fixed on this system.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn set_capacity(_: BorrowedFd<'_>, _: usize) -> io::Result<usize> {
    Err(super::err(
        io::ErrorKind::Unsupported,
        "a pipe's capacity can only be set on Linux (F_SETPIPE_SZ)",
    ))
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn raises_and_lowers_within_the_maximum() {
        let (r, w) = std::io::pipe().unwrap();
        let got = set_capacity(w.as_fd(), usize::MAX).unwrap();
        assert!(got <= max_capacity());
        assert_eq!(capacity(r.as_fd()).unwrap(), got, "one pipe, one capacity");
        assert_eq!(set_capacity(r.as_fd(), 4096).unwrap(), 4096);
    }

    #[test]
    fn not_a_pipe_is_an_error() {
        let f = std::fs::File::open("/proc/self/stat").unwrap();
        assert!(set_capacity(f.as_fd(), 1 << 20).is_err());
        assert!(capacity(f.as_fd()).is_err());
    }
}
