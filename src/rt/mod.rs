//! The runtime seam: every async type in pipeframe is written once, generic over a runtime
//! marker, and the per-runtime modules name it with a type alias.
//!
//! | generic type (here) | tokio alias | futures-io (smol) alias |
//! | --- | --- | --- |
//! | [`AsyncFrameReader<R, D, Rt>`] | [`tokio::AsyncFrameReader<R, D>`](crate::tokio::AsyncFrameReader) | [`futures_io::AsyncFrameReader<R, D>`](crate::futures_io::AsyncFrameReader) |
//! | [`AsyncFrameWriter<W, E, Rt>`] | [`tokio::AsyncFrameWriter<W, E>`](crate::tokio::AsyncFrameWriter) | [`futures_io::AsyncFrameWriter<W, E>`](crate::futures_io::AsyncFrameWriter) |
//! | `message::AsyncSeqpacketStream<Rt>`, ... | `message::tokio::SeqpacketStream`, ... | `message::futures_io::SeqpacketStream`, ... |
//! | `named::AsyncListener<Rt>` | `named::tokio::Listener` | `named::futures_io::Listener` |
//! | `named::AsyncPipeStream<Rt>` | `named::tokio::PipeStream` | `named::futures_io::PipeStream` |
//!
//! A marker ([`Tokio`], [`AsyncIo`]) says how to poll an I/O object ([`ReadIo`],
//! [`WriteIo`]: tokio's or futures-io's `AsyncRead`/`AsyncWrite`) and how to wait for the OS
//! ([`Reactor`]: on Unix, a descriptor's readiness through tokio's `AsyncFd` or async-io's
//! `Async`; on Windows nothing more, because overlapped I/O completes through the system
//! thread pool, which needs only a `Waker`). That is all that differs between runtimes; the
//! framing, buffering, backpressure, cancellation safety and error rules live in the generic
//! types, once, and the same types exist on Unix and Windows.
//!
//! Use the aliases; the generic types are public so that code generic over the runtime can
//! name them. The traits are sealed.
//!
//! ```
//! use pipeframe::named::{AsyncListener, AsyncPipeStream};
//! use pipeframe::rt::Reactor;
//!
//! /// Counts the clients of `listener` that send anything, on any runtime and either OS.
//! async fn count_talkers<Rt: Reactor>(listener: AsyncListener<Rt>, clients: usize) -> usize
//! where
//!     AsyncPipeStream<Rt>: Unpin,
//! {
//!     let mut talkers = 0;
//!     for _ in 0..clients {
//!         match listener.accept().await {
//!             Ok(stream) => talkers += usize::from(stream.peer_credentials().is_ok()),
//!             Err(_) => break,
//!         }
//!     }
//!     talkers
//! }
//! # let _ = count_talkers::<pipeframe::rt::Tokio>;
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

mod reader;
pub(crate) mod tasks;
#[cfg(feature = "tokio")]
mod timer;
mod writer;

#[cfg(feature = "futures-io")]
mod async_io;
#[cfg(feature = "tokio")]
mod tokio;

pub use reader::AsyncFrameReader;
pub use writer::{AsyncFrameWriter, WriteFrameFuture, WriteFramesFuture};

mod sealed {
    pub trait Sealed {}
}

/// The tokio runtime (feature `tokio`): tokio's `AsyncRead`/`AsyncWrite`, `AsyncFd`, timer.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Debug, Clone, Copy)]
pub enum Tokio {}

/// async-io and futures-io (feature `futures-io`): smol, `futures_lite::future::block_on`,
/// any executor. futures-io's `AsyncRead`/`AsyncWrite`, `async_io::Async`, `async_io::Timer`.
#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
#[derive(Debug, Clone, Copy)]
pub enum AsyncIo {}

/// A runtime marker. Sealed: implemented by [`Tokio`] and [`AsyncIo`] only.
pub trait Runtime: sealed::Sealed + Debug + Send + Sync + Unpin + 'static {
    /// A short name for error messages ("tokio", "async-io").
    const NAME: &'static str;

    /// Fails with a clear error where the runtime cannot be used from here (tokio outside a
    /// runtime); always `Ok` where any thread will do.
    fn check_context() -> io::Result<()>;

    /// Waits `d`. It needs nothing from the runtime (on tokio, not even its timer: see the
    /// crate-private `rt::timer`), so it works in any runtime and never panics.
    fn sleep(d: Duration) -> impl Future<Output = ()> + Send;
}

