//! The async-io / futures-io side of the seam.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use super::{AsyncIo, ReadIo, Runtime, sealed};

impl sealed::Sealed for AsyncIo {}

impl Runtime for AsyncIo {
    const NAME: &'static str = "async-io";

    fn check_context() -> io::Result<()> {
        Ok(())
    }

    async fn sleep(d: Duration) {
        async_io::Timer::after(d).await;
    }
}

impl<R: AsyncRead + ?Sized> ReadIo<R> for AsyncIo {
    fn poll_read(r: Pin<&mut R>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        r.poll_read(cx, buf)
    }
}

super::write_io!(AsyncIo, AsyncWrite, poll_close);

#[cfg(unix)]
impl super::Reactor for AsyncIo {
    type Io<T: super::Source> = async_io::Async<T>;

    fn register<T: super::Source>(source: T) -> io::Result<Self::Io<T>> {
        // `Async::new` sets the descriptor non-blocking itself.
        async_io::Async::new(source)
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
            match f(io.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                res => return res,
            }
            // `readable`/`writable` register each waiting task; `poll_readable` keeps one
            // waker and wakes the one it replaces, so waiters would wake each other in a loop.
            match dir {
                super::Direction::Read => io.readable().await?,
                super::Direction::Write => io.writable().await?,
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
            match f(io.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                res => return Poll::Ready(res),
            }
            std::task::ready!(match dir {
                super::Direction::Read => io.poll_readable(cx),
                super::Direction::Write => io.poll_writable(cx),
            })?;
        }
    }
}

/// Overlapped I/O completes through the system thread pool: nothing to register.
#[cfg(windows)]
impl super::Reactor for AsyncIo {}
