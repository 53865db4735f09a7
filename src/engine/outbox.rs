//! Write-side state for every writer: the batch buffer plus the large frames accepted and not
//! yet written, sent together by whatever vectored write the flavour offers.
//!
//! An async writer may be interrupted between polls (a `Pending`, a partial write, a dropped
//! future). [`Outbox`] keeps everything needed to finish later: the batch bytes, each queued
//! large frame's [`Parts`], its payload (as [`Bytes`], not copied into the batch, or borrowed
//! from the caller, see [`Outbox::own`]) and how much of header, payload and trailer is
//! already written. The blocking writer uses the same loop with a write that is always
//! `Ready`. No I/O happens here: the flavours pass a closure that performs one vectored write.
//!
//! # Streams and single frames
//!
//! Every push says how its frame may be delivered ([`Mode`]):
//!
//! * [`Mode::Now`] (`write_frame`, `write_frame_bytes`): a large frame is written, whole,
//!   before the writer accepts anything else, so a large request written without a flush still
//!   reaches the peer.
//! * [`Mode::Stream`] (the writers' `write_frames` and `Sink`, whose delivery waits for a
//!   flush anyway): large frames wait in the queue beside the batch until they and the batch
//!   hold [`GATHER`] high-water marks (or the batch alone one mark), then go out together in
//!   one vectored write; and that write may end on a page boundary of the stream (see
//!   [`Outbox::poll_write_out`]).
//!
//! Frames of a few KiB written one `writev` each cost a system call, and the reader a wakeup,
//! per frame: more than raw writes of the same frames, which is why a stream gathers them.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::task::{Poll, ready};

use bytes::Bytes;

use crate::codec::{FrameEncoder, Parts, WriteError};

use super::write::DIRECT_MIN;
use super::{Push, WriteBuf};

/// How a pushed frame may be delivered; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A large frame is written whole before anything else is accepted; never cut.
    Now,
    /// Part of a stream delivered on flush: a large frame may wait for others, and be cut at a
    /// page boundary.
    Stream,
}

/// A large frame accepted and not yet fully written. The batch bytes appended before it (up
/// to `at`) go out before it; batch bytes appended after it go out after it.
#[derive(Debug)]
struct Queued {
    /// The batch-stream offset where the frame sits (see [`WriteBuf::front`]).
    at: u64,
    parts: Parts,
    /// `None` while the payload is borrowed: the caller passes it to every
    /// [`Outbox::poll_write_out`] (see [`Outbox::own`]).
    payload: Option<Bytes>,
    len: usize,
    /// Bytes of header + payload + trailer already written.
    sent: usize,
    mode: Mode,
}

impl Queued {
    fn total(&self) -> usize {
        self.parts.overhead() + self.len
    }

    fn left(&self) -> usize {
        self.total() - self.sent
    }

    /// The unwritten rest of header, payload and trailer.
    fn rest<'a>(&'a self, payload: &'a [u8]) -> [&'a [u8]; 3] {
        let mut skip = self.sent;
        let mut out = [self.parts.header(), payload, self.parts.trailer()];
        for s in &mut out {
            let k = skip.min(s.len());
            *s = &s[k..];
            skip -= k;
        }
        out
    }
}

/// The stream unit that large frames' writes are cut to: a page, the unit a pipe buffers in.
pub(crate) const PAGE: usize = 4096;

/// The most large frames queued at once: a batch's worth of 4 KiB frames.
const MAX_QUEUED: usize = 16;

/// How many high-water marks of large frames a stream gathers before writing: they are the
/// caller's payloads, not copies, and fewer, larger writes cost fewer system calls and reader
/// wakeups (64 KiB frames go out four to a write).
const GATHER: usize = 4;

/// The most slices one vectored write is given: each queued frame's header, payload, trailer
/// and the batch bytes before it, and the batch bytes after the last (Linux takes 1024).
const MAX_SLICES: usize = 4 * MAX_QUEUED + 1;

