//! Writes the seed corpora: `cargo run --bin seeds [OUT_DIR]` (default `seeds/`), from the
//! `fuzz/` directory (CI runs the binary `cargo fuzz build` made).
//!
//! Seeds are generated, never written by hand:
//!
//! * the test vectors of `../SPEC.md` (fenced ```` ```vectors ```` blocks, format in its §0):
//!   every `decode` input and every `encode` result, with the vector's options (`max=N`,
//!   `includes-header`, `header-max=N`, `unterminated`) turned into the targets'
//!   configuration bytes;
//! * frames encoded with pipeframe's own encoders, for every framing name;
//! * for the `writers` target, frame scripts aimed at the write engine's edges (4 KiB,
//!   64 KiB and 1 MiB frames, streams of large frames through the `Sink` and
//!   `write_frames`, refused frames, cancelled futures) for each writer, over write scripts
//!   with short writes, `Pending`s and an error;
//! * for the `assembler` target, message scripts (empty messages, the maximum and one more,
//!   a read chunk, twice the maximum, a maximum changed between messages) with several
//!   maximums, read scripts and flags (cut inside the last message, blocking);
//! * for the `framing` target, every framing name and a few strings that are not one, each
//!   with the payloads below (and ones holding delimiters, a byte order mark, 4 KiB), under
//!   several maximums and piece sizes.
//!
//! Each stream is wrapped in every matching target's input layout (configuration bytes, a
//! read script, the stream), whole, cut short and with a corrupted first byte, with several
//! scripts, so the error paths and the chunkings are seeded too. The engine targets get each
//! stream once with each way of handing the codec over (`invariants::Handover`, one per
//! script), and the `readline` framings as `DotnetLines` (`n / 32` bit 0); one long stream
//! of short lines read into a small buffer makes the read buffer compact itself.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use pipeframe::codec::{FRAMING_NAMES, FrameEncoder, Framing};
use pipeframe_fuzz::assembler;
use pipeframe_fuzz::framing::CANONICAL;
use pipeframe_fuzz::invariants::{CFG_DEFAULT_MAX, Input, flag};
use pipeframe_fuzz::writers::{self, class, how};

/// Payloads encoded with each framing (those a framing refuses are left out).
fn payloads() -> Vec<Vec<u8>> {
    vec![
        b"".to_vec(),
        b"a".to_vec(),
        b"hello".to_vec(),
        b"{\"jsonrpc\":\"2.0\",\"id\":1}".to_vec(),
        b"two words\r".to_vec(),
        (0..=255u8).collect(),
        vec![b'x'; 300],
    ]
}

/// A framing's configuration options, as SPEC.md vectors write them.
#[derive(Debug, Clone, Copy, Default)]
struct Opts {
    max: Option<usize>,
    includes_header: bool,
    header_max: Option<usize>,
    unterminated: bool,
}

impl Opts {
    /// Parses `max=N includes-header ...`; `None` for an option the targets cannot express
    /// (a maximum other than 0-39 and the default, a header limit over 255).
    fn parse<'a>(words: impl Iterator<Item = &'a str>) -> Option<Opts> {
        let mut o = Opts::default();
        for w in words {
            match w.split_once('=') {
                Some(("max", n)) => o.max = Some(n.parse().ok()?),
                Some(("header-max", n)) => o.header_max = Some(n.parse().ok()?),
                _ if w == "includes-header" => o.includes_header = true,
                _ if w == "unterminated" => o.unterminated = true,
                _ if w == "text" => {}
                _ => return None,
            }
        }
        Some(o)
    }

    /// `cfg1` for the maximum (see `invariants::max_from`).
    fn cfg1(&self) -> Option<u8> {
        match self.max {
            None => Some(CFG_DEFAULT_MAX),
            Some(m) if m == pipeframe::codec::DEFAULT_MAX_FRAME_LEN => Some(CFG_DEFAULT_MAX),
            Some(m) if m < 40 => Some(m as u8),
            Some(_) => None,
        }
    }

    fn flags(&self) -> u8 {
        let mut f = 0;
        if self.includes_header {
            f |= flag::INCLUDES_HEADER;
        }
        if self.unterminated {
            f |= flag::UNTERMINATED;
        }
        if self.header_max.is_some() {
            f |= flag::HEADER_LIMIT;
        }
        f
    }
}

