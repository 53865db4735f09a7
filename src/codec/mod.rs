//! The codec core: bytes in, frames out; frames in, bytes out. No I/O, no runtime.
//!
//! Every codec implements two traits:
//!
//! * [`FrameDecoder`]: given the bytes buffered so far, [`step`](FrameDecoder::step) says how
//!   many of them to consume and which of them, if any, form the next frame's payload. It never
//!   copies and never allocates in proportion to a length a header claims. The provided
//!   [`decode_frame`](FrameDecoder::decode_frame) turns that into the familiar
//!   `BytesMut -> Option<Bytes>` shape (`Ok(None)`: need more bytes; never an error).
//! * [`FrameEncoder`]: [`encode_parts`](FrameEncoder::encode_parts) checks a payload and returns
//!   the bytes that go before and after it ([`Parts`]), so a writer can send header, payload and
//!   trailer with one vectored write; [`encode_frame`](FrameEncoder::encode_frame) appends all three to a
//!   buffer.
//!
//! | codec | wire form | SPEC.md |
//! | --- | --- | --- |
//! | [`LengthPrefixed`] | `len` (1/2/4/8 bytes, either endian, or varint) then payload | §2, §3 |
//! | [`Delimited`] | payload then a delimiter byte (`\n`, `\r\n`, NUL, ...) | §4 |
//! | [`DotnetLines`] | payload then `\n`, `\r\n` or `\r`; a leading BOM dropped (.NET `ReadLine`) | §4a |
//! | [`ContentLength`] | `Content-Length: N\r\n` headers, `\r\n`, payload (LSP) | §5 |
//! | [`Netstring`] | `N:` payload `,` | §6 |
//! | [`Framing`] | any of the above, chosen at run time (`"lp32le"`, `"lines"`, ...) | §1 |
//!
//! # Writing a codec
//!
//! A codec of your own is two small traits, and then it works everywhere the built-in codecs
//! do: in [`FrameReader`](crate::sync::FrameReader)/[`FrameWriter`](crate::sync::FrameWriter),
//! in the async readers and writers of `tokio` and `futures_io`, and in tokio-util's
//! `FramedRead`/`FramedWrite`/`Framed` through the generic adapter `pipeframe::tokio::Codec`.
//!
//! ## The `Step` contract
//!
//! [`FrameDecoder::step`] is handed every byte received and not yet consumed, and answers with
//! a [`Step`] (or an error). It does not own or change the buffer: the reader applies the step.
//!
//! * **`consumed`** is how many leading bytes the reader drops after this step. It never exceeds
//!   `buf.len()`. The next call gets the bytes after them, followed by whatever arrived since.
//! * **The payload range** (of [`Step::frame`]) is where the frame's payload lies, relative to
//!   the start of `buf`: `start <= end <= consumed`. Header and trailer are the consumed bytes
//!   outside it. The range is lent out (or split off without a copy), never copied.
//! * **[`Step::NEED_MORE`]**: the buffered bytes do not yet hold a whole frame. Consume nothing;
//!   the reader reads more and calls again with the same bytes plus the new ones. Do not count
//!   on how many new bytes arrive: one byte per call is legal. A decoder may remember where it
//!   had got to (a delimiter search offset), because the bytes it has seen come back unchanged.
//! * **[`Step::skip`]**: consume bytes without a frame (a keepalive, a padding byte, an overlong
//!   frame being discarded). The reader drops them and calls again at once.
//! * **An error** consumes nothing. If it is not [recoverable](DecodeError::is_recoverable), the
//!   reader fails the stream for good (a [`StreamFailed`] on every later read); a recoverable
//!   error is returned once and the next read calls `step` again, so the decoder must already
//!   have arranged to get past the bad bytes (e.g. by skipping them on the next call).
//! * A frame step must consume at least one byte: a frame that consumes nothing would be
//!   returned again and again.
//!
//! A step that breaks these rules is a bug in the decoder; the reader does not trust it. It
//! answers with [`DecodeError::BadStep`] (fatal) naming the step and the buffer length, and
//! never reads outside the buffer or panics.
//!
//! [`step_eof`](FrameDecoder::step_eof) is called instead of `step` once the stream has ended.
//! Its default calls `step`, and turns a `NEED_MORE` over a non-empty buffer into
//! [`DecodeError::Truncated`]; an empty buffer is the clean end. That is right for any codec
//! whose frames have an explicit end; override it to report how many bytes were missing, or to
//! accept an unterminated last frame.
//!
//! ## A complete example
//!
//! Frames of a 2-byte big-endian length, a 1-byte message type, then `length` bytes of body.
//! The frame a reader returns is the type byte followed by the body (the payload range starts
//! after the length); message type 0 is a keepalive that the decoder skips.
//!
//! ```
//! use pipeframe::codec::{DecodeError, EncodeError, FrameDecoder, FrameEncoder, Parts, Step};
//!
//! #[derive(Debug, Default)]
//! pub struct Typed;
//!
//! impl FrameDecoder for Typed {
//!     fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
//!         let [hi, lo, kind, ..] = *buf else {
//!             return Ok(Step::NEED_MORE); // the 3-byte header is not complete
//!         };
//!         let total = 3 + u16::from_be_bytes([hi, lo]) as usize;
//!         if buf.len() < total {
//!             return Ok(Step::NEED_MORE); // the body is not complete
//!         }
//!         if kind == 0 {
//!             return Ok(Step::skip(total)); // a keepalive: drop it, no frame
//!         }
//!         Ok(Step::frame(total, 2..total)) // type byte + body
//!     }
//!
//!     // `step_eof` keeps its default: an end between frames is clean, inside one `Truncated`.
//!
//!     fn reset(&mut self) {} // no state
//! }
//!
//! impl FrameEncoder for Typed {
//!     /// `payload` is the type byte followed by the body.
//!     fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
//!         if payload.is_empty() {
//!             return Err(EncodeError::Custom { code: 1, msg: "a frame needs a message type byte" });
//!         }
//!         let body = payload.len() - 1;
//!         let len = u16::try_from(body)
//!             .map_err(|_| EncodeError::FrameTooLong { len: body, max: u16::MAX as u64 })?;
//!         Parts::new(&len.to_be_bytes(), &[])
//!     }
//! }
//!
//! // Blocking: FrameWriter and FrameReader take the codec like any built-in one.
//! use pipeframe::sync::{FrameReader, FrameWriter};
//!
//! let mut wire = Vec::new();
//! let mut w = FrameWriter::new(&mut wire, Typed);
//! w.write_frame(b"\x01hello")?;
//! w.flush()?;
//! drop(w);
//! wire.extend_from_slice(b"\x00\x00\x00"); // a keepalive
//! wire.extend_from_slice(b"\x00\x01\x02x"); // type 2, body "x"
//! assert_eq!(&wire[..8], b"\x00\x05\x01hello");
//!
//! let mut r = FrameReader::new(&wire[..], Typed);
//! assert_eq!(r.read_frame_ref()?, Some(&b"\x01hello"[..]));
//! assert_eq!(r.read_frame_ref()?, Some(&b"\x02x"[..])); // the keepalive was skipped
//! assert_eq!(r.read_frame_ref()?, None); // clean end
//!
//! // The stream ends inside a frame: the default `step_eof` says `Truncated`.
//! let mut r = FrameReader::new(&b"\x00\x05\x01ab"[..], Typed);
//! let e = r.read_frame().unwrap_err();
//! assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
//! assert!(matches!(DecodeError::from_io(&e), Some(DecodeError::Truncated { buffered: 5, .. })));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The same codec in the async flavours, and in tokio-util's `Framed` through
//! `pipeframe::tokio::Codec` (features `tokio` and `futures-io`):
//!
//! ```
//! # use pipeframe::codec::{DecodeError, EncodeError, FrameDecoder, FrameEncoder, Parts, Step};
//! # #[derive(Debug, Default)]
//! # pub struct Typed;
//! # impl FrameDecoder for Typed {
//! #     fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
//! #         let [hi, lo, kind, ..] = *buf else { return Ok(Step::NEED_MORE) };
//! #         let total = 3 + u16::from_be_bytes([hi, lo]) as usize;
//! #         if buf.len() < total { return Ok(Step::NEED_MORE) }
//! #         if kind == 0 { return Ok(Step::skip(total)) }
//! #         Ok(Step::frame(total, 2..total))
//! #     }
//! #     fn reset(&mut self) {}
//! # }
//! # impl FrameEncoder for Typed {
//! #     fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
//! #         if payload.is_empty() {
//! #             return Err(EncodeError::Custom { code: 1, msg: "a frame needs a message type byte" });
//! #         }
//! #         let body = payload.len() - 1;
//! #         let len = u16::try_from(body)
//! #             .map_err(|_| EncodeError::FrameTooLong { len: body, max: u16::MAX as u64 })?;
//! #         Parts::new(&len.to_be_bytes(), &[])
//! #     }
//! # }
//! # #[cfg(all(feature = "tokio", feature = "futures-io"))]
//! # fn main() -> std::io::Result<()> {
//! use bytes::Bytes;
//! use futures_lite::StreamExt;
//! use tokio_util::codec::Framed;
//! # use futures_sink::Sink;
//! # async fn send<S: Sink<Bytes, Error = std::io::Error> + Unpin>(s: &mut S, frame: Bytes) -> std::io::Result<()> {
//! #     use std::{future::poll_fn, pin::Pin};
//! #     poll_fn(|cx| Pin::new(&mut *s).poll_ready(cx)).await?;
//! #     Pin::new(&mut *s).start_send(frame)?;
//! #     poll_fn(|cx| Pin::new(&mut *s).poll_flush(cx)).await
//! # }
//!
//! let wire: &[u8] = b"\x00\x02\x01hi\x00\x00\x00\x00\x01\x02x";
//! futures_lite::future::block_on(async {
//!     // tokio: the engine-based reader, on any tokio AsyncRead.
//!     let mut r = pipeframe::tokio::AsyncFrameReader::new(wire, Typed);
//!     assert_eq!(r.read_frame_ref().await?, Some(&b"\x01hi"[..]));
//!     assert_eq!(r.read_frame_ref().await?, Some(&b"\x02x"[..]));
//!     assert_eq!(r.read_frame_ref().await?, None);
//!
//!     // futures-io (smol, async-io): the same engine.
//!     let mut r = pipeframe::futures_io::AsyncFrameReader::new(futures_lite::io::Cursor::new(wire), Typed);
//!     assert_eq!(r.read_frame().await?.as_deref(), Some(&b"\x01hi"[..]));
//!     assert_eq!(r.read_frame().await?.as_deref(), Some(&b"\x02x"[..]));
//!     assert_eq!(r.read_frame().await?, None);
//!
//!     // tokio-util Framed, both directions, through the generic adapter.
//!     let (a, b) = tokio::io::duplex(64);
//!     let mut a = Framed::new(a, pipeframe::tokio::Codec::new(Typed));
//!     let mut b = Framed::new(b, pipeframe::tokio::Codec::new(Typed));
//!     send(&mut a, Bytes::from_static(b"\x07ping")).await?; // futures::SinkExt::send
//!     assert_eq!(b.next().await.unwrap()?, &b"\x07ping"[..]);
//!     send(&mut b, Bytes::from_static(b"\x08pong")).await?;
//!     assert_eq!(a.next().await.unwrap()?, &b"\x08pong"[..]);
//!     Ok::<(), std::io::Error>(())
//! })
//! # }
//! # #[cfg(not(all(feature = "tokio", feature = "futures-io")))]
//! # fn main() {}
//! ```
//!
//! # Errors
//!
//! Every error is a small `Copy` type. Readers and writers return `io::Error`s whose inner error
//! ([`std::io::Error::get_ref`], then `downcast_ref`) is one of these types, never a string:
//!
//! | inner error | `io::ErrorKind` | when |
//! | --- | --- | --- |
//! | [`DecodeError::Truncated`] | `UnexpectedEof` | the stream ended inside a frame |
//! | every other [`DecodeError`] | `InvalidData` | the bytes are not a valid frame |
//! | [`StreamFailed`] | the kind of the [`DecodeError`] it holds | every read after a fatal [`DecodeError`] |
//! | [`EncodeError`] | `InvalidInput` | the caller handed over a frame the format cannot carry |
//! | [`WriteError::Poisoned`] | `Other` | every write after a write error |
//! | [`WriteError::NotReady`] | `Other` | a frame pushed while a large frame is still in flight |
//! | [`WriteError::PayloadLost`] | `Other` | a large frame's write future was leaked mid-frame |
//!
//! [`DecodeError::from_io`] finds the `DecodeError` behind any of the first three rows.
//!
//! Why `Other` for a poisoned writer: the refusal is this crate's policy, not an OS condition.
//! `WouldBlock`, `Interrupted` and `TimedOut` would invite a retry that can never succeed.
//! `BrokenPipe` says "the reader went away", and programs often treat it as a quiet, normal end
//! (as `yes | head` does); but the write error that poisoned the writer may have been anything
//! (`ENOSPC`, a timeout, a write of 0 bytes), and reporting it as a broken pipe would hide it.
//! The first error is returned as it came; later calls say it again in
//! [`WriteError::Poisoned::cause`](WriteError::Poisoned).
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use pipeframe::codec::{FrameDecoder, FrameEncoder, LengthPrefixed};
//!
//! let mut codec = LengthPrefixed::u32_le();
//! let mut wire = BytesMut::new();
//! codec.encode_frame(b"hello", &mut wire).unwrap();
//! assert_eq!(&wire[..], b"\x05\x00\x00\x00hello");
//!
//! // Every prefix of a frame is "need more bytes".
//! let mut partial = BytesMut::from(&wire[..6]);
//! assert_eq!(codec.decode_frame(&mut partial).unwrap(), None);
//! assert_eq!(codec.decode_frame(&mut wire).unwrap().unwrap(), &b"hello"[..]);
//! ```

