//! Property tests of the codec core, for every codec configuration: every proper prefix of a
//! frame is "need more bytes"; any chunking of the input decodes to the same frames (and the
//! same errors), through `decode` and through `sync::FrameReader`; encode/decode round trips;
//! bytes are conserved at the `step` level.

mod common;

use bytes::BytesMut;
use common::{ScriptedReader, all_configs, encode_all, sanitize, split};
use pipeframe::codec::{DecodeError, FrameDecoder, FrameEncoder, Framing, Missing};
use pipeframe::sync::{FrameReader, FrameWriter};
use proptest::prelude::*;

/// What decoding produced, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Frame(Vec<u8>),
    Error(DecodeError),
    /// The clean end of the stream.
    End,
}

/// More than any test input can produce: guards against a decoder that loops.
const MAX_OUTS: usize = 10_000;

/// Decodes `chunks` fed one by one into a `BytesMut`, then the end of the stream.
fn decode_chunks(codec: &Framing, chunks: &[Vec<u8>]) -> Vec<Out> {
    let mut d = codec.clone();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            assert!(out.len() < MAX_OUTS, "decoder does not make progress");
            match d.decode_frame(&mut buf) {
                Ok(Some(f)) => out.push(Out::Frame(f.to_vec())),
                Ok(None) => break,
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    out.push(Out::Error(e));
                    if fatal {
                        return out;
                    }
                }
            }
        }
    }
    loop {
        assert!(
            out.len() < MAX_OUTS,
            "decoder does not make progress at eof"
        );
        match d.decode_frame_eof(&mut buf) {
            Ok(Some(f)) => out.push(Out::Frame(f.to_vec())),
            Ok(None) => {
                assert!(buf.is_empty(), "clean end with {} bytes left", buf.len());
                out.push(Out::End);
                return out;
            }
            Err(e) => {
                let fatal = !e.is_recoverable();
                out.push(Out::Error(e));
                if fatal {
                    return out;
                }
            }
        }
    }
}

/// The same through a `FrameReader` over a reader that replays the chunks; owned and
/// borrowed reads alternate.
fn read_chunks(codec: &Framing, chunks: &[Vec<u8>]) -> Vec<Out> {
    let source = ScriptedReader::new(chunks.iter().cloned().map(common::Event::Data));
    let mut r = FrameReader::with_capacity(0, source, codec.clone());
    let mut out = Vec::new();
    let mut owned = false;
    loop {
        assert!(out.len() < MAX_OUTS, "reader does not make progress");
        owned = !owned;
        let res = if owned {
            r.read_frame().map(|f| f.map(|f| f.to_vec()))
        } else {
            r.read_frame_ref().map(|f| f.map(<[u8]>::to_vec))
        };
        match res {
            Ok(Some(f)) => out.push(Out::Frame(f)),
            Ok(None) => {
                out.push(Out::End);
                return out;
            }
            Err(e) => {
                let de = *e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<DecodeError>())
                    .unwrap_or_else(|| panic!("not a decode error: {e}"));
                assert_eq!(e.kind(), de.kind());
                let fatal = !de.is_recoverable();
                out.push(Out::Error(de));
                if fatal {
                    // Later reads keep failing, and the iterator is over.
                    let again = r.read_frame().unwrap_err();
                    assert_eq!(again.kind(), e.kind());
                    assert!(r.next().is_none());
                    return out;
                }
            }
        }
    }
}

/// The same at the `step` level on a plain `Vec`, checking that every step stays inside the
/// bytes it was given and that consumed plus remaining bytes equal the input.
fn step_chunks(codec: &Framing, chunks: &[Vec<u8>]) -> Vec<Out> {
    let mut d = codec.clone();
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0usize;
    let mut consumed_total = 0usize;
    let mut out = Vec::new();
    for chunk in chunks.iter().map(Some).chain([None]) {
        let eof = chunk.is_none();
        if let Some(chunk) = chunk {
            buf.extend_from_slice(chunk);
            fed += chunk.len();
        }
        loop {
            assert!(out.len() < MAX_OUTS, "decoder does not make progress");
            let res = if eof { d.step_eof(&buf) } else { d.step(&buf) };
            let step = match res {
                Ok(step) => step,
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    out.push(Out::Error(e));
                    if fatal {
                        assert_eq!(consumed_total + buf.len(), fed);
                        return out;
                    }
                    continue;
                }
            };
            let n = step.consumed();
            assert!(n <= buf.len(), "consumed {n} of {} bytes", buf.len());
            if let Some(r) = step.frame_range() {
                assert!(r.start <= r.end && r.end <= n, "frame {r:?} outside {n}");
                assert!(n > 0, "a frame must consume bytes");
                out.push(Out::Frame(buf[r].to_vec()));
            }
            buf.drain(..n);
            consumed_total += n;
            assert_eq!(consumed_total + buf.len(), fed, "bytes not conserved");
            if n == 0 {
                break;
            }
        }
        if eof {
            assert!(buf.is_empty(), "clean end with {} bytes left", buf.len());
            out.push(Out::End);
        }
    }
    out
}

