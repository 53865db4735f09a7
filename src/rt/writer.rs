use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_sink::Sink;

use super::WriteIo;
use crate::codec::FrameEncoder;
use crate::engine::{DEFAULT_BUF, Mode, Outbox, Pushed, Until};

/// Writes frames to an async writer, through the same engine as the blocking
/// [`FrameWriter`](crate::sync::FrameWriter). Name it by its runtime's alias:
/// `pipeframe::tokio::AsyncFrameWriter<W, E>` or `pipeframe::futures_io::AsyncFrameWriter<W, E>`.
///
/// It is a [`Sink`] of [`Bytes`], and has inherent async methods
/// [`write_frame`](Self::write_frame) (borrowed payload),
/// [`write_frame_bytes`](Self::write_frame_bytes) (owned, never copied),
/// [`write_frames`](Self::write_frames) (a stream of borrowed payloads, flushed at its end),
/// [`flush`](Self::flush) and [`close`](Self::close). Batching is that of the blocking writer:
/// payloads under 4 KiB are copied into a batch buffer; larger payloads are not copied, they
/// go out beside the batch and their header in vectored writes (`write_frame` returns once
/// its large frame is written; `write_frame_bytes` keeps the `Bytes` and writes it whole on
/// the next call or flush).
///
/// A stream of frames (`write_frames`, or items sent through the [`Sink`], delivered on
/// `poll_flush` as the trait says) gathers its large frames too: they wait beside the batch
/// until they hold four times the high-water mark (or the batch the mark), then everything
/// goes out in one vectored write, which may end on a 4 KiB page boundary (the rest of the
/// last frame's last page, under 4 KiB, is copied into the batch), as the blocking writer's
/// `write_frames` does. Large frames then cost one system call per 256 KiB (with the default
/// mark) instead of one each. The writer must be
/// [`Unpin`].
///
/// # Backpressure
///
/// The writer accepts frames without writing until the batch holds the high-water mark (64 KiB
/// by default, [`with_high_water`](Self::with_high_water)), the batch and a stream's gathered
/// frames hold four marks, sixteen large frames are gathered, or a large frame of
/// `write_frame` or `write_frame_bytes` is in flight. Then [`poll_ready`](Sink::poll_ready)
/// (and the write methods) write, and stay `Pending` until the writer is under those limits
/// again. With a peer that never reads, the copies the writer holds stay below the mark plus
/// one frame; the large frames it keeps are the caller's `Bytes` (or borrowed payloads), at
/// most four marks plus one frame of them.
///
/// # Cancellation safety
///
/// No drop ever leaves part of a frame on the wire with the rest forgotten:
///
/// * A `write_frame`/`write_frame_bytes` future dropped while waiting for room has not queued
///   its frame: nothing of it is written.
/// * Once a frame is accepted it is kept until written: dropping the future afterwards (even
///   in the middle of a large frame's vectored write) leaves it in the writer, and the next
///   `flush` sends the rest. A large borrowed payload is copied at that moment, only then.
/// * A dropped `write_frames` future leaves the frames it accepted in the writer (their large
///   borrowed payloads copied then) for the next `flush`; the payloads its iterator had not
///   yielded are not written.
/// * `flush`/`close` futures can be dropped and called again; they resume where they were.
///
/// Dropping the writer itself drops what is not yet written (async writes cannot happen in
/// `Drop`), which can be the rest of a large frame: one whose write was interrupted, or a
/// frame of a stream cut at a page boundary. Call [`close`](Self::close) or
/// [`flush`](Self::flush) first.
pub struct AsyncFrameWriter<W, E, Rt> {
    inner: W,
    outbox: Outbox<E>,
    rt: PhantomData<fn() -> Rt>,
}

impl<W: fmt::Debug, E: fmt::Debug, Rt> fmt::Debug for AsyncFrameWriter<W, E, Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFrameWriter")
            .field("inner", &self.inner)
            .field("outbox", &self.outbox)
            .finish()
    }
}

impl<W: Unpin, E: FrameEncoder, Rt: WriteIo<W>> AsyncFrameWriter<W, E, Rt> {
    /// A writer with a 64 KiB high-water mark.
    pub fn new(inner: W, encoder: E) -> Self {
        Self::with_high_water(DEFAULT_BUF, inner, encoder)
    }

    /// A writer that stops accepting frames once `high_water` bytes are batched (`0`: every
    /// frame is written before the next is accepted).
    pub fn with_high_water(high_water: usize, inner: W, encoder: E) -> Self {
        AsyncFrameWriter {
            inner,
            outbox: Outbox::new(encoder, high_water),
            rt: PhantomData,
        }
    }

    fn poll_out(
        &mut self,
        cx: &mut Context<'_>,
        until: Until,
        lent: &[&[u8]],
    ) -> Poll<io::Result<()>> {
        let inner = &mut self.inner;
        self.outbox.poll_write_out(until, lent, |slices| {
            Rt::poll_write_vectored(Pin::new(&mut *inner), cx, slices)
        })
    }

