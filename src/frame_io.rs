//! The frame-level API every framing mode shares, and the mode chosen by name.
//!
//! Codec framing ([`FrameReader`] / [`FrameWriter`] over a byte stream) and native message
//! mode ([`SeqpacketStream`], [`packet_pipe`](crate::message::packet_pipe)) both read and
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
//!         let (a, b) = pipeframe::message::SeqpacketStream::pair()?;
//!         (ReadTransport::from(a), WriteTransport::from(b))
//!     } else {
//!         let (r, w) = std::io::pipe()?;
//!         (ReadTransport::bytes(r), WriteTransport::bytes(w))
//!     };
//!     let mut writer = mode.writer(write)?;
//!     writer.write_frame(b"hello")?;
//!     writer.write_frame(b"world")?;
//!     writer.flush()?;
//!     drop(writer); // closes the transport: the reader sees the end
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
}

impl<T: ReadFrame + ?Sized> ReadFrame for &mut T {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        (**self).read_frame()
    }
}
impl<T: ReadFrame + ?Sized> ReadFrame for Box<T> {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        (**self).read_frame()
    }
}
impl<T: WriteFrame + ?Sized> WriteFrame for &mut T {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        (**self).write_frame(payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
}
impl<T: WriteFrame + ?Sized> WriteFrame for Box<T> {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        (**self).write_frame(payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
}

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
            (mode, t) => Err(mismatch(mode, t.kind())),
        }
    }

    /// A frame writer for `transport` in this mode. A codec on a message transport, or
    /// `message` on a byte stream, is an [`io::ErrorKind::InvalidInput`] error naming both.
    pub fn writer(&self, transport: WriteTransport) -> io::Result<Box<dyn WriteFrame + Send>> {
        match (self, transport) {
            (Mode::Codec(f), WriteTransport::Bytes(w)) => {
                Ok(Box::new(FrameWriter::new(w, f.clone())))
            }
            #[cfg(unix)]
            (Mode::Message, WriteTransport::Seqpacket(s)) => Ok(Box::new(s)),
            #[cfg(unix)]
            (Mode::Message, WriteTransport::PacketPipe(p)) => Ok(Box::new(p)),
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
        }
    }
}

/// What a frame writer writes to: a byte stream (needs a codec) or a message transport.
pub enum WriteTransport {
    /// A byte stream: pipe end, FIFO, stream socket, TCP, stdout.
    Bytes(Box<dyn Write + Send>),
    #[cfg(unix)]
    /// A seqpacket socket (message mode).
    Seqpacket(SeqpacketStream),
    #[cfg(unix)]
    /// The write end of a packet pipe (message mode).
    PacketPipe(PacketWriter),
}

impl WriteTransport {
    /// A byte stream.
    pub fn bytes(w: impl Write + Send + 'static) -> Self {
        WriteTransport::Bytes(Box::new(w))
    }

    fn kind(&self) -> Kind {
        match self {
            WriteTransport::Bytes(_) => Kind::Bytes,
            #[cfg(unix)]
            WriteTransport::Seqpacket(_) => Kind::Seqpacket,
            #[cfg(unix)]
            WriteTransport::PacketPipe(_) => Kind::PacketPipe,
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
        }
    }
}
impl fmt::Debug for WriteTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteTransport::Bytes(_) => f.write_str("Bytes(..)"),
            #[cfg(unix)]
            WriteTransport::Seqpacket(s) => f.debug_tuple("Seqpacket").field(s).finish(),
            #[cfg(unix)]
            WriteTransport::PacketPipe(p) => f.debug_tuple("PacketPipe").field(p).finish(),
        }
    }
}
