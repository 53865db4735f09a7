//! What a frame reader or writer is built on: [`ReadTransport`], [`WriteTransport`].

use std::fmt;
use std::io::{self, Read, Write};

use super::{ReadFrame, ShutdownWrite, WriteFrame};

/// What a frame reader reads from: a byte stream (needs a codec) or a message transport (a
/// seqpacket socket, a packet pipe, a Windows message-mode pipe: each read is a frame).
///
/// Made with [`bytes`](Self::bytes), or with `From` a message transport
/// (`SeqpacketStream`, `PacketReader`, `MessagePipe`), or with
/// [`messages`](Self::messages) for a message transport of your own.
pub struct ReadTransport(pub(super) Reads);

pub(super) enum Reads {
    Bytes(Box<dyn Read + Send>),
    /// The transport, and what to call it in errors.
    Messages(Box<dyn ReadFrame + Send>, &'static str),
}

impl ReadTransport {
    /// A byte stream: pipe end, FIFO, stream socket, TCP, stdin.
    pub fn bytes(r: impl Read + Send + 'static) -> Self {
        ReadTransport(Reads::Bytes(Box::new(r)))
    }

    /// A message transport whose reads are whole frames; `what` names it in errors (e.g.
    /// `"seqpacket socket"`).
    pub fn messages(r: impl ReadFrame + Send + 'static, what: &'static str) -> Self {
        ReadTransport(Reads::Messages(Box::new(r), what))
    }

    /// The byte stream inside, for a reader of your own; a message transport comes back as it
    /// was.
    pub fn into_bytes(self) -> Result<Box<dyn Read + Send>, ReadTransport> {
        match self.0 {
            Reads::Bytes(r) => Ok(r),
            other => Err(ReadTransport(other)),
        }
    }
}

/// What a frame writer writes to: a byte stream (needs a codec) or a message transport.
///
/// Made with [`bytes`](Self::bytes), [`socket`](Self::socket), `From` a message transport
/// (`SeqpacketStream`, `PacketWriter`, `MessagePipe`), or [`messages`](Self::messages).
pub struct WriteTransport(pub(super) Writes);

pub(super) enum Writes {
    Bytes(Box<dyn Write + Send>),
    Socket(Box<dyn ShutdownWrite + Send>),
    Messages(Box<dyn WriteFrame + Send>, &'static str),
}

impl WriteTransport {
    /// A byte stream that ends when its writer is dropped: pipe end, FIFO, file, stdout.
    pub fn bytes(w: impl Write + Send + 'static) -> Self {
        WriteTransport(Writes::Bytes(Box::new(w)))
    }

    /// A byte stream socket, shut down for writing to end the stream: a stream socket, TCP,
    /// a Unix named pipe connection (see [`ShutdownWrite`]); [`WriteFrame::close`] shuts it
    /// down.
    pub fn socket(s: impl ShutdownWrite + Send + 'static) -> Self {
        WriteTransport(Writes::Socket(Box::new(s)))
    }

    /// A message transport whose writes are whole frames; `what` names it in errors. The
    /// writer's `close` calls the transport's own [`close`](WriteFrame::close), then drops it.
    pub fn messages(w: impl WriteFrame + Send + 'static, what: &'static str) -> Self {
        WriteTransport(Writes::Messages(Box::new(w), what))
    }
}

impl fmt::Debug for ReadTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Reads::Bytes(_) => f.write_str("ReadTransport::Bytes(..)"),
            Reads::Messages(_, what) => write!(f, "ReadTransport::Messages({what})"),
        }
    }
}

impl fmt::Debug for WriteTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Writes::Bytes(_) => f.write_str("WriteTransport::Bytes(..)"),
            Writes::Socket(_) => f.write_str("WriteTransport::Socket(..)"),
            Writes::Messages(_, what) => write!(f, "WriteTransport::Messages({what})"),
        }
    }
}

/// A writer that owns its transport, so that [`WriteFrame::close`] can end it: `end` flushes
/// and ends the stream, consuming the writer.
pub(super) struct Closing<W> {
    inner: Option<W>,
    end: fn(W) -> io::Result<()>,
}