    /// Queues one frame, waiting for room first (see Backpressure in the type docs). Call
    /// [`flush`](Self::flush) to send queued frames now. A payload the codec refuses is an
    /// [`io::ErrorKind::InvalidInput`] error and nothing is queued.
    pub fn write_frame<'a>(&'a mut self, payload: &'a [u8]) -> WriteFrameFuture<'a, W, E, Rt> {
        WriteFrameFuture {
            writer: self,
            payload,
            sending: false,
            done: false,
        }
    }

    /// Queues one owned frame, waiting for room first; a large payload is kept as is, never
    /// copied.
    pub async fn write_frame_bytes(&mut self, payload: Bytes) -> io::Result<()> {
        poll_fn(|cx| self.poll_out(cx, Until::Ready, &[])).await?;
        self.outbox.push(payload, Mode::Now)
    }

    /// Writes every frame in `payloads`, then flushes: small frames batched, large ones
    /// gathered beside the batch into vectored writes of up to four high-water marks (see the
    /// type docs). Use it, rather than a loop of [`write_frame`](Self::write_frame), for a
    /// stream of frames. A payload the codec refuses ends the future with its error; the
    /// frames accepted before it stay queued for the next flush.
    pub fn write_frames<'a, I>(
        &'a mut self,
        payloads: I,
    ) -> WriteFramesFuture<'a, W, E, Rt, I::IntoIter>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        WriteFramesFuture {
            writer: self,
            payloads: payloads.into_iter().fuse(),
            lent: Vec::new(),
            done: false,
        }
    }

    /// Writes every queued frame and flushes the underlying writer.
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_frames(cx)).await
    }

    /// Flushes, then ends the stream for the peer: closes a pipe's write end, half-closes a
    /// socket (tokio's `poll_shutdown`, futures-io's `poll_close`).
    pub async fn close(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_close_frames(cx)).await
    }

    fn poll_flush_frames(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_out(cx, Until::Empty, &[]))?;
        Rt::poll_flush(Pin::new(&mut self.inner), cx)
    }

    fn poll_close_frames(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_flush_frames(cx))?;
        Rt::poll_close(Pin::new(&mut self.inner), cx)
    }
}

impl<W, E, Rt> AsyncFrameWriter<W, E, Rt> {
    /// Bytes accepted and not yet written.
    pub fn buffered(&self) -> usize {
        self.outbox.buffered()
    }

    /// The high-water mark in bytes.
    pub fn high_water(&self) -> usize {
        self.outbox.high_water()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer. Writing to it directly, with frames queued, corrupts the stream.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The encoder.
    pub fn encoder(&self) -> &E {
        self.outbox.encoder()
    }

    /// The encoder, to change its configuration between frames.
    pub fn encoder_mut(&mut self) -> &mut E {
        self.outbox.encoder_mut()
    }

    /// The underlying writer; frames not yet written are dropped (see
    /// [`buffered`](Self::buffered)).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// The future of [`AsyncFrameWriter::write_frame`]. See the writer's cancellation safety.
/// Polled again after it returned `Ready`, it is an error and queues nothing more.
#[must_use = "futures do nothing unless polled"]
pub struct WriteFrameFuture<'a, W, E, Rt> {
    writer: &'a mut AsyncFrameWriter<W, E, Rt>,
    payload: &'a [u8],
    /// The frame is accepted and large: it is being written from the borrowed payload.
    sending: bool,
    /// The future has returned `Ready`: polling again must not queue the frame again.
    done: bool,
}

impl<W: fmt::Debug, E: fmt::Debug, Rt> fmt::Debug for WriteFrameFuture<'_, W, E, Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteFrameFuture")
            .field("writer", &self.writer)
            .field("len", &self.payload.len())
            .field("sending", &self.sending)
            .field("done", &self.done)
            .finish()
    }
}

impl<W: Unpin, E: FrameEncoder, Rt: WriteIo<W>> Future for WriteFrameFuture<'_, W, E, Rt> {
    type Output = io::Result<()>;

    /// Polled again after it returned `Ready`, it returns an error (naming the misuse) and
    /// queues nothing: the frame was queued once, by the first completion.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(Err(io::Error::other(
                "WriteFrameFuture polled after completion: its frame was already queued once",
            )));
        }
        let res = ready!(this.poll_frame(cx));
        this.done = true;
        Poll::Ready(res)
    }
}

impl<W: Unpin, E: FrameEncoder, Rt: WriteIo<W>> WriteFrameFuture<'_, W, E, Rt> {
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.sending {
            ready!(self.writer.poll_out(cx, Until::Ready, &[]))?;
            if self.writer.outbox.push_slice(self.payload, Mode::Now)? != Pushed::Large {
                return Poll::Ready(Ok(()));
            }
            self.sending = true;
        }
        let res = ready!(self.writer.poll_out(cx, Until::Ready, &[self.payload]));
        self.sending = false;
        Poll::Ready(res)
    }
}

