//! What tests/tokio_flavour.rs and tests/futures_flavour.rs share: explicit vectors per codec,
//! the blocking flavour's results as the reference, chunk plans, scripted I/O for both
//! runtimes ([`scripted`]) and the scenarios every flavour runs ([`scenarios`]).
#![allow(dead_code)]

pub(crate) mod scenarios;
mod scripted;

pub(crate) use scripted::{ScriptedReader, ScriptedWriter};

use std::io;

use pipeframe::codec::{FRAMING_NAMES, Framing};
use pipeframe::sync::{FrameReader, FrameWriter};
use proptest::prelude::*;

/// One explicit vector: framing name, frames, wire bytes, and whether writing the frames
/// gives exactly these bytes (false for decode-only forms such as `\r\n` read by `lines`).
pub(crate) struct Vector {
    pub(crate) name: &'static str,
    pub(crate) frames: Vec<Vec<u8>>,
    pub(crate) wire: Vec<u8>,
    pub(crate) canonical: bool,
}

fn v(name: &'static str, frames: &[&[u8]], wire: &[u8]) -> Vector {
    Vector {
        name,
        frames: frames.iter().map(|f| f.to_vec()).collect(),
        wire: wire.to_vec(),
        canonical: true,
    }
}

/// Hand-written vectors, one or more for every codec.
pub(crate) fn vectors() -> Vec<Vector> {
    let mut varint_wire = vec![0xac, 0x02];
    varint_wire.extend_from_slice(&[b'x'; 300]);
    varint_wire.push(0);
    let mut decode_only = v("lines", &[b"one", b"two"], b"one\r\ntwo\n");
    decode_only.canonical = false;
    vec![
        v("lp8", &[b"hi", b""], b"\x02hi\x00"),
        v("lp16be", &[b"hello"], b"\x00\x05hello"),
        v("lp16le", &[b"hello"], b"\x05\x00hello"),
        v("lp32be", &[b"a"], b"\x00\x00\x00\x01a"),
        v("lp32le", &[b"hello", b""], b"\x05\0\0\0hello\0\0\0\0"),
        v("lp64be", &[b"a"], b"\0\0\0\0\0\0\0\x01a"),
        v("lp64le", &[b"a"], b"\x01\0\0\0\0\0\0\0a"),
        v("varint", &[&[b'x'; 300], b""], &varint_wire),
        v("dotnet", &[b"hi"], b"\x02\0\0\0hi"),
        v("python", &[b"hi"], b"\0\0\0\x02hi"),
        v("lines", &[b"one", b"two"], b"one\ntwo\n"),
        decode_only,
        v("crlf", &[b"one"], b"one\r\n"),
        v("nul", &[b"a", b"b"], b"a\0b\0"),
        v("lsp", &[b"{}"], b"Content-Length: 2\r\n\r\n{}"),
        v("netstring", &[b"hello", b""], b"5:hello,0:,"),
    ]
}

pub(crate) fn framing(name: &str) -> Framing {
    name.parse().expect("known framing name")
}

/// What a reader produced: frames, then errors as (kind, message).
pub(crate) type Outcome = Vec<Result<Vec<u8>, (io::ErrorKind, String)>>;

/// Records one read; returns false when reading should stop (clean end, or a second error).
pub(crate) fn record<F: AsRef<[u8]>>(out: &mut Outcome, res: io::Result<Option<F>>) -> bool {
    match res {
        Ok(Some(f)) => {
            out.push(Ok(f.as_ref().to_vec()));
            true
        }
        Ok(None) => false,
        Err(e) => {
            out.push(Err((e.kind(), e.to_string())));
            out.iter().filter(|r| r.is_err()).count() < 2
        }
    }
}

/// Upper bound on reads per stream, so a reader that never ends fails instead of hanging.
pub(crate) fn read_limit(wire: &[u8]) -> usize {
    wire.len() + 8
}

/// The blocking flavour's reading of `wire`: the reference every async flavour must match.
pub(crate) fn sync_outcome(f: &Framing, wire: &[u8]) -> Outcome {
    let mut r = FrameReader::new(wire, f.clone());
    let mut out = Vec::new();
    for _ in 0..read_limit(wire) {
        if !record(&mut out, r.read_frame()) {
            break;
        }
    }
    out
}

/// The blocking flavour's writing of `frames`.
pub(crate) fn sync_encode(f: &Framing, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut w = FrameWriter::new(&mut wire, f.clone());
    for p in frames {
        w.write_frame(p).unwrap();
    }
    w.finish().unwrap();
    wire
}

