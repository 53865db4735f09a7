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
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::codec::Framing;
use pipeframe::named::tokio::{self as named_tokio, PipeStream};
use pipeframe::named::{ConnectOptions, ListenOptions, PipeName};
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Transport, pin_to_cpu};

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
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            let a = std::net::TcpStream::connect(listener.local_addr()?)?;
            let (b, _) = listener.accept()?;
            for s in [&a, &b] {
                s.set_nodelay(true)?;
                s.set_nonblocking(true)?;
            }
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
enum End {
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
    Msg(PipeStream),
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
                let max = p.max_frame_len().max(size);
                End::Msg(p.with_max_frame_len(max))
            }
        }
    }

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

    /// Reads to the end; counts bytes (raw bytes) or frames of `size` bytes.
    async fn drain(&mut self, size: usize) -> io::Result<u64> {
        let mut n = 0u64;
        if let End::Raw { r, buf, .. } = self {
            loop {
                match r.read(buf).await? {
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

/// Runs `f` on a new thread with its own runtime, pinned to `cpu`.
fn on_thread<T: Send + 'static, F: Future<Output = io::Result<T>> + 'static>(
    cpu: usize,
    f: impl FnOnce() -> F + Send + 'static,
) -> thread::JoinHandle<io::Result<T>> {
    thread::spawn(move || {
        pin_to_cpu(cpu);
        runtime()?.block_on(f())
    })
}

fn joined<T>(h: thread::JoinHandle<io::Result<T>>, who: &str) -> io::Result<T> {
    h.join()
        .map_err(|_| io::Error::other(format!("{who} thread panicked")))?
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
enum SideMaker {
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

fn check(t: Transport, size: usize) -> io::Result<()> {
    if t.is_message() && size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "raw reads cannot tell an empty message from the end",
        ));
    }
    Ok(())
}

/// See [`Flavour::throughput`](super::Flavour::throughput).
pub(crate) fn throughput(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    frames: u64,
) -> io::Result<Duration> {
    check(t, size)?;
    let (rx, tx) = sides(pair(t)?);
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let reader_framing = framing.cloned();
    let reader = on_thread(1, move || async move {
        let mut r = End::open(rx.make()?, reader_framing.as_ref(), size);
        let _ = ready_tx.send(());
        r.drain(size).await
    });
    let _ = ready_rx.recv();
    pin_to_cpu(0);
    let payload = vec![0xa5u8; size];
    let rt = runtime()?;
    let start = Instant::now();
    rt.block_on(async {
        let mut w = End::open(tx.make()?, framing, size);
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
pub(crate) fn round_trip(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    iters: u64,
) -> io::Result<Duration> {
    check(t, size)?;
    let (b, a) = sides(pair(t)?);
    let echo_framing = framing.cloned();
    let echo = on_thread(1, move || async move {
        let mut e = End::open(b.make()?, echo_framing.as_ref(), size);
        let reply = vec![0xa5u8; size];
        while let Some(n) = e.read_frame(size).await? {
            e.write_frame(&reply[..n.min(size)]).await?;
            e.flush().await?;
        }
        e.close().await
    });
    pin_to_cpu(0);
    let payload = vec![0x5au8; size];
    let elapsed = runtime()?.block_on(async {
        let mut e = End::open(a.make()?, framing, size);
        // One warm-up exchange outside the timing.
        e.write_frame(&payload).await?;
        e.flush().await?;
        e.read_frame(size).await?;
        let start = Instant::now();
        for _ in 0..iters {
            e.write_frame(&payload).await?;
            e.flush().await?;
            match e.read_frame(size).await? {
                Some(n) if n == size => {}
                _ => return Err(io::Error::other("echo lost a frame")),
            }
        }
        let elapsed = start.elapsed();
        e.close().await?;
        Ok(elapsed)
    })?;
    joined(echo, "echo")?;
    Ok(elapsed)
}
