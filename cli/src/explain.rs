//! The command's own words for the library's typed errors (`DecodeError`, `EncodeError`): the
//! flag that changes a limit (`--max-frame`, where the library names its method), the
//! format's own limit where no flag can help, and the likely wrong `--framing` where the
//! bytes say so. Built from the error values and the framing in use, never from message text.

use std::fmt;
use std::io;
use std::time::Duration;

use pipeframe::codec::{DecodeError, EncodeError, Endian, Framing, Missing, Prefix};
use pipeframe::frame_io::Mode;

/// A number of bytes: "1 byte", "2 bytes".
pub(crate) struct Bytes(pub(crate) u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 byte"),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// `n` of something: "1 line", "3 lines".
pub(crate) fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn bytes(n: impl TryInto<u64>) -> Bytes {
    Bytes(n.try_into().unwrap_or(u64::MAX))
}

/// A duration as every message of this command prints it: seconds, at most three decimals
/// ("5 s", "0.25 s").
pub(crate) struct Secs(pub(crate) Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{:.3}", self.0.as_secs_f64());
        let s = s.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{s} s")
    }
}

const RAISE: &str = "raise it with --max-frame";

/// A declared length this large is no real frame: every peer this command talks to stops at
/// 2 GiB (.NET, Node and Python's short form use a signed 32-bit length).
const IMPLAUSIBLE: u64 = 1 << 31;

/// The bytes a length prefix in `framing` holds when it declares `declared`, where the
/// prefix has a fixed width.
fn prefix_bytes(framing: &Framing, declared: u64) -> Option<Vec<u8>> {
    let Framing::LengthPrefixed(c) = framing else {
        return None;
    };
    let (width, endian) = match c.prefix() {
        Prefix::Fixed { width, endian, .. } => (width.bytes(), endian),
        Prefix::Python if declared <= i32::MAX as u64 => (4, Endian::Big),
        _ => return None,
    };
    Some(match endian {
        Endian::Big => declared.to_be_bytes()[8 - width..].to_vec(),
        Endian::Little => declared.to_le_bytes()[..width].to_vec(),
    })
}

/// Whether `b` reads as text (printable ASCII, tabs and line ends).
fn is_text(b: &[u8]) -> bool {
    !b.is_empty()
        && b.iter()
            .all(|&c| (0x20..0x7f).contains(&c) || matches!(c, b'\t' | b'\n' | b'\r'))
}

/// The message for a decode error from a reader in `mode`.
pub(crate) fn decode(d: DecodeError, mode: &Mode) -> String {
    let framing = match mode {
        Mode::Codec(f) => Some(f),
        Mode::Message => None,
    };
    match d {
        DecodeError::FrameTooLong { declared, max } => {
            let limit = format!(
                "frame length {declared} exceeds the maximum of {}",
                bytes(max)
            );
            let Some(f @ Framing::LengthPrefixed(_)) = framing else {
                return format!("{limit} ({RAISE})");
            };
            match prefix_bytes(f, declared) {
                Some(seen) if is_text(&seen) => format!(
                    "{limit}: the length bytes are the text {:?}, so the stream is most likely \
                     not {f} framing; name the framing it uses with --framing",
                    String::from_utf8_lossy(&seen)
                ),
                _ if declared >= IMPLAUSIBLE => format!(
                    "{limit}: a length far beyond any real frame, so the stream is most likely \
                     not {f} framing; name the framing it uses with --framing (or, if it is \
                     {f}, {RAISE})"
                ),
                _ => format!("{limit} ({RAISE})"),
            }
        }
        DecodeError::DelimitedTooLong { seen, max } => format!(
            "no delimiter within the maximum of {} ({} seen; {RAISE}); the rest of the frame is \
             discarded",
            bytes(max),
            bytes(seen)
        ),
        DecodeError::MessageTooLong { len, max } => format!(
            "message of {} exceeds the maximum of {}; it was discarded ({RAISE})",
            bytes(len),
            bytes(max)
        ),
        DecodeError::NetstringLengthTooLong { digits, max } => format!(
            "netstring length has at least {digits} digits: more digits than the maximum of {} \
             allows ({RAISE})",
            bytes(max)
        ),
        DecodeError::HeaderTooLong { max } => format!(
            "no \\r\\n\\r\\n within the first {} of the header block: an LSP header block is at \
             most that long (the limit is fixed); is the stream LSP?",
            bytes(max)
        ),
        DecodeError::Truncated {
            buffered,
            missing: Missing::Delimiter,
        } => format!(
            "stream ended inside a frame: {} received, delimiter missing",
            bytes(buffered)
        ),
        other => other.to_string(),
    }
}

