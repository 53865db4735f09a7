//! The writer target: the blocking `sync::FrameWriter` and both async writers
//! (`tokio::AsyncFrameWriter`, `futures_io::AsyncFrameWriter`: borrowed `write_frame`,
//! owned `write_frame_bytes`, the `Sink` impl, `flush`, `close`) driven with frames of 0 B to
//! 1 MiB over a scripted writer that takes short writes, returns `Interrupted`, `Pending`
//! and errors, and compares every byte it is given with the reference encoding as it comes.
//!
//! # Input layout
//!
//! ```text
//! +------+------+-------+------+---+-------------------+----+------+--------------------+
//! | cfg0 | cfg1 | flags | cfg3 | n | writes (n % 32 B) | hw | mode | frame ops (3 B ea.)|
//! +------+------+-------+------+---+-------------------+----+------+--------------------+
//! ```
//!
//! * `cfg0` to `cfg3` and `n / 32`: the codec, as for the engine targets
//!   ([`engine_framing`]): `cfg0 % 5` the family, `cfg0 / 5` its variant, `cfg1` the maximum
//!   frame length ([`max_from`]), `flags` bits 0-3 the codec's options, `cfg3` a delimiter
//!   byte or a header limit; `n / 32` bit 0 `DotnetLines` instead, bits 1-2 how the codec is
//!   handed to the writer ([`Handover`]: the `Framing`, `&mut Framing`, or through the
//!   traits' provided `encode_frame`/`encode_into_vec` and `Parts::new`,
//!   [`Provided`](crate::invariants::Provided)).
//! * writes: one operation per call of the scripted writer ([`write_op`]): a write of 1 to
//!   32 bytes, about 1 KiB to 32 KiB, 1 to 32 pages, 64 KiB - 16 to 64 KiB + 15, or all it is
//!   given; `Interrupted`; `Pending`; a `BrokenPipe` error; a write of 0 bytes. A flush or
//!   close takes the next operation too when it is a `Pending`. After the script, its
//!   writes repeat (all it is given if it has none), none shorter than 1/2048 of the
//!   encoded frames (so that an input costs a few thousand writes at most). The blocking
//!   writer never sees the `Pending`s (a blocking writer cannot return one).
//! * `hw`: the high-water mark ([`high_water_from`]): the default (`new`), 0, multiples of
//!   512 B up to 32 KiB, or of 16 KiB up to 1 MiB.
//! * `mode`: bits 0-1 the writer (0 or 3 blocking, 1 tokio, 2 futures-io); bit 2 the
//!   scripted writer is not vectored (it takes only the first non-empty slice of a vectored
//!   write, as `std`'s default `write_vectored` does); bit 3 the end: the blocking writer is
//!   dropped instead of `finish`ed, an async one is flushed and taken apart with
//!   `into_inner` instead of closed; bit 4 an async close goes through `Sink::poll_close`.
//! * frame ops, 3 bytes `[a, p_hi, p_lo]` each, `p` a u16: `a % 16` 10 is a flush (async:
//!   bit 4 of `a` through `Sink::poll_flush`), 11 sets the encoder's maximum frame length to
//!   `max_from(p_lo)` through `encoder_mut` (the reference follows), anything else a frame
//!   whose size class is `a % 16` ([`frame_len`], 0 B to 1 MiB, aimed at the engine's edges:
//!   4 KiB, pages, 64 KiB, 1 MiB). Bits 4-5 of `a` choose how the frame is written:
//!   blocking, `write_frame` (0, 2) or inside one `write_frames` call with the neighbouring
//!   frames of the same choice (1, 3); async, `write_frame` borrowed (0),
//!   `write_frame_bytes` (1), the `Sink` (2), or (3) a misuse: `start_send` without
//!   `poll_ready` first, or with bit 7 a `write_frame` future leaked at its first
//!   `Pending`. Bit 6: the payload ends in `\r \n \0 cfg3`, which delimiter codecs refuse.
//!   Bit 7 (async): the future is dropped at every `Pending` and a new one made
//!   (cancellation), for frames and flushes. Frames stop at [`TOTAL_MAX`] bytes in all.
//!
//! Frame `i`'s payload starts with `i` in base-26 letters and goes on with letters in a
//! pattern shifted by `i`, so a frame lost, duplicated or reordered changes the bytes.
//!
//! # Invariants
//!
//! * the bytes written equal the reference: each frame the codec accepts encoded with
//!   `encode_frame`, in order (checked byte by byte as the writer writes, nothing stored;
//!   complete at the end); a frame the codec refuses is an `InvalidInput` error carrying the
//!   codec's `EncodeError`, writes nothing, and does not poison the writer (a `write_frames`
//!   call stops at it, with the frames before it all queued or none);
//! * accounting: after every call, bytes written plus `buffered()` equal the encoding of
//!   the frames accepted; `flush`, `write_frames`, `close`, `finish` and the `Sink`'s
//!   `poll_flush` leave nothing buffered; a `write_frame` of a payload of at least
//!   [`LARGE_ON_WIRE`] bytes is on the wire when it returns (as the writers' docs say);
//! * cancellation: a dropped `write_frame`/`write_frame_bytes` future either queued its
//!   whole frame or nothing (then the frame is written again by a new future);
//! * misuse: `start_send` without `poll_ready` is accepted or refused with
//!   `WriteError::NotReady` queuing nothing; a `write_frame` future leaked while writing a
//!   large frame makes the next call fail with `WriteError::PayloadLost`, and every later
//!   one with `WriteError::Poisoned` (never a frame written after the lost one's start);
//! * an async writer is `Pending` exactly when the scripted writer was;
//! * an I/O error comes back as it came, the writer writes nothing after it, and every
//!   later call fails with `WriteError::Poisoned` naming its kind;
//! * bounded memory: through a [`MemProbe`], the peak allocation of the writer stays within
//!   2 x (high-water mark + [`COPY_MAX`] + 2 pages) + 16 KiB, plus one copy of the largest
//!   borrowed payload whose future was dropped in flight (the one copy the docs allow), the
//!   frames sent without `poll_ready` (which may pass the mark), and the large frames of the
//!   largest `write_frames` call a refused frame ended (copied, as its docs say).
//!
//! Used by the `writers` target and by `tests/fuzz_regressions.rs` (with the main crate's
//! `tokio` and `futures-io` features).

