//! Read-side buffering: bytes from a source, frames out.

use std::io;
use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use crate::codec::{DecodeError, FrameDecoder, StreamFailed};
use crate::engine::outbox::PAGE;

/// Reads smaller than this are not worth a syscall: compact or grow first.
const MIN_READ: usize = 4 * 1024;

/// The first allocation: a page. A reader that only ever sees small frames now and then keeps
/// no more than this; a busy one doubles it (see [`ReadBuf::spare`]).
const FIRST_ALLOC: usize = 4 * 1024;

/// How far reads that keep filling the buffer may grow it, in multiples of the resting
/// capacity: 256 KiB by default, enough that a stream of frames of a few KiB to 64 KiB is read
/// in few system calls with few partial frames moved, small enough to stay in cache.
const BURST: usize = 4;

/// Quiet reads in a row (at most half the resting capacity read, the last frame before it at
/// most that long) after which a drained buffer larger than the capacity is given back: the
/// stream has gone quiet, or carries small frames again.
const QUIET: u8 = 4;

/// In buffers at least this large, a drained buffer rewinds to the byte [`PLACE_AT`] into a
/// page rather than to its first byte (the size from which glibc's `malloc` maps a block on
/// its own by default).
const PLACED_MIN: usize = 128 * 1024;

/// Where in its page the next read into a drained large buffer starts: the middle.
///
/// The kernel copies received bytes from page-aligned memory (a pipe's pages), and a copy whose
/// destination lies a few bytes past its source's offset in the page runs into false
/// store-to-load dependencies (4K aliasing). A block mapped on its own starts 16 bytes into
/// its page, about the worst place for large round trips over a pipe (BENCHMARKS.md,
/// "Where the read buffer lies").
const PLACE_AT: usize = 2048;

/// The read buffer and the decoder.
///
/// `buf.len()` is the initialized region (zeroed once, reused); `start..end` holds received
/// bytes not yet consumed. Borrowed frames only move `start`, so a buffer emptied by reading is
/// rewound for free and never zeroed again. Owned frames are split off the front
/// ([`BytesMut::split_to`]), without a copy.
///
/// # Size
///
/// The buffer is allocated at the first read, one page, and grows only with bytes received:
/// it doubles while reads fill all the room they are given (the source has more ready than
/// fits: a stream), up to [`BURST`] times the configured capacity, and it grows to hold a frame
/// larger than that (twice the unfinished frame, so it can complete in place), never to a
/// length a header claims. It goes back to the configured capacity once it is drained after
/// [`QUIET`] quiet reads in a row (at most half the capacity read, after a frame at most that
/// long): after a burst, or a large frame, a connection carrying small frames again holds no
/// more than the capacity, while a stream that keeps the buffer busy keeps it.
///
/// After a frame of at least [`BURST`] times the capacity, a read goes only as far as the next
/// frame would end if it were as long: a stream of large frames then fills the buffer one
/// frame at a time, each read ending on a frame boundary, so the buffer drains and rewinds
/// instead of moving the start of the next frame to the front (with 1 MiB frames that move
/// would copy up to a frame per frame).
///
/// A drained buffer of [`PLACED_MIN`] or more rewinds to [`PLACE_AT`] in its first page, so
/// the frames that follow start there wherever the allocator put the block (it gives up less
/// than a page of room for it, and copies nothing).
#[derive(Debug)]
pub(crate) struct ReadBuf<D> {
    decoder: D,
    buf: BytesMut,
    start: usize,
    end: usize,
    /// The resting size (the reader's configured capacity).
    capacity: usize,
    /// The size the buffer is kept at now: from [`FIRST_ALLOC`] up to `BURST * capacity`.
    size: usize,
    /// Quiet reads in a row (saturating; see [`QUIET`]).
    quiet: u8,
    /// The length (header included) of the last frame.
    last: usize,
    /// The room the last [`spare`](Self::spare) offered.
    offered: usize,
    eof: bool,
    /// Set after a fatal decode error: later calls answer with a `StreamFailed` holding it.
    failed: Option<DecodeError>,
    /// Bytes consumed since the start of the stream.
    position: u64,
}

