//! Unix implementations: anonymous-pipe handoff, Unix domain socket listeners and clients,
//! descriptors passed with frames (`SCM_RIGHTS`), FIFOs, message mode (seqpacket sockets, packet pipes), reactor registration. Every system
//! call goes through rustix.
//!
//! This is the crate's one module allowed to use `unsafe` on Unix (`crate::sys` allows
//! `unsafe_code` here and nowhere else). There are three blocks, each with a `// SAFETY:`
//! comment, which clippy enforces:
//!
//! * `handoff`: borrowing and then adopting an inherited descriptor by number
//!   (`BorrowedFd::borrow_raw`, `OwnedFd::from_raw_fd`), where the safe alternatives (reopening
//!   `/proc/self/fd/N`, `pidfd_getfd`) leave the inherited number open until exit, so a parent
//!   would not see end of stream when the child drops its end;
//! * `async_fd`: registering a descriptor owner with tokio (`AsyncFd::register`, whose safe
//!   predecessor `AsyncFd::new` is deprecated).
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "tokio")]
pub(crate) mod async_fd;
pub(crate) mod fds;
pub(crate) mod fifo;
pub(crate) mod handoff;
pub(crate) mod message;
pub(crate) mod pipe_size;
pub(crate) mod socket;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub use source::Source;
use std::io;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod source {
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};
    use std::os::unix::net::{UnixListener, UnixStream};

    /// Something that owns one descriptor for its whole life, so a runtime may register it:
    /// [`OwnedFd`], [`UnixListener`], [`UnixStream`]. Sealed: registering with tokio
    /// (`async_fd`) relies on every implementor keeping its one descriptor from creation to drop.
    pub trait Source:
        AsFd + AsRawFd + std::fmt::Debug + Send + Sync + Unpin + 'static + private::Owns
    {
    }

    mod private {
        pub trait Owns {}
    }
    impl private::Owns for OwnedFd {}
    impl private::Owns for UnixListener {}
    impl private::Owns for UnixStream {}
    impl Source for OwnedFd {}
    impl Source for UnixListener {}
    impl Source for UnixStream {}
}

/// An `io::Error` of `kind` whose message is `msg`.
pub(crate) fn err(kind: io::ErrorKind, msg: impl Into<String>) -> io::Error {
    io::Error::new(kind, msg.into())
}

/// Converts a rustix errno into an `io::Error` with `what` prefixed to the OS message.
pub(crate) fn os_err(e: rustix::io::Errno, what: impl std::fmt::Display) -> io::Error {
    let e = io::Error::from(e);
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// A file's identity, to tell whether a path still names the file we created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    pub(crate) fn of_stat(st: &rustix::fs::Stat) -> FileId {
        #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
        FileId {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
        }
    }

    /// The identity of the file `path` names, without following a final symlink.
    pub(crate) fn of_path(path: &std::path::Path) -> io::Result<FileId> {
        rustix::fs::lstat(path)
            .map(|st| FileId::of_stat(&st))
            .map_err(io::Error::from)
    }
}

/// A human name for a file type, for error messages.
pub(crate) fn type_name(mode: u32) -> &'static str {
    use rustix::fs::FileType;
    match FileType::from_raw_mode(mode as _) {
        FileType::Fifo => "a pipe",
        FileType::Socket => "a socket",
        FileType::RegularFile => "a regular file",
        FileType::Directory => "a directory",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Symlink => "a symbolic link",
        _ => "an unknown kind of file",
    }
}

/// Whether `e` is `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM`.
pub(crate) fn out_of_resources(e: &io::Error) -> bool {
    use rustix::io::Errno;
    Errno::from_io_error(e).is_some_and(|n| {
        matches!(
            n,
            Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM
        )
    })
}