use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::ops::Range;

mod content_length;
mod delimited;
mod dotnet_lines;
mod framing;
mod length;
mod netstring;
mod text;

pub use crate::error::{DecodeError, EncodeError, HeaderValue, Missing, StreamFailed, WriteError};
pub use content_length::{ContentLength, DEFAULT_MAX_HEADER_LEN};
pub use delimited::Delimited;
pub use dotnet_lines::DotnetLines;
pub use framing::{FRAMING_NAMES, Framing, ParseFramingError};
pub use length::{Endian, LengthPrefixed, Prefix, Width};
pub use netstring::Netstring;
pub use text::check_utf8;

/// The default maximum payload length of every codec: 8 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

/// The longest header any codec writes: `Content-Length: ` + 20 digits + `\r\n\r\n`.
pub const MAX_HEADER_LEN: usize = 40;

/// What one decoding step found in the buffered bytes.
///
/// The caller drops the first [`consumed`](Step::consumed) bytes; if [`frame`](Step::frame) is
/// set, that range (relative to the start of the bytes passed in) is the payload of a complete
/// frame. A step that consumed bytes without a frame (a decoder skipping an overlong frame)
/// should be followed by another step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    consumed: usize,
    frame: Option<Range<usize>>,
}

impl Step {
    /// Nothing to consume yet: more bytes are needed.
    pub const NEED_MORE: Step = Step {
        consumed: 0,
        frame: None,
    };

