//! smol-flavour measurements (futures-io over `async_io::Async`), one executor per thread.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};

use super::blocking::check_size;
use super::{DuplexPair, OneWayPair, Transport, pin_to_cpu};
use crate::codec::Framing;
use crate::futures_io::{AsyncFrameReader, AsyncFrameWriter};
use crate::message::futures_io::{PacketReader, PacketWriter, SeqpacketStream};

/// Any descriptor, registered with async-io's reactor; reads and writes are plain syscalls.
fn io(fd: File) -> io::Result<Async<File>> {
    Async::new(fd)
}

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

/// `AsyncReadExt::read` without a futures-util dependency.
async fn read_some<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *r).poll_read(cx, buf)).await
}

async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *w).poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

async fn read_exact_or_eof<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut [u8],
    message: bool,
) -> io::Result<bool> {
    if message {
        return Ok(read_some(r, buf).await? != 0);
    }
    let mut got = 0;
    while got < buf.len() {
        match read_some(r, &mut buf[got..]).await? {
            0 => return Ok(false),
            n => got += n,
        }
    }
    Ok(true)
}

/// Shuts the write direction of a socket (async-io's close only flushes); pipes just close.
fn shutdown_write(w: &Async<File>, transport: Transport) {
    if matches!(
        transport,
        Transport::Unix | Transport::Seqpacket | Transport::Tcp
    ) {
        let _ = rustix::net::shutdown(w.get_ref(), rustix::net::Shutdown::Write);
    }
}

/// Like [`super::blocking_throughput`], with smol (async-io) on both threads.
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
        async_io::block_on(async move {
            let mut n = 0u64;
            match reader_framing {
                Some(_) if message => {
                    let mut r = MsgIn::new(transport, rx)?;
                    let _ = ready_tx.send(());
                    while r.recv().await?.is_some() {
                        n += 1;
                    }
                }
                Some(f) => {
                    let mut r = AsyncFrameReader::new(io(rx)?, f);
                    let _ = ready_tx.send(());
                    while r.read_frame_ref().await?.is_some() {
                        n += 1;
                    }
                }
                None => {
                    let mut r = io(rx)?;
                    let _ = ready_tx.send(());
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        match read_some(&mut r, &mut buf).await? {
                            0 => break,
                            _ if message => n += 1,
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
    let payload = vec![0xa5u8; size];
    let start = Instant::now();
    async_io::block_on(async {
        match framing {
            Some(_) if message => {
                let w = MsgOut::new(transport, tx)?;
                for _ in 0..frames {
                    w.send(&payload).await?;
                }
            }
            Some(f) => {
                let mut w = AsyncFrameWriter::new(io(tx)?, f.clone());
                for _ in 0..frames {
                    w.write_frame(&payload).await?;
                }
                w.flush().await?;
                shutdown_write(w.get_ref(), transport);
            }
            None => {
                let mut w = io(tx)?;
                for _ in 0..frames {
                    write_all(&mut w, &payload).await?;
                }
                shutdown_write(&w, transport);
            }
        }
        io::Result::Ok(())
    })?;
    let got = reader
        .join()
        .map_err(|_| io::Error::other("reader thread panicked"))??;
    let elapsed = start.elapsed();
    super::check_received(got, framing.is_some() || message, size, frames, elapsed)
}

/// Like [`super::blocking_round_trip`], with smol (async-io) on both threads.
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
        let (rx, tx) = b;
        async_io::block_on(async move {
            match echo_framing {
                Some(_) if message => {
                    let (mut r, w) = (MsgIn::new(transport, rx)?, MsgOut::new(transport, tx)?);
                    while let Some(f) = r.recv().await? {
                        w.send(&f).await?;
                    }
                }
                Some(f) => {
                    let mut r = AsyncFrameReader::new(io(rx)?, f.clone());
                    let mut w = AsyncFrameWriter::new(io(tx)?, f);
                    while let Some(frame) = r.read_frame_ref().await? {
                        w.write_frame(frame).await?;
                        w.flush().await?;
                    }
                    shutdown_write(w.get_ref(), transport);
                }
                None => {
                    let (mut r, mut w) = (io(rx)?, io(tx)?);
                    let mut buf = vec![0u8; size];
                    while read_exact_or_eof(&mut r, &mut buf, message).await? {
                        write_all(&mut w, &buf).await?;
                    }
                    shutdown_write(&w, transport);
                }
            }
            Ok(())
        })
    });
    pin_to_cpu(0);
    let (rx, tx) = a;
    let payload = vec![0x5au8; size];
    let elapsed = async_io::block_on(async {
        match framing {
            Some(_) if message => {
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
                let mut r = AsyncFrameReader::new(io(rx)?, f.clone());
                let mut w = AsyncFrameWriter::new(io(tx)?, f.clone());
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
                shutdown_write(w.get_ref(), transport);
                Ok(t)
            }
            None => {
                let (mut r, mut w) = (io(rx)?, io(tx)?);
                let mut buf = vec![0u8; size];
                write_all(&mut w, &payload).await?;
                read_exact_or_eof(&mut r, &mut buf, message).await?;
                let start = Instant::now();
                for _ in 0..iters {
                    write_all(&mut w, &payload).await?;
                    if !read_exact_or_eof(&mut r, &mut buf, message).await? {
                        return Err(io::Error::other("echo closed"));
                    }
                }
                let t = start.elapsed();
                shutdown_write(&w, transport);
                Ok(t)
            }
        }
    })?;
    echo.join()
        .map_err(|_| io::Error::other("echo thread panicked"))??;
    Ok(elapsed)
}