/// The batch buffer, the queued large frames, and the high-water mark.
#[derive(Debug)]
pub(crate) struct Outbox<E> {
    buf: WriteBuf<E>,
    queue: VecDeque<Queued>,
    /// Unwritten bytes of the queued frames.
    queued: usize,
    /// Queued frames whose payload is borrowed.
    lent: usize,
    high_water: usize,
    /// Set after a write error: the kind of that error.
    poisoned: Option<io::ErrorKind>,
    /// Bytes written since the outbox was made (only its remainder by [`PAGE`] matters).
    written: u64,
}

/// How far [`Outbox::poll_write_out`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// Until a frame may be pushed ([`Outbox::is_ready`]).
    Ready,
    /// Until nothing is buffered.
    Empty,
}

/// What [`Outbox::push_slice`] left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The frame is in the batch, and the outbox can take more: it [is
    /// ready](Outbox::is_ready).
    Buffered,
    /// The frame is in the batch, which (with the queue) has reached the high-water mark.
    Full,
    /// The frame is large and was not copied: it is queued, its payload borrowed. The caller
    /// passes it to [`Outbox::poll_write_out`] until it is written (see [`Outbox::lent`]).
    Large,
}

impl<E: FrameEncoder> Outbox<E> {
    /// An outbox that stops accepting frames once `high_water` bytes are buffered.
    pub(crate) fn new(encoder: E, high_water: usize) -> Self {
        Outbox {
            buf: WriteBuf::new(encoder, high_water),
            queue: VecDeque::new(),
            queued: 0,
            lent: 0,
            high_water,
            poisoned: None,
            written: 0,
        }
    }

    /// Encodes one owned frame; a large one is queued as the `Bytes` it is, never copied.
    /// Call only when [`is_ready`](Self::is_ready).
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) fn push(&mut self, payload: Bytes, mode: Mode) -> io::Result<()> {
        self.admit()?;
        if let Push::Direct(parts) = self.buf.push(&payload)? {
            self.enqueue(parts, payload.len(), Some(payload), mode);
        }
        Ok(())
    }

    /// Encodes one borrowed frame and says what is left to do: nothing, write (the outbox
    /// is full), or keep passing the payload (large, not copied) to
    /// [`poll_write_out`](Self::poll_write_out) until it is written.
    ///
    /// A small frame with nothing queued (a stream of small frames) takes a short inlined
    /// path; everything else a call of its own.
    #[inline]
    pub(crate) fn push_slice(&mut self, payload: &[u8], mode: Mode) -> io::Result<Pushed> {
        if payload.len() >= DIRECT_MIN || !self.queue.is_empty() || self.poisoned.is_some() {
            return self.push_slice_other(payload, mode);
        }
        // Nothing queued: readiness is the batch alone.
        self.buf.push_small(payload)?;
        let ready = self.buf.pending_len() < self.high_water;
        debug_assert_eq!(ready, self.is_ready());
        Ok(if ready {
            Pushed::Buffered
        } else {
            Pushed::Full
        })
    }

    /// [`push_slice`](Self::push_slice) for a large frame, with frames queued, or poisoned.
    #[inline(never)]
    fn push_slice_other(&mut self, payload: &[u8], mode: Mode) -> io::Result<Pushed> {
        self.admit()?;
        match self.buf.push(payload)? {
            Push::Buffered => Ok(if self.is_ready() {
                Pushed::Buffered
            } else {
                Pushed::Full
            }),
            Push::Direct(parts) => {
                self.enqueue(parts, payload.len(), None, mode);
                Ok(Pushed::Large)
            }
        }
    }

    /// Refuses a push while poisoned, while a [`Mode::Now`] frame is in flight, or with the
    /// queue full.
    #[inline]
    fn admit(&self) -> io::Result<()> {
        if self.poisoned.is_some() || self.now_in_flight() || self.queue.len() >= MAX_QUEUED {
            return Err(self.refusal());
        }
        Ok(())
    }

    fn enqueue(&mut self, parts: Parts, len: usize, payload: Option<Bytes>, mode: Mode) {
        self.lent += usize::from(payload.is_none());
        let q = Queued {
            at: self.buf.end(),
            parts,
            payload,
            len,
            sent: 0,
            mode,
        };
        self.queued += q.total();
        self.queue.push_back(q);
    }
}

