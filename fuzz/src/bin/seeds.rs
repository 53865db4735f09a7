//! Writes the seed corpora: `cargo run --bin seeds [OUT_DIR]` (default `corpus/`), from the
//! `fuzz/` directory.
//!
//! Seeds are generated, never written by hand: known frames encoded with pipeframe's own
//! encoders for every framing name, plus the hex test vectors of `../SPEC.md` when it has
//! any (any line naming a framing and holding a run of hex bytes). Each stream is wrapped in
//! every target's input layout (configuration bytes, a read script, the stream) and also
//! written truncated and with a corrupted first byte, so the error paths are seeded too.

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

/// Where a framing name's streams go: (target, cfg) pairs.
fn targets_for(name: &str) -> Vec<(&'static str, [u8; 4])> {
    let d = CFG_DEFAULT_MAX;
    let mut v = Vec::new();
    // (codec target, its cfg0, flags, engine family index)
    let lp = |k: u8, flags: u8| ("length_prefixed", [k, d, flags, 0], 0u8, k);
    let spec = match name {
        "lp8" => Some(lp(0, 0)),
        "lp16be" => Some(lp(2, 0)),
        "lp16le" => Some(lp(3, 0)),
        "lp32be" | "erlang" => Some(lp(4, 0)),
        "lp32le" => Some(lp(5, 0)),
        "lp64be" => Some(lp(6, 0)),
        "lp64le" => Some(lp(7, 0)),
        "varint" => Some(lp(8, 0)),
        "dotnet" => Some(lp(5, flag::SIGNED)),
        "python" => Some(("python", [0, d, 0, 0], 1, 0)),
        "lines" | "node" => Some(("delimited", [0, d, 0, b'\n'], 2, 0)),
        "crlf" => Some(("delimited", [1, d, 0, b'\n'], 2, 1)),
        "nul" => Some(("delimited", [2, d, 0, 0], 2, 2)),
        "lsp" => Some(("content_length", [0, d, 0, 0], 3, 0)),
        "netstring" => Some(("netstring", [0, d, 0, 0], 4, 0)),
        _ => None,
    };
    if let Some((target, cfg, family, variant)) = spec {
        v.push((target, cfg));
        // The engine target: family + 5 * variant, with a 1 KiB-ish buffer choice in cfg3.
        v.push(("sync_reader", [family + 5 * variant, cfg[1], cfg[2], 1]));
    }
    match name {
        "lp32be" => v.push(("diff_length_delimited", [0, d, 0, 0])),
        "lines" => {
            v.push(("diff_lines", [0, d, 0, 0]));
            v.push(("diff_lines", [0, 5, flag::UNTERMINATED, 0]));
        }
        _ => {}
    }
    v
}

/// Encodes `payloads` with the framing; refused payloads are skipped.
fn encode(name: &str) -> Vec<u8> {
    let mut f: Framing = name.parse().expect("a FRAMING_NAMES entry parses");
    let mut wire = Vec::new();
    for p in payloads() {
        let _ = f.encode(&p, &mut wire);
    }
    wire
}

/// Hex test vectors from SPEC.md: (framing name, bytes) for every line that names a framing
/// (in backticks, or as a table cell) and holds a run of at least two hex bytes.
fn spec_vectors(spec: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut names: Vec<&str> = FRAMING_NAMES.to_vec();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut current: Option<&str> = None;
    for line in spec.lines() {
        // A heading or line that names a framing sets the framing for the lines after it.
        if let Some(n) = names
            .iter()
            .find(|n| line.contains(&format!("`{n}`")) || line.contains(&format!("| {n} |")))
        {
            current = Some(n);
        }
        let Some(name) = current else { continue };
        if let Some(bytes) = hex_run(line) {
            out.push((name.to_owned(), bytes));
        }
    }
    out
}

/// The longest run of space-separated two-digit hex bytes in a line (at least two bytes).
fn hex_run(line: &str) -> Option<Vec<u8>> {
    let mut best: Vec<u8> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    for tok in line.split(|c: char| c.is_whitespace() || c == '`' || c == '|') {
        let is_hex = tok.len() == 2 && tok.chars().all(|c| c.is_ascii_hexdigit());
        if is_hex {
            cur.push(u8::from_str_radix(tok, 16).expect("checked hex"));
        } else if !tok.is_empty() {
            if cur.len() > best.len() {
                best = std::mem::take(&mut cur);
            }
            cur.clear();
        }
    }
    if cur.len() > best.len() {
        best = cur;
    }
    (best.len() >= 2).then_some(best)
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
    let mut streams: Vec<(String, String, Vec<u8>)> = Vec::new();
    for name in FRAMING_NAMES {
        streams.push((name.to_string(), "enc".into(), encode(name)));
    }
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../SPEC.md");
    if let Ok(spec) = fs::read_to_string(&spec_path) {
        for (i, (name, bytes)) in spec_vectors(&spec).into_iter().enumerate() {
            streams.push((name, format!("spec{i}"), bytes));
        }
    }
    let scripts: [&[u8]; 4] = [&[], &[1], &[0, 3, 7, 64], &[0x08, 0x11, 0x12, 0x3b, 0xff]];
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, origin, wire) in &streams {
        let mut variants = vec![("", wire.clone())];
        if wire.len() > 1 {
            variants.push(("-cut", wire[..wire.len() - 1].to_vec()));
            let mut bad = wire.clone();
            bad[0] ^= 0x80;
            variants.push(("-bad", bad));
        }
        for (target, cfg) in targets_for(name) {
            let dir = out.join(target);
            fs::create_dir_all(&dir).expect("create corpus directory");
            for (suffix, stream) in &variants {
                for (si, script) in scripts.iter().enumerate() {
                    let data = Input::build(cfg, script, stream);
                    let file = dir.join(format!("{name}-{origin}{suffix}-s{si}-c{}", cfg[1]));
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
