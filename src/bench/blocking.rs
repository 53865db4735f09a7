//! Blocking-flavour measurements: one writer thread, one reader thread.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use std::os::fd::OwnedFd;

use super::{DuplexPair, OneWayPair, Transport, pin_to_cpu, unsupported};
use crate::codec::Framing;
use crate::message::{PacketReader, PacketWriter, SeqpacketStream};
use crate::sync::{FrameReader, FrameWriter};

/// Sends `frames` frames of `size` bytes over a new `transport` pair and returns the time from
/// the first write to the reader's receipt of the last frame. `framing: None` is the raw
/// baseline (one `write` per frame).
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
        let _ = ready_tx.send(());
        match reader_framing {
            Some(_) if message => read_message_mode(transport, rx),
            Some(f) => read_framed(rx, f),
            None if message => read_messages(rx, size),
            None => read_raw(rx),
        }
    });
    let _ = ready_rx.recv();
    pin_to_cpu(0);
    let payload = vec![0xa5u8; size];
    let start = Instant::now();
    match framing {
        Some(_) if message => {
            let w = MessageWriter::new(transport, tx)?;
            for _ in 0..frames {
                w.write_frame(&payload)?;
            }
        }
        Some(f) => {
            let mut w = FrameWriter::new(tx, f.clone());
            for _ in 0..frames {
                w.write_frame(&payload)?;
            }
            drop(w.finish()?);
        }
        None => {
            let mut tx = tx;
            for _ in 0..frames {
                tx.write_all(&payload)?;
            }
            drop(tx);
        }
    }
    let got = reader
        .join()
        .map_err(|_| io::Error::other("reader thread panicked"))??;
    let elapsed = start.elapsed();
    super::check_received(got, framing.is_some() || message, size, frames, elapsed)
}

/// Checks a size fits the transport. On message transports "framed" means message mode (the
/// codec is not used).
pub(super) fn check_size(transport: Transport, size: usize) -> io::Result<()> {
    if let Some(max) = transport.max_message().filter(|&max| size > max) {
        return Err(unsupported(format!(
            "{transport} carries at most {max} bytes per message"
        )));
    }
    if transport.is_message() && size == 0 {
        return Err(unsupported(format!(
            "{transport} cannot carry empty messages"
        )));
    }
    Ok(())
}