/// The engine targets: the ones that take the shape's handover.
const ENGINE_TARGETS: [&str; 3] = ["sync_reader", "tokio_reader", "futures_reader"];

/// Where a framing's streams go: (target, cfg, shape) triples.
fn targets_for(name: &str, o: Opts) -> Vec<(&'static str, [u8; 4], u8)> {
    let Some(max) = o.cfg1() else {
        return Vec::new();
    };
    let Ok(hmax) = u8::try_from(o.header_max.unwrap_or(0)) else {
        return Vec::new();
    };
    let fl = o.flags();
    // (codec target, cfg, engine family, variant)
    let lp = |k: u8, extra: u8| ("length_prefixed", [k, max, fl | extra, 0], 0u8, k);
    let spec = match name {
        "lp8" => lp(0, 0),
        "lp16be" => lp(2, 0),
        "lp16le" => lp(3, 0),
        "lp32be" | "erlang" | "node-advanced" => lp(4, 0),
        "lp32le" => lp(5, 0),
        "lp64be" => lp(6, 0),
        "lp64le" => lp(7, 0),
        "varint" => lp(8, 0),
        "dotnet" => lp(5, flag::SIGNED),
        "python" => ("python", [0, max, fl, 0], 1, 0),
        "lines" | "node" => ("delimited", [0, max, fl, b'\n'], 2, 0),
        "crlf" => ("delimited", [1, max, fl, b'\n'], 2, 1),
        "nul" => ("delimited", [2, max, fl, 0], 2, 2),
        "lsp" => ("content_length", [0, max, fl, hmax], 3, 0),
        "netstring" => ("netstring", [0, max, fl, 0], 4, 0),
        // `DotnetLines`: the engine targets take it with shape bit 0, `cfg0 & 1` its variant.
        "readline" | "readline-crlf" => ("readline", [variant_crlf(name), max, fl, 0], 0, 0),
        _ => return Vec::new(),
    };
    let (target, cfg, family, variant) = spec;
    let mut v = vec![(target, cfg, 0)];
    // The engine target: family + 5 * variant; cfg3 is the buffer size there, so the LSP
    // header limit cannot be carried over.
    // The async engine targets too, one of them dropping pending futures (cfg3 bit 7).
    if o.header_max.is_none() {
        let (e, shape) = if target == "readline" {
            (cfg[0], 1)
        } else {
            (family + 5 * variant, 0)
        };
        v.push(("sync_reader", [e, max, fl, 1], shape));
        v.push(("tokio_reader", [e, max, fl, 1], shape));
        v.push(("futures_reader", [e, max, fl, 0x81], shape));
    }
    // .NET `ReadLine` reads what `lines` and `crlf` write (cfg0 bit 0: `\r\n` written).
    if matches!(name, "lines" | "node" | "crlf") {
        v.push(("readline", [variant_crlf(name), max, fl, 0], 0));
    }
    match name {
        "lp32be" if o.max.is_none() && !o.includes_header => {
            v.push(("diff_length_delimited", cfg, 0));
        }
        "lines" | "node" if !o.includes_header => v.push(("diff_lines", cfg, 0)),
        _ => {}
    }
    v
}

/// `cfg0` of a line framing for `readline` and `DotnetLines`: bit 0 writes `\r\n`.
fn variant_crlf(name: &str) -> u8 {
    u8::from(name.ends_with("crlf"))
}

/// Encodes `payloads` with the framing; refused payloads are skipped.
fn encode(name: &str) -> Vec<u8> {
    let mut f: Framing = name.parse().expect("a FRAMING_NAMES entry parses");
    let mut wire = Vec::new();
    for p in payloads() {
        let _ = f.encode_frame(&p, &mut wire);
    }
    wire
}

