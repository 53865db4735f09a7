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

use std::io;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::rt::Tokio;

use super::async_stream::runtime_io;
use super::connect_fns;
use super::{AsyncPipeReadHalf, AsyncPipeStream, AsyncPipeWriteHalf};

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

runtime_io! {
    runtime: Tokio,
    read: AsyncRead, buf: &mut ReadBuf<'_>, out: (), poll: poll_read,
    write: AsyncWrite, close: poll_shutdown, extra: {
        fn is_write_vectored(&self) -> bool {
            true
        }
    },
}

/// A named pipe server on tokio. Dropping it removes the socket file (if still ours).
pub type Listener = super::AsyncListener<Tokio>;

connect_fns! {
    runtime: Tokio,
    cancel: " Cancel-safe.",
    context: " Must be called inside a tokio runtime.",
}
