//! Writes the seed corpora: `cargo run --bin seeds [OUT_DIR]` (default `corpus/`), from the
//! `fuzz/` directory (CI runs the binary `cargo fuzz build` made).
//!
//! Seeds are generated, never written by hand:
//!
//! * the test vectors of `../SPEC.md` (fenced ```` ```vectors ```` blocks, format in its §0):
//!   every `decode` input and every `encode` result, with the vector's options (`max=N`,
//!   `includes-header`, `header-max=N`, `unterminated`) turned into the targets'
//!   configuration bytes;
//! * frames encoded with pipeframe's own encoders, for every framing name.
//!
//! Each stream is wrapped in every matching target's input layout (configuration bytes, a
//! read script, the stream), whole, cut short and with a corrupted first byte, with several
//! scripts, so the error paths and the chunkings are seeded too.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use pipeframe::codec::{FRAMING_NAMES, FrameEncoder, Framing};
use pipeframe_fuzz::invariants::{CFG_DEFAULT_MAX, Input, flag};

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

/// Where a framing's streams go: (target, cfg) pairs.
fn targets_for(name: &str, o: Opts) -> Vec<(&'static str, [u8; 4])> {
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
        _ => return Vec::new(),
    };
    let (target, cfg, family, variant) = spec;
    let mut v = vec![(target, cfg)];
    // The engine target: family + 5 * variant; cfg3 is the buffer size there, so the LSP
    // header limit cannot be carried over.
    // The async engine targets too, one of them dropping pending futures (cfg3 bit 7).
    if o.header_max.is_none() {
        let e = family + 5 * variant;
        v.push(("sync_reader", [e, max, fl, 1]));
        v.push(("tokio_reader", [e, max, fl, 1]));
        v.push(("futures_reader", [e, max, fl, 0x81]));
    }
    match name {
        "lp32be" if o.max.is_none() && !o.includes_header => {
            v.push(("diff_length_delimited", cfg));
        }
        "lines" | "node" if !o.includes_header => v.push(("diff_lines", cfg)),
        _ => {}
    }
    v
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

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
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
        for (target, cfg) in targets_for(name, *opts) {
            let dir = out.join(target);
            fs::create_dir_all(&dir).expect("create corpus directory");
            for (suffix, stream) in &variants {
                for (si, script) in scripts.iter().enumerate() {
                    let data = Input::build(cfg, script, stream);
                    let file = dir.join(format!("{name}-{origin}{suffix}-s{si}"));
                    fs::write(&file, data).expect("write seed");
                    *count.entry(target).or_default() += 1;
                }
            }
        }
    }
    for (target, n) in count {
        println!("{target}: {n} seeds");
    }
}