impl<E> Outbox<E> {
    /// Keeps the borrowed payloads of queued frames whose caller is going away (a write
    /// future being dropped): each is copied, only now, so the frames can still be finished.
    /// `lent` holds the caller's borrowed payloads, as passed to
    /// [`poll_write_out`](Self::poll_write_out). A poisoned outbox will never write them: they
    /// leave the queue instead of being copied.
    pub(crate) fn own(&mut self, lent: &[&[u8]]) {
        if self.poisoned.is_some() {
            let mut dropped = 0;
            self.queue.retain(|q| {
                let keep = q.payload.is_some();
                if !keep {
                    dropped += q.left();
                }
                keep
            });
            self.queued -= dropped;
            self.lent = 0;
            return;
        }
        let mut lent = self.unwritten(lent).iter();
        for q in self.queue.iter_mut().filter(|q| q.payload.is_none()) {
            let Some(p) = lent.next() else { break };
            debug_assert_eq!(p.len(), q.len);
            q.payload = Some(Bytes::copy_from_slice(p));
            self.lent -= 1;
        }
    }

    /// How many queued frames still have a borrowed payload: the last `lent()` payloads the
    /// caller pushed with [`push_slice`](Self::push_slice) and not handed over with
    /// [`own`](Self::own). The others are written; the caller may forget them.
    pub(crate) fn lent(&self) -> usize {
        self.lent
    }

