//! The async message-mode types, written once over the runtime seam ([`crate::rt`]).
//! `message::tokio` and `message::futures_io` name them with aliases.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;

use super::sys;
use crate::rt::{Direction, Reactor};

/// A listening seqpacket socket on an async runtime; see [`super::SeqpacketListener`]. Use
/// the aliases `message::tokio::SeqpacketListener` / `message::futures_io::SeqpacketListener`.
pub struct AsyncSeqpacketListener<Rt: Reactor> {
    io: Rt::Io<OwnedFd>,
}

impl<Rt: Reactor> AsyncSeqpacketListener<Rt> {
    /// Binds to a filesystem path (it must not exist) and listens.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::from_std(super::SeqpacketListener::bind(path)?)
    }

    /// Binds to a Linux abstract name (without the leading NUL) and listens.
    pub fn bind_abstract(name: impl AsRef<[u8]>) -> io::Result<Self> {
        Self::from_std(super::SeqpacketListener::bind_abstract(name)?)
    }

    /// Registers a blocking listener with the runtime (it is set non-blocking).
    pub fn from_std(listener: super::SeqpacketListener) -> io::Result<Self> {
        Ok(AsyncSeqpacketListener {
            io: Rt::register(OwnedFd::from(listener))?,
        })
    }

    /// Waits for a connection. Cancellation safe: a connection accepted by the kernel but
    /// not yet returned stays queued.
    pub async fn accept(&self) -> io::Result<AsyncSeqpacketStream<Rt>> {
        // `shared_io`, not `poll_read_with`: several tasks may await `accept` on one listener.
        let fd = Rt::shared_io(&self.io, Direction::Read, |l| sys::accept(l.as_fd())).await?;
        AsyncSeqpacketStream::from_std(super::SeqpacketStream::try_from(fd)?)
    }
}

/// One end of a seqpacket connection on an async runtime: a [`Stream`] of whole messages and
/// a [`Sink`] of messages. Sizes, empty messages and end of stream behave as for the blocking
/// [`super::SeqpacketStream`]. Use the aliases `message::tokio::SeqpacketStream` /
/// `message::futures_io::SeqpacketStream`.
pub struct AsyncSeqpacketStream<Rt: Reactor> {
    io: Rt::Io<OwnedFd>,
    max: usize,
    eof: bool,
    rbuf: sys::RecvBuf,
    slot: Option<Bytes>,
    max_fds: usize,
}

