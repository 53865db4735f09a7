//! The `framing` target: framing names as a user types them (the CLI parses them with
//! `Framing`'s `FromStr`, SPEC.md §1), the named framing encoding payloads of any bytes
//! through every encoding path and decoding them back, `reset`, [`Parts`], and the step
//! contract as the readers enforce it on a decoder that breaks it.
//!
//! # Input layout
//!
//! ```text
//! +------+------+-------+------+---+-----------------+------------------------------------+
//! | cfg0 | cfg1 | flags | cfg3 | n | name (n % 32 B) | payloads: [len] bytes [len] bytes  |
//! +------+------+-------+------+---+-----------------+------------------------------------+
//! ```
//!
//! * name: a framing name, as UTF-8 (lossily). The checks after the name's own use it if it
//!   parses, else `FRAMING_NAMES[cfg0 % 20]`.
//! * `cfg1`: the maximum frame length ([`max_from`]), set with `Framing::with_max_frame_len`.
//! * `cfg3`: the piece size the encoded frames are decoded in (0: one piece); `cfg0 % 80` and
//!   `cfg3 % 80`: the lengths of a header and a trailer for `Parts::new`, taken from the
//!   payload bytes.
//! * all four, as [`framing_config`] and [`dotnet_lines_config`] read them: two configured
//!   codecs (any options) whose `Display` is checked.
//! * payloads: a length byte `b` (`b < 0xc0`: `b` bytes, else `(b - 0xbf) * 64`, up to
//!   4 KiB), then as many of the bytes after it as there are, repeated up to that length.
//!   The same bytes are the script of the [`Liar`] decoder (three bytes a step).
//!
//! # Invariants
//!
//! * names: a string parses exactly when it is in `FRAMING_NAMES` and SPEC.md §1's table
//!   ([`CANONICAL`]); the codec is the one that table names (built here with other
//!   constructors and the `Default` impls); `Display` prints the canonical name, which
//!   parses back to the same codec; names are case-sensitive; an unknown name's error names
//!   it and lists every name; the maximum does not show in the name;
//! * a configured codec prints as a name that parses to the same preset (prefix width and
//!   byte order, delimiter and line handling), or, for a delimiter without a name, as
//!   `delimiter 0xNN`, which does not parse;
//! * encoding: `encode_parts`, `encode_frame` (into a `Vec` and a `BytesMut`),
//!   `encode_into_vec`, the same through `&mut` and through [`Provided`] (the provided
//!   methods, `Parts::new`) give the same bytes, header + payload + trailer, or the same
//!   refusal, which writes nothing; a payload is refused exactly as SPEC.md says (longer than
//!   the maximum or than the prefix can say; holding the delimiter, or for `readline` a `\r`
//!   or `\n`, at the offset named; `lines` ending in `\r`);
//! * decoding the frames accepted gives them back, nothing else (but the byte order mark a
//!   first `readline` frame starts with, which `ReadLine` drops), in pieces of `cfg3` bytes,
//!   through `step`/`step_eof`, `decode_frame`, the provided `decode_frame` (through `&mut`)
//!   and [`Provided`];
//! * `reset` makes a decoder equal to a new one, after a whole stream or half of one;
//! * `Parts::new` keeps a header and trailer of together at most `Parts::MAX_LEN` bytes, and
//!   refuses longer ones with `PartsTooLong`; its `Debug` shows them and nothing else;
//! * the step contract: through `FrameReader` and the provided `decode_frame`, a [`Liar`]'s
//!   every step that breaks the contract is a fatal `DecodeError::BadStep` naming the step
//!   and the buffer length (`Step::check` agrees), the decoder is not called again and the
//!   reader fails from then on; a step that keeps it is applied exactly: a frame is the
//!   bytes its range names, the next call gets the bytes after those consumed; the provided
//!   `step_eof` makes a "need more" over bytes left at the end `Truncated { AtLeast(1) }`.