    /// The payloads of the queued borrowed frames: the last [`lent()`](Self::lent) of the
    /// caller's `lent`, which may still begin with payloads already written (a write loop
    /// writes frames, and the caller forgets them only after it returns).
    fn unwritten<'s, 'a>(&self, lent: &'s [&'a [u8]]) -> &'s [&'a [u8]] {
        &lent[lent.len().saturating_sub(self.lent)..]
    }

    fn now_in_flight(&self) -> bool {
        self.queue.back().is_some_and(|q| q.mode == Mode::Now)
    }

    /// Whether a frame may be pushed now without writing first: no [`Mode::Now`] frame in
    /// flight, room in the queue, and the buffered bytes empty, or the batch under the
    /// high-water mark and everything under [`GATHER`] marks.
    pub(crate) fn is_ready(&self) -> bool {
        let batched = self.buf.pending_len();
        let buffered = batched + self.queued;
        !self.now_in_flight()
            && self.queue.len() < MAX_QUEUED
            && (buffered == 0
                || (batched < self.high_water && buffered < self.high_water.saturating_mul(GATHER)))
    }

    /// The high-water mark in bytes.
    pub(crate) fn high_water(&self) -> usize {
        self.high_water
    }

    /// Bytes accepted and not yet written (the batch plus the rest of the queued frames).
    pub(crate) fn buffered(&self) -> usize {
        self.buf.pending_len() + self.queued
    }

    /// Whether an earlier write error made the outbox refuse everything.
    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    pub(crate) fn encoder(&self) -> &E {
        self.buf.encoder()
    }

    pub(crate) fn encoder_mut(&mut self) -> &mut E {
        self.buf.encoder_mut()
    }

    /// The batch buffer's allocation.
    #[cfg(test)]
    pub(crate) fn batch_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Why a frame cannot be pushed now: poisoned, or not ready.
    #[cold]
    fn refusal(&self) -> io::Error {
        match self.check() {
            Err(e) => e,
            Ok(()) => WriteError::NotReady.into(),
        }
    }

    fn check(&self) -> io::Result<()> {
        if let Some(cause) = self.poisoned {
            return Err(WriteError::Poisoned { cause }.into());
        }
        Ok(())
    }

    fn done(&self, until: Until) -> bool {
        match until {
            Until::Ready => self.is_ready(),
            Until::Empty => self.queue.is_empty() && self.buf.pending().is_empty(),
        }
    }

    /// Writes buffered bytes with `write` (one vectored write per call: the batch and every
    /// queued frame, in order) until `until` holds.
    ///
    /// `lent` holds the payloads of the queued frames pushed borrowed, in push order: the last
    /// [`lent()`](Self::lent) payloads the caller pushed with
    /// [`push_slice`](Self::push_slice). An I/O error (or a write of 0 bytes) poisons the
    /// outbox: part of a frame may be on the wire.
    ///
    /// **Page-aligned cuts.** When `until` is [`Until::Ready`] and the write ends in a
    /// [`Mode::Stream`] frame, or in batch bytes, it is cut at the last [`PAGE`] boundary of
    /// the stream: the rest (under a page; a frame's is copied into the batch) waits for the
    /// next frames or the flush. A pipe buffers whole pages, so writes that end on page
    /// boundaries fill the kernel's default 64 KiB pipe exactly, as raw 64 KiB writes do;
    /// without the cut a 65,540-byte frame overflows it and costs the reader an extra wakeup
    /// and a short read per frame. A [`Mode::Now`] frame is never cut: it is on the wire when
    /// the write that completes `until` returns.
    pub(crate) fn poll_write_out(
        &mut self,
        until: Until,
        lent: &[&[u8]],
        mut write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        while !self.done(until) {
            let (res, cut) = {
                let mut segs: [&[u8]; MAX_SLICES] = [&[]; MAX_SLICES];
                let Some(plan) = self.gather(self.unwritten(lent), &mut segs) else {
                    self.poisoned = Some(io::ErrorKind::Other);
                    return Poll::Ready(Err(WriteError::PayloadLost.into()));
                };
                let limit = match plan.cut {
                    Some(tail) if until == Until::Ready => plan.total - tail,
                    _ => plan.total,
                };
                let segs = cut_to(&mut segs[..plan.slices], limit);
                let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                for (s, seg) in slices.iter_mut().zip(segs.iter()) {
                    *s = IoSlice::new(seg);
                }
                let res = ready!(write(&slices[..segs.len()]));
                let cut = limit < plan.total && matches!(res, Ok(n) if n == limit);
                (res, cut)
            };
            match res {
                Ok(0) => {
                    self.poisoned = Some(io::ErrorKind::WriteZero);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the writer accepted 0 bytes of a frame",
                    )));
                }
                Ok(n) => {
                    self.written += n as u64;
                    self.advance(n, self.unwritten(lent), cut);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.poisoned = Some(e.kind());
                    return Poll::Ready(Err(e));
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Fills `slices` with everything unwritten, in wire order, as far as they go. `None`: a
    /// queued frame's borrowed payload is missing from `lent`.
    fn gather<'a>(
        &'a self,
        lent: &[&'a [u8]],
        segs: &mut [&'a [u8]; MAX_SLICES],
    ) -> Option<Gathered> {
        let mut n = 0;
        let mut total = 0;
        let mut push = |s: &'a [u8], n: &mut usize| {
            if !s.is_empty() {
                segs[*n] = s;
                *n += 1;
                total += s.len();
            }
        };
        let mut lent = lent.iter();
        let mut pos = self.buf.front();
        let mut whole = true;
        for (i, q) in self.queue.iter().enumerate() {
            if i == MAX_QUEUED || n + 4 > MAX_SLICES {
                whole = false;
                break;
            }
            push(self.buf.range(pos, q.at), &mut n);
            pos = q.at;
            let payload = match &q.payload {
                Some(p) => &p[..],
                None => lent.next()?,
            };
            for s in q.rest(payload) {
                push(s, &mut n);
            }
        }
        let trailing = if whole {
            let after = self.buf.range(pos, self.buf.end());
            push(after, &mut n);
            after.len()
        } else {
            0
        };
        // The cut: what would pass the last page boundary, if it lies in the trailing batch
        // bytes or in the payload and trailer of a last frame that is part of a stream, and
        // is under the high-water mark (so the outbox is ready after the cut write).
        let tail = ((self.written + total as u64) % PAGE as u64) as usize;
        let room = match self.queue.back() {
            _ if trailing > 0 => trailing,
            Some(q) if q.mode == Mode::Stream => q.left().min(q.len + q.parts.trailer().len()),
            _ => 0,
        };
        let cut = (whole && tail > 0 && tail < total && tail <= room && tail < self.high_water)
            .then_some(tail);
        Some(Gathered {
            slices: n,
            total,
            cut,
        })
    }

    /// Records `n` bytes written: batch bytes, then queued frames, in wire order. After a
    /// `cut` write that ended inside the last queued frame, the rest of that frame (under a
    /// page, and nothing queued or batched behind it) is copied into the batch and the frame
    /// leaves the queue.
    fn advance(&mut self, mut n: usize, lent: &[&[u8]], cut: bool) {
        let mut done_lent = 0;
        while n > 0 {
            let before = match self.queue.front() {
                Some(q) => (q.at - self.buf.front()) as usize,
                None => self.buf.pending_len(),
            };
            let k = before.min(n);
            self.buf.consume(k);
            n -= k;
            if n == 0 {
                break;
            }
            let q = self
                .queue
                .front_mut()
                .expect("a write took more bytes than it was given");
            let k = q.left().min(n);
            q.sent += k;
            self.queued -= k;
            n -= k;
            if q.left() == 0 {
                let q = self.queue.pop_front().expect("just seen");
                if q.payload.is_none() {
                    self.lent -= 1;
                    done_lent += 1;
                }
            }
        }
        if !cut {
            return;
        }
        if let Some(q) = self.queue.front()
            && q.sent > 0
        {
            debug_assert!(self.queue.len() == 1 && q.at == self.buf.end());
            let q = self.queue.pop_front().expect("just seen");
            let payload = match &q.payload {
                Some(p) => &p[..],
                None => {
                    self.lent -= 1;
                    lent[done_lent]
                }
            };
            let mut rest = Vec::with_capacity(q.left());
            for s in q.rest(payload) {
                rest.extend_from_slice(s);
            }
            self.queued -= rest.len();
            self.buf.extend_raw(&rest);
        }
    }
}

