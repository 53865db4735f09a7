//! The measuring loops, written once and run in every flavour: a [`Runtime`] says how a
//! flavour runs a side and opens its ends; [`Rx`] and [`Tx`] put the raw baseline and the
//! framed ends behind one interface, so raw means the same everywhere.

use pipeframe::message::{AsyncPacketReader, AsyncPacketWriter, AsyncSeqpacketStream};
use pipeframe::rt::Reactor;
use std::fs::File;
use std::future::Future;
use std::io;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::codec::Framing;

use super::pair::Ender;
use super::{DuplexPair, OneWayPair, Transport, pin_to_cpu};

/// Plain reads and writes on a descriptor registered with a flavour's runtime.
pub(crate) trait RawIo {
    /// One `read`. On a message transport (`message`) the runtime must not take a short read
    /// for "drained": each read is one whole message.
    async fn read(&mut self, buf: &mut [u8], message: bool) -> io::Result<usize>;
    /// `write` until all of `buf` is written (one call on message transports).
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
}

/// A library frame reader.
pub(crate) trait FrameRx {
    /// The next frame's length; `None` at the end of the stream.
    async fn next_len(&mut self) -> io::Result<Option<usize>>;
}

/// A library frame writer.
pub(crate) trait FrameTx {
    /// Writes (or queues) one frame.
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()>;
    /// Sends what is queued.
    async fn flush(&mut self) -> io::Result<()>;
    /// Flushes, then ends the stream for the peer.
    async fn close(self) -> io::Result<()>;
}

/// One flavour: how it runs a side on a thread, and how it opens each kind of end.
pub(crate) trait Runtime: 'static {
    /// What runs one side's future (one per thread).
    type Exec;
    /// A raw end (reading or writing).
    type Raw: RawIo;
    /// A codec reader on a stream transport.
    type CodecRx: FrameRx;
    /// A codec writer on a stream transport.
    type CodecTx: FrameTx;
    /// A message-mode reader on a message transport.
    type MsgRx: FrameRx;
    /// A message-mode writer on a message transport.
    type MsgTx: FrameTx;

    /// A new executor for this thread.
    fn exec() -> io::Result<Self::Exec>;
    /// Runs `f` to completion.
    fn block_on<F: Future>(exec: &Self::Exec, f: F) -> F::Output;
    /// A raw end of `t` (`read`: which end of a pipe it is).
    fn raw(t: Transport, fd: File, read: bool) -> io::Result<Self::Raw>;
    /// A codec reader.
    fn codec_rx(t: Transport, fd: File, framing: Framing) -> io::Result<Self::CodecRx>;
    /// A codec writer.
    fn codec_tx(t: Transport, fd: File, framing: Framing) -> io::Result<Self::CodecTx>;
    /// A message-mode reader.
    fn msg_rx(t: Transport, fd: File) -> io::Result<Self::MsgRx>;
    /// A message-mode writer.
    fn msg_tx(t: Transport, fd: File) -> io::Result<Self::MsgTx>;
}

/// A reading end: raw, codec or message mode.
enum Rx<R: Runtime> {
    Raw {
        io: R::Raw,
        message: bool,
        buf: Vec<u8>,
    },
    Codec(R::CodecRx),
    Msg(R::MsgRx),
}

impl<R: Runtime> Rx<R> {
    /// Opens `fd`: raw without `framing`, else message mode on message transports and the
    /// codec on stream transports. Call inside the runtime.
    fn open(t: Transport, framing: Option<&Framing>, fd: File, size: usize) -> io::Result<Self> {
        Ok(match framing {
            None => Rx::Raw {
                io: R::raw(t, fd, true)?,
                message: t.is_message(),
                buf: vec![0; size.max(64 * 1024)],
            },
            Some(_) if t.is_message() => Rx::Msg(R::msg_rx(t, fd)?),
            Some(f) => Rx::Codec(R::codec_rx(t, fd, f.clone())?),
        })
    }

    /// The next frame's length, `None` at the end. Raw: one read (a message), or exactly
    /// `size` bytes on stream transports.
    async fn read_frame(&mut self, size: usize) -> io::Result<Option<usize>> {
        match self {
            Rx::Raw { io, message, buf } => {
                if *message {
                    let n = io.read(buf, true).await?;
                    return Ok((n != 0).then_some(n));
                }
                let mut got = 0;
                while got < size {
                    match io.read(&mut buf[got..size], false).await? {
                        0 => return Ok(None),
                        n => got += n,
                    }
                }
                Ok(Some(size))
            }
            Rx::Codec(r) => r.next_len().await,
            Rx::Msg(r) => r.next_len().await,
        }
    }