use std::future::Future;
use std::io::{self, IoSlice, Write};
use std::mem::ManuallyDrop;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_sink::Sink;
use pipeframe::codec::{EncodeError, FrameEncoder, Framing, Parts, WriteError};

use crate::async_engine::drive;
use crate::invariants::{
    AsFraming, Handover, Input, MemProbe, check_mem, engine_framing, handover, max_from,
};

/// A `write_frame` of a payload at least this long is on the wire when it returns: the
/// writers' docs say payloads of 4 KiB and more are not copied but written before the call
/// returns. If those docs change, change this.
pub const LARGE_ON_WIRE: usize = 4096;

/// The memory bound's allowance for a frame the engine may copy into its batch: larger
/// payloads must not be copied (but for the one a cancelled borrowed write leaves behind).
pub const COPY_MAX: usize = 64 * 1024;

/// A page: the stream unit a large frame's writes may be cut to.
const PAGE: usize = 4096;

/// The payload bytes of one input are capped at this (frames past it are left out).
pub const TOTAL_MAX: usize = 4 << 20;

/// The largest frame.
pub const FRAME_MAX: usize = 1 << 20;

/// One call of the scripted writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOp {
    /// Take up to this many bytes.
    Take(usize),
    /// Return `Interrupted`.
    Interrupted,
    /// Return `Pending` (async only).
    Pending,
    /// Return `BrokenPipe`.
    Fail,
    /// Return `Ok(0)`.
    Zero,
}

/// The write operation a script byte stands for (see the module docs).
pub fn write_op(b: u8) -> WriteOp {
    let k = (b >> 3) as usize;
    match b % 8 {
        0 => WriteOp::Interrupted,
        1 => WriteOp::Pending,
        2 if b == 2 => WriteOp::Fail,
        2 if b == 10 => WriteOp::Zero,
        2 => WriteOp::Pending,
        3 => WriteOp::Take(k + 1),
        4 => WriteOp::Take((k + 1) * 1021),
        5 => WriteOp::Take((k + 1) * PAGE),
        6 => WriteOp::Take(65_536 + k - 16),
        _ => WriteOp::Take(usize::MAX),
    }
}

/// The high-water mark a byte stands for; `None` is the default (the writer made with `new`).
pub fn high_water_from(b: u8) -> Option<usize> {
    let k = (b >> 2) as usize;
    match b % 4 {
        0 => None,
        1 => Some(0),
        2 => Some(k * 512),
        _ => Some(k * 16 * 1024),
    }
}

/// The default high-water mark the writers document.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

/// A frame's payload length from its size class and parameter (see the module docs).
pub fn frame_len(class: u8, p: u16) -> usize {
    let p = p as usize;
    let len = match class % 16 {
        0 => p % 64,
        1 => p % 4096,
        2 => 4096 - 32 + p % 64,
        3 => ((p % 17) * 4096 + (p >> 8) % 16).saturating_sub(8),
        4 => 65_536 - 256 + p % 512,
        5 => p * 16,
        6 => FRAME_MAX - p % 256,
        7 => ((p % 257) * 4096 + (p >> 9) % 16).saturating_sub(8),
        8 => 0,
        9 => (4096 * (1 + p % 4)).saturating_sub((p >> 8) % 32),
        _ => p % 16,
    };
    len.min(FRAME_MAX)
}