/// Splits a vector line at `|` outside double quotes.
fn fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '|' if !quoted => {
                out.push(line[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(line[start..].trim());
    out
}

/// Parses a SPEC.md byte string: hex pairs (`0500 0000`), repeats (`61*300`), and quoted
/// strings with `\r \n \t \0 \\ \" \xHH`. `None` if malformed.
fn byte_string(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'"' => {
                i += 1;
                loop {
                    match *b.get(i)? {
                        b'"' => break,
                        b'\\' => {
                            i += 1;
                            match *b.get(i)? {
                                b'r' => out.push(b'\r'),
                                b'n' => out.push(b'\n'),
                                b't' => out.push(b'\t'),
                                b'0' => out.push(0),
                                b'x' => {
                                    let hex = s.get(i + 1..i + 3)?;
                                    out.push(u8::from_str_radix(hex, 16).ok()?);
                                    i += 2;
                                }
                                c => out.push(c),
                            }
                        }
                        c => out.push(c),
                    }
                    i += 1;
                }
                i += 1;
            }
            _ => {
                let end = s[i..].find([' ', '\t']).map_or(s.len(), |e| i + e);
                let tok = &s[i..end];
                if let Some((byte, n)) = tok.split_once('*') {
                    let byte = u8::from_str_radix(byte, 16).ok()?;
                    let n: usize = n.parse().ok()?;
                    out.extend(std::iter::repeat_n(byte, n));
                } else {
                    if !tok.len().is_multiple_of(2) {
                        return None;
                    }
                    for k in (0..tok.len()).step_by(2) {
                        out.push(u8::from_str_radix(tok.get(k..k + 2)?, 16).ok()?);
                    }
                }
                i = end;
            }
        }
    }
    Some(out)
}

/// Streams from SPEC.md's `vectors` blocks: (framing, options, origin, bytes).
fn spec_vectors(spec: &str) -> Vec<(String, Opts, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (n, line) in spec.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_block = t == "```vectors";
            continue;
        }
        if !in_block || t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f = fields(t);
        let mut words = f[0].split_whitespace();
        let (Some(kind), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        let Some(opts) = Opts::parse(words) else {
            continue;
        };
        let bytes = match (kind, f.get(1), f.get(2)) {
            ("decode", Some(input), _) => byte_string(input),
            ("encode", _, Some(res)) => res.strip_prefix("bytes").and_then(byte_string),
            _ => None,
        };
        // Multi-megabyte vectors would raise libFuzzer's input size limit for every input.
        if let Some(bytes) = bytes.filter(|b| b.len() <= 64 * 1024) {
            out.push((name.to_owned(), opts, format!("spec-l{}", n + 1), bytes));
        }
    }
    out
}

/// Seeds for the `writers` target: (name, input).
fn writer_seeds() -> Vec<(String, Vec<u8>)> {
    use class::*;
    use how::*;
    const D: u8 = CFG_DEFAULT_MAX;
    // (name, cfg, shape): lp32le, lines, lsp, netstring, varint, readline-crlf (see
    // `invariants::engine_framing`).
    let codecs: [(&str, [u8; 4], u8); 6] = [
        ("lp32le", [25, D, 0, 0], 0),
        ("lines", [2, D, 0, b'\n'], 0),
        ("lsp", [3, D, 0, 0], 0),
        ("netstring", [4, D, 0, 0], 0),
        ("varint", [40, D, 0, 0], 0),
        ("readline-crlf", [1, D, 0, 0], 1),
    ];
    // High-water bytes: the default, 0, 4 KiB, 64 KiB (see `writers::high_water_from`).
    let marks = [0u8, 1, 2 + 4 * 8, 3 + 4 * 4];
    let scripts: [(&str, &[u8]); 5] = [
        ("all", &[]),
        ("1b", &[0x03]),
        ("mixed", &[0x1b, 0x01, 0x08, 0x25, 0x07]),
        ("pending", &[0x01, 0x04, 0x01, 0x06, 0x09, 0x2d]),
        ("error", &[0x07, 0x24, 0x02]),
    ];
    let ops: [(&str, Vec<(u8, u16)>); 6] = [
        (
            "small",
            vec![(TINY, 5), (SMALL, 100), (EMPTY, 0), (FLUSH, 0), (TINY, 3)],
        ),
        (
            "large",
            vec![
                (AROUND_4K, 31),
                (AROUND_4K, 32),
                (AROUND_4K, 33),
                (AROUND_64K, 256),
                (NEAR_1M, 0),
                (FLUSH, 0),
            ],
        ),
        (
            "stream",
            vec![
                (AROUND_64K | BATCH_OR_OWNED, 260),
                (AROUND_64K | SINK, 261),
                (AROUND_64K | BATCH_OR_OWNED, 262),
                (AROUND_64K | SINK, 300),
                (TINY | BATCH_OR_OWNED, 7),
                (FLUSH | SINK, 0),
            ],
        ),
        (
            "cancel",
            vec![
                (AROUND_64K | CANCEL, 256),
                (SMALL | CANCEL | BATCH_OR_OWNED, 9),
                (ANY | CANCEL, 3000),
                (FLUSH | CANCEL, 0),
            ],
        ),
        (
            "refused",
            vec![
                (SMALL | BAD, 50),
                (TINY, 4),
                (AROUND_4K | BAD, 40),
                (TINY | BAD, 2),
            ],
        ),
        (
            "misuse",
            vec![
                (AROUND_64K | SINK, 256),
                (SMALL | MISUSE, 10),
                (SET_MAX, 20),
                (TINY, 30),
                (AROUND_64K | MISUSE | CANCEL, 256),
                (TINY, 1),
                (FLUSH, 0),
            ],
        ),
    ];
    let mut out = Vec::new();
    let mut n = 0usize;
    for flavour in 0..3u8 {
        for (oname, ops) in &ops {
            for (sname, script) in scripts {
                let (cname, cfg, shape) = codecs[n % codecs.len()];
                let hw = marks[(n / codecs.len()) % marks.len()];
                // Every way of handing the codec over (`invariants::Handover`) in turn.
                let handover = (n / 7 % 4) as u8;
                // Every third seed with a writer that is not vectored, every other closed
                // the other way.
                let mode =
                    flavour | if n % 3 == 2 { 4 } else { 0 } | if n % 2 == 1 { 8 } else { 0 };
                n += 1;
                out.push((
                    format!("w{flavour}-{oname}-{sname}-{cname}-hw{hw}-h{handover}"),
                    writers::build_shaped(cfg, shape | handover << 1, script, hw, mode, ops),
                ));
            }
        }
    }
    out
}

