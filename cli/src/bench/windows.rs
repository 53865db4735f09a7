//! The Windows transports, blocking flavour: a named pipe in byte mode (`pipe`) and in
//! message mode (`pipe-message`), an anonymous pipe (`anon-pipe`, `std::io::pipe`, which is
//! `CreatePipe`), and TCP loopback (`tcp`).
//!
//! "Raw" is the same as on Unix: one `WriteFile` of `size` bytes per frame through no
//! pipeframe type; the reader reads into a 64 KiB buffer (at least `size`) and counts bytes, or
//! on the message pipe makes one read per message (the buffer always holds a whole message).
//! "Framed" is the library's blocking codec reader and writer on byte streams, and
//! `message::MessagePipe` on the message pipe.
//!
//! Named pipes are made the library's way (`named::ListenOptions` / `ConnectOptions`, with
//! overlapped handles), one new pipe name per measurement. A stream ends for the reader when
//! the writer's last handle closes (a named pipe has no half-close; the TCP writer is shut
//! down for writing, since the round trip keeps its reading half open).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::codec::Framing;
use pipeframe::message::MessagePipe;
use pipeframe::named::{ConnectOptions, ListenOptions, PipeName, PipeStream};
use pipeframe::sync::{FrameReader, FrameWriter};

use super::{Transport, pin_to_cpu};

/// A reading end before it is opened raw or framed.
enum REnd {
    Bytes(Box<dyn Read + Send>),
    Msg(PipeStream),
}

/// A writing end before it is opened raw or framed; `shut` is shut down for writing at the
/// end (TCP), after the writer is dropped.
struct WEnd {
    kind: WKind,
    shut: Option<TcpStream>,
}

enum WKind {
    Bytes(Box<dyn Write + Send>),
    Msg(PipeStream),
}

fn bytes_w(w: impl Write + Send + 'static) -> WEnd {
    WEnd {
        kind: WKind::Bytes(Box::new(w)),
        shut: None,
    }
}

/// A named pipe server and client connected to each other: (server, client).
fn named_pair(message: bool) -> io::Result<(PipeStream, PipeStream)> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = PipeName::new(&format!(
        "pipeframe-bench-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))?;
    let listener = ListenOptions::new().message(message).bind(&name)?;
    let client = thread::spawn({
        let name = name.clone();
        move || {
            ConnectOptions::new()
                .message(message)
                .timeout(Duration::from_secs(10))
                .connect(&name)
        }
    });
    let server = listener.accept()?;
    let client = client
        .join()
        .map_err(|_| io::Error::other("connecting thread panicked"))??;
    Ok((server, client))
}

fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let a = TcpStream::connect(listener.local_addr()?)?;
    let (b, _) = listener.accept()?;
    a.set_nodelay(true)?;
    b.set_nodelay(true)?;
    Ok((a, b))
}

/// One direction over `t`: what is written to the second end arrives at the first.
fn one_way(t: Transport) -> io::Result<(REnd, WEnd)> {
    Ok(match t {
        Transport::Pipe => {
            let (s, c) = named_pair(false)?;
            (REnd::Bytes(Box::new(s)), bytes_w(c))
        }
        Transport::PipeMessage => {
            let (s, c) = named_pair(true)?;
            (
                REnd::Msg(s),
                WEnd {
                    kind: WKind::Msg(c),
                    shut: None,
                },
            )
        }
        Transport::AnonPipe => {
            let (r, w) = io::pipe()?;
            (REnd::Bytes(Box::new(r)), bytes_w(w))
        }
        Transport::Tcp => {
            let (r, w) = tcp_pair()?;
            (REnd::Bytes(Box::new(r)), bytes_w(w))
        }
    })
}

