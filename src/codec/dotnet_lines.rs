//! Lines as .NET's `StreamReader.ReadLine` reads them and `StreamWriter.WriteLine` writes them.
//!
//! ```text
//! reading:                                                  writing (WriteLine):
//! +--------+-------------------+--------------------+       +---------+----+
//! | ef bb bf (once, optional)  | payload | 0a       |       | payload | 0a |   readline
//! +--------+-------------------+ payload | 0d 0a    |       +---------+----+----+
//!                              | payload | 0d       |       | payload | 0d | 0a | readline-crlf
//!                              +--------------------+       +---------+----+----+
//! ```
//!
//! Two things tell it apart from [`Delimited::lines`](super::Delimited::lines):
//!
//! * a lone `\r` ends a line, as `\n` and `\r\n` do (`ReadLine`'s documented rule: "a line
//!   feed, a carriage return, or a carriage return immediately followed by a line feed");
//! * a UTF-8 byte order mark (`ef bb bf`) at the very start of the stream is dropped, once, as
//!   `StreamReader` drops the one `new StreamWriter(stream, Encoding.UTF8)` writes first.
//!
//! A `\r` ends its line as soon as it arrives. A `\n` right behind it in the buffer goes with
//! it; if the `\r` is the last byte buffered, the line is delivered at once and the decoder
//! remembers that one `\n` arriving next belongs to the same ending, so a `\r\n` split
//! across two reads is one line ending, never an extra empty line. (`ReadLine` itself waits
//! for the next byte before returning a line ended by `\r`; the lines come out the same, only
//! earlier here, so a peer that ends a request with `\r` and waits for the answer is not left
//! waiting.)
//!
//! The maximum frame length counts payload bytes only; an overlong line is reported once
//! ([`DecodeError::DelimitedTooLong`]), then discarded through its line ending, as
//! [`Delimited`](super::Delimited) does. SPEC.md §4a has the rules and vectors.

use memchr::memchr2;

use super::{
    DEFAULT_MAX_FRAME_LEN, DecodeError, EncodeError, FrameDecoder, FrameEncoder, Missing, Parts,
    Step,
};

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// `ReadLine`-compatible lines (SPEC.md §4a); Framing names `readline` and `readline-crlf`.
///
/// ```
/// use bytes::BytesMut;
/// use pipeframe::codec::{DotnetLines, FrameDecoder, FrameEncoder};
///
/// let mut lines = DotnetLines::new();
/// // What `new StreamWriter(stream, Encoding.UTF8)` wrote, then lines ended three ways.
/// let mut wire = BytesMut::from(&b"\xef\xbb\xbfone\rtwo\r\nthree\nfo"[..]);
/// let mut got = Vec::new();
/// while let Some(line) = lines.decode_frame(&mut wire).unwrap() {
///     got.push(line);
/// }
/// assert_eq!(got, [&b"one"[..], b"two", b"three"]);
/// assert_eq!(&wire[..], b"fo"); // waits for its line ending
///
/// // Written as WriteLine writes on Linux; `crlf()` writes "\r\n" as on Windows.
/// let mut out = BytesMut::new();
/// lines.encode_frame(b"hi", &mut out).unwrap();
/// assert_eq!(&out[..], b"hi\n");
/// // ReadLine would split a payload at any '\r' or '\n': refused.
/// assert!(lines.encode_parts(b"a\rb").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotnetLines {
    write_crlf: bool,
    max_frame_len: usize,
    unterminated_eof: bool,
    /// Nothing consumed yet: a byte order mark may still come.
    at_start: bool,
    /// The last line ended with `\r`: one `\n` right after it is part of that ending.
    after_cr: bool,
    /// How far `buf` has been searched without finding a line ending.
    searched: usize,
    /// Discarding an overlong line through its line ending.
    discarding: bool,
}

impl DotnetLines {
    /// Reads as `ReadLine`; writes `\n` (what `WriteLine` writes on Linux and macOS; every
    /// `ReadLine`, on any platform, reads it).
    pub const fn new() -> Self {
        DotnetLines {
            write_crlf: false,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            unterminated_eof: false,
            at_start: true,
            after_cr: false,
            searched: 0,
            discarding: false,
        }
    }

