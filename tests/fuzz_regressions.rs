//! Replays every fuzz finding committed under `fuzz/regressions/<target>/` through the very
//! invariant checks the fuzz targets run (`fuzz/src/invariants.rs` and, with the `tokio`
//! and `futures-io` features, `fuzz/src/differential.rs`, `fuzz/src/async_engine.rs` and
//! `fuzz/src/writers.rs`, included here by path: one copy of the checks). The `assembler`
//! target's checks reach crate-private code that exists under `--cfg fuzzing` only:
//! `fuzz/ci.sh` replays its regressions with the fuzz build.
//!
//! Each target also replays a few inputs built here from our own encoders, so every check
//! runs even for a target without findings. Memory is not measured here (the fuzz crate's
//! counting allocator does that while fuzzing).

#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/invariants.rs"]
mod invariants;

#[cfg(feature = "tokio")]
#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/differential.rs"]
mod differential;

#[cfg(all(feature = "tokio", feature = "futures-io"))]
#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/async_engine.rs"]
mod async_engine;

#[cfg(all(feature = "tokio", feature = "futures-io"))]
#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/writers.rs"]
mod writers;

use std::path::Path;

use invariants::{CFG_DEFAULT_MAX, Input, NoProbe, flag};
use pipeframe::codec::{FrameEncoder, Framing};

/// Runs `check` on every file in `fuzz/regressions/<target>/` and on `extra`; returns how many
/// committed inputs it replayed.
fn replay(target: &str, extra: &[Vec<u8>], check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut n = 0;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            let r = std::panic::catch_unwind(|| check(&data));
            assert!(
                r.is_ok(),
                "{target}: {} fails its invariants",
                path.display()
            );
            n += 1;
        }
    }
    for (i, data) in extra.iter().enumerate() {
        let r = std::panic::catch_unwind(|| check(data));
        assert!(
            r.is_ok(),
            "{target}: built-in input {i} fails its invariants"
        );
    }
    n
}

/// Inputs for `target`: frames encoded with the named framing, whole, cut short and
/// corrupted, in one piece and in scripted chunks.
fn built(framing: &str, cfg: [u8; 4]) -> Vec<Vec<u8>> {
    let mut f: Framing = framing.parse().unwrap();
    let mut wire = Vec::new();
    for p in [
        &b""[..],
        b"a",
        b"hello",
        b"two words\r",
        &[0u8, 10, 13, 255, 58, 44],
    ] {
        let _ = f.encode_frame(p, &mut wire);
    }
    let mut bad = wire.clone();
    bad[0] ^= 0x80;
    let mut out = Vec::new();
    for stream in [&wire[..], &wire[..wire.len() - 1], &bad] {
        for script in [&[][..], &[1], &[0, 3, 7, 0xff]] {
            out.push(Input::build(cfg, script, stream));
        }
    }
    out
}

const D: u8 = CFG_DEFAULT_MAX;

#[test]
fn length_prefixed() {
    let mut extra = built("lp16le", [3, D, 0, 0]);
    extra.extend(built("varint", [8, D, 0, 0]));
    extra.extend(built("dotnet", [5, D, flag::SIGNED, 0]));
    // Small maximum, length counting the header.
    extra.extend(built("lp8", [0, 3, flag::INCLUDES_HEADER, 0]));
    replay("length_prefixed", &extra, |d| {
        invariants::check_length_prefixed(d, &NoProbe)
    });
}

#[test]
fn python() {
    replay("python", &built("python", [0, D, 0, 0]), |d| {
        invariants::check_python(d, &NoProbe)
    });
}

#[test]
fn delimited() {
    let mut extra = built("lines", [0, D, 0, 0]);
    extra.extend(built("crlf", [1, 4, flag::UNTERMINATED, 0]));
    extra.extend(built("nul", [3, 2, 0, 0]));
    replay("delimited", &extra, |d| {
        invariants::check_delimited(d, &NoProbe)
    });
}

#[test]
fn content_length() {
    let mut extra = built("lsp", [0, D, 0, 0]);
    extra.extend(built("lsp", [0, 3, flag::HEADER_LIMIT, 21]));
    replay("content_length", &extra, |d| {
        invariants::check_content_length(d, &NoProbe)
    });
}

#[test]
fn netstring() {
    replay("netstring", &built("netstring", [0, 4, 0, 0]), |d| {
        invariants::check_netstring(d, &NoProbe)
    });
}

#[test]
fn sync_reader() {
    // cfg0 = family + 5 * variant (0: length-prefixed, 2: delimited, 3: lsp, 4: netstring);
    // cfg2 chooses owned, borrowed, text and iterator reads; the scripts include Interrupted (0x08)
    // and WouldBlock (0x11) reads.
    let mut extra = built("lp32le", [25, D, 0b1001_0100, 1]);
    extra.extend(built("lines", [2, 3, 0b0110_0110, 0]));
    extra.extend(built("lsp", [3, D, 0b1010_1010, 2]));
    extra.extend(built("netstring", [4, D, 0b1111_0011, 0]));
    extra.push(Input::build(
        [25, D, 0, 0],
        &[0x08, 0x11, 0x12, 0x03],
        b"\x02\x00\x00\x00hi",
    ));
    replay("sync_reader", &extra, |d| {
        invariants::check_sync_reader(d, &NoProbe)
    });
}