    /// A complete frame: `consumed` bytes make up the whole frame, `payload` is its payload.
    #[inline]
    ///
    /// A range that does not lie within the consumed bytes (or a `consumed` beyond the buffer)
    /// is not caught here: the reader applying the step refuses it with
    /// [`DecodeError::BadStep`].
    pub fn frame(consumed: usize, payload: Range<usize>) -> Step {
        Step {
            consumed,
            frame: Some(payload),
        }
    }

    /// Bytes to drop without a frame (the decoder is discarding).
    #[inline]
    pub fn skip(consumed: usize) -> Step {
        Step {
            consumed,
            frame: None,
        }
    }

    /// How many leading bytes the caller drops.
    #[inline]
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The payload of a complete frame, relative to the bytes passed in, if one was found.
    #[inline]
    pub fn frame_range(&self) -> Option<Range<usize>> {
        self.frame.clone()
    }

    /// Checks the step against the `len` bytes it was computed from (see "The `Step`
    /// contract" in the [module docs](self)): `consumed <= len`, and a frame's payload
    /// `start <= end <= consumed` with `consumed > 0`. Every reader calls this before applying
    /// a step, so a buggy decoder is an error, never a read outside the buffer.
    #[inline]
    pub fn check(&self, len: usize) -> Result<(), DecodeError> {
        let ok = self.consumed <= len
            && match &self.frame {
                Some(r) => r.start <= r.end && r.end <= self.consumed && self.consumed > 0,
                None => true,
            };
        if ok {
            Ok(())
        } else {
            Err(DecodeError::BadStep {
                consumed: self.consumed,
                payload: self.frame.as_ref().map(|r| (r.start, r.end)),
                len,
            })
        }
    }
}

