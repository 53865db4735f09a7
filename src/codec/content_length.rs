//! Header-delimited framing, as LSP and StreamJsonRpc use it.
//!
//! ```text
//! +----------------------------+-------------------+------+----------------------+
//! | Content-Length: N \r\n     | other headers\r\n | \r\n | payload (N bytes)    |
//! +----------------------------+-------------------+------+----------------------+
//! ```
//!
//! Reading: header names are matched case-insensitively, lines end with `\r\n` (a `\n`
//! alone is an error as soon as it arrives), whitespace
//! around a value is ignored, and other headers (`Content-Type`) are skipped. The header block,
//! counted from its first byte through the empty line's `\r\n`, is limited (default 8 KiB); the
//! payload is limited like every codec's (default 8 MiB). Writing: `Content-Length: N\r\n\r\n`.
//! Every error is fatal.

use super::{
    DEFAULT_MAX_FRAME_LEN, DecodeError, EncodeError, FrameDecoder, FrameEncoder, HeaderValue,
    MAX_HEADER_LEN, Missing, Parts, Step,
};

/// The default limit on the header block: 8 KiB.
pub const DEFAULT_MAX_HEADER_LEN: usize = 8 * 1024;

/// Header-delimited (`Content-Length`) framing; SPEC.md §5 gives the rules.
///
/// ```
/// use bytes::BytesMut;
/// use pipeframe::codec::{ContentLength, FrameDecoder};
///
/// let mut lsp = ContentLength::new();
/// let mut wire = BytesMut::from(&b"content-length: 2\r\nContent-Type: x\r\n\r\n{}"[..]);
/// assert_eq!(lsp.decode_frame(&mut wire).unwrap().unwrap(), &b"{}"[..]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentLength {
    max_frame_len: usize,
    max_header_len: usize,
    /// How far the header block has been searched for `\r\n\r\n`.
    searched: usize,
    /// The parsed header of the current frame: (header block length, payload length).
    parsed: Option<(usize, usize)>,
}

impl ContentLength {
    /// A codec with the default limits (8 KiB header block, 8 MiB payload).
    pub const fn new() -> Self {
        ContentLength {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            max_header_len: DEFAULT_MAX_HEADER_LEN,
            searched: 0,
            parsed: None,
        }
    }

    /// Sets the maximum payload length (default 8 MiB).
    pub const fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Sets the limit on the header block, including its final empty line (default 8 KiB).
    pub const fn with_max_header_len(mut self, max: usize) -> Self {
        self.max_header_len = max;
        self
    }

    /// The configured maximum payload length.
    pub const fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// The configured limit on the header block.
    pub const fn max_header_len(&self) -> usize {
        self.max_header_len
    }

    fn parse_block(&self, block: &[u8]) -> Result<usize, DecodeError> {
        let mut length: Option<u64> = None;
        let mut offset = 0;
        // `block` ends with "\r\n\r\n", and every "\n" in it follows a "\r"
        // (`find_block_end`): the lines are the "\r\n"-separated parts before the end.
        let lines = &block[..block.len() - 4];
        for line in lines.split(|&b| b == b'\n').filter(|_| !lines.is_empty()) {
            let line_len = line.len() + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon =
                memchr::memchr(b':', line).ok_or(DecodeError::MalformedHeader { offset })?;
            let (name, value) = (trim(&line[..colon]), trim(&line[colon + 1..]));
            if name.eq_ignore_ascii_case(b"content-length") {
                let invalid = || DecodeError::InvalidContentLength {
                    value: HeaderValue::new(value),
                };
                let n = parse_decimal(value).ok_or_else(invalid)?;
                if length.is_some_and(|prev| prev != n) {
                    return Err(invalid());
                }
                length = Some(n);
            }
            offset += line_len;
        }
        let n = length.ok_or(DecodeError::MissingContentLength)?;
        if n > self.max_frame_len as u64 {
            return Err(DecodeError::FrameTooLong {
                declared: n,
                max: self.max_frame_len,
            });
        }
        Ok(n as usize)
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let s = match s.iter().position(|b| !matches!(b, b' ' | b'\t')) {
        Some(i) => &s[i..],
        None => return &[],
    };
    match s.iter().rposition(|b| !matches!(b, b' ' | b'\t')) {
        Some(i) => &s[..=i],
        None => &[],
    }
}

/// Parses 1 to 20 ASCII digits into a u64, without overflow.
fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

impl Default for ContentLength {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder for ContentLength {
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        let (h, n) = match self.parsed {
            Some(p) => p,
            None => {
                let limit = buf.len().min(self.max_header_len);
                // Resume three bytes back: the terminator may straddle the previous end.
                let from = self.searched.saturating_sub(3);
                match find_block_end(buf, from, limit)? {
                    Some(h) => {
                        let n = self.parse_block(&buf[..h])?;
                        self.parsed = Some((h, n));
                        self.searched = 0;
                        (h, n)
                    }
                    None if !buf.is_empty() && buf.len() >= self.max_header_len => {
                        return Err(DecodeError::HeaderTooLong {
                            max: self.max_header_len,
                        });
                    }
                    None => {
                        self.searched = limit;
                        return Ok(Step::NEED_MORE);
                    }
                }
            }
        };
        if buf.len() - h >= n {
            self.parsed = None;
            Ok(Step::frame(h + n, h..h + n))
        } else {
            Ok(Step::NEED_MORE)
        }
    }

    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        super::step_eof_or_truncated(self, buf, |d| {
            Ok(match d.parsed {
                Some((h, n)) => Missing::Exactly((h + n - buf.len()) as u64),
                None => Missing::AtLeast(4 - common_suffix(buf)),
            })
        })
    }