use bytes::BytesMut;
use pipeframe::codec::{
    ContentLength, DEFAULT_MAX_FRAME_LEN, DecodeError, Delimited, DotnetLines, EncodeError, Endian,
    FRAMING_NAMES, FrameDecoder, FrameEncoder, Framing, LengthPrefixed, MAX_HEADER_LEN, Missing,
    Netstring, Parts, Prefix, Step, StreamFailed, Width,
};
use pipeframe::sync::FrameReader;

use crate::invariants::{
    Event, Input, Provided, chunks, decode_trace, dotnet_lines_config, framing_config, max_from,
    step_trace,
};

/// SPEC.md §1: every framing name and the canonical name `Display` prints for it.
pub const CANONICAL: [(&str, &str); 20] = [
    ("lp8", "lp8"),
    ("lp16be", "lp16be"),
    ("lp16le", "lp16le"),
    ("lp32be", "lp32be"),
    ("lp32le", "lp32le"),
    ("lp64be", "lp64be"),
    ("lp64le", "lp64le"),
    ("varint", "varint"),
    ("dotnet", "dotnet"),
    ("python", "python"),
    ("erlang", "lp32be"),
    ("lines", "lines"),
    ("node", "lines"),
    ("node-advanced", "lp32be"),
    ("crlf", "crlf"),
    ("nul", "nul"),
    ("readline", "readline"),
    ("readline-crlf", "readline-crlf"),
    ("lsp", "lsp"),
    ("netstring", "netstring"),
];

/// The UTF-8 byte order mark, which a `readline` reader drops at the start of a stream.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Checks one input.
pub fn check_framing(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let name = String::from_utf8_lossy(input.script);
    let framing = check_name(&name).unwrap_or_else(|| {
        let name = FRAMING_NAMES[input.cfg[0] as usize % FRAMING_NAMES.len()];
        check_name(name).expect("a FRAMING_NAMES entry parses")
    });
    check_configured_display(&framing_config(input.cfg));
    check_configured_display(&dotnet_lines_config(input.cfg).into());

    let max = max_from(input.cfg[1]);
    let f = framing.clone().with_max_frame_len(max);
    assert_eq!(f.max_frame_len(), max, "with_max_frame_len");
    assert_eq!(
        f.to_string(),
        framing.to_string(),
        "the maximum shows in the name"
    );

    let payloads = payloads(input.stream);
    let (wire, accepted) = encode_every_way(&f, &payloads);
    decode_back(&f, &wire, &accepted, input.cfg[3]);
    check_parts(input.cfg, input.stream);
    check_liar(input.stream);
}

/// The name's checks; its framing if it is one.
fn check_name(name: &str) -> Option<Framing> {
    let canonical = CANONICAL.iter().find(|(n, _)| *n == name).map(|&(_, c)| c);
    assert_eq!(
        FRAMING_NAMES.contains(&name),
        canonical.is_some(),
        "FRAMING_NAMES and SPEC.md §1 disagree on {name:?}"
    );
    let upper = name.to_ascii_uppercase();
    if upper != name {
        assert!(
            upper.parse::<Framing>().is_err(),
            "names are case-sensitive, but {upper:?} parses"
        );
    }
    match name.parse::<Framing>() {
        Err(e) => {
            assert!(canonical.is_none(), "the framing name {name:?} fails: {e}");
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("{name:?}")),
                "the error does not name {name:?}: {msg}"
            );
            for n in FRAMING_NAMES {
                assert!(msg.contains(n), "the error does not list {n:?}: {msg}");
            }
            assert_eq!(name.parse::<Framing>(), Err(e), "parsing is not a function");
            None
        }
        Ok(f) => {
            let Some(canonical) = canonical else {
                panic!("{name:?} parses ({f:?}) but is not a framing name");
            };
            assert_eq!(
                f,
                documented(name),
                "{name:?} is not the codec SPEC.md §1 names"
            );
            assert_eq!(
                f.max_frame_len(),
                DEFAULT_MAX_FRAME_LEN,
                "{name:?}: the maximum"
            );
            let shown = f.to_string();
            assert_eq!(shown, canonical, "{name:?} prints as another name");
            assert_eq!(
                shown.parse::<Framing>().as_ref(),
                Ok(&f),
                "{name:?} prints as {shown:?}, which parses to another codec"
            );
            Some(f)
        }
    }
}

