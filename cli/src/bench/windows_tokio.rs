//! The Windows transports, tokio flavour: a current-thread runtime on each of two threads.
//! Named pipes are `pipeframe::named::tokio` streams (overlapped I/O), in byte mode (`pipe`)
//! and message mode (`pipe-message`); TCP is tokio's `TcpStream`. tokio has no anonymous pipe
//! type on Windows, so `anon-pipe` is not measured in this flavour.
//!
//! Raw and framed mean what they mean in the blocking flavour (see `windows`): raw is the
//! runtime's plain `read`/`write_all` (one read per message on the message pipe), framed is
//! `pipeframe::tokio::AsyncFrameReader` / `AsyncFrameWriter` on byte streams and the stream's
//! own `read_frame` / `write_frame` in message mode.

// The ends here are made once per measurement, outside the timed loop: boxing the large
// variants would only add an indirection to every call inside it.
#![allow(clippy::large_enum_variant)]

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pipeframe::codec::Framing;
use pipeframe::message::tokio::MessagePipe;
use pipeframe::named::tokio::{self as named_tokio, PipeStream};
use pipeframe::named::{ConnectOptions, ListenOptions, PipeName};
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Transport;
use super::skel::{Reader, Sides, Writer, tcp_pair};

type BoxR = Box<dyn AsyncRead + Unpin + Send>;
type BoxW = Box<dyn AsyncWrite + Unpin + Send>;

/// A connected pair, before it is put on the threads' runtimes.
enum Pair {
    Named(PipeStream, PipeStream),
    Tcp(std::net::TcpStream, std::net::TcpStream),
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn unsupported(t: Transport) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{t} is not measured in the tokio flavour (tokio has no Windows anonymous pipe)"),
    )
}