/// Writes `v` in decimal at the end of `out` (20 bytes hold any `u64`); returns where the
/// digits start.
fn put_decimal(mut v: u64, out: &mut [u8]) -> usize {
    let mut d = out.len();
    loop {
        d -= 1;
        out[d] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return d;
        }
    }
}

/// `step_eof` for a codec whose `step` says exactly how much is missing: an empty `buf` is the
/// clean end, a frame or skip that `step` finds is returned, and otherwise the stream ended
/// inside a frame, [`DecodeError::Truncated`] with what `missing` says was still to come.
fn step_eof_or_truncated<D: FrameDecoder + ?Sized>(
    d: &mut D,
    buf: &[u8],
    missing: impl FnOnce(&mut D) -> Result<Missing, DecodeError>,
) -> Result<Step, DecodeError> {
    if buf.is_empty() {
        return Ok(Step::NEED_MORE);
    }
    let step = d.step(buf)?;
    if step.consumed() > 0 {
        return Ok(step);
    }
    Err(DecodeError::Truncated {
        buffered: buf.len(),
        missing: missing(d)?,
    })
}

/// Turns a byte stream into frames. See the [module docs](self).
///
/// # Contract
///
/// `buf` holds every byte received and not yet consumed. After a step, the caller drops exactly
/// `consumed` bytes from the front and calls again with the rest, followed by whatever arrived
/// since. Decoders may keep state between calls (where to resume a delimiter search) that relies
/// on this. After an error that is not [recoverable](DecodeError::is_recoverable), the decoder
/// must not be called again unless [`reset`](FrameDecoder::reset).
pub trait FrameDecoder {
    /// Decodes the next frame from `buf`, if it is complete.
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError>;