/// The codec SPEC.md §1 gives a name, built with other constructors than `FromStr` uses
/// (and the `Default` impls, which the docs say are these presets).
fn documented(name: &str) -> Framing {
    use Endian::{Big, Little};
    use Width::{W1, W2, W4, W8};
    let fixed = |width, endian, signed| {
        LengthPrefixed::new(Prefix::Fixed {
            width,
            endian,
            signed,
        })
    };
    match name {
        "lp8" => LengthPrefixed::erlang(W1).into(),
        "lp16be" => LengthPrefixed::erlang(W2).into(),
        "lp16le" => fixed(W2, Little, false).into(),
        "lp32be" => {
            assert_eq!(LengthPrefixed::default(), LengthPrefixed::u32_be());
            LengthPrefixed::default().into()
        }
        "erlang" => LengthPrefixed::erlang(W4).into(),
        "node-advanced" => fixed(W4, Big, false).into(),
        "lp32le" => LengthPrefixed::fixed(W4, Little).into(),
        "lp64be" => LengthPrefixed::erlang(W8).into(),
        "lp64le" => fixed(W8, Little, false).into(),
        "varint" => LengthPrefixed::new(Prefix::Varint).into(),
        "dotnet" => fixed(W4, Little, true).into(),
        "python" => LengthPrefixed::new(Prefix::Python).into(),
        "lines" | "node" | "crlf" => {
            let d = if name == "crlf" {
                Delimited::crlf()
            } else {
                Delimited::default()
            };
            // Read alike: `\n`, one `\r` before it stripped; `crlf` writes `\r\n`.
            assert_eq!(d.delimiter(), b'\n');
            assert!(d.strips_cr());
            assert_eq!(d.writes_crlf(), name == "crlf");
            d.into()
        }
        "nul" => {
            let d = Delimited::new(0);
            assert!(!d.strips_cr() && !d.writes_crlf());
            d.into()
        }
        "readline" | "readline-crlf" => {
            // `platform()` writes what `Environment.NewLine` is where this runs.
            let platform = if cfg!(windows) {
                DotnetLines::crlf()
            } else {
                DotnetLines::new()
            };
            assert_eq!(DotnetLines::platform(), platform);
            let d = if name == "readline" {
                DotnetLines::default()
            } else {
                DotnetLines::crlf()
            };
            assert_eq!(d.writes_crlf(), name == "readline-crlf");
            d.into()
        }
        "lsp" => {
            let c = ContentLength::default();
            assert_eq!(c.max_header_len(), pipeframe::codec::DEFAULT_MAX_HEADER_LEN);
            c.into()
        }
        "netstring" => Netstring::default().into(),
        _ => unreachable!("{name:?} is not in SPEC.md §1"),
    }
}

/// A configured codec prints as the name of its preset (SPEC.md §1: the options do not show),
/// or, a delimiter without a name, as `delimiter 0xNN`, which does not parse.
fn check_configured_display(g: &Framing) {
    let shown = g.to_string();
    match (g, shown.parse::<Framing>()) {
        (Framing::Delimited(d), Err(_)) => {
            assert_eq!(shown, format!("delimiter 0x{:02x}", d.delimiter()));
            let named = (d.delimiter() == b'\n' && d.strips_cr()) || (d.delimiter() == 0);
            assert!(!named, "{g:?} has a name, but prints as {shown:?}");
        }
        (_, Err(e)) => panic!("{g:?} prints as {shown:?}, which does not parse: {e}"),
        (_, Ok(h)) => {
            assert!(FRAMING_NAMES.contains(&&*shown), "{shown:?} is not a name");
            assert!(
                same_preset(g, &h),
                "{g:?} prints as {shown:?}, which is {h:?}"
            );
        }
    }
}

