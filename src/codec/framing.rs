//! A codec chosen at run time, by name.

use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};

use super::{
    ContentLength, DecodeError, Delimited, DotnetLines, EncodeError, FrameDecoder, FrameEncoder,
    LengthPrefixed, Netstring, Parts, Step,
};

/// Any byte codec, chosen at run time (from a configuration file or a command line).
///
/// Parses from the names below (SPEC.md §1); `Display` prints the canonical name back.
///
/// | name | codec |
/// | --- | --- |
/// | `lp8`, `lp16be`, `lp16le`, `lp32be`, `lp32le`, `lp64be`, `lp64le` | [`LengthPrefixed`] unsigned |
/// | `varint` | [`LengthPrefixed::varint`] |
/// | `dotnet` | [`LengthPrefixed::dotnet`] (signed i32 LE) |
/// | `python` | [`LengthPrefixed::python`] |
/// | `erlang`, `node-advanced` | `lp32be` |
/// | `lines`, `node` | [`Delimited::lines`] |
/// | `crlf` | [`Delimited::crlf`] |
/// | `nul` | [`Delimited::nul`] |
/// | `readline`, `readline-crlf` | [`DotnetLines::new`], [`DotnetLines::crlf`] (.NET `ReadLine`) |
/// | `lsp` | [`ContentLength`] |
/// | `netstring` | [`Netstring`] |
///
/// ```
/// use pipeframe::codec::Framing;
/// let f: Framing = "lp32le".parse().unwrap();
/// assert_eq!(f.to_string(), "lp32le");
/// assert!("lp24".parse::<Framing>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// Length-prefixed.
    LengthPrefixed(LengthPrefixed),
    /// Delimiter.
    Delimited(Delimited),
    /// `Content-Length` headers (LSP).
    ContentLength(ContentLength),
    /// Netstrings.
    Netstring(Netstring),
    /// .NET `StreamReader.ReadLine` lines.
    DotnetLines(DotnetLines),
}

/// The names [`Framing`] parses, canonical ones first.
pub const FRAMING_NAMES: &[&str] = &[
    "lp8",
    "lp16be",
    "lp16le",
    "lp32be",
    "lp32le",
    "lp64be",
    "lp64le",
    "varint",
    "lines",
    "crlf",
    "nul",
    "lsp",
    "netstring",
    "readline",
    "readline-crlf",
    "dotnet",
    "python",
    "erlang",
    "node",
    "node-advanced",
];

impl Framing {
    /// Sets the maximum payload length of the inner codec.
    pub fn with_max_frame_len(self, max: usize) -> Self {
        match self {
            Framing::LengthPrefixed(c) => Framing::LengthPrefixed(c.with_max_frame_len(max)),
            Framing::Delimited(c) => Framing::Delimited(c.with_max_frame_len(max)),
            Framing::ContentLength(c) => Framing::ContentLength(c.with_max_frame_len(max)),
            Framing::Netstring(c) => Framing::Netstring(c.with_max_frame_len(max)),
            Framing::DotnetLines(c) => Framing::DotnetLines(c.with_max_frame_len(max)),
        }
    }

    /// The maximum payload length of the inner codec.
    pub fn max_frame_len(&self) -> usize {
        match self {
            Framing::LengthPrefixed(c) => c.max_frame_len(),
            Framing::Delimited(c) => c.max_frame_len(),
            Framing::ContentLength(c) => c.max_frame_len(),
            Framing::Netstring(c) => c.max_frame_len(),
            Framing::DotnetLines(c) => c.max_frame_len(),
        }
    }
}

/// A framing name that [`Framing`] does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFramingError {
    name: String,
}

impl fmt::Display for ParseFramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown framing {:?} (expected one of: {})",
            self.name,
            FRAMING_NAMES.join(", ")
        )
    }
}

impl std::error::Error for ParseFramingError {}