/// A named pipe server and client connected to each other: (server, client).
fn named_pair(message: bool) -> io::Result<(PipeStream, PipeStream)> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = PipeName::new(&format!(
        "pipeframe-bench-tokio-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))?;
    runtime()?.block_on(async {
        let listener =
            named_tokio::Listener::bind_with(&name, &ListenOptions::new().message(message))?;
        let opts = ConnectOptions::new()
            .message(message)
            .timeout(Duration::from_secs(10));
        let (server, client) =
            futures_util::future::join(listener.accept(), named_tokio::connect_with(&name, &opts))
                .await;
        Ok((server?, client?))
    })
}

fn pair(t: Transport) -> io::Result<Pair> {
    Ok(match t {
        Transport::Pipe | Transport::PipeMessage => {
            let (s, c) = named_pair(t == Transport::PipeMessage)?;
            Pair::Named(s, c)
        }
        Transport::Tcp => {
            let (a, b) = tcp_pair()?;
            a.set_nonblocking(true)?;
            b.set_nonblocking(true)?;
            Pair::Tcp(a, b)
        }
        Transport::AnonPipe => return Err(unsupported(t)),
    })
}

/// One side of a connection on this thread's runtime: byte halves, or a message pipe.
enum Side {
    Bytes(BoxR, BoxW),
    Msg(PipeStream),
}

/// A byte-mode named pipe or a TCP socket split into halves (call inside the runtime).
fn pipe_side(p: PipeStream) -> Side {
    if p.is_message() {
        Side::Msg(p)
    } else {
        let (r, w) = tokio::io::split(p);
        Side::Bytes(Box::new(r), Box::new(w))
    }
}

fn tcp_side(s: std::net::TcpStream) -> io::Result<Side> {
    let (r, w) = tokio::net::TcpStream::from_std(s)?.into_split();
    Ok(Side::Bytes(Box::new(r), Box::new(w)))
}

/// What one side sends and receives with.
pub(crate) enum End {
    Raw {
        r: BoxR,
        w: BoxW,
        buf: Vec<u8>,
    },
    RawMsg {
        p: PipeStream,
        buf: Vec<u8>,
    },
    Codec(
        AsyncFrameReader<BoxR, Framing>,
        AsyncFrameWriter<BoxW, Framing>,
    ),
    Msg(MessagePipe),
}

impl End {
    fn open(side: Side, framing: Option<&Framing>, size: usize) -> End {
        let buf = || vec![0; size.max(64 * 1024)];
        match (side, framing) {
            (Side::Bytes(r, w), None) => End::Raw { r, w, buf: buf() },
            (Side::Msg(p), None) => End::RawMsg { p, buf: buf() },
            (Side::Bytes(r, w), Some(f)) => End::Codec(
                AsyncFrameReader::new(r, f.clone()),
                AsyncFrameWriter::new(w, f.clone()),
            ),
            (Side::Msg(p), Some(_)) => {
                let p = MessagePipe::new(p).expect("a message-mode pipe");
                let max = p.max_frame_len().max(size);
                End::Msg(p.with_max_frame_len(max))
            }
        }
    }
}

impl Reader for End {
    /// The next frame's length, `None` at the end (raw bytes: exactly `size` bytes).
    async fn read_frame(&mut self, size: usize) -> io::Result<Option<usize>> {
        match self {
            End::Raw { r, buf, .. } => {
                let mut got = 0;
                while got < size {
                    match r.read(&mut buf[got..size]).await? {
                        0 => return Ok(None),
                        n => got += n,
                    }
                }
                Ok(Some(size))
            }
            End::RawMsg { p, buf } => {
                let n = p.read(buf).await?;
                Ok((n != 0).then_some(n))
            }
            End::Codec(r, _) => Ok(r.read_frame_ref().await?.map(<[u8]>::len)),
            End::Msg(p) => Ok(p.read_frame().await?.map(|f| f.len())),
        }
    }

    async fn read_bytes(&mut self) -> Option<io::Result<usize>> {
        match self {
            End::Raw { r, buf, .. } => Some(r.read(buf).await),
            _ => None,
        }
    }
}

impl Writer for End {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match self {
            End::Raw { w, .. } => w.write_all(payload).await,
            End::RawMsg { p, .. } => {
                let n = p.write(payload).await?;
                if n != payload.len() {
                    return Err(io::Error::other("a raw message write was cut short"));
                }
                Ok(())
            }
            End::Codec(_, w) => w.write_frame(payload).await,
            End::Msg(p) => p.write_frame(payload).await,
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self {
            End::Codec(_, w) => w.flush().await,
            _ => Ok(()),
        }
    }

    /// Flushes and ends the stream for the peer: TCP is shut down for writing, a named pipe
    /// closes with its last handle (this side's, dropped here).
    async fn close(self) -> io::Result<()> {
        match self {
            End::Raw { mut w, .. } => w.shutdown().await,
            End::Codec(_, mut w) => w.close().await,
            End::RawMsg { .. } | End::Msg(_) => Ok(()),
        }
    }
}

/// The two sides of `p` (call each inside its thread's runtime): (first, second) = (server,
/// client) or the two TCP ends.
fn sides(p: Pair) -> (SideMaker, SideMaker) {
    match p {
        Pair::Named(s, c) => (SideMaker::Pipe(s), SideMaker::Pipe(c)),
        Pair::Tcp(a, b) => (SideMaker::Tcp(a), SideMaker::Tcp(b)),
    }
}

/// A side not yet registered with a runtime.
pub(crate) enum SideMaker {
    Pipe(PipeStream),
    Tcp(std::net::TcpStream),
}

impl SideMaker {
    fn make(self) -> io::Result<Side> {
        match self {
            SideMaker::Pipe(p) => Ok(pipe_side(p)),
            SideMaker::Tcp(s) => tcp_side(s),
        }
    }
}

/// The tokio flavour on Windows.
pub(crate) struct Tokio;

/// Every side is a [`SideMaker`] before it is opened and an [`End`] after: a tokio named pipe
/// or socket is not split into two handles, its halves share it.
impl Sides for Tokio {
    type RxEnd = SideMaker;
    type TxEnd = SideMaker;
    type Duplex = SideMaker;
    type Rx = End;
    type Tx = End;
    type Conn = End;
    type Exec = tokio::runtime::Runtime;

    fn exec() -> io::Result<tokio::runtime::Runtime> {
        runtime()
    }

    fn block_on<F: Future>(exec: &tokio::runtime::Runtime, f: F) -> F::Output {
        exec.block_on(f)
    }

    fn one_way(t: Transport) -> io::Result<(SideMaker, SideMaker)> {
        Ok(sides(pair(t)?))
    }

    /// (client, server) or the two TCP ends the other way round.
    fn duplex(t: Transport) -> io::Result<(SideMaker, SideMaker)> {
        let (b, a) = sides(pair(t)?);
        Ok((a, b))
    }

    fn open_rx(_: Transport, f: Option<&Framing>, s: SideMaker, size: usize) -> io::Result<End> {
        Ok(End::open(s.make()?, f, size))
    }

    fn open_tx(_: Transport, f: Option<&Framing>, s: SideMaker, size: usize) -> io::Result<End> {
        Ok(End::open(s.make()?, f, size))
    }

    fn open_conn(_: Transport, f: Option<&Framing>, s: SideMaker, size: usize) -> io::Result<End> {
        Ok(End::open(s.make()?, f, size))
    }
}
