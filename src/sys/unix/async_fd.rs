//! Registering a descriptor with tokio's reactor, without the deprecated `AsyncFd::new`.

use std::io;
use std::ops::Deref;

use tokio::io::unix::AsyncFd;

/// A descriptor owner ([`super::Source`]: `OwnedFd`, `UnixListener`, `UnixStream`)
/// registered with tokio, readable and writable interest, in non-blocking mode.
///
/// It derefs to `&AsyncFd<T>` (`poll_read_ready`, `poll_write_ready`, `readable`,
/// `writable`, `get_ref`, `try_io` on the guards: everything the shared reference gives) and
/// never hands out `&mut AsyncFd`: `AsyncFd::get_mut` would let safe code swap the `T`
/// for another while the first one's number is still registered, which is what
/// `AsyncFd::register` makes its caller promise cannot happen.
#[derive(Debug)]
pub struct RegisteredFd<T: super::Source>(AsyncFd<T>);

impl<T: super::Source> Deref for RegisteredFd<T> {
    type Target = AsyncFd<T>;

    fn deref(&self) -> &AsyncFd<T> {
        &self.0
    }
}

/// Sets `fd` non-blocking and registers it with the current tokio runtime's reactor for
/// readable and writable readiness. Must be called inside a tokio runtime (as
/// `AsyncFd::register` requires); a registration failure is the OS error it carries, and a
/// runtime built without `enable_io` is an error naming it (tokio panics there; the panic is
/// caught, `fd` is closed, and the panic hook still reports it).
pub(crate) fn tokio_async_fd<T: super::Source>(fd: T) -> io::Result<RegisteredFd<T>> {
    rustix::io::ioctl_fionbio(std::os::fd::AsFd::as_fd(&fd), true)?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| register(fd))).unwrap_or_else(|_| {
        Err(io::Error::other(
            "the tokio runtime has IO disabled, and pipeframe's async types need it: build \
             the runtime with enable_io() or enable_all()",
        ))
    })
}

fn register<T: super::Source>(fd: T) -> io::Result<RegisteredFd<T>> {
    // SAFETY: `register` needs the descriptor `inner.as_raw_fd()` returns to be open, to stay
    // open and name the same open file description, and to be what `as_raw_fd` returns, until
    // the `AsyncFd` is dropped, `into_inner`ed or forgotten. `fd` is a `Source`, a sealed set of
    // owners (`OwnedFd`, `UnixListener`, `UnixStream`) that each hold one descriptor from
    // creation to drop, moved in, so it is open; the `AsyncFd` owns it from here on, and
    // each of those types closes its descriptor only when dropped, which happens only after
    // the `AsyncFd` has deregistered it; its `as_raw_fd` always returns the one number it
    // was made with. Nobody
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
            // Non-blocking from the registration on: an empty read is WouldBlock, not a hang.
            let e = rustix::io::read(io.get_ref(), &mut [0u8; 1]).unwrap_err();
            (n, e)
        });
        assert_eq!(got.0, b"x");
        assert_eq!(got.1, rustix::io::Errno::AGAIN);
        drop(b);
    }
}