    /// Reads to the end; counts bytes (raw on a stream transport) or frames of `size` bytes
    /// (framed, or raw messages).
    async fn drain(&mut self, size: usize) -> io::Result<u64> {
        let mut n = 0u64;
        if let Rx::Raw {
            io,
            message: false,
            buf,
        } = self
        {
            loop {
                match io.read(buf, false).await? {
                    0 => return Ok(n),
                    k => n += k as u64,
                }
            }
        }
        while let Some(len) = self.read_frame(size).await? {
            if len != size {
                return Err(io::Error::other(format!(
                    "frame of {len} bytes, expected {size}"
                )));
            }
            n += 1;
        }
        Ok(n)
    }
}

/// A writing end: raw (with how it ends), codec or message mode.
enum Tx<R: Runtime> {
    Raw(R::Raw, Ender),
    Codec(R::CodecTx),
    Msg(R::MsgTx),
}

impl<R: Runtime> Tx<R> {
    /// Opens `fd` like [`Rx::open`].
    fn open(t: Transport, framing: Option<&Framing>, fd: File) -> io::Result<Self> {
        Ok(match framing {
            None => {
                let ender = Ender::of(t, &fd)?;
                Tx::Raw(R::raw(t, fd, false)?, ender)
            }
            Some(_) if t.is_message() => Tx::Msg(R::msg_tx(t, fd)?),
            Some(f) => Tx::Codec(R::codec_tx(t, fd, f.clone())?),
        })
    }

    /// One frame (raw: one `write` of the payload).
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match self {
            Tx::Raw(io, _) => io.write_all(payload).await,
            Tx::Codec(w) => w.write_frame(payload).await,
            Tx::Msg(w) => w.write_frame(payload).await,
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self {
            Tx::Raw(..) => Ok(()),
            Tx::Codec(w) => w.flush().await,
            Tx::Msg(w) => w.flush().await,
        }
    }

    /// Flushes and ends the stream: the peer reads end of stream.
    async fn close(self) -> io::Result<()> {
        match self {
            Tx::Raw(io, ender) => {
                drop(io);
                ender.end()
            }
            Tx::Codec(w) => w.close().await,
            Tx::Msg(w) => w.close().await,
        }
    }
}

