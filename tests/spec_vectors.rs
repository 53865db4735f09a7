//! Checks every test vector in SPEC.md against the code, so the two cannot drift apart.
//!
//! SPEC.md §0 describes the vector format. Each `decode` vector is run four ways:
//!
//! 1. in one piece (`decode` until it needs more, then `decode_eof`);
//! 2. byte by byte (every proper prefix of a frame must give "need more": a frame comes out
//!    exactly when its last byte arrives), with the same frames and errors;
//! 3. through [`FrameReader`] over a reader that returns one byte per `read`, checking the
//!    `io::ErrorKind` of each error against the §7 table;
//! 4. for vectors without errors: cut at every position inside a frame, the stream must end
//!    with `Truncated` naming the bytes of the unfinished frame.
//!
//! Each `encode` vector is checked through `encode`, `encode_parts` and [`FrameWriter`], and
//! when it succeeds, decoding the bytes must give the payload back.
//!
//! The test also fails if SPEC.md holds too few vectors, a framing name or an error variant
//! (read from `src/error.rs`) has no vector, or a fence is mis-tagged.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use bytes::BytesMut;
use pipeframe::codec::{
    DecodeError, EncodeError, FRAMING_NAMES, FrameDecoder, FrameEncoder, Framing, check_utf8,
};
use pipeframe::sync::{FrameReader, FrameWriter};

/// SPEC.md must hold at least this many vectors; raise it as vectors are added.
const MIN_VECTORS: usize = 320;

/// Error variants that no byte codec can produce, with the reason.
const NO_VECTOR: &[(&str, &str)] = &[
    (
        "EmptyFrame",
        "only native message mode (SPEC.md §9) refuses empty frames",
    ),
    (
        "TransportLimit",
        "only native message mode (SPEC.md §9) has limits of the transport itself",
    ),
    (
        "PartsTooLong",
        "only codecs outside this crate (tests/crc_trailer.rs)",
    ),
    (
        "Custom",
        "only codecs outside this crate (tests/crc_trailer.rs)",
    ),
];

/// `DecodeError` variants no byte codec returns, so no vector can give them.
const NO_DECODE_VECTOR: &[(&str, &str)] = &[
    (
        "MessageTooLong",
        "only native message mode (SPEC.md §9) discards overlong messages",
    ),
    (
        "MessageCut",
        "only native message mode (SPEC.md §9.2) sizes a message before receiving it",
    ),
    (
        "BadStep",
        "only a buggy codec outside this crate (tests/bad_step.rs)",
    ),
    (
        "Custom",
        "only codecs outside this crate (tests/crc_trailer.rs)",
    ),
];

/// Inputs longer than this skip the every-cut check (it is quadratic).
const CUT_CHECK_MAX: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Frame(Vec<u8>),
    /// A decode error while more bytes could still arrive (normalized `Debug` form).
    Error(String),
    /// A decode error that only the end of the stream reveals.
    EofError(String),
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Bytes(Vec<u8>),
    Error(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Decode,
    Encode,
}

#[derive(Debug, Clone)]
struct Vector {
    /// Line number in SPEC.md, for messages.
    line: usize,
    text: String,
    op: Op,
    name: String,
    framing: Framing,
    text_mode: bool,
    unterminated: bool,
    input: Vec<u8>,
    events: Vec<Event>,
    outcome: Option<Outcome>,
}

/// One row of the §7 error table.
#[derive(Debug, Clone)]
struct Row {
    kind: String,
    policy: String,
}

fn spec_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/SPEC.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Removes whitespace outside double-quoted strings (so `Debug` output compares with the
/// spec's spelling of it, however it is spaced).
fn normalize(s: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in s.chars() {
        if quoted {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c == '"' {
            quoted = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// The variant name of a normalized `Debug` form: `Truncated{..}` -> `Truncated`.
fn variant(debug: &str) -> &str {
    let end = debug
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(debug.len());
    &debug[..end]
}

/// Splits a vector line on `|` outside double-quoted strings.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in line.chars() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c == '"' {
            quoted = true;
        } else if c == '|' {
            fields.push(String::new());
            continue;
        }
        fields.last_mut().unwrap().push(c);
    }
    assert!(!quoted, "unterminated string in {line:?}");
    fields.into_iter().map(|f| f.trim().to_owned()).collect()
}

fn hex_byte(s: &str) -> Result<u8, String> {
    if s.len() != 2 {
        return Err(format!("{s:?} is not two hex digits"));
    }
    u8::from_str_radix(s, 16).map_err(|_| format!("{s:?} is not hex"))
}

/// Parses a byte string: hex runs (`0a0b`), repeats (`61*300`), quoted strings with
/// `\r \n \t \0 \\ \" \xHH` escapes, separated by whitespace.
fn parse_bytes(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            loop {
                let c = chars.next().ok_or("unterminated string")?;
                match c {
                    '"' => break,
                    '\\' => {
                        let e = chars.next().ok_or("dangling escape")?;
                        match e {
                            'r' => out.push(b'\r'),
                            'n' => out.push(b'\n'),
                            't' => out.push(b'\t'),
                            '0' => out.push(0),
                            '\\' => out.push(b'\\'),
                            '"' => out.push(b'"'),
                            'x' => {
                                let h: String = chars.by_ref().take(2).collect();
                                out.push(hex_byte(&h)?);
                            }
                            _ => return Err(format!("unknown escape \\{e}")),
                        }
                    }
                    c if c.is_ascii() && !c.is_ascii_control() => out.push(c as u8),
                    c => return Err(format!("{c:?} in a string: use an escape")),
                }
            }
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            if let Some((b, n)) = word.split_once('*') {
                let b = hex_byte(b)?;
                let n: usize = n
                    .parse()
                    .map_err(|_| format!("bad repeat count in {word}"))?;
                out.extend(std::iter::repeat_n(b, n));
            } else {
                if !word.len().is_multiple_of(2) {
                    return Err(format!("odd number of hex digits in {word:?}"));
                }
                for i in (0..word.len()).step_by(2) {
                    out.push(hex_byte(&word[i..i + 2])?);
                }
            }
        }
    }
    Ok(out)
}

