use std::io::{self, IoSlice, Write};

use crate::codec::FrameEncoder;
use crate::engine::{DEFAULT_BUF, Push, WriteBuf};

/// Writes frames to a blocking [`Write`].
///
/// Frames with payloads under 4 KiB are copied into a batch buffer, written out when it
/// reaches the batch threshold (64 KiB by default) or on [`flush`](Self::flush). Larger
/// payloads are never copied: the batch, the header, the payload and the trailer go out
/// together in one vectored write (`writev`).
///
/// # Dropping
///
/// Dropping a `FrameWriter` flushes the batch buffer, as [`std::io::BufWriter`] does, but an
/// error during that flush cannot be reported. Call [`finish`](Self::finish) (or
/// [`flush`](Self::flush)) to know the frames were written.
///
/// # Errors
///
/// A payload the codec refuses is an [`io::ErrorKind::InvalidInput`] error and nothing is
/// written. After an I/O error while writing, part of a frame may have been written; the
/// writer refuses further frames, since the peer's view of the stream is unknown.
#[derive(Debug)]
pub struct FrameWriter<W: Write, E> {
    inner: Option<W>,
    engine: WriteBuf<E>,
    poisoned: bool,
}

impl<W: Write, E: FrameEncoder> FrameWriter<W, E> {
    /// A writer with a 64 KiB batch threshold.
    pub fn new(inner: W, encoder: E) -> Self {
        Self::with_batch(DEFAULT_BUF, inner, encoder)
    }

    /// A writer that writes out its batch once it holds `batch` bytes. `0` writes every frame
    /// as it comes (one write per frame).
    pub fn with_batch(batch: usize, inner: W, encoder: E) -> Self {
        FrameWriter {
            inner: Some(inner),
            engine: WriteBuf::new(encoder, batch),
            poisoned: false,
        }
    }

    #[inline]
    fn check(&self) -> io::Result<()> {
        if self.poisoned {
            return Err(io::Error::other(
                "frame writer unusable after an earlier write error",
            ));
        }
        Ok(())
    }

    /// Queues one frame; it is written once the batch fills, or at once if the payload is
    /// large. Call [`flush`](Self::flush) to send queued frames now.
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.check()?;
        match self.engine.push(payload)? {
            Push::Buffered => Ok(()),
            Push::Full => self.write_batch(),
            Push::Direct(parts) => {
                let batch = self.engine.pending();
                let mut slices = [
                    IoSlice::new(batch),
                    IoSlice::new(parts.header()),
                    IoSlice::new(payload),
                    IoSlice::new(parts.trailer()),
                ];
                let inner = self.inner.as_mut().expect("present until finish");
                let res = write_all_vectored(inner, &mut slices);
                self.engine.consume(usize::MAX);
                self.poison_on_err(res)
            }
        }
    }

    /// Writes every frame in `payloads`, batching them, then flushes.
    pub fn write_frames<'a, I>(&mut self, payloads: I) -> io::Result<()>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        for p in payloads {
            self.write_frame(p)?;
        }
        self.flush()
    }

    fn write_batch(&mut self) -> io::Result<()> {
        let inner = self.inner.as_mut().expect("present until finish");
        let res = inner.write_all(self.engine.pending());
        self.engine.consume(usize::MAX);
        self.poison_on_err(res)
    }

    fn poison_on_err(&mut self, res: io::Result<()>) -> io::Result<()> {
        if res.is_err() {
            self.poisoned = true;
        }
        res
    }

    /// Writes queued frames and flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        if !self.engine.pending().is_empty() {
            self.write_batch()?;
        }
        self.inner.as_mut().expect("present until finish").flush()
    }

    /// Flushes and returns the underlying writer (drop it to close a pipe).
    pub fn finish(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.inner.take().expect("present until finish"))
    }

    /// Bytes queued and not yet written.
    pub fn buffered(&self) -> usize {
        self.engine.pending().len()
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
        self.engine.encoder()
    }

    /// The encoder, to change its configuration between frames.
    pub fn encoder_mut(&mut self) -> &mut E {
        self.engine.encoder_mut()
    }
}

impl<W: Write, E> Drop for FrameWriter<W, E> {
    fn drop(&mut self) {
        if let (Some(inner), false) = (self.inner.as_mut(), self.poisoned) {
            // Best effort, like BufWriter: `finish` reports errors.
            let _ = inner.write_all(self.engine.pending());
            let _ = inner.flush();
        }
    }
}

/// `write_all` for a list of slices, with `writev` where the writer supports it.
pub(crate) fn write_all_vectored<W: Write + ?Sized>(
    w: &mut W,
    mut slices: &mut [IoSlice<'_>],
) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match w.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
