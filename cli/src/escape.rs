//! Printing frames: raw bytes, or escaped so that every frame is exactly one line.

use std::io::{self, Write};

/// How `write_frame_line` escapes a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// The bytes as they are.
    Raw,
    /// Control bytes (C0, DEL), `\` and bytes that are not UTF-8 as `\xNN`; text stays text.
    Text,
    /// Every byte outside printable ASCII, and `\`, as `\xNN`.
    All,
}

fn plain(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'\\'
}

/// Writes `frame` then `\n`, escaped as `escape` says.
pub(crate) fn write_frame_line(
    out: &mut impl Write,
    frame: &[u8],
    escape: Escape,
) -> io::Result<()> {
    match escape {
        Escape::Raw => out.write_all(frame)?,
        Escape::All => {
            let mut start = 0;
            for (i, &b) in frame.iter().enumerate() {
                if !plain(b) {
                    out.write_all(&frame[start..i])?;
                    write!(out, "\\x{b:02x}")?;
                    start = i + 1;
                }
            }
            out.write_all(&frame[start..])?;
        }
        Escape::Text => {
            for chunk in frame.utf8_chunks() {
                let valid = chunk.valid();
                let mut start = 0;
                for (i, &b) in valid.as_bytes().iter().enumerate() {
                    // Multi-byte UTF-8 sequences are >= 0x80: kept.
                    if b < 0x80 && !plain(b) {
                        out.write_all(&valid.as_bytes()[start..i])?;
                        write!(out, "\\x{b:02x}")?;
                        start = i + 1;
                    }
                }
                out.write_all(&valid.as_bytes()[start..])?;
                for &b in chunk.invalid() {
                    write!(out, "\\x{b:02x}")?;
                }
            }
        }
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_unprintable_and_backslash() {
        let mut out = Vec::new();
        write_frame_line(&mut out, b"a\x00b\\c\n\xff", Escape::All).unwrap();
        assert_eq!(out, b"a\\x00b\\x5cc\\x0a\\xff\n");
        out.clear();
        write_frame_line(&mut out, b"a\x00", Escape::Raw).unwrap();
        assert_eq!(out, b"a\x00\n");
        out.clear();
        write_frame_line(&mut out, "é\n\\\x7f".as_bytes(), Escape::Text).unwrap();
        out.clear();
        write_frame_line(&mut out, b"t\xc3\xa9\n\\\x7f\xff.", Escape::Text).unwrap();
        assert_eq!(out, b"t\xc3\xa9\\x0a\\x5c\\x7f\\xff.\n");
    }
}