/// Both directions over `t`: two sides, each (read, write).
fn duplex(t: Transport) -> io::Result<((REnd, WEnd), (REnd, WEnd))> {
    Ok(match t {
        Transport::AnonPipe => {
            let (ab_r, ab_w) = one_way(t)?;
            let (ba_r, ba_w) = one_way(t)?;
            ((ba_r, ab_w), (ab_r, ba_w))
        }
        Transport::Pipe | Transport::PipeMessage => {
            let message = t == Transport::PipeMessage;
            let (s, c) = named_pair(message)?;
            let side = |p: PipeStream| -> io::Result<(REnd, WEnd)> {
                let w = p.try_clone()?;
                Ok(if message {
                    (
                        REnd::Msg(p),
                        WEnd {
                            kind: WKind::Msg(w),
                            shut: None,
                        },
                    )
                } else {
                    (REnd::Bytes(Box::new(p)), bytes_w(w))
                })
            };
            (side(c)?, side(s)?)
        }
        Transport::Tcp => {
            let (a, b) = tcp_pair()?;
            let side = |s: TcpStream| -> io::Result<(REnd, WEnd)> {
                let w = s.try_clone()?;
                let shut = s.try_clone()?;
                Ok((
                    REnd::Bytes(Box::new(s)),
                    WEnd {
                        kind: WKind::Bytes(Box::new(w)),
                        shut: Some(shut),
                    },
                ))
            };
            (side(a)?, side(b)?)
        }
    })
}

/// The largest message a framed message-mode end accepts: room for `size`.
fn msg_pipe(p: PipeStream, size: usize) -> io::Result<MessagePipe> {
    let p = MessagePipe::new(p)?;
    let max = p.max_frame_len().max(size);
    Ok(p.with_max_frame_len(max))
}

/// A reading end: raw, codec or message mode.
enum Rx {
    Raw {
        r: Box<dyn Read + Send>,
        message: bool,
        buf: Vec<u8>,
    },
    Codec(FrameReader<Box<dyn Read + Send>, Framing>),
    Msg(MessagePipe),
}

impl Rx {
    fn open(end: REnd, framing: Option<&Framing>, size: usize) -> io::Result<Rx> {
        Ok(match (end, framing) {
            (REnd::Bytes(r), None) => Rx::Raw {
                r,
                message: false,
                buf: vec![0; size.max(64 * 1024)],
            },
            (REnd::Msg(p), None) => Rx::Raw {
                r: Box::new(p),
                message: true,
                buf: vec![0; size.max(64 * 1024)],
            },
            (REnd::Bytes(r), Some(f)) => Rx::Codec(FrameReader::new(r, f.clone())),
            (REnd::Msg(p), Some(_)) => Rx::Msg(msg_pipe(p, size)?),
        })
    }

    /// The next frame's length, `None` at the end. Raw: one read (a message), or exactly
    /// `size` bytes on byte streams.
    fn read_frame(&mut self, size: usize) -> io::Result<Option<usize>> {
        match self {
            Rx::Raw { r, message, buf } => {
                if *message {
                    let n = r.read(buf)?;
                    return Ok((n != 0).then_some(n));
                }
                let mut got = 0;
                while got < size {
                    match r.read(&mut buf[got..size])? {
                        0 => return Ok(None),
                        n => got += n,
                    }
                }
                Ok(Some(size))
            }
            Rx::Codec(r) => Ok(r.read_frame_ref()?.map(<[u8]>::len)),
            Rx::Msg(p) => Ok(p.read_frame()?.map(|f| f.len())),
        }
    }