/// How a runtime polls a reader of type `R`.
pub trait ReadIo<R: ?Sized>: Runtime {
    /// One read into `buf`; `Ok(0)` is the end of the stream.
    fn poll_read(r: Pin<&mut R>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
}

/// How a runtime polls a writer of type `W`.
pub trait WriteIo<W: ?Sized>: Runtime {
    /// One vectored write.
    fn poll_write_vectored(
        w: Pin<&mut W>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    /// Flushes the writer.
    fn poll_flush(w: Pin<&mut W>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Ends the stream for the peer (tokio's `poll_shutdown`, futures-io's `poll_close`).
    fn poll_close(w: Pin<&mut W>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// [`WriteIo`] for runtime `$rt` over its write trait `$write`, whose method that ends the
/// stream for the peer is `$close`.
macro_rules! write_io {
    ($rt:ty, $write:path, $close:ident) => {
        impl<W: $write + ?Sized> $crate::rt::WriteIo<W> for $rt {
            fn poll_write_vectored(
                w: ::std::pin::Pin<&mut W>,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                w.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                w: ::std::pin::Pin<&mut W>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                w.poll_flush(cx)
            }

            fn poll_close(
                w: ::std::pin::Pin<&mut W>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                w.$close(cx)
            }
        }
    };
}
use write_io;

pub use self::reactor::Reactor;
#[cfg(unix)]
pub use self::reactor::{Direction, Source};
/// A descriptor owner registered with tokio's reactor ([`Tokio`]'s [`Reactor::Io`]). It
/// derefs to `&tokio::io::unix::AsyncFd<T>` and never hands out `&mut`, so the registered
/// descriptor cannot be swapped while registered.
#[cfg(all(unix, feature = "tokio"))]
pub use crate::sys::unix::async_fd::RegisteredFd;

mod reactor {
    #[cfg(unix)]
    use std::future::Future;
    #[cfg(unix)]
    use std::io;
    #[cfg(unix)]
    use std::task::{Context, Poll};

    use super::Runtime;

    /// Something that owns one descriptor for its whole life, so a runtime may register it:
    /// [`OwnedFd`](std::os::fd::OwnedFd), [`UnixListener`](std::os::unix::net::UnixListener),
    /// [`UnixStream`](std::os::unix::net::UnixStream). Sealed.
    #[cfg(unix)]
    pub use crate::sys::unix::Source;

    /// Which readiness [`Reactor::poll_io`] waits for.
    #[cfg(unix)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Direction {
        /// Readable (or a connection to accept).
        Read,
        /// Writable.
        Write,
    }

    /// How a runtime waits for the OS: the bound every OS-facing async type of the crate
    /// (named pipes, message mode) takes, on Unix and Windows alike.
    ///
    /// On Unix it registers descriptors and waits for their readiness (the items below). On
    /// Windows it adds nothing to [`Runtime`]: overlapped I/O completes through the system
    /// thread pool, which wakes the task itself.
    pub trait Reactor: Runtime {
        /// A registered source (tokio's `AsyncFd<T>`, async-io's `Async<T>`).
        #[cfg(unix)]
        type Io<T: Source>: std::fmt::Debug + Send + Sync + Unpin;

        /// Sets `source` non-blocking and registers it.
        #[cfg(unix)]
        fn register<T: Source>(source: T) -> io::Result<Self::Io<T>>;

        /// The registered source.
        #[cfg(unix)]
        fn get_ref<T: Source>(io: &Self::Io<T>) -> &T;

        /// Calls `f` until it does not fail with `WouldBlock`, waiting for the source to be
        /// ready in direction `dir` in between.
        #[cfg(unix)]
        fn poll_io<T: Source, U>(
            io: &Self::Io<T>,
            cx: &mut Context<'_>,
            dir: Direction,
            f: impl FnMut(&T) -> io::Result<U>,
        ) -> Poll<io::Result<U>>;

        /// Calls `f` until it does not fail with `WouldBlock`, waiting for the source to be
        /// ready in direction `dir` in between, like [`poll_io`](Self::poll_io), but as a
        /// future that any number of tasks may await at once on one source: each waiter is
        /// woken (tokio's `AsyncFd::readable`/`writable`, async-io's
        /// `Async::readable`/`writable`). `poll_io` keeps one waker per direction, which is
        /// right for `&mut self` methods only; `&self` methods, which several tasks can await
        /// together, use this.
        #[cfg(unix)]
        fn shared_io<T: Source, U: Send>(
            io: &Self::Io<T>,
            dir: Direction,
            f: impl FnMut(&T) -> io::Result<U> + Send,
        ) -> impl Future<Output = io::Result<U>> + Send;

        /// [`poll_io`](Self::poll_io) waiting for readability.
        #[cfg(unix)]
        fn poll_read_with<T: Source, U>(
            io: &Self::Io<T>,
            cx: &mut Context<'_>,
            f: impl FnMut(&T) -> io::Result<U>,
        ) -> Poll<io::Result<U>> {
            Self::poll_io(io, cx, Direction::Read, f)
        }

        /// [`poll_io`](Self::poll_io) waiting for writability.
        #[cfg(unix)]
        fn poll_write_with<T: Source, U>(
            io: &Self::Io<T>,
            cx: &mut Context<'_>,
            f: impl FnMut(&T) -> io::Result<U>,
        ) -> Poll<io::Result<U>> {
            Self::poll_io(io, cx, Direction::Write, f)
        }
    }
}
