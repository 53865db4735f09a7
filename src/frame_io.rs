//! The frame-level API every framing mode shares, and the mode chosen by name.
//!
//! Codec framing ([`FrameReader`] / [`FrameWriter`] over a byte stream) and native message
//! mode (`SeqpacketStream`, `packet_pipe` on Unix, a Windows message pipe) both read and
//! write whole frames. [`ReadFrame`] and [`WriteFrame`] are that common ground, so application
//! code can hold a `Box<dyn ReadFrame>` and not care which mode a configuration picked.
//! [`Mode`] is that configuration: the codec names [`Framing`] parses (`lines`, `lp32le`, ...)
//! plus `message`; [`Mode::reader`] and [`Mode::writer`] build the endpoint, and refuse a
//! mode that does not fit the transport (a codec on a message transport, `message` on a byte
//! stream) right there, with an [`io::ErrorKind::InvalidInput`] error, never in the middle of
//! a stream.
//!
//! The async flavours need no trait of their own: codec-framed streams and the message types
//! in `message::tokio` / `message::futures_io` (see [`message`](crate::message)) are all
//! `Stream<Item = io::Result<Bytes>>` + `Sink<Bytes>`.
//!
//! ```
//! use pipeframe::frame_io::{Mode, ReadTransport, WriteTransport};
//!
//! fn run(mode: &str) -> std::io::Result<Vec<bytes::Bytes>> {
//!     let mode: Mode = mode.parse().map_err(std::io::Error::other)?;
//!     let (read, write) = if mode.is_message() {
//!         // A seqpacket pair (Unsupported outside Linux).
//!         # #[cfg(not(unix))]
//!         # let pair: (ReadTransport, WriteTransport) = return Err(std::io::ErrorKind::Unsupported.into());
//!         # #[cfg(unix)]
//!         # let pair = {
//!         let (a, b) = pipeframe::message::SeqpacketStream::pair()?;
//!         (ReadTransport::from(a), WriteTransport::from(b))
//!         # };
//!         # pair
//!     } else {
//!         let (r, w) = std::io::pipe()?;
//!         (ReadTransport::bytes(r), WriteTransport::bytes(w))
//!     };
//!     let mut writer = mode.writer(write)?;
//!     writer.write_frame(b"hello")?;
//!     writer.write_frame(b"world")?;
//!     writer.close()?; // flushes, then ends the stream: the reader sees the end
//!     let mut reader = mode.reader(read)?;
//!     std::iter::from_fn(|| reader.read_frame().transpose()).collect()
//! }
//!
//! # #[cfg(target_os = "linux")]
//! assert_eq!(run("message")?, ["hello", "world"]);
//! assert_eq!(run("lp32le")?, ["hello", "world"]);
//! assert_eq!(run("lines")?, ["hello", "world"]);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::str::FromStr;

use bytes::Bytes;

use crate::codec::{FRAMING_NAMES, FrameDecoder, FrameEncoder, Framing};
#[cfg(unix)]
use crate::message::{PacketReader, PacketWriter, SeqpacketStream};
use crate::sync::{FrameReader, FrameStream, FrameWriter};

/// Reads whole frames, whatever the framing.
pub trait ReadFrame {
    /// The next frame; `Ok(None)` at a clean end of stream.
    fn read_frame(&mut self) -> io::Result<Option<Bytes>>;
}

/// Writes whole frames, whatever the framing.
pub trait WriteFrame {
    /// Writes (or queues) one frame. A frame the mode cannot carry is an
    /// [`io::ErrorKind::InvalidInput`] error and nothing is written.
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()>;

    /// Sends queued frames (codec framing batches small frames; message mode sends each frame
    /// at once, so this does nothing there).
    fn flush(&mut self) -> io::Result<()>;

