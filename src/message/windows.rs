//! Windows message mode: a named pipe created with `PIPE_TYPE_MESSAGE` and read with
//! `PIPE_READMODE_MESSAGE` (.NET's `PipeTransmissionMode.Message`). The blocking
//! [`MessagePipe`]; the async `AsyncMessagePipe` is in `windows_runtime.rs`. Both read with
//! the portable reassembly rules of `assemble.rs`.

use std::io;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::assemble::{MessageReader, Piece, PieceSource};
use crate::error::EncodeError;
use crate::named::PipeStream;
use crate::sys::windows::pipe::{PipeHandle, Read};

/// The largest message accepted by default: 16 MiB.
pub const DEFAULT_MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// One `ReadFile` result as the reassembly rules see it.
pub(crate) fn piece(r: Read) -> Piece {
    match r {
        Read::Done(n) => Piece::Bytes { n, more: false },
        Read::More(n) => Piece::Bytes { n, more: true },
        Read::Eof => Piece::Eof,
    }
}

/// Refuses a message longer than `max` before anything is sent.
pub(crate) fn check_len(len: usize, max: usize) -> io::Result<()> {
    Ok(EncodeError::check_len(len, max)?)
}

/// Refuses a byte-mode pipe where messages are asked for.
pub(crate) fn need_message(message: bool, label: &str) -> io::Result<()> {
    if message {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{label}: message framing needs a message-mode pipe (ListenOptions::message / \
             ConnectOptions::message); this one is in byte mode, use a codec"
        ),
    ))
}

/// Blocking reads: every poll completes.
impl PieceSource for &PipeHandle {
    fn poll_piece(
        &mut self,
        _cx: &mut Context<'_>,
        n: usize,
        keep: Option<&mut Vec<u8>>,
    ) -> Poll<io::Result<Piece>> {
        Poll::Ready(self.read_piece(n, keep).map(piece))
    }

    fn left_in_message(&self) -> Option<usize> {
        self.left_this_message()
    }
}

/// A message-mode named pipe connection, blocking: each [`write_frame`](Self::write_frame) is
/// one message, each [`read_frame`](Self::read_frame) one whole message, reassembled across
/// `ERROR_MORE_DATA` (never split, never truncated).
///
/// Bind with [`ListenOptions::message`](crate::named::ListenOptions::message) and connect
/// with [`ConnectOptions::message`](crate::named::ConnectOptions::message), then wrap the
/// [`PipeStream`]. The size limit behaves as on a seqpacket socket: a longer message is read
/// to its end and discarded, the read fails with
/// [`DecodeError::MessageTooLong`](crate::codec::DecodeError::MessageTooLong) naming its
/// size, and the next read returns the next message. Empty messages are carried (Windows
/// tells them from the end of the stream).
#[derive(Debug, Clone)]
pub struct MessagePipe {
    stream: PipeStream,
    reader: MessageReader,
}

impl MessagePipe {
    /// Wraps a connection made in message mode; a byte-mode one is
    /// [`io::ErrorKind::InvalidInput`].
    pub fn new(stream: PipeStream) -> io::Result<MessagePipe> {
        need_message(stream.is_message(), stream.inner.label())?;
        Ok(MessagePipe {
            stream,
            reader: MessageReader::new(DEFAULT_MAX_MESSAGE),
        })
    }

    /// The next message, whole; `Ok(None)` once the peer has closed.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        let mut src: &PipeHandle = &self.stream.inner;
        Ok(self.reader.read_blocking(&mut src)?.map(Bytes::from))
    }

    /// Sends `payload` as one message. Over [`max_frame_len`](Self::max_frame_len) is refused
    /// ([`EncodeError::FrameTooLong`]) before anything is sent.
    pub fn write_frame(&self, payload: &[u8]) -> io::Result<()> {
        check_len(payload.len(), self.max_frame_len())?;
        self.stream.inner.write_message(payload)
    }

    /// The largest message sent or accepted, in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.reader.max_len()
    }

    /// The pipe with `max` as the largest message sent or accepted.
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.reader.set_max_len(max);
        self
    }

    /// The connection underneath (for who is at the other end).
    pub fn get_ref(&self) -> &PipeStream {
        &self.stream
    }

    /// A second handle to the same connection (one thread reads while another writes).
    pub fn try_clone(&self) -> io::Result<MessagePipe> {
        Ok(self.clone())
    }
}

impl crate::frame_io::ReadFrame for MessagePipe {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        MessagePipe::read_frame(self)
    }
}

impl crate::frame_io::WriteFrame for MessagePipe {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        MessagePipe::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Nothing to send; the peer reads end of stream once every handle to this end is
    /// dropped (a named pipe has no half-close).
    fn close(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl From<MessagePipe> for crate::frame_io::ReadTransport {
    fn from(p: MessagePipe) -> Self {
        Self::messages(p, "message-mode named pipe")
    }
}

impl From<MessagePipe> for crate::frame_io::WriteTransport {
    fn from(p: MessagePipe) -> Self {
        Self::messages(p, "message-mode named pipe")
    }
}