/// Checks a size fits the transport. On message transports "framed" means message mode (the
/// codec is not used).
fn check_size(transport: Transport, size: usize) -> io::Result<()> {
    let unsupported = |what: String| io::Error::new(io::ErrorKind::Unsupported, what);
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

fn joined<T>(h: thread::JoinHandle<io::Result<T>>, who: &str) -> io::Result<T> {
    h.join()
        .map_err(|_| io::Error::other(format!("{who} thread panicked")))?
}

/// See [`Flavour::throughput`](super::Flavour::throughput).
pub(crate) fn throughput<R: Runtime>(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    frames: u64,
) -> io::Result<Duration> {
    check_size(t, size)?;
    let OneWayPair { rx, tx } = OneWayPair::new(t)?;
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let reader_framing = framing.cloned();
    let reader = thread::spawn(move || -> io::Result<u64> {
        pin_to_cpu(1);
        let exec = R::exec()?;
        R::block_on(&exec, async move {
            let mut r = Rx::<R>::open(t, reader_framing.as_ref(), rx, size)?;
            let _ = ready_tx.send(());
            r.drain(size).await
        })
    });
    let _ = ready_rx.recv();
    pin_to_cpu(0);
    let exec = R::exec()?;
    let payload = vec![0xa5u8; size];
    let start = Instant::now();
    R::block_on(&exec, async {
        let mut w = Tx::<R>::open(t, framing, tx)?;
        for _ in 0..frames {
            w.write_frame(&payload).await?;
        }
        w.close().await
    })?;
    let got = joined(reader, "reader")?;
    let elapsed = start.elapsed();
    let expected = if framing.is_some() || t.is_message() {
        frames
    } else {
        frames * size as u64
    };
    if got != expected {
        return Err(io::Error::other(format!(
            "reader received {got} of {expected} expected units"
        )));
    }
    Ok(elapsed)
}

/// See [`Flavour::round_trip`](super::Flavour::round_trip).
pub(crate) fn round_trip<R: Runtime>(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    iters: u64,
) -> io::Result<Duration> {
    check_size(t, size)?;
    let DuplexPair { a, b } = DuplexPair::new(t)?;
    let echo_framing = framing.cloned();
    let echo = thread::spawn(move || -> io::Result<()> {
        pin_to_cpu(1);
        let exec = R::exec()?;
        R::block_on(&exec, async move {
            let (rx, tx) = b;
            let mut r = Rx::<R>::open(t, echo_framing.as_ref(), rx, size)?;
            let mut w = Tx::<R>::open(t, echo_framing.as_ref(), tx)?;
            let reply = vec![0xa5u8; size];
            while let Some(n) = r.read_frame(size).await? {
                w.write_frame(&reply[..n.min(size)]).await?;
                w.flush().await?;
            }
            w.close().await
        })
    });
    pin_to_cpu(0);
    let exec = R::exec()?;
    let payload = vec![0x5au8; size];
    let elapsed = R::block_on(&exec, async {
        let (rx, tx) = a;
        let mut r = Rx::<R>::open(t, framing, rx, size)?;
        let mut w = Tx::<R>::open(t, framing, tx)?;
        // One warm-up exchange outside the timing.
        w.write_frame(&payload).await?;
        w.flush().await?;
        r.read_frame(size).await?;
        let start = Instant::now();
        for _ in 0..iters {
            w.write_frame(&payload).await?;
            w.flush().await?;
            match r.read_frame(size).await? {
                Some(n) if n == size => {}
                _ => return Err(io::Error::other("echo lost a frame")),
            }
        }
        let elapsed = start.elapsed();
        w.close().await?;
        Ok(elapsed)
    })?;
    joined(echo, "echo")?;
    Ok(elapsed)
}

/// A message-mode reader of async runtime `Rt`: a seqpacket socket or a packet pipe's read
/// end. Every call of the async message types' read and write methods in this crate is in
/// these two types.
pub(crate) enum MsgRx<Rt: Reactor> {
    Seq(AsyncSeqpacketStream<Rt>),
    Packet(AsyncPacketReader<Rt>),
}

/// A message-mode writer of async runtime `Rt`: a seqpacket socket or a packet pipe's write
/// end.
pub(crate) enum MsgTx<Rt: Reactor> {
    Seq(AsyncSeqpacketStream<Rt>),
    Packet(AsyncPacketWriter<Rt>),
}

impl<Rt: Reactor> MsgRx<Rt> {
    pub(crate) fn new(t: Transport, fd: File) -> io::Result<Self> {
        let fd = std::os::fd::OwnedFd::from(fd);
        Ok(match t {
            Transport::Seqpacket => MsgRx::Seq(AsyncSeqpacketStream::from_std(fd.try_into()?)?),
            _ => MsgRx::Packet(AsyncPacketReader::from_std(fd.try_into()?)?),
        })
    }
}

impl<Rt: Reactor> MsgTx<Rt> {
    pub(crate) fn new(t: Transport, fd: File) -> io::Result<Self> {
        let fd = std::os::fd::OwnedFd::from(fd);
        Ok(match t {
            Transport::Seqpacket => MsgTx::Seq(AsyncSeqpacketStream::from_std(fd.try_into()?)?),
            _ => MsgTx::Packet(AsyncPacketWriter::from_std(fd.try_into()?)?),
        })
    }
}

impl<Rt: Reactor> FrameRx for MsgRx<Rt> {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        let frame = match self {
            MsgRx::Seq(s) => s.read_frame().await?,
            MsgRx::Packet(p) => p.read_frame().await?,
        };
        Ok(frame.map(|f| f.len()))
    }
}

impl<Rt: Reactor> FrameTx for MsgTx<Rt> {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match self {
            MsgTx::Seq(s) => s.write_frame(payload).await,
            MsgTx::Packet(p) => p.write_frame(payload).await,
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts a seqpacket socket down for writing; closes a packet pipe's end.
    async fn close(self) -> io::Result<()> {
        match self {
            MsgTx::Seq(s) => s.shutdown_write(),
            MsgTx::Packet(p) => {
                drop(p);
                Ok(())
            }
        }
    }
}