/// Whether `named` (a codec parsed from a name) is the preset of the configured `g`. A signed
/// prefix has a name of its own only as i32 little-endian (`dotnet`); another prints as the
/// unsigned preset of its width and byte order (a one-byte prefix: `lp8`, either order).
fn same_preset(g: &Framing, named: &Framing) -> bool {
    match (g, named) {
        (Framing::LengthPrefixed(a), Framing::LengthPrefixed(b)) => {
            match (a.prefix(), b.prefix()) {
                (
                    Prefix::Fixed {
                        width: w1,
                        endian: e1,
                        signed: s1,
                    },
                    Prefix::Fixed {
                        width: w2,
                        endian: e2,
                        signed: s2,
                    },
                ) => {
                    if (w1, e1, s1) == (Width::W4, Endian::Big, true) {
                        // The StreamJsonRpc preset (i32 big-endian) is that prefix.
                        assert_eq!(LengthPrefixed::stream_json_rpc().prefix(), a.prefix());
                    }
                    // One byte has no byte order.
                    w1 == w2 && (e1 == e2 || w1 == Width::W1) && (s1 == s2 || !s2)
                }
                (p, q) => p == q,
            }
        }
        (Framing::Delimited(a), Framing::Delimited(b)) => {
            (a.delimiter(), a.strips_cr(), a.writes_crlf())
                == (b.delimiter(), b.strips_cr(), b.writes_crlf())
        }
        (Framing::DotnetLines(a), Framing::DotnetLines(b)) => a.writes_crlf() == b.writes_crlf(),
        (Framing::ContentLength(_), Framing::ContentLength(_))
        | (Framing::Netstring(_), Framing::Netstring(_)) => true,
        _ => false,
    }
}

/// The payloads of the input (see the module docs).
fn payloads(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut s = stream;
    while let Some((&b, rest)) = s.split_first() {
        let len = if b < 0xc0 {
            b as usize
        } else {
            (b as usize - 0xbf) * 64
        };
        let (bytes, rest) = rest.split_at(len.min(rest.len()));
        let mut p = Vec::with_capacity(len);
        if bytes.is_empty() {
            p.resize(len, b'x');
        }
        while p.len() < len {
            let k = (len - p.len()).min(bytes.len());
            p.extend_from_slice(&bytes[..k]);
        }
        out.push(p);
        s = rest;
    }
    out
}

/// How SPEC.md says `f` refuses `payload`, if it does: a payload longer than the maximum (for
/// a length prefix, than it can say), then one holding the delimiter (for `readline`, `\r` or
/// `\n`; the first one's offset), then a `lines` frame ending in `\r` (which a reader would
/// strip).
fn refusal(f: &Framing, payload: &[u8]) -> Option<EncodeError> {
    let len = payload.len();
    if let Framing::LengthPrefixed(c) = f {
        let max = c.effective_max();
        return (len > c.max_frame_len() || len as u64 > max)
            .then_some(EncodeError::FrameTooLong { len, max });
    }
    if len > f.max_frame_len() {
        return Some(EncodeError::FrameTooLong {
            len,
            max: f.max_frame_len() as u64,
        });
    }
    let at = |stop: &dyn Fn(u8) -> bool| {
        payload
            .iter()
            .position(|&b| stop(b))
            .map(|offset| EncodeError::ContainsDelimiter {
                offset,
                delimiter: payload[offset],
            })
    };
    match f {
        Framing::Delimited(d) => at(&|b| b == d.delimiter()).or_else(|| {
            let lines = d.delimiter() == b'\n' && d.strips_cr();
            (lines && !d.writes_crlf() && payload.last() == Some(&b'\r'))
                .then_some(EncodeError::TrailingCr)
        }),
        Framing::DotnetLines(_) => at(&|b| b == b'\r' || b == b'\n'),
        _ => None,
    }
}

