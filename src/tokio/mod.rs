//! The tokio flavour (feature `tokio`).
//!
//! * Every codec ([`LengthPrefixed`](crate::codec::LengthPrefixed),
//!   [`Delimited`](crate::codec::Delimited), [`ContentLength`](crate::codec::ContentLength),
//!   [`Netstring`](crate::codec::Netstring), [`Framing`](crate::codec::Framing)) implements
//!   tokio-util's [`Decoder`](tokio_util::codec::Decoder) (`Item = Bytes`) and
//!   [`Encoder`](tokio_util::codec::Encoder) for `Bytes`, `&[u8]` and `Vec<u8>`, so
//!   `FramedRead`, `FramedWrite` and `Framed` work on any tokio `AsyncRead`/`AsyncWrite`.
//!   [`Text`] wraps a codec for `String` frames. `decode_eof` follows SPEC.md: a clean end is
//!   `None`, an end inside a frame is [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof)
//!   saying how much was missing. Errors are `io::Error`s.
//! * [`AsyncFrameReader`] and [`AsyncFrameWriter`] run on the same private buffering engine
//!   as the blocking flavour and the futures-io one (they are the runtime-generic types of
//!   [`rt`](crate::rt) on tokio): borrowed frames
//!   (`read_frame_ref().await`), large payloads written beside their header with
//!   `poll_write_vectored` (not copied), a documented high-water mark. They are also a
//!   `Stream` and a `Sink`.
//!
//! # Cancellation safety
//!
//! With the codec impls, tokio-util's `FramedRead`/`Framed` keep the read buffer and the
//! decoder state in the `Framed` value, so dropping a `next()` future loses nothing: the next
//! call returns the whole frame. A frame given to `FramedWrite` with `start_send` is in its
//! buffer and goes out on the next flush. The engine-based types document their own
//! cancellation safety ([`AsyncFrameReader`], [`AsyncFrameWriter`]).
//!
//! ```
//! use futures_lite::StreamExt;
//! use pipeframe::codec::LengthPrefixed;
//! use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
//! use tokio_util::codec::FramedRead;
//!
//! futures_lite::future::block_on(async {
//!     let (rx, tx) = tokio::io::duplex(64); // any tokio AsyncRead / AsyncWrite
//!     let write = async move {
//!         let mut w = AsyncFrameWriter::new(tx, LengthPrefixed::u32_le());
//!         w.write_frame(b"hello").await?;
//!         w.write_frame(b"world").await?;
//!         w.close().await // flush, then shut down: the reader sees a clean end
//!     };
//!     let read = async move {
//!         let mut frames = FramedRead::new(rx, LengthPrefixed::u32_le());
//!         let mut got = Vec::new();
//!         while let Some(frame) = frames.next().await {
//!             got.push(frame?);
//!         }
//!         Ok::<_, std::io::Error>(got)
//!     };
//!     let (written, got) = futures_lite::future::zip(write, read).await;
//!     written?;
//!     assert_eq!(got?, [&b"hello"[..], &b"world"[..]]);
//!
//!     // The engine-based reader lends frames out of its buffer:
//!     let mut r = AsyncFrameReader::new(&b"\x02\0\0\0hi"[..], LengthPrefixed::u32_le());
//!     assert_eq!(r.read_frame_ref().await?, Some(&b"hi"[..]));
//!     assert_eq!(r.read_frame_ref().await?, None);
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod codec;

pub use codec::{Codec, Text};

/// Reads frames from a tokio [`AsyncRead`](::tokio::io::AsyncRead): the runtime-generic
/// [`rt::AsyncFrameReader`](crate::rt::AsyncFrameReader) on tokio. See its docs.
pub type AsyncFrameReader<R, D> = crate::rt::AsyncFrameReader<R, D, crate::rt::Tokio>;

/// Writes frames to a tokio [`AsyncWrite`](::tokio::io::AsyncWrite): the runtime-generic
/// [`rt::AsyncFrameWriter`](crate::rt::AsyncFrameWriter) on tokio. See its docs.
pub type AsyncFrameWriter<W, E> = crate::rt::AsyncFrameWriter<W, E, crate::rt::Tokio>;

/// The future of [`AsyncFrameWriter::write_frame`] on tokio.
pub type WriteFrameFuture<'a, W, E> = crate::rt::WriteFrameFuture<'a, W, E, crate::rt::Tokio>;

/// The future of [`AsyncFrameWriter::write_frames`] on tokio.
pub type WriteFramesFuture<'a, W, E, I> =
    crate::rt::WriteFramesFuture<'a, W, E, crate::rt::Tokio, I>;
