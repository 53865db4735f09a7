//! Named pipes for smol and other futures-io runtimes (feature `futures-io`): [`Listener`] and
//! [`connect`] return [`PipeStream`]s, futures-io `AsyncRead` + `AsyncWrite`; put frames on
//! them with the crate's futures-io adapters. On Unix their writes never raise `SIGPIPE` and
//! `close` half-closes; on Windows `close` flushes (a named pipe has no half-close). The listener and the stream are the runtime-generic
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
//!     println!("served pid {:?}", peer.pid());
//!     Ok(())
//! })
//! # }
//! ```

use futures_io::{AsyncRead, AsyncWrite};

use crate::rt::AsyncIo;

use super::async_stream::runtime_io;
use super::connect_fns;
use super::{AsyncPipeReadHalf, AsyncPipeStream, AsyncPipeWriteHalf};

/// A named pipe connection on async-io: futures-io `AsyncRead` + `AsyncWrite` (also on
/// `&PipeStream`); writes never raise `SIGPIPE`, `close` half-closes.
pub type PipeStream = AsyncPipeStream<AsyncIo>;
/// The read half of [`PipeStream::into_split`].
pub type ReadHalf = AsyncPipeReadHalf<AsyncIo>;
/// The write half of [`PipeStream::into_split`].
pub type WriteHalf = AsyncPipeWriteHalf<AsyncIo>;

runtime_io! {
    runtime: AsyncIo,
    read: AsyncRead, buf: &mut [u8], out: usize, poll: AsyncPipeStream::poll_recv,
    write: AsyncWrite, close: poll_close, extra: {},
}

/// A named pipe server on async-io. Dropping it removes the socket file (if still ours).
pub type Listener = super::AsyncListener<AsyncIo>;

connect_fns! {
    runtime: AsyncIo,
    cancel: " Cancel-safe.",
    context: "",
}