/// Encodes every payload every way (see the module docs), checking they agree; returns the
/// wire and the payloads accepted.
fn encode_every_way(framing: &Framing, payloads: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut f = framing.clone();
    let mut by_ref = framing.clone();
    let mut provided = Provided(framing.clone());
    let mut outs: [Vec<u8>; 6] = Default::default();
    let mut bm = BytesMut::new();
    let mut accepted = Vec::new();
    for p in payloads {
        let want = refusal(&f, p);
        let parts = f.encode_parts(p);
        assert_eq!(
            parts.as_ref().err(),
            want.as_ref(),
            "encode_parts of {} bytes",
            p.len()
        );
        let frame = parts.ok().map(|parts| {
            let (h, t) = (parts.header(), parts.trailer());
            assert!(h.len() <= MAX_HEADER_LEN, "a {}-byte header", h.len());
            assert_eq!(parts.overhead(), h.len() + t.len());
            assert!(
                parts.overhead() > 0,
                "a frame with neither header nor trailer"
            );
            [h, &p[..], t].concat()
        });
        let check =
            |what: &str, out: &[u8], before: usize, r: Result<(), EncodeError>| match (&frame, r) {
                (Some(bytes), Ok(())) => {
                    assert_eq!(
                        &out[before..],
                        &bytes[..],
                        "{what}: not header + payload + trailer"
                    );
                }
                (None, Err(e)) => {
                    assert_eq!(Some(e), want, "{what}: another refusal than encode_parts'");
                    assert_eq!(
                        out.len(),
                        before,
                        "{what}: bytes written for a refused frame"
                    );
                }
                (_, r) => panic!("{what}: {r:?}, where encode_parts refuses with {want:?}"),
            };
        let [a, b, c, d, e, g] = &mut outs;
        let n = a.len();
        let r = f.encode_frame(p, a);
        check("encode_frame", a, n, r);
        let n = bm.len();
        let r = f.encode_frame(p, &mut bm);
        check("encode_frame into BytesMut", &bm, n, r);
        let n = b.len();
        let r = f.encode_into_vec(p, b);
        check("encode_into_vec", b, n, r);
        // Spelled out: `(&mut by_ref).encode_frame(..)` would call `Framing`'s own.
        let mut m = &mut by_ref;
        let n = c.len();
        let r = FrameEncoder::encode_frame(&mut m, p, c);
        check("encode_frame through &mut", c, n, r);
        let n = d.len();
        let r = FrameEncoder::encode_into_vec(&mut m, p, d);
        check("encode_into_vec through &mut", d, n, r);
        let n = e.len();
        let r = provided.encode_frame(p, e);
        check("the provided encode_frame", e, n, r);
        let n = g.len();
        let r = provided.encode_into_vec(p, g);
        check("the provided encode_into_vec", g, n, r);
        if frame.is_some() {
            accepted.push(p.clone());
        }
    }
    let [wire, ..] = outs;
    (wire, accepted)
}

/// The accepted frames decode back, every way; `reset` makes a decoder as new.
fn decode_back(f: &Framing, wire: &[u8], accepted: &[Vec<u8>], piece: u8) {
    let mut expect: Vec<Event> = accepted.iter().map(|p| Event::Frame(p.clone())).collect();
    if let (Framing::DotnetLines(_), Some(Event::Frame(first))) = (f, expect.first_mut())
        && first.starts_with(BOM)
    {
        first.drain(..BOM.len());
    }
    let pieces = chunks(&[piece], wire.len());
    let t = step_trace(f.clone(), wire, &pieces);
    assert_eq!(t.events, expect, "the frames encoded decode to others");
    assert_eq!(t.consumed, wire.len());
    let (events, consumed) = decode_trace(f.clone(), wire, &pieces);
    assert_eq!(events, expect, "decode_frame");
    assert_eq!(consumed, wire.len(), "decode_frame: bytes consumed");
    let mut g = f.clone();
    let (events, _) = decode_trace(&mut g, wire, &pieces);
    assert_eq!(events, expect, "the provided decode_frame, through &mut");
    FrameDecoder::reset(&mut &mut g);
    assert_eq!(
        &g, f,
        "reset after a stream does not make the decoder as new"
    );
    let (events, _) = decode_trace(Provided(f.clone()), wire, &pieces);
    assert_eq!(events, expect, "Provided");

    // Half a stream, in pieces, then `reset`.
    let mut g = f.clone();
    let mut buf = Vec::new();
    'feed: for chunk in wire[..wire.len() / 2].chunks(usize::from(piece.max(1))) {
        buf.extend_from_slice(chunk);
        loop {
            match g.step(&buf) {
                Ok(s) if s.consumed() > 0 => drop(buf.drain(..s.consumed())),
                Ok(_) => break,
                Err(_) => break 'feed,
            }
        }
    }
    g.reset();
    assert_eq!(
        &g, f,
        "reset inside a stream does not make the decoder as new"
    );
}

