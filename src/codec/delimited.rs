//! Delimiter framing: payload bytes, then one delimiter byte.
//!
//! ```text
//! +---------------------------+-----+          lines, reading:   +---------+----+----+
//! | payload (no delimiter)    | 0a  |          one optional '\r' | payload | 0d | 0a |
//! +---------------------------+-----+          is stripped       +---------+----+----+
//! ```
//!
//! The maximum frame length counts payload bytes only: neither the delimiter nor a stripped
//! `\r` count. When more than that arrives without a delimiter, the decoder reports
//! [`DecodeError::DelimitedTooLong`] once, discards everything through the next delimiter, and
//! goes on with the frame after it. Memory stays bounded by the maximum while it discards.
//!
//! # Discarding after an overlong frame
//!
//! Discarding lasts until a delimiter arrives, however long that takes: a peer that keeps
//! sending bytes without a delimiter keeps the reader discarding, and a read call returns only
//! once a delimiter (then the next frame) or the end of the stream arrives. What bounds it:
//!
//! * **Memory** stays bounded: discarded bytes are dropped as they arrive, never kept (the read
//!   buffer stays at its capacity plus the maximum frame length).
//! * **CPU** is not bounded: the reader scans every byte the peer sends, at memory speed, for as
//!   long as the peer sends. A reader that must not be kept busy by a hostile peer sets a time
//!   limit around its reads (e.g. `tokio::time::timeout`) or closes the connection after a
//!   [`DelimitedTooLong`](DecodeError::DelimitedTooLong), which is returned (recoverable) as
//!   soon as the maximum is passed, before the discarding.
//!
//! ```
//! use pipeframe::codec::{DecodeError, Delimited};
//! use pipeframe::sync::FrameReader;
//!
//! let wire = b"this line is too long\nok\n";
//! let mut r = FrameReader::new(&wire[..], Delimited::lines().with_max_frame_len(4));
//! let e = r.read_frame().unwrap_err();
//! assert!(matches!(DecodeError::from_io(&e), Some(DecodeError::DelimitedTooLong { max: 4, .. })));
//! assert!(e.to_string().contains("with_max_frame_len"), "{e}"); // the method to change
//! assert_eq!(r.read_frame().unwrap().unwrap(), &b"ok"[..]); // recoverable: reading goes on
//!
//! // The stream ends inside a line: the error names the option that would accept it.
//! let mut r = FrameReader::new(&b"no newline"[..], Delimited::lines());
//! let e = r.read_frame().unwrap_err();
//! assert!(e.to_string().contains("accept_unterminated_at_eof"), "{e}");
//! let mut r = FrameReader::new(&b"no newline"[..], Delimited::lines().accept_unterminated_at_eof(true));
//! assert_eq!(r.read_frame().unwrap().unwrap(), &b"no newline"[..]);
//! ```

use memchr::memchr;

use super::{
    DEFAULT_MAX_FRAME_LEN, DecodeError, EncodeError, FrameDecoder, FrameEncoder, Missing, Parts,
    Step,
};

/// Delimiter framing; SPEC.md §4 gives the wire form, the limits and the resync rule.
///
/// ```
/// use bytes::BytesMut;
/// use pipeframe::codec::{Delimited, FrameDecoder, FrameEncoder};
///
/// let mut lines = Delimited::lines();
/// let mut wire = BytesMut::from(&b"one\r\ntwo\nthr"[..]);
/// assert_eq!(lines.decode_frame(&mut wire).unwrap().unwrap(), &b"one"[..]);
/// assert_eq!(lines.decode_frame(&mut wire).unwrap().unwrap(), &b"two"[..]);
/// assert_eq!(lines.decode_frame(&mut wire).unwrap(), None); // "thr" waits for its newline
///
/// // A payload holding the delimiter cannot be framed: an error, not corruption.
/// assert!(lines.encode_parts(b"a\nb").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delimited {
    delimiter: u8,
    strip_cr: bool,
    write_crlf: bool,
    max_frame_len: usize,
    unterminated_eof: bool,
    /// How far `buf` has been searched without finding the delimiter.
    searched: usize,
    /// Discarding an overlong frame through the next delimiter.
    discarding: bool,
}

impl Delimited {
    /// Frames ended by `delimiter`, read and written as is.
    pub const fn new(delimiter: u8) -> Self {
        Delimited {
            delimiter,
            strip_cr: false,
            write_crlf: false,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            unterminated_eof: false,
            searched: 0,
            discarding: false,
        }
    }

    /// Lines: `\n`-terminated; one `\r` before the `\n` is stripped when reading; `\n` written.
    pub const fn lines() -> Self {
        let mut d = Self::new(b'\n');
        d.strip_cr = true;
        d
    }

    /// Lines written with `\r\n` (read like [`lines`](Self::lines)).
    pub const fn crlf() -> Self {
        let mut d = Self::lines();
        d.write_crlf = true;
        d
    }

    /// NUL-terminated frames.
    pub const fn nul() -> Self {
        Self::new(0)
    }

