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

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use pipeframe::codec::Framing;
use pipeframe::message::MessagePipe;
use pipeframe::named::{ConnectOptions, ListenOptions, PipeName, PipeStream};
use pipeframe::sync::{FrameReader, FrameWriter};

use super::Transport;
use super::skel::{Both, Reader, Sides, Writer, open_both, poll_once, tcp_pair};

/// A reading end before it is opened raw or framed.
pub(crate) enum REnd {
    Bytes(Box<dyn Read + Send>),
    Msg(PipeStream),
}

/// A writing end before it is opened raw or framed; `shut` is shut down for writing at the
/// end (TCP), after the writer is dropped.
pub(crate) struct WEnd {
    kind: WKind,
    shut: Option<TcpStream>,
}

pub(crate) enum WKind {
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
pub(crate) enum Rx {
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
}

impl Reader for Rx {
    async fn read_frame(&mut self, size: usize) -> io::Result<Option<usize>> {
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

    async fn read_bytes(&mut self) -> Option<io::Result<usize>> {
        match self {
            Rx::Raw {
                r,
                message: false,
                buf,
            } => Some(r.read(buf)),
            _ => None,
        }
    }
}

/// A writing end: raw, codec or message mode, and the socket to shut down at the end.
pub(crate) struct Tx {
    w: TxKind,
    shut: Option<TcpStream>,
}

// One per side, made once before the timing: its size does not matter, a box would add an
// indirection to every framed write.
#[allow(clippy::large_enum_variant)]
pub(crate) enum TxKind {
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
}

impl Writer for Tx {
    /// One frame (raw: one write of the payload; on the message pipe one message).
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match &mut self.w {
            TxKind::Raw(w) => w.write_all(payload),
            TxKind::Codec(w) => w.write_frame(payload),
            TxKind::Msg(p) => p.write_frame(payload),
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match &mut self.w {
            TxKind::Codec(w) => w.flush(),
            TxKind::Raw(_) | TxKind::Msg(_) => Ok(()),
        }
    }

    /// Flushes and ends the stream: drops the writer (its pipe handle), shuts TCP down.
    async fn close(self) -> io::Result<()> {
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

/// The blocking flavour on Windows.
pub(crate) struct Blocking;

impl Sides for Blocking {
    type Exec = ();
    type RxEnd = REnd;
    type TxEnd = WEnd;
    type Duplex = (REnd, WEnd);
    type Rx = Rx;
    type Tx = Tx;
    type Conn = Both<Rx, Tx>;

    fn exec() -> io::Result<()> {
        Ok(())
    }

    fn block_on<F: Future>(_: &(), f: F) -> F::Output {
        poll_once(f)
    }

    fn one_way(t: Transport) -> io::Result<(REnd, WEnd)> {
        one_way(t)
    }

    fn duplex(t: Transport) -> io::Result<((REnd, WEnd), (REnd, WEnd))> {
        duplex(t)
    }

    fn open_rx(_: Transport, f: Option<&Framing>, end: REnd, size: usize) -> io::Result<Rx> {
        Rx::open(end, f, size)
    }

    fn open_tx(_: Transport, f: Option<&Framing>, end: WEnd, size: usize) -> io::Result<Tx> {
        Tx::open(end, f, size)
    }

    fn open_conn(
        t: Transport,
        f: Option<&Framing>,
        ends: Self::Duplex,
        n: usize,
    ) -> io::Result<Self::Conn> {
        open_both::<Self>(t, f, ends, n)
    }
}
