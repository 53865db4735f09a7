//! Fixed-count codec loops for instruction counting with callgrind, which is repeatable on
//! these shared machines where wall time is not (and `perf stat` has no hardware counters).
//!
//! ```text
//! cargo build --release --features tokio --example codec_instructions
//! for m in setup decode tokio-util read read-owned write write-stream read-framing write-framing; do
//!   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$m \
//!     target/release/examples/codec_instructions $m 2>&1 | grep Collected
//! done
//! ```
//!
//! Each mode handles the same 262,144 frames of 64 B with a 4-byte big-endian length prefix;
//! `setup` only encodes the input, so `(mode - setup) / 262144` is the instructions a frame:
//!
//! * `decode`: owned frames, `FrameDecoder::decode_frame` on a `BytesMut`;
//! * `tokio-util`: tokio-util's `LengthDelimitedCodec::decode` on the same bytes;
//! * `read` / `read-owned`: `sync::FrameReader::read_frame_ref` / `read_frame` over a slice;
//! * `write`: `sync::FrameWriter::write_frame` into `io::sink()`;
//! * `write-stream`: `sync::FrameWriter::write_frames` (a stream, as `pipeframe bench`
//!   writes one) into `io::sink()`, its codec under a type of its own (see [`Streamed`]);
//! * `read-framing` / `write-framing`: `read` and `write` through the `Framing` enum
//!   (`lp32be`), as `pipeframe bench` and the CLI use the codecs.
//!
//! Each mode's loop is a function of its own that is never inlined, so the compiler's inlining
//! inside one mode does not depend on which other modes exist.
//!
//! BENCHMARKS.md records the counts; the codec bench (`benches/codec.rs`) measures the time.

use std::hint::black_box;

use bytes::{BufMut, BytesMut};
use pipeframe::codec::{EncodeError, FrameDecoder, FrameEncoder, Framing, LengthPrefixed, Parts};
use pipeframe::sync::{FrameReader, FrameWriter};
use tokio_util::codec::{Decoder, LengthDelimitedCodec};

const FRAMES: usize = 262_144;
const SIZE: usize = 64;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let payload = vec![b'a'; SIZE];
    let codec = LengthPrefixed::u32_be();
    let framing: Framing = "lp32be".parse().expect("framing");
    let mut input = Vec::new();
    let mut enc = codec;
    for _ in 0..FRAMES {
        enc.encode_frame(&payload, &mut input).expect("encode");
    }
    let n = match mode.as_str() {
        "setup" => {
            black_box(&input);
            FRAMES
        }
        "decode" => decode(codec, &input),
        "tokio-util" => tokio_util_decode(&input),
        "read" => read(codec, &input),
        "read-framing" => read(framing, &input),
        "read-owned" => read_owned(codec, &input),
        "write" => write(codec, &payload),
        "write-framing" => write(framing, &payload),
        "write-stream" => write_stream(Streamed(codec), &payload),
        other => {
            eprintln!(
                "unknown mode {other:?}: expected setup, decode, tokio-util, read, read-owned, \
                 write, write-stream, read-framing or write-framing"
            );
            std::process::exit(2);
        }
    };
    assert_eq!(n, FRAMES, "every frame handled");
    println!("{mode}: {n} frames");
}

#[inline(never)]
fn decode(mut codec: impl FrameDecoder, input: &[u8]) -> usize {
    let mut n = 0;
    let mut buf = BytesMut::from(input);
    while let Some(f) = codec.decode_frame(&mut buf).expect("decode") {
        black_box(&f);
        n += 1;
    }
    n
}

#[inline(never)]
fn tokio_util_decode(input: &[u8]) -> usize {
    let mut n = 0;
    let mut buf = BytesMut::from(input);
    let mut c = LengthDelimitedCodec::builder()
        .max_frame_length(usize::MAX)
        .new_codec();
    while let Some(f) = c.decode(&mut buf).expect("decode") {
        black_box(&f);
        n += 1;
    }
    n
}

#[inline(never)]
fn read(codec: impl FrameDecoder, input: &[u8]) -> usize {
    let mut n = 0;
    let mut r = FrameReader::new(input, codec);
    while let Some(f) = r.read_frame_ref().expect("read") {
        black_box(f);
        n += 1;
    }
    n
}

#[inline(never)]
fn read_owned(codec: impl FrameDecoder, input: &[u8]) -> usize {
    let mut n = 0;
    let mut r = FrameReader::new(input, codec);
    while let Some(f) = r.read_frame().expect("read") {
        black_box(&f);
        n += 1;
    }
    n
}

#[inline(never)]
fn write(codec: impl FrameEncoder, payload: &[u8]) -> usize {
    let mut w = FrameWriter::new(std::io::sink(), codec);
    for _ in 0..FRAMES {
        w.write_frame(black_box(payload)).expect("write");
    }
    w.flush().expect("flush");
    FRAMES
}

/// `LengthPrefixed` under a type of its own, for `write-stream`: the writer's code is generic
/// over the codec, and a copy that two modes shared would be inlined as for neither alone.
struct Streamed(LengthPrefixed);

impl FrameEncoder for Streamed {
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        self.0.encode_parts(payload)
    }
    #[inline]
    fn encode_frame<B: BufMut>(&mut self, payload: &[u8], dst: &mut B) -> Result<(), EncodeError>
    where
        Self: Sized,
    {
        self.0.encode_frame(payload, dst)
    }
    #[inline]
    fn encode_into_vec(&mut self, payload: &[u8], dst: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.0.encode_into_vec(payload, dst)
    }
}

#[inline(never)]
fn write_stream(codec: impl FrameEncoder, payload: &[u8]) -> usize {
    let mut w = FrameWriter::new(std::io::sink(), codec);
    w.write_frames(std::iter::repeat_n(black_box(payload), FRAMES))
        .expect("write");
    FRAMES
}
