//! Read-side buffering: bytes from a source, frames out.

use std::io;
use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use crate::codec::{DecodeError, FrameDecoder, StreamFailed};

/// Reads smaller than this are not worth a syscall: compact or grow first.
const MIN_READ: usize = 4 * 1024;

/// The read buffer and the decoder.
///
/// `buf.len()` is the initialized region (zeroed once, reused); `start..end` holds received
/// bytes not yet consumed. Borrowed frames only move `start`, so a buffer emptied by reading is
/// rewound for free and never zeroed again. Owned frames are split off the front
/// ([`BytesMut::split_to`]), without a copy. The buffer grows only when it is full of received
/// bytes of one unfinished frame: memory follows bytes received, never a length a header claims.
#[derive(Debug)]
pub(crate) struct ReadBuf<D> {
    decoder: D,
    buf: BytesMut,
    start: usize,
    end: usize,
    capacity: usize,
    eof: bool,
    /// Set after a fatal decode error: later calls answer with a `StreamFailed` holding it.
    failed: Option<DecodeError>,
    /// Bytes consumed since the start of the stream.
    position: u64,
}

impl<D: FrameDecoder> ReadBuf<D> {
    pub(crate) fn new(decoder: D, capacity: usize) -> Self {
        ReadBuf {
            decoder,
            buf: BytesMut::new(),
            start: 0,
            end: 0,
            capacity: capacity.max(MIN_READ),
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

    /// Room for the next read: at least [`MIN_READ`] bytes after the buffered data.
    ///
    /// When the tail runs short, the unfinished frame (`start..end`) either moves to the front
    /// (a copy of at most one partial frame) or the buffer grows. The buffer is allowed to
    /// reach [`goal`](Self::goal): room for the unfinished frame to complete in place, small
    /// enough to stay in cache and that memory follows the frames actually received.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            // Everything consumed: rewind for free, the initialized bytes stay initialized.
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < MIN_READ {
            let live = self.end - self.start;
            if self.buf.len() >= self.goal(live) && self.buf.len() - live >= MIN_READ {
                self.buf.copy_within(self.start..self.end, 0);
                self.start = 0;
                self.end = live;
            } else {
                self.grow(self.goal(live));
            }
        }
        &mut self.buf[self.end..]
    }

    /// The buffer size worth having while `live` bytes of an unfinished frame are buffered:
    /// the configured capacity, or twice the unfinished frame (so it can complete in place).
    ///
    /// Growing further (sixteen times the frame, up to 4 MiB, so that moving a partial frame
    /// costs at most 1/16 of the bytes read) was measured and dropped: with 64 KiB frames the
    /// buffer reached 1 MiB, past the L2 cache, and each read from a 1 MiB pipe then wrote to
    /// cold memory. On a quiet machine (BENCHMARKS.md, issue 14) framed/raw at 64 KiB went from
    /// 0.76 to 0.96 (blocking), 0.86 to 1.00 (tokio) and 0.70 to 0.96 (smol); the copies it
    /// saved cost less than the cache misses it caused.
    fn goal(&self, live: usize) -> usize {
        self.capacity
            .max(live.saturating_mul(2).saturating_add(MIN_READ))
    }

    fn grow(&mut self, goal: usize) {
        if self.start > 0 {
            // The consumed prefix need not move with the data.
            let _ = self.buf.split_to(self.start);
            self.end -= self.start;
            self.start = 0;
        }
        self.buf.truncate(self.end);
        self.buf.reserve(goal - self.end);
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