/// How a frame is handed to the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// `write_frame`, borrowed.
    Borrowed,
    /// Blocking `write_frames`, with its neighbours of the same choice.
    Batch,
    /// `write_frame_bytes`.
    Owned,
    /// `Sink::poll_ready` + `start_send`.
    Sink,
    /// `Sink::start_send` without `poll_ready` first (a misuse the writer refuses with
    /// `WriteError::NotReady`, queuing nothing, while a large frame is in flight); then as
    /// [`How::Sink`] if refused.
    Unready,
    /// `write_frame` whose future is leaked (`mem::forget`) at its first `Pending`: if it was
    /// writing a large frame, the next call fails with `WriteError::PayloadLost` and the
    /// writer is poisoned; else nothing was queued and the frame is written again.
    Leak,
}

/// One frame op, parsed.
#[derive(Debug, Clone)]
enum Op {
    Frame {
        /// Its index among the frames.
        i: usize,
        how: How,
        cancel: bool,
    },
    Flush {
        sink: bool,
        cancel: bool,
    },
    /// Sets the encoder's maximum frame length (`encoder_mut`) for the frames after it.
    SetMax(usize),
}

/// One frame: its payload's range in the payload buffer, and where its encoding is in the
/// reference, or the codec's refusal.
#[derive(Debug, Clone)]
struct Frame {
    payload: Range<usize>,
    encoded: Result<Range<usize>, EncodeError>,
}

/// Everything an input stands for, made before the measurement starts.
#[derive(Debug)]
struct Plan {
    framing: Framing,
    handover: Handover,
    high_water: Option<usize>,
    flavour: u8,
    vectored: bool,
    end_alt: bool,
    close_sink: bool,
    ops: Vec<Op>,
    frames: Vec<Frame>,
    payloads: Bytes,
    reference: Vec<u8>,
    /// Ends of the encoded frames in the reference (for messages).
    ends: Vec<usize>,
}

impl Plan {
    fn new(input: &Input<'_>) -> Option<Plan> {
        let (&hw, rest) = input.stream.split_first()?;
        let (&mode, ops) = rest.split_first()?;
        let framing = engine_framing(input);
        let flavour = match mode & 3 {
            1 => 1,
            2 => 2,
            _ => 0,
        };
        let blocking = flavour == 0;
        let mut plan = Plan {
            framing,
            handover: input.handover(),
            high_water: high_water_from(hw),
            flavour,
            vectored: mode & 4 == 0,
            end_alt: mode & 8 != 0,
            close_sink: mode & 16 != 0,
            ops: Vec::new(),
            frames: Vec::new(),
            payloads: Bytes::new(),
            reference: Vec::new(),
            ends: Vec::new(),
        };
        let mut all = Vec::new();
        let mut enc = plan.framing.clone();
        for op in ops.chunks_exact(3) {
            let a = op[0];
            let p = u16::from_be_bytes([op[1], op[2]]);
            let cancel = !blocking && a & 0x80 != 0;
            if a % 16 == 10 {
                plan.ops.push(Op::Flush {
                    sink: !blocking && a & 0x10 != 0,
                    cancel,
                });
                continue;
            }
            if a % 16 == 11 {
                let max = max_from(op[2]);
                enc = enc.with_max_frame_len(max);
                plan.ops.push(Op::SetMax(max));
                continue;
            }
            let len = frame_len(a % 16, p);
            if all.len() + len > TOTAL_MAX {
                break;
            }
            let how = match ((a >> 4) & 3, blocking) {
                (1 | 3, true) => How::Batch,
                (_, true) | (0, false) => How::Borrowed,
                (1, false) => How::Owned,
                (2, false) => How::Sink,
                _ if cancel => How::Leak,
                _ => How::Unready,
            };
            let i = plan.frames.len();
            let start = all.len();
            fill_payload(&mut all, i, len);
            if a & 0x40 != 0 {
                let bad = [b'\r', b'\n', 0, input.cfg[3]];
                let k = bad.len().min(len);
                all[start + len - k..start + len].copy_from_slice(&bad[bad.len() - k..]);
            }
            let payload = start..all.len();
            let at = plan.reference.len();
            let encoded = enc
                .encode_frame(&all[payload.clone()], &mut plan.reference)
                .map(|()| at..plan.reference.len());
            if let Ok(r) = &encoded {
                assert!(!r.is_empty(), "a frame encodes to no bytes");
                plan.ends.push(r.end);
            }
            plan.frames.push(Frame { payload, encoded });
            plan.ops.push(Op::Frame { i, how, cancel });
        }
        plan.payloads = Bytes::from(all);
        // Slicing shares the buffer from here on without allocating.
        drop(plan.payloads.slice(0..0));
        Some(plan)
    }

    fn payload(&self, i: usize) -> &[u8] {
        &self.payloads[self.frames[i].payload.clone()]
    }

    fn payload_bytes(&self, i: usize) -> Bytes {
        self.payloads.slice(self.frames[i].payload.clone())
    }