    /// Like [`step`](FrameDecoder::step), for when no more bytes will ever arrive.
    ///
    /// An empty `buf` at a frame boundary is the clean end of the stream ([`Step::NEED_MORE`]);
    /// bytes of an unfinished frame are [`DecodeError::Truncated`].
    ///
    /// The default calls [`step`](FrameDecoder::step) and returns its frame or skip; a
    /// `NEED_MORE` over a non-empty `buf` becomes `Truncated { buffered: buf.len(), missing:
    /// Missing::AtLeast(1) }`. Override it to say exactly how many bytes were missing, or to
    /// accept an unterminated last frame (as [`Delimited::accept_unterminated_at_eof`] does).
    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        let step = self.step(buf)?;
        if step == Step::NEED_MORE && !buf.is_empty() {
            return Err(DecodeError::Truncated {
                buffered: buf.len(),
                missing: Missing::AtLeast(1),
            });
        }
        Ok(step)
    }

    /// Forgets any state, as if newly made (the configuration is kept).
    fn reset(&mut self);

    /// Decodes the next frame from `src`, splitting it off without a copy.
    ///
    /// `Ok(None)` means more bytes are needed, never an error.
    fn decode_frame(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DecodeError>
    where
        Self: Sized,
    {
        loop {
            let step = self.step(src)?;
            step.check(src.len())?;
            if let Some(frame) = apply(src, &step) {
                return Ok(Some(frame));
            }
            if step.consumed == 0 {
                return Ok(None);
            }
        }
    }

    /// Decodes the last frames once the stream has ended: `Ok(None)` is the clean end,
    /// bytes of an unfinished frame are [`DecodeError::Truncated`].
    fn decode_frame_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DecodeError>
    where
        Self: Sized,
    {
        loop {
            let step = self.step_eof(src)?;
            step.check(src.len())?;
            if let Some(frame) = apply(src, &step) {
                return Ok(Some(frame));
            }
            if step.consumed == 0 {
                return Ok(None);
            }
        }
    }
}

