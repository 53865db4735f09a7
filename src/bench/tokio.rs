//! tokio-flavour measurements: a current-thread runtime on each of two threads.
//!
//! On message transports the raw baseline is the message-mode type itself (one `recv`/`send`
//! per message through `AsyncFd`): tokio's stream types treat a short read as "drained" and
//! clear readiness, which is wrong for a socket or pipe that keeps message boundaries and
//! deadlocks a reader against a writer waiting for room.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream, unix::pipe};

use super::blocking::check_size;
use super::{DuplexPair, OneWayPair, Transport, pin_to_cpu};
use crate::codec::Framing;
use crate::message::tokio::{PacketReader, PacketWriter, SeqpacketStream};
use crate::tokio::{AsyncFrameReader, AsyncFrameWriter};

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
}

/// A stream transport's end as the tokio type users would hold.
enum Io {
    PipeRead(pipe::Receiver),
    PipeWrite(pipe::Sender),
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Io {
    /// Registers `fd` with the current runtime; `read` says which end of a pipe it is.
    fn new(transport: Transport, fd: File, read: bool) -> io::Result<Io> {
        let fd = OwnedFd::from(fd);
        Ok(match transport {
            Transport::Pipe if read => Io::PipeRead(pipe::Receiver::from_owned_fd(fd)?),
            Transport::Pipe => Io::PipeWrite(pipe::Sender::from_owned_fd(fd)?),
            Transport::Unix => {
                let s = std::os::unix::net::UnixStream::from(fd);
                s.set_nonblocking(true)?;
                Io::Unix(UnixStream::from_std(s)?)
            }
            Transport::Tcp => {
                let s = std::net::TcpStream::from(fd);
                s.set_nonblocking(true)?;
                Io::Tcp(TcpStream::from_std(s)?)
            }
            Transport::Seqpacket | Transport::PacketPipe => {
                return Err(io::Error::other("message transports use MsgIn/MsgOut"));
            }
        })
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

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            _ => Poll::Ready(Ok(())),
        }
    }
}

/// Message-mode ends (seqpacket or packet pipe).
enum MsgIn {
    Seq(SeqpacketStream),
    Packet(PacketReader),
}

enum MsgOut {
    Seq(SeqpacketStream),
    Packet(PacketWriter),
}

impl MsgIn {
    fn new(transport: Transport, fd: File) -> io::Result<MsgIn> {
        let fd = OwnedFd::from(fd);
        Ok(match transport {
            Transport::Seqpacket => MsgIn::Seq(SeqpacketStream::from_std(fd.try_into()?)?),
            _ => MsgIn::Packet(PacketReader::from_std(fd.try_into()?)?),
        })
    }

    async fn recv(&mut self) -> io::Result<Option<bytes::Bytes>> {
        match self {
            MsgIn::Seq(s) => s.read_frame().await,
            MsgIn::Packet(p) => p.read_frame().await,
        }
    }
}

impl MsgOut {
    fn new(transport: Transport, fd: File) -> io::Result<MsgOut> {
        let fd = OwnedFd::from(fd);
        Ok(match transport {
            Transport::Seqpacket => MsgOut::Seq(SeqpacketStream::from_std(fd.try_into()?)?),
            _ => MsgOut::Packet(PacketWriter::from_std(fd.try_into()?)?),
        })
    }

    async fn send(&self, payload: &[u8]) -> io::Result<()> {
        match self {
            MsgOut::Seq(s) => s.write_frame(payload).await,
            MsgOut::Packet(p) => p.write_frame(payload).await,
        }
    }
}

/// Like [`super::blocking_throughput`], with tokio on both threads.
pub fn throughput(
    transport: Transport,
    framing: Option<&Framing>,
    size: usize,
    frames: u64,
) -> io::Result<Duration> {
    check_size(transport, size)?;
    let OneWayPair { rx, tx } = OneWayPair::new(transport)?;
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let reader_framing = framing.cloned();
    let message = transport.is_message();
    let reader = thread::spawn(move || -> io::Result<u64> {
        pin_to_cpu(1);
        let rt = runtime()?;
        rt.block_on(async move {
            let mut n = 0u64;
            match reader_framing {
                _ if message => {
                    let mut r = MsgIn::new(transport, rx)?;
                    let _ = ready_tx.send(());
                    while r.recv().await?.is_some() {
                        n += 1;
                    }
                }
                Some(f) => {
                    let mut r = AsyncFrameReader::new(Io::new(transport, rx, true)?, f);
                    let _ = ready_tx.send(());
                    while r.read_frame_ref().await?.is_some() {
                        n += 1;
                    }
                }
                None => {
                    let mut r = Io::new(transport, rx, true)?;
                    let _ = ready_tx.send(());
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        match r.read(&mut buf).await? {
                            0 => break,
                            k => n += k as u64,
                        }
                    }
                }
            }
            Ok(n)
        })
    });
    let _ = ready_rx.recv();
    pin_to_cpu(0);
    let rt = runtime()?;
    let payload = vec![0xa5u8; size];
    let elapsed_start = Instant::now();
    rt.block_on(async {
        match framing {
            _ if message => {
                let w = MsgOut::new(transport, tx)?;
                for _ in 0..frames {
                    w.send(&payload).await?;
                }
            }
            Some(f) => {
                let mut w = AsyncFrameWriter::new(Io::new(transport, tx, false)?, f.clone());
                for _ in 0..frames {
                    w.write_frame(&payload).await?;
                }
                w.flush().await?;
                w.close().await?;
            }
            None => {
                let mut w = Io::new(transport, tx, false)?;
                for _ in 0..frames {
                    w.write_all(&payload).await?;
                }
                w.shutdown().await?;
            }
        }
        io::Result::Ok(())
    })?;
    drop(rt);
    let got = reader
        .join()
        .map_err(|_| io::Error::other("reader thread panicked"))??;
    let elapsed = elapsed_start.elapsed();
    super::check_received(got, framing.is_some() || message, size, frames, elapsed)
}