    /// Reads as `ReadLine`; writes `\r\n` (what `WriteLine` writes on Windows).
    pub const fn crlf() -> Self {
        let mut d = Self::new();
        d.write_crlf = true;
        d
    }

    /// Writes what `Environment.NewLine` is on the platform this is built for: [`crlf`]
    /// on Windows, [`new`] elsewhere.
    ///
    /// [`crlf`]: Self::crlf
    /// [`new`]: Self::new
    pub const fn platform() -> Self {
        if cfg!(windows) {
            Self::crlf()
        } else {
            Self::new()
        }
    }

    /// Sets the maximum payload length (default 8 MiB).
    pub const fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// The configured maximum payload length.
    pub const fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Whether the bytes after the last line ending form one last line at EOF, as
    /// `ReadLine` returns them (default `false`: they are [`DecodeError::Truncated`], so a
    /// peer that dies mid-line is noticed).
    pub const fn accept_unterminated_at_eof(mut self, yes: bool) -> Self {
        self.unterminated_eof = yes;
        self
    }

    /// Whether lines are written with `\r\n`.
    pub const fn writes_crlf(&self) -> bool {
        self.write_crlf
    }

    fn too_long(&mut self) -> DecodeError {
        self.discarding = true;
        self.searched = 0;
        DecodeError::DelimitedTooLong {
            seen: self.max_frame_len.saturating_add(1) as u64,
            max: self.max_frame_len,
        }
    }

    /// Where the line ending at `at` ends: a `\r\n` in the buffer is taken whole; a `\r` that
    /// is the last byte buffered leaves a `\n` still to come to the next step.
    #[inline]
    fn ending_len(&mut self, buf: &[u8], at: usize) -> usize {
        if buf[at] != b'\r' {
            return at + 1;
        }
        match buf.get(at + 1) {
            Some(b'\n') => at + 2,
            Some(_) => at + 1,
            None => {
                self.after_cr = true;
                at + 1
            }
        }
    }

    /// The housekeeping before a line: a byte order mark at the start, the `\n` of a `\r\n`.
    /// `Some(step)` when bytes are to be skipped or more are needed to decide.
    #[inline]
    fn prelude(&mut self, buf: &[u8], eof: bool) -> Option<Step> {
        if self.at_start {
            if buf.starts_with(BOM) {
                self.at_start = false;
                return Some(Step::skip(BOM.len()));
            }
            if !eof && BOM.starts_with(buf) {
                // Empty, or a proper prefix of the mark: wait for the bytes that decide.
                return Some(Step::NEED_MORE);
            }
            self.at_start = false;
        }
        if self.after_cr {
            match buf.first() {
                None => return Some(Step::NEED_MORE),
                Some(b'\n') => {
                    self.after_cr = false;
                    return Some(Step::skip(1));
                }
                Some(_) => self.after_cr = false,
            }
        }
        None
    }
}