impl<Rt: Reactor> AsyncSeqpacketStream<Rt> {
    /// Two connected ends (`socketpair`).
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = super::SeqpacketStream::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    /// Connects to a listener bound to a filesystem path, without blocking the executor:
    /// the socket is non-blocking from the start. While the listener's backlog is full
    /// (where a blocking connect would block), it retries on the runtime's timer, every 1 ms
    /// at first and at most every 50 ms, until a place frees up; wrap it in a timeout to
    /// bound that. Cancellation safe: dropping the future closes the half-made socket.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::connect_to(sys::Name::Path(path.as_ref())).await
    }

    /// Connects to a listener bound to a Linux abstract name; waits as
    /// [`connect`](Self::connect) does.
    pub async fn connect_abstract(name: impl AsRef<[u8]>) -> io::Result<Self> {
        Self::connect_to(sys::Name::Abstract(name.as_ref())).await
    }

    async fn connect_to(name: sys::Name<'_>) -> io::Result<Self> {
        let io = Rt::register(sys::connecting_socket()?)?;
        let mut backoff = Duration::from_millis(1);
        loop {
            match sys::connect_step(Rt::get_ref(&io).as_fd(), name)? {
                sys::ConnectStep::Connected => break,
                sys::ConnectStep::InProgress => {
                    Rt::shared_io(&io, Direction::Write, |fd| {
                        sys::finish_connect(fd.as_fd(), name)
                    })
                    .await?;
                    break;
                }
                sys::ConnectStep::BacklogFull => {
                    Rt::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(50));
                }
            }
        }
        let max = sys::default_max(Rt::get_ref(&io).as_fd())?;
        Ok(AsyncSeqpacketStream {
            io,
            max,
            eof: false,
            rbuf: sys::RecvBuf::default(),
            slot: None,
            max_fds: crate::fds::DEFAULT_MAX_FDS,
        })
    }

    /// Registers a blocking stream with the runtime (it is set non-blocking); its maximum
    /// message size and descriptor maximum carry over.
    pub fn from_std(stream: super::SeqpacketStream) -> io::Result<Self> {
        let max_fds = stream.max_fds();
        let (fd, max) = stream.into_parts();
        Ok(AsyncSeqpacketStream {
            io: Rt::register(fd)?,
            max,
            eof: false,
            rbuf: sys::RecvBuf::default(),
            slot: None,
            max_fds,
        })
    }

    /// The next message and the descriptors sent with it, as
    /// [`SeqpacketStream::read_frame_with_fds`](super::SeqpacketStream::read_frame_with_fds)
    /// reads it. Cancellation safe: a message is received whole or left queued.
    pub async fn read_frame_with_fds(&mut self) -> io::Result<Option<(Bytes, Vec<OwnedFd>)>> {
        if self.eof {
            return Ok(None);
        }
        let max = self.max;
        let got = poll_fn(|cx| {
            Rt::poll_read_with(&self.io, cx, |fd| {
                crate::sys::unix::fds::recv_message_with_fds(fd.as_fd(), max)
            })
        })
        .await?;
        match got {
            None => {
                self.eof = true;
                Ok(None)
            }
            Some((msg, r)) => Ok(Some((msg, crate::fds::inbox::whole(r, self.max_fds)?))),
        }
    }

    /// Sends one message with `fds` attached, as
    /// [`SeqpacketStream::write_frame_with_fds`](super::SeqpacketStream::write_frame_with_fds)
    /// does. Cancellation safe: a message is sent whole or not at all.
    pub async fn write_frame_with_fds(
        &self,
        payload: &[u8],
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<()> {
        crate::fds::check_send_count(fds.len())?;
        let max = self.max;
        Rt::shared_io(&self.io, Direction::Write, |fd| {
            crate::sys::unix::fds::send_message_with_fds(fd.as_fd(), payload, max, fds)
        })
        .await
    }

    /// At most `max` descriptors with one received message (default 32).
    pub fn with_max_fds(mut self, max: usize) -> Self {
        self.max_fds = max;
        self
    }

    /// Polls for the next whole message; `Ready(Ok(None))` at end of stream.
    pub fn poll_read_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Bytes>>> {
        if self.eof {
            return Poll::Ready(Ok(None));
        }
        let (max, rbuf) = (self.max, &mut self.rbuf);
        let msg = ready!(Rt::poll_read_with(&self.io, cx, |fd| rbuf.recv(fd.as_fd(), max)))?;
        self.eof = msg.is_none();
        Poll::Ready(Ok(msg))
    }

    /// The next whole message; `Ok(None)` once the peer has closed. Cancellation safe.
    pub async fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        poll_fn(|cx| self.poll_read_frame(cx)).await
    }

    /// Sends one message, whole. Empty or oversize payloads are refused before anything is
    /// sent. Cancellation safe: the message is sent whole or not at all.
    pub async fn write_frame(&self, payload: &[u8]) -> io::Result<()> {
        sys::check_message(payload.len(), self.max)?;
        let max = self.max;
        // `&self`: several tasks may send at once, so a readiness wait that wakes them all.
        Rt::shared_io(&self.io, Direction::Write, |fd| {
            sys::send_message(fd.as_fd(), payload, max)
        })
        .await
    }

    fn poll_send_slot(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(msg) = &self.slot {
            let max = self.max;
            let res = ready!(Rt::poll_write_with(&self.io, cx, |fd| {
                sys::send_message(fd.as_fd(), msg, max)
            }));
            self.slot = None;
            res?;
        }
        Poll::Ready(Ok(()))
    }

    /// The largest message sent or accepted (see
    /// [`super::SeqpacketStream::max_frame_len`]).
    pub fn max_frame_len(&self) -> usize {
        self.max
    }

    /// Sets the largest message sent or accepted, growing `SO_SNDBUF` (see
    /// [`super::SeqpacketStream::try_with_max_frame_len`]).
    pub fn try_with_max_frame_len(mut self, max: usize) -> io::Result<Self> {
        self.set_max_frame_len(max)?;
        Ok(self)
    }

    /// [`try_with_max_frame_len`](Self::try_with_max_frame_len) in place: on failure the limit
    /// is unchanged and the stream stays usable.
    pub fn set_max_frame_len(&mut self, max: usize) -> io::Result<()> {
        sys::ensure_send_capacity(self.as_fd(), max)?;
        self.max = max;
        Ok(())
    }

    /// Shuts down the writing direction: the peer reads the queued messages, then end of
    /// stream.
    pub fn shutdown_write(&self) -> io::Result<()> {
        sys::shutdown_write(self.as_fd())
    }
}

impl<Rt: Reactor> Stream for AsyncSeqpacketStream<Rt> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_read_frame(cx).map(Result::transpose)
    }
}

impl<Rt: Reactor> Sink<Bytes> for AsyncSeqpacketStream<Rt> {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_slot(cx)
    }

    /// Checks the message (not empty, not over the maximum: an error here means nothing was
    /// queued) and puts it in the one-message slot.
    fn start_send(self: Pin<&mut Self>, item: Bytes) -> io::Result<()> {
        let this = self.get_mut();
        sys::check_message(item.len(), this.max)?;
        this.slot = Some(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_slot(cx)
    }

    /// Sends the queued message, then shuts down the writing direction (the peer reads end of
    /// stream).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_slot(cx))?;
        Poll::Ready(this.shutdown_write())
    }
}

