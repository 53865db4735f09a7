use std::io::{self, Write};
use std::task::Poll;

use crate::codec::FrameEncoder;
use crate::engine::{DEFAULT_BUF, Mode, Outbox, Pushed, Until};

/// Writes frames to a blocking [`Write`], through the same write engine as the async writers
/// (one write loop, one poisoning rule).
///
/// Frames with payloads under 4 KiB are copied into a batch buffer, written out when it
/// reaches the high-water mark (64 KiB by default, [`with_high_water`](Self::with_high_water))
/// or on [`flush`](Self::flush). Larger payloads are not copied: the batch, the header, the
/// payload and the trailer go out together in one vectored write (`writev`) before
/// [`write_frame`](Self::write_frame) returns.
///
/// [`write_frames`](Self::write_frames) writes a stream of frames and flushes at its end. Its
/// large frames are not copied either, nor written one by one: they wait beside the batch
/// until they hold four times the high-water mark (or the batch the mark), then the batch and
/// every waiting frame go out in one vectored write. Such a write may end on a 4 KiB page
/// boundary of the stream, the rest of its last frame's last page (under 4 KiB, copied) going
/// out with the next write or the final flush. Frames written one system call each cost the writer a call and the reader a wakeup
/// per frame, more than raw writes of the same frames; gathered, they cost one per 256 KiB
/// (with the default mark). Writes that end on page boundaries fill a pipe's page-sized
/// buffers exactly.
///
/// # Dropping
///
/// Dropping a `FrameWriter` flushes the batch buffer, as [`std::io::BufWriter`] does, but an
/// error during that flush cannot be reported. Call [`finish`](Self::finish) (or
/// [`flush`](Self::flush)) to know the frames were written.
///
/// # Errors
///
/// A payload the codec refuses is an [`io::ErrorKind::InvalidInput`] error (its inner error
/// the [`EncodeError`](crate::codec::EncodeError)) and nothing is written. After an I/O error
/// while writing (returned as it came), part of a frame may have been written; the writer
/// refuses every later call with [`WriteError::Poisoned`](crate::codec::WriteError::Poisoned),
/// an [`io::ErrorKind::Other`] naming the first error's kind, since the peer's view of the
/// stream is unknown.
#[derive(Debug)]
pub struct FrameWriter<W: Write, E> {
    inner: Option<W>,
    outbox: Outbox<E>,
}

impl<W: Write, E: FrameEncoder> FrameWriter<W, E> {
    /// A writer with a 64 KiB high-water mark.
    pub fn new(inner: W, encoder: E) -> Self {
        Self::with_high_water(DEFAULT_BUF, inner, encoder)
    }

    /// A writer that writes out its batch once it holds `high_water` bytes, the same
    /// threshold as the async writers' high-water mark. `0` writes every frame as it comes
    /// (one write per frame).
    pub fn with_high_water(high_water: usize, inner: W, encoder: E) -> Self {
        FrameWriter {
            inner: Some(inner),
            outbox: Outbox::new(encoder, high_water),
        }
    }