fn parse_vector(line: usize, text: &str) -> Result<Vector, String> {
    let fields = split_fields(text);
    if fields.len() < 3 {
        return Err("expected `OP FRAMING [OPTIONS] | INPUT | RESULT ...`".into());
    }
    let mut head = fields[0].split_whitespace();
    let op = match head.next() {
        Some("decode") => Op::Decode,
        Some("encode") => Op::Encode,
        other => return Err(format!("unknown operation {other:?}")),
    };
    let name = head.next().ok_or("no framing name")?.to_owned();
    let mut framing: Framing = name.parse().map_err(|e| format!("{e}"))?;
    let (mut text_mode, mut unterminated) = (false, false);
    for opt in head {
        let (key, value) = match opt.split_once('=') {
            Some((k, v)) => (
                k,
                Some(
                    v.parse::<usize>()
                        .map_err(|_| format!("bad number in {opt}"))?,
                ),
            ),
            None => (opt, None),
        };
        framing = match (key, value, framing) {
            ("max", Some(n), f) => f.with_max_frame_len(n),
            ("header-max", Some(n), Framing::ContentLength(c)) => {
                Framing::ContentLength(c.with_max_header_len(n))
            }
            ("includes-header", None, Framing::LengthPrefixed(c)) => {
                Framing::LengthPrefixed(c.length_includes_header(true))
            }
            ("unterminated", None, Framing::Delimited(d)) => {
                unterminated = true;
                Framing::Delimited(d.accept_unterminated_at_eof(true))
            }
            ("text", None, f) if op == Op::Decode => {
                text_mode = true;
                f
            }
            _ => return Err(format!("option {opt} does not apply to {name}")),
        };
    }
    let input = parse_bytes(&fields[1]).map_err(|e| format!("input: {e}"))?;
    let mut events = Vec::new();
    let mut outcome = None;
    for (i, field) in fields[2..].iter().enumerate() {
        let (word, rest) = field.split_once(' ').unwrap_or((field, ""));
        let rest = rest.trim();
        match (op, word) {
            (Op::Decode, "frame") => events.push(Event::Frame(
                parse_bytes(rest).map_err(|e| format!("frame: {e}"))?,
            )),
            (Op::Decode, "error") => events.push(Event::Error(normalize(rest))),
            (Op::Decode, "eof-error") => events.push(Event::EofError(normalize(rest))),
            (Op::Decode, "end") if rest.is_empty() => events.push(Event::End),
            (Op::Encode, "bytes") if i == 0 && fields.len() == 3 => {
                outcome = Some(Outcome::Bytes(
                    parse_bytes(rest).map_err(|e| format!("bytes: {e}"))?,
                ))
            }
            (Op::Encode, "error") if i == 0 && fields.len() == 3 => {
                outcome = Some(Outcome::Error(normalize(rest)))
            }
            _ => return Err(format!("unexpected result {field:?}")),
        }
    }
    if op == Op::Decode {
        // The last event is the clean end or an error after which nothing can follow.
        match events.last() {
            Some(Event::End | Event::Error(_) | Event::EofError(_)) => {}
            _ => return Err("a decode vector ends with `end` or an error".into()),
        }
        if events[..events.len() - 1].contains(&Event::End) {
            return Err("`end` must come last".into());
        }
    }
    Ok(Vector {
        line,
        text: text.to_owned(),
        op,
        name,
        framing,
        text_mode,
        unterminated,
        input,
        events,
        outcome,
    })
}

/// Every vector in the ```` ```vectors ```` blocks of SPEC.md.
fn parse_vectors(spec: &str) -> Vec<Vector> {
    let mut vectors = Vec::new();
    let mut errors = Vec::new();
    let mut fence: Option<String> = None;
    for (i, raw) in spec.lines().enumerate() {
        let line = raw.trim();
        if let Some(info) = line.strip_prefix("```") {
            if fence.is_some() {
                fence = None;
            } else {
                let info = info.trim().to_owned();
                if info.to_ascii_lowercase().starts_with("vector") && info != "vectors" {
                    errors.push(format!("SPEC.md:{}: mis-tagged fence {info:?}", i + 1));
                }
                fence = Some(info);
            }
            continue;
        }
        if fence.as_deref() != Some("vectors") || line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_vector(i + 1, line) {
            Ok(v) => vectors.push(v),
            Err(e) => errors.push(format!("SPEC.md:{}: {e}\n    {line}", i + 1)),
        }
    }
    assert!(fence.is_none(), "SPEC.md ends inside a fenced block");
    assert!(errors.is_empty(), "bad vectors:\n{}", errors.join("\n"));
    vectors
}