    /// Flushes, then ends the stream for the peer, which reads a clean end of stream once it
    /// has read every frame: a socket is shut down for writing (it stays open for reading, so
    /// a duplex connection's other direction goes on), a pipe or FIFO end is closed. After
    /// `close`, [`write_frame`](Self::write_frame) fails with [`io::ErrorKind::BrokenPipe`] on
    /// the writers [`Mode::writer`] builds; `close` again does nothing there.
    ///
    /// What each implementor can do from `&mut self`:
    /// - the writers of [`Mode::writer`]: everything above, whatever the transport;
    /// - `SeqpacketStream`: shuts the socket down for writing;
    /// - [`FrameWriter`] and [`FrameStream`] only flush (frames and the inner writer): a
    ///   generic inner writer cannot be ended through a reference. End it yourself after
    ///   [`FrameWriter::finish`] (drop a pipe end, shut a socket down), or build the writer
    ///   with [`Mode::writer`];
    /// - `PacketWriter` sends every frame at once, so there is nothing to flush, and its pipe
    ///   end closes only when it is dropped: drop it, or use [`Mode::writer`].
    fn close(&mut self) -> io::Result<()>;
}

/// A byte stream whose writing direction can be ended while it stays open for reading: a
/// socket (`shutdown(SHUT_WR)`). [`WriteTransport::socket`] takes one, so that
/// [`WriteFrame::close`] ends the stream for the peer even while another handle to the same
/// socket (the reading half of a duplex connection) is still open.
pub trait ShutdownWrite: Write {
    /// Shuts the writing direction down; the peer reads end of stream after the last byte.
    fn shutdown_write(&self) -> io::Result<()>;
}

impl ShutdownWrite for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}
#[cfg(unix)]
impl ShutdownWrite for UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}
#[cfg(unix)]
impl ShutdownWrite for crate::named::PipeStream {
    fn shutdown_write(&self) -> io::Result<()> {
        crate::named::PipeStream::shutdown_write(self)
    }
}

/// `&mut T` and `Box<T>` read and write frames like the `T` they point to.
macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: ReadFrame + ?Sized> ReadFrame for $ptr {
            fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
                (**self).read_frame()
            }
        }
        impl<T: WriteFrame + ?Sized> WriteFrame for $ptr {
            fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
                (**self).write_frame(payload)
            }
            fn flush(&mut self) -> io::Result<()> {
                (**self).flush()
            }
            fn close(&mut self) -> io::Result<()> {
                (**self).close()
            }
        }
    )*};
}
forward!(&mut T, Box<T>);

impl<R: Read, D: FrameDecoder> ReadFrame for FrameReader<R, D> {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        FrameReader::read_frame(self)
    }
}
impl<W: Write, E: FrameEncoder> WriteFrame for FrameWriter<W, E> {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        FrameWriter::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        FrameWriter::flush(self)
    }
    /// Only flushes: see [`WriteFrame::close`].
    fn close(&mut self) -> io::Result<()> {
        FrameWriter::flush(self)
    }
}
impl<R: Read, W: Write, C: FrameDecoder + FrameEncoder + Clone> ReadFrame for FrameStream<R, W, C> {
    /// Flushes queued frames first, like [`FrameStream::read_frame`].
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        FrameStream::read_frame(self)
    }
}
impl<R: Read, W: Write, C: FrameDecoder + FrameEncoder + Clone> WriteFrame
    for FrameStream<R, W, C>
{
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        FrameStream::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        FrameStream::flush(self)
    }
    /// Only flushes: see [`WriteFrame::close`].
    fn close(&mut self) -> io::Result<()> {
        FrameStream::flush(self)
    }
}

