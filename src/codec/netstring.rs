//! Netstrings (D. J. Bernstein): decimal length, `:`, payload, `,`.
//!
//! ```text
//! +-----------------+-----+---------------------+-----+
//! | N (ASCII digits)| ':' | payload (N bytes)   | ',' |      "12:hello world!,"
//! +-----------------+-----+---------------------+-----+
//! ```
//!
//! `N` is `0` or a decimal number without leading zeros. The maximum counts payload bytes
//! (default 8 MiB); a length over it is an error as soon as its digits show it. Every error is
//! fatal.

use super::{
    DEFAULT_MAX_FRAME_LEN, DecodeError, EncodeError, FrameDecoder, FrameEncoder, Missing, Parts,
    Step,
};

/// Netstring framing; SPEC.md §6 gives the rules.
///
/// ```
/// use bytes::BytesMut;
/// use pipeframe::codec::{FrameDecoder, FrameEncoder, Netstring};
///
/// let mut ns = Netstring::new();
/// let mut wire = BytesMut::new();
/// ns.encode_frame(b"hello world!", &mut wire).unwrap();
/// assert_eq!(&wire[..], b"12:hello world!,");
/// assert_eq!(ns.decode_frame(&mut wire).unwrap().unwrap(), &b"hello world!"[..]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Netstring {
    max_frame_len: usize,
}

impl Netstring {
    /// Netstrings with the default 8 MiB maximum payload.
    pub const fn new() -> Self {
        Netstring {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
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

    /// Parses `N:`: `Ok(None)` if incomplete, else (header length, payload length).
    fn header(&self, buf: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
        let mut n: u64 = 0;
        for (i, &b) in buf.iter().enumerate() {
            match b {
                b':' if i > 0 => return Ok(Some((i + 1, n as usize))),
                b'0'..=b'9' if !(i == 1 && buf[0] == b'0') => {
                    let next = n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(b - b'0')));
                    n = next.unwrap_or(u64::MAX);
                    if next.is_none() || n > self.max_frame_len as u64 {
                        return Err(DecodeError::FrameTooLong {
                            declared: n,
                            max: self.max_frame_len,
                        });
                    }
                }
                _ => return Err(DecodeError::NetstringLength { offset: i, byte: b }),
            }
        }
        Ok(None)
    }
}

impl Default for Netstring {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder for Netstring {
    #[inline]
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        let Some((h, n)) = self.header(buf)? else {
            return Ok(Step::NEED_MORE);
        };
        let end = h.saturating_add(n);
        match buf.get(end) {
            None => Ok(Step::NEED_MORE),
            Some(b',') => Ok(Step::frame(end + 1, h..end)),
            Some(&found) => Err(DecodeError::NetstringMissingComma { found }),
        }
    }

    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        if buf.is_empty() {
            return Ok(Step::NEED_MORE);
        }
        let step = self.step(buf)?;
        if step.consumed() > 0 {
            return Ok(step);
        }
        let missing = match self.header(buf)? {
            // A length near u64::MAX (possible when the maximum is usize::MAX) must not
            // overflow: the count saturates.
            Some((h, n)) => Missing::Exactly(
                (h as u64)
                    .saturating_add(n as u64)
                    .saturating_add(1)
                    .saturating_sub(buf.len() as u64),
            ),
            None => Missing::AtLeast(1),
        };
        Err(DecodeError::Truncated {
            buffered: buf.len(),
            missing,
        })
    }

    fn reset(&mut self) {}
}

impl FrameEncoder for Netstring {
    #[inline]
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        if payload.len() > self.max_frame_len {
            return Err(EncodeError::FrameTooLong {
                len: payload.len(),
                max: self.max_frame_len as u64,
            });
        }
        let mut digits = [0u8; 21];
        let mut v = payload.len();
        let mut d = 20;
        digits[20] = b':';
        loop {
            d -= 1;
            digits[d] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        Ok(Parts::fixed(&digits[d..], b","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_overflowing_u64_is_too_long_even_without_a_limit() {
        let mut ns = Netstring::new().with_max_frame_len(usize::MAX);
        assert_eq!(
            ns.step(b"99999999999999999999:"),
            Err(DecodeError::FrameTooLong {
                declared: u64::MAX,
                max: usize::MAX
            })
        );
    }
}
