//! Frames with descriptors on an async runtime, written once over the runtime seam
//! ([`crate::rt`]): the codec reader and writer of [`crate::rt`] over a socket source and
//! sink that pass descriptors. `fds::tokio::FdStream` and `fds::futures_io::FdStream` name it.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;

use super::frame::FdFrame;
use super::{DEFAULT_MAX_FDS, FdError, inbox::Inbox};
use crate::codec::{FrameDecoder, FrameEncoder};
use crate::rt::{AsyncFrameReader, AsyncFrameWriter, Reactor, ReadIo, WriteIo};
use crate::sys::unix::{fds, socket};

/// The reading side: `recvmsg` with room for descriptors, each read's kept in the inbox.
pub struct FdSource<Rt: Reactor> {
    io: Arc<Rt::Io<UnixStream>>,
    inbox: Inbox,
}

/// The writing side: plain sends, after the rest of a frame with descriptors whose first
/// bytes (and descriptors) went out already.
pub struct FdSink<Rt: Reactor> {
    io: Arc<Rt::Io<UnixStream>>,
    /// The unsent rest of a frame with descriptors, and how much of it is sent.
    pending: Vec<u8>,
    at: usize,
}

impl<Rt: Reactor> fmt::Debug for FdSource<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FdSource")
            .field("inbox", &self.inbox)
            .finish()
    }
}

impl<Rt: Reactor> fmt::Debug for FdSink<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FdSink")
            .field("pending", &(self.pending.len() - self.at))
            .finish()
    }
}

impl<Rt: Reactor> FdSource<Rt> {
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let r = ready!(Rt::poll_read_with(&self.io, cx, |s| {
            fds::recv_with_fds(s.as_fd(), &mut *buf, false)
        }))?;
        let n = r.len;
        self.inbox.received(r);
        Poll::Ready(Ok(n))
    }
}

impl<Rt: Reactor> FdSink<Rt> {
    /// Sends the rest of a frame with descriptors, if one is unfinished.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.at < self.pending.len() {
            let rest = &self.pending[self.at..];
            match ready!(Rt::poll_write_with(
                &self.io,
                cx,
                |s| socket::send_nosignal(s, rest)
            ))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => self.at += n,
            }
        }
        self.pending.clear();
        self.at = 0;
        Poll::Ready(Ok(()))
    }

    fn poll_send(&mut self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        ready!(self.poll_drain(cx))?;
        Rt::poll_write_with(&self.io, cx, |s| socket::send_vectored_nosignal(s, bufs))
    }

    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Poll::Ready(Rt::get_ref(&self.io).shutdown(Shutdown::Write))
    }
}

#[cfg(feature = "tokio")]
mod tokio_io {
    use super::*;
    use ::tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    impl<Rt: Reactor> AsyncRead for FdSource<Rt> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let n = ready!(self.get_mut().poll_recv(cx, buf.initialize_unfilled()))?;
            buf.advance(n);
            Poll::Ready(Ok(()))
        }
    }

    impl<Rt: Reactor> AsyncWrite for FdSink<Rt> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_send(cx, &[IoSlice::new(buf)])
        }
        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_send(cx, bufs)
        }
        fn is_write_vectored(&self) -> bool {
            true
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_drain(cx)
        }
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_end(cx)
        }
    }
}

#[cfg(feature = "futures-io")]
mod futures_io_impls {
    use super::*;
    use ::futures_io::{AsyncRead, AsyncWrite};

    impl<Rt: Reactor> AsyncRead for FdSource<Rt> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_recv(cx, buf)
        }
    }

    impl<Rt: Reactor> AsyncWrite for FdSink<Rt> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_send(cx, &[IoSlice::new(buf)])
        }
        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().poll_send(cx, bufs)
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_drain(cx)
        }
        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_end(cx)
        }
    }
}

/// Frames with descriptors both ways over a Unix stream socket on runtime `Rt`: the async
/// [`FdStream`](super::FdStream). Use the aliases `fds::tokio::FdStream` and
/// `fds::futures_io::FdStream`.
///
/// # Cancellation safety
///
/// [`read_frame_with_fds`](Self::read_frame_with_fds) is cancellation safe: bytes and
/// descriptors received stay in the stream for the next call. A dropped
/// [`write_frame_with_fds`](Self::write_frame_with_fds) has sent nothing of its frame, or
/// sent its first bytes with the descriptors, in which case the rest goes out before any
/// later frame. [`write_frame`](Self::write_frame) is as cancellation safe as
/// [`rt::AsyncFrameWriter::write_frame`](crate::rt::AsyncFrameWriter::write_frame).
pub struct AsyncFdStream<Rt: Reactor, C> {
    reader: AsyncFrameReader<FdSource<Rt>, C, Rt>,
    writer: AsyncFrameWriter<FdSink<Rt>, C, Rt>,
    failed: bool,
}

