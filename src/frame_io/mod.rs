//! The frame-level API every framing mode shares, and the mode chosen by name.
//!
//! Codec framing ([`FrameReader`](crate::sync::FrameReader) / [`FrameWriter`](crate::sync::FrameWriter) over a byte stream) and native message
//! mode (`SeqpacketStream`, `packet_pipe` on Unix, a Windows message pipe) both read and
//! write whole frames. [`ReadFrame`] and [`WriteFrame`] are that common ground, so application
//! code can hold a `Box<dyn ReadFrame>` and not care which mode a configuration picked.
//! [`Mode`] is that configuration: the codec names [`Framing`](crate::codec::Framing) parses (`lines`, `lp32le`, ...)
//! plus `message`; [`Mode::reader`] and [`Mode::writer`] build the endpoint, and refuse a
//! mode that does not fit the transport (a codec on a message transport, `message` on a byte
//! stream) right there, with an [`io::ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput) error, never in the middle of
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

mod mode;
mod traits;
mod transport;

pub use mode::{Mode, ParseModeError};
pub use traits::{ReadFrame, ShutdownWrite, WriteFrame};
pub use transport::{ReadTransport, WriteTransport};
