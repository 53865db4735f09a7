//! Windows message mode: a named pipe created with `PIPE_TYPE_MESSAGE` and read with
//! `PIPE_READMODE_MESSAGE` (.NET's `PipeTransmissionMode.Message`).

use std::io;

use bytes::Bytes;

use crate::named::PipeStream;

/// The largest message accepted by default: 16 MiB.
pub const DEFAULT_MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// A message-mode named pipe connection, blocking: each [`write_frame`](Self::write_frame) is
/// one message, each [`read_frame`](Self::read_frame) one whole message, reassembled across
/// `ERROR_MORE_DATA` (never split, never truncated).
///
/// Bind with [`ListenOptions::message`](crate::named::ListenOptions::message) and connect
/// with [`ConnectOptions::message`](crate::named::ConnectOptions::message), then wrap the
/// [`PipeStream`]. The size limit behaves as on a seqpacket socket: a longer message is read
/// to its end and discarded, the read fails with [`io::ErrorKind::InvalidData`] naming its
/// size, and the next read returns the next message. Empty messages are carried (Windows
/// tells them from the end of the stream).
#[derive(Debug, Clone)]
pub struct MessagePipe {
    stream: PipeStream,
    max: usize,
    eof: bool,
}

impl MessagePipe {
    /// Wraps a connection made in message mode; a byte-mode one is
    /// [`io::ErrorKind::InvalidInput`].
    pub fn new(stream: PipeStream) -> io::Result<MessagePipe> {
        if !stream.is_message() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "MessagePipe needs a message-mode pipe (ListenOptions::message / \
                 ConnectOptions::message); this one is in byte mode, use a codec",
            ));
        }
        Ok(MessagePipe {
            stream,
            max: DEFAULT_MAX_MESSAGE,
            eof: false,
        })
    }

    /// The next message, whole; `Ok(None)` once the peer has closed.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        if self.eof {
            return Ok(None);
        }
        let m = self.stream.inner.read_message(self.max)?;
        self.eof = m.is_none();
        Ok(m.map(Bytes::from))
    }

    /// Sends `payload` as one message. Over [`max_frame_len`](Self::max_frame_len) is refused
    /// ([`io::ErrorKind::InvalidInput`]) before anything is sent.
    pub fn write_frame(&self, payload: &[u8]) -> io::Result<()> {
        crate::named::windows_check_len(payload.len(), self.max)?;
        self.stream.inner.write_message(payload)
    }

    /// The largest message sent or accepted, in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.max
    }

    /// The pipe with `max` as the largest message sent or accepted.
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    /// The connection underneath (for its peer process id).
    pub fn get_ref(&self) -> &PipeStream {
        &self.stream
    }

    /// A second handle to the same connection (one thread reads while another writes).
    pub fn try_clone(&self) -> io::Result<MessagePipe> {
        Ok(self.clone())
    }
}
