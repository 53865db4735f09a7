//! Named pipes on tokio (feature `tokio`): [`Listener`] and [`connect`] return
//! [`PipeStream`]s, tokio `AsyncRead` + `AsyncWrite` whose writes never raise `SIGPIPE`; put
//! frames on them with the crate's tokio codecs. The peer's credentials:
//! [`PipeStream::peer_credentials`]. The listener and the stream are the runtime-generic
//! [`AsyncListener`](super::AsyncListener) and [`AsyncPipeStream`] on
//! tokio.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use pipeframe::named::{PipeName, tokio::Listener};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let listener = Listener::bind(&PipeName::new("svc")?)?;
//! listener
//!     .serve(|mut stream| async move {
//!         let mut buf = [0; 1024];
//!         while let Ok(n @ 1..) = stream.read(&mut buf).await {
//!             if stream.write_all(&buf[..n]).await.is_err() {
//!                 break; // client gone abruptly
//!             }
//!         }
//!     })
//!     .await
//! # }
//! ```

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::rt::Tokio;

use super::async_stream::{AsyncPipeReadHalf, AsyncPipeStream, AsyncPipeWriteHalf, Shared};
use super::{ConnectOptions, PipeName};

/// A named pipe connection on tokio: `AsyncRead` + `AsyncWrite` (also on `&PipeStream`);
/// writes never raise `SIGPIPE`, `shutdown` half-closes.
pub type PipeStream = AsyncPipeStream<Tokio>;
/// The read half of [`PipeStream::into_split`].
pub type ReadHalf = AsyncPipeReadHalf<Tokio>;
/// The write half of [`PipeStream::into_split`].
pub type WriteHalf = AsyncPipeWriteHalf<Tokio>;

fn poll_read(
    s: &AsyncPipeStream<Tokio>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let n = ready!(s.poll_recv(cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

macro_rules! tokio_read {
    ($([$($g:tt)*] $t:ty),*) => {$(
        impl<$($g)*> AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read(Shared::shared(&*self), cx, buf)
            }
        }
    )*};
}

macro_rules! tokio_write {
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

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Shared::shared(&*self).shutdown_write())
            }
        }
    )*};
}

tokio_read!([] AsyncPipeStream<Tokio>, ['a] &'a AsyncPipeStream<Tokio>, [] AsyncPipeReadHalf<Tokio>);
tokio_write!([] AsyncPipeStream<Tokio>, ['a] &'a AsyncPipeStream<Tokio>, [] AsyncPipeWriteHalf<Tokio>);

/// A named pipe server on tokio. Dropping it removes the socket file (if still ours).
pub type Listener = super::AsyncListener<Tokio>;

impl super::AsyncListener<Tokio> {
    /// The accept loop: one task (`tokio::spawn`) per client running `handler`, forever.
    /// Returns only when `accept` fails for a reason that is not about one connection.
    pub async fn serve<F, Fut>(&self, mut handler: F) -> io::Result<()>
    where
        F: FnMut(PipeStream) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        loop {
            tokio::spawn(handler(self.accept_next().await?));
        }
    }
}

/// Connects once (see [`super::connect`]). Cancel-safe.
pub async fn connect(name: &PipeName) -> io::Result<PipeStream> {
    connect_with(name, &ConnectOptions::new()).await
}

/// Connects, waiting up to `timeout` for the server (see [`super::connect_timeout`]).
pub async fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<PipeStream> {
    connect_with(name, &ConnectOptions::new().timeout(timeout)).await
}

/// Connects as `opts` say; waiting sleeps on tokio's timer. Must be called inside a tokio
/// runtime.
pub async fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<PipeStream> {
    super::connect_async::<Tokio>(name, opts).await
}