    /// The memory the writer may hold (see the module docs): the allowance for the batch,
    /// and the extra bytes a cancelled borrowed write, `start_send`s made without
    /// `poll_ready` and a `write_frames` call ended by a refused frame (its large frames
    /// before it are copied, as its docs say) may add.
    fn mem_allowance(&self) -> (usize, usize) {
        let hw = self.high_water.unwrap_or(DEFAULT_HIGH_WATER);
        let mut copied = 0;
        let mut unready = 0;
        // The large payloads of the `write_frames` call being built, and the most copied.
        let (mut batch, mut refused) = (0, 0);
        for op in &self.ops {
            if let Op::Frame {
                i, how: How::Batch, ..
            } = op
            {
                let frame = &self.frames[*i];
                if frame.encoded.is_err() {
                    refused = refused.max(batch);
                    batch = 0;
                } else if frame.payload.len() >= LARGE_ON_WIRE {
                    batch += frame.payload.len();
                }
                continue;
            }
            batch = 0;
            match op {
                Op::Frame {
                    i,
                    how: How::Borrowed,
                    cancel: true,
                } => copied = copied.max(self.frames[*i].payload.len()),
                Op::Frame {
                    i,
                    how: How::Unready,
                    ..
                } => unready += self.frames[*i].payload.len() + 2 * Parts::MAX_LEN,
                _ => {}
            }
        }
        (hw + COPY_MAX + 2 * PAGE, copied + unready + refused)
    }
}

/// Frame `i`'s payload: `i` in base-26 letters, then letters in a pattern shifted by `i`.
fn fill_payload(out: &mut Vec<u8>, i: usize, len: usize) {
    const LETTERS: &[u8; 52] = b"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
    let mut id = i;
    for _ in 0..len.min(4) {
        out.push(b'a' + (id % 26) as u8);
        id /= 26;
    }
    let mut j = 4;
    while j < len {
        let off = (i * 7 + j) % 26;
        let k = (26 - off).min(len - j);
        out.extend_from_slice(&LETTERS[off..off + k]);
        j += k;
    }
}

/// The scripted writer: plays the write script, compares every byte it takes with the
/// reference, and counts.
#[derive(Debug)]
pub struct ScriptedSink<'a> {
    reference: &'a [u8],
    ends: &'a [usize],
    ops: Vec<WriteOp>,
    repeat: Vec<usize>,
    /// The smallest repeated write, so that an input costs at most a few thousand writes.
    floor: usize,
    next: usize,
    vectored: bool,
    /// Bytes taken so far.
    pub pos: usize,
    /// `Pending`s returned so far.
    pub stalls: usize,
    /// The error the sink returned, if any (nothing may be written after it).
    pub failed: Option<io::ErrorKind>,
    /// Whether the stream was closed.
    pub closed: bool,
    /// Write calls so far.
    pub calls: usize,
}

impl<'a> ScriptedSink<'a> {
    fn new(plan: &'a Plan, script: &[u8]) -> Self {
        let blocking = plan.flavour == 0;
        let ops: Vec<WriteOp> = script
            .iter()
            .map(|&b| write_op(b))
            .filter(|op| !(blocking && *op == WriteOp::Pending))
            .collect();
        let mut repeat: Vec<usize> = ops
            .iter()
            .filter_map(|op| match op {
                WriteOp::Take(n) => Some(*n),
                _ => None,
            })
            .collect();
        if repeat.is_empty() {
            repeat.push(usize::MAX);
        }
        ScriptedSink {
            reference: &plan.reference,
            ends: &plan.ends,
            ops,
            repeat,
            floor: (plan.reference.len() / 2048).max(1),
            next: 0,
            vectored: plan.vectored,
            pos: 0,
            stalls: 0,
            failed: None,
            closed: false,
            calls: 0,
        }
    }

    fn peek(&self) -> WriteOp {
        match self.ops.get(self.next) {
            Some(op) => *op,
            None => {
                let n = self.repeat[(self.next - self.ops.len()) % self.repeat.len()];
                WriteOp::Take(n.max(self.floor))
            }
        }
    }

    /// Which frame (index among the encoded frames) the reference byte `at` belongs to.
    fn frame_at(&self, at: usize) -> usize {
        self.ends.partition_point(|&e| e <= at)
    }

    fn take(&mut self, bytes: &[u8]) {
        let at = self.pos;
        let end = at + bytes.len();
        assert!(
            end <= self.reference.len(),
            "{} bytes written past the {} bytes of the frames (a frame duplicated?)",
            end - self.reference.len(),
            self.reference.len()
        );
        if bytes != &self.reference[at..end] {
            let d = at
                + (0..bytes.len())
                    .find(|&k| bytes[k] != self.reference[at + k])
                    .unwrap_or(0);
            let f = self.frame_at(d);
            let start = if f == 0 { 0 } else { self.ends[f - 1] };
            panic!(
                "wire byte {d} (byte {} of encoded frame {f}) is {:#04x}, the reference says \
                 {:#04x}: a frame lost, duplicated, reordered or corrupted",
                d - start,
                bytes[d - at],
                self.reference[d]
            );
        }
        self.pos = end;
    }