/// The §7 table: `| `DecodeError::X` | kind | policy | ... |` rows.
fn parse_table(spec: &str) -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    for line in spec.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !cells[0].is_empty() {
            continue;
        }
        let Some(name) = cells[1]
            .strip_prefix('`')
            .and_then(|c| c.strip_suffix('`'))
            .filter(|c| c.starts_with("DecodeError::") || c.starts_with("EncodeError::"))
        else {
            continue;
        };
        let row = Row {
            kind: cells[2].trim_matches('`').to_owned(),
            policy: cells[3].to_owned(),
        };
        assert!(
            rows.insert(name.to_owned(), row).is_none(),
            "§7 lists {name} twice"
        );
    }
    rows
}

/// The variant names of `pub enum NAME` in src/error.rs.
fn source_variants(enum_name: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/error.rs");
    let src = std::fs::read_to_string(path).unwrap();
    let start = src
        .find(&format!("pub enum {enum_name} {{"))
        .unwrap_or_else(|| panic!("no enum {enum_name} in {path}"));
    let mut names = Vec::new();
    for line in src[start..].lines().skip(1) {
        if line.starts_with('}') {
            break;
        }
        // Variants sit at four spaces of indentation; their fields at eight.
        let Some(rest) = line.strip_prefix("    ") else {
            continue;
        };
        if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
            names.push(variant(rest).to_owned());
        }
    }
    assert!(!names.is_empty(), "no variants found in {enum_name}");
    names
}

fn kind_name(kind: io::ErrorKind) -> String {
    format!("{kind:?}")
}

/// Checks a decode error against the §7 table.
fn check_row(table: &BTreeMap<String, Row>, e: &DecodeError, v: &Vector) {
    let debug = normalize(&format!("{e:?}"));
    let key = format!("DecodeError::{}", variant(&debug));
    let row = table
        .get(&key)
        .unwrap_or_else(|| panic!("§7 has no row for {key}"));
    assert_eq!(
        row.kind,
        kind_name(e.kind()),
        "§7 kind of {key} (SPEC.md:{})",
        v.line
    );
    let policy = if e.is_recoverable() {
        "recoverable"
    } else {
        "fatal"
    };
    assert!(
        row.policy.starts_with(policy),
        "§7 says {key} is {:?}, the code says {policy}",
        row.policy
    );
}

fn frame_event(v: &Vector, frame: &[u8], at_eof: bool) -> Event {
    match (v.text_mode, check_utf8(frame)) {
        (true, Err(e)) => {
            let e = normalize(&format!("{e:?}"));
            if at_eof {
                Event::EofError(e)
            } else {
                Event::Error(e)
            }
        }
        _ => Event::Frame(frame.to_vec()),
    }
}

/// Decodes `input` fed in pieces of `chunk` bytes, then ends the stream. Returns the events,
/// and the input offsets at which frames came out.
fn run_decoder(v: &Vector, input: &[u8], chunk: usize) -> (Vec<Event>, Vec<usize>) {
    let mut dec = v.framing.clone();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut boundaries = Vec::new();
    let mut fed = 0;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        fed += piece.len();
        loop {
            assert!(events.len() < 10_000, "SPEC.md:{}: runaway decoder", v.line);
            match dec.decode_frame(&mut buf) {
                Ok(Some(frame)) => {
                    if chunk == 1 {
                        assert!(
                            buf.is_empty(),
                            "SPEC.md:{}: a frame came out before its last byte arrived",
                            v.line
                        );
                    }
                    boundaries.push(fed - buf.len());
                    events.push(frame_event(v, &frame, false));
                }
                Ok(None) => break,
                Err(e) => {
                    events.push(Event::Error(normalize(&format!("{e:?}"))));
                    if !e.is_recoverable() {
                        return (events, boundaries);
                    }
                }
            }
        }
    }
    loop {
        assert!(events.len() < 10_000, "SPEC.md:{}: runaway decoder", v.line);
        match dec.decode_frame_eof(&mut buf) {
            Ok(Some(frame)) => {
                boundaries.push(fed - buf.len());
                events.push(frame_event(v, &frame, true));
            }
            Ok(None) => {
                assert!(
                    buf.is_empty(),
                    "SPEC.md:{}: clean end with {} bytes left",
                    v.line,
                    buf.len()
                );
                events.push(Event::End);
                return (events, boundaries);
            }
            Err(e) => {
                events.push(Event::EofError(normalize(&format!("{e:?}"))));
                if !e.is_recoverable() {
                    return (events, boundaries);
                }
            }
        }
    }
}