impl Default for DotnetLines {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder for DotnetLines {
    #[inline]
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        if let Some(step) = self.prelude(buf, false) {
            return Ok(step);
        }
        if self.discarding {
            return Ok(match memchr2(b'\n', b'\r', buf) {
                Some(i) => {
                    self.discarding = false;
                    self.searched = 0;
                    Step::skip(self.ending_len(buf, i))
                }
                None => Step::skip(buf.len()),
            });
        }
        // Never look further than a valid line could reach: max payload bytes, then the end.
        let limit = buf.len().min(self.max_frame_len.saturating_add(1));
        let from = self.searched.min(limit);
        match memchr2(b'\n', b'\r', &buf[from..limit]) {
            Some(i) => {
                let at = from + i;
                self.searched = 0;
                Ok(Step::frame(self.ending_len(buf, at), 0..at))
            }
            None if limit > self.max_frame_len => Err(self.too_long()),
            None => {
                self.searched = limit;
                Ok(Step::NEED_MORE)
            }
        }
    }

    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        if self.at_start
            && !self.unterminated_eof
            && !buf.is_empty()
            && BOM.len() > buf.len()
            && BOM.starts_with(buf)
        {
            // The stream ended before the mark was decided: inside a line, whatever the
            // maximum (as `step_eof`'s provided default would say from `step`'s wait).
            return Err(DecodeError::Truncated {
                buffered: buf.len(),
                missing: Missing::Delimiter,
            });
        }
        if let Some(step) = self.prelude(buf, true) {
            return Ok(step);
        }
        if self.discarding {
            // The overlong line was reported already; its tail ends with the stream.
            return self.step(buf);
        }
        let step = self.step(buf)?;
        if step.consumed() > 0 || buf.is_empty() {
            return Ok(step);
        }
        if self.unterminated_eof {
            self.searched = 0;
            // `step` found no ending within the maximum, so `buf` fits it.
            return Ok(Step::frame(buf.len(), 0..buf.len()));
        }
        Err(DecodeError::Truncated {
            buffered: buf.len(),
            missing: Missing::Delimiter,
        })
    }

    fn reset(&mut self) {
        self.at_start = true;
        self.after_cr = false;
        self.searched = 0;
        self.discarding = false;
    }
}

impl FrameEncoder for DotnetLines {
    #[inline]
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        EncodeError::check_len(payload.len(), self.max_frame_len)?;
        if let Some(offset) = memchr2(b'\n', b'\r', payload) {
            return Err(EncodeError::ContainsDelimiter {
                offset,
                delimiter: payload[offset],
            });
        }
        Ok(Parts::fixed(
            &[],
            if self.write_crlf { b"\r\n" } else { b"\n" },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr_ends_the_line_and_swallows_one_lf_later() {
        let mut d = DotnetLines::new();
        assert_eq!(d.step(b"a\r").unwrap(), Step::frame(2, 0..1));
        assert!(d.after_cr);
        assert_eq!(d.step(b"").unwrap(), Step::NEED_MORE);
        assert_eq!(d.step(b"\n\n").unwrap(), Step::skip(1));
        // Only one: the second '\n' is an empty line.
        assert_eq!(d.step(b"\n").unwrap(), Step::frame(1, 0..0));
        // A '\r\n' in the buffer is taken whole.
        assert_eq!(d.step(b"b\r\nc").unwrap(), Step::frame(3, 0..1));
        assert!(!d.after_cr);
        assert_eq!(d.step(b"b\rc").unwrap(), Step::frame(2, 0..1));
        assert!(!d.after_cr);
    }

    #[test]
    fn bom_only_at_the_start() {
        let mut d = DotnetLines::new();
        assert_eq!(d.step(b"\xef").unwrap(), Step::NEED_MORE);
        assert_eq!(d.step(b"\xef\xbb").unwrap(), Step::NEED_MORE);
        assert_eq!(d.step(b"\xef\xbb\xbfa\n").unwrap(), Step::skip(3));
        assert_eq!(d.step(b"\xef\xbb\xbf\n").unwrap(), Step::frame(4, 0..3));
        let mut d = DotnetLines::new();
        assert_eq!(d.step(b"\xefx\n").unwrap(), Step::frame(3, 0..2));
        d.reset();
        assert_eq!(d.step(b"\xef\xbb\xbf").unwrap(), Step::skip(3));
    }

    #[test]
    fn maximum_counts_payload_only() {
        let mut d = DotnetLines::new().with_max_frame_len(3);
        assert_eq!(d.step(b"abc\r").unwrap(), Step::frame(4, 0..3));
        assert_eq!(
            d.step(b"abcd"),
            Err(DecodeError::DelimitedTooLong { seen: 4, max: 3 })
        );
        // Discards through the '\r', and the '\n' after it is part of that ending.
        assert_eq!(d.step(b"abcd\r\nxy\n").unwrap(), Step::skip(6));
        assert!(!d.after_cr);
        assert_eq!(d.step(b"xy\n").unwrap(), Step::frame(3, 0..2));
    }
}