/// Applies a step to a buffer ([checked](Step::check) first): drops the consumed bytes,
/// returns the frame's payload.
fn apply(src: &mut BytesMut, step: &Step) -> Option<Bytes> {
    match &step.frame {
        Some(range) => {
            // The zero-length advances are skipped here: `BytesMut::advance` is a call.
            if range.start > 0 {
                src.advance(range.start);
            }
            let frame = src.split_to(range.end - range.start).freeze();
            if step.consumed > range.end {
                src.advance(step.consumed - range.end);
            }
            Some(frame)
        }
        None => {
            src.advance(step.consumed);
            None
        }
    }
}

/// The bytes a codec puts before and after a payload (header and trailer), kept inline.
///
/// Header and trailer share [`Parts::MAX_LEN`] (64) bytes of inline room, in any split: a
/// 40-byte header, a 4-byte CRC32 trailer, both at once. [`Parts::new`] refuses more with
/// [`EncodeError::PartsTooLong`] (a value returned by
/// [`encode_parts`](FrameEncoder::encode_parts), never a panic). Inline room keeps
/// encoding free of allocation; a format whose header can be longer writes the frame itself
/// ([`encode_frame`](FrameEncoder::encode_frame) is provided, but can be overridden).
#[derive(Clone, Copy)]
pub struct Parts {
    /// The header, then the trailer, then zeros.
    bytes: [u8; Parts::MAX_LEN],
    header_len: u8,
    trailer_len: u8,
}

impl Parts {
    /// The most bytes header and trailer may hold together.
    pub const MAX_LEN: usize = 64;

    /// Parts with the given header and trailer, or [`EncodeError::PartsTooLong`] if together
    /// they exceed [`Parts::MAX_LEN`] bytes.
    #[inline]
    pub fn new(header: &[u8], trailer: &[u8]) -> Result<Parts, EncodeError> {
        let (h, t) = (header.len(), trailer.len());
        if h.saturating_add(t) > Parts::MAX_LEN {
            return Err(EncodeError::PartsTooLong {
                header: h,
                trailer: t,
                max: Parts::MAX_LEN,
            });
        }
        let mut parts = Parts {
            bytes: [0; Parts::MAX_LEN],
            header_len: h as u8,
            trailer_len: t as u8,
        };
        parts.bytes[..h].copy_from_slice(header);
        parts.bytes[h..h + t].copy_from_slice(trailer);
        Ok(parts)
    }

    /// Parts of the built-in codecs, which always fit: `header.len() + trailer.len() <=`
    /// [`MAX_HEADER_LEN`] `+ 2`. (Anything longer would be cut, never a panic.)
    #[inline]
    pub(crate) fn fixed(header: &[u8], trailer: &[u8]) -> Parts {
        let h = header.len().min(MAX_HEADER_LEN);
        let t = trailer.len().min(Parts::MAX_LEN - h);
        let mut parts = Parts {
            bytes: [0; Parts::MAX_LEN],
            header_len: h as u8,
            trailer_len: t as u8,
        };
        parts.bytes[..h].copy_from_slice(&header[..h]);
        parts.bytes[h..h + t].copy_from_slice(&trailer[..t]);
        parts
    }

    /// Parts with a header of at most 8 bytes, given as the first `len` bytes of `header`:
    /// builds without a variable-length copy (the hot path of fixed-width prefixes).
    #[inline]
    pub(crate) fn short(header: [u8; 8], len: usize, trailer: &[u8]) -> Parts {
        let len = len.min(8);
        let mut parts = Parts {
            bytes: [0; Parts::MAX_LEN],
            header_len: len as u8,
            trailer_len: 0,
        };
        parts.bytes[..8].copy_from_slice(&header);
        if !trailer.is_empty() {
            let t = trailer.len().min(Parts::MAX_LEN - len);
            parts.bytes[len..len + t].copy_from_slice(&trailer[..t]);
            parts.trailer_len = t as u8;
        }
        parts
    }

