//! The blocking flavour: framed reading and writing over any [`std::io::Read`] and
//! [`std::io::Write`]: `std::io::pipe()` ends, `UnixStream`, `TcpStream`, `File`, stdin/stdout.
//!
//! * [`FrameReader`]: [`read_frame`](FrameReader::read_frame) returns owned [`bytes::Bytes`]
//!   split off the read buffer; [`read_frame_ref`](FrameReader::read_frame_ref) borrows the
//!   frame instead (no refcount per frame); it is also an [`Iterator`].
//! * [`FrameWriter`]: small frames are batched until [`flush`](FrameWriter::flush) or the
//!   high-water mark; large payloads go out beside their header in one vectored write.
//! * [`FrameStream`]: both over one duplex stream (a socket).
//!
//! ```
//! use pipeframe::codec::LengthPrefixed;
//! use pipeframe::sync::{FrameReader, FrameWriter};
//!
//! let (rx, tx) = std::io::pipe()?;
//! let writer = std::thread::spawn(move || -> std::io::Result<()> {
//!     let mut w = FrameWriter::new(tx, LengthPrefixed::u32_le());
//!     w.write_frame(b"hello")?;
//!     w.write_frame(b"")?;
//!     w.finish()?; // flushes; dropping the pipe end then closes it
//!     Ok(())
//! });
//! let mut r = FrameReader::new(rx, LengthPrefixed::u32_le());
//! assert_eq!(r.read_frame_ref()?, Some(&b"hello"[..]));
//! assert_eq!(r.read_frame()?.as_deref(), Some(&b""[..]));
//! assert_eq!(r.read_frame()?, None); // the writer closed at a frame boundary
//! writer.join().unwrap()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod reader;
mod stream;
mod writer;

pub use reader::FrameReader;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) use reader::reader_accessors;
pub use stream::FrameStream;
pub use writer::FrameWriter;
