//! Write-side state for every writer: the batch buffer plus at most one large frame in flight,
//! written by whatever vectored write the flavour offers.
//!
//! An async writer may be interrupted between polls (a `Pending`, a partial write, a dropped
//! future). [`Outbox`] keeps everything needed to finish the frame later: the batch bytes
//! before it, its [`Parts`], the payload (as [`Bytes`], not copied into the batch) and how
//! much of header, payload and trailer is already written. The blocking writer uses the same
//! loop with a write that is always `Ready`, so it finishes a large frame inside one call.
//! No I/O happens here: the flavours pass a closure that performs one vectored write.
//!
//! Frames pushed as part of a stream (see [`Outbox::poll_write_out`], "page-aligned cuts") may
//! leave the last under-a-page rest of a large frame in the batch, copied.

use std::io::{self, IoSlice};
use std::task::{Poll, ready};

use bytes::Bytes;

use crate::codec::{FrameEncoder, Parts, WriteError};

use super::{Push, WriteBuf};

/// A large frame accepted and not yet fully written. The batch bytes buffered when it was
/// accepted go out before it; nothing is pushed behind it until it is written.
#[derive(Debug)]
struct Direct {
    parts: Parts,
    /// `None` while the payload is borrowed by a write future (see [`Outbox::own`]).
    payload: Option<Bytes>,
    len: usize,
    /// Bytes of header + payload + trailer already written.
    sent: usize,
    /// Whether the frame was pushed as part of a stream (delivery waits for a flush anyway),
    /// so its write may end on a page boundary with the rest of its last page carried into
    /// the batch (see [`Outbox::poll_write_out`]).
    may_cut: bool,
}

impl Direct {
    fn total(&self) -> usize {
        self.parts.overhead() + self.len
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

/// The batch buffer, one large frame in flight, and the high-water mark.
#[derive(Debug)]
pub(crate) struct Outbox<E> {
    buf: WriteBuf<E>,
    direct: Option<Direct>,
    high_water: usize,
    /// Set after a write error: the kind of that error.
    poisoned: Option<io::ErrorKind>,
    /// Bytes written since the outbox was made (only its remainder by [`PAGE`] matters).
    written: u64,
}

/// How far [`Outbox::poll_write_out`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// Until a frame may be pushed: no large frame in flight and the batch under the mark.
    Ready,
    /// Until nothing is buffered.
    Empty,
}

impl<E: FrameEncoder> Outbox<E> {
    /// An outbox that stops accepting frames once `high_water` bytes are batched.
    pub(crate) fn new(encoder: E, high_water: usize) -> Self {
        Outbox {
            buf: WriteBuf::new(encoder, high_water),
            direct: None,
            high_water,
            poisoned: None,
            written: 0,
        }
    }

    /// Encodes one owned frame. Call only when [`is_ready`](Self::is_ready). `stream`: the
    /// caller's contract already defers delivery to a flush (a `Sink`), so a large frame may
    /// be cut at a page boundary.
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) fn push(&mut self, payload: Bytes, stream: bool) -> io::Result<()> {
        if self.poisoned.is_some() || self.direct.is_some() {
            return Err(self.refusal());
        }
        if let Push::Direct(parts) = self.buf.push(&payload)? {
            self.direct = Some(Direct {
                parts,
                len: payload.len(),
                payload: Some(payload),
                sent: 0,
                may_cut: stream,
            });
        }
        Ok(())
    }

