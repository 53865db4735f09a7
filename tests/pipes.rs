//! Large streams of random-size frames over real pipes and sockets, writer and reader on two
//! threads, checked by a hash over every frame.
//!
//! Every configuration carries 100 MB (2 transports x 4 codecs x owned/borrowed reads: 1.6 GB
//! in all: 15 to 40 s in a debug build on two shared cores).

mod common;

use std::io::{Read, Write};
use std::thread;

use common::{Fnv, XorShift};
use pipeframe::codec::Framing;
use pipeframe::sync::{FrameReader, FrameWriter};

const TOTAL: usize = 100_000_000;
const MIB: u64 = 1024 * 1024;

/// A frame size from 0 to 1 MiB: half the frames under 256 bytes, a quarter under 64 KiB,
/// a quarter up to 1 MiB inclusive.
fn frame_size(rng: &mut XorShift) -> usize {
    (match rng.below(4) {
        0 | 1 => rng.below(256),
        2 => rng.below(64 * 1024),
        _ => rng.below(MIB + 1),
    }) as usize
}

#[derive(Debug, PartialEq, Eq)]
struct Summary {
    frames: u64,
    bytes: u64,
    hash: u64,
}

/// Writes random frames until `total` payload bytes have gone out; returns what was sent.
fn send<W: Write>(tx: W, codec: Framing, total: usize, seed: u64) -> Summary {
    let lines = matches!(codec, Framing::Delimited(_));
    let mut rng = XorShift::new(seed);
    let mut w = FrameWriter::new(tx, codec);
    let mut buf = vec![0u8; MIB as usize];
    let mut hash = Fnv::default();
    let (mut frames, mut bytes) = (0u64, 0u64);
    while (bytes as usize) < total {
        let n = frame_size(&mut rng);
        let payload = &mut buf[..n];
        rng.fill(payload);
        if lines {
            // No newline or carriage return: every byte gets its top bit set, eight at a time.
            let mut words = payload.chunks_exact_mut(8);
            for c in &mut words {
                let v = u64::from_le_bytes((&*c).try_into().unwrap()) | 0x8080_8080_8080_8080;
                c.copy_from_slice(&v.to_le_bytes());
            }
            for b in words.into_remainder() {
                *b |= 0x80;
            }
        }
        hash.frame(payload);
        w.write_frame(payload).expect("write frame");
        frames += 1;
        bytes += n as u64;
    }
    w.finish().expect("finish");
    Summary {
        frames,
        bytes,
        hash: hash.finish(),
    }
}

/// Reads frames to the clean end of the stream, owned or borrowed.
fn receive<R: Read>(rx: R, codec: Framing, borrowed: bool) -> Summary {
    let mut r = FrameReader::new(rx, codec);
    let mut hash = Fnv::default();
    let (mut frames, mut bytes) = (0u64, 0u64);
    loop {
        let n = if borrowed {
            match r.read_frame_ref().expect("read frame") {
                Some(f) => {
                    hash.frame(f);
                    f.len()
                }
                None => break,
            }
        } else {
            match r.read_frame().expect("read frame") {
                Some(f) => {
                    hash.frame(&f);
                    f.len()
                }
                None => break,
            }
        };
        frames += 1;
        bytes += n as u64;
    }
    Summary {
        frames,
        bytes,
        hash: hash.finish(),
    }
}

fn run<R: Read, W: Write + Send + 'static>(
    rx: R,
    tx: W,
    name: &str,
    borrowed: bool,
    total: usize,
    seed: u64,
) {
    let codec: Framing = name.parse().unwrap();
    let c = codec.clone();
    let writer = thread::spawn(move || send(tx, c, total, seed));
    let got = receive(rx, codec, borrowed);
    let sent = writer.join().expect("writer thread");
    assert!(sent.bytes >= total as u64);
    assert!(sent.frames > 0);
    assert_eq!(got, sent, "{name} borrowed={borrowed}");
    eprintln!(
        "{name} borrowed={borrowed}: {} frames, {} bytes, hash {:016x}",
        got.frames, got.bytes, got.hash
    );
}

fn over_pipe(name: &str, borrowed: bool, total: usize, seed: u64) {
    let (rx, tx) = std::io::pipe().unwrap();
    run(rx, tx, name, borrowed, total, seed);
}

#[cfg(unix)]
fn over_socket(name: &str, borrowed: bool, total: usize, seed: u64) {
    let (rx, tx) = std::os::unix::net::UnixStream::pair().unwrap();
    run(rx, tx, name, borrowed, total, seed);
}

#[test]
fn pipe_lp32le() {
    over_pipe("lp32le", false, TOTAL, 1);
    over_pipe("lp32le", true, TOTAL, 2);
}

#[test]
fn pipe_varint() {
    over_pipe("varint", false, TOTAL, 3);
    over_pipe("varint", true, TOTAL, 4);
}

#[test]
fn pipe_lsp() {
    over_pipe("lsp", false, TOTAL, 5);
    over_pipe("lsp", true, TOTAL, 6);
}

#[test]
fn pipe_lines() {
    over_pipe("lines", false, TOTAL, 7);
    over_pipe("lines", true, TOTAL, 8);
}

#[cfg(unix)]
#[test]
fn socket_lp32le() {
    over_socket("lp32le", false, TOTAL, 9);
    over_socket("lp32le", true, TOTAL, 10);
}

#[cfg(unix)]
#[test]
fn socket_varint() {
    over_socket("varint", false, TOTAL, 11);
    over_socket("varint", true, TOTAL, 12);
}

#[cfg(unix)]
#[test]
fn socket_lsp() {
    over_socket("lsp", false, TOTAL, 13);
    over_socket("lsp", true, TOTAL, 14);
}

#[cfg(unix)]
#[test]
fn socket_lines() {
    over_socket("lines", true, TOTAL, 15);
    over_socket("lines", false, TOTAL, 16);
}

/// The hash sees frame boundaries: the same bytes framed differently hash differently.
#[test]
fn hash_counts_boundaries() {
    let mut a = Fnv::default();
    a.frame(b"ab");
    a.frame(b"c");
    let mut b = Fnv::default();
    b.frame(b"a");
    b.frame(b"bc");
    assert_ne!(a.finish(), b.finish());
}
