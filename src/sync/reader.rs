use std::io::{self, Read};

use bytes::Bytes;

use crate::codec::{FrameDecoder, check_utf8};
use crate::engine::{DEFAULT_BUF, ReadBuf};

/// The accessors of a frame reader with fields `inner: R` (the source) and
/// `engine: ReadBuf<D>`, blocking or async: position, buffered bytes, the reader, the decoder.
macro_rules! reader_accessors {
    () => {
        /// Bytes consumed from the source so far: the stream offset of the next frame. Useful to
        /// say where a malformed frame started.
        pub fn position(&self) -> u64 {
            self.engine.position()
        }

        /// Received bytes not yet returned as frames.
        pub fn buffered(&self) -> &[u8] {
            self.engine.buffered()
        }

        /// The underlying reader.
        pub fn get_ref(&self) -> &R {
            &self.inner
        }

        /// The underlying reader. Reading from it directly loses framing.
        pub fn get_mut(&mut self) -> &mut R {
            &mut self.inner
        }

        /// The decoder.
        pub fn decoder(&self) -> &D {
            self.engine.decoder()
        }

        /// The decoder, to change its configuration between frames.
        pub fn decoder_mut(&mut self) -> &mut D {
            self.engine.decoder_mut()
        }

        /// The reader and decoder; buffered bytes not yet returned as frames are dropped (see
        /// [`buffered`](Self::buffered)).
        pub fn into_parts(self) -> (R, D) {
            (self.inner, self.engine.into_decoder())
        }
    };
}
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) use reader_accessors;

/// Reads frames from a blocking [`Read`].
///
/// Reads are batched: one `read` call fills the buffer with as many frames as the source has
/// ready (its size: see [`with_capacity`](Self::with_capacity)). [`io::ErrorKind::Interrupted`] is retried; other errors are
/// returned as they are, with the buffered bytes kept (a `WouldBlock` from a non-blocking
/// source can be retried).
///
/// End of stream: `Ok(None)` when the source ends at a frame boundary;
/// [`io::ErrorKind::UnexpectedEof`] when it ends inside a frame.
///
/// # Errors
///
/// A decode error is an `io::Error` whose inner error is the
/// [`DecodeError`](crate::codec::DecodeError). After a fatal one (see
/// [`DecodeError::is_recoverable`](crate::codec::DecodeError::is_recoverable)) every later call
/// fails with the same kind, its inner error a [`StreamFailed`](crate::codec::StreamFailed)
/// holding that `DecodeError`; [`DecodeError::from_io`](crate::codec::DecodeError::from_io)
/// finds it either way.
#[derive(Debug)]
pub struct FrameReader<R, D> {
    inner: R,
    engine: ReadBuf<D>,
}

impl<R: Read, D: FrameDecoder> FrameReader<R, D> {
    /// A reader whose read buffer rests at 64 KiB (see [`with_capacity`](Self::with_capacity)).
    pub fn new(inner: R, decoder: D) -> Self {
        Self::with_capacity(DEFAULT_BUF, inner, decoder)
    }

    /// A reader whose read buffer rests at `capacity` bytes.
    ///
    /// The buffer is allocated at the first read, one page (or `capacity`, if smaller), and
    /// grows with the bytes received, never with a length a header claims: it doubles while
    /// reads fill it (up to four times `capacity`, so a busy stream is read in few system
    /// calls), and holds a frame larger than that (twice the unfinished frame, so it completes
    /// in place). Once it is drained after four small reads and four small frames in a row
    /// (small: at most half of `capacity`), a buffer larger than `capacity` is given back: after
    /// a large frame or a burst, a connection carrying small frames again holds at most
    /// `capacity`. An idle reader holds one page.
    pub fn with_capacity(capacity: usize, inner: R, decoder: D) -> Self {
        FrameReader {
            inner,
            engine: ReadBuf::new(decoder, capacity),
        }
    }

    /// The next frame, split off the read buffer without a copy; `Ok(None)` at a clean end.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.next_range()?.map(|r| self.engine.take_frame(r)))
    }

    /// The next frame, borrowed from the read buffer until the next call; `Ok(None)` at a
    /// clean end. Cheaper than [`read_frame`](Self::read_frame) when the frame is used in
    /// place.
    pub fn read_frame_ref(&mut self) -> io::Result<Option<&[u8]>> {
        match self.next_range()? {
            Some(r) => Ok(Some(self.engine.frame(r))),
            None => Ok(None),
        }
    }

    /// The next frame as UTF-8 text, borrowed. Invalid UTF-8 is an
    /// [`io::ErrorKind::InvalidData`] error naming the byte offset; the frame is skipped and
    /// reading can go on.
    pub fn read_str(&mut self) -> io::Result<Option<&str>> {
        let Some(r) = self.next_range()? else {
            return Ok(None);
        };
        // Invalid UTF-8 is recoverable: the frame is consumed, the stream goes on.
        check_utf8(self.engine.frame(r))
            .map(Some)
            .map_err(Into::into)
    }

    fn next_range(&mut self) -> io::Result<Option<std::ops::Range<usize>>> {
        // The same read loop as the async flavours, with reads that are always ready.
        let inner = &mut self.inner;
        match self
            .engine
            .poll_next_frame(|buf| std::task::Poll::Ready(inner.read(buf)))
        {
            std::task::Poll::Ready(res) => res,
            std::task::Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    reader_accessors!();
}

impl<R: Read, D: FrameDecoder> Iterator for FrameReader<R, D> {
    type Item = io::Result<Bytes>;

    /// The next frame; `None` at a clean end. After a fatal decode error the iterator ends;
    /// I/O errors are yielded as they come (like [`std::io::BufRead::lines`]), so stop at the
    /// first error unless it is one you can retry.
    fn next(&mut self) -> Option<Self::Item> {
        if self.engine.has_failed() {
            return None;
        }
        self.read_frame().transpose()
    }
}