    /// Reads to the end; counts bytes (raw on a byte stream) or frames of `size` bytes.
    fn drain(&mut self, size: usize) -> io::Result<u64> {
        let mut n = 0u64;
        if let Rx::Raw {
            r,
            message: false,
            buf,
        } = self
        {
            loop {
                match r.read(buf)? {
                    0 => return Ok(n),
                    k => n += k as u64,
                }
            }
        }
        while let Some(len) = self.read_frame(size)? {
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

/// A writing end: raw, codec or message mode, and the socket to shut down at the end.
struct Tx {
    w: TxKind,
    shut: Option<TcpStream>,
}

// One per side, made once before the timing: its size does not matter, a box would add an
// indirection to every framed write.
#[allow(clippy::large_enum_variant)]
enum TxKind {
    Raw(Box<dyn Write + Send>),
    Codec(FrameWriter<Box<dyn Write + Send>, Framing>),
    Msg(MessagePipe),
}

impl Tx {
    fn open(end: WEnd, framing: Option<&Framing>, size: usize) -> io::Result<Tx> {
        let w = match (end.kind, framing) {
            (WKind::Bytes(w), None) => TxKind::Raw(w),
            (WKind::Msg(p), None) => TxKind::Raw(Box::new(p)),
            (WKind::Bytes(w), Some(f)) => TxKind::Codec(FrameWriter::new(w, f.clone())),
            (WKind::Msg(p), Some(_)) => TxKind::Msg(msg_pipe(p, size)?),
        };
        Ok(Tx { w, shut: end.shut })
    }

    /// One frame (raw: one write of the payload; on the message pipe one message).
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match &mut self.w {
            TxKind::Raw(w) => w.write_all(payload),
            TxKind::Codec(w) => w.write_frame(payload),
            TxKind::Msg(p) => p.write_frame(payload),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.w {
            TxKind::Codec(w) => w.flush(),
            TxKind::Raw(_) | TxKind::Msg(_) => Ok(()),
        }
    }

    /// Flushes and ends the stream: drops the writer (its pipe handle), shuts TCP down.
    fn close(self) -> io::Result<()> {
        match self.w {
            TxKind::Codec(w) => drop(w.finish()?),
            w => drop(w),
        }
        match self.shut {
            Some(s) => s.shutdown(Shutdown::Write),
            None => Ok(()),
        }
    }
}

fn joined<T>(h: thread::JoinHandle<io::Result<T>>, who: &str) -> io::Result<T> {
    h.join()
        .map_err(|_| io::Error::other(format!("{who} thread panicked")))?
}

/// See [`Flavour::throughput`](super::Flavour::throughput).
pub(crate) fn throughput(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    frames: u64,
) -> io::Result<Duration> {
    if t.is_message() && size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "raw reads cannot tell an empty message from the end",
        ));
    }
    let (rx, tx) = one_way(t)?;
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let reader_framing = framing.cloned();
    let reader = thread::spawn(move || -> io::Result<u64> {
        pin_to_cpu(1);
        let mut r = Rx::open(rx, reader_framing.as_ref(), size)?;
        let _ = ready_tx.send(());
        r.drain(size)
    });
    let _ = ready_rx.recv();
    pin_to_cpu(0);
    let payload = vec![0xa5u8; size];
    let start = Instant::now();
    let mut w = Tx::open(tx, framing, size)?;
    for _ in 0..frames {
        w.write_frame(&payload)?;
    }
    w.close()?;
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
pub(crate) fn round_trip(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    iters: u64,
) -> io::Result<Duration> {
    if t.is_message() && size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "raw reads cannot tell an empty message from the end",
        ));
    }
    let (a, b) = duplex(t)?;
    let echo_framing = framing.cloned();
    let echo = thread::spawn(move || -> io::Result<()> {
        pin_to_cpu(1);
        let (rx, tx) = b;
        let mut r = Rx::open(rx, echo_framing.as_ref(), size)?;
        let mut w = Tx::open(tx, echo_framing.as_ref(), size)?;
        let reply = vec![0xa5u8; size];
        while let Some(n) = r.read_frame(size)? {
            w.write_frame(&reply[..n.min(size)])?;
            w.flush()?;
        }
        drop(r);
        w.close()
    });
    pin_to_cpu(0);
    let payload = vec![0x5au8; size];
    let (rx, tx) = a;
    let mut r = Rx::open(rx, framing, size)?;
    let mut w = Tx::open(tx, framing, size)?;
    // One warm-up exchange outside the timing.
    w.write_frame(&payload)?;
    w.flush()?;
    r.read_frame(size)?;
    let start = Instant::now();
    for _ in 0..iters {
        w.write_frame(&payload)?;
        w.flush()?;
        match r.read_frame(size)? {
            Some(n) if n == size => {}
            _ => return Err(io::Error::other("echo lost a frame")),
        }
    }
    let elapsed = start.elapsed();
    // Both handles of a named pipe side must go for the echo to read the end.
    drop(r);
    w.close()?;
    joined(echo, "echo")?;
    Ok(elapsed)
}
