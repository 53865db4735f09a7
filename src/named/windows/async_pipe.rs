//! The async side of Windows named pipes, one implementation for every runtime: the stream is
//! `sys::windows::overlapped::AsyncPipe` (overlapped I/O whose completion wakes the task, no
//! reactor), with tokio's and futures-io's `AsyncRead`/`AsyncWrite` on top; the listener and
//! the client's connect are generic over [`Runtime`], which only supplies the timer a waiting
//! client sleeps on.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::rt::Runtime;
use crate::sys::windows::client::{self, Open};
use crate::sys::windows::overlapped::{AsyncPipe, AsyncServer};

use super::{ConnectOptions, ListenOptions, PipeName};

/// The largest message a message-mode pipe accepts by default: 16 MiB.
pub(crate) const DEFAULT_MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// One async named pipe connection, either side, for tokio (`tokio::io::AsyncRead` /
/// `AsyncWrite`) and futures-io runtimes such as smol (`futures_io::AsyncRead` /
/// `AsyncWrite`) alike. In message mode [`read_frame`](Self::read_frame) returns whole
/// messages and [`write_frame`](Self::write_frame) sends one message per frame.
pub struct AsyncPipeStream {
    inner: AsyncPipe,
    message: bool,
    server_side: bool,
    max: usize,
}

impl fmt::Debug for AsyncPipeStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncPipeStream")
            .field("pipe", &self.inner.label())
            .field("message", &self.message)
            .finish()
    }
}

impl AsyncPipeStream {
    fn new(inner: AsyncPipe, message: bool, server_side: bool) -> Self {
        AsyncPipeStream {
            inner,
            message,
            server_side,
            max: DEFAULT_MAX_MESSAGE,
        }
    }

    /// The other side's process id.
    pub fn peer_process_id(&self) -> io::Result<u32> {
        self.inner.peer_process_id(self.server_side)
    }

    /// Whether the pipe is in message mode.
    pub fn is_message(&self) -> bool {
        self.message
    }

    /// The largest message read or written in message mode (default 16 MiB).
    pub fn max_frame_len(&self) -> usize {
        self.max
    }

    /// The stream with `max` as the largest message.
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    fn need_message(&self) -> io::Result<()> {
        if self.message {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: frames need a message-mode pipe (ListenOptions::message / \
                     ConnectOptions::message); this one is in byte mode, use a codec",
                    self.inner.label()
                ),
            ))
        }
    }

    /// The next message, whole (reassembled across `ERROR_MORE_DATA`); `Ok(None)` once the
    /// peer has closed. A message over [`max_frame_len`](Self::max_frame_len) is discarded
    /// and the call fails with [`io::ErrorKind::InvalidData`] naming its size; the next call
    /// reads the next message. Cancellation safe.
    pub async fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        self.need_message()?;
        let max = self.max;
        let m = poll_fn(|cx| self.inner.poll_read_message(cx, max)).await?;
        Ok(m.map(Bytes::from))
    }

    /// Sends `payload` as one message, and waits until the system has taken it. Over
    /// [`max_frame_len`](Self::max_frame_len) is refused ([`io::ErrorKind::InvalidInput`])
    /// before anything is sent.
    pub async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.need_message()?;
        super::check_len(payload.len(), self.max)?;
        self.inner.write_message(payload).await?;
        self.inner.flush().await
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for AsyncPipeStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = std::task::ready!(
            self.get_mut()
                .inner
                .poll_read(cx, buf.initialize_unfilled())
        )?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// A runtime's `AsyncWrite` (`write`, its stream-ending method `close`) on the stream.
macro_rules! async_write {
    ($write:path, $close:ident) => {
        impl $write for AsyncPipeStream {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().inner.poll_write(cx, buf)
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_flush(cx)
            }
            /// Flushes; a named pipe has no half-close (drop the stream to end it).
            fn $close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_flush(cx)
            }
        }
    };
}

#[cfg(feature = "tokio")]
async_write!(tokio::io::AsyncWrite, poll_shutdown);
#[cfg(feature = "futures-io")]
async_write!(futures_io::AsyncWrite, poll_close);

#[cfg(feature = "futures-io")]
impl futures_io::AsyncRead for AsyncPipeStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.poll_read(cx, buf)
    }
}

/// An async named pipe server for runtime `Rt` ([`crate::rt::Tokio`] or
/// [`crate::rt::AsyncIo`]); `named::tokio::Listener` and `named::futures_io::Listener` name
/// it. The next instance is created before a connected one is handed out.
pub struct AsyncListener<Rt: Runtime> {
    name: PipeName,
    message: bool,
    server: Mutex<AsyncServer>,
    _rt: PhantomData<fn() -> Rt>,
}

impl<Rt: Runtime> fmt::Debug for AsyncListener<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncListener")
            .field("name", &self.name)
            .field("runtime", &Rt::NAME)
            .finish()
    }
}

impl<Rt: Runtime> AsyncListener<Rt> {
    /// Binds `name` with the default [`ListenOptions`].
    pub fn bind(name: &PipeName) -> io::Result<Self> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Self> {
        Ok(AsyncListener {
            name: name.clone(),
            message: opts.opts.message,
            server: Mutex::new(AsyncServer::bind(name.pipe_path(), opts.opts.clone())?),
            _rt: PhantomData,
        })
    }

    /// Waits for the next client. Cancellation safe. Meant for one accepting task at a time.
    pub async fn accept(&self) -> io::Result<AsyncPipeStream> {
        let pipe = poll_fn(|cx| {
            self.server
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .poll_accept(cx)
        })
        .await?;
        Ok(AsyncPipeStream::new(pipe, self.message, true))
    }

    /// The name this listener was bound to.
    pub fn name(&self) -> &PipeName {
        &self.name
    }
}

/// Connects to `name` on runtime `Rt`: one attempt, or with [`ConnectOptions::timeout`],
/// retries (every instance busy, or no server yet) on the runtime's timer until the deadline,
/// then [`io::ErrorKind::TimedOut`] naming the pipe.
pub async fn connect_async<Rt: Runtime>(
    name: &PipeName,
    opts: &ConnectOptions,
) -> io::Result<AsyncPipeStream> {
    let co = opts.client_options(true);
    let start = Instant::now();
    let deadline = opts.timeout.map(|t| start + t);
    loop {
        let what = match client::try_open(name.pipe_path(), &co)? {
            Open::Pipe(p) => {
                return Ok(AsyncPipeStream::new(
                    AsyncPipe::new(p)?,
                    opts.message,
                    false,
                ));
            }
            Open::Busy => "every instance is busy",
            Open::NotFound => "no server is listening",
        };
        match deadline {
            None if what.starts_with("no") => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{name}: {what}"),
                ));
            }
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("{name}: {what}"),
                ));
            }
            Some(d) if Instant::now() >= d => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "timed out after {} ms connecting to {name} ({what})",
                        start.elapsed().as_millis()
                    ),
                ));
            }
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // A runtime without the timer: an error naming it, not tokio's panic.
                Rt::check_timer()?;
                Rt::sleep(left.min(Duration::from_millis(5))).await;
            }
        }
    }
}
