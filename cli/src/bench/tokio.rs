//! The tokio flavour: a current-thread runtime on each of two threads. Raw and codec ends are
//! tokio's own pipe and socket types, as users would hold them.
//!
//! On message transports a raw read waits for readiness, then makes one plain `read`
//! (`try_read`): tokio's `AsyncRead` takes a short read for "drained" and clears readiness,
//! which is wrong for a socket or pipe that keeps message boundaries.

use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use pipeframe::codec::Framing;
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream, unix::pipe};

use super::Transport;
use super::drive::{FrameRx, FrameTx, RawIo, Runtime};
use super::pair::{MsgRx, MsgTx};

/// The tokio flavour.
pub(crate) struct Tokio;

/// A transport's end as the tokio type users would hold (a seqpacket socket as a
/// `UnixStream`, a packet pipe as a pipe end: raw only).
pub(crate) enum Io {
    PipeRead(pipe::Receiver),
    PipeWrite(pipe::Sender),
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Io {
    /// Registers `fd` with the current runtime; `read` says which end of a pipe it is.
    pub(crate) fn new(transport: Transport, fd: File, read: bool) -> io::Result<Io> {
        let fd = OwnedFd::from(fd);
        Ok(match transport {
            Transport::Pipe | Transport::Pipe64k | Transport::PacketPipe if read => {
                Io::PipeRead(pipe::Receiver::from_owned_fd(fd)?)
            }
            Transport::Pipe | Transport::Pipe64k | Transport::PacketPipe => {
                Io::PipeWrite(pipe::Sender::from_owned_fd(fd)?)
            }
            Transport::Unix | Transport::Seqpacket => {
                let s = std::os::unix::net::UnixStream::from(fd);
                s.set_nonblocking(true)?;
                Io::Unix(UnixStream::from_std(s)?)
            }
            Transport::Tcp => {
                let s = std::net::TcpStream::from(fd);
                s.set_nonblocking(true)?;
                Io::Tcp(TcpStream::from_std(s)?)
            }
        })
    }
}

impl RawIo for Io {
    async fn read(&mut self, buf: &mut [u8], message: bool) -> io::Result<usize> {
        if !message {
            return AsyncReadExt::read(self, buf).await;
        }
        loop {
            let res = match self {
                Io::PipeRead(r) => {
                    r.readable().await?;
                    r.try_read(buf)
                }
                Io::Unix(s) => {
                    s.readable().await?;
                    s.try_read(buf)
                }
                _ => return Err(io::ErrorKind::Unsupported.into()),
            };
            match res {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                res => return res,
            }
        }
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(self, buf).await
    }
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::PipeRead(r) => Pin::new(r).poll_read(cx, buf),
            Io::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Io::PipeWrite(_) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::PipeWrite(w) => Pin::new(w).poll_write(cx, buf),
            Io::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Io::PipeRead(_) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::PipeWrite(w) => Pin::new(w).poll_write_vectored(cx, bufs),
            Io::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::PipeRead(_) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts a socket down for writing; a pipe end closes when dropped.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            _ => Poll::Ready(Ok(())),
        }
    }
}

impl FrameRx for AsyncFrameReader<Io, Framing> {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        Ok(self.read_frame_ref().await?.map(<[u8]>::len))
    }
}

impl FrameTx for AsyncFrameWriter<Io, Framing> {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        AsyncFrameWriter::write_frame(self, payload).await
    }

    /// A stream of frames as an application writes one: `write_frames`, which gathers large
    /// frames into writes of the high-water mark (the frames are delivered at its flush).
    async fn write_n(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        self.write_frames(std::iter::repeat_n(payload, n as usize))
            .await
    }

    async fn flush(&mut self) -> io::Result<()> {
        AsyncFrameWriter::flush(self).await
    }

    async fn close(mut self) -> io::Result<()> {
        AsyncFrameWriter::close(&mut self).await
    }
}

impl Runtime for Tokio {
    type Exec = tokio::runtime::Runtime;
    type End = File;
    type Raw = Io;
    type CodecRx = AsyncFrameReader<Io, Framing>;
    type CodecTx = AsyncFrameWriter<Io, Framing>;
    type MsgRx = MsgRx<pipeframe::rt::Tokio>;
    type MsgTx = MsgTx<pipeframe::rt::Tokio>;

    fn exec() -> io::Result<Self::Exec> {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
    }

    fn block_on<F: Future>(exec: &Self::Exec, f: F) -> F::Output {
        exec.block_on(f)
    }

    fn raw(t: Transport, fd: File, read: bool) -> io::Result<Io> {
        Io::new(t, fd, read)
    }

    fn codec_rx(t: Transport, fd: File, framing: Framing) -> io::Result<Self::CodecRx> {
        Ok(AsyncFrameReader::new(Io::new(t, fd, true)?, framing))
    }

    fn codec_tx(t: Transport, fd: File, framing: Framing) -> io::Result<Self::CodecTx> {
        Ok(AsyncFrameWriter::new(Io::new(t, fd, false)?, framing))
    }

    fn msg_rx(t: Transport, fd: File) -> io::Result<Self::MsgRx> {
        MsgRx::new(t, fd)
    }

    fn msg_tx(t: Transport, fd: File) -> io::Result<Self::MsgTx> {
        MsgTx::new(t, fd)
    }
}