fn read_framed(rx: File, framing: Framing) -> io::Result<u64> {
    let mut r = FrameReader::new(rx, framing);
    let mut n = 0;
    while r.read_frame_ref()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// The message-mode writer of a message transport.
enum MessageWriter {
    Seqpacket(SeqpacketStream),
    Packet(PacketWriter),
}

impl MessageWriter {
    fn new(transport: Transport, fd: File) -> io::Result<Self> {
        let fd = OwnedFd::from(fd);
        Ok(match transport {
            Transport::Seqpacket => MessageWriter::Seqpacket(SeqpacketStream::try_from(fd)?),
            _ => MessageWriter::Packet(PacketWriter::try_from(fd)?),
        })
    }

    fn write_frame(&self, payload: &[u8]) -> io::Result<()> {
        match self {
            MessageWriter::Seqpacket(s) => s.write_frame(payload),
            MessageWriter::Packet(p) => p.write_frame(payload),
        }
    }
}

/// The message-mode reader of a message transport.
enum MessageReader {
    Seqpacket(SeqpacketStream),
    Packet(PacketReader),
}

impl MessageReader {
    fn new(transport: Transport, fd: File) -> io::Result<Self> {
        let fd = OwnedFd::from(fd);
        Ok(match transport {
            Transport::Seqpacket => MessageReader::Seqpacket(SeqpacketStream::try_from(fd)?),
            _ => MessageReader::Packet(PacketReader::try_from(fd)?),
        })
    }

    fn read_frame(&mut self) -> io::Result<Option<bytes::Bytes>> {
        match self {
            MessageReader::Seqpacket(s) => s.read_frame(),
            MessageReader::Packet(p) => p.read_frame(),
        }
    }
}

fn read_message_mode(transport: Transport, rx: File) -> io::Result<u64> {
    let mut r = MessageReader::new(transport, rx)?;
    let mut n = 0;
    while r.read_frame()?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn read_raw(mut rx: File) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match rx.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn read_messages(mut rx: File, size: usize) -> io::Result<u64> {
    let mut buf = vec![0u8; size.max(4096)];
    let mut count = 0u64;
    loop {
        match rx.read(&mut buf) {
            Ok(0) => return Ok(count),
            Ok(n) if n == size => count += 1,
            Ok(n) => {
                return Err(io::Error::other(format!(
                    "message of {n} bytes, expected {size}"
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Times `iters` round trips of one `size`-byte frame to an echoing thread over a new
/// `transport` pair; returns the total time (divide by `iters` for one round trip).
/// `framing: None` is the raw baseline.
pub fn round_trip(
    transport: Transport,
    framing: Option<&Framing>,
    size: usize,
    iters: u64,
) -> io::Result<Duration> {
    check_size(transport, size)?;
    let DuplexPair { a, b } = DuplexPair::new(transport)?;
    let echo_framing = framing.cloned();
    let echo = thread::spawn(move || -> io::Result<()> {
        pin_to_cpu(1);
        let (rx, tx) = b;
        match echo_framing {
            Some(_) if transport.is_message() => {
                let mut r = MessageReader::new(transport, rx)?;
                let w = MessageWriter::new(transport, tx)?;
                while let Some(frame) = r.read_frame()? {
                    w.write_frame(&frame)?;
                }
                Ok(())
            }
            Some(f) => {
                let mut r = FrameReader::new(rx, f.clone());
                let mut w = FrameWriter::new(tx, f);
                while let Some(frame) = r.read_frame_ref()? {
                    w.write_frame(frame)?;
                    w.flush()?;
                }
                Ok(())
            }
            None => {
                let (mut rx, mut tx) = (rx, tx);
                let mut buf = vec![0u8; size.max(1)];
                loop {
                    if !read_exact_or_eof(&mut rx, &mut buf[..size], transport.is_message())? {
                        return Ok(());
                    }
                    tx.write_all(&buf[..size])?;
                }
            }
        }
    });
    pin_to_cpu(0);
    let payload = vec![0x5au8; size];
    let (rx, tx) = a;
    let elapsed = match framing {
        Some(_) if transport.is_message() => {
            let mut r = MessageReader::new(transport, rx)?;
            let w = MessageWriter::new(transport, tx)?;
            w.write_frame(&payload)?;
            r.read_frame()?;
            let start = Instant::now();
            for _ in 0..iters {
                w.write_frame(&payload)?;
                match r.read_frame()? {
                    Some(f) if f.len() == size => {}
                    _ => return Err(io::Error::other("echo lost a frame")),
                }
            }
            let elapsed = start.elapsed();
            drop(w);
            elapsed
        }
        Some(f) => {
            let mut r = FrameReader::new(rx, f.clone());
            let mut w = FrameWriter::new(tx, f.clone());
            // One warm-up exchange outside the timing.
            w.write_frame(&payload)?;
            w.flush()?;
            r.read_frame_ref()?;
            let start = Instant::now();
            for _ in 0..iters {
                w.write_frame(&payload)?;
                w.flush()?;
                match r.read_frame_ref()? {
                    Some(f) if f.len() == size => {}
                    _ => return Err(io::Error::other("echo lost a frame")),
                }
            }
            let elapsed = start.elapsed();
            drop(w);
            elapsed
        }
        None => {
            let (mut rx, mut tx) = (rx, tx);
            let mut buf = vec![0u8; size.max(1)];
            let message = transport.is_message();
            tx.write_all(&payload)?;
            read_exact_or_eof(&mut rx, &mut buf[..size], message)?;
            let start = Instant::now();
            for _ in 0..iters {
                tx.write_all(&payload)?;
                if !read_exact_or_eof(&mut rx, &mut buf[..size], message)? {
                    return Err(io::Error::other("echo closed early"));
                }
            }
            let elapsed = start.elapsed();
            drop(tx);
            elapsed
        }
    };
    echo.join()
        .map_err(|_| io::Error::other("echo thread panicked"))??;
    Ok(elapsed)
}

/// Reads exactly `buf.len()` bytes (one message on message transports); `false` at EOF.
fn read_exact_or_eof(rx: &mut File, buf: &mut [u8], message: bool) -> io::Result<bool> {
    if message {
        let n = loop {
            match rx.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        return Ok(n != 0);
    }
    let mut got = 0;
    while got < buf.len() {
        match rx.read(&mut buf[got..]) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