    /// The first 16 bytes of the header buffer (the header, then padding when shorter), for
    /// copies of a fixed size.
    #[inline]
    pub(crate) fn header_prefix16(&self) -> [u8; 16] {
        let mut out = [0; 16];
        out.copy_from_slice(&self.bytes[..16]);
        // Padding after a short header is the trailer's bytes, not zeros: callers truncate.
        out
    }

    /// The bytes that go before the payload.
    #[inline]
    pub fn header(&self) -> &[u8] {
        &self.bytes[..self.header_len as usize]
    }

    /// The bytes that go after the payload.
    #[inline]
    pub fn trailer(&self) -> &[u8] {
        let h = self.header_len as usize;
        &self.bytes[h..h + self.trailer_len as usize]
    }

    /// Header plus trailer length: the framing overhead in bytes.
    #[inline]
    pub fn overhead(&self) -> usize {
        self.header_len as usize + self.trailer_len as usize
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("header", &self.header())
            .field("trailer", &self.trailer())
            .finish()
    }
}

/// Turns payloads into framed bytes. See the [module docs](self).
pub trait FrameEncoder {
    /// Checks `payload` and returns the header and trailer that frame it.
    ///
    /// Fails, writing nothing, if the format cannot carry the payload (too long, contains the
    /// delimiter, ...).
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError>;

    /// Appends the whole frame (header, payload, trailer) to `dst`.
    fn encode_frame<B: BufMut>(&mut self, payload: &[u8], dst: &mut B) -> Result<(), EncodeError>
    where
        Self: Sized,
    {
        let parts = self.encode_parts(payload)?;
        dst.put_slice(parts.header());
        dst.put_slice(payload);
        dst.put_slice(parts.trailer());
        Ok(())
    }

    /// Appends the whole frame to `dst`, the bytes [`encode_parts`](Self::encode_parts)
    /// describes: the writers' batch path for payloads under 4 KiB.
    ///
    /// Fails, leaving `dst` unchanged, exactly where `encode_parts` fails. The provided method
    /// goes through `encode_parts`; a codec that can write its header straight into `dst`
    /// overrides it to skip building the [`Parts`] (66 bytes returned by value, for every small
    /// frame), as the fixed-width length prefixes do. An override must produce the same bytes;
    /// `tests/codec_props.rs` checks the built-in codecs' against `encode_parts`.
    #[inline]
    fn encode_into_vec(&mut self, payload: &[u8], dst: &mut Vec<u8>) -> Result<(), EncodeError> {
        let parts = self.encode_parts(payload)?;
        extend_with_parts(dst, &parts, payload);
        Ok(())
    }
}

/// Appends `parts`' header, `payload` and `parts`' trailer to `dst`, short headers with a
/// fixed-size copy.
#[inline]
pub(crate) fn extend_with_parts(dst: &mut Vec<u8>, parts: &Parts, payload: &[u8]) {
    let (header, trailer) = (parts.header(), parts.trailer());
    if header.len() <= 16 {
        // A fixed-size copy (no memcpy call), then drop the padding.
        dst.reserve(16 + payload.len() + trailer.len());
        let at = dst.len();
        dst.extend_from_slice(&parts.header_prefix16());
        dst.truncate(at + header.len());
    } else {
        dst.extend_from_slice(header);
    }
    dst.extend_from_slice(payload);
    match trailer {
        [] => {}
        [b] => dst.push(*b),
        _ => dst.extend_from_slice(trailer),
    }
}

impl<T: FrameDecoder + ?Sized> FrameDecoder for &mut T {
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        (**self).step(buf)
    }
    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        (**self).step_eof(buf)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

impl<T: FrameEncoder + ?Sized> FrameEncoder for &mut T {
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        (**self).encode_parts(payload)
    }
    fn encode_into_vec(&mut self, payload: &[u8], dst: &mut Vec<u8>) -> Result<(), EncodeError> {
        (**self).encode_into_vec(payload, dst)
    }
}