#[cfg(windows)]
impl ReadFrame for crate::message::MessagePipe {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        crate::message::MessagePipe::read_frame(self)
    }
}
#[cfg(windows)]
impl WriteFrame for crate::message::MessagePipe {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        crate::message::MessagePipe::write_frame(self, payload)
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
#[cfg(unix)]
impl ReadFrame for SeqpacketStream {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        SeqpacketStream::read_frame(self)
    }
}
#[cfg(unix)]
impl WriteFrame for SeqpacketStream {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        SeqpacketStream::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Shuts the socket down for writing.
    fn close(&mut self) -> io::Result<()> {
        self.shutdown_write()
    }
}
#[cfg(unix)]
impl ReadFrame for PacketReader {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        PacketReader::read_frame(self)
    }
}
#[cfg(unix)]
impl WriteFrame for PacketWriter {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        PacketWriter::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Does nothing: every frame is already sent, and the pipe end closes when dropped (see
    /// [`WriteFrame::close`]).
    fn close(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that owns its transport, so that [`WriteFrame::close`] can end it: `end` flushes
/// and ends the stream, consuming the writer.
struct Closing<W> {
    inner: Option<W>,
    end: fn(W) -> io::Result<()>,
}

impl<W: WriteFrame> Closing<W> {
    fn boxed(inner: W, end: fn(W) -> io::Result<()>) -> Box<Closing<W>> {
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

/// How frames are marked: a byte codec, or the transport's own messages.
///
/// Parses from the [`Framing`] names (`lines`, `lp32le`, `lsp`, ...) and `message`;
/// `Display` prints the canonical name back.
///
/// ```
/// use pipeframe::frame_io::Mode;
/// assert_eq!("message".parse::<Mode>().unwrap(), Mode::Message);
/// assert_eq!("lp32le".parse::<Mode>().unwrap().to_string(), "lp32le");
/// assert!("messages".parse::<Mode>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A byte codec over a byte stream (pipe, FIFO, stream socket, TCP, stdin/stdout).
    Codec(Framing),
    /// Native message mode: each transport message is one frame (seqpacket socket, packet
    /// pipe); no codec bytes.
    Message,
}

impl Mode {
    /// Whether this is native message mode.
    pub fn is_message(&self) -> bool {
        matches!(self, Mode::Message)
    }

    /// A frame reader for `transport` in this mode. A codec on a message transport, or
    /// `message` on a byte stream, is an [`io::ErrorKind::InvalidInput`] error naming both.
    pub fn reader(&self, transport: ReadTransport) -> io::Result<Box<dyn ReadFrame + Send>> {
        match (self, transport) {
            (Mode::Codec(f), ReadTransport::Bytes(r)) => {
                Ok(Box::new(FrameReader::new(r, f.clone())))
            }
            #[cfg(unix)]
            (Mode::Message, ReadTransport::Seqpacket(s)) => Ok(Box::new(s)),
            #[cfg(unix)]
            (Mode::Message, ReadTransport::PacketPipe(p)) => Ok(Box::new(p)),
            #[cfg(windows)]
            (Mode::Message, ReadTransport::MessagePipe(p)) => Ok(Box::new(p)),
            (mode, t) => Err(mismatch(mode, t.kind())),
        }
    }

    /// A frame writer for `transport` in this mode. A codec on a message transport, or
    /// `message` on a byte stream, is an [`io::ErrorKind::InvalidInput`] error naming both.
    ///
    /// The writer owns the transport, and its [`close`](WriteFrame::close) ends the stream
    /// for the peer: it closes a [`bytes`](WriteTransport::bytes) stream's writer (a pipe end
    /// or FIFO closes; stdout stays open), shuts a [`socket`](WriteTransport::socket) or a
    /// seqpacket socket down for writing, and closes a packet pipe's write end.
    pub fn writer(&self, transport: WriteTransport) -> io::Result<Box<dyn WriteFrame + Send>> {
        match (self, transport) {
            (Mode::Codec(f), WriteTransport::Bytes(w)) => {
                Ok(Closing::boxed(FrameWriter::new(w, f.clone()), |w| {
                    w.finish().map(drop)
                }))
            }
            (Mode::Codec(f), WriteTransport::Socket(s)) => {
                Ok(Closing::boxed(FrameWriter::new(s, f.clone()), |w| {
                    w.finish()?.shutdown_write()
                }))
            }
            #[cfg(unix)]
            (Mode::Message, WriteTransport::Seqpacket(s)) => {
                Ok(Closing::boxed(s, |s| s.shutdown_write()))
            }
            #[cfg(unix)]
            (Mode::Message, WriteTransport::PacketPipe(p)) => Ok(Closing::boxed(p, |p| {
                drop(p);
                Ok(())
            })),
            #[cfg(windows)]
            (Mode::Message, WriteTransport::MessagePipe(p)) => Ok(Closing::boxed(p, |p| {
                drop(p);
                Ok(())
            })),
            (mode, t) => Err(mismatch(mode, t.kind())),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Bytes,
    #[cfg(unix)]
    Seqpacket,
    #[cfg(unix)]
    PacketPipe,
    #[cfg(windows)]
    MessagePipe,
}

fn mismatch(mode: &Mode, kind: Kind) -> io::Error {
    let msg = match (mode, kind) {
        (Mode::Message, _) => "framing mode \"message\" needs a message transport (a seqpacket \
             socket or a packet pipe), but this is a byte stream; use a codec such as lines or \
             lp32le on byte streams"
            .to_owned(),
        (Mode::Codec(f), k) => format!(
            "framing mode \"{f}\" is a byte codec, but a {} carries whole messages; use mode \
             \"message\" on it",
            match k {
                #[cfg(unix)]
                Kind::PacketPipe => "packet pipe",
                #[cfg(windows)]
                Kind::MessagePipe => "message-mode named pipe",
                _ => "seqpacket socket",
            }
        ),
    };
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl From<Framing> for Mode {
    fn from(f: Framing) -> Self {
        Mode::Codec(f)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Codec(c) => c.fmt(f),
            Mode::Message => f.write_str("message"),
        }
    }
}

/// A name that [`Mode`] does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseModeError {
    name: String,
}

impl fmt::Display for ParseModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown framing mode {:?} (expected message or one of: {})",
            self.name,
            FRAMING_NAMES.join(", ")
        )
    }
}

impl std::error::Error for ParseModeError {}

impl FromStr for Mode {
    type Err = ParseModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "message" {
            return Ok(Mode::Message);
        }
        s.parse()
            .map(Mode::Codec)
            .map_err(|_| ParseModeError { name: s.to_owned() })
    }
}

/// What a frame reader reads from: a byte stream (needs a codec) or a message transport.
pub enum ReadTransport {
    /// A byte stream: pipe end, FIFO, stream socket, TCP, stdin.
    Bytes(Box<dyn Read + Send>),
    #[cfg(unix)]
    /// A seqpacket socket (message mode).
    Seqpacket(SeqpacketStream),
    #[cfg(unix)]
    /// The read end of a packet pipe (message mode).
    PacketPipe(PacketReader),
    #[cfg(windows)]
    /// A message-mode named pipe (message mode).
    MessagePipe(crate::message::MessagePipe),
}

impl ReadTransport {
    /// A byte stream.
    pub fn bytes(r: impl Read + Send + 'static) -> Self {
        ReadTransport::Bytes(Box::new(r))
    }