/// Async engine inputs: every read kind, `Pending` (0x12), `Interrupted` (0x08), small reads,
/// with and without dropping pending futures (`cfg3 & 0x80`).
#[cfg(all(feature = "tokio", feature = "futures-io"))]
fn async_inputs() -> Vec<Vec<u8>> {
    let mut extra = built("lp32le", [25, D, 0b1110_0100, 0x81]);
    extra.extend(built("lines", [2, 3, 0b0110_1111, 0x80]));
    extra.extend(built("lsp", [3, D, 0b1010_1011, 2]));
    extra.extend(built("netstring", [4, D, 0b0001_1011, 0x80]));
    extra.push(Input::build(
        [25, D, 0, 0x80],
        &[0x12, 0x08, 0x12, 0x03, 0x12],
        b"\x02\x00\x00\x00hi\x01\x00",
    ));
    extra
}

#[cfg(all(feature = "tokio", feature = "futures-io"))]
#[test]
fn tokio_reader() {
    replay("tokio_reader", &async_inputs(), |d| {
        async_engine::check_tokio_reader(d, &NoProbe)
    });
}

#[cfg(all(feature = "tokio", feature = "futures-io"))]
#[test]
fn futures_reader() {
    replay("futures_reader", &async_inputs(), |d| {
        async_engine::check_futures_reader(d, &NoProbe)
    });
}

/// Writer inputs: each writer (mode bits 0-1), small, 4 KiB, 64 KiB and 1 MiB frames, the
/// `Sink` and `write_frames` streams, refused frames, cancelled and leaked futures,
/// `start_send` without `poll_ready`, a maximum changed midway, short writes, `Pending`s
/// (0x01), `Interrupted` (0x08) and a broken pipe (0x02).
#[cfg(all(feature = "tokio", feature = "futures-io"))]
fn writer_inputs() -> Vec<Vec<u8>> {
    use writers::class::*;
    use writers::how::*;
    let ops = [
        vec![
            (TINY, 5),
            (SMALL, 100),
            (EMPTY, 0),
            (AROUND_4K | BAD, 40),
            (FLUSH, 0),
            (AROUND_4K, 32),
        ],
        vec![
            (AROUND_64K | BATCH_OR_OWNED, 260),
            (AROUND_64K | SINK, 261),
            (AROUND_64K | CANCEL, 256),
            (SMALL | SINK | BAD, 7),
            (NEAR_1M | BATCH_OR_OWNED, 3),
            (FLUSH | SINK | CANCEL, 0),
            (ANY | CANCEL, 3000),
            (SMALL | MISUSE, 10),
            (SET_MAX, 20),
            (TINY, 30),
            (AROUND_64K | MISUSE | CANCEL, 256),
            (TINY, 1),
        ],
    ];
    let scripts: [&[u8]; 4] = [
        &[],
        &[0x1b, 0x01, 0x08, 0x25],
        &[0x04, 0x01, 0x06, 0x09],
        &[0x07, 0x24, 0x02],
    ];
    let mut out = Vec::new();
    for mode in [0u8, 1, 2, 4 | 8, 5 | 16, 6 | 8] {
        for (k, script) in scripts.iter().enumerate() {
            for (j, ops) in ops.iter().enumerate() {
                // lp32le, lines; high-water marks: the default, 0, 4 KiB, 64 KiB.
                let cfg = if j == 0 {
                    [2, D, 0, b'\n']
                } else {
                    [25, D, 0, 0]
                };
                let hw = [0, 1, 2 + 4 * 8, 3 + 4 * 4][k];
                out.push(writers::build(cfg, script, hw, mode, ops));
            }
        }
    }
    out
}

#[cfg(all(feature = "tokio", feature = "futures-io"))]
#[test]
fn writers() {
    replay("writers", &writer_inputs(), |d| {
        writers::check_writers(d, &NoProbe)
    });
}

#[cfg(feature = "tokio")]
#[test]
fn diff_length_delimited() {
    replay(
        "diff_length_delimited",
        &built("lp32be", [0, D, 0, 0]),
        differential::check_diff_length_delimited,
    );
}

#[cfg(feature = "tokio")]
#[test]
fn diff_lines() {
    let mut extra = built("lines", [0, D, 0, 0]);
    extra.extend(built("crlf", [0, 4, 0, 0]));
    extra.extend(built("lines", [0, 4, flag::UNTERMINATED, 0]));
    extra.push(Input::build(
        [0, 3, flag::UNTERMINATED, 0],
        &[],
        b"abc\r\nx\xff\nab\r",
    ));
    replay("diff_lines", &extra, differential::check_diff_lines);
}

/// The checks can fail: a broken input layout or a wrong expectation is caught, not
/// silently passed.
#[test]
#[should_panic(expected = "fails its invariants")]
fn a_violated_invariant_fails() {
    replay("none", &[Input::build([0, D, 0, 0], &[], b"x")], |_| {
        panic!("an invariant that does not hold")
    });
}