pub(crate) fn frames_outcome(frames: &[Vec<u8>]) -> Outcome {
    frames.iter().cloned().map(Ok).collect()
}

/// A chunking plan: read/write sizes (cycled, each at least 1) and whether a `Pending` comes
/// before each.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) sizes: Vec<usize>,
    pub(crate) pending: Vec<bool>,
}

impl Plan {
    /// 1-byte steps with a `Pending` before each.
    pub(crate) fn bytewise() -> Plan {
        Plan {
            sizes: vec![1],
            pending: vec![true],
        }
    }

    pub(crate) fn size(&self, i: usize) -> usize {
        self.sizes[i % self.sizes.len()]
    }

    pub(crate) fn pending(&self, i: usize) -> bool {
        self.pending[i % self.pending.len()]
    }
}

pub(crate) fn plan() -> impl Strategy<Value = Plan> {
    (
        prop::collection::vec(
            prop_oneof![4 => 1usize..4, 2 => 4usize..200, 1 => 200usize..20_000],
            1..8,
        ),
        prop::collection::vec(any::<bool>(), 1..5),
    )
        .prop_map(|(sizes, pending)| Plan { sizes, pending })
}

/// A framing name and frames it can carry (small ones, with a few large enough to take the
/// engine's vectored path).
pub(crate) fn framing_and_frames() -> impl Strategy<Value = (&'static str, Vec<Vec<u8>>)> {
    prop::sample::select(FRAMING_NAMES).prop_flat_map(|name| {
        let delimited = matches!(
            name,
            "lines" | "node" | "crlf" | "nul" | "readline" | "readline-crlf"
        );
        let byte = if delimited {
            prop_oneof![b'a'..=b'z', 0x80u8..=0xff].boxed()
        } else {
            any::<u8>().boxed()
        };
        let cap = if name == "lp8" { 255 } else { usize::MAX };
        let len = prop_oneof![8 => 0usize..40, 1 => 4000usize..9000];
        let frame = (len, byte).prop_map(move |(len, b)| vec![b; len.min(cap)]);
        (Just(name), prop::collection::vec(frame, 0..10))
    })
}

/// The input of a reading property: frames of a framing, how the stream made of them is fed
/// ([`wire_for`]: `mode`, `cut`, `junk`), the chunking, owned or borrowed frames, and a
/// smaller maximum on the reading side.
#[derive(Debug, Clone)]
pub(crate) struct ReadCase {
    pub(crate) name: &'static str,
    pub(crate) frames: Vec<Vec<u8>>,
    pub(crate) plan: Plan,
    pub(crate) mode: u8,
    pub(crate) cut: usize,
    pub(crate) junk: Vec<u8>,
    pub(crate) borrowed: bool,
    pub(crate) max: Option<usize>,
}

pub(crate) fn read_case() -> impl Strategy<Value = ReadCase> {
    (
        framing_and_frames(),
        plan(),
        any::<u8>(),
        any::<usize>(),
        prop::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
        prop_oneof![3 => Just(None), 1 => Just(Some(16usize)), 1 => Just(Some(5000usize))],
    )
        .prop_map(
            |((name, frames), plan, mode, cut, junk, borrowed, max)| ReadCase {
                name,
                frames,
                plan,
                mode,
                cut,
                junk,
                borrowed,
                max,
            },
        )
}

/// The input of a writing property: frames of a framing, write sizes and `Pending`s, a
/// high-water mark.
#[derive(Debug, Clone)]
pub(crate) struct WriteCase {
    pub(crate) name: &'static str,
    pub(crate) frames: Vec<Vec<u8>>,
    pub(crate) plan: Plan,
    pub(crate) high_water: usize,
}

pub(crate) fn write_case() -> impl Strategy<Value = WriteCase> {
    (
        framing_and_frames(),
        plan(),
        prop_oneof![Just(0usize), 1usize..100, Just(65536)],
    )
        .prop_map(|((name, frames), plan, high_water)| WriteCase {
            name,
            frames,
            plan,
            high_water,
        })
}

/// What to feed a reader: a valid stream, a truncated one, or arbitrary bytes.
pub(crate) fn wire_for(
    f: &Framing,
    frames: &[Vec<u8>],
    mode: u8,
    cut: usize,
    junk: &[u8],
) -> Vec<u8> {
    let wire = sync_encode(f, frames);
    match mode % 4 {
        0 | 1 => wire,
        2 => {
            let cut = if wire.is_empty() { 0 } else { cut % wire.len() };
            wire[..cut].to_vec()
        }
        _ => junk.to_vec(),
    }
}

/// A payload of `len` bytes that is not all one value.
pub(crate) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
        .collect()
}
