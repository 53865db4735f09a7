//! The async named pipe listener and connect, written once over the runtime seam
//! ([`crate::rt`]). `named::tokio` and `named::futures_io` name them with aliases.

use std::fmt;
use std::io;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

use crate::rt::Reactor;

use super::async_stream::AsyncPipeStream;
use super::listener::{Bound, bound_accessors};
use super::stream::{Attempt, Connecting};
use super::{ConnectOptions, ListenOptions, PipeName};

/// A named pipe server on an async runtime: accepts any number of clients, each an
/// [`AsyncPipeStream`] (writes never raise `SIGPIPE`). Dropping it
/// removes the socket file (if still ours). Use the aliases `named::tokio::Listener` /
/// `named::futures_io::Listener`.
pub struct AsyncListener<Rt: Reactor> {
    io: Rt::Io<UnixListener>,
    bound: Bound,
}

impl<Rt: Reactor> fmt::Debug for AsyncListener<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncListener")
            .field("runtime", &Rt::NAME)
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

impl<Rt: Reactor> AsyncListener<Rt> {
    /// Binds `name` with the default [`ListenOptions`]. On tokio it must be called inside a
    /// runtime (an error otherwise).
    pub fn bind(name: &PipeName) -> io::Result<Self> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Self> {
        Rt::check_context()?;
        let (std, bound) = Bound::bind(name, opts)?;
        Ok(AsyncListener {
            io: Rt::register(std)?,
            bound,
        })
    }

    /// Waits for the next client, skipping peers refused by
    /// [`current_user_only`](ListenOptions::current_user_only).
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: a client accepted by the kernel but not yet returned stays queued.
    pub async fn accept(&self) -> io::Result<AsyncPipeStream<Rt>> {
        loop {
            // `shared_io`, not `poll_read_with`: several tasks may await `accept` on one
            // listener, and each must be woken.
            let stream = Rt::shared_io(&self.io, crate::rt::Direction::Read, accept).await?;
            if let Some(stream) = self.bound.screen(stream)? {
                return AsyncPipeStream::new(stream);
            }
        }
    }

    bound_accessors!();
}

fn accept(listener: &UnixListener) -> io::Result<UnixStream> {
    listener.accept().map(|(s, _)| s)
}

/// Connects as `opts` say, on runtime `Rt` (waiting sleeps on its timer). The aliases'
/// modules have `connect`, `connect_timeout` and `connect_with`.
///
/// # Cancellation safety
///
/// Cancel-safe: dropping the future closes the half-made socket.
pub async fn connect_async<Rt: Reactor>(
    name: &PipeName,
    opts: &ConnectOptions,
) -> io::Result<AsyncPipeStream<Rt>> {
    Rt::check_context()?;
    let mut c = Connecting::new(name, opts);
    let fd = loop {
        match c.attempt()? {
            Attempt::Connected(fd) => break fd,
            Attempt::Wait(d) => {
                Rt::sleep(d).await;
            }
        }
    };
    AsyncPipeStream::new(UnixStream::from(c.finish(fd)?))
}