impl<Rt: Reactor, C: fmt::Debug> fmt::Debug for AsyncFdStream<Rt, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdStream")
            .field("runtime", &Rt::NAME)
            .field("reader", &self.reader)
            .field("writer", &self.writer)
            .finish()
    }
}

impl<Rt, C> AsyncFdStream<Rt, C>
where
    Rt: Reactor + ReadIo<FdSource<Rt>> + WriteIo<FdSink<Rt>>,
    C: FrameDecoder + FrameEncoder + Clone,
{
    /// Registers a connected std stream with the runtime (it is made non-blocking; on tokio
    /// call this inside a runtime).
    pub fn from_std(stream: UnixStream, codec: C) -> io::Result<Self> {
        Rt::check_context()?;
        socket::no_sigpipe(&stream)?;
        Ok(Self::from_registered(Rt::register(stream)?, codec))
    }

    /// A connected pair (`socketpair`).
    pub fn pair(codec: C) -> io::Result<(Self, Self)> {
        let (a, b) = UnixStream::pair()?;
        Ok((Self::from_std(a, codec.clone())?, Self::from_std(b, codec)?))
    }

    pub(crate) fn from_registered(io: Rt::Io<UnixStream>, codec: C) -> Self {
        let io = Arc::new(io);
        let source = FdSource {
            io: Arc::clone(&io),
            inbox: Inbox::new(DEFAULT_MAX_FDS),
        };
        let sink = FdSink {
            io,
            pending: Vec::new(),
            at: 0,
        };
        AsyncFdStream {
            reader: AsyncFrameReader::new(source, codec.clone()),
            writer: AsyncFrameWriter::new(sink, codec),
            failed: false,
        }
    }

    /// At most `max` descriptors with one received frame (default 32).
    pub fn with_max_fds(mut self, max: usize) -> Self {
        self.reader.get_mut().inbox.set_max(max);
        self
    }

    /// The most descriptors one received frame may bring.
    pub fn max_fds(&self) -> usize {
        self.reader.get_ref().inbox.max()
    }

    /// The next frame and the descriptors that came with it; `Ok(None)` at a clean end.
    /// The errors are those of the blocking [`FdReader`](super::FdReader).
    pub async fn read_frame_with_fds(&mut self) -> io::Result<Option<(Bytes, Vec<OwnedFd>)>> {
        if self.failed {
            return Err(FdError::Stopped.into());
        }
        let res = self.reader.read_frame().await;
        let end = self.reader.position();
        self.reader
            .get_mut()
            .inbox
            .settle(&mut self.failed, res, end)
    }

    /// The next frame; descriptors that came with it are closed.
    pub async fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.read_frame_with_fds().await?.map(|(frame, _)| frame))
    }

    /// Queues one frame without descriptors (see
    /// [`rt::AsyncFrameWriter::write_frame`](crate::rt::AsyncFrameWriter::write_frame)).
    pub async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.writer.write_frame(payload).await
    }

    /// Writes one frame with `fds` attached, as the blocking
    /// [`FdWriter::write_frame_with_fds`](super::FdWriter::write_frame_with_fds) does.
    pub async fn write_frame_with_fds(
        &mut self,
        payload: &[u8],
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<()> {
        if fds.is_empty() {
            return self.write_frame(payload).await;
        }
        let frame = FdFrame::new(self.writer.encoder_mut(), payload, fds, None)?;
        self.writer.flush().await?;
        let sink = self.writer.get_mut();
        let sent = poll_fn(|cx| {
            Rt::poll_write_with(&sink.io, cx, |s| {
                fds::send_with_fds(s.as_fd(), &frame.rest(0), fds)
            })
        })
        .await?;
        sink.pending = frame.rest_vec(sent);
        sink.at = 0;
        poll_fn(|cx| sink.poll_drain(cx)).await
    }

    /// Writes the queued frames.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.writer.flush().await
    }

    /// Flushes, then shuts the socket down for writing: the peer reads the end of the stream
    /// and can still answer.
    pub async fn close(&mut self) -> io::Result<()> {
        self.writer.close().await
    }
}