    fn poll_write_slices(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        assert!(
            self.failed.is_none(),
            "a write after an error poisoned the writer"
        );
        assert!(!self.closed, "a write after the stream was closed");
        self.calls += 1;
        let op = self.peek();
        self.next += 1;
        match op {
            WriteOp::Interrupted => Poll::Ready(Err(io::ErrorKind::Interrupted.into())),
            WriteOp::Pending => {
                self.stalls += 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            WriteOp::Fail => {
                self.failed = Some(io::ErrorKind::BrokenPipe);
                Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()))
            }
            WriteOp::Zero => {
                self.failed = Some(io::ErrorKind::WriteZero);
                Poll::Ready(Ok(0))
            }
            WriteOp::Take(n) => {
                let mut left = n;
                let mut took = 0;
                for b in bufs.iter().filter(|b| !b.is_empty()) {
                    let k = left.min(b.len());
                    self.take(&b[..k]);
                    took += k;
                    left -= k;
                    if left == 0 || !self.vectored {
                        break;
                    }
                }
                if took == 0 {
                    // Nothing to write: a system write returns 0 too.
                    self.failed = Some(io::ErrorKind::WriteZero);
                }
                Poll::Ready(Ok(took))
            }
        }
    }

    /// A flush or close: `Pending` if the next operation is one, else done.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.peek() == WriteOp::Pending {
            self.next += 1;
            self.stalls += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }
}

impl Write for ScriptedSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut cx = Context::from_waker(Waker::noop());
        match self.poll_write_slices(&mut cx, bufs) {
            Poll::Ready(r) => r,
            Poll::Pending => unreachable!("the blocking script has no Pending"),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The async write traits for [`ScriptedSink`]: `$close` is the method that ends the stream.
macro_rules! async_write {
    ($write:path, $close:ident $(, $extra:item)*) => {
        impl $write for ScriptedSink<'_> {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().poll_write_slices(cx, &[IoSlice::new(buf)])
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().poll_write_slices(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().poll_done(cx)
            }

            fn $close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                let this = self.get_mut();
                let r = std::task::ready!(this.poll_done(cx));
                this.closed = true;
                Poll::Ready(r)
            }

            $($extra)*
        }
    };
}

async_write!(
    tokio::io::AsyncWrite,
    poll_shutdown,
    fn is_write_vectored(&self) -> bool {
        self.vectored
    }
);
async_write!(futures_io::AsyncWrite, poll_close);

/// Whether the writer is poisoned.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Poison {
    /// It is not.
    #[default]
    Healthy,
    /// A leaked future lost the rest of a large frame: the next call that writes fails with
    /// `WriteError::PayloadLost`.
    Lost,
    /// Poisoned by an I/O error of this kind.
    Cause(io::ErrorKind),
    /// Poisoned after a lost payload (the cause it names is the writer's choice).
    Any,
}

/// What the harness knows of the writer's state.
#[derive(Debug, Default)]
struct Track {
    /// End in the reference of the frames accepted so far.
    accepted: usize,
    poisoned: Poison,
}

impl Track {
    fn healthy(&self) -> bool {
        self.poisoned == Poison::Healthy
    }

    /// Checks a call's result. `refusal`: the codec's error for the call's frame, if any.
    /// Returns whether the call succeeded; records a poisoning.
    fn outcome(
        &mut self,
        res: io::Result<()>,
        sink: &ScriptedSink<'_>,
        refusal: Option<EncodeError>,
        what: &str,
    ) -> bool {
        if self.poisoned != Poison::Healthy {
            let e = res.expect_err(&format!("{what} succeeded on a poisoned writer"));
            let inner = e.get_ref().and_then(|i| i.downcast_ref::<WriteError>());
            match (self.poisoned, inner) {
                (Poison::Lost, Some(WriteError::PayloadLost)) => self.poisoned = Poison::Any,
                (Poison::Cause(cause), Some(&WriteError::Poisoned { cause: c })) if c == cause => {}
                (Poison::Any, Some(WriteError::Poisoned { .. })) => {}
                (p, _) => panic!("{what} on a poisoned writer ({p:?}): {e}"),
            }
            return false;
        }
        match res {
            Err(e) if sink.failed.is_some() => {
                assert_eq!(
                    Some(e.kind()),
                    sink.failed,
                    "{what}: the I/O error changed: {e}"
                );
                self.poisoned = Poison::Cause(e.kind());
                false
            }
            Err(e) => {
                let Some(want) = refusal else {
                    panic!("{what} failed: {e}");
                };
                assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{what}: {e}");
                let inner = e.get_ref().and_then(|i| i.downcast_ref::<EncodeError>());
                assert_eq!(inner, Some(&want), "{what}: refused with {e}");
                false
            }
            Ok(()) => {
                assert!(sink.failed.is_none(), "{what} hid the I/O error");
                assert!(
                    refusal.is_none(),
                    "{what}: a frame the codec refuses ({refusal:?}) was accepted"
                );
                true
            }
        }
    }

    /// Bytes written plus bytes buffered are the frames accepted.
    fn conserved(&self, sink: &ScriptedSink<'_>, buffered: usize, what: &str) {
        if self.healthy() {
            assert_eq!(
                sink.pos + buffered,
                self.accepted,
                "{what}: {} bytes written + {buffered} buffered != {} bytes of frames accepted",
                sink.pos,
                self.accepted
            );
        }
    }

