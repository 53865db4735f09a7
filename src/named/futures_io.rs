//! Named pipes for smol and other futures-io runtimes (feature `futures-io`): [`Listener`] and
//! [`connect`] return [`PipeStream`]s, futures-io `AsyncRead` + `AsyncWrite` whose writes
//! never raise `SIGPIPE` and whose `close` half-closes; put frames on them with the crate's
//! futures-io adapters. The listener and the stream are the runtime-generic
//! [`AsyncListener`](super::AsyncListener) and [`AsyncPipeStream`] on
//! async-io.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use pipeframe::named::{PipeName, futures_io::Listener};
//! use futures_lite::{AsyncReadExt, AsyncWriteExt};
//!
//! futures_lite::future::block_on(async {
//!     let listener = Listener::bind(&PipeName::new("svc")?)?;
//!     let mut stream = listener.accept().await?;
//!     let peer = stream.peer_credentials()?;
//!     let mut buf = [0; 1024];
//!     let n = stream.read(&mut buf).await?;
//!     stream.write_all(&buf[..n]).await?;
//!     println!("served pid {:?}, uid {}", peer.pid(), peer.uid());
//!     Ok(())
//! })
//! # }
//! ```

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use crate::rt::AsyncIo;

use super::async_stream::{AsyncPipeReadHalf, AsyncPipeStream, AsyncPipeWriteHalf, Shared};
use super::{ConnectOptions, PipeName};

/// A named pipe connection on async-io: futures-io `AsyncRead` + `AsyncWrite` (also on
/// `&PipeStream`); writes never raise `SIGPIPE`, `close` half-closes.
pub type PipeStream = AsyncPipeStream<AsyncIo>;
/// The read half of [`PipeStream::into_split`].
pub type ReadHalf = AsyncPipeReadHalf<AsyncIo>;
/// The write half of [`PipeStream::into_split`].
pub type WriteHalf = AsyncPipeWriteHalf<AsyncIo>;

macro_rules! fio_read {
    ($([$($g:tt)*] $t:ty),*) => {$(
        impl<$($g)*> AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Shared::shared(&*self).poll_recv(cx, buf)
            }
        }
    )*};
}

macro_rules! fio_write {
    ($([$($g:tt)*] $t:ty),*) => {$(
        impl<$($g)*> AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Shared::shared(&*self).poll_send(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                Shared::shared(&*self).poll_send_vectored(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Shared::shared(&*self).shutdown_write())
            }
        }
    )*};
}

fio_read!([] AsyncPipeStream<AsyncIo>, ['a] &'a AsyncPipeStream<AsyncIo>, [] AsyncPipeReadHalf<AsyncIo>);
fio_write!([] AsyncPipeStream<AsyncIo>, ['a] &'a AsyncPipeStream<AsyncIo>, [] AsyncPipeWriteHalf<AsyncIo>);

/// A named pipe server on async-io. Dropping it removes the socket file (if still ours).
pub type Listener = super::AsyncListener<AsyncIo>;

impl super::AsyncListener<AsyncIo> {
    /// The accept loop: calls `handler` for every client, forever; the handler starts the
    /// client's task on the executor of your choice, e.g.
    /// `|s| smol::spawn(handle(s)).detach()`. Returns only when `accept` fails for a
    /// reason that is not about one connection.
    pub async fn serve<F>(&self, mut handler: F) -> io::Result<()>
    where
        F: FnMut(PipeStream),
    {
        loop {
            handler(self.accept_next().await?);
        }
    }
}

/// Connects once (see [`super::connect`]).
pub async fn connect(name: &PipeName) -> io::Result<PipeStream> {
    connect_with(name, &ConnectOptions::new()).await
}

/// Connects, waiting up to `timeout` for the server (see [`super::connect_timeout`]).
pub async fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<PipeStream> {
    connect_with(name, &ConnectOptions::new().timeout(timeout)).await
}

/// Connects as `opts` say; waiting sleeps on async-io's timer.
pub async fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<PipeStream> {
    super::connect_async::<AsyncIo>(name, opts).await
}
