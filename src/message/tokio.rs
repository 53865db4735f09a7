//! Message mode on tokio (feature `tokio`, Linux): seqpacket sockets and packet pipes as
//! [`Stream`]`<Item = io::Result<Bytes>>` + [`Sink`]`<Bytes>`, the same shape as tokio-util's
//! `Framed` over a byte codec, so async code does not change when the framing does.
//!
//! Built on [`tokio::io::unix::AsyncFd`]: the descriptors are set non-blocking and registered
//! with the runtime's reactor. Constructors panic outside a tokio runtime, like
//! `tokio::net::UnixStream::from_std`.
//!
//! # Cancellation safety
//!
//! Every operation is one system call (receiving: sizing, then receiving, within one poll),
//! so dropping a future or stopping to poll never leaves half a message behind:
//!
//! * [`SeqpacketStream::recv`] / [`PacketReader::recv`] and `Stream::poll_next` are
//!   cancellation safe: a message is either returned or still queued in the kernel, never
//!   half consumed.
//! * [`SeqpacketStream::send`] / [`PacketWriter::send`] are cancellation safe: a message is
//!   sent whole or not at all.
//! * As a `Sink`, an item accepted by `start_send` waits in a one-message slot until
//!   `poll_ready`, `poll_flush` or `poll_close` sends it (whole); dropping the sink with an
//!   item in the slot drops that item unsent, as with any buffered sink.
//!
//! ```
//! # #[cfg(target_os = "linux")] {
//! use futures_lite::StreamExt;
//! use pipeframe::message::tokio::SeqpacketStream;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let (mut a, mut b) = SeqpacketStream::pair()?;
//! a.send(b"ping").await?;
//! assert_eq!(b.next().await.transpose()?.as_deref(), Some(&b"ping"[..]));
//! drop(a);
//! assert!(b.next().await.is_none()); // the peer closed: end of stream
//! # Ok::<(), std::io::Error>(()) }).unwrap();
//! # }
//! ```

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tokio::io::unix::AsyncFd;
use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;

use super::sys;

fn poll_read_with<T>(
    io: &AsyncFd<OwnedFd>,
    cx: &mut Context<'_>,
    mut f: impl FnMut(BorrowedFd<'_>) -> io::Result<T>,
) -> Poll<io::Result<T>> {
    loop {
        let mut guard = ready!(io.poll_read_ready(cx))?;
        if let Ok(res) = guard.try_io(|inner| f(inner.get_ref().as_fd())) {
            return Poll::Ready(res);
        }
    }
}

fn poll_write_with<T>(
    io: &AsyncFd<OwnedFd>,
    cx: &mut Context<'_>,
    mut f: impl FnMut(BorrowedFd<'_>) -> io::Result<T>,
) -> Poll<io::Result<T>> {
    loop {
        let mut guard = ready!(io.poll_write_ready(cx))?;
        if let Ok(res) = guard.try_io(|inner| f(inner.get_ref().as_fd())) {
            return Poll::Ready(res);
        }
    }
}

fn register(fd: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    sys::set_nonblocking(fd.as_fd(), true)?;
    // `AsyncFd::new` is deprecated (tokio#8587) because a `T: AsRawFd` could close or swap
    // its descriptor while registered; the safe replacement, `register`, is `unsafe`, which
    // this crate forbids. `OwnedFd` owns one descriptor for its whole life and the `AsyncFd`
    // owns the `OwnedFd`, so the hazard cannot happen here.
    #[allow(deprecated)]
    AsyncFd::new(fd)
}

/// A listening seqpacket socket on tokio; see [`super::SeqpacketListener`].
#[derive(Debug)]
pub struct SeqpacketListener {
    io: AsyncFd<OwnedFd>,
}

impl SeqpacketListener {
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
        Ok(SeqpacketListener {
            io: register(listener.into())?,
        })
    }

    /// Waits for a connection. Cancellation safe.
    pub async fn accept(&self) -> io::Result<SeqpacketStream> {
        let fd = poll_fn(|cx| poll_read_with(&self.io, cx, sys::accept)).await?;
        SeqpacketStream::from_std(super::SeqpacketStream::try_from(fd)?)
    }
}

/// One end of a seqpacket connection on tokio: a [`Stream`] of whole messages and a
/// [`Sink`] of messages. Sizes, empty messages and end of stream behave as for the blocking
/// [`super::SeqpacketStream`].
#[derive(Debug)]
pub struct SeqpacketStream {
    io: AsyncFd<OwnedFd>,
    max: usize,
    eof: bool,
    rbuf: sys::RecvBuf,
    slot: Option<Bytes>,
}

impl SeqpacketStream {
    /// Two connected ends (`socketpair`).
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = super::SeqpacketStream::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    /// Connects to a listener bound to a filesystem path. (Connecting a Unix socket does not
    /// wait on the network; it blocks only while the listener's backlog is full.)
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::from_std(super::SeqpacketStream::connect(path)?)
    }

    /// Connects to a listener bound to a Linux abstract name.
    pub async fn connect_abstract(name: impl AsRef<[u8]>) -> io::Result<Self> {
        Self::from_std(super::SeqpacketStream::connect_abstract(name)?)
    }

    /// Registers a blocking stream with the runtime (it is set non-blocking); its maximum
    /// message size carries over.
    pub fn from_std(stream: super::SeqpacketStream) -> io::Result<Self> {
        let (fd, max) = stream.into_parts();
        Ok(SeqpacketStream {
            io: register(fd)?,
            max,
            eof: false,
            rbuf: sys::RecvBuf::default(),
            slot: None,
        })
    }

    /// Polls for the next whole message; `Ready(Ok(None))` at end of stream.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Bytes>>> {
        if self.eof {
            return Poll::Ready(Ok(None));
        }
        let (max, rbuf) = (self.max, &mut self.rbuf);
        let msg = ready!(poll_read_with(&self.io, cx, |fd| rbuf.recv(fd, max)))?;
        self.eof = msg.is_none();
        Poll::Ready(Ok(msg))
    }

    /// The next whole message; `Ok(None)` once the peer has closed. Cancellation safe.
    pub async fn recv(&mut self) -> io::Result<Option<Bytes>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Sends one message, whole. Empty or oversize payloads are refused before anything is
    /// sent. Cancellation safe: the message is sent whole or not at all.
    pub async fn send(&self, payload: &[u8]) -> io::Result<()> {
        sys::check_message(payload.len(), self.max)?;
        poll_fn(|cx| poll_write_with(&self.io, cx, |fd| sys::send_message(fd, payload, self.max)))
            .await
    }

    fn poll_send_slot(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(msg) = &self.slot {
            let max = self.max;
            let res = ready!(poll_write_with(&self.io, cx, |fd| sys::send_message(
                fd, msg, max
            )));
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
    /// [`super::SeqpacketStream::set_max_frame_len`]).
    pub fn set_max_frame_len(&mut self, max: usize) -> io::Result<()> {
        sys::ensure_send_capacity(self.io.get_ref().as_fd(), max)?;
        self.max = max;
        Ok(())
    }

    /// Shuts down the writing direction: the peer reads the queued messages, then end of
    /// stream.
    pub fn shutdown_write(&self) -> io::Result<()> {
        sys::shutdown_write(self.io.get_ref().as_fd())
    }
}

impl Stream for SeqpacketStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx).map(Result::transpose)
    }
}