    /// Queues one frame; it is written once the batch fills, or at once if the payload is
    /// large (before this call returns: the payload is never copied). Call
    /// [`flush`](Self::flush) to send queued frames now.
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match self.outbox.push_slice(payload, Mode::Now)? {
            Pushed::Buffered => Ok(()),
            // The whole batch goes out now, as `write_all` would.
            Pushed::Full => self.write_out(&[]),
            // The batch, then the large frame beside it: the borrowed payload is written
            // before we return, never copied.
            Pushed::Large => self.write_out(&[payload]),
        }
    }

    /// Writes every frame in `payloads`, then flushes. Small frames are batched, large ones
    /// gathered beside the batch into vectored writes of up to four high-water marks, which
    /// may end on page boundaries (see the type docs): use this, rather than a loop of
    /// [`write_frame`](Self::write_frame), for a stream of frames.
    ///
    /// A payload the codec refuses ends the call with its error; the frames before it are
    /// queued (large ones copied, since their borrow ends with this call) and `flush` sends
    /// them.
    pub fn write_frames<'a, I>(&mut self, payloads: I) -> io::Result<()>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        // The borrowed payloads of the large frames queued and not yet written, in order.
        let mut lent: Vec<&'a [u8]> = Vec::new();
        let res = self.stream(payloads, &mut lent);
        if res.is_err() {
            self.outbox.own(&lent);
        }
        res
    }

    fn stream<'a, I>(&mut self, payloads: I, lent: &mut Vec<&'a [u8]>) -> io::Result<()>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let inner = self.inner.as_mut().expect("present until finish");
        for p in payloads {
            // A frame the batch took leaves the outbox ready (`Buffered` says so): only one
            // that filled it, or was queued, can call for a write.
            match self.outbox.push_slice(p, Mode::Stream)? {
                Pushed::Buffered => continue,
                Pushed::Large => lent.push(p),
                Pushed::Full => {}
            }
            if !self.outbox.is_ready() {
                blocking_write_out(&mut self.outbox, inner, Until::Ready, lent)?;
                lent.drain(..lent.len() - self.outbox.lent());
            }
        }
        blocking_write_out(&mut self.outbox, inner, Until::Empty, lent)?;
        lent.clear();
        inner.flush()
    }

    /// Writes everything buffered with blocking vectored writes: the engine's write loop
    /// (partial writes, `Interrupted`, poisoning) with a write that is always ready.
    fn write_out(&mut self, lent: &[&[u8]]) -> io::Result<()> {
        let inner = self.inner.as_mut().expect("present until finish");
        blocking_write_out(&mut self.outbox, inner, Until::Empty, lent)
    }

    /// Writes queued frames and flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_out(&[])?;
        self.inner.as_mut().expect("present until finish").flush()
    }

    /// Writes queued frames, flushes, and returns the underlying writer. `finish` consumes the
    /// `FrameWriter`; the pipe (or socket, or file) stays open as long as the returned writer
    /// lives, and closes when it is dropped: `drop(w.finish()?)` flushes and closes, and
    /// `let pipe = w.finish()?;` keeps the pipe for more writes of your own.
    ///
    /// ```
    /// use pipeframe::codec::LengthPrefixed;
    /// use pipeframe::sync::FrameWriter;
    ///
    /// let (rx, tx) = std::io::pipe()?;
    /// let mut w = FrameWriter::new(tx, LengthPrefixed::u32_le());
    /// w.write_frame(b"last")?;
    /// drop(w.finish()?); // flushed, then the write end is closed: the reader sees the end
    /// # drop(rx);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn finish(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.inner.take().expect("present until finish"))
    }

    /// Bytes queued and not yet written.
    pub fn buffered(&self) -> usize {
        self.outbox.buffered()
    }

    /// The high-water mark in bytes (see [`with_high_water`](Self::with_high_water)).
    pub fn high_water(&self) -> usize {
        self.outbox.high_water()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        self.inner.as_ref().expect("present until finish")
    }

    /// The underlying writer. Writing to it directly, with frames queued, corrupts the stream.
    pub fn get_mut(&mut self) -> &mut W {
        self.inner.as_mut().expect("present until finish")
    }

    /// The encoder.
    pub fn encoder(&self) -> &E {
        self.outbox.encoder()
    }

    /// The encoder, to change its configuration between frames.
    pub fn encoder_mut(&mut self) -> &mut E {
        self.outbox.encoder_mut()
    }
}

impl<W: Write, E> Drop for FrameWriter<W, E> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.as_mut()
            && !self.outbox.is_poisoned()
        {
            // Best effort, like BufWriter: `finish` reports errors.
            let _ = blocking_write_out(&mut self.outbox, inner, Until::Empty, &[]);
            let _ = inner.flush();
        }
    }
}

/// [`Outbox::poll_write_out`] until `until` holds, with blocking `write_vectored` calls.
fn blocking_write_out<E, W: Write>(
    outbox: &mut Outbox<E>,
    inner: &mut W,
    until: Until,
    lent: &[&[u8]],
) -> io::Result<()> {
    match outbox.poll_write_out(until, lent, |slices| {
        Poll::Ready(inner.write_vectored(slices))
    }) {
        Poll::Ready(res) => res,
        // The closure above never returns `Pending`.
        Poll::Pending => unreachable!("a blocking write is always ready"),
    }
}