/// What [`Outbox::gather`] put together.
#[derive(Debug)]
struct Gathered {
    /// Slices filled.
    slices: usize,
    /// Their bytes.
    total: usize,
    /// Bytes to leave off the end for a page-aligned cut.
    cut: Option<usize>,
}

/// `segs` shortened to their first `limit` bytes.
fn cut_to<'s, 'a>(segs: &'s mut [&'a [u8]], limit: usize) -> &'s [&'a [u8]] {
    let mut left = limit;
    for i in 0..segs.len() {
        if segs[i].len() >= left {
            segs[i] = &segs[i][..left];
            return &segs[..=i];
        }
        left -= segs[i].len();
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::LengthPrefixed;

    /// Writes at most `max` bytes per call into `out`.
    fn writer(
        out: &mut Vec<u8>,
        max: usize,
    ) -> impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        move |slices| {
            let mut left = max;
            for s in slices {
                let k = left.min(s.len());
                out.extend_from_slice(&s[..k]);
                left -= k;
            }
            Poll::Ready(Ok(max - left))
        }
    }

    /// Records each write's length; accepts everything.
    fn recorder<'a>(
        out: &'a mut Vec<u8>,
        writes: &'a mut Vec<usize>,
    ) -> impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>> + 'a {
        move |slices| {
            let n: usize = slices.iter().map(|s| s.len()).sum();
            for s in slices {
                out.extend_from_slice(s);
            }
            writes.push(n);
            Poll::Ready(Ok(n))
        }
    }

    /// A write that takes only its first slice (a writer without a gathering
    /// `write_vectored`): one write loop then writes queued frames one after another, and each
    /// must go out with its own payload.
    #[test]
    fn queued_borrowed_frames_keep_their_payloads_across_one_write_loop() {
        let frames: Vec<Vec<u8>> = (1..=3u8).map(|i| vec![i; 8192]).collect();
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 1 << 20);
        let mut out = Vec::new();
        stream(&mut o, &frames, |slices: &[IoSlice<'_>]| {
            let first = slices
                .iter()
                .find(|s| !s.is_empty())
                .expect("bytes to write");
            out.extend_from_slice(first);
            Poll::Ready(Ok(first.len()))
        });
        assert_eq!(out, encoded(&frames));
    }

    /// After a write error nothing will be written: handing the borrowed payloads over copies
    /// none of them.
    #[test]
    fn a_poisoned_outbox_does_not_copy_borrowed_payloads() {
        let big = vec![9u8; 1 << 20];
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        assert_eq!(o.push_slice(&big, Mode::Stream).unwrap(), Pushed::Large);
        let res = o.poll_write_out(Until::Empty, &[&big], |_: &[IoSlice<'_>]| {
            Poll::Ready(Err(io::Error::from(io::ErrorKind::BrokenPipe)))
        });
        assert!(matches!(res, Poll::Ready(Err(ref e)) if e.kind() == io::ErrorKind::BrokenPipe));
        o.own(&[&big]);
        assert_eq!(o.lent(), 0);
        assert!(
            o.queue.is_empty(),
            "the frame that can never be written is dropped"
        );
        assert!(o.is_poisoned());
    }

    fn encoded(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut codec = LengthPrefixed::u32_be();
        let mut want = Vec::new();
        for f in frames {
            codec.encode_frame(f, &mut want).unwrap();
        }
        want
    }

    /// Pushes `frames` as a stream of borrowed payloads, writing with `write` whenever the
    /// outbox is not ready, then flushes: what the blocking `write_frames` does.
    fn stream<'a>(
        o: &mut Outbox<LengthPrefixed>,
        frames: &'a [Vec<u8>],
        mut write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
    ) {
        let mut lent: Vec<&'a [u8]> = Vec::new();
        for f in frames {
            if o.push_slice(f, Mode::Stream).unwrap() == Pushed::Large {
                lent.push(f);
            }
            if !o.is_ready() {
                assert!(o.poll_write_out(Until::Ready, &lent, &mut write).is_ready());
                lent.drain(..lent.len() - o.lent());
                assert!(o.is_ready());
            }
        }
        assert!(o.poll_write_out(Until::Empty, &lent, &mut write).is_ready());
        assert_eq!(o.lent(), 0);
        assert_eq!(o.buffered(), 0);
    }

    #[test]
    fn large_frame_goes_out_after_the_batch_in_pieces() {
        let mut o2 = Outbox::new(LengthPrefixed::u16_be(), 1 << 20);
        let big = Bytes::from(vec![7u8; 5000]);
        o2.push(Bytes::from_static(b"ab"), Mode::Now).unwrap();
        o2.push(big.clone(), Mode::Now).unwrap();
        assert!(!o2.is_ready());
        assert_eq!(o2.buffered(), 4 + 5002);
        let mut out = Vec::new();
        assert!(
            o2.poll_write_out(Until::Empty, &[], writer(&mut out, 3))
                .is_ready()
        );
        let mut want = b"\x00\x02ab\x13\x88".to_vec();
        want.extend_from_slice(&big);
        assert_eq!(out, want);
        assert_eq!(o2.buffered(), 0);
    }

    #[test]
    fn a_stream_of_large_frames_is_written_in_whole_pages() {
        let frames: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 65_536]).collect();
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        let (mut out, mut writes) = (Vec::new(), Vec::new());
        stream(&mut o, &frames, recorder(&mut out, &mut writes));
        assert_eq!(out, encoded(&frames), "the bytes are the frames, in order");
        // Four frames to a write, every write but the flush ending on a page boundary of the
        // stream.
        assert_eq!(writes[0], 4 * 65_536);
        let mut at = 0;
        for (i, w) in writes.iter().enumerate() {
            at += w;
            if i < writes.len() - 1 {
                assert_eq!(at % PAGE, 0, "write {i} ends at {at}");
            }
        }
        assert_eq!(
            writes.len(),
            frames.len() / GATHER + 1,
            "one write per four frames, plus the flush: {writes:?}"
        );
    }

    #[test]
    fn mid_size_frames_of_a_stream_are_gathered_into_writes_of_the_mark() {
        // 5000-byte frames (copied would be a memcpy each, written alone a syscall each):
        // thirteen of them reach the 64 KiB mark and go out in one write, from the caller's
        // buffers, small frames between them in order.
        let mut frames: Vec<Vec<u8>> = Vec::new();
        for i in 0..200u32 {
            frames.push(vec![i as u8; 5000]);
            if i % 7 == 0 {
                frames.push(vec![0xee; 10]);
            }
        }
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        let (mut out, mut writes) = (Vec::new(), Vec::new());
        stream(&mut o, &frames, recorder(&mut out, &mut writes));
        assert_eq!(out, encoded(&frames));
        let wire = out.len();
        assert!(
            writes.len() <= wire / (64 * 1024) + 2,
            "{} writes for {wire} bytes: {writes:?}",
            writes.len()
        );
        assert!(writes[..writes.len() - 1].iter().all(|&w| w >= 60 * 1024));
    }

    #[test]
    fn gathered_owned_frames_survive_partial_writes_and_pendings() {
        // Owned payloads (the `Sink`), any write size, `Pending` now and then: the stream
        // comes out whole and in order.
        for max in [1, 7, 999, 4096, 70_000] {
            let frames: Vec<Vec<u8>> = (0..60usize)
                .map(|i| vec![i as u8; [3, 4096, 9000, 20, 65_536, 4100][i % 6]])
                .collect();
            let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
            let mut out = Vec::new();
            {
                let mut calls = 0u32;
                let mut w = writer(&mut out, max);
                let mut write = |s: &[IoSlice<'_>]| {
                    calls += 1;
                    if calls.is_multiple_of(5) {
                        return Poll::Pending;
                    }
                    w(s)
                };
                for f in &frames {
                    while !o.is_ready() {
                        let _ = o.poll_write_out(Until::Ready, &[], &mut write);
                    }
                    o.push(Bytes::from(f.clone()), Mode::Stream).unwrap();
                }
                while o.poll_write_out(Until::Empty, &[], &mut write).is_pending() {}
            }
            assert_eq!(out, encoded(&frames), "writes of at most {max}");
        }
    }

    #[test]
    fn frames_pushed_one_by_one_are_never_cut() {
        // `write_frame` and `write_frame_bytes` promise a large frame is on the wire when
        // they return: a request written without a flush must reach the peer.
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        let (mut out, mut writes) = (Vec::new(), Vec::new());
        let small = vec![1u8; 10];
        let big = vec![2u8; 70_000];
        for _ in 0..3 {
            assert_eq!(o.push_slice(&small, Mode::Now).unwrap(), Pushed::Buffered);
            assert_eq!(o.push_slice(&big, Mode::Now).unwrap(), Pushed::Large);
            assert!(
                o.poll_write_out(Until::Ready, &[&big], recorder(&mut out, &mut writes))
                    .is_ready()
            );
            assert_eq!(o.buffered(), 0, "nothing held back");
            o.push(Bytes::from(big.clone()), Mode::Now).unwrap();
            assert!(
                o.poll_write_out(Until::Ready, &[], recorder(&mut out, &mut writes))
                    .is_ready()
            );
            assert_eq!(o.buffered(), 0, "nothing held back");
        }
        assert_eq!(writes, [14 + 70_004, 70_004].repeat(3));
        let frames: Vec<Vec<u8>> = (0..3)
            .flat_map(|_| [small.clone(), big.clone(), big.clone()])
            .collect();
        assert_eq!(out, encoded(&frames));
    }

    #[test]
    fn a_frame_pushed_now_is_not_ready_until_written() {
        // A single large frame does not wait for others, even under the mark.
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 1 << 20);
        assert_eq!(o.push_slice(&[5; 5000], Mode::Now).unwrap(), Pushed::Large);
        assert!(!o.is_ready());
        let e = o.push_slice(b"x", Mode::Now).unwrap_err();
        let inner = e.get_ref().and_then(|e| e.downcast_ref::<WriteError>());
        assert_eq!(inner, Some(&WriteError::NotReady), "{e}");
    }

    #[test]
    fn no_cut_when_the_rest_could_not_wait_under_the_mark() {
        // High-water 0 writes every frame as it comes: cutting would only add a write.
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 0);
        let (mut out, mut writes) = (Vec::new(), Vec::new());
        let big = vec![3u8; 5000];
        for _ in 0..4 {
            o.push(Bytes::from(big.clone()), Mode::Stream).unwrap();
            assert!(
                o.poll_write_out(Until::Ready, &[], recorder(&mut out, &mut writes))
                    .is_ready()
            );
        }
        assert_eq!(writes, [5004; 4]);
        assert_eq!(out, encoded(&vec![big; 4]));
    }

    #[test]
    fn a_cut_frame_survives_partial_writes() {
        // Writes of 1000 bytes at most: the cut is worked out again before each one, from the
        // bytes written so far; the outbox is ready once under its limits, even mid-frame (a
        // stream's next frames queue behind it), and the stream comes out whole and in order.
        let frames: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 9_000 + i as usize]).collect();
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 8 * 1024);
        let mut out = Vec::new();
        for f in &frames {
            o.push(Bytes::from(f.clone()), Mode::Stream).unwrap();
            assert!(
                o.poll_write_out(Until::Ready, &[], writer(&mut out, 1000))
                    .is_ready()
            );
            assert!(o.buffered() < GATHER * 8 * 1024);
        }
        assert!(
            o.poll_write_out(Until::Empty, &[], writer(&mut out, 1000))
                .is_ready()
        );
        assert_eq!(out, encoded(&frames));
    }

    #[test]
    fn borrowed_payload_is_owned_on_cancel() {
        let mut o = Outbox::new(LengthPrefixed::u16_be(), 1 << 20);
        let payload = vec![1u8; 4096];
        assert_eq!(o.push_slice(&payload, Mode::Now).unwrap(), Pushed::Large);
        let mut out = Vec::new();
        let mut calls = 0;
        let poll = o.poll_write_out(Until::Empty, &[&payload], |s| {
            calls += 1;
            if calls > 1 {
                return Poll::Pending;
            }
            writer(&mut out, 100)(s)
        });
        assert!(poll.is_pending());
        o.own(&[&payload]);
        drop(payload);
        assert!(
            o.poll_write_out(Until::Empty, &[], writer(&mut out, 1000))
                .is_ready()
        );
        assert_eq!(out.len(), 4098);
        assert_eq!(&out[..2], b"\x10\x00");
    }

    #[test]
    fn several_gathered_borrowed_payloads_are_owned_on_cancel() {
        // A stream's future dropped with frames gathered: every borrowed payload is copied,
        // and the next flush sends them all, in order.
        let frames: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 5000]).collect();
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        let mut lent: Vec<&[u8]> = Vec::new();
        let mut out = Vec::new();
        o.push_slice(b"hi", Mode::Stream).unwrap();
        for f in &frames[..3] {
            assert_eq!(o.push_slice(f, Mode::Stream).unwrap(), Pushed::Large);
            lent.push(f);
        }
        // A write that takes part of the first frame, then waits.
        let mut calls = 0;
        let poll = o.poll_write_out(Until::Empty, &lent, |s| {
            calls += 1;
            if calls > 1 {
                return Poll::Pending;
            }
            writer(&mut out, 3000)(s)
        });
        assert!(poll.is_pending());
        assert_eq!(o.lent(), 3);
        o.own(&lent);
        assert_eq!(o.lent(), 0);
        drop(lent);
        assert!(
            o.poll_write_out(Until::Empty, &[], writer(&mut out, 777))
                .is_ready()
        );
        let mut want = vec![b"hi".to_vec()];
        want.extend_from_slice(&frames[..3]);
        assert_eq!(out, encoded(&want));
    }

    #[test]
    fn a_missing_borrowed_payload_poisons_instead_of_writing_garbage() {
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        let big = vec![9u8; 5000];
        assert_eq!(o.push_slice(&big, Mode::Stream).unwrap(), Pushed::Large);
        let mut out = Vec::new();
        let poll = o.poll_write_out(Until::Empty, &[], writer(&mut out, 1 << 20));
        assert!(matches!(poll, Poll::Ready(Err(_))));
        assert!(o.is_poisoned());
        assert!(out.is_empty());
    }

    #[test]
    fn the_batch_buffer_starts_at_a_page_and_grows_to_the_mark() {
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        assert_eq!(o.batch_capacity(), 0, "nothing allocated before a frame");
        o.push_slice(b"hello", Mode::Now).unwrap();
        assert_eq!(o.batch_capacity(), 4096);
        let mut out = Vec::new();
        for _ in 0..10_000 {
            if o.push_slice(&[1; 100], Mode::Now).unwrap() == Pushed::Full {
                assert!(
                    o.poll_write_out(Until::Empty, &[], writer(&mut out, 1 << 20))
                        .is_ready()
                );
            }
        }
        let cap = o.batch_capacity();
        assert!((64 * 1024..=80 * 1024).contains(&cap), "{cap}");
    }
}