/// Creates a [packet pipe](super::packet_pipe) registered with runtime `Rt`; the aliases'
/// modules have `packet_pipe()`.
pub fn async_packet_pipe<Rt: Reactor>() -> io::Result<(AsyncPacketReader<Rt>, AsyncPacketWriter<Rt>)>
{
    let (r, w) = super::packet_pipe()?;
    Ok((
        AsyncPacketReader::from_std(r)?,
        AsyncPacketWriter::from_std(w)?,
    ))
}

/// The read end of a packet pipe on an async runtime: a [`Stream`] of whole packets. Use the
/// aliases `message::tokio::PacketReader` / `message::futures_io::PacketReader`.
pub struct AsyncPacketReader<Rt: Reactor> {
    io: Rt::Io<OwnedFd>,
    buf: Box<[u8]>,
    eof: bool,
}

impl<Rt: Reactor> AsyncPacketReader<Rt> {
    /// Registers a blocking read end with the runtime (it is set non-blocking).
    pub fn from_std(reader: super::PacketReader) -> io::Result<Self> {
        Ok(AsyncPacketReader {
            io: Rt::register(reader.into_fd())?,
            buf: vec![0; super::PIPE_BUF].into_boxed_slice(),
            eof: false,
        })
    }

    /// Polls for the next packet; `Ready(Ok(None))` once every write end is closed.
    pub fn poll_read_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Bytes>>> {
        if self.eof {
            return Poll::Ready(Ok(None));
        }
        let buf = &mut self.buf;
        let pkt = ready!(Rt::poll_read_with(&self.io, cx, |fd| sys::read_packet(
            fd.as_fd(),
            buf
        )))?;
        self.eof = pkt.is_none();
        Poll::Ready(Ok(pkt))
    }

    /// The next packet, whole; `Ok(None)` once every write end is closed. Cancellation safe.
    pub async fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        poll_fn(|cx| self.poll_read_frame(cx)).await
    }
}

impl<Rt: Reactor> Stream for AsyncPacketReader<Rt> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_read_frame(cx).map(Result::transpose)
    }
}

/// The write end of a packet pipe on an async runtime: a [`Sink`] of packets of 1 to
/// [`PIPE_BUF`](super::PIPE_BUF) bytes. Use the aliases `message::tokio::PacketWriter` /
/// `message::futures_io::PacketWriter`.
pub struct AsyncPacketWriter<Rt: Reactor> {
    io: Rt::Io<OwnedFd>,
    slot: Option<Bytes>,
}

impl<Rt: Reactor> AsyncPacketWriter<Rt> {
    /// Registers a blocking write end with the runtime (it is set non-blocking).
    pub fn from_std(writer: super::PacketWriter) -> io::Result<Self> {
        Ok(AsyncPacketWriter {
            io: Rt::register(writer.into_fd())?,
            slot: None,
        })
    }

    /// Writes one packet, whole. Empty payloads and payloads over `PIPE_BUF` are refused
    /// before anything is written. Cancellation safe.
    pub async fn write_frame(&self, payload: &[u8]) -> io::Result<()> {
        sys::check_packet(payload.len())?;
        // `&self`: several tasks may write at once, so a readiness wait that wakes them all.
        Rt::shared_io(&self.io, Direction::Write, |fd| {
            sys::write_packet(fd.as_fd(), payload)
        })
        .await
    }

    fn poll_send_slot(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(pkt) = &self.slot {
            let res = ready!(Rt::poll_write_with(&self.io, cx, |fd| sys::write_packet(
                fd.as_fd(),
                pkt
            )));
            self.slot = None;
            res?;
        }
        Poll::Ready(Ok(()))
    }
}

impl<Rt: Reactor> Sink<Bytes> for AsyncPacketWriter<Rt> {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_slot(cx)
    }

    /// Checks the packet (1 to `PIPE_BUF` bytes: an error here means nothing was queued) and
    /// puts it in the one-packet slot.
    fn start_send(self: Pin<&mut Self>, item: Bytes) -> io::Result<()> {
        sys::check_packet(item.len())?;
        self.get_mut().slot = Some(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_slot(cx)
    }

    /// Sends the queued packet. The pipe closes when the writer is dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_slot(cx)
    }
}

macro_rules! fd_and_debug_impls {
    ($($t:ident),*) => {$(
        impl<Rt: Reactor> AsFd for $t<Rt> {
            fn as_fd(&self) -> BorrowedFd<'_> {
                Rt::get_ref(&self.io).as_fd()
            }
        }
        impl<Rt: Reactor> AsRawFd for $t<Rt> {
            fn as_raw_fd(&self) -> RawFd {
                Rt::get_ref(&self.io).as_raw_fd()
            }
        }
        impl<Rt: Reactor> fmt::Debug for $t<Rt> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("runtime", &Rt::NAME)
                    .field("fd", &self.as_raw_fd())
                    .finish_non_exhaustive()
            }
        }
    )*};
}
fd_and_debug_impls!(
    AsyncSeqpacketListener,
    AsyncSeqpacketStream,
    AsyncPacketReader,
    AsyncPacketWriter
);