    /// Everything accepted is on the wire.
    fn on_wire(&self, sink: &ScriptedSink<'_>, buffered: usize, what: &str) {
        if self.healthy() {
            assert_eq!(
                sink.pos, self.accepted,
                "{what}: not every accepted frame is on the wire"
            );
            assert_eq!(buffered, 0, "{what}: bytes left buffered");
        }
    }
}

/// Checks one input against the writer its mode byte names.
pub fn check_writers(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let Some(plan) = Plan::new(&input) else {
        return;
    };
    let sink = ScriptedSink::new(&plan, input.script);
    let (allow, copied) = plan.mem_allowance();
    probe.start();
    let (sink, pending) = handover!(plan.handover, plan.framing.clone(), |codec| {
        match plan.flavour {
            0 => (run_sync(&plan, sink, codec), 0),
            1 => run_tokio(&plan, sink, codec),
            _ => run_futures(&plan, sink, codec),
        }
    });
    check_mem(probe, 2, allow, copied, "frame writer");
    assert_eq!(
        pending, sink.stalls,
        "the writer was Pending {pending} times, its writer {} times",
        sink.stalls
    );
}

fn run_sync<'a, C: FrameEncoder + AsFraming>(
    plan: &'a Plan,
    mut sink: ScriptedSink<'a>,
    codec: C,
) -> ScriptedSink<'a> {
    let mut t = Track::default();
    {
        let mut w = match plan.high_water {
            None => pipeframe::sync::FrameWriter::new(&mut sink, codec),
            Some(hw) => pipeframe::sync::FrameWriter::with_high_water(hw, &mut sink, codec),
        };
        if let Some(hw) = plan.high_water {
            assert_eq!(w.high_water(), hw);
        }
        let mut k = 0;
        while k < plan.ops.len() {
            match &plan.ops[k] {
                Op::SetMax(max) => {
                    set_max(w.encoder_mut().framing_mut(), *max);
                    assert_eq!(w.encoder().framing().max_frame_len(), *max);
                    k += 1;
                }
                Op::Flush { .. } => {
                    let r = w.flush();
                    t.outcome(r, w.get_ref(), None, "flush");
                    t.on_wire(w.get_ref(), w.buffered(), "flush");
                    k += 1;
                }
                Op::Frame {
                    how: How::Batch, ..
                } => {
                    // This frame and the batch frames after it, up to the first the codec
                    // refuses (`write_frames` stops there).
                    let mut batch = Vec::new();
                    let mut refusal = None;
                    let mut j = k;
                    while let Some(Op::Frame {
                        i, how: How::Batch, ..
                    }) = plan.ops.get(j)
                    {
                        batch.push(*i);
                        j += 1;
                        if let Err(e) = &plan.frames[*i].encoded {
                            refusal = Some(*e);
                            break;
                        }
                    }
                    let r = w.write_frames(batch.iter().map(|&i| plan.payload(i)));
                    let ok = t.outcome(r, w.get_ref(), refusal, "write_frames");
                    let before = t.accepted;
                    if t.healthy() {
                        for &i in &batch {
                            if let Ok(r) = &plan.frames[i].encoded {
                                t.accepted = r.end;
                            }
                        }
                    }
                    // A refused frame stops the call: the frames before it are queued (as
                    // now) or, were the call to check every frame first, none is; never
                    // some of them.
                    if !ok && refusal.is_some() && t.healthy() {
                        let now = w.get_ref().pos + w.buffered();
                        if now == before {
                            t.accepted = before;
                        }
                    }
                    if ok {
                        t.on_wire(w.get_ref(), w.buffered(), "write_frames");
                    }
                    t.conserved(w.get_ref(), w.buffered(), "write_frames");
                    k = j;
                }
                Op::Frame { i, .. } => {
                    let frame = &plan.frames[*i];
                    let r = w.write_frame(plan.payload(*i));
                    let ok = t.outcome(r, w.get_ref(), frame.encoded.clone().err(), "write_frame");
                    if ok {
                        t.accepted = frame.encoded.as_ref().expect("accepted").end;
                        if frame.payload.len() >= LARGE_ON_WIRE {
                            t.on_wire(w.get_ref(), w.buffered(), "write_frame of a large payload");
                        }
                    }
                    t.conserved(w.get_ref(), w.buffered(), "write_frame");
                    k += 1;
                }
            }
        }
        if plan.end_alt {
            // Dropping flushes, as BufWriter does (an error there cannot be reported: it
            // ends the stream short, as it poisons).
            drop(w);
            if let (true, Some(kind)) = (t.healthy(), sink.failed) {
                t.poisoned = Poison::Cause(kind);
            }
        } else {
            let r = w.finish().map(|_| ());
            t.outcome(r, &sink, None, "finish");
        }
    }
    if t.healthy() {
        assert_eq!(sink.pos, plan.reference.len(), "frames missing at the end");
    }
    sink
}