impl<W, E, Rt> Drop for WriteFrameFuture<'_, W, E, Rt> {
    fn drop(&mut self) {
        if self.sending {
            self.writer.outbox.own(&[self.payload]);
        }
    }
}

/// The future of [`AsyncFrameWriter::write_frames`]. See the writer's cancellation safety.
/// Polled again after it returned `Ready`, it is an error and writes nothing more.
#[must_use = "futures do nothing unless polled"]
pub struct WriteFramesFuture<'a, W, E, Rt, I> {
    writer: &'a mut AsyncFrameWriter<W, E, Rt>,
    payloads: std::iter::Fuse<I>,
    /// The borrowed payloads of the large frames queued and not yet written, in order.
    lent: Vec<&'a [u8]>,
    done: bool,
}

impl<W: fmt::Debug, E: fmt::Debug, Rt, I> fmt::Debug for WriteFramesFuture<'_, W, E, Rt, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteFramesFuture")
            .field("writer", &self.writer)
            .field("lent", &self.lent.len())
            .field("done", &self.done)
            .finish()
    }
}

impl<'a, W, E, Rt, I> Future for WriteFramesFuture<'a, W, E, Rt, I>
where
    W: Unpin,
    E: FrameEncoder,
    Rt: WriteIo<W>,
    I: Iterator<Item = &'a [u8]> + Unpin,
{
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(Err(io::Error::other(
                "WriteFramesFuture polled after completion: its frames were already written",
            )));
        }
        let res = ready!(this.poll_frames(cx));
        this.done = true;
        Poll::Ready(res)
    }
}

impl<'a, W, E, Rt, I> WriteFramesFuture<'a, W, E, Rt, I>
where
    W: Unpin,
    E: FrameEncoder,
    Rt: WriteIo<W>,
    I: Iterator<Item = &'a [u8]>,
{
    fn poll_frames(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if !self.writer.outbox.is_ready() {
                ready!(self.write_out(cx, Until::Ready))?;
            }
            // A frame the batch took leaves the outbox ready (`Buffered` says so): only one
            // that filled it, or was queued, sends the loop back to the readiness check.
            loop {
                let Some(p) = self.payloads.next() else {
                    ready!(self.write_out(cx, Until::Empty))?;
                    return Rt::poll_flush(Pin::new(&mut self.writer.inner), cx);
                };
                match self.writer.outbox.push_slice(p, Mode::Stream)? {
                    Pushed::Buffered => {}
                    Pushed::Full => break,
                    Pushed::Large => {
                        self.lent.push(p);
                        break;
                    }
                }
            }
        }
    }

    /// Writes until `until`, then forgets the borrowed payloads written.
    fn write_out(&mut self, cx: &mut Context<'_>, until: Until) -> Poll<io::Result<()>> {
        let res = self.writer.poll_out(cx, until, &self.lent);
        let written = self.lent.len() - self.writer.outbox.lent();
        self.lent.drain(..written);
        res
    }
}

impl<W, E, Rt, I> Drop for WriteFramesFuture<'_, W, E, Rt, I> {
    fn drop(&mut self) {
        if !self.lent.is_empty() {
            self.writer.outbox.own(&self.lent);
        }
    }
}

impl<W: Unpin, E: FrameEncoder + Unpin, Rt: WriteIo<W>> Sink<Bytes> for AsyncFrameWriter<W, E, Rt> {
    type Error = io::Error;

    /// Writes while the high-water mark is passed or a large frame is in flight.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_out(cx, Until::Ready, &[])
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> io::Result<()> {
        // A `Sink` delivers on flush: a large item may wait for others, and be cut at a page
        // boundary.
        self.get_mut().outbox.push(item, Mode::Stream)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_frames(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_close_frames(cx)
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use crate::codec::LengthPrefixed;
    use crate::tokio::AsyncFrameWriter;

    /// Polls `write_frame`'s future to completion, then once more: the frame must be on the
    /// wire once, and the extra poll an error naming the misuse.
    fn poll_twice(payload: &[u8]) {
        let mut w = AsyncFrameWriter::new(Vec::new(), LengthPrefixed::u32_le());
        let mut cx = Context::from_waker(Waker::noop());
        {
            let mut fut = pin!(w.write_frame(payload));
            assert!(matches!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
            match fut.as_mut().poll(&mut cx) {
                Poll::Ready(Err(e)) => {
                    assert!(e.to_string().contains("polled after"), "{e}");
                }
                other => panic!("second poll: {other:?}, not an error"),
            }
        }
        {
            let mut flush = pin!(w.flush());
            assert!(matches!(flush.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
        }
        let mut want = (payload.len() as u32).to_le_bytes().to_vec();
        want.extend_from_slice(payload);
        assert_eq!(w.get_ref(), &want, "the frame went out more than once");
    }

    #[test]
    fn small_frame_future_polled_after_completion_is_an_error_not_a_second_frame() {
        poll_twice(b"hello");
    }

    #[test]
    fn large_frame_future_polled_after_completion_is_an_error_not_a_second_frame() {
        poll_twice(&vec![7u8; 100_000]);
    }
}