    /// Encodes one borrowed frame. `Ok(true)`: the payload is large and was not copied; the
    /// caller must pass it to [`poll_write_out`](Self::poll_write_out) until that completes,
    /// or hand it over with [`own`](Self::own) if it gives up.
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) fn push_borrowed(&mut self, payload: &[u8]) -> io::Result<bool> {
        Ok(matches!(self.push_slice(payload, false)?, Pushed::Large))
    }

    /// Encodes one borrowed frame and says what is left to do: nothing, write the full batch,
    /// or write the large frame (whose payload, not copied, the caller passes to
    /// [`poll_write_out`](Self::poll_write_out)). `stream` as for [`push`](Self::push).
    #[inline]
    pub(crate) fn push_slice(&mut self, payload: &[u8], stream: bool) -> io::Result<Pushed> {
        if self.poisoned.is_some() || self.direct.is_some() {
            return Err(self.refusal());
        }
        let pushed = match self.buf.push(payload)? {
            Push::Buffered => Pushed::Buffered,
            Push::Full => Pushed::Full,
            Push::Direct(parts) => {
                self.direct = Some(Direct {
                    parts,
                    len: payload.len(),
                    payload: None,
                    sent: 0,
                    may_cut: stream,
                });
                Pushed::Large
            }
        };
        Ok(pushed)
    }
}

/// What [`Outbox::push_slice`] left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The frame is in the batch, which is under the high-water mark.
    Buffered,
    /// The frame is in the batch, which has reached the high-water mark.
    Full,
    /// The frame is large and was not copied: it is in flight.
    Large,
}