/// A reader that hands out one byte per `read` call.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// Reads the vector's input through the blocking `FrameReader`. The reader cannot tell an
/// error at the end of the stream from another, so both come back as `Event::Error`.
fn run_reader(v: &Vector, table: &BTreeMap<String, Row>) -> Vec<Event> {
    let mut reader = FrameReader::new(OneByte(&v.input), v.framing.clone());
    let mut events = Vec::new();
    loop {
        assert!(events.len() < 10_000, "SPEC.md:{}: runaway reader", v.line);
        let got = if v.text_mode {
            reader.read_str().map(|s| s.map(|s| s.as_bytes().to_vec()))
        } else {
            reader.read_frame().map(|f| f.map(|f| f.to_vec()))
        };
        match got {
            Ok(Some(frame)) => events.push(Event::Frame(frame)),
            Ok(None) => {
                assert_eq!(
                    reader.position(),
                    v.input.len() as u64,
                    "SPEC.md:{}",
                    v.line
                );
                assert!(reader.buffered().is_empty(), "SPEC.md:{}", v.line);
                events.push(Event::End);
                return events;
            }
            Err(e) => {
                let inner = *e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<DecodeError>())
                    .unwrap_or_else(|| panic!("SPEC.md:{}: not a DecodeError: {e}", v.line));
                assert_eq!(e.kind(), inner.kind(), "SPEC.md:{}", v.line);
                check_row(table, &inner, v);
                events.push(Event::Error(normalize(&format!("{inner:?}"))));
                if !inner.is_recoverable() {
                    // Fatal: nothing of the offending frame is consumed (§7).
                    let pos = reader.position() as usize;
                    let kept = reader.buffered();
                    assert_eq!(kept, &v.input[pos..pos + kept.len()], "SPEC.md:{}", v.line);
                    if let DecodeError::Truncated { buffered, .. } = inner {
                        assert_eq!(kept.len(), buffered, "SPEC.md:{}", v.line);
                        assert_eq!(pos + buffered, v.input.len(), "SPEC.md:{}", v.line);
                    }
                    // Every later call fails the same way.
                    let again = reader.read_frame().expect_err("a fatal error must stick");
                    assert_eq!(again.kind(), e.kind(), "SPEC.md:{}", v.line);
                    return events;
                }
            }
        }
    }
}