macro_rules! run_async {
    ($name:ident, $writer:ident, $w:ident) => {
        /// This flavour's writer over the scripted writer.
        type $w<'a, C> = pipeframe::$writer::AsyncFrameWriter<ScriptedSink<'a>, C>;

        fn $name<'a, C: FrameEncoder + AsFraming + Unpin>(
            plan: &'a Plan,
            sink: ScriptedSink<'a>,
            codec: C,
        ) -> (ScriptedSink<'a>, usize) {
            let mut cx = Context::from_waker(Waker::noop());
            let mut pending = 0usize;
            let mut t = Track::default();
            let mut w: $w<'a, C> = match plan.high_water {
                None => $w::new(sink, codec),
                Some(hw) => $w::with_high_water(hw, sink, codec),
            };
            if let Some(hw) = plan.high_water {
                assert_eq!(w.high_water(), hw);
            }
            let never = || None::<io::Result<()>>;
            for op in &plan.ops {
                match *op {
                    Op::SetMax(max) => {
                        set_max(w.encoder_mut().framing_mut(), max);
                        assert_eq!(w.encoder().framing().max_frame_len(), max);
                    }
                    Op::Flush { sink, cancel } => {
                        let r = if sink {
                            drive!(
                                &mut cx,
                                cancel,
                                pending,
                                std::future::poll_fn(|cx| Pin::new(&mut w).poll_flush(cx)),
                                never()
                            )
                        } else {
                            drive!(&mut cx, cancel, pending, w.flush(), never())
                        };
                        t.outcome(r, w.get_ref(), None, "flush");
                        t.on_wire(w.get_ref(), w.buffered(), "flush");
                    }
                    Op::Frame { i, how, cancel } => {
                        let frame = &plan.frames[i];
                        let refusal = frame.encoded.clone().err();
                        let len = frame.encoded.as_ref().map_or(usize::MAX, |r| r.len());
                        // Whether a dropped future queued its frame: then it is not sent
                        // again; else it must have queued nothing.
                        let left_queued = std::cell::Cell::new(false);
                        let queued =
                            |w: &$w<'a, C>, before: usize, what: &str| -> Option<io::Result<()>> {
                                let now = w.get_ref().pos + w.buffered();
                                if !t.healthy() || w.get_ref().failed.is_some() {
                                    return None;
                                }
                                if now - before == len {
                                    left_queued.set(true);
                                    return Some(Ok(()));
                                }
                                assert_eq!(
                                    now, before,
                                    "a dropped {what} future queued part of a frame"
                                );
                                None
                            };
                        let mut before;
                        let mut lost = false;
                        let (r, what) = match how {
                            How::Borrowed | How::Batch => (
                                drive!(
                                    &mut cx,
                                    cancel,
                                    pending,
                                    {
                                        before = w.get_ref().pos + w.buffered();
                                        w.write_frame(plan.payload(i))
                                    },
                                    queued(&w, before, "write_frame")
                                ),
                                "write_frame",
                            ),
                            How::Owned => (
                                drive!(
                                    &mut cx,
                                    cancel,
                                    pending,
                                    {
                                        before = w.get_ref().pos + w.buffered();
                                        w.write_frame_bytes(plan.payload_bytes(i))
                                    },
                                    queued(&w, before, "write_frame_bytes")
                                ),
                                "write_frame_bytes",
                            ),
                            How::Leak => {
                                before = w.get_ref().pos + w.buffered();
                                // `WriteFrameFuture` is `Unpin`: it can be polled in place
                                // and forgotten without breaking a pin.
                                let mut fut = ManuallyDrop::new(w.write_frame(plan.payload(i)));
                                match Pin::new(&mut *fut).poll(&mut cx) {
                                    Poll::Ready(r) => {
                                        drop(ManuallyDrop::into_inner(fut));
                                        (r, "write_frame")
                                    }
                                    Poll::Pending => {
                                        pending += 1;
                                        if let Some(r) = queued(&w, before, "write_frame") {
                                            // Queued and in flight, its payload gone with
                                            // the future.
                                            if t.healthy() {
                                                lost = true;
                                            }
                                            (r, "write_frame")
                                        } else {
                                            (
                                                drive!(
                                                    &mut cx,
                                                    false,
                                                    pending,
                                                    w.write_frame(plan.payload(i)),
                                                    never()
                                                ),
                                                "write_frame",
                                            )
                                        }
                                    }
                                }
                            }
                            How::Sink | How::Unready => {
                                before = w.get_ref().pos + w.buffered();
                                let early = if how == How::Unready {
                                    match Pin::new(&mut w).start_send(plan.payload_bytes(i)) {
                                        Err(e)
                                            if e.get_ref()
                                                .and_then(|i| i.downcast_ref::<WriteError>())
                                                == Some(&WriteError::NotReady) =>
                                        {
                                            assert_eq!(
                                                w.get_ref().pos + w.buffered(),
                                                before,
                                                "start_send refused as not ready queued bytes"
                                            );
                                            None
                                        }
                                        r => Some(r),
                                    }
                                } else {
                                    None
                                };
                                let r = early.unwrap_or_else(|| {
                                    let ready = drive!(
                                        &mut cx,
                                        cancel,
                                        pending,
                                        std::future::poll_fn(|cx| Pin::new(&mut w).poll_ready(cx)),
                                        never()
                                    );
                                    match ready {
                                        Ok(()) => {
                                            Pin::new(&mut w).start_send(plan.payload_bytes(i))
                                        }
                                        Err(e) => Err(e),
                                    }
                                });
                                (r, "Sink::start_send")
                            }
                        };
                        let ok = t.outcome(r, w.get_ref(), refusal, what);
                        if lost {
                            t.poisoned = Poison::Lost;
                        }
                        if ok {
                            t.accepted = frame.encoded.as_ref().expect("accepted").end;
                            // (Not when its future was dropped in flight: then the rest waits.)
                            if how == How::Borrowed
                                && frame.payload.len() >= LARGE_ON_WIRE
                                && !left_queued.get()
                            {
                                t.on_wire(
                                    w.get_ref(),
                                    w.buffered(),
                                    "write_frame of a large payload",
                                );
                            }
                        }
                        t.conserved(w.get_ref(), w.buffered(), what);
                    }
                }
            }
            let sink = if plan.end_alt {
                let r = drive!(&mut cx, false, pending, w.flush(), never());
                t.outcome(r, w.get_ref(), None, "flush");
                t.on_wire(w.get_ref(), w.buffered(), "flush");
                w.into_inner()
            } else {
                let r = if plan.close_sink {
                    drive!(
                        &mut cx,
                        false,
                        pending,
                        std::future::poll_fn(|cx| Pin::new(&mut w).poll_close(cx)),
                        never()
                    )
                } else {
                    drive!(&mut cx, false, pending, w.close(), never())
                };
                if t.outcome(r, w.get_ref(), None, "close") {
                    assert!(w.get_ref().closed, "close did not close the stream");
                }
                t.on_wire(w.get_ref(), w.buffered(), "close");
                w.into_inner()
            };
            if t.healthy() {
                assert_eq!(sink.pos, plan.reference.len(), "frames missing at the end");
            }
            (sink, pending)
        }
    };
}