impl<E> Outbox<E> {
    /// Keeps a borrowed large payload whose write future is being dropped: it is copied (only
    /// now, on cancellation) so the frame can still be finished.
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) fn own(&mut self, payload: &[u8]) {
        if let Some(d) = &mut self.direct
            && d.payload.is_none()
            && d.sent < d.total()
        {
            debug_assert_eq!(payload.len(), d.len);
            d.payload = Some(Bytes::copy_from_slice(payload));
        }
    }

    /// Whether a frame may be pushed now without writing first: no large frame in flight,
    /// and the batch empty or under the high-water mark.
    pub(crate) fn is_ready(&self) -> bool {
        let batched = self.buf.pending().len();
        self.direct.is_none() && (batched == 0 || batched < self.high_water)
    }

    /// The high-water mark in bytes.
    pub(crate) fn high_water(&self) -> usize {
        self.high_water
    }

    /// Bytes accepted and not yet written (batch plus the rest of a large frame).
    pub(crate) fn buffered(&self) -> usize {
        self.buf.pending().len() + self.direct.as_ref().map_or(0, |d| d.total() - d.sent)
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

    /// Why a frame cannot be pushed now: poisoned, or a large frame still in flight.
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
            Until::Empty => self.direct.is_none() && self.buf.pending().is_empty(),
        }
    }

    /// Writes buffered bytes with `write` (one vectored write per call) until `until` holds.
    ///
    /// `borrowed` is the payload of a large frame pushed with
    /// [`push_borrowed`](Self::push_borrowed) and still in flight. An I/O error (or a write
    /// of 0 bytes) poisons the outbox: part of a frame may be on the wire.
    ///
    /// **Page-aligned cuts.** A large frame pushed as part of a stream (`stream`: a `Sink`
    /// item, or a frame of the blocking `write_frames`, whose delivery waits for a flush
    /// anyway) is written only up to the last [`PAGE`] boundary of the stream when `until` is
    /// [`Until::Ready`]; the rest of its last page (under 4 KiB, copied) waits in the batch for
    /// the next frame or the flush. A pipe buffers whole pages, so writes that end on page
    /// boundaries fill the kernel's default 64 KiB pipe exactly, as raw 64 KiB writes do;
    /// without the cut a 65,540-byte frame overflows it and costs the reader an extra wakeup
    /// and a short read per frame (BENCHMARKS.md, issue 14: framed/raw 0.88 -> 0.95 at 64 KiB
    /// on `pipe-64k`). Frames written one by one (`write_frame`, `write_frame_bytes`) are never
    /// cut: a large one is on the wire when its call returns, as documented, so a request
    /// written without a flush still reaches the peer.
    pub(crate) fn poll_write_out(
        &mut self,
        until: Until,
        borrowed: Option<&[u8]>,
        mut write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        while !self.done(until) {
            let res = {
                let rest = match &self.direct {
                    None => [&[][..]; 3],
                    Some(d) => match (d.payload.as_deref(), borrowed) {
                        (Some(p), _) | (None, Some(p)) => d.rest(p),
                        (None, None) => {
                            self.poisoned = Some(io::ErrorKind::Other);
                            return Poll::Ready(Err(WriteError::PayloadLost.into()));
                        }
                    },
                };
                let pending = self.buf.pending();
                let cut = match &self.direct {
                    Some(d) if d.may_cut && until == Until::Ready => {
                        self.page_cut(pending.len(), &rest)
                    }
                    _ => None,
                };
                let mut slices = [pending, rest[0], rest[1], rest[2]];
                if let Some(limit) = cut {
                    let mut left = limit;
                    for s in &mut slices {
                        let k = left.min(s.len());
                        *s = &s[..k];
                        left -= k;
                    }
                }
                let slices = slices.map(IoSlice::new);
                match ready!(write(&slices)) {
                    Ok(n) if Some(n) == cut => {
                        // Up to the boundary: the rest of the frame joins the batch.
                        let tail = tail_of(&rest, n - pending.len());
                        self.written += n as u64;
                        self.buf.consume(pending.len());
                        self.buf.extend_raw(&tail);
                        self.direct = None;
                        continue;
                    }
                    res => res,
                }
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
                    self.advance(n);
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

    /// Where to cut the next write (bytes from the start of the batch) so that it ends on a
    /// page boundary of the stream, leaving less than a page of the large frame's payload and
    /// trailer: `None` if the write ends on one already, if the cut would reach into the
    /// header, or if the rest would not stay under the high-water mark.
    fn page_cut(&self, batched: usize, rest: &[&[u8]; 3]) -> Option<usize> {
        let total = batched + rest.iter().map(|s| s.len()).sum::<usize>();
        let tail = ((self.written + total as u64) % PAGE as u64) as usize;
        let fits = tail < total && tail <= rest[1].len() + rest[2].len() && tail < self.high_water;
        (tail > 0 && fits).then(|| total - tail)
    }

    fn advance(&mut self, n: usize) {
        let from_batch = n.min(self.buf.pending().len());
        self.buf.consume(from_batch);
        let rest = n - from_batch;
        if rest > 0
            && let Some(d) = &mut self.direct
        {
            d.sent += rest;
            if d.sent >= d.total() {
                self.direct = None;
            }
        }
    }
}

/// The bytes of `rest` after its first `skip` bytes, copied.
fn tail_of(rest: &[&[u8]; 3], mut skip: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(PAGE);
    for s in rest {
        let k = skip.min(s.len());
        out.extend_from_slice(&s[k..]);
        skip -= k;
    }
    out
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

    #[test]
    fn large_frame_goes_out_after_the_batch_in_pieces() {
        let mut o2 = Outbox::new(LengthPrefixed::u16_be(), 1 << 20);
        let big = Bytes::from(vec![7u8; 5000]);
        o2.push(Bytes::from_static(b"ab"), false).unwrap();
        o2.push(big.clone(), false).unwrap();
        assert!(!o2.is_ready());
        assert_eq!(o2.buffered(), 4 + 5002);
        let mut out = Vec::new();
        assert!(
            o2.poll_write_out(Until::Empty, None, writer(&mut out, 3))
                .is_ready()
        );
        let mut want = b"\x00\x02ab\x13\x88".to_vec();
        want.extend_from_slice(&big);
        assert_eq!(out, want);
        assert_eq!(o2.buffered(), 0);
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

    fn encoded(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut codec = LengthPrefixed::u32_be();
        let mut want = Vec::new();
        for f in frames {
            codec.encode_frame(f, &mut want).unwrap();
        }
        want
    }

    #[test]
    fn a_stream_of_large_frames_is_written_in_whole_pages() {
        let frames: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 65_536]).collect();
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        let (mut out, mut writes) = (Vec::new(), Vec::new());
        for f in &frames {
            assert_eq!(o.push_slice(f, true).unwrap(), Pushed::Large);
            assert!(
                o.poll_write_out(Until::Ready, Some(f), recorder(&mut out, &mut writes))
                    .is_ready()
            );
            // The carried rest of the last page is under a page, and it is all that waits.
            assert!(o.buffered() < PAGE);
            assert!(o.is_ready());
        }
        assert!(
            o.poll_write_out(Until::Empty, None, recorder(&mut out, &mut writes))
                .is_ready()
        );
        assert_eq!(out, encoded(&frames), "the bytes are the frames, in order");
        // Every write but the flush ends on a page boundary of the stream.
        assert_eq!(writes[0], 65_536);
        let mut at = 0;
        for (i, w) in writes.iter().enumerate() {
            at += w;
            if i < writes.len() - 1 {
                assert_eq!(at % PAGE, 0, "write {i} ends at {at}");
            }
        }
        assert_eq!(
            writes.len(),
            frames.len() + 1,
            "one write a frame, plus the flush"
        );
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
            assert!(!o.push_borrowed(&small).unwrap());
            assert!(o.push_borrowed(&big).unwrap());
            assert!(
                o.poll_write_out(Until::Ready, Some(&big), recorder(&mut out, &mut writes))
                    .is_ready()
            );
            assert_eq!(o.buffered(), 0, "nothing held back");
            o.push(Bytes::from(big.clone()), false).unwrap();
            assert!(
                o.poll_write_out(Until::Ready, None, recorder(&mut out, &mut writes))
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
    fn no_cut_when_the_rest_could_not_wait_under_the_mark() {
        // High-water 0 writes every frame as it comes: cutting would only add a write.
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 0);
        let (mut out, mut writes) = (Vec::new(), Vec::new());
        let big = vec![3u8; 5000];
        for _ in 0..4 {
            o.push(Bytes::from(big.clone()), true).unwrap();
            assert!(
                o.poll_write_out(Until::Ready, None, recorder(&mut out, &mut writes))
                    .is_ready()
            );
        }
        assert_eq!(writes, [5004; 4]);
        assert_eq!(out, encoded(&vec![big; 4]));
    }

    #[test]
    fn a_cut_frame_survives_partial_writes() {
        // Writes of 1000 bytes at most: the cut is worked out again after each one, from the
        // bytes written so far, and the stream still comes out whole and in order.
        let frames: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 9_000 + i as usize]).collect();
        let mut o = Outbox::new(LengthPrefixed::u32_be(), 64 * 1024);
        let mut out = Vec::new();
        for f in &frames {
            o.push(Bytes::from(f.clone()), true).unwrap();
            assert!(
                o.poll_write_out(Until::Ready, None, writer(&mut out, 1000))
                    .is_ready()
            );
            assert!(out.len() % PAGE == 0 || o.buffered() == 0);
        }
        assert!(
            o.poll_write_out(Until::Empty, None, writer(&mut out, 1000))
                .is_ready()
        );
        assert_eq!(out, encoded(&frames));
    }

    #[test]
    fn borrowed_payload_is_owned_on_cancel() {
        let mut o = Outbox::new(LengthPrefixed::u16_be(), 1 << 20);
        let payload = vec![1u8; 4096];
        assert!(o.push_borrowed(&payload).unwrap());
        let mut out = Vec::new();
        let mut calls = 0;
        let poll = o.poll_write_out(Until::Empty, Some(&payload), |s| {
            calls += 1;
            if calls > 1 {
                return Poll::Pending;
            }
            writer(&mut out, 100)(s)
        });
        assert!(poll.is_pending());
        o.own(&payload);
        drop(payload);
        assert!(
            o.poll_write_out(Until::Empty, None, writer(&mut out, 1000))
                .is_ready()
        );
        assert_eq!(out.len(), 4098);
        assert_eq!(&out[..2], b"\x10\x00");
    }
}