/// Like [`super::blocking_round_trip`], with tokio on both threads.
pub fn round_trip(
    transport: Transport,
    framing: Option<&Framing>,
    size: usize,
    iters: u64,
) -> io::Result<Duration> {
    check_size(transport, size)?;
    let DuplexPair { a, b } = DuplexPair::new(transport)?;
    let echo_framing = framing.cloned();
    let message = transport.is_message();
    let echo = thread::spawn(move || -> io::Result<()> {
        pin_to_cpu(1);
        let rt = runtime()?;
        let (rx, tx) = b;
        rt.block_on(async move {
            match echo_framing {
                _ if message => {
                    let (mut r, w) = (MsgIn::new(transport, rx)?, MsgOut::new(transport, tx)?);
                    while let Some(f) = r.recv().await? {
                        w.send(&f).await?;
                    }
                }
                Some(f) => {
                    let mut r = AsyncFrameReader::new(Io::new(transport, rx, true)?, f.clone());
                    let mut w = AsyncFrameWriter::new(Io::new(transport, tx, false)?, f);
                    while let Some(frame) = r.read_frame_ref().await? {
                        w.write_frame(frame).await?;
                        w.flush().await?;
                    }
                }
                None => {
                    let mut r = Io::new(transport, rx, true)?;
                    let mut w = Io::new(transport, tx, false)?;
                    let mut buf = vec![0u8; size];
                    loop {
                        let got = match r.read_exact(&mut buf).await {
                            Ok(n) => n,
                            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
                            Err(e) => return Err(e),
                        };
                        if got == 0 {
                            break;
                        }
                        w.write_all(&buf).await?;
                    }
                }
            }
            Ok(())
        })
    });
    pin_to_cpu(0);
    let rt = runtime()?;
    let (rx, tx) = a;
    let payload = vec![0x5au8; size];
    let elapsed = rt.block_on(async {
        match framing {
            _ if message => {
                let (mut r, w) = (MsgIn::new(transport, rx)?, MsgOut::new(transport, tx)?);
                w.send(&payload).await?;
                r.recv().await?;
                let start = Instant::now();
                for _ in 0..iters {
                    w.send(&payload).await?;
                    r.recv()
                        .await?
                        .ok_or_else(|| io::Error::other("echo closed"))?;
                }
                io::Result::Ok(start.elapsed())
            }
            Some(f) => {
                let mut r = AsyncFrameReader::new(Io::new(transport, rx, true)?, f.clone());
                let mut w = AsyncFrameWriter::new(Io::new(transport, tx, false)?, f.clone());
                w.write_frame(&payload).await?;
                w.flush().await?;
                r.read_frame_ref().await?;
                let start = Instant::now();
                for _ in 0..iters {
                    w.write_frame(&payload).await?;
                    w.flush().await?;
                    r.read_frame_ref()
                        .await?
                        .ok_or_else(|| io::Error::other("echo closed"))?;
                }
                let t = start.elapsed();
                w.close().await?;
                Ok(t)
            }
            None => {
                let mut r = Io::new(transport, rx, true)?;
                let mut w = Io::new(transport, tx, false)?;
                let mut buf = vec![0u8; size];
                w.write_all(&payload).await?;
                r.read_exact(&mut buf).await?;
                let start = Instant::now();
                for _ in 0..iters {
                    w.write_all(&payload).await?;
                    r.read_exact(&mut buf).await?;
                }
                let t = start.elapsed();
                w.shutdown().await?;
                Ok(t)
            }
        }
    });
    drop(rt);
    let elapsed = elapsed?;
    echo.join()
        .map_err(|_| io::Error::other("echo thread panicked"))??;
    Ok(elapsed)
}
