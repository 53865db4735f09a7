//! Codec benchmarks: decode and encode of every codec on in-memory data, next to tokio-util's
//! `LengthDelimitedCodec` and `LinesCodec` on the same bytes.
//!
//! One group per frame size (16 B, 64 B, 1 KiB, 64 KiB, 1 MiB), `Throughput::Bytes` of payload.
//! Each input is about 4 MiB of frames (at least 4 frames), encoded once outside the timed loop.
//! "whole" feeds the whole input at once; "chunked" feeds it in 4 KiB pieces, as reads from a
//! pipe would. "owned" decodes `Bytes` split off a `BytesMut`; "borrowed" steps over the slice
//! and touches each `&[u8]` frame without a refcount.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pipeframe::codec::{FrameDecoder, FrameEncoder, Framing};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec, LinesCodec};

const SIZES: [usize; 5] = [16, 64, 1024, 64 * 1024, 1024 * 1024];
const CODECS: [&str; 8] = [
    "lp32be",
    "lp32le",
    "varint",
    "python",
    "lines",
    "nul",
    "lsp",
    "netstring",
];
const CHUNK: usize = 4096;

fn frames_for(size: usize) -> usize {
    ((4 << 20) / size.max(1)).max(4)
}

fn payload(size: usize) -> Vec<u8> {
    // Printable, no delimiter bytes: valid for every codec and for LinesCodec's UTF-8.
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

fn encode_all(framing: &Framing, size: usize) -> Vec<u8> {
    let mut codec = framing.clone();
    let p = payload(size);
    let mut out = Vec::new();
    for _ in 0..frames_for(size) {
        codec.encode_frame(&p, &mut out).unwrap();
    }
    out
}

/// Decodes owned frames, feeding `input` whole or in chunks; returns the frame count.
fn decode_owned(codec: &mut Framing, input: &[u8], chunk: usize) -> usize {
    let mut buf = BytesMut::with_capacity(chunk.min(input.len()));
    let mut n = 0;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(frame) = codec.decode_frame(&mut buf).unwrap() {
            black_box(&frame);
            n += 1;
        }
    }
    n
}

/// Steps over borrowed frames of a whole input; returns the frame count.
fn decode_borrowed(codec: &mut Framing, input: &[u8]) -> usize {
    let mut at = 0;
    let mut n = 0;
    loop {
        let step = codec.step(&input[at..]).unwrap();
        if let Some(r) = step.frame_range() {
            black_box(&input[at + r.start..at + r.end]);
            n += 1;
        }
        if step.consumed() == 0 {
            return n;
        }
        at += step.consumed();
    }
}

fn decode_tokio<D: Decoder>(codec: &mut D, input: &[u8], chunk: usize) -> usize
where
    D::Error: std::fmt::Debug,
{
    let mut buf = BytesMut::with_capacity(chunk.min(input.len()));
    let mut n = 0;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            black_box(&frame);
            n += 1;
        }
    }
    n
}

fn decode(c: &mut Criterion) {
    for size in SIZES {
        let mut g = c.benchmark_group(format!("decode/{size}"));
        let frames = frames_for(size);
        g.throughput(Throughput::Bytes((size * frames) as u64));
        if size >= 64 * 1024 {
            g.sample_size(20);
        }
        for name in CODECS {
            let framing: Framing = name.parse().unwrap();
            let input = encode_all(&framing, size);
            for (label, chunk) in [("whole", input.len()), ("chunked", CHUNK)] {
                g.bench_function(format!("{name}/owned/{label}"), |b| {
                    let mut codec = framing.clone();
                    b.iter(|| assert_eq!(decode_owned(&mut codec, &input, chunk), frames))
                });
            }
            g.bench_function(format!("{name}/borrowed/whole"), |b| {
                let mut codec = framing.clone();
                b.iter(|| assert_eq!(decode_borrowed(&mut codec, &input), frames))
            });
        }
        let lp = encode_all(&"lp32be".parse().unwrap(), size);
        let lines = encode_all(&"lines".parse().unwrap(), size);
        for (label, chunk) in [("whole", lp.len()), ("chunked", CHUNK)] {
            g.bench_function(format!("tokio-util-length-delimited/owned/{label}"), |b| {
                let mut codec = LengthDelimitedCodec::builder()
                    .max_frame_length(usize::MAX)
                    .new_codec();
                b.iter(|| assert_eq!(decode_tokio(&mut codec, &lp, chunk), frames))
            });
            g.bench_function(format!("tokio-util-lines/owned/{label}"), |b| {
                let mut codec = LinesCodec::new();
                b.iter(|| assert_eq!(decode_tokio(&mut codec, &lines, chunk), frames))
            });
        }
        g.finish();
    }
}

fn encode(c: &mut Criterion) {
    for size in SIZES {
        let mut g = c.benchmark_group(format!("encode/{size}"));
        let frames = frames_for(size);
        g.throughput(Throughput::Bytes((size * frames) as u64));
        if size >= 64 * 1024 {
            g.sample_size(20);
        }
        let p = payload(size);
        let bytes = Bytes::from(p.clone());
        let cap = frames * (size + 64);
        for name in CODECS {
            let framing: Framing = name.parse().unwrap();
            g.bench_function(name, |b| {
                let mut codec = framing.clone();
                b.iter_batched_ref(
                    || BytesMut::with_capacity(cap),
                    |out| {
                        for _ in 0..frames {
                            codec.encode_frame(&p, out).unwrap();
                        }
                    },
                    BatchSize::LargeInput,
                )
            });
        }
        g.bench_function("tokio-util-length-delimited", |b| {
            let mut codec = LengthDelimitedCodec::builder()
                .max_frame_length(usize::MAX)
                .new_codec();
            b.iter_batched_ref(
                || BytesMut::with_capacity(cap),
                |out| {
                    for _ in 0..frames {
                        codec.encode(bytes.clone(), out).unwrap();
                    }
                },
                BatchSize::LargeInput,
            )
        });
        let line = String::from_utf8(p.clone()).unwrap();
        g.bench_function("tokio-util-lines", |b| {
            let mut codec = LinesCodec::new();
            b.iter_batched_ref(
                || BytesMut::with_capacity(cap),
                |out| {
                    for _ in 0..frames {
                        codec.encode(line.as_str(), out).unwrap();
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