    /// Sets the maximum payload length (default 8 MiB).
    pub const fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Whether the bytes after the last delimiter form one last frame at EOF (default `false`:
    /// they are [`DecodeError::Truncated`]). Useful for text files whose last line has no
    /// newline.
    pub const fn accept_unterminated_at_eof(mut self, yes: bool) -> Self {
        self.unterminated_eof = yes;
        self
    }

    /// The delimiter byte.
    pub const fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The configured maximum payload length.
    pub const fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Whether one `\r` before the delimiter is stripped when reading (lines modes).
    pub const fn strips_cr(&self) -> bool {
        self.strip_cr
    }

    /// Whether lines are written with `\r\n`.
    pub const fn writes_crlf(&self) -> bool {
        self.write_crlf
    }

    /// The longest raw run (payload plus a stripped `\r`) that can precede the delimiter.
    #[inline]
    fn max_raw(&self) -> usize {
        self.max_frame_len
            .saturating_add(usize::from(self.strip_cr && self.delimiter == b'\n'))
    }

    #[inline]
    fn payload_end(&self, buf: &[u8], delim_at: usize) -> usize {
        if self.strip_cr && self.delimiter == b'\n' && delim_at > 0 && buf[delim_at - 1] == b'\r' {
            delim_at - 1
        } else {
            delim_at
        }
    }

    fn too_long(&mut self, seen: usize) -> DecodeError {
        self.discarding = true;
        self.searched = 0;
        DecodeError::DelimitedTooLong {
            seen: seen as u64,
            max: self.max_frame_len,
        }
    }
}

impl Default for Delimited {
    fn default() -> Self {
        Self::lines()
    }
}

impl FrameDecoder for Delimited {
    #[inline]
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        if self.discarding {
            return Ok(match memchr(self.delimiter, buf) {
                Some(i) => {
                    self.discarding = false;
                    self.searched = 0;
                    Step::skip(i + 1)
                }
                None => Step::skip(buf.len()),
            });
        }
        // Never look further than a valid frame could reach.
        let limit = buf.len().min(self.max_raw().saturating_add(1));
        let from = self.searched.min(limit);
        match memchr(self.delimiter, &buf[from..limit]) {
            Some(i) => {
                let at = from + i;
                self.searched = 0;
                let end = self.payload_end(buf, at);
                if end > self.max_frame_len {
                    return Err(self.too_long(end));
                }
                Ok(Step::frame(at + 1, 0..end))
            }
            // `limit` raw bytes hold at least `max + 1` payload bytes (in lines modes the last
            // one may be a `\r` that a `\n` would strip).
            None if limit > self.max_raw() => {
                Err(self.too_long(self.max_frame_len.saturating_add(1)))
            }
            None => {
                self.searched = limit;
                Ok(Step::NEED_MORE)
            }
        }
    }

    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        if self.discarding {
            // The overlong frame was reported already; its tail ends with the stream.
            let step = self.step(buf)?;
            return Ok(step);
        }
        let step = self.step(buf)?;
        if step.consumed() > 0 || buf.is_empty() {
            return Ok(step);
        }
        if self.unterminated_eof {
            self.searched = 0;
            if buf.len() > self.max_frame_len {
                return Err(self.too_long(buf.len()));
            }
            return Ok(Step::frame(buf.len(), 0..buf.len()));
        }
        Err(DecodeError::Truncated {
            buffered: buf.len(),
            missing: Missing::Delimiter,
        })
    }

    fn reset(&mut self) {
        self.searched = 0;
        self.discarding = false;
    }
}

impl FrameEncoder for Delimited {
    #[inline]
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        EncodeError::check_len(payload.len(), self.max_frame_len)?;
        if let Some(offset) = memchr(self.delimiter, payload) {
            return Err(EncodeError::ContainsDelimiter {
                offset,
                delimiter: self.delimiter,
            });
        }
        let lines = self.strip_cr && self.delimiter == b'\n';
        if lines && self.write_crlf {
            return Ok(Parts::fixed(&[], b"\r\n"));
        }
        if lines && payload.last() == Some(&b'\r') {
            return Err(EncodeError::TrailingCr);
        }
        Ok(Parts::fixed(&[], &[self.delimiter]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_counts_toward_nothing() {
        let mut d = Delimited::lines().with_max_frame_len(3);
        assert_eq!(d.step(b"abc\r\n").unwrap(), Step::frame(5, 0..3));
        assert_eq!(d.step(b"abc\n").unwrap(), Step::frame(4, 0..3));
        assert!(d.step(b"abcd\n").is_err());
        // Discards through the newline, then goes on.
        assert_eq!(d.step(b"abcd\nxy\n").unwrap(), Step::skip(5));
        assert_eq!(d.step(b"xy\n").unwrap(), Step::frame(3, 0..2));
    }

    #[test]
    fn too_long_reports_payload_bytes_not_a_stripped_cr() {
        // Five raw bytes without '\n', the last one '\r': only four are surely payload.
        let mut d = Delimited::lines().with_max_frame_len(3);
        assert_eq!(
            d.step(b"abcd\r"),
            Err(DecodeError::DelimitedTooLong { seen: 4, max: 3 })
        );
        let mut d = Delimited::nul().with_max_frame_len(3);
        assert_eq!(
            d.step(b"abcd"),
            Err(DecodeError::DelimitedTooLong { seen: 4, max: 3 })
        );
    }

    #[test]
    fn resumes_search() {
        let mut d = Delimited::nul();
        assert_eq!(d.step(b"abc").unwrap(), Step::NEED_MORE);
        assert_eq!(d.searched, 3);
        assert_eq!(d.step(b"abcd\0").unwrap(), Step::frame(5, 0..4));
        assert_eq!(d.searched, 0);
    }

    #[test]
    fn trailing_cr_with_crlf_round_trips() {
        let mut d = Delimited::crlf();
        let parts = d.encode_parts(b"a\r").unwrap();
        assert_eq!(parts.trailer(), b"\r\n");
        assert_eq!(d.step(b"a\r\r\n").unwrap(), Step::frame(4, 0..2));
        assert_eq!(
            Delimited::lines().encode_parts(b"a\r").unwrap_err(),
            EncodeError::TrailingCr
        );
    }
}
