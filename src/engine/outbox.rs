//! Write-side state for every writer: the batch buffer plus at most one large frame in flight,
//! written by whatever vectored write the flavour offers.
//!
//! An async writer may be interrupted between polls (a `Pending`, a partial write, a dropped
//! future). [`Outbox`] keeps everything needed to finish the frame later: the batch bytes
//! before it, its [`Parts`], the payload (as [`Bytes`], never copied into the batch) and how
//! much of header, payload and trailer is already written. The blocking writer uses the same
//! loop with a write that is always `Ready`, so it finishes a large frame inside one call.
//! No I/O happens here: the flavours pass a closure that performs one vectored write.

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

/// The batch buffer, one large frame in flight, and the high-water mark.
#[derive(Debug)]
pub(crate) struct Outbox<E> {
    buf: WriteBuf<E>,
    direct: Option<Direct>,
    high_water: usize,
    /// Set after a write error: the kind of that error.
    poisoned: Option<io::ErrorKind>,
}

/// How far [`Outbox::poll_write_out`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// Until a frame may be pushed: no large frame in flight and the batch under the mark.
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
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
        }
    }

    /// Encodes one owned frame. Call only when [`is_ready`](Self::is_ready).
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) fn push(&mut self, payload: Bytes) -> io::Result<()> {
        if self.poisoned.is_some() || self.direct.is_some() {
            return Err(self.refusal());
        }
        if let Push::Direct(parts) = self.buf.push(&payload)? {
            self.direct = Some(Direct {
                parts,
                len: payload.len(),
                payload: Some(payload),
                sent: 0,
            });
        }
        Ok(())
    }

    /// Encodes one borrowed frame. `Ok(true)`: the payload is large and was not copied; the
    /// caller must pass it to [`poll_write_out`](Self::poll_write_out) until that completes,
    /// or hand it over with [`own`](Self::own) if it gives up.
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) fn push_borrowed(&mut self, payload: &[u8]) -> io::Result<bool> {
        Ok(matches!(self.push_slice(payload)?, Pushed::Large))
    }

    /// Encodes one borrowed frame and says what is left to do: nothing, write the full batch,
    /// or write the large frame (whose payload, not copied, the caller passes to
    /// [`poll_write_out`](Self::poll_write_out)).
    #[inline]
    pub(crate) fn push_slice(&mut self, payload: &[u8]) -> io::Result<Pushed> {
        if self.poisoned.is_some() || self.direct.is_some() {
            return Err(self.refusal());
        }
        Ok(match self.buf.push(payload)? {
            Push::Buffered => Pushed::Buffered,
            Push::Full => Pushed::Full,
            Push::Direct(parts) => {
                self.direct = Some(Direct {
                    parts,
                    len: payload.len(),
                    payload: None,
                    sent: 0,
                });
                Pushed::Large
            }
        })
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
                let slices = [
                    IoSlice::new(self.buf.pending()),
                    IoSlice::new(rest[0]),
                    IoSlice::new(rest[1]),
                    IoSlice::new(rest[2]),
                ];
                ready!(write(&slices))
            };
            match res {
                Ok(0) => {
                    self.poisoned = Some(io::ErrorKind::WriteZero);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the writer accepted 0 bytes of a frame",
                    )));
                }
                Ok(n) => self.advance(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.poisoned = Some(e.kind());
                    return Poll::Ready(Err(e));
                }
            }
        }
        Poll::Ready(Ok(()))
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
        o2.push(Bytes::from_static(b"ab")).unwrap();
        o2.push(big.clone()).unwrap();
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