/// `Parts::new` with a header and a trailer from the payload bytes.
fn check_parts(cfg: [u8; 4], bytes: &[u8]) {
    let h = (cfg[0] as usize % 80).min(bytes.len());
    let (header, rest) = bytes.split_at(h);
    let trailer = &rest[..(cfg[3] as usize % 80).min(rest.len())];
    let t = trailer.len();
    match Parts::new(header, trailer) {
        Ok(p) => {
            assert!(h + t <= Parts::MAX_LEN, "Parts::new took {h} + {t} bytes");
            assert_eq!((p.header(), p.trailer()), (header, trailer));
            assert_eq!(p.overhead(), h + t);
            assert_eq!(
                format!("{p:?}"),
                format!("Parts {{ header: {header:?}, trailer: {trailer:?} }}")
            );
        }
        Err(e) => {
            assert!(
                h + t > Parts::MAX_LEN,
                "Parts::new refused {h} + {t} bytes: {e}"
            );
            assert_eq!(
                e,
                EncodeError::PartsTooLong {
                    header: h,
                    trailer: t,
                    max: Parts::MAX_LEN
                }
            );
        }
    }
}

/// The most steps a [`Liar`] takes from its script.
const LIAR_STEPS: usize = 32;

/// A decoder that answers with the steps its script names, within the contract or not, and
/// logs every call (the bytes it was given and its answer). It has only the required
/// methods: the provided `step_eof` and `decode_frame` drive it.
///
/// Three script bytes `[a, b, c]` a step, `len` the bytes given: `a % 4` 0 need more; 1 skip
/// `b % (len + 2)` bytes; 2 a frame of `1 + b % len` bytes (none when `len` is 0) with a
/// payload range inside it, from `c`; 3 a frame of `b % (len + 3)` bytes with the payload
/// range `c / 16 .. c % 16` (often outside it). After the script, need more.
#[derive(Debug)]
pub struct Liar<'a> {
    script: &'a [u8],
    next: usize,
    /// Every call: the bytes given, the step returned.
    pub log: Vec<(Vec<u8>, Step)>,
}

impl<'a> Liar<'a> {
    /// A liar following `script`.
    pub fn new(script: &'a [u8]) -> Self {
        let script = &script[..script.len().min(3 * LIAR_STEPS)];
        Liar {
            script,
            next: 0,
            log: Vec::new(),
        }
    }
}

impl FrameDecoder for Liar<'_> {
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        let len = buf.len();
        let step = match self.script.get(self.next..self.next + 3) {
            Some(&[a, b, c]) => match a % 4 {
                0 => Step::NEED_MORE,
                1 => Step::skip(b as usize % (len + 2)),
                2 => {
                    let consumed = 1 + b as usize % len.max(1);
                    let start = (c >> 4) as usize % (consumed + 1);
                    let end = start + (c & 15) as usize % (consumed - start + 1);
                    Step::frame(consumed, start..end)
                }
                _ => Step::frame(b as usize % (len + 3), (c >> 4) as usize..(c & 15) as usize),
            },
            _ => Step::NEED_MORE,
        };
        self.next += 3;
        self.log.push((buf.to_vec(), step.clone()));
        Ok(step)
    }

    fn reset(&mut self) {}
}

/// The step contract (SPEC.md, the codec module docs), written out.
fn keeps_contract(step: &Step, len: usize) -> bool {
    step.consumed() <= len
        && step
            .frame_range()
            .is_none_or(|r| r.start <= r.end && r.end <= step.consumed() && step.consumed() > 0)
}

