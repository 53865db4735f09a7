//! The async named pipe listener and connect on Windows, written once over the runtime seam
//! ([`crate::rt`]); `named::tokio` and `named::futures_io` name them with aliases.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::rt::Reactor;
use crate::sys::windows::client::{self, Open};
use crate::sys::windows::overlapped::{AsyncPipe, AsyncServer};

use super::async_stream::AsyncPipeStream;
use super::listener::{Bound, bound_accessors};
use super::{ConnectOptions, ListenOptions, PipeName};

/// A named pipe server on an async runtime: accepts any number of clients, each an
/// [`AsyncPipeStream`]; one instance always waits for the next client, created before a
/// connected one is handed out. Use the aliases `named::tokio::Listener` /
/// `named::futures_io::Listener`.
pub struct AsyncListener<Rt: Reactor> {
    server: Mutex<AsyncServer>,
    bound: Bound,
    _rt: PhantomData<fn() -> Rt>,
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
    /// runtime (an error otherwise), as on Unix.
    pub fn bind(name: &PipeName) -> io::Result<Self> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Self> {
        Rt::check_context()?;
        Ok(AsyncListener {
            server: Mutex::new(AsyncServer::bind(name.pipe_path(), opts.opts.clone())?),
            bound: Bound::new(name, opts),
            _rt: PhantomData,
        })
    }

    /// Waits for the next client, skipping clients refused by
    /// [`current_user_only`](ListenOptions::current_user_only).
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: a client that connected but was not yet returned stays with the listener
    /// for the next call. Several tasks may await `accept` at once; each is woken.
    pub async fn accept(&self) -> io::Result<AsyncPipeStream<Rt>> {
        loop {
            let pipe = poll_fn(|cx| {
                self.server
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .poll_accept(cx)
            })
            .await?;
            if self.bound.admit(pipe.handle()) {
                return Ok(AsyncPipeStream::new(pipe, self.bound.message, true));
            }
        }
    }

    bound_accessors!();
}

/// Connects as `opts` say, on runtime `Rt`: one attempt, or with
/// [`ConnectOptions::timeout`], retries (every instance busy, or no server yet) every few
/// milliseconds until the deadline, then [`io::ErrorKind::TimedOut`] naming the pipe and the
/// time waited. The aliases' modules have `connect`, `connect_timeout` and `connect_with`.
///
/// # Cancellation safety
///
/// Cancel-safe: nothing is open until it returns.
pub async fn connect_async<Rt: Reactor>(
    name: &PipeName,
    opts: &ConnectOptions,
) -> io::Result<AsyncPipeStream<Rt>> {
    Rt::check_context()?;
    let co = opts.client_options();
    let start = Instant::now();
    let deadline = opts.timeout.map(|t| start + t);
    loop {
        let found = match client::try_open(name.pipe_path(), &co)? {
            Open::Pipe(p) => {
                return Ok(AsyncPipeStream::new(
                    AsyncPipe::new(p)?,
                    opts.message,
                    false,
                ));
            }
            other => other,
        };
        let Some(deadline) = deadline else {
            return Err(super::stream::not_open(name, &found));
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(client::timed_out(
                name.pipe_path(),
                deadline - start,
                &found,
            ));
        }
        Rt::sleep((deadline - now).min(Duration::from_millis(5))).await;
    }
}