fn show(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| match e {
            Event::Frame(f) => format!("frame {:?}", String::from_utf8_lossy(f)),
            Event::Error(s) => format!("error {s}"),
            Event::EofError(s) => format!("eof-error {s}"),
            Event::End => "end".into(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn check_decode(v: &Vector, table: &BTreeMap<String, Row>) {
    let (whole, _) = run_decoder(v, &v.input, v.input.len().max(1));
    assert_eq!(
        whole,
        v.events,
        "SPEC.md:{}: decoded in one piece\n    {}\n    got: {}",
        v.line,
        v.text,
        show(&whole)
    );
    let (bytewise, boundaries) = run_decoder(v, &v.input, 1);
    assert_eq!(
        bytewise,
        v.events,
        "SPEC.md:{}: decoded byte by byte\n    {}\n    got: {}",
        v.line,
        v.text,
        show(&bytewise)
    );
    let merged: Vec<Event> = v
        .events
        .iter()
        .map(|e| match e {
            Event::EofError(s) => Event::Error(s.clone()),
            e => e.clone(),
        })
        .collect();
    let read = run_reader(v, table);
    assert_eq!(
        read,
        merged,
        "SPEC.md:{}: through FrameReader, one byte per read\n    {}\n    got: {}",
        v.line,
        v.text,
        show(&read)
    );

    // A stream cut inside a frame ends with Truncated, never with a partial frame.
    let clean = v
        .events
        .iter()
        .all(|e| matches!(e, Event::Frame(_) | Event::End));
    if clean && !v.unterminated && v.input.len() <= CUT_CHECK_MAX {
        for cut in 1..v.input.len() {
            if boundaries.contains(&cut) {
                continue;
            }
            let done = boundaries.iter().filter(|&&b| b < cut).count();
            let last = boundaries[..done].last().copied().unwrap_or(0);
            let (events, _) = run_decoder(v, &v.input[..cut], cut);
            let (tail, frames) = events.split_last().unwrap();
            assert_eq!(
                frames,
                &v.events[..done],
                "SPEC.md:{}: cut at {cut}",
                v.line
            );
            let want = format!("Truncated{{buffered:{},", cut - last);
            assert!(
                matches!(tail, Event::EofError(e) if e.starts_with(&want)),
                "SPEC.md:{}: cut at {cut}: expected {want}..}}, got {tail:?}",
                v.line
            );
        }
    }
}

fn check_encode(v: &Vector) {
    let want = v.outcome.as_ref().expect("encode vectors have an outcome");
    let mut enc = v.framing.clone();
    let mut dst = BytesMut::new();
    let got = match enc.encode_frame(&v.input, &mut dst) {
        Ok(()) => Outcome::Bytes(dst.to_vec()),
        Err(e) => {
            assert!(dst.is_empty(), "SPEC.md:{}: wrote bytes on error", v.line);
            Outcome::Error(normalize(&format!("{e:?}")))
        }
    };
    assert_eq!(&got, want, "SPEC.md:{}: encode\n    {}", v.line, v.text);

    // encode_parts agrees with encode.
    let mut enc = v.framing.clone();
    match (enc.encode_parts(&v.input), want) {
        (Ok(parts), Outcome::Bytes(bytes)) => {
            let mut whole = parts.header().to_vec();
            whole.extend_from_slice(&v.input);
            whole.extend_from_slice(parts.trailer());
            assert_eq!(&whole, bytes, "SPEC.md:{}: encode_parts", v.line);
        }
        (Err(e), Outcome::Error(s)) => {
            assert_eq!(&normalize(&format!("{e:?}")), s, "SPEC.md:{}", v.line)
        }
        (r, _) => panic!("SPEC.md:{}: encode_parts gave {r:?}", v.line),
    }

    // The blocking writer writes the same bytes, or fails with InvalidInput, writing nothing.
    let mut w = FrameWriter::new(Vec::new(), v.framing.clone());
    match (w.write_frame(&v.input), want) {
        (Ok(()), Outcome::Bytes(bytes)) => {
            assert_eq!(
                &w.finish().unwrap(),
                bytes,
                "SPEC.md:{}: FrameWriter",
                v.line
            )
        }
        (Err(e), Outcome::Error(s)) => {
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "SPEC.md:{}", v.line);
            let inner = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<EncodeError>())
                .expect("an EncodeError inside");
            assert_eq!(&normalize(&format!("{inner:?}")), s, "SPEC.md:{}", v.line);
            assert!(w.finish().unwrap().is_empty(), "SPEC.md:{}", v.line);
        }
        (r, _) => panic!("SPEC.md:{}: FrameWriter gave {r:?}", v.line),
    }

    // What was written reads back as the payload.
    if let Outcome::Bytes(bytes) = want {
        let mut dec = v.framing.clone();
        let mut buf = BytesMut::from(&bytes[..]);
        let frame = dec.decode_frame(&mut buf);
        assert_eq!(
            frame.map(|f| f.map(|f| f.to_vec())),
            Ok(Some(v.input.clone())),
            "SPEC.md:{}: round trip",
            v.line
        );
        assert!(buf.is_empty(), "SPEC.md:{}: round trip left bytes", v.line);
    }
}

#[test]
fn spec_vectors() {
    let spec = spec_text();
    let vectors = parse_vectors(&spec);
    let table = parse_table(&spec);
    for v in &vectors {
        match v.op {
            Op::Decode => check_decode(v, &table),
            Op::Encode => check_encode(v),
        }
    }
    assert!(
        vectors.len() >= MIN_VECTORS,
        "SPEC.md has {} vectors, fewer than {MIN_VECTORS}: did a block vanish?",
        vectors.len()
    );
}

#[test]
fn spec_vectors_cover_every_name_and_error() {
    let spec = spec_text();
    let vectors = parse_vectors(&spec);

    for name in FRAMING_NAMES {
        for op in [Op::Decode, Op::Encode] {
            assert!(
                vectors.iter().any(|v| v.name == *name && v.op == op),
                "no {op:?} vector for framing {name}"
            );
        }
    }
    for v in &vectors {
        assert!(FRAMING_NAMES.contains(&v.name.as_str()));
    }

    let mut decode_seen = BTreeSet::new();
    let mut encode_seen = BTreeSet::new();
    for v in &vectors {
        for e in &v.events {
            if let Event::Error(s) | Event::EofError(s) = e {
                decode_seen.insert(variant(s).to_owned());
            }
        }
        if let Some(Outcome::Error(s)) = &v.outcome {
            encode_seen.insert(variant(s).to_owned());
        }
    }
    let exempt: BTreeSet<&str> = NO_VECTOR.iter().map(|(n, _)| *n).collect();
    let decode_exempt: BTreeSet<&str> = NO_DECODE_VECTOR.iter().map(|(n, _)| *n).collect();
    for name in source_variants("DecodeError") {
        assert!(
            decode_seen.contains(&name) != decode_exempt.contains(name.as_str()),
            "DecodeError::{name}: a vector must give it, unless it is exempt (and then none may)"
        );
    }
    for name in source_variants("EncodeError") {
        assert!(
            encode_seen.contains(&name) || exempt.contains(name.as_str()),
            "no vector gives EncodeError::{name}"
        );
    }
    // Every error is in §7, both ways.
    let table = parse_table(&spec);
    let mut listed: BTreeSet<String> = table.keys().cloned().collect();
    for name in source_variants("DecodeError") {
        assert!(
            listed.remove(&format!("DecodeError::{name}")),
            "§7 has no row for DecodeError::{name}"
        );
    }
    for name in source_variants("EncodeError") {
        let key = format!("EncodeError::{name}");
        let row = table
            .get(&key)
            .unwrap_or_else(|| panic!("§7 has no row for {key}"));
        assert_eq!(row.kind, "InvalidInput", "§7 kind of {key}");
        listed.remove(&key);
    }
    assert!(listed.is_empty(), "§7 lists unknown errors: {listed:?}");
    let kind = io::Error::from(EncodeError::EmptyFrame).kind();
    assert_eq!(kind, io::ErrorKind::InvalidInput);
}

/// The §1 table: every name `Framing` parses, and the canonical name it prints.
#[test]
fn spec_names_table() {
    let spec = spec_text();
    let start = spec.find("\n## §1 ").expect("SPEC.md has §1");
    let end = start + spec[start..].find("\n## §2 ").expect("SPEC.md has §2");
    let mut names = Vec::new();
    for line in spec[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].starts_with('`') {
            continue;
        }
        let name = cells[1].trim_matches('`');
        let canonical = cells[2].trim_matches('`');
        let framing: Framing = name
            .parse()
            .unwrap_or_else(|e| panic!("§1 lists {name}: {e}"));
        assert_eq!(framing.to_string(), canonical, "§1: Display of {name}");
        names.push(name.to_owned());
    }
    let mut listed = names.clone();
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), names.len(), "§1 lists a name twice");
    let mut known: Vec<String> = FRAMING_NAMES.iter().map(|n| n.to_string()).collect();
    known.sort();
    assert_eq!(listed, known, "§1 and FRAMING_NAMES differ");
    assert!("LP32LE".parse::<Framing>().is_err());
}

