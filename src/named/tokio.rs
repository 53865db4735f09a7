//! Named pipes on tokio (feature `tokio`): [`Listener`] and [`connect`] return
//! [`tokio::net::UnixStream`]s; put frames on them with the crate's tokio codecs. The peer's
//! credentials: [`peer_credentials`](super::peer_credentials)`(&stream)`. The listener is the
//! runtime-generic [`AsyncListener`](super::AsyncListener) on tokio.
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
use std::io;
use std::time::Duration;

use tokio::net::UnixStream;

use crate::rt::Tokio;

use super::{ConnectOptions, PipeName};

/// A named pipe server on tokio. Dropping it removes the socket file (if still ours).
pub type Listener = super::AsyncListener<Tokio>;

impl super::AsyncListener<Tokio> {
    /// The accept loop: one task (`tokio::spawn`) per client running `handler`, forever.
    /// Returns only when `accept` fails for a reason that is not about one connection.
    pub async fn serve<F, Fut>(&self, mut handler: F) -> io::Result<()>
    where
        F: FnMut(UnixStream) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        loop {
            tokio::spawn(handler(self.accept_next().await?));
        }
    }
}

/// Connects once (see [`super::connect`]). Cancel-safe.
pub async fn connect(name: &PipeName) -> io::Result<UnixStream> {
    connect_with(name, &ConnectOptions::new()).await
}

/// Connects, waiting up to `timeout` for the server (see [`super::connect_timeout`]).
pub async fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<UnixStream> {
    connect_with(name, &ConnectOptions::new().timeout(timeout)).await
}

/// Connects as `opts` say; waiting sleeps on tokio's timer. Must be called inside a tokio
/// runtime.
pub async fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<UnixStream> {
    super::connect_async::<Tokio>(name, opts).await
}