run_async!(run_tokio, tokio, TokioWriter);
run_async!(run_futures, futures_io, FuturesWriter);

/// Sets the maximum frame length of the writer's encoder, as the reference's is set.
fn set_max(enc: &mut Framing, max: usize) {
    *enc = enc.clone().with_max_frame_len(max);
}

/// Builds a writer input (for the seed generator and the regression test).
pub fn build(cfg: [u8; 4], script: &[u8], hw: u8, mode: u8, ops: &[(u8, u16)]) -> Vec<u8> {
    build_shaped(cfg, 0, script, hw, mode, ops)
}

/// Builds a writer input with a shape (`n / 32`: `DotnetLines`, the [`Handover`]).
pub fn build_shaped(
    cfg: [u8; 4],
    shape: u8,
    script: &[u8],
    hw: u8,
    mode: u8,
    ops: &[(u8, u16)],
) -> Vec<u8> {
    let mut stream = vec![hw, mode];
    for &(a, p) in ops {
        stream.push(a);
        stream.extend_from_slice(&p.to_be_bytes());
    }
    Input::build_shaped(cfg, shape, script, &stream)
}

/// Size classes, for building inputs: `(class, parameter)` giving these lengths.
pub mod class {
    /// `p % 64` bytes.
    pub const TINY: u8 = 0;
    /// `p % 4096` bytes.
    pub const SMALL: u8 = 1;
    /// 4064 + `p % 64` bytes (around 4 KiB).
    pub const AROUND_4K: u8 = 2;
    /// 64 KiB - 256 + `p % 512` bytes.
    pub const AROUND_64K: u8 = 4;
    /// `16 p` bytes.
    pub const ANY: u8 = 5;
    /// 1 MiB - `p % 256` bytes.
    pub const NEAR_1M: u8 = 6;
    /// Empty.
    pub const EMPTY: u8 = 8;
    /// A flush.
    pub const FLUSH: u8 = 10;
    /// Sets the encoder's maximum to `max_from(p as u8)`.
    pub const SET_MAX: u8 = 11;
}

/// `How` bits of a frame op (`a` bits 4-5) and its flags.
pub mod how {
    /// Blocking `write_frame`; async `write_frame` borrowed.
    pub const BORROWED: u8 = 0x00;
    /// Blocking `write_frames`; async `write_frame_bytes`.
    pub const BATCH_OR_OWNED: u8 = 0x10;
    /// Async: the `Sink`.
    pub const SINK: u8 = 0x20;
    /// Async: `start_send` without `poll_ready`; with [`CANCEL`], a leaked `write_frame`.
    pub const MISUSE: u8 = 0x30;
    /// The payload ends in bytes a delimiter codec refuses.
    pub const BAD: u8 = 0x40;
    /// Async: drop the future at every `Pending`.
    pub const CANCEL: u8 = 0x80;
}
