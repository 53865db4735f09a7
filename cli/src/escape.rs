//! Printing frames: raw bytes, or with non-printable bytes as `\xNN`.

use std::io::{self, Write};

/// Writes `frame` then `\n`. With `escape`, bytes outside printable ASCII, and `\` itself,
/// are written as `\xNN`, so every frame is exactly one line.
pub(crate) fn write_frame_line(out: &mut impl Write, frame: &[u8], escape: bool) -> io::Result<()> {
    if !escape {
        out.write_all(frame)?;
        return out.write_all(b"\n");
    }
    let mut start = 0;
    for (i, &b) in frame.iter().enumerate() {
        if !(0x20..0x7f).contains(&b) || b == b'\\' {
            out.write_all(&frame[start..i])?;
            write!(out, "\\x{b:02x}")?;
            start = i + 1;
        }
    }
    out.write_all(&frame[start..])?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_unprintable_and_backslash() {
        let mut out = Vec::new();
        write_frame_line(&mut out, b"a\x00b\\c\n\xff", true).unwrap();
        assert_eq!(out, b"a\\x00b\\x5cc\\x0a\\xff\n");
        out.clear();
        write_frame_line(&mut out, b"a\x00", false).unwrap();
        assert_eq!(out, b"a\x00\n");
    }
}