    fn kind(&self) -> Kind {
        match self {
            ReadTransport::Bytes(_) => Kind::Bytes,
            #[cfg(unix)]
            ReadTransport::Seqpacket(_) => Kind::Seqpacket,
            #[cfg(unix)]
            ReadTransport::PacketPipe(_) => Kind::PacketPipe,
            #[cfg(windows)]
            ReadTransport::MessagePipe(_) => Kind::MessagePipe,
        }
    }
}

/// What a frame writer writes to: a byte stream (needs a codec) or a message transport.
pub enum WriteTransport {
    /// A byte stream that ends when its writer is dropped: pipe end, FIFO, file, stdout.
    Bytes(Box<dyn Write + Send>),
    /// A byte stream socket, shut down for writing to end the stream: a stream socket, TCP,
    /// a named pipe connection (see [`ShutdownWrite`]).
    Socket(Box<dyn ShutdownWrite + Send>),
    #[cfg(unix)]
    /// A seqpacket socket (message mode).
    Seqpacket(SeqpacketStream),
    #[cfg(unix)]
    /// The write end of a packet pipe (message mode).
    PacketPipe(PacketWriter),
    #[cfg(windows)]
    /// A message-mode named pipe (message mode).
    MessagePipe(crate::message::MessagePipe),
}

impl WriteTransport {
    /// A byte stream.
    pub fn bytes(w: impl Write + Send + 'static) -> Self {
        WriteTransport::Bytes(Box::new(w))
    }

