//! Windows message mode on an async runtime, written once over the runtime seam
//! ([`crate::rt`]); `message::tokio::MessagePipe` and `message::futures_io::MessagePipe` name
//! it.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;

use super::assemble::{MessageReader, Piece, PieceSource};
use super::windows::{DEFAULT_MAX_MESSAGE, check_len, need_message, piece};
use crate::named::AsyncPipeStream;
use crate::rt::Reactor;

/// The overlapped reads of a stream, for the reassembly rules: a read in flight is collected
/// by the next poll, so dropping a future loses nothing.
struct Reads<'a, Rt: Reactor>(&'a AsyncPipeStream<Rt>);

impl<Rt: Reactor> PieceSource for Reads<'_, Rt> {
    fn poll_piece(
        &mut self,
        cx: &mut Context<'_>,
        n: usize,
        keep: Option<&mut Vec<u8>>,
    ) -> Poll<io::Result<Piece>> {
        self.0.poll_read_piece(cx, n, keep).map_ok(piece)
    }

    fn left_in_message(&self) -> Option<usize> {
        self.0.left_this_message()
    }
}

/// A message-mode named pipe connection on runtime `Rt`: a [`Stream`] of whole messages and a
/// [`Sink`] of messages, the same shape as the seqpacket streams on Linux and as a codec-framed
/// stream, so async code does not change when the framing does. Use the aliases
/// `message::tokio::MessagePipe` / `message::futures_io::MessagePipe`.
///
/// Sizes, empty messages and end of stream behave as for the blocking
/// [`MessagePipe`](super::MessagePipe): a message over the maximum is read to its end,
/// discarded and reported as
/// [`DecodeError::MessageTooLong`](crate::codec::DecodeError::MessageTooLong), and the next
/// read returns the next message.
///
/// # Cancellation safety
///
/// [`read_frame`](Self::read_frame) and `Stream::poll_next` are cancellation safe: a message
/// being read stays with the pipe (the read in flight and the bytes so far), and the next
/// call goes on with it. [`write_frame`](Self::write_frame) hands the message to the system
/// in one write; dropping its future after that loses nothing, and neither does dropping the
/// pipe with a write in flight (it finishes on its own). As a `Sink`, an item accepted by
/// `start_send` waits in a one-message slot until `poll_ready`, `poll_flush` or `poll_close`
/// sends it.
pub struct AsyncMessagePipe<Rt: Reactor> {
    stream: AsyncPipeStream<Rt>,
    reader: MessageReader,
    slot: Option<Bytes>,
}

impl<Rt: Reactor> fmt::Debug for AsyncMessagePipe<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncMessagePipe")
            .field("stream", &self.stream)
            .field("max_frame_len", &self.reader.max_len())
            .finish_non_exhaustive()
    }
}

impl<Rt: Reactor> AsyncMessagePipe<Rt> {
    /// Wraps a connection made in message mode; a byte-mode one is
    /// [`io::ErrorKind::InvalidInput`].
    pub fn new(stream: AsyncPipeStream<Rt>) -> io::Result<Self> {
        need_message(stream.is_message(), stream.label())?;
        Ok(AsyncMessagePipe {
            stream,
            reader: MessageReader::new(DEFAULT_MAX_MESSAGE),
            slot: None,
        })
    }

    /// The largest message sent or accepted, in bytes (default 16 MiB).
    pub fn max_frame_len(&self) -> usize {
        self.reader.max_len()
    }

    /// The pipe with `max` as the largest message sent or accepted.
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.reader.set_max_len(max);
        self
    }

    /// The connection underneath (for who is at the other end).
    pub fn get_ref(&self) -> &AsyncPipeStream<Rt> {
        &self.stream
    }

    /// Gives the connection back.
    pub fn into_inner(self) -> AsyncPipeStream<Rt> {
        self.stream
    }

    /// Polls for the next whole message; `Ready(Ok(None))` once the peer has closed.
    pub fn poll_read_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Bytes>>> {
        let mut reads = Reads(&self.stream);
        self.reader
            .poll_read(&mut reads, cx)
            .map_ok(|m| m.map(Bytes::from))
    }

    /// The next whole message; `Ok(None)` once the peer has closed. Cancellation safe.
    pub async fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        poll_fn(|cx| self.poll_read_frame(cx)).await
    }

    /// Sends `payload` as one message: waits for the previous message to be taken, then hands
    /// this one to the system in one write and returns. Its outcome comes with the next write
    /// or [`flush`](Self::flush) (a message larger than the pipe's buffer is taken only as
    /// the peer reads it, so waiting here could wait for a peer that is itself waiting for
    /// us). Over [`max_frame_len`](Self::max_frame_len) is refused
    /// ([`EncodeError::FrameTooLong`](crate::codec::EncodeError::FrameTooLong)) before
    /// anything is sent.
    pub async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        check_len(payload.len(), self.max_frame_len())?;
        poll_fn(|cx| self.poll_send_slot(cx)).await?;
        poll_fn(|cx| self.stream.poll_write_message(cx, payload)).await
    }

    /// Waits until the system has taken every message written, and reports a failed write.
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| {
            ready!(self.poll_send_slot(cx))?;
            self.stream.poll_flush_out(cx)
        })
        .await
    }

    /// Hands the queued message to the system (after the previous write finished).
    fn poll_send_slot(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(msg) = &self.slot {
            ready!(self.stream.poll_write_message(cx, msg))?;
            self.slot = None;
        }
        Poll::Ready(Ok(()))
    }
}

impl<Rt: Reactor> Stream for AsyncMessagePipe<Rt> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_read_frame(cx).map(Result::transpose)
    }
}

impl<Rt: Reactor> Sink<Bytes> for AsyncMessagePipe<Rt> {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_slot(cx)
    }

    /// Checks the message (not over the maximum: an error here means nothing was queued) and
    /// puts it in the one-message slot.
    fn start_send(self: Pin<&mut Self>, item: Bytes) -> io::Result<()> {
        let this = self.get_mut();
        check_len(item.len(), this.max_frame_len())?;
        this.slot = Some(item);
        Ok(())
    }

    /// Sends the queued message and waits until the system has taken every message.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_slot(cx))?;
        this.stream.poll_flush_out(cx)
    }

    /// Flushes. A named pipe has no half-close: the peer reads end of stream once the pipe is
    /// dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
