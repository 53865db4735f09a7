//! The smol flavour (futures-io over async-io), one executor per thread. Raw and codec ends
//! are `Async<File>` on Unix: reads and writes are plain syscalls, readiness from async-io. On
//! Windows they are pipeframe's futures-io named pipe (`named::futures_io::PipeStream`,
//! overlapped I/O) and `Async<TcpStream>`: async-io waits on sockets only there.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
#[cfg(windows)]
use std::task::{Context, Poll};

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};
use pipeframe::codec::Framing;
use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};

use super::Transport;
use super::drive::{Ends, FrameRx, FrameTx, RawIo, Runtime};
use super::pair::{Ender, MsgRx, MsgTx};

/// An end of this flavour: a descriptor on Unix; on Windows, futures-io named pipes among the
/// other ends.
#[cfg(unix)]
pub(crate) type Fd = std::fs::File;
/// An end of this flavour: a descriptor on Unix; on Windows, futures-io named pipes among the
/// other ends.
#[cfg(windows)]
pub(crate) type Fd = super::pair::End<pipeframe::named::futures_io::PipeStream>;

/// An end registered with async-io, as users would hold it.
#[cfg(unix)]
pub(crate) type Io = Async<std::fs::File>;

/// An end as users would hold it: a named pipe (byte or message mode), or a socket
/// registered with async-io.
#[cfg(windows)]
pub(crate) enum Io {
    Pipe(pipeframe::named::futures_io::PipeStream),
    Tcp(Async<std::net::TcpStream>),
}

/// The smol flavour.
pub(crate) struct Smol;

impl RawIo for Io {
    async fn read(&mut self, buf: &mut [u8], _message: bool) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, buf)).await
    }

    async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = poll_fn(|cx| Pin::new(&mut *self).poll_write(cx, buf)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }
}

#[cfg(windows)]
impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Pipe(p) => Pin::new(p).poll_read(cx, buf),
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

/// Closing flushes, like `Async<File>`'s on Unix: the stream ends for the peer when the end
/// is dropped (see `pair::Ender`).
#[cfg(windows)]
impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
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
            Io::Pipe(p) => Pin::new(p).poll_write_vectored(cx, bufs),
            Io::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Pipe(p) => Pin::new(p).poll_flush(cx),
            Io::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl FrameRx for AsyncFrameReader<Io, Framing> {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        Ok(self.read_frame_ref().await?.map(<[u8]>::len))
    }
}

/// A codec writer and how its transport ends (futures-io's `close` only flushes a socket).
pub(crate) struct CodecTx(AsyncFrameWriter<Io, Framing>, Ender);

impl FrameTx for CodecTx {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.0.write_frame(payload).await
    }

    /// A stream of frames as an application writes one: `write_frames` (see the tokio
    /// flavour's).
    async fn write_n(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        self.0
            .write_frames(std::iter::repeat_n(payload, n as usize))
            .await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.0.flush().await
    }

    async fn close(mut self) -> io::Result<()> {
        self.0.close().await?;
        drop(self.0);
        self.1.end()
    }
}

impl Runtime for Smol {
    type Exec = ();
    type End = Fd;
    type Raw = Io;
    type CodecRx = AsyncFrameReader<Io, Framing>;
    type CodecTx = CodecTx;
    type MsgRx = MsgRx<pipeframe::rt::AsyncIo>;
    type MsgTx = MsgTx<pipeframe::rt::AsyncIo>;

    fn exec() -> io::Result<()> {
        Ok(())
    }

    fn block_on<F: Future>(_: &(), f: F) -> F::Output {
        async_io::block_on(f)
    }

    #[cfg(unix)]
    fn raw(_: Transport, fd: Fd, _read: bool) -> io::Result<Io> {
        Async::new(fd)
    }

    /// A named pipe as it is (it needs no reactor), a socket registered.
    #[cfg(windows)]
    fn raw(t: Transport, fd: Fd, _read: bool) -> io::Result<Io> {
        use super::pair::End;
        Ok(match fd {
            End::Pipe(p) => Io::Pipe(p),
            End::Tcp(s) => Io::Tcp(Async::new(s)?),
            End::AnonRead(_) | End::AnonWrite(_) => {
                return Err(super::Flavour::Smol.refused(t));
            }
        })
    }

    fn codec_rx(t: Transport, fd: Fd, framing: Framing) -> io::Result<Self::CodecRx> {
        Ok(AsyncFrameReader::new(Self::raw(t, fd, true)?, framing))
    }

    fn codec_tx(t: Transport, fd: Fd, framing: Framing) -> io::Result<CodecTx> {
        let ender = fd.ender(t)?;
        Ok(CodecTx(
            AsyncFrameWriter::new(Self::raw(t, fd, false)?, framing),
            ender,
        ))
    }

    fn msg_rx(t: Transport, fd: Fd) -> io::Result<Self::MsgRx> {
        MsgRx::new(t, fd)
    }

    fn msg_tx(t: Transport, fd: Fd) -> io::Result<Self::MsgTx> {
        MsgTx::new(t, fd)
    }
}