    /// A byte stream socket: [`WriteFrame::close`] shuts it down for writing.
    pub fn socket(s: impl ShutdownWrite + Send + 'static) -> Self {
        WriteTransport::Socket(Box::new(s))
    }

    fn kind(&self) -> Kind {
        match self {
            WriteTransport::Bytes(_) | WriteTransport::Socket(_) => Kind::Bytes,
            #[cfg(unix)]
            WriteTransport::Seqpacket(_) => Kind::Seqpacket,
            #[cfg(unix)]
            WriteTransport::PacketPipe(_) => Kind::PacketPipe,
            #[cfg(windows)]
            WriteTransport::MessagePipe(_) => Kind::MessagePipe,
        }
    }
}

#[cfg(unix)]
impl From<SeqpacketStream> for ReadTransport {
    fn from(s: SeqpacketStream) -> Self {
        ReadTransport::Seqpacket(s)
    }
}
#[cfg(unix)]
impl From<PacketReader> for ReadTransport {
    fn from(p: PacketReader) -> Self {
        ReadTransport::PacketPipe(p)
    }
}
#[cfg(unix)]
impl From<SeqpacketStream> for WriteTransport {
    fn from(s: SeqpacketStream) -> Self {
        WriteTransport::Seqpacket(s)
    }
}
#[cfg(unix)]
impl From<PacketWriter> for WriteTransport {
    fn from(p: PacketWriter) -> Self {
        WriteTransport::PacketPipe(p)
    }
}

impl fmt::Debug for ReadTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadTransport::Bytes(_) => f.write_str("Bytes(..)"),
            #[cfg(unix)]
            ReadTransport::Seqpacket(s) => f.debug_tuple("Seqpacket").field(s).finish(),
            #[cfg(unix)]
            ReadTransport::PacketPipe(p) => f.debug_tuple("PacketPipe").field(p).finish(),
            #[cfg(windows)]
            ReadTransport::MessagePipe(p) => f.debug_tuple("MessagePipe").field(p).finish(),
        }
    }
}
impl fmt::Debug for WriteTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteTransport::Bytes(_) => f.write_str("Bytes(..)"),
            WriteTransport::Socket(_) => f.write_str("Socket(..)"),
            #[cfg(unix)]
            WriteTransport::Seqpacket(s) => f.debug_tuple("Seqpacket").field(s).finish(),
            #[cfg(unix)]
            WriteTransport::PacketPipe(p) => f.debug_tuple("PacketPipe").field(p).finish(),
            #[cfg(windows)]
            WriteTransport::MessagePipe(p) => f.debug_tuple("MessagePipe").field(p).finish(),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

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

#[cfg(windows)]
impl From<crate::message::MessagePipe> for ReadTransport {
    fn from(p: crate::message::MessagePipe) -> Self {
        ReadTransport::MessagePipe(p)
    }
}
#[cfg(windows)]
impl From<crate::message::MessagePipe> for WriteTransport {
    fn from(p: crate::message::MessagePipe) -> Self {
        WriteTransport::MessagePipe(p)
    }
}
