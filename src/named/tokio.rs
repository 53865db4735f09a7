//! Named pipes on tokio (feature `tokio`): [`Listener`] and [`connect`] return
//! [`tokio::net::UnixStream`]s; put frames on them with the crate's tokio codecs. The peer's
//! credentials: [`peer_credentials`](super::peer_credentials)`(&stream)`.
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
use std::path::Path;
use std::time::Duration;

use tokio::net::UnixStream;

use crate::sys::unix::socket::{self, ConnectError};

use super::listener::{Bound, is_transient};
use super::stream::check_server;
use super::{ConnectOptions, ListenOptions, PipeName};

fn no_runtime() -> io::Error {
    io::Error::other("a tokio runtime is needed (call from inside one)")
}

/// A named pipe server on tokio. Dropping it removes the socket file (if still ours).
#[derive(Debug)]
pub struct Listener {
    inner: tokio::net::UnixListener,
    bound: Bound,
}

impl Listener {
    /// Binds `name` with the default [`ListenOptions`]. Must be called inside a tokio runtime
    /// (an error otherwise).
    pub fn bind(name: &PipeName) -> io::Result<Listener> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say. Must be called inside a tokio runtime.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Listener> {
        tokio::runtime::Handle::try_current().map_err(|_| no_runtime())?;
        let (std, bound) = Bound::bind(name, opts)?;
        std.set_nonblocking(true)?;
        let inner = tokio::net::UnixListener::from_std(std)?;
        Ok(Listener { inner, bound })
    }

    /// Waits for the next client, skipping peers refused by
    /// [`current_user_only`](ListenOptions::current_user_only).
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: a client accepted by the kernel but not yet returned stays queued.
    pub async fn accept(&self) -> io::Result<UnixStream> {
        loop {
            let (stream, _) = self.inner.accept().await?;
            match self.bound.admit(&stream) {
                Ok(true) => return Ok(stream),
                Ok(false) => drop(stream),
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The accept loop: one task (`tokio::spawn`) per client running `handler`, forever.
    /// Returns only when `accept` fails for a reason that is not about one connection.
    pub async fn serve<F, Fut>(&self, mut handler: F) -> io::Result<()>
    where
        F: FnMut(UnixStream) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        loop {
            match self.accept().await {
                Ok(stream) => {
                    tokio::spawn(handler(stream));
                }
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The name this listener was bound to.
    pub fn name(&self) -> &PipeName {
        &self.bound.name
    }

    /// The socket file (`None` for an abstract name).
    pub fn socket_path(&self) -> Option<&Path> {
        self.bound.path()
    }

    /// How many peers [`current_user_only`](ListenOptions::current_user_only) refused.
    pub fn rejected(&self) -> u64 {
        self.bound.rejected()
    }
}

/// Connects once (see [`super::connect`]).
///
/// # Cancellation safety
///
/// Cancel-safe: dropping the future closes the half-made socket.
pub async fn connect(name: &PipeName) -> io::Result<UnixStream> {
    connect_with(name, &ConnectOptions::new()).await
}

/// Connects, waiting up to `timeout` for the server (see [`super::connect_timeout`]).
pub async fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<UnixStream> {
    connect_with(name, &ConnectOptions::new().timeout(timeout)).await
}

/// Connects as `opts` say; waiting sleeps on tokio's timer.
pub async fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<UnixStream> {
    tokio::runtime::Handle::try_current().map_err(|_| no_runtime())?;
    let addr = name.addr();
    let start = std::time::Instant::now();
    let deadline = opts.timeout.map(|t| start + t);
    let mut attempt = 0;
    let fd = loop {
        match socket::try_connect(&addr) {
            Ok(fd) => break fd,
            Err(ConnectError::Fatal(e)) => return Err(e),
            Err(ConnectError::NotYet(e)) => match deadline {
                Some(d) if std::time::Instant::now() < d => {
                    attempt += 1;
                    tokio::time::sleep(socket::backoff(attempt, deadline)).await;
                }
                Some(_) => return Err(socket::timed_out(&addr, start.elapsed(), &e)),
                // No timeout: only a full backlog is waited for, as a blocking connect would.
                None if e.kind() == io::ErrorKind::WouldBlock => {
                    attempt += 1;
                    tokio::time::sleep(socket::backoff(attempt, None)).await;
                }
                None => return Err(e),
            },
        }
    };
    check_server(&fd, &addr, opts.current_user_only)?;
    UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))
}