impl FromStr for Framing {
    type Err = ParseFramingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use LengthPrefixed as L;
        Ok(match s {
            "lp8" => Framing::LengthPrefixed(L::u8()),
            "lp16be" => Framing::LengthPrefixed(L::u16_be()),
            "lp16le" => Framing::LengthPrefixed(L::u16_le()),
            "lp32be" | "erlang" => Framing::LengthPrefixed(L::u32_be()),
            "node-advanced" => Framing::LengthPrefixed(L::node_advanced()),
            "lp32le" => Framing::LengthPrefixed(L::u32_le()),
            "lp64be" => Framing::LengthPrefixed(L::u64_be()),
            "lp64le" => Framing::LengthPrefixed(L::u64_le()),
            "varint" => Framing::LengthPrefixed(L::varint()),
            "dotnet" => Framing::LengthPrefixed(L::dotnet()),
            "python" => Framing::LengthPrefixed(L::python()),
            "lines" | "node" => Framing::Delimited(Delimited::lines()),
            "crlf" => Framing::Delimited(Delimited::crlf()),
            "nul" => Framing::Delimited(Delimited::nul()),
            "lsp" => Framing::ContentLength(ContentLength::new()),
            "netstring" => Framing::Netstring(Netstring::new()),
            "readline" => Framing::DotnetLines(DotnetLines::new()),
            "readline-crlf" => Framing::DotnetLines(DotnetLines::crlf()),
            _ => {
                return Err(ParseFramingError { name: s.to_owned() });
            }
        })
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::{Endian, Prefix, Width};
        let name = match self {
            Framing::LengthPrefixed(c) => match c.prefix() {
                Prefix::Varint => "varint",
                Prefix::Python => "python",
                Prefix::Fixed {
                    width: Width::W4,
                    endian: Endian::Little,
                    signed: true,
                } => "dotnet",
                Prefix::Fixed { width, endian, .. } => match (width, endian) {
                    (Width::W1, _) => "lp8",
                    (Width::W2, Endian::Big) => "lp16be",
                    (Width::W2, Endian::Little) => "lp16le",
                    (Width::W4, Endian::Big) => "lp32be",
                    (Width::W4, Endian::Little) => "lp32le",
                    (Width::W8, Endian::Big) => "lp64be",
                    (Width::W8, Endian::Little) => "lp64le",
                },
            },
            Framing::Delimited(d) => match (d.delimiter(), d.strips_cr()) {
                (b'\n', true) if d.writes_crlf() => "crlf",
                (b'\n', true) => "lines",
                (0, false) => "nul",
                (b, _) => return write!(f, "delimiter 0x{b:02x}"),
            },
            Framing::ContentLength(_) => "lsp",
            Framing::Netstring(_) => "netstring",
            Framing::DotnetLines(d) if d.writes_crlf() => "readline-crlf",
            Framing::DotnetLines(_) => "readline",
        };
        f.write_str(name)
    }
}

impl From<LengthPrefixed> for Framing {
    fn from(c: LengthPrefixed) -> Self {
        Framing::LengthPrefixed(c)
    }
}
impl From<Delimited> for Framing {
    fn from(c: Delimited) -> Self {
        Framing::Delimited(c)
    }
}
impl From<ContentLength> for Framing {
    fn from(c: ContentLength) -> Self {
        Framing::ContentLength(c)
    }
}
impl From<DotnetLines> for Framing {
    fn from(c: DotnetLines) -> Self {
        Framing::DotnetLines(c)
    }
}
impl From<Netstring> for Framing {
    fn from(c: Netstring) -> Self {
        Framing::Netstring(c)
    }
}

impl FrameDecoder for Framing {
    #[inline]
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        match self {
            Framing::LengthPrefixed(c) => c.step(buf),
            Framing::Delimited(c) => c.step(buf),
            Framing::ContentLength(c) => c.step(buf),
            Framing::Netstring(c) => c.step(buf),
            Framing::DotnetLines(c) => c.step(buf),
        }
    }

    /// Each codec's own `decode_frame`, so a codec that writes it out keeps its fast path
    /// behind the enum.
    #[inline]
    fn decode_frame(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        match self {
            Framing::LengthPrefixed(c) => c.decode_frame(src),
            Framing::Delimited(c) => c.decode_frame(src),
            Framing::ContentLength(c) => c.decode_frame(src),
            Framing::Netstring(c) => c.decode_frame(src),
            Framing::DotnetLines(c) => c.decode_frame(src),
        }
    }

    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        match self {
            Framing::LengthPrefixed(c) => c.step_eof(buf),
            Framing::Delimited(c) => c.step_eof(buf),
            Framing::ContentLength(c) => c.step_eof(buf),
            Framing::Netstring(c) => c.step_eof(buf),
            Framing::DotnetLines(c) => c.step_eof(buf),
        }
    }

    fn reset(&mut self) {
        match self {
            Framing::LengthPrefixed(c) => c.reset(),
            Framing::Delimited(c) => c.reset(),
            Framing::ContentLength(c) => c.reset(),
            Framing::Netstring(c) => c.reset(),
            Framing::DotnetLines(c) => c.reset(),
        }
    }
}

impl FrameEncoder for Framing {
    #[inline]
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        match self {
            Framing::LengthPrefixed(c) => c.encode_parts(payload),
            Framing::Delimited(c) => c.encode_parts(payload),
            Framing::ContentLength(c) => c.encode_parts(payload),
            Framing::Netstring(c) => c.encode_parts(payload),
            Framing::DotnetLines(c) => c.encode_parts(payload),
        }
    }

    #[inline]
    fn encode_into_vec(&mut self, payload: &[u8], dst: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Framing::LengthPrefixed(c) => c.encode_into_vec(payload, dst),
            Framing::Delimited(c) => c.encode_into_vec(payload, dst),
            Framing::ContentLength(c) => c.encode_into_vec(payload, dst),
            Framing::Netstring(c) => c.encode_into_vec(payload, dst),
            Framing::DotnetLines(c) => c.encode_into_vec(payload, dst),
        }
    }
}
