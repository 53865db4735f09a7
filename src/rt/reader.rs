use std::fmt;
use std::future::poll_fn;
use std::io;
use std::marker::PhantomData;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use super::ReadIo;
use crate::codec::{FrameDecoder, check_utf8};
use crate::engine::{DEFAULT_BUF, ReadBuf};

/// Reads frames from an async reader, through the same engine as the blocking
/// [`FrameReader`](crate::sync::FrameReader). Name it by its runtime's alias:
/// `pipeframe::tokio::AsyncFrameReader<R, D>` (over tokio's `AsyncRead`: pipes,
/// `UnixStream`, `TcpStream`, split halves) or `pipeframe::futures_io::AsyncFrameReader<R, D>`
/// (over futures-io's `AsyncRead`: smol, `async_io::Async<T>`).
///
/// It is a [`Stream`] of `io::Result<Bytes>`, and has inherent async methods:
/// [`read_frame`](Self::read_frame) (owned, split off the read buffer without a copy),
/// [`read_frame_ref`](Self::read_frame_ref) (borrowed, no refcount per frame) and
/// [`read_str`](Self::read_str). Buffering and EOF rules are those of the blocking reader:
/// `None` at a clean end, [`io::ErrorKind::UnexpectedEof`] inside a frame, every call fails
/// after a fatal decode error (the stream then ends). The reader must be [`Unpin`] (pipes,
/// sockets, split halves and `Async<T>` are; box others with `Box::pin`).
///
/// # Cancellation safety
///
/// Every method is cancellation safe: the received bytes and the decoder state live in the
/// reader, not in the future. Dropping a `read_frame` future after it has read half a frame
/// loses nothing; the next call returns the whole frame.
pub struct AsyncFrameReader<R, D, Rt> {
    inner: R,
    engine: ReadBuf<D>,
    rt: PhantomData<fn() -> Rt>,
}

impl<R: fmt::Debug, D: fmt::Debug, Rt> fmt::Debug for AsyncFrameReader<R, D, Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFrameReader")
            .field("inner", &self.inner)
            .field("engine", &self.engine)
            .finish()
    }
}

impl<R: Unpin, D: FrameDecoder, Rt: ReadIo<R>> AsyncFrameReader<R, D, Rt> {
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
        AsyncFrameReader {
            inner,
            engine: ReadBuf::new(decoder, capacity),
            rt: PhantomData,
        }
    }

    fn poll_range(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Range<usize>>>> {
        let inner = &mut self.inner;
        self.engine
            .poll_next_frame(|buf| Rt::poll_read(Pin::new(&mut *inner), cx, buf))
    }

    /// Polls for the next frame, owned; `Ready(Ok(None))` at a clean end.
    pub fn poll_read_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Bytes>>> {
        self.poll_range(cx)
            .map_ok(|r| r.map(|r| self.engine.take_frame(r)))
    }

    /// The next frame, split off the read buffer without a copy; `Ok(None)` at a clean end.
    pub async fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        poll_fn(|cx| self.poll_read_frame(cx)).await
    }

    /// The next frame, borrowed from the read buffer until the next call; `Ok(None)` at a
    /// clean end.
    pub async fn read_frame_ref(&mut self) -> io::Result<Option<&[u8]>> {
        match poll_fn(|cx| self.poll_range(cx)).await? {
            Some(r) => Ok(Some(self.engine.frame(r))),
            None => Ok(None),
        }
    }

    /// The next frame as UTF-8 text, borrowed. Invalid UTF-8 is an
    /// [`io::ErrorKind::InvalidData`] error naming the byte offset; the frame is skipped and
    /// reading can go on.
    pub async fn read_str(&mut self) -> io::Result<Option<&str>> {
        match poll_fn(|cx| self.poll_range(cx)).await? {
            Some(r) => check_utf8(self.engine.frame(r))
                .map(Some)
                .map_err(Into::into),
            None => Ok(None),
        }
    }
}

impl<R, D: FrameDecoder, Rt> AsyncFrameReader<R, D, Rt> {
    crate::sync::reader_accessors!();
}

impl<R: Unpin, D: FrameDecoder + Unpin, Rt: ReadIo<R>> Stream for AsyncFrameReader<R, D, Rt> {
    type Item = io::Result<Bytes>;

    /// The next frame; `None` at a clean end. After a fatal error the stream ends.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.engine.has_failed() {
            return Poll::Ready(None);
        }
        this.poll_read_frame(cx).map(Result::transpose)
    }
}
