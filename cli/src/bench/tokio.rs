//! The tokio flavour: a current-thread runtime on each of two threads. Raw and codec ends are
//! tokio's own pipe and socket types (Windows: pipeframe's tokio named pipe,
//! `named::tokio::PipeStream`, and tokio's `TcpStream`), as users would hold them.
//!
//! On Unix message transports a raw read waits for readiness, then makes one plain `read`
//! (`try_read`): tokio's `AsyncRead` takes a short read for "drained" and clears readiness,
//! which is wrong for a socket or pipe that keeps message boundaries. A Windows named pipe
//! has no readiness: each read is one overlapped `ReadFile`, which returns one message.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use pipeframe::codec::Framing;
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::{UnixStream, unix::pipe};

use super::Transport;
use super::drive::{FrameRx, FrameTx, RawIo, Runtime};
use super::pair::{MsgRx, MsgTx};

/// An end of this flavour: a descriptor on Unix; on Windows, tokio named pipes among the
/// other ends.
#[cfg(unix)]
pub(crate) type Fd = std::fs::File;
/// An end of this flavour: a descriptor on Unix; on Windows, tokio named pipes among the
/// other ends.
#[cfg(windows)]
pub(crate) type Fd = super::pair::End<pipeframe::named::tokio::PipeStream>;

/// The tokio flavour.
pub(crate) struct Tokio;

/// A transport's end as the tokio type users would hold (Unix: a seqpacket socket as a
/// `UnixStream`, a packet pipe as a pipe end: raw only).
pub(crate) enum Io {
    #[cfg(unix)]
    PipeRead(pipe::Receiver),
    #[cfg(unix)]
    PipeWrite(pipe::Sender),
    #[cfg(unix)]
    Unix(UnixStream),
    /// A named pipe in byte or message mode.
    #[cfg(windows)]
    Pipe(pipeframe::named::tokio::PipeStream),
    Tcp(TcpStream),
}

impl Io {
    /// Registers `fd` with the current runtime; `read` says which end of a pipe it is.
    #[cfg(unix)]
    pub(crate) fn new(transport: Transport, fd: Fd, read: bool) -> io::Result<Io> {
        let fd = std::os::fd::OwnedFd::from(fd);
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

    /// Puts `fd` on the current runtime: a named pipe as it is (it needs no reactor), a
    /// socket registered.
    #[cfg(windows)]
    pub(crate) fn new(transport: Transport, fd: Fd, _read: bool) -> io::Result<Io> {
        use super::pair::End;
        Ok(match fd {
            End::Pipe(p) => Io::Pipe(p),
            End::Tcp(s) => {
                s.set_nonblocking(true)?;
                Io::Tcp(TcpStream::from_std(s)?)
            }
            End::AnonRead(_) | End::AnonWrite(_) => {
                return Err(super::Flavour::Tokio.refused(transport));
            }
        })
    }
}

impl RawIo for Io {
    async fn read(&mut self, buf: &mut [u8], message: bool) -> io::Result<usize> {
        if !message {
            return AsyncReadExt::read(self, buf).await;
        }
        #[cfg(windows)]
        return AsyncReadExt::read(self, buf).await;
        #[cfg(unix)]
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
            #[cfg(unix)]
            Io::PipeRead(r) => Pin::new(r).poll_read(cx, buf),
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Io::PipeWrite(_) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
            #[cfg(windows)]
            Io::Pipe(p) => Pin::new(p).poll_read(cx, buf),
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
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
            #[cfg(unix)]
            Io::PipeWrite(w) => Pin::new(w).poll_write(cx, buf),
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Io::PipeRead(_) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
            #[cfg(windows)]
            Io::Pipe(p) => Pin::new(p).poll_write(cx, buf),
            Io::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            Io::PipeWrite(w) => Pin::new(w).poll_write_vectored(cx, bufs),
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(unix)]
            Io::PipeRead(_) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
            #[cfg(windows)]
            Io::Pipe(p) => Pin::new(p).poll_write_vectored(cx, bufs),
            Io::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    #[cfg(unix)]
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// A named pipe waits for its write in flight; a socket has nothing to flush.
    #[cfg(windows)]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Pipe(p) => Pin::new(p).poll_flush(cx),
            Io::Tcp(_) => Poll::Ready(Ok(())),
        }
    }

    /// Shuts a socket down for writing; a Unix pipe end closes when dropped, a Windows named
    /// pipe flushes (it has no half-close: it ends for the peer when dropped).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(windows)]
            Io::Pipe(p) => Pin::new(p).poll_shutdown(cx),
            Io::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
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
    type End = Fd;
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

    fn raw(t: Transport, fd: Fd, read: bool) -> io::Result<Io> {
        Io::new(t, fd, read)
    }

    fn codec_rx(t: Transport, fd: Fd, framing: Framing) -> io::Result<Self::CodecRx> {
        Ok(AsyncFrameReader::new(Io::new(t, fd, true)?, framing))
    }

    fn codec_tx(t: Transport, fd: Fd, framing: Framing) -> io::Result<Self::CodecTx> {
        Ok(AsyncFrameWriter::new(Io::new(t, fd, false)?, framing))
    }

    fn msg_rx(t: Transport, fd: Fd) -> io::Result<Self::MsgRx> {
        MsgRx::new(t, fd)
    }

    fn msg_tx(t: Transport, fd: Fd) -> io::Result<Self::MsgTx> {
        MsgTx::new(t, fd)
    }
}