impl<W: WriteFrame> Closing<W> {
    pub(super) fn boxed(inner: W, end: fn(W) -> io::Result<()>) -> Box<Closing<W>> {
        Box::new(Closing {
            inner: Some(inner),
            end,
        })
    }
}

impl<W: WriteFrame> WriteFrame for Closing<W> {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Some(w) => w.write_frame(payload),
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the writer is closed",
            )),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.as_mut().map_or(Ok(()), WriteFrame::flush)
    }
    fn close(&mut self) -> io::Result<()> {
        self.inner.take().map_or(Ok(()), self.end)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::frame_io::{Mode, ReadFrame, WriteFrame};
    use crate::message::SeqpacketStream;
    use bytes::Bytes;
    use std::os::unix::net::UnixStream;

    fn lp32() -> Mode {
        "lp32le".parse().unwrap()
    }

    /// Reads every frame until the end of stream.
    fn all(r: &mut dyn ReadFrame) -> Vec<Bytes> {
        std::iter::from_fn(|| r.read_frame().transpose())
            .collect::<io::Result<_>>()
            .unwrap()
    }

    /// Closing a socket's writer ends the stream even though another handle to the socket
    /// (the reading half of a duplex connection) stays open; later writes fail.
    #[test]
    fn close_shuts_a_socket_down_while_its_reading_half_stays_open() {
        let (a, b) = UnixStream::pair().unwrap();
        let a_read = a.try_clone().unwrap();
        let mut w = lp32().writer(WriteTransport::socket(a)).unwrap();
        w.write_frame(b"one").unwrap();
        w.write_frame(b"two").unwrap();
        w.close().unwrap();
        // Non-blocking: a stream that did not end fails with WouldBlock instead of hanging.
        b.set_nonblocking(true).unwrap();
        let mut r = lp32().reader(ReadTransport::bytes(b)).unwrap();
        assert_eq!(all(&mut r), ["one", "two"]);
        let e = w.write_frame(b"three").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        w.flush().unwrap();
        w.close().unwrap();
        drop(a_read);
    }

    /// Closing a pipe's writer closes the pipe end before the writer is dropped.
    #[test]
    fn close_closes_a_pipe_end() {
        let (r, w) = io::pipe().unwrap();
        let mut w = lp32().writer(WriteTransport::bytes(w)).unwrap();
        w.write_frame(b"last").unwrap();
        w.close().unwrap();
        let mut r = lp32().reader(ReadTransport::bytes(r)).unwrap();
        assert_eq!(all(&mut r), ["last"]);
        drop(w);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn close_ends_message_transports() {
        let (a, b) = SeqpacketStream::pair().unwrap();
        let a_read = a.try_clone().unwrap();
        let mut w = Mode::Message.writer(a.into()).unwrap();
        w.write_frame(b"seq").unwrap();
        w.close().unwrap();
        b.set_nonblocking(true).unwrap();
        let mut r = Mode::Message.reader(b.into()).unwrap();
        assert_eq!(all(&mut r), ["seq"]);
        drop(a_read);

        let (r, w) = crate::message::packet_pipe().unwrap();
        let mut w = Mode::Message.writer(w.into()).unwrap();
        w.write_frame(b"pkt").unwrap();
        w.close().unwrap();
        r.set_nonblocking(true).unwrap();
        let mut r = Mode::Message.reader(r.into()).unwrap();
        assert_eq!(all(&mut r), ["pkt"]);
        assert_eq!(
            w.write_frame(b"x").unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }

    /// A seqpacket socket's own `close` shuts it down for writing.
    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_close_shuts_down() {
        let (mut a, mut b) = SeqpacketStream::pair().unwrap();
        WriteFrame::write_frame(&mut a, b"x").unwrap();
        WriteFrame::close(&mut a).unwrap();
        b.set_nonblocking(true).unwrap();
        assert_eq!(all(&mut b), ["x"]);
    }
}