/// What a reader made of a liar's steps: frames, then the end or an error.
type Outcome = Result<Option<Vec<u8>>, DecodeError>;

/// Through `FrameReader` and the provided `decode_frame`/`decode_frame_eof`.
fn check_liar(stream: &[u8]) {
    let mut r = FrameReader::new(stream, Liar::new(stream));
    let mut got: Vec<Outcome> = Vec::new();
    loop {
        match r.read_frame() {
            Ok(Some(f)) => got.push(Ok(Some(f.to_vec()))),
            Ok(None) => {
                got.push(Ok(None));
                break;
            }
            Err(e) => {
                let inner = DecodeError::from_io(&e).expect("a DecodeError inside");
                assert_eq!(e.kind(), inner.kind());
                got.push(Err(inner));
                assert!(
                    !inner.is_recoverable(),
                    "{inner}: the liar's errors are fatal"
                );
                let calls = r.decoder().log.len();
                let again = r.read_frame().expect_err("a read after a fatal error");
                let failed = again
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<StreamFailed>());
                assert_eq!(failed.map(StreamFailed::error), Some(inner), "{again}");
                assert_eq!(
                    r.decoder().log.len(),
                    calls,
                    "the decoder called after {inner}"
                );
                break;
            }
        }
    }
    check_liar_log(&r.decoder().log, &got, "FrameReader");

    let mut liar = Liar::new(stream);
    let mut src = BytesMut::from(stream);
    let mut got: Vec<Outcome> = Vec::new();
    let mut eof = false;
    loop {
        let r = if eof {
            liar.decode_frame_eof(&mut src)
        } else {
            liar.decode_frame(&mut src)
        };
        match r {
            Ok(Some(f)) => got.push(Ok(Some(f.to_vec()))),
            Ok(None) if !eof => eof = true,
            Ok(None) => {
                got.push(Ok(None));
                break;
            }
            Err(e) => {
                got.push(Err(e));
                break;
            }
        }
    }
    check_liar_log(&liar.log, &got, "decode_frame");
}

/// Walks a liar's log against what the reader made of it.
fn check_liar_log(log: &[(Vec<u8>, Step)], got: &[Outcome], what: &str) {
    let mut out = got.iter();
    let mut prev: Option<(&[u8], usize)> = None;
    for (k, (buf, step)) in log.iter().enumerate() {
        let len = buf.len();
        if let Some((p, consumed)) = prev {
            assert!(
                buf.starts_with(&p[consumed..]),
                "{what}: call {k} was not given the bytes after the {consumed} consumed"
            );
        }
        let ok = keeps_contract(step, len);
        assert_eq!(
            step.check(len).is_ok(),
            ok,
            "Step::check on {step:?} over {len} bytes"
        );
        if !ok {
            let want = DecodeError::BadStep {
                consumed: step.consumed(),
                payload: step.frame_range().map(|r| (r.start, r.end)),
                len,
            };
            assert_eq!(
                out.next(),
                Some(&Err(want)),
                "{what}: {step:?} over {len} bytes breaks the contract"
            );
            assert_eq!(k + 1, log.len(), "{what}: the decoder called after {want}");
            assert!(out.next().is_none(), "{what}: outcomes after {want}");
            return;
        }
        if let Some(r) = step.frame_range() {
            assert_eq!(
                out.next(),
                Some(&Ok(Some(buf[r].to_vec()))),
                "{what}: the frame of {step:?} (call {k})"
            );
        }
        prev = Some((buf, step.consumed()));
    }
    // The last call was at the end of the stream, and needed more.
    let (buf, step) = log.last().expect("the decoder was called");
    assert_eq!(*step, Step::NEED_MORE);
    let end = if buf.is_empty() {
        Ok(None)
    } else {
        Err(DecodeError::Truncated {
            buffered: buf.len(),
            missing: Missing::AtLeast(1),
        })
    };
    assert_eq!(out.next(), Some(&end), "{what}: the end");
    assert!(out.next().is_none(), "{what}: outcomes after the end");
}
