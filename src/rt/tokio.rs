//! The tokio side of the seam.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::{ReadIo, Runtime, Tokio, sealed};

impl sealed::Sealed for Tokio {}

impl Runtime for Tokio {
    const NAME: &'static str = "tokio";

    fn check_context() -> io::Result<()> {
        tokio::runtime::Handle::try_current()
            .map(drop)
            .map_err(|_| io::Error::other("a tokio runtime is needed (call from inside one)"))
    }

    fn sleep(d: Duration) -> impl std::future::Future<Output = ()> + Send {
        super::timer::sleep(d)
    }
}

impl<R: AsyncRead + ?Sized> ReadIo<R> for Tokio {
    fn poll_read(r: Pin<&mut R>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut rb = tokio::io::ReadBuf::new(buf);
        ready!(r.poll_read(cx, &mut rb))?;
        Poll::Ready(Ok(rb.filled().len()))
    }
}

super::write_io!(Tokio, AsyncWrite, poll_shutdown);

#[cfg(unix)]
impl super::Reactor for Tokio {
    type Io<T: super::Source> = crate::sys::unix::async_fd::RegisteredFd<T>;

    fn register<T: super::Source>(source: T) -> io::Result<Self::Io<T>> {
        Self::check_context()?;
        crate::sys::unix::async_fd::tokio_async_fd(source)
    }

    fn get_ref<T: super::Source>(io: &Self::Io<T>) -> &T {
        io.get_ref()
    }

    async fn shared_io<T: super::Source, U: Send>(
        io: &Self::Io<T>,
        dir: super::Direction,
        mut f: impl FnMut(&T) -> io::Result<U> + Send,
    ) -> io::Result<U> {
        loop {
            // `readable`/`writable` register each waiting task, unlike `poll_*_ready`.
            let mut guard = match dir {
                super::Direction::Read => io.readable().await?,
                super::Direction::Write => io.writable().await?,
            };
            if let Ok(res) = guard.try_io(|inner| f(inner.get_ref())) {
                return res;
            }
        }
    }

    fn poll_io<T: super::Source, U>(
        io: &Self::Io<T>,
        cx: &mut Context<'_>,
        dir: super::Direction,
        mut f: impl FnMut(&T) -> io::Result<U>,
    ) -> Poll<io::Result<U>> {
        loop {
            let mut guard = ready!(match dir {
                super::Direction::Read => io.poll_read_ready(cx),
                super::Direction::Write => io.poll_write_ready(cx),
            })?;
            // `try_io` clears readiness only on `WouldBlock`: a short read (a message, a
            // partial fill) keeps the descriptor ready, as message transports need.
            if let Ok(res) = guard.try_io(|inner| f(inner.get_ref())) {
                return Poll::Ready(res);
            }
        }
    }
}

/// Overlapped I/O completes through the system thread pool: nothing to register.
#[cfg(windows)]
impl super::Reactor for Tokio {}
