//! Named pipes for smol and other futures-io runtimes (feature `futures-io`): [`Listener`] and
//! [`connect`] return [`async_io::Async`]`<UnixStream>`, which is `AsyncRead + AsyncWrite`;
//! put frames on it with the crate's futures-io adapters. The listener is the
//! runtime-generic [`AsyncListener`](super::AsyncListener) on async-io.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use pipeframe::named::{PipeName, futures_io::Listener};
//! use futures_lite::{AsyncReadExt, AsyncWriteExt};
//!
//! futures_lite::future::block_on(async {
//!     let listener = Listener::bind(&PipeName::new("svc")?)?;
//!     let mut stream = listener.accept().await?;
//!     let peer = pipeframe::named::peer_credentials(stream.get_ref())?;
//!     let mut buf = [0; 1024];
//!     let n = stream.read(&mut buf).await?;
//!     stream.write_all(&buf[..n]).await?;
//!     println!("served pid {:?}, uid {}", peer.pid(), peer.uid());
//!     Ok(())
//! })
//! # }
//! ```

use std::io;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use async_io::Async;

use crate::rt::AsyncIo;

use super::{ConnectOptions, PipeName};

/// A named pipe server on async-io. Dropping it removes the socket file (if still ours).
pub type Listener = super::AsyncListener<AsyncIo>;

impl super::AsyncListener<AsyncIo> {
    /// The accept loop: calls `handler` for every client, forever; the handler starts the
    /// client's task on the executor of your choice, e.g.
    /// `|s| smol::spawn(handle(s)).detach()`. Returns only when `accept` fails for a
    /// reason that is not about one connection.
    pub async fn serve<F>(&self, mut handler: F) -> io::Result<()>
    where
        F: FnMut(Async<UnixStream>),
    {
        loop {
            handler(self.accept_next().await?);
        }
    }
}

/// Connects once (see [`super::connect`]).
pub async fn connect(name: &PipeName) -> io::Result<Async<UnixStream>> {
    connect_with(name, &ConnectOptions::new()).await
}

/// Connects, waiting up to `timeout` for the server (see [`super::connect_timeout`]).
pub async fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<Async<UnixStream>> {
    connect_with(name, &ConnectOptions::new().timeout(timeout)).await
}

/// Connects as `opts` say; waiting sleeps on async-io's timer.
pub async fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<Async<UnixStream>> {
    super::connect_async::<AsyncIo>(name, opts).await
}
