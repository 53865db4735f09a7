//! UTF-8 text mode: frames checked to be valid UTF-8.

use super::DecodeError;

/// Checks that a frame is UTF-8, reporting the offset of the first invalid byte.
///
/// The text-mode readers of every flavour (`read_str`, `Text`) use this; the frame is
/// consumed either way, so the error is [recoverable](DecodeError::is_recoverable).
///
/// ```
/// use pipeframe::codec::{check_utf8, DecodeError};
/// assert_eq!(check_utf8(b"h\xc3\xa9"), Ok("hé"));
/// assert_eq!(check_utf8(b"ok\xff"), Err(DecodeError::InvalidUtf8 { offset: 2 }));
/// ```
pub fn check_utf8(frame: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(frame).map_err(|e| DecodeError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })
}