impl<D: FrameDecoder> ReadBuf<D> {
    pub(crate) fn new(decoder: D, capacity: usize) -> Self {
        let capacity = capacity.max(MIN_READ);
        ReadBuf {
            decoder,
            buf: BytesMut::new(),
            start: 0,
            end: 0,
            capacity,
            size: FIRST_ALLOC.min(capacity),
            quiet: 0,
            last: 0,
            offered: 0,
            eof: false,
            failed: None,
            position: 0,
        }
    }

    pub(crate) fn decoder(&self) -> &D {
        &self.decoder
    }

    pub(crate) fn decoder_mut(&mut self) -> &mut D {
        &mut self.decoder
    }

    pub(crate) fn into_decoder(self) -> D {
        self.decoder
    }

    /// Bytes consumed from the stream so far (frames read, plus skipped bytes).
    pub(crate) fn position(&self) -> u64 {
        self.position
    }

    /// Received bytes not yet consumed.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn is_eof(&self) -> bool {
        self.eof
    }

    /// Extracts the next frame from the buffered bytes, without I/O.
    ///
    /// `Ok(Some(range))`: a frame, as a range of `self.buf` valid until the next call.
    /// `Ok(None)`: more bytes are needed, or (after [`set_eof`](Self::set_eof)) the stream
    /// ended cleanly. An error that is not recoverable fails the stream for good.
    pub(crate) fn next_frame(&mut self) -> io::Result<Option<Range<usize>>> {
        if let Some(e) = self.failed {
            return Err(StreamFailed::new(e).into());
        }
        loop {
            let data = &self.buf[self.start..self.end];
            let step = if self.eof {
                self.decoder.step_eof(data)
            } else {
                self.decoder.step(data)
            };
            // A buggy decoder's step must never move `start` past `end` or lend bytes outside
            // the consumed ones: check it before applying it (a fatal `BadStep`).
            let step = match step.and_then(|step| step.check(data.len()).map(|()| step)) {
                Ok(step) => step,
                Err(e) => return Err(self.fail(e)),
            };
            let base = self.start;
            self.start += step.consumed();
            self.position += step.consumed() as u64;
            if let Some(r) = step.frame_range() {
                self.last = step.consumed();
                return Ok(Some(base + r.start..base + r.end));
            }
            if step.consumed() == 0 {
                return Ok(None);
            }
        }
    }

    fn fail(&mut self, e: DecodeError) -> io::Error {
        if !e.is_recoverable() {
            self.failed = Some(e);
        }
        e.into()
    }

    /// A frame returned by [`next_frame`](Self::next_frame), borrowed.
    pub(crate) fn frame(&self, r: Range<usize>) -> &[u8] {
        &self.buf[r]
    }

    /// A frame returned by [`next_frame`](Self::next_frame), split off without a copy.
    pub(crate) fn take_frame(&mut self, r: Range<usize>) -> Bytes {
        // Everything before `start` is consumed; the frame ends at or before it.
        let mut head = self.buf.split_to(self.start);
        self.end -= self.start;
        self.start = 0;
        // Trimmed in place, then frozen: one reference count increment a frame (the split).
        // `freeze().slice(r)` took a second reference and dropping `head` gave it back, two
        // more atomic operations a frame for the same instruction count.
        head.advance(r.start);
        head.truncate(r.end - r.start);
        head.freeze()
    }

    /// Whether a fatal decode error ended the stream.
    pub(crate) fn has_failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Room for the next read: at least [`MIN_READ`] bytes after the buffered data, or, after
    /// a frame too large for a burst buffer, up to where the next frame ends if it is as long.
    ///
    /// When the tail runs short, the unfinished frame (`start..end`) either moves to the front
    /// (a copy of at most one partial frame) or the buffer grows, to [`goal`](Self::goal).
    /// A drained buffer larger than the capacity is given back first if the stream has gone
    /// quiet (see the type docs).
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            // Everything consumed: rewind for free, the initialized bytes stay initialized.
            if self.buf.len() > self.capacity && self.quiet >= QUIET {
                self.buf = BytesMut::new();
                self.size = self.size.min(self.capacity);
            }
            let home = self.home();
            self.start = home;
            self.end = home;
        }
        let room = self.buf.len() - self.end;
        if room < MIN_READ || self.buf.len() < self.size {
            let live = self.end - self.start;
            let goal = self.goal(live);
            if self.buf.len() >= goal && self.buf.len() - live >= MIN_READ {
                self.buf.copy_within(self.start..self.end, 0);
                self.start = 0;
                self.end = live;
            } else {
                self.grow(goal);
            }
        }
        let mut to = self.buf.len();
        if self.last >= self.capacity * BURST {
            // After a frame too large for a burst buffer, read up to where the next one ends
            // if it is as long (a stream of large frames is mostly of one size): the buffer
            // then ends on a frame boundary, drains and rewinds, and no partial frame is moved
            // (the read that ends a frame may be short: a short read costs less than a frame
            // moved). A wrong guess costs one more read.
            let next_end = self.start + self.last;
            if next_end > self.end && next_end < to {
                to = next_end;
            }
        }
        self.offered = to - self.end;
        &mut self.buf[self.end..to]
    }

    /// The buffer size worth having while `live` bytes of an unfinished frame are buffered:
    /// the current size, or twice the unfinished frame (so it can complete in place while
    /// moving a partial frame costs at most as much as the bytes read since). A larger
    /// multiple would save copies but put the buffer out of cache, and each read would then
    /// write to cold memory.
    fn goal(&self, live: usize) -> usize {
        self.size
            .max(live.saturating_mul(2).saturating_add(MIN_READ))
    }

    /// Where a drained buffer rewinds to: its first byte, or in a large one the byte at
    /// [`PLACE_AT`] in a page (see the type docs).
    fn home(&self) -> usize {
        if self.buf.len() < PLACED_MIN {
            return 0;
        }
        (PLACE_AT + PAGE - self.buf.as_ptr() as usize % PAGE) % PAGE
    }

    fn grow(&mut self, goal: usize) {
        if self.start > PAGE {
            // The consumed prefix need not move with the data.
            let _ = self.buf.split_to(self.start);
            self.end -= self.start;
            self.start = 0;
        }
        // `goal` counts from `start` (a prefix of at most a page is kept: see `home`).
        self.buf.truncate(self.end);
        self.buf.reserve(self.start + goal - self.end);
        let cap = self.buf.capacity();
        self.buf.resize(cap, 0);
    }

    /// Records `n` bytes read into [`spare`](Self::spare); `0` is the end of the stream.
    pub(crate) fn filled(&mut self, n: usize) {
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        debug_assert!(self.end <= self.buf.len());
        // A read that took all the room it had: the source has more ready, read more at once.
        if n == self.offered {
            self.size = (self.size * 2).min(self.capacity * BURST).max(self.size);
        }
        self.quiet = if n <= self.capacity / 2 && self.last <= self.capacity / 2 {
            self.quiet.saturating_add(1)
        } else {
            0
        };
    }
}

