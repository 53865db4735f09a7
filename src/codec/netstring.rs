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
                    let Some(next) = next else {
                        // Past u64: more digits than any limit allows.
                        return Err(self.too_many_digits(i + 1));
                    };
                    n = next;
                    if n > self.max_frame_len as u64 {
                        // The digits so far exceed the maximum. Whether they are the whole
                        // length decides the error: look at the next byte (wait for it).
                        return match buf.get(i + 1) {
                            None => Ok(None),
                            Some(b'0'..=b'9') => Err(self.too_many_digits(i + 2)),
                            Some(_) => Err(DecodeError::FrameTooLong {
                                declared: n,
                                max: self.max_frame_len,
                            }),
                        };
                    }
                }
                _ => return Err(DecodeError::NetstringLength { offset: i, byte: b }),
            }
        }
        Ok(None)
    }

    /// The length has at least `digits` digits, and so exceeds the maximum.
    fn too_many_digits(&self, digits: usize) -> DecodeError {
        DecodeError::NetstringLengthTooLong {
            digits,
            max: self.max_frame_len,
        }
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
        super::step_eof_or_truncated(self, buf, |d| {
            Ok(match d.header(buf)? {
                // A length near u64::MAX (possible when the maximum is usize::MAX) must not
                // overflow: the count saturates.
                Some((h, n)) => Missing::Exactly(
                    (h as u64)
                        .saturating_add(n as u64)
                        .saturating_add(1)
                        .saturating_sub(buf.len() as u64),
                ),
                None => Missing::AtLeast(1),
            })
        })
    }

    fn reset(&mut self) {}
}

impl FrameEncoder for Netstring {
    #[inline]
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        EncodeError::check_len(payload.len(), self.max_frame_len)?;
        let mut digits = [0u8; 21];
        digits[20] = b':';
        let d = super::put_decimal(payload.len() as u64, &mut digits[..20]);
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
            Err(DecodeError::NetstringLengthTooLong {
                digits: 20,
                max: usize::MAX
            })
        );
    }

    #[test]
    fn a_length_with_too_many_digits_is_not_reported_as_another_number() {
        let mut ns = Netstring::new().with_max_frame_len(10_000_000);
        let e = ns.step(b"4294967296:").unwrap_err();
        assert_eq!(
            e,
            DecodeError::NetstringLengthTooLong {
                digits: 9,
                max: 10_000_000
            }
        );
        let text = e.to_string();
        assert!(
            text.contains("more digits") && text.contains("10000000"),
            "{text}"
        );
        assert!(!text.contains("42949672"), "{text}");
        // A complete length over the maximum is reported as itself.
        assert_eq!(
            ns.step(b"10000001:"),
            Err(DecodeError::FrameTooLong {
                declared: 10_000_001,
                max: 10_000_000
            })
        );
        // Until the byte after the digits arrives, the decoder cannot tell: it waits.
        assert_eq!(ns.step(b"10000001"), Ok(Step::NEED_MORE));
    }
}