impl Sink<Bytes> for SeqpacketStream {
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

/// Creates a [packet pipe](super::packet_pipe) registered with the tokio runtime.
pub fn packet_pipe() -> io::Result<(PacketReader, PacketWriter)> {
    let (r, w) = super::packet_pipe()?;
    Ok((PacketReader::from_std(r)?, PacketWriter::from_std(w)?))
}

/// The read end of a packet pipe on tokio: a [`Stream`] of whole packets.
#[derive(Debug)]
pub struct PacketReader {
    io: AsyncFd<OwnedFd>,
    buf: Box<[u8]>,
    eof: bool,
}

impl PacketReader {
    /// Registers a blocking read end with the runtime (it is set non-blocking).
    pub fn from_std(reader: super::PacketReader) -> io::Result<Self> {
        Ok(PacketReader {
            io: register(reader.into_fd())?,
            buf: vec![0; super::PIPE_BUF].into_boxed_slice(),
            eof: false,
        })
    }

    /// Polls for the next packet; `Ready(Ok(None))` once every write end is closed.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Bytes>>> {
        if self.eof {
            return Poll::Ready(Ok(None));
        }
        let buf = &mut self.buf;
        let pkt = ready!(poll_read_with(&self.io, cx, |fd| sys::read_packet(fd, buf)))?;
        self.eof = pkt.is_none();
        Poll::Ready(Ok(pkt))
    }

    /// The next packet, whole; `Ok(None)` once every write end is closed. Cancellation safe.
    pub async fn recv(&mut self) -> io::Result<Option<Bytes>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }
}

impl Stream for PacketReader {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx).map(Result::transpose)
    }
}

/// The write end of a packet pipe on tokio: a [`Sink`] of packets of 1 to
/// [`PIPE_BUF`](super::PIPE_BUF) bytes.
#[derive(Debug)]
pub struct PacketWriter {
    io: AsyncFd<OwnedFd>,
    slot: Option<Bytes>,
}

impl PacketWriter {
    /// Registers a blocking write end with the runtime (it is set non-blocking).
    pub fn from_std(writer: super::PacketWriter) -> io::Result<Self> {
        Ok(PacketWriter {
            io: register(writer.into_fd())?,
            slot: None,
        })
    }

    /// Writes one packet, whole. Empty payloads and payloads over `PIPE_BUF` are refused
    /// before anything is written. Cancellation safe.
    pub async fn send(&self, payload: &[u8]) -> io::Result<()> {
        sys::check_packet(payload.len())?;
        poll_fn(|cx| poll_write_with(&self.io, cx, |fd| sys::write_packet(fd, payload))).await
    }

    fn poll_send_slot(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(pkt) = &self.slot {
            let res = ready!(poll_write_with(&self.io, cx, |fd| sys::write_packet(
                fd, pkt
            )));
            self.slot = None;
            res?;
        }
        Poll::Ready(Ok(()))
    }
}

impl Sink<Bytes> for PacketWriter {
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

macro_rules! fd_impls {
    ($($t:ident),*) => {$(
        impl AsFd for $t {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }
        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }
    )*};
}
fd_impls!(
    SeqpacketListener,
    SeqpacketStream,
    PacketReader,
    PacketWriter
);