    fn reset(&mut self) {
        self.searched = 0;
        self.parsed = None;
    }
}

/// Where the header block at the start of `buf` ends (just past its `\r\n\r\n`), searching
/// the line ends in `buf[from..limit]`; `None` if it does not end there. A `\n` without a `\r`
/// before it is [`DecodeError::BareLineFeed`] at once: a peer that ends header lines with `\n`
/// alone never sends the `\r\n\r\n` a reader would otherwise wait for.
fn find_block_end(buf: &[u8], from: usize, limit: usize) -> Result<Option<usize>, DecodeError> {
    for at in memchr::memchr_iter(b'\n', &buf[from..limit]).map(|i| from + i) {
        if at == 0 || buf[at - 1] != b'\r' {
            return Err(DecodeError::BareLineFeed { offset: at });
        }
        if at >= 3 && &buf[at - 3..at] == b"\r\n\r" {
            return Ok(Some(at + 1));
        }
    }
    Ok(None)
}

/// How many bytes of `\r\n\r\n` the buffer already ends with (0 to 3).
fn common_suffix(buf: &[u8]) -> u64 {
    let term = b"\r\n\r\n";
    (1..4)
        .rev()
        .find(|&k| buf.ends_with(&term[..k]))
        .unwrap_or(0) as u64
}

impl FrameEncoder for ContentLength {
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        EncodeError::check_len(payload.len(), self.max_frame_len)?;
        let mut header = [0u8; MAX_HEADER_LEN];
        let prefix = b"Content-Length: ";
        header[..prefix.len()].copy_from_slice(prefix);
        let mut n = prefix.len();
        let mut digits = [0u8; 20];
        let d = super::put_decimal(payload.len() as u64, &mut digits);
        header[n..n + digits.len() - d].copy_from_slice(&digits[d..]);
        n += digits.len() - d;
        header[n..n + 4].copy_from_slice(b"\r\n\r\n");
        Ok(Parts::fixed(&header[..n + 4], &[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_terminator_is_found() {
        let mut c = ContentLength::new();
        assert_eq!(c.step(b"Content-Length: 1\r\n\r").unwrap(), Step::NEED_MORE);
        assert_eq!(
            c.step(b"Content-Length: 1\r\n\r\nx").unwrap(),
            Step::frame(22, 21..22)
        );
    }

    #[test]
    fn header_limit_counts_the_block() {
        let block = b"Content-Length: 0\r\n\r\n";
        let mut c = ContentLength::new().with_max_header_len(block.len());
        assert_eq!(c.step(block).unwrap(), Step::frame(21, 21..21));
        let mut c = ContentLength::new().with_max_header_len(block.len() - 1);
        assert_eq!(
            c.step(block),
            Err(DecodeError::HeaderTooLong {
                max: block.len() - 1
            })
        );
    }
}