/// Seeds for the `assembler` target: (name, input).
fn assembler_seeds() -> Vec<(String, Vec<u8>)> {
    use assembler::{NO_HINT, PENDING, SET_MAX, flag};
    // Maximums (see `assembler::max_from`): 5, 0, 2049, 65,515, 2 x 64 KiB + 1, 16 MiB.
    let maxes = [5u8, 0, 129, 200, 252, 253];
    let flags = [0, flag::EXTEND, flag::BLOCKING, flag::CUT | flag::EXTEND];
    let reads: [&[u8]; 3] = [
        &[],
        &[PENDING, 0, NO_HINT, PENDING | NO_HINT, PENDING],
        &[NO_HINT],
    ];
    let msgs: [(&str, Vec<[u8; 3]>); 3] = [
        (
            "edges",
            vec![
                [0, 0, 0],
                [1, 3, 0],
                [2, 2, 0],
                [2, 3, 0],
                [7, 10, 0],
                [0, 0, 0],
            ],
        ),
        ("big", vec![[4, 4, 0], [5, 40, 0], [6, 0, 0], [1, 1, 0]]),
        (
            "setmax",
            vec![
                [7, 20, 0],
                [SET_MAX | 7, 20, 5],
                [2, 2, 0],
                [SET_MAX | 2, 3, 129],
            ],
        ),
    ];
    let mut out = Vec::new();
    for max in maxes {
        for (fi, &fl) in flags.iter().enumerate() {
            for (ri, r) in reads.iter().enumerate() {
                for (mname, m) in &msgs {
                    out.push((
                        format!("a-max{max}-f{fi}-r{ri}-{mname}"),
                        assembler::build(max, fl, 128, r, m),
                    ));
                }
            }
        }
    }
    out
}

