//! Registering a descriptor with tokio's reactor, without the deprecated `AsyncFd::new`.

use std::io;
use std::ops::Deref;
use std::os::fd::{AsFd, OwnedFd};

use tokio::io::unix::AsyncFd;

/// An `OwnedFd` registered with tokio, readable and writable interest, in non-blocking mode.
///
/// It derefs to `&AsyncFd<OwnedFd>` (`poll_read_ready`, `poll_write_ready`, `readable`,
/// `writable`, `get_ref`, `try_io` on the guards: everything the shared reference gives) and
/// never hands out `&mut AsyncFd`: `AsyncFd::get_mut` would let safe code swap the `OwnedFd`
/// for another while the first one's number is still registered, which is what
/// `AsyncFd::register` makes its caller promise cannot happen.
#[derive(Debug)]
pub(crate) struct RegisteredFd(AsyncFd<OwnedFd>);

impl Deref for RegisteredFd {
    type Target = AsyncFd<OwnedFd>;

    fn deref(&self) -> &AsyncFd<OwnedFd> {
        &self.0
    }
}

impl RegisteredFd {
    /// Deregisters and gives the descriptor back (still non-blocking).
    #[allow(dead_code)] // for the runtime glue that converts back to std types
    pub(crate) fn into_inner(self) -> OwnedFd {
        self.0.into_inner()
    }
}

/// Sets `fd` non-blocking and registers it with the current tokio runtime's reactor for
/// readable and writable readiness. Must be called inside a tokio runtime (as
/// `AsyncFd::register` requires); a registration failure is the OS error it carries.
#[allow(dead_code)] // until the runtime glue (src/rt, message::tokio) calls it
pub(crate) fn tokio_async_fd(fd: OwnedFd) -> io::Result<RegisteredFd> {
    rustix::io::ioctl_fionbio(fd.as_fd(), true)?;
    // SAFETY: `register` needs the descriptor `inner.as_raw_fd()` returns to be open, to stay
    // open and name the same open file description, and to be what `as_raw_fd` returns, until
    // the `AsyncFd` is dropped, `into_inner`ed or forgotten. `fd` is an `OwnedFd` that we own
    // (moved in), so it is open; the `AsyncFd` owns it from here on, and an `OwnedFd` closes
    // its descriptor only when dropped, which happens only after the `AsyncFd` has
    // deregistered it; its `as_raw_fd` always returns the one number it was made with. Nobody
    // can close, `dup2` over or swap it meanwhile: the `AsyncFd` sits inside `RegisteredFd`,
    // which gives out only `&AsyncFd`, so `AsyncFd::get_mut` (the one way to replace the
    // `OwnedFd`) is unreachable.
    let registered = unsafe { AsyncFd::register(fd) };
    registered.map(RegisteredFd).map_err(|e| e.into_parts().1)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn registered_descriptor_reports_readiness_and_comes_back() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        let got = rt.block_on(async {
            let io = super::tokio_async_fd(OwnedFd::from(a)).unwrap();
            b.write_all(b"x").unwrap();
            let mut guard = io.readable().await.unwrap();
            let n = guard
                .try_io(|fd| {
                    let mut buf = [0u8; 4];
                    rustix::io::read(fd.get_ref(), &mut buf)
                        .map(|n| buf[..n].to_vec())
                        .map_err(Into::into)
                })
                .expect("readable but nothing to read")
                .unwrap();
            drop(guard);
            (n, io.into_inner())
        });
        assert_eq!(got.0, b"x");
        // Non-blocking from the registration on: an empty read is WouldBlock, not a hang.
        let e = rustix::io::read(&got.1, &mut [0u8; 1]).unwrap_err();
        assert_eq!(e, rustix::io::Errno::AGAIN);
        drop(b);
    }
}