#[test]
fn vector_format_rejects_mistakes() {
    // The harness itself must be able to fail: a wrong expectation is caught.
    let good = parse_vector(1, r#"decode lp32le | 02000000 "hi" | frame "hi" | end"#).unwrap();
    let (events, _) = run_decoder(&good, &good.input, 1);
    assert_eq!(events, good.events);
    let bad = parse_vector(1, r#"decode lp32le | 02000000 "hi" | frame "ho" | end"#).unwrap();
    let (events, _) = run_decoder(&bad, &bad.input, 1);
    assert_ne!(events, bad.events);
    assert!(parse_vector(1, "decode lp24 | 00 | end").is_err());
    assert!(parse_vector(1, "decode lines includes-header | 00 | end").is_err());
    assert!(parse_vector(1, "decode lines | 0 | end").is_err());
    assert!(parse_vector(1, r#"decode lines | "a\n" | frame "a""#).is_err());
    assert!(
        std::panic::catch_unwind(|| parse_vectors(
            "```vector\ndecode lines | 0a | frame \"\" | end\n```\n"
        ))
        .is_err()
    );
    assert_eq!(
        parse_bytes(r#"61*3 "\r\n\x00" 0a"#).unwrap(),
        b"aaa\r\n\0\n"
    );
    assert_eq!(normalize(r#"A { b: "x y" }"#), r#"A{b:"x y"}"#);
}

/// SPEC.md §8 claims about tokio-util, checked against tokio-util itself.
#[cfg(feature = "tokio")]
mod tokio_util_differences {
    use std::io;

    use bytes::BytesMut;
    use futures_lite::StreamExt;
    use futures_lite::future::block_on;
    use pipeframe::codec::{DecodeError, Delimited, FrameDecoder, LengthPrefixed, Missing};
    use tokio_util::codec::{
        Decoder, Encoder, FramedRead, LengthDelimitedCodec, LinesCodec, LinesCodecError,
    };

    fn ldc_eof(input: &[u8]) -> io::Result<Option<BytesMut>> {
        let mut codec = LengthDelimitedCodec::new();
        let mut buf = BytesMut::from(input);
        match codec.decode(&mut buf)? {
            Some(f) => Ok(Some(f)),
            None => codec.decode_eof(&mut buf),
        }
    }

    fn lp_eof(input: &[u8]) -> Result<Option<bytes::Bytes>, DecodeError> {
        let mut codec = LengthPrefixed::u32_be();
        let mut buf = BytesMut::from(input);
        match FrameDecoder::decode_frame(&mut codec, &mut buf)? {
            Some(f) => Ok(Some(f)),
            None => FrameDecoder::decode_frame_eof(&mut codec, &mut buf),
        }
    }

    #[test]
    fn length_delimited_end_of_stream() {
        // Inside the header.
        let e = ldc_eof(b"\x00\x00").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Other);
        assert_eq!(e.to_string(), "bytes remaining on stream");
        assert!(matches!(
            lp_eof(b"\x00\x00"),
            Err(DecodeError::Truncated {
                buffered: 2,
                missing: Missing::AtLeast(2)
            })
        ));
        // Right after a header declaring 5 bytes: tokio-util ends cleanly.
        assert!(ldc_eof(b"\x00\x00\x00\x05").unwrap().is_none());
        let frames: Vec<_> = block_on(
            FramedRead::new(&b"\x00\x00\x00\x05"[..], LengthDelimitedCodec::new())
                .collect::<Vec<_>>(),
        );
        assert!(frames.is_empty());
        assert!(matches!(
            lp_eof(b"\x00\x00\x00\x05"),
            Err(DecodeError::Truncated {
                buffered: 4,
                missing: Missing::Exactly(5)
            })
        ));
        // Inside the payload.
        assert_eq!(
            ldc_eof(b"\x00\x00\x00\x05he").unwrap_err().kind(),
            io::ErrorKind::Other
        );
        // An empty frame is a frame in both.
        assert_eq!(ldc_eof(b"\x00\x00\x00\x00").unwrap().unwrap(), &b""[..]);
        assert_eq!(lp_eof(b"\x00\x00\x00\x00").unwrap().unwrap(), &b""[..]);
    }

    #[test]
    fn length_delimited_maximum_and_errors() {
        let mut codec = LengthDelimitedCodec::new();
        assert_eq!(codec.max_frame_length(), 8 * 1024 * 1024);
        let mut buf = BytesMut::from(&b"\x00\x80\x00\x00"[..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        let mut codec = LengthDelimitedCodec::new();
        let mut buf = BytesMut::from(&b"\x00\x80\x00\x01"[..]);
        let e = codec.decode(&mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "frame size too big");
        assert_eq!(buf.len(), 4, "the header stays in the buffer");
        // FramedRead: the error, then None once, then (polled again) the same error.
        let mut framed = FramedRead::new(&b"\x00\x80\x00\x01"[..], LengthDelimitedCodec::new());
        block_on(async {
            assert!(framed.next().await.unwrap().is_err());
            assert!(framed.next().await.is_none());
            assert!(framed.next().await.unwrap().is_err());
        });
        // The encoder refuses a payload over the maximum.
        let mut codec = LengthDelimitedCodec::builder()
            .max_frame_length(3)
            .new_codec();
        let e = codec
            .encode(&b"abcd"[..], &mut BytesMut::new())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    /// How a stream ended, after the frames.
    #[derive(Debug, PartialEq)]
    enum Ending {
        Clean,
        TooLong,
        /// tokio-util's "bytes remaining on stream"; pipeframe's `Truncated` with `buffered`.
        Remaining(Option<usize>),
    }

    proptest::proptest! {
        #[test]
        fn length_delimited_differential(
            input in proptest::collection::vec(proptest::sample::select(vec![0u8, 1, 2, 3, 9, b'x']), 0..40),
            chunks in proptest::collection::vec(1usize..7, 1..10),
            m in 0usize..5,
        ) {
            let mut theirs = (Vec::new(), Ending::Clean);
            let mut codec = LengthDelimitedCodec::builder().max_frame_length(m).new_codec();
            let mut mine = (Vec::new(), Ending::Clean);
            let mut ours = LengthPrefixed::u32_be().with_max_frame_len(m);
            let (mut buf_t, mut buf_m) = (BytesMut::new(), BytesMut::new());
            let (mut done_t, mut done_m) = (false, false);
            let mut rest = &input[..];
            for &c in chunks.iter().cycle() {
                let (piece, tail) = rest.split_at(c.min(rest.len()));
                rest = tail;
                buf_t.extend_from_slice(piece);
                buf_m.extend_from_slice(piece);
                while !done_t {
                    match codec.decode(&mut buf_t) {
                        Ok(Some(f)) => theirs.0.push(f.to_vec()),
                        Ok(None) => break,
                        Err(e) => {
                            proptest::prop_assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                            theirs.1 = Ending::TooLong;
                            done_t = true;
                        }
                    }
                }
                while !done_m {
                    match FrameDecoder::decode_frame(&mut ours, &mut buf_m) {
                        Ok(Some(f)) => mine.0.push(f.to_vec()),
                        Ok(None) => break,
                        Err(DecodeError::FrameTooLong { .. }) => {
                            mine.1 = Ending::TooLong;
                            done_m = true;
                        }
                        Err(e) => proptest::prop_assert!(false, "{e:?}"),
                    }
                }
                if rest.is_empty() {
                    break;
                }
            }
            while !done_t {
                match codec.decode_eof(&mut buf_t) {
                    Ok(Some(f)) => theirs.0.push(f.to_vec()),
                    Ok(None) => done_t = true,
                    Err(e) => {
                        proptest::prop_assert_eq!(e.kind(), io::ErrorKind::Other);
                        theirs.1 = Ending::Remaining(None);
                        done_t = true;
                    }
                }
            }
            while !done_m {
                match ours.decode_frame_eof(&mut buf_m) {
                    Ok(Some(f)) => mine.0.push(f.to_vec()),
                    Ok(None) => done_m = true,
                    Err(DecodeError::Truncated { buffered, .. }) => {
                        mine.1 = Ending::Remaining(Some(buffered));
                        done_m = true;
                    }
                    Err(e) => proptest::prop_assert!(false, "{e:?}"),
                }
            }
            proptest::prop_assert_eq!(&theirs.0, &mine.0);
            // The mapping of SPEC.md §8 "For differential testing".
            let predicted = match mine.1 {
                Ending::Remaining(Some(4)) => Ending::Clean,
                Ending::Remaining(Some(_)) => Ending::Remaining(None),
                e => e,
            };
            proptest::prop_assert_eq!(theirs.1, predicted);
        }
    }

    fn lines(max: usize, input: &[u8], eof: bool) -> Vec<Result<String, String>> {
        let mut codec = LinesCodec::new_with_max_length(max);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            let r = if eof {
                codec.decode_eof(&mut buf)
            } else {
                codec.decode(&mut buf)
            };
            match r {
                Ok(Some(s)) => out.push(Ok(s)),
                Ok(None) => return out,
                Err(e) => out.push(Err(e.to_string())),
            }
            assert!(out.len() < 100);
        }
    }

    fn ours(max: usize, input: &[u8]) -> Vec<Result<Vec<u8>, DecodeError>> {
        let mut codec = Delimited::lines().with_max_frame_len(max);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match codec.decode_frame(&mut buf) {
                Ok(Some(f)) => out.push(Ok(f.to_vec())),
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }

    fn too_long() -> Result<String, String> {
        Err("max line length exceeded".to_owned())
    }

    #[test]
    fn lines_maximum_counts_the_cr() {
        assert_eq!(lines(3, b"abc\n", false), [Ok("abc".to_owned())]);
        assert_eq!(lines(3, b"abc\r\n", false), [too_long()]);
        assert_eq!(ours(3, b"abc\r\n"), [Ok(b"abc".to_vec())]);
        // Reported at max + 1 buffered bytes without '\n'; pipeframe waits for one more.
        assert_eq!(lines(3, b"abcd", false), [too_long()]);
        assert_eq!(ours(3, b"abcd"), []);
        assert_eq!(
            ours(3, b"abcde"),
            [Err(DecodeError::DelimitedTooLong { seen: 4, max: 3 })]
        );
        // Both resync at the next '\n' and report once.
        assert_eq!(
            lines(3, b"abcdefgh\nxy\n", false),
            [too_long(), Ok("xy".to_owned())]
        );
        assert_eq!(lines(3, b"a\r\r\n", false), [Ok("a\r".to_owned())]);
        assert_eq!(LinesCodec::new().max_length(), usize::MAX);
    }

    #[test]
    fn lines_end_of_stream() {
        assert_eq!(lines(10, b"ab\r", true), [Ok("ab".to_owned())]);
        let mut codec = LinesCodec::new();
        let mut buf = BytesMut::from(&b"\r"[..]);
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
        assert_eq!(
            lines(3, b"abc\r", true),
            [Err("max line length exceeded".to_owned())]
        );
        let mut ours = Delimited::lines();
        let mut buf = BytesMut::from(&b"ab\r"[..]);
        assert!(matches!(
            ours.decode_frame_eof(&mut buf),
            Err(DecodeError::Truncated {
                buffered: 3,
                missing: Missing::Delimiter
            })
        ));
        let mut ours = Delimited::lines().accept_unterminated_at_eof(true);
        assert_eq!(
            ours.decode_frame_eof(&mut buf).unwrap().unwrap(),
            &b"ab\r"[..]
        );
    }

    /// What SPEC.md §8 "For differential testing" predicts, line by line: `Ok(line)` or
    /// `Err(())` for too long, for tokio-util (`tokio == true`) or pipeframe.
    fn model(input: &[u8], m: usize, tokio: bool) -> Vec<Result<Vec<u8>, ()>> {
        let mut out = Vec::new();
        let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        let rest = parts.pop().unwrap();
        for raw in parts {
            let payload = raw.strip_suffix(b"\r").unwrap_or(raw);
            let counted = if tokio { raw } else { payload };
            out.push(if counted.len() > m {
                Err(())
            } else {
                Ok(payload.to_vec())
            });
        }
        if rest.len() > m {
            out.push(Err(()));
        } else if tokio && rest != b"\r" && !rest.is_empty() {
            out.push(Ok(rest.strip_suffix(b"\r").unwrap_or(rest).to_vec()));
        } else if !tokio && !rest.is_empty() {
            out.push(Ok(rest.to_vec()));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn lines_differential_model(
            input in proptest::collection::vec(proptest::sample::select(vec![b'a', b'\r', b'\n']), 0..24),
            m in 0usize..6,
        ) {
            let mut theirs = Vec::new();
            let mut codec = LinesCodec::new_with_max_length(m);
            let mut buf = BytesMut::from(&input[..]);
            let mut eof = false;
            loop {
                let r = if eof { codec.decode_eof(&mut buf) } else { codec.decode(&mut buf) };
                match r {
                    Ok(Some(s)) => theirs.push(Ok(s.into_bytes())),
                    Ok(None) if eof => break,
                    Ok(None) => eof = true,
                    Err(_) => theirs.push(Err(())),
                }
            }
            let mut mine = Vec::new();
            let mut codec = Delimited::lines().with_max_frame_len(m).accept_unterminated_at_eof(true);
            let mut buf = BytesMut::from(&input[..]);
            let mut eof = false;
            loop {
                let r = if eof { codec.decode_frame_eof(&mut buf) } else { codec.decode_frame(&mut buf) };
                match r {
                    Ok(Some(f)) => mine.push(Ok(f.to_vec())),
                    Ok(None) if eof => break,
                    Ok(None) => eof = true,
                    Err(_) => mine.push(Err(())),
                }
            }
            proptest::prop_assert_eq!(theirs, model(&input, m, true));
            proptest::prop_assert_eq!(mine, model(&input, m, false));
        }
    }

    #[test]
    fn lines_utf8_encoding_and_framed_read() {
        let mut codec = LinesCodec::new();
        let mut buf = BytesMut::from(&b"\xff\nok\n"[..]);
        match codec.decode(&mut buf) {
            Err(LinesCodecError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
            other => panic!("{other:?}"),
        }
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "ok");
        // The encoder checks nothing.
        let mut codec = LinesCodec::new_with_max_length(1);
        let mut out = BytesMut::new();
        codec.encode("a\nb", &mut out).unwrap();
        codec.encode("c\r", &mut out).unwrap();
        assert_eq!(&out[..], b"a\nb\nc\r\n");
        // FramedRead: the error, None once, then the following lines if polled again.
        let mut framed = FramedRead::new(&b"abcdef\nxy\n"[..], LinesCodec::new_with_max_length(3));
        block_on(async {
            assert!(framed.next().await.unwrap().is_err());
            assert!(framed.next().await.is_none());
            assert_eq!(framed.next().await.unwrap().unwrap(), "xy");
        });
    }
}