/// Seeds for the `framing` target: (name, input).
fn framing_seeds() -> Vec<(String, Vec<u8>)> {
    // Payloads in the target's layout: a length byte, the bytes.
    let mut plain = Vec::new();
    for p in payloads().iter().chain(&[
        b"a\nb\rc\0d\r".to_vec(),
        b"\xef\xbb\xbfbom first".to_vec(),
        b"ends in cr\r".to_vec(),
    ]) {
        // Longer payloads: their first 191 bytes.
        let p = &p[..p.len().min(0xbf)];
        plain.push(p.len() as u8);
        plain.extend_from_slice(p);
    }
    // A 4 KiB payload of one repeated byte, and a 320-byte one (past `lp8`).
    plain.extend_from_slice(&[0xff, b'z', 0xc4, b'q', b'r']);
    let mut names: Vec<&str> = CANONICAL.iter().map(|&(n, _)| n).collect();
    names.extend([
        "LP32LE",
        "lp24",
        "",
        "delimiter 0x0a",
        "lines ",
        "readline-CRLF",
    ]);
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        // (maximum, piece size, header and trailer lengths for `Parts::new`)
        let cfgs = [
            [i as u8, CFG_DEFAULT_MAX, 0, 0],
            [10 + i as u8, 3, flag::UNTERMINATED, 1],
            [40, 255, flag::SIGNED | flag::INCLUDES_HEADER, 7],
            [64 + i as u8, 254, flag::HEADER_LIMIT, 30],
        ];
        for (k, cfg) in cfgs.iter().enumerate() {
            let stream = if k == 3 {
                &plain[..plain.len() / 3]
            } else {
                &plain[..]
            };
            let tag = if name.is_empty() { "empty" } else { name };
            out.push((
                format!("f-{}-c{k}", tag.replace(' ', "_")),
                Input::build(*cfg, name.as_bytes(), stream),
            ));
        }
    }
    out
}

/// Engine seeds that make the read buffer compact: many short lines, a first read that fills
/// a 4 KiB buffer (it grows), then reads of 32 bytes.
fn compaction_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut stream = Vec::new();
    let mut i = 0u32;
    while stream.len() < 10_000 {
        stream.extend_from_slice(format!("line {i} of a long stream\n").as_bytes());
        i += 1;
    }
    let mut script = vec![0xff];
    script.extend([0xfb; 30]);
    let cfg = [2, CFG_DEFAULT_MAX, 0, 0];
    ENGINE_TARGETS
        .iter()
        .map(|&t| (t, Input::build(cfg, &script, &stream)))
        .collect()
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "seeds".into()));
    let mut streams: Vec<(String, Opts, String, Vec<u8>)> = Vec::new();
    for name in FRAMING_NAMES {
        streams.push((
            name.to_string(),
            Opts::default(),
            "enc".into(),
            encode(name),
        ));
    }
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../SPEC.md");
    match fs::read_to_string(&spec_path) {
        Ok(spec) => {
            let v = spec_vectors(&spec);
            println!("SPEC.md: {} vectors usable as seeds", v.len());
            streams.extend(v);
        }
        Err(e) => println!("no SPEC.md vectors ({}: {e})", spec_path.display()),
    }
    let scripts: [&[u8]; 4] = [&[], &[1], &[0, 3, 7, 64], &[0x08, 0x11, 0x12, 0x3b, 0xff]];
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, opts, origin, wire) in &streams {
        let mut variants = vec![("", wire.clone())];
        if wire.len() > 1 {
            variants.push(("-cut", wire[..wire.len() - 1].to_vec()));
            let mut bad = wire.clone();
            bad[0] ^= 0x80;
            variants.push(("-bad", bad));
        }
        for (target, cfg, shape) in targets_for(name, *opts) {
            let dir = out.join(target);
            fs::create_dir_all(&dir).expect("create corpus directory");
            for (suffix, stream) in &variants {
                for (si, script) in scripts.iter().enumerate() {
                    // The engine targets: each script with another handover (shape bits 1-2).
                    let shape = if ENGINE_TARGETS.contains(&target) {
                        shape | (si as u8 % 4) << 1
                    } else {
                        shape
                    };
                    let data = Input::build_shaped(cfg, shape, script, stream);
                    let file = dir.join(format!("{name}-{origin}{suffix}-s{si}"));
                    fs::write(&file, data).expect("write seed");
                    *count.entry(target).or_default() += 1;
                }
            }
        }
    }
    let compaction = compaction_seeds();
    for (target, seeds) in [
        ("writers", writer_seeds()),
        ("assembler", assembler_seeds()),
        ("framing", framing_seeds()),
    ]
    .into_iter()
    .chain(
        compaction
            .into_iter()
            .map(|(t, data)| (t, vec![("compaction-lines".to_owned(), data)])),
    ) {
        let dir = out.join(target);
        fs::create_dir_all(&dir).expect("create corpus directory");
        for (name, data) in seeds {
            fs::write(dir.join(name), data).expect("write seed");
            *count.entry(target).or_default() += 1;
        }
    }
    for (target, n) in count {
        println!("{target}: {n} seeds");
    }
}