impl<D: FrameDecoder> ReadBuf<D> {
    /// The next frame, for every flavour: frames already buffered first, then reads with
    /// `read` (one read into [`spare`](Self::spare) per call; `Ok(0)` is the end of the
    /// stream) until a frame is complete. All state lives in `self`, so a `Pending` (or a
    /// dropped future) loses nothing. `Interrupted` is retried. The blocking flavour passes a
    /// `read` that is always `Ready`.
    pub(crate) fn poll_next_frame(
        &mut self,
        mut read: impl FnMut(&mut [u8]) -> std::task::Poll<io::Result<usize>>,
    ) -> std::task::Poll<io::Result<Option<Range<usize>>>> {
        use std::task::Poll;
        loop {
            if let Some(r) = self.next_frame()? {
                return Poll::Ready(Ok(Some(r)));
            }
            if self.is_eof() {
                return Poll::Ready(Ok(None));
            }
            match std::task::ready!(read(self.spare())) {
                Ok(n) => self.filled(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{FrameEncoder, LengthPrefixed};

    /// Reads from `wire` into the buffer, at most `max` bytes a read, and returns each frame's
    /// length with whether the buffer was drained when it was returned.
    fn frames(rb: &mut ReadBuf<LengthPrefixed>, wire: &[u8], max: usize) -> Vec<(usize, bool)> {
        let mut at = 0;
        let mut out = Vec::new();
        loop {
            if let Some(r) = rb.next_frame().unwrap() {
                out.push((r.len(), rb.buffered().is_empty()));
                continue;
            }
            if at == wire.len() {
                return out;
            }
            let spare = rb.spare();
            let n = spare.len().min(max).min(wire.len() - at);
            spare[..n].copy_from_slice(&wire[at..at + n]);
            at += n;
            rb.filled(n);
        }
    }

    #[test]
    fn a_stream_of_large_frames_is_read_one_frame_at_a_time() {
        let mut wire = Vec::new();
        let mut codec = LengthPrefixed::u32_le();
        for _ in 0..12 {
            codec.encode_frame(&vec![1u8; 300_000], &mut wire).unwrap();
        }
        let mut rb = ReadBuf::new(LengthPrefixed::u32_le(), 64 * 1024);
        let got = frames(&mut rb, &wire, 219_264);
        assert_eq!(got.len(), 12);
        assert!(got.iter().all(|&(len, _)| len == 300_000));
        // From the second frame on, every frame ends a read: nothing of the next is buffered,
        // so nothing is ever moved.
        assert!(got[1..].iter().all(|&(_, drained)| drained), "{got:?}");
    }

    #[test]
    fn drained_large_buffers_rewind_to_the_middle_of_a_page() {
        let mut wire = Vec::new();
        let mut codec = LengthPrefixed::u32_le();
        let lens = [100, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 70_000, 100];
        for len in lens {
            codec.encode_frame(&vec![7u8; len], &mut wire).unwrap();
        }
        let mut rb = ReadBuf::new(LengthPrefixed::u32_le(), 64 * 1024);
        let (mut at, mut got, mut placed) = (0, Vec::new(), 0);
        while got.len() < lens.len() {
            if let Some(r) = rb.next_frame().unwrap() {
                assert!(rb.frame(r.clone()).iter().all(|&b| b == 7));
                got.push(r.len());
                continue;
            }
            let _ = rb.spare();
            if rb.start == rb.end && rb.buf.len() >= PLACED_MIN {
                let offset = (rb.buf.as_ptr() as usize + rb.start) % PAGE;
                assert_eq!(offset, PLACE_AT, "buffer of {} bytes", rb.buf.len());
                placed += 1;
            }
            // Asked again, it offers the same room.
            let spare = rb.spare();
            let n = spare.len().min(100_000).min(wire.len() - at);
            spare[..n].copy_from_slice(&wire[at..at + n]);
            at += n;
            rb.filled(n);
        }
        assert_eq!(got, lens);
        // After a 1 MiB frame the reads end where a next one as long would, so the buffer
        // drains after the third, fourth and fifth frames.
        assert!(placed >= 3, "drained {placed} times while large");
    }

    #[test]
    fn the_buffer_grows_while_reads_fill_it_and_rests_after_small_reads() {
        let mut rb = ReadBuf::new(LengthPrefixed::u32_le(), 64 * 1024);
        let mut codec = LengthPrefixed::u32_le();
        let mut wire = Vec::new();
        for _ in 0..20_000 {
            codec.encode_frame(&[5u8; 60], &mut wire).unwrap();
        }
        // Reads that always fill the buffer: it doubles from a page to four capacities.
        assert_eq!(frames(&mut rb, &wire, usize::MAX).len(), 20_000);
        // (Rewound into its page before the last doubling, it keeps less than a page more.)
        assert!(
            (256 * 1024..256 * 1024 + PAGE).contains(&rb.buf.len()),
            "{}",
            rb.buf.len()
        );
        // Then a quiet stretch: small frames in small reads, and the buffer rests again.
        let mut quiet = Vec::new();
        for _ in 0..8 {
            codec.encode_frame(&[6u8; 60], &mut quiet).unwrap();
        }
        assert_eq!(frames(&mut rb, &quiet, 64).len(), 8);
        let _ = rb.spare();
        assert!(rb.buf.len() <= 64 * 1024, "{}", rb.buf.len());
    }
}
