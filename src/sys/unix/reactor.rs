//! Registering descriptors with the async runtimes' reactors.

use std::io;
use std::os::fd::AsFd;

/// Sets `fd` non-blocking (or blocking).
pub(crate) fn set_nonblocking(fd: impl AsFd, on: bool) -> io::Result<()> {
    rustix::io::ioctl_fionbio(fd, on).map_err(io::Error::from)
}

/// Sets `source` non-blocking and registers it with the current tokio runtime's reactor.
#[cfg(feature = "tokio")]
pub(crate) fn tokio_register<T: crate::rt::Source>(
    source: T,
) -> io::Result<tokio::io::unix::AsyncFd<T>> {
    set_nonblocking(source.as_fd(), true)?;
    // SAFETY: `AsyncFd::register` requires that the descriptor stays open and is not replaced
    // while registered. `T` is sealed to `OwnedFd`, `UnixListener` and `UnixStream`, which own
    // exactly one descriptor from creation to drop and offer no way to close or swap it;
    // the `AsyncFd` takes `source` by value, so nothing else can drop it before the
    // `AsyncFd` deregisters it in its own `Drop`.
    #[allow(unsafe_code)]
    let registered = unsafe { tokio::io::unix::AsyncFd::register(source) };
    registered.map_err(|e| {
        let e: io::Error = e.into();
        io::Error::new(
            e.kind(),
            format!("cannot register with tokio's reactor: {e}"),
        )
    })
}