fn expected(payloads: &[Vec<u8>]) -> Vec<Out> {
    payloads
        .iter()
        .cloned()
        .map(Out::Frame)
        .chain([Out::End])
        .collect()
}

/// Bytes that matter to some codec show up often.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => any::<u8>(),
        1 => Just(b'\n'),
        1 => Just(b'\r'),
        1 => Just(0u8),
        1 => Just(b':'),
        1 => Just(b','),
        1 => prop::sample::select(b"0123456789".to_vec()),
    ]
}

fn payload(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(byte(), 0..max)
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..48, 0..24)
}

/// A wire image damaged by overwrites, insertions and deletions.
fn mutate(mut wire: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, b, op) in edits {
        match op % 3 {
            0 if !wire.is_empty() => {
                let i = at % wire.len();
                wire[i] = b;
            }
            1 => {
                let i = at % (wire.len() + 1);
                wire.insert(i, b);
            }
            _ if !wire.is_empty() => {
                let i = at % wire.len();
                wire.remove(i);
            }
            _ => {}
        }
    }
    wire
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Every proper prefix of a valid frame is `Ok(None)`, fed to a fresh decoder or to one
    /// decoder byte by byte; at EOF it is `Truncated`, and the missing count adds up.
    #[test]
    fn every_prefix_needs_more(p in payload(160)) {
        // (A codec that takes an unterminated tail as a frame at EOF is exempt from the EOF
        // half of this property: that is what it is for.)
        for (name, codec) in all_configs() {
            let tail_ok = name.contains("unterminated");
            let mut enc = codec.clone();
            let p = sanitize(&mut enc, p.clone());
            let mut frame = Vec::new();
            enc.encode_frame(&p, &mut frame).unwrap();

            let mut incremental = codec.clone();
            for k in 0..frame.len() {
                // `readline-crlf` (SPEC.md §4a): the `\r` of its `\r\n` ends the line already.
                if matches!(codec, Framing::DotnetLines(_)) && k + 1 == frame.len() && frame.ends_with(b"\r\n") {
                    continue;
                }
                let mut d = codec.clone();
                let mut buf = BytesMut::from(&frame[..k]);
                prop_assert_eq!(d.decode_frame(&mut buf), Ok(None), "{} prefix {}", name, k);
                prop_assert_eq!(buf.len(), k, "{}: a prefix was consumed", name);
                let step = incremental.step(&frame[..k]).unwrap();
                prop_assert_eq!(step.consumed(), 0, "{} byte by byte at {}", name, k);

                if k > 0 && !tail_ok {
                    let mut d = codec.clone();
                    let mut buf = BytesMut::from(&frame[..k]);
                    match d.decode_frame_eof(&mut buf) {
                        Err(DecodeError::Truncated { buffered, missing }) => {
                            prop_assert_eq!(buffered, k);
                            match missing {
                                Missing::Exactly(n) => prop_assert_eq!(
                                    k as u64 + n, frame.len() as u64, "{} prefix {}", name, k),
                                Missing::AtLeast(n) => prop_assert!(
                                    k as u64 + n <= frame.len() as u64, "{} prefix {}", name, k),
                                Missing::Delimiter => prop_assert!(
                                    matches!(codec, Framing::Delimited(_) | Framing::DotnetLines(_)), "{}", name),
                                // Only native message mode, never a byte codec.
                                other => prop_assert!(false, "{} prefix {}: {:?}", name, k, other),
                            }
                        }
                        other => prop_assert!(false, "{} prefix {} at eof: {:?}", name, k, other),
                    }
                }
            }
            let step = incremental.step(&frame).unwrap();
            prop_assert_eq!(step.consumed(), frame.len(), "{}", name);
            prop_assert_eq!(step.frame_range().map(|r| frame[r].to_vec()), Some(p.clone()));
        }
    }

    /// Encode then decode gives the payloads back; `FrameWriter` writes the same bytes as
    /// `encode`; any chunking decodes to the same frames through `decode`, `step` and
    /// `FrameReader`.
    #[test]
    fn chunking_and_round_trip(ps in prop::collection::vec(payload(120), 0..6), cuts in cuts()) {
        for (name, codec) in all_configs() {
            let mut enc = codec.clone();
            let ps: Vec<Vec<u8>> = ps.iter().map(|p| sanitize(&mut enc, p.clone())).collect();
            let wire = encode_all(&mut enc, &ps);

            let mut w = FrameWriter::with_high_water(16, Vec::new(), codec.clone());
            for p in &ps {
                w.write_frame(p).unwrap();
            }
            prop_assert_eq!(&w.finish().unwrap(), &wire, "{}: writer and encode differ", name);

            let want = expected(&ps);
            let whole = vec![wire.clone()];
            let bytes: Vec<Vec<u8>> = wire.iter().map(|&b| vec![b]).collect();
            let chunks = split(&wire, &cuts);
            for (how, c) in [("whole", &whole), ("bytewise", &bytes), ("chunks", &chunks)] {
                prop_assert_eq!(&decode_chunks(&codec, c), &want, "{} decode {}", name, how);
                prop_assert_eq!(&step_chunks(&codec, c), &want, "{} step {}", name, how);
                prop_assert_eq!(&read_chunks(&codec, c), &want, "{} reader {}", name, how);
            }
        }
    }

    /// Damaged and random input: the same frames and the same errors whatever the chunking,
    /// in `decode`, `step` and `FrameReader` alike, with bytes conserved.
    #[test]
    fn malformed_same_whatever_the_chunking(
        ps in prop::collection::vec(payload(40), 0..5),
        edits in prop::collection::vec((any::<usize>(), byte(), any::<u8>()), 1..4),
        garbage in payload(80),
        cuts in cuts(),
    ) {
        for (name, codec) in all_configs() {
            let mut enc = codec.clone();
            let ps: Vec<Vec<u8>> = ps.iter().map(|p| sanitize(&mut enc, p.clone())).collect();
            let damaged = mutate(encode_all(&mut enc, &ps), &edits);
            // Ten or more 0xff bytes: an overflowing varint, a negative signed length.
            let high: Vec<u8> = [0xff; 11].iter().copied().chain(garbage.iter().copied()).collect();
            for input in [&damaged, &garbage, &high] {
                let whole = vec![input.clone()];
                let reference = decode_chunks(&codec, &whole);
                let bytes: Vec<Vec<u8>> = input.iter().map(|&b| vec![b]).collect();
                let chunks = split(input, &cuts);
                for (how, c) in [("whole", &whole), ("bytewise", &bytes), ("chunks", &chunks)] {
                    prop_assert_eq!(&decode_chunks(&codec, c), &reference,
                        "{} decode {} of {:?}", name, how, input);
                    prop_assert_eq!(&step_chunks(&codec, c), &reference,
                        "{} step {} of {:?}", name, how, input);
                    prop_assert_eq!(&read_chunks(&codec, c), &reference,
                        "{} reader {} of {:?}", name, how, input);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Frames larger than the reader's buffer and chunks of any size: the reader's
    /// compaction and growth keep every frame whole, owned or borrowed.
    #[test]
    fn reader_buffer_growth_and_compaction(
        sizes in prop::collection::vec(prop_oneof![0usize..64, 0usize..20_000], 1..12),
        seed in any::<u64>(),
        cuts in prop::collection::vec(0usize..9_000, 0..16),
        capacity in prop_oneof![Just(0usize), 0usize..70_000],
    ) {
        let mut rng = common::XorShift::new(seed);
        for name in ["lp32le", "varint", "lines", "lsp", "netstring", "python"] {
            let codec: Framing = name.parse().unwrap();
            let mut enc = codec.clone();
            let ps: Vec<Vec<u8>> = sizes
                .iter()
                .map(|&n| {
                    let mut p = vec![0u8; n];
                    rng.fill(&mut p);
                    sanitize(&mut enc, p)
                })
                .collect();
            let wire = encode_all(&mut enc, &ps);
            let chunks = split(&wire, &cuts);
            for mode in 0..3 {
                let source = ScriptedReader::new(chunks.iter().cloned().map(common::Event::Data));
                let mut r = FrameReader::with_capacity(capacity, source, codec.clone());
                let mut got: Vec<Vec<u8>> = Vec::new();
                let mut held = Vec::new();
                loop {
                    let f = match mode {
                        // Borrowed.
                        0 => r.read_frame_ref().unwrap().map(<[u8]>::to_vec),
                        // Owned, dropped at once.
                        1 => r.read_frame().unwrap().map(|f| f.to_vec()),
                        // Owned, all kept alive while reading goes on.
                        _ => r.read_frame().unwrap().map(|f| {
                            held.push(f.clone());
                            f.to_vec()
                        }),
                    };
                    match f {
                        Some(f) => got.push(f),
                        None => break,
                    }
                }
                prop_assert_eq!(&got, &ps, "{} mode {}", name, mode);
                for (h, p) in held.iter().zip(&ps) {
                    prop_assert_eq!(&h[..], &p[..], "{}: a kept frame changed", name);
                }
            }
        }
    }
}

/// LEB128, written independently of the codec.
fn reference_varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// The header a length-prefixed codec must write (or accept) for the value `v`, built from
/// the wire format's definition; `None` if the value cannot be written.
fn reference_header(name: &str, v: u64) -> Option<Vec<u8>> {
    let fixed = |w: usize, be: bool| -> Option<Vec<u8>> {
        if w < 8 && v >> (8 * w) != 0 {
            return None;
        }
        Some(if be {
            v.to_be_bytes()[8 - w..].to_vec()
        } else {
            v.to_le_bytes()[..w].to_vec()
        })
    };
    match name {
        "lp8" => fixed(1, true),
        "lp16be" => fixed(2, true),
        "lp16le" => fixed(2, false),
        "lp32be" => fixed(4, true),
        "lp32le" => fixed(4, false),
        "lp64be" => fixed(8, true),
        "lp64le" => fixed(8, false),
        "dotnet" if v <= i32::MAX as u64 => fixed(4, false),
        "varint" => Some(reference_varint(v)),
        "python" if v <= i32::MAX as u64 => fixed(4, true),
        "python" => Some([&[0xff; 4][..], &v.to_be_bytes()].concat()),
        _ => None,
    }
}

const LP_NAMES: [&str; 10] = [
    "lp8", "lp16be", "lp16le", "lp32be", "lp32le", "lp64be", "lp64le", "varint", "dotnet", "python",
];

proptest! {
    /// Any length value, read from a header built by the definition of the format: the
    /// decoder waits for exactly that many payload bytes (or, with the length counting the
    /// header, that many minus the header).
    #[test]
    fn length_headers_match_the_definition(
        v in prop_oneof![any::<u64>(), 0u64..300, 0u64..70_000, any::<u32>().prop_map(u64::from)],
    ) {
        for name in LP_NAMES {
            let Some(header) = reference_header(name, v) else { continue };
            let h = header.len() as u64;
            for incl in [false, true] {
                let Framing::LengthPrefixed(c) = name.parse::<Framing>().unwrap() else {
                    unreachable!()
                };
                let mut c = c.length_includes_header(incl).with_max_frame_len(usize::MAX);
                let got = c.step_eof(&header);
                let payload = if incl { v.checked_sub(h) } else { Some(v) };
                match payload {
                    None => prop_assert!(
                        matches!(got, Err(DecodeError::LengthBelowHeader { .. })),
                        "{} incl={} v={}: {:?}", name, incl, v, got),
                    Some(0) => prop_assert_eq!(
                        got.unwrap().frame_range(), Some(header.len()..header.len()),
                        "{} incl={} v={}", name, incl, v),
                    Some(n) => prop_assert_eq!(
                        got,
                        Err(DecodeError::Truncated {
                            buffered: header.len(),
                            missing: Missing::Exactly(n),
                        }),
                        "{} incl={} v={}", name, incl, v),
                }
            }
        }
    }

    /// The encoder writes exactly the header the definition gives for the payload length.
    #[test]
    fn encoded_headers_match_the_definition(len in prop_oneof![0usize..300, 0usize..70_000]) {
        let payload = vec![0u8; len];
        for name in LP_NAMES {
            let Framing::LengthPrefixed(c) = name.parse::<Framing>().unwrap() else {
                unreachable!()
            };
            let mut c = c.with_max_frame_len(usize::MAX);
            match reference_header(name, len as u64) {
                Some(want) => {
                    let parts = c.encode_parts(&payload).unwrap();
                    prop_assert_eq!(parts.header(), &want[..], "{} len {}", name, len);
                    prop_assert!(parts.trailer().is_empty());
                }
                None => prop_assert!(c.encode_parts(&payload).is_err(), "{} len {}", name, len),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// LSP header blocks as peers write them: any casing, whitespace around the value,
    /// other headers before and after, a repeated equal `Content-Length`. Any chunking.
    #[test]
    fn lsp_header_variants(
        frames in prop::collection::vec(
            (
                payload(60),
                prop::sample::select(vec!["Content-Length", "content-length", "CONTENT-LENGTH", "CoNtEnT-lEnGtH"]),
                prop::sample::select(vec!["", " ", "  ", "\t", " \t "]),
                prop::sample::select(vec!["", " ", "\t "]),
                prop::collection::vec(prop::sample::select(vec![
                    "Content-Type: application/vscode-jsonrpc; charset=utf-8",
                    "X-Empty:",
                    "x-colon: a:b:c",
                ]), 0..3),
                0usize..4,
                any::<bool>(),
            ),
            0..5,
        ),
        cuts in cuts(),
    ) {
        let mut wire = Vec::new();
        let mut ps = Vec::new();
        for (p, name, before, after, others, at, twice) in frames {
            let cl = format!("{name}:{before}{}{after}", p.len());
            let mut lines: Vec<String> = others.iter().map(|s| s.to_string()).collect();
            lines.insert(at.min(lines.len()), cl.clone());
            if twice {
                lines.push(cl);
            }
            for l in lines {
                wire.extend_from_slice(l.as_bytes());
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"\r\n");
            wire.extend_from_slice(&p);
            ps.push(p);
        }
        let codec: Framing = "lsp".parse().unwrap();
        let want = expected(&ps);
        let chunks = split(&wire, &cuts);
        prop_assert_eq!(&decode_chunks(&codec, &chunks), &want);
        prop_assert_eq!(&read_chunks(&codec, &chunks), &want);
        let bytes: Vec<Vec<u8>> = wire.iter().map(|&b| vec![b]).collect();
        prop_assert_eq!(&step_chunks(&codec, &bytes), &want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `encode_into_vec` (the writers' batch path, which the fixed-width length prefixes
    /// write out by hand) appends exactly what `encode_parts` describes, for every
    /// configuration; where `encode_parts` refuses the payload it refuses it too, with the
    /// same error, and leaves the buffer as it was.
    #[test]
    fn encode_into_vec_matches_encode_parts(
        p in prop_oneof![payload(300), prop::collection::vec(any::<u8>(), 250..300)],
        before in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        for (name, codec) in all_configs() {
            let (mut a, mut b) = (codec.clone(), codec);
            let mut got = before.clone();
            let res = a.encode_into_vec(&p, &mut got);
            match b.encode_parts(&p) {
                Ok(parts) => {
                    prop_assert!(res.is_ok(), "{}: {:?}", name, res);
                    let mut want = before.clone();
                    want.extend_from_slice(parts.header());
                    want.extend_from_slice(&p);
                    want.extend_from_slice(parts.trailer());
                    prop_assert_eq!(&got, &want, "{}", name);
                }
                Err(e) => {
                    prop_assert_eq!(res, Err(e), "{}", name);
                    prop_assert_eq!(&got, &before, "{}: the buffer changed on a refusal", name);
                }
            }
        }
    }
}

/// The configuration list covers every name `Framing` parses.
#[test]
fn configs_cover_every_name() {
    let configs = all_configs();
    for name in pipeframe::codec::FRAMING_NAMES {
        assert!(configs.iter().any(|(n, _)| n == name), "{name} missing");
    }
    assert!(configs.iter().any(|(n, _)| n.ends_with("incl")));
}

/// Every name parses, prints a canonical name, and that name parses to the same codec.
#[test]
fn names_round_trip() {
    for name in pipeframe::codec::FRAMING_NAMES {
        let f: Framing = name.parse().unwrap();
        let canonical = f.to_string();
        assert_eq!(canonical.parse::<Framing>().unwrap(), f, "{name}");
        assert!(
            pipeframe::codec::FRAMING_NAMES.contains(&canonical.as_str()),
            "{name} -> {canonical}"
        );
        assert_eq!(canonical.parse::<Framing>().unwrap().to_string(), canonical);
        // Only the aliases print another name.
        if !["erlang", "node", "node-advanced"].contains(name) {
            assert_eq!(&canonical, name);
        }
    }
    let e = "lp24".parse::<Framing>().unwrap_err().to_string();
    assert!(e.contains("\"lp24\"") && e.contains("lp32le"), "{e}");
}
