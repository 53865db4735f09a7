//! One async named pipe connection on Windows, written once for every runtime: overlapped I/O
//! whose completion wakes the task (`sys::windows::overlapped::AsyncPipe`), no reactor.

use std::fmt;
use std::io::{self, IoSlice};
use std::marker::PhantomData;
use std::os::windows::io::{AsHandle, BorrowedHandle};
use std::task::{Context, Poll};

use crate::rt::Reactor;
use crate::sys::windows::overlapped::AsyncPipe;
use crate::sys::windows::pipe::Read;

use super::PeerCredentials;

/// A connected named pipe on runtime `Rt`, either side: what
/// [`AsyncListener::accept`](super::AsyncListener::accept) and
/// [`connect_async`](super::connect_async) return. Use the aliases `named::tokio::PipeStream`
/// (tokio's `AsyncRead` + `AsyncWrite`) and `named::futures_io::PipeStream` (futures-io's).
///
/// * A write hands its bytes to the system and returns; its outcome comes with the next
///   write or a flush, which waits for it. Shutting the writer down (tokio's `shutdown`,
///   futures-io's `close`) flushes: a named pipe has no half-close, the peer reads end of
///   stream once every handle to this end is dropped.
/// * `&PipeStream` reads and writes too, so one task can read while another writes on a
///   shared reference; [`into_split`](Self::into_split) gives owned halves.
/// * Dropping the stream cancels a read in flight and lets a write in flight finish, so
///   written bytes are not lost by dropping.
/// * In message mode, read and write whole messages with `message::AsyncMessagePipe`.
pub struct AsyncPipeStream<Rt: Reactor> {
    pub(crate) inner: AsyncPipe,
    message: bool,
    server_side: bool,
    _rt: PhantomData<fn() -> Rt>,
}

impl<Rt: Reactor> fmt::Debug for AsyncPipeStream<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncPipeStream")
            .field("runtime", &Rt::NAME)
            .field("pipe", &self.inner.label())
            .field("message", &self.message)
            .finish()
    }
}

impl<Rt: Reactor> AsyncPipeStream<Rt> {
    pub(crate) fn new(inner: AsyncPipe, message: bool, server_side: bool) -> Self {
        AsyncPipeStream {
            inner,
            message,
            server_side,
            _rt: PhantomData,
        }
    }

    /// A connected pair of streams in byte mode, each the other's peer (a pipe with a name
    /// of its own, `\\.\pipe\pipeframe-pair-PID-N`, whose server instance is closed to new
    /// clients once the pair is made).
    pub fn pair() -> io::Result<(Self, Self)> {
        let (s, c) = crate::sys::windows::server::pair()?;
        Ok((
            Self::new(AsyncPipe::new(s)?, false, true),
            Self::new(AsyncPipe::new(c)?, false, false),
        ))
    }

    /// Who is at the other end (see [`PeerCredentials`]).
    pub fn peer_credentials(&self) -> io::Result<PeerCredentials> {
        PeerCredentials::of(self.inner.handle(), self.inner.label(), self.server_side)
    }

    /// Whether the pipe is in message mode.
    pub fn is_message(&self) -> bool {
        self.message
    }

    /// One read; `Ok(0)` is the end of the stream.
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_read(cx, buf)
    }

    /// One write of up to 1 MiB of `bufs`, gathered.
    pub(crate) fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_vectored(cx, bufs)
    }

    /// One write of up to 1 MiB of `buf`.
    pub(crate) fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.inner.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    /// Waits for the write in flight.
    pub(crate) fn poll_flush_out(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_flush(cx)
    }

    /// Ending the stream: there is no half-close, so this flushes.
    pub(crate) fn poll_close_out(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_flush(cx)
    }

    /// One read of up to `n` bytes of the message at the head of the pipe (message mode).
    pub(crate) fn poll_read_piece(
        &self,
        cx: &mut Context<'_>,
        n: usize,
        keep: Option<&mut Vec<u8>>,
    ) -> Poll<io::Result<Read>> {
        self.inner.poll_read_piece(cx, n, keep)
    }

    /// Bytes left in the message at the head of the pipe, if the system says.
    pub(crate) fn left_this_message(&self) -> Option<usize> {
        self.inner.left_this_message()
    }

    /// Writes `msg` as one message; its outcome comes with the next write or flush.
    pub(crate) fn poll_write_message(
        &self,
        cx: &mut Context<'_>,
        msg: &[u8],
    ) -> Poll<io::Result<()>> {
        self.inner.poll_write_message(cx, msg)
    }

    /// The pipe's path, for messages.
    pub(crate) fn label(&self) -> &str {
        self.inner.label()
    }
}

impl<Rt: Reactor> AsHandle for AsyncPipeStream<Rt> {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.inner.handle().as_handle()
    }
}
