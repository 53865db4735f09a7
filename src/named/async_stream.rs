//! One named pipe connection on an async runtime, written once over the runtime seam
//! ([`crate::rt`]) on each OS (`unix/async_stream.rs`, `windows/async_stream.rs`), and what is
//! the same on both: the owned halves, and the runtimes' `AsyncRead`/`AsyncWrite` impls
//! (`runtime_io!`), over the crate-private poll methods each OS's `AsyncPipeStream` has:
//! `poll_recv`, `poll_send`, `poll_send_vectored`, `poll_flush_out`, `poll_close_out`.
//! `named::tokio::PipeStream` and `named::futures_io::PipeStream` name it.

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::rt::Reactor;

use super::{AsyncPipeStream, PeerCredentials};

impl<Rt: Reactor> AsyncPipeStream<Rt> {
    /// Splits the stream into a read half and a write half that tasks can own (the
    /// connection closes when both are dropped). No lock is shared between them: each
    /// direction waits on its own.
    pub fn into_split(self) -> (AsyncPipeReadHalf<Rt>, AsyncPipeWriteHalf<Rt>) {
        let s = Arc::new(self);
        (AsyncPipeReadHalf(Arc::clone(&s)), AsyncPipeWriteHalf(s))
    }
}

/// The read half of an [`AsyncPipeStream`] ([`AsyncPipeStream::into_split`]): reads only.
/// It gives no way to write: no access to the whole stream (whose `&` reference writes),
/// only what inspects the connection, such as
/// [`peer_credentials`](Self::peer_credentials).
///
// The snippet names the tokio flavour: without that feature it would fail to compile for
// the wrong reason, so it is only checked (as `compile_fail`) with the feature on.
#[cfg_attr(feature = "tokio", doc = "```compile_fail")]
#[cfg_attr(not(feature = "tokio"), doc = "```ignore")]
/// # async fn f() -> std::io::Result<()> {
/// use pipeframe::named::tokio::PipeStream;
/// use tokio::io::AsyncWriteExt;
/// let (read_half, _write_half) = PipeStream::pair()?.0.into_split();
/// let mut through: &PipeStream = read_half.stream(); // no such accessor
/// through.write_all(b"written through the read half").await
/// # }
/// ```
pub struct AsyncPipeReadHalf<Rt: Reactor>(Arc<AsyncPipeStream<Rt>>);

/// The write half of an [`AsyncPipeStream`] ([`AsyncPipeStream::into_split`]): writes only;
/// shutting it down half-closes the connection. Dropping it does not (the read half may
/// still be in use): the connection closes when both halves are dropped.
pub struct AsyncPipeWriteHalf<Rt: Reactor>(Arc<AsyncPipeStream<Rt>>);

macro_rules! half_common {
    ($t:ident) => {
        impl<Rt: Reactor> fmt::Debug for $t<Rt> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($t)).field(&self.0).finish()
            }
        }

        impl<Rt: Reactor> $t<Rt> {
            /// Who is at the other end (see [`PeerCredentials`]). (The halves give no access
            /// to the whole stream: through it a read half could write, and a write half
            /// read.)
            pub fn peer_credentials(&self) -> io::Result<PeerCredentials> {
                self.0.peer_credentials()
            }
        }

        #[cfg(unix)]
        impl<Rt: Reactor> std::os::fd::AsFd for $t<Rt> {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.0.as_fd()
            }
        }

        #[cfg(windows)]
        impl<Rt: Reactor> std::os::windows::io::AsHandle for $t<Rt> {
            fn as_handle(&self) -> std::os::windows::io::BorrowedHandle<'_> {
                self.0.as_handle()
            }
        }
    };
}
half_common!(AsyncPipeReadHalf);
half_common!(AsyncPipeWriteHalf);

/// The stream an I/O trait impl works on: the stream itself, a reference to it, a half.
pub(crate) trait Shared<Rt: Reactor> {
    fn shared(&self) -> &AsyncPipeStream<Rt>;
}

impl<Rt: Reactor> Shared<Rt> for AsyncPipeStream<Rt> {
    fn shared(&self) -> &AsyncPipeStream<Rt> {
        self
    }
}

impl<Rt: Reactor> Shared<Rt> for &AsyncPipeStream<Rt> {
    fn shared(&self) -> &AsyncPipeStream<Rt> {
        self
    }
}

impl<Rt: Reactor> Shared<Rt> for AsyncPipeReadHalf<Rt> {
    fn shared(&self) -> &AsyncPipeStream<Rt> {
        &self.0
    }
}

impl<Rt: Reactor> Shared<Rt> for AsyncPipeWriteHalf<Rt> {
    fn shared(&self) -> &AsyncPipeStream<Rt> {
        &self.0
    }
}

/// One runtime's `AsyncRead` (on the stream, `&stream` and the read half) and `AsyncWrite`
/// (on the stream, `&stream` and the write half): `read` is the runtime's trait, `buf` and
/// `out` its buffer and result types, `poll` the function that reads into `buf` from a
/// `&AsyncPipeStream`; `write` is its write trait, `close` the name of its half-closing method,
/// `extra` more methods of the write trait. Flushing and closing are the OS stream's
/// (Unix: nothing to flush, closing half-closes; Windows: both wait for the write in flight,
/// a named pipe has no half-close).
macro_rules! runtime_io {
    (
        runtime: $rt:ty,
        read: $read:path, buf: $buf:ty, out: $out:ty, poll: $poll:expr,
        write: $write:path, close: $close:ident, extra: $extra:tt $(,)?
    ) => {
        runtime_io!(@read $read, $buf, $out, $poll, [] AsyncPipeStream<$rt>);
        runtime_io!(@read $read, $buf, $out, $poll, ['a] &'a AsyncPipeStream<$rt>);
        runtime_io!(@read $read, $buf, $out, $poll, [] AsyncPipeReadHalf<$rt>);
        runtime_io!(@write $write, $close, $extra, [] AsyncPipeStream<$rt>);
        runtime_io!(@write $write, $close, $extra, ['a] &'a AsyncPipeStream<$rt>);
        runtime_io!(@write $write, $close, $extra, [] AsyncPipeWriteHalf<$rt>);
    };
    (@read $read:path, $buf:ty, $out:ty, $poll:expr, [$($g:tt)*] $t:ty) => {
        impl<$($g)*> $read for $t {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: $buf,
            ) -> ::std::task::Poll<::std::io::Result<$out>> {
                $poll($crate::named::async_stream::Shared::shared(&*self), cx, buf)
            }
        }
    };
    (@write $write:path, $close:ident, { $($extra:tt)* }, [$($g:tt)*] $t:ty) => {
        impl<$($g)*> $write for $t {
            fn poll_write(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::named::async_stream::Shared::shared(&*self).poll_send(cx, buf)
            }

            fn poll_write_vectored(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::named::async_stream::Shared::shared(&*self).poll_send_vectored(cx, bufs)
            }

            $($extra)*

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                $crate::named::async_stream::Shared::shared(&*self).poll_flush_out(cx)
            }

            fn $close(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                $crate::named::async_stream::Shared::shared(&*self).poll_close_out(cx)
            }
        }
    };
}
pub(crate) use runtime_io;