/// The message for a frame that `mode` refused to encode.
pub(crate) fn encode(e: EncodeError, mode: &Mode) -> String {
    match (e, mode) {
        (EncodeError::FrameTooLong { len, max }, Mode::Codec(f @ Framing::LengthPrefixed(c)))
            if max < c.max_frame_len() as u64 =>
        {
            format!(
                "{} is more than {f} can carry: its length prefix holds at most {}; choose a \
                 framing with a wider prefix (such as lp32le) with --framing",
                bytes(len),
                bytes(max)
            )
        }
        (EncodeError::FrameTooLong { len, max }, _) => format!(
            "frame of {} exceeds the maximum of {} ({RAISE})",
            bytes(len),
            bytes(max)
        ),
        (other, _) => other.to_string(),
    }
}

/// The message for an error from a frame reader or writer in `mode`: the typed error inside
/// it in this command's words, or the error as it came.
pub(crate) fn io(e: &io::Error, mode: &Mode) -> String {
    if let Some(d) = DecodeError::from_io(e) {
        return decode(d, mode);
    }
    if let Some(en) = e.get_ref().and_then(|i| i.downcast_ref::<EncodeError>()) {
        return encode(*en, mode);
    }
    e.to_string()
}

/// If a message read in native message mode is exactly a length prefix and the payload it
/// declares, the name of that framing: a peer that writes `--framing lp32le` (one write a
/// frame) into a message pipe sends such messages.
pub(crate) fn looks_length_prefixed(msg: &[u8]) -> Option<&'static str> {
    const PREFIXES: [(&str, usize, Endian); 6] = [
        ("lp32le", 4, Endian::Little),
        ("lp32be", 4, Endian::Big),
        ("lp64le", 8, Endian::Little),
        ("lp64be", 8, Endian::Big),
        ("lp16le", 2, Endian::Little),
        ("lp16be", 2, Endian::Big),
    ];
    PREFIXES.iter().find_map(|&(name, width, endian)| {
        let (head, payload) = msg.split_at_checked(width)?;
        let mut b = [0u8; 8];
        let declared = match endian {
            Endian::Little => {
                b[..width].copy_from_slice(head);
                u64::from_le_bytes(b)
            }
            Endian::Big => {
                b[8 - width..].copy_from_slice(head);
                u64::from_be_bytes(b)
            }
        };
        (!payload.is_empty() && declared == payload.len() as u64).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(name: &str) -> Mode {
        name.parse().unwrap()
    }

    #[test]
    fn text_where_a_length_should_be_names_the_framing() {
        let m = decode(
            DecodeError::FrameTooLong {
                declared: u32::from_le_bytes(*b"hell") as u64,
                max: 8 << 20,
            },
            &mode("lp32le"),
        );
        assert!(m.contains("\"hell\"") && m.contains("--framing"), "{m}");
        assert!(!m.contains("--max-frame"), "{m}");
        let m = decode(
            DecodeError::FrameTooLong {
                declared: 9 << 20,
                max: 8 << 20,
            },
            &mode("lp32le"),
        );
        assert!(m.ends_with("(raise it with --max-frame)"), "{m}");
    }

    #[test]
    fn the_format_limit_is_not_the_flag() {
        let m = encode(
            EncodeError::FrameTooLong { len: 300, max: 255 },
            &Mode::Codec("lp8".parse::<Framing>().unwrap().with_max_frame_len(1024)),
        );
        assert!(m.contains("255 bytes") && m.contains("wider prefix"), "{m}");
        assert!(!m.contains("--max-frame"), "{m}");
    }

    #[test]
    fn secs_print_one_way() {
        assert_eq!(Secs(Duration::from_secs(5)).to_string(), "5 s");
        assert_eq!(Secs(Duration::from_millis(250)).to_string(), "0.25 s");
        assert_eq!(Secs(Duration::from_nanos(5_000_160_799)).to_string(), "5 s");
        assert_eq!(Bytes(1).to_string(), "1 byte");
    }

    #[test]
    fn length_prefixed_messages_are_recognised() {
        assert_eq!(looks_length_prefixed(b"\x05\0\0\0hello"), Some("lp32le"));
        assert_eq!(looks_length_prefixed(b"\0\0\0\x05hello"), Some("lp32be"));
        assert_eq!(looks_length_prefixed(b"hello"), None);
        assert_eq!(looks_length_prefixed(b"\0\0\0\0"), None);
    }
}
