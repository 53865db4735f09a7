//! [`Mode`]: the framing chosen by name, and the readers and writers it builds.

use std::fmt;
use std::io;
use std::str::FromStr;

use crate::codec::{FRAMING_NAMES, Framing};
use crate::sync::{FrameReader, FrameWriter};

use super::transport::{Closing, Reads, Writes};
use super::{ReadFrame, ReadTransport, WriteFrame, WriteTransport};

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
    /// pipe, Windows message-mode pipe); no codec bytes.
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
        match (self, transport.0) {
            (Mode::Codec(f), Reads::Bytes(r)) => Ok(Box::new(FrameReader::new(r, f.clone()))),
            (Mode::Message, Reads::Messages(m, _)) => Ok(m),
            (mode, Reads::Bytes(_)) => Err(mismatch(mode, None)),
            (mode, Reads::Messages(_, what)) => Err(mismatch(mode, Some(what))),
        }
    }

    /// A frame writer for `transport` in this mode. A codec on a message transport, or
    /// `message` on a byte stream, is an [`io::ErrorKind::InvalidInput`] error naming both.
    ///
    /// The writer owns the transport, and its [`close`](WriteFrame::close) ends the stream
    /// for the peer: it closes a [`bytes`](WriteTransport::bytes) stream's writer (a pipe end
    /// or FIFO closes; stdout stays open), shuts a [`socket`](WriteTransport::socket) or a
    /// seqpacket socket down for writing, and closes a packet pipe's write end or a message
    /// pipe's handle.
    pub fn writer(&self, transport: WriteTransport) -> io::Result<Box<dyn WriteFrame + Send>> {
        match (self, transport.0) {
            (Mode::Codec(f), Writes::Bytes(w)) => {
                Ok(Closing::boxed(FrameWriter::new(w, f.clone()), |w| {
                    w.finish().map(drop)
                }))
            }
            (Mode::Codec(f), Writes::Socket(s)) => {
                Ok(Closing::boxed(FrameWriter::new(s, f.clone()), |w| {
                    w.finish()?.shutdown_write()
                }))
            }
            // The transport's own close, then its handle is dropped (a packet pipe's or a
            // message pipe's end closes only then).
            (Mode::Message, Writes::Messages(m, _)) => Ok(Closing::boxed(m, |mut m| m.close())),
            (mode, Writes::Bytes(_) | Writes::Socket(_)) => Err(mismatch(mode, None)),
            (mode, Writes::Messages(_, what)) => Err(mismatch(mode, Some(what))),
        }
    }
}

/// The error for `mode` on a transport that does not fit it: a byte stream (`None`), or the
/// message transport `what`.
fn mismatch(mode: &Mode, what: Option<&str>) -> io::Error {
    let msg = match (mode, what) {
        (Mode::Message, _) => "framing mode \"message\" needs a message transport (a seqpacket \
             socket, a packet pipe or a message-mode named pipe), but this is a byte stream; use \
             a codec such as lines or lp32le on byte streams"
            .to_owned(),
        (Mode::Codec(f), what) => format!(
            "framing mode \"{f}\" is a byte codec, but a {} carries whole messages; use mode \
             \"message\" on it",
            what.unwrap_or("message transport")
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
