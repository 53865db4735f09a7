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
mod error;
mod framing;
mod length;
mod netstring;
mod text;

pub use content_length::{ContentLength, DEFAULT_MAX_HEADER_LEN};
pub use delimited::Delimited;
pub use dotnet_lines::DotnetLines;
pub use error::{DecodeError, EncodeError, HeaderValue, Missing, StreamFailed, WriteError};
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
    pub fn frame(consumed: usize, payload: Range<usize>) -> Step {
        debug_assert!(payload.start <= payload.end && payload.end <= consumed);
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
    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError>;

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
            if let Some(frame) = apply(src, &step) {
                return Ok(Some(frame));
            }
            if step.consumed == 0 {
                return Ok(None);
            }
        }
    }
}

/// Applies a step to a buffer: drops the consumed bytes, returns the frame's payload.
fn apply(src: &mut BytesMut, step: &Step) -> Option<Bytes> {
    match &step.frame {
        Some(range) => {
            src.advance(range.start);
            let frame = src.split_to(range.end - range.start).freeze();
            src.advance(step.consumed - range.end);
            Some(frame)
        }
        None => {
            src.advance(step.consumed);
            None
        }
    }
}

/// The bytes a codec puts before and after a payload (header and trailer), kept inline.
#[derive(Clone, Copy)]
pub struct Parts {
    header: [u8; MAX_HEADER_LEN],
    header_len: u8,
    trailer: [u8; 2],
    trailer_len: u8,
}

impl Parts {
    /// Parts with the given header and trailer. Panics if they exceed the inline sizes
    /// ([`MAX_HEADER_LEN`] and 2 bytes); codecs never do.
    #[inline]
    pub fn new(header: &[u8], trailer: &[u8]) -> Parts {
        let mut parts = Parts {
            header: [0; MAX_HEADER_LEN],
            header_len: header.len() as u8,
            trailer: [0; 2],
            trailer_len: trailer.len() as u8,
        };
        parts.header[..header.len()].copy_from_slice(header);
        parts.trailer[..trailer.len()].copy_from_slice(trailer);
        parts
    }

    /// Parts with a header of at most 8 bytes, given as the first `len` bytes of `header`:
    /// builds without a variable-length copy (the hot path of fixed-width prefixes).
    #[inline]
    pub(crate) fn short(header: [u8; 8], len: usize, trailer: &[u8]) -> Parts {
        let mut parts = Parts {
            header: [0; MAX_HEADER_LEN],
            header_len: len.min(8) as u8,
            trailer: [0; 2],
            trailer_len: trailer.len() as u8,
        };
        parts.header[..8].copy_from_slice(&header);
        parts.trailer[..trailer.len()].copy_from_slice(trailer);
        parts
    }

    /// The first 16 bytes of the header buffer (the header, then padding when shorter), for
    /// copies of a fixed size.
    #[inline]
    pub(crate) fn header_prefix16(&self) -> [u8; 16] {
        let mut out = [0; 16];
        out.copy_from_slice(&self.header[..16]);
        out
    }

    /// The bytes that go before the payload.
    #[inline]
    pub fn header(&self) -> &[u8] {
        &self.header[..self.header_len as usize]
    }

    /// The bytes that go after the payload.
    #[inline]
    pub fn trailer(&self) -> &[u8] {
        &self.trailer[..self.trailer_len as usize]
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
}
