//! Named pipes for smol and other futures-io runtimes (feature `futures-io`): [`Listener`] and
//! [`connect`] return [`async_io::Async`]`<UnixStream>`, which is `AsyncRead + AsyncWrite`;
//! put frames on it with the crate's futures-io adapters.
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
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::{Duration, Instant};

use async_io::{Async, Timer};

use crate::sys::unix::socket::{self, ConnectError};

use super::listener::{Bound, is_transient};
use super::stream::check_server;
use super::{ConnectOptions, ListenOptions, PipeName};

/// A named pipe server on async-io. Dropping it removes the socket file (if still ours).
#[derive(Debug)]
pub struct Listener {
    inner: Async<UnixListener>,
    bound: Bound,
}

impl Listener {
    /// Binds `name` with the default [`ListenOptions`].
    pub fn bind(name: &PipeName) -> io::Result<Listener> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Listener> {
        let (std, bound) = Bound::bind(name, opts)?;
        Ok(Listener {
            inner: Async::new(std)?,
            bound,
        })
    }

    /// Waits for the next client, skipping peers refused by
    /// [`current_user_only`](ListenOptions::current_user_only).
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: a client accepted by the kernel but not yet returned stays queued.
    pub async fn accept(&self) -> io::Result<Async<UnixStream>> {
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

    /// The accept loop: calls `handler` for every client, forever; the handler starts the
    /// client's task on the executor of your choice, e.g.
    /// `|s| smol::spawn(handle(s)).detach()`. Returns only when `accept` fails for a
    /// reason that is not about one connection.
    pub async fn serve<F>(&self, mut handler: F) -> io::Result<()>
    where
        F: FnMut(Async<UnixStream>),
    {
        loop {
            match self.accept().await {
                Ok(stream) => handler(stream),
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
pub async fn connect(name: &PipeName) -> io::Result<Async<UnixStream>> {
    connect_with(name, &ConnectOptions::new()).await
}

/// Connects, waiting up to `timeout` for the server (see [`super::connect_timeout`]).
pub async fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<Async<UnixStream>> {
    connect_with(name, &ConnectOptions::new().timeout(timeout)).await
}

/// Connects as `opts` say; waiting sleeps on async-io's timer.
pub async fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<Async<UnixStream>> {
    let addr = name.addr();
    let start = Instant::now();
    let deadline = opts.timeout.map(|t| start + t);
    let mut attempt = 0;
    let fd = loop {
        match socket::try_connect(&addr) {
            Ok(fd) => break fd,
            Err(ConnectError::Fatal(e)) => return Err(e),
            Err(ConnectError::NotYet(e)) => match deadline {
                Some(d) if Instant::now() < d => {
                    attempt += 1;
                    Timer::after(socket::backoff(attempt, deadline)).await;
                }
                Some(_) => return Err(socket::timed_out(&addr, start.elapsed(), &e)),
                // No timeout: only a full backlog is waited for, as a blocking connect would.
                None if e.kind() == io::ErrorKind::WouldBlock => {
                    attempt += 1;
                    Timer::after(socket::backoff(attempt, None)).await;
                }
                None => return Err(e),
            },
        }
    };
    check_server(&fd, &addr, opts.current_user_only)?;
    Async::new(UnixStream::from(fd))
}
