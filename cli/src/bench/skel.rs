//! The measuring skeletons, compiled on every OS and run by every flavour: a [`Sides`] says
//! how a flavour makes a pair, runs a side on a thread and opens its ends; [`throughput`] and
//! [`round_trip`] do the rest (threads, pinning, timing, the counts check) the same way for
//! all of them.

use std::future::Future;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::codec::Framing;

use super::{Transport, pin_to_cpu};

/// A reading end: raw, codec or message mode.
pub(crate) trait Reader {
    /// The next frame's length, `None` at the end. Raw: one read (a message), or exactly
    /// `size` bytes on stream transports.
    async fn read_frame(&mut self, size: usize) -> io::Result<Option<usize>>;

    /// A raw end on a stream transport: one `read` into its buffer (the byte count, 0 at the
    /// end). Anything else returns `None`: it counts frames, not bytes.
    async fn read_bytes(&mut self) -> Option<io::Result<usize>> {
        None
    }

    /// Reads frames of `size` bytes to the end of the stream and counts them. Ends override
    /// it to loop inside their own type, so the measuring skeleton adds no per-frame
    /// dispatch (an `async` call through the harness's enums cost as much as the library's
    /// own per-frame work at 64 B).
    async fn count_frames(&mut self, size: usize) -> io::Result<u64> {
        let mut n = 0u64;
        while let Some(len) = self.read_frame(size).await? {
            check_len(len, size)?;
            n += 1;
        }
        Ok(n)
    }
}

/// A frame of `len` bytes where `size` were written: the transfer went wrong.
pub(crate) fn check_len(len: usize, size: usize) -> io::Result<()> {
    if len == size {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "frame of {len} bytes, expected {size}"
        )))
    }
}

/// A writing end: raw, codec or message mode.
pub(crate) trait Writer {
    /// One frame (raw: one write of the payload).
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()>;
    /// `n` frames of `payload`, the throughput loop; overridden like
    /// [`Reader::count_frames`], so that the loop runs inside the end's own type.
    async fn write_frames(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        for _ in 0..n {
            self.write_frame(payload).await?;
        }
        Ok(())
    }
    /// Sends what is queued.
    async fn flush(&mut self) -> io::Result<()>;
    /// Flushes and ends the stream: the peer reads end of stream.
    async fn close(self) -> io::Result<()>;
}

/// One side of a round trip that reads and writes through separate ends.
pub(crate) struct Both<R, W>(pub(crate) R, pub(crate) W);

impl<R: Reader, W: Writer> Reader for Both<R, W> {
    async fn read_frame(&mut self, size: usize) -> io::Result<Option<usize>> {
        self.0.read_frame(size).await
    }
}

impl<R: Reader, W: Writer> Writer for Both<R, W> {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.1.write_frame(payload).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.1.flush().await
    }

    /// Drops the reader first (both handles of a Windows named pipe side must go for the peer
    /// to read the end), then closes the writer.
    async fn close(self) -> io::Result<()> {
        drop(self.0);
        self.1.close().await
    }
}

/// One flavour on this OS: its pairs, its executor and its ends.
pub(crate) trait Sides: 'static {
    /// What runs one side's future (one per thread).
    type Exec;
    /// The reading end of a one-way pair, before it is opened.
    type RxEnd: Send + 'static;
    /// The writing end of a one-way pair, before it is opened.
    type TxEnd;
    /// One side of a duplex pair, before it is opened.
    type Duplex: Send + 'static;
    /// An opened reading end.
    type Rx: Reader;
    /// An opened writing end.
    type Tx: Writer;
    /// An opened duplex side.
    type Conn: Reader + Writer;

    /// A new executor for this thread.
    fn exec() -> io::Result<Self::Exec>;
    /// Runs `f` to completion.
    fn block_on<F: Future>(exec: &Self::Exec, f: F) -> F::Output;
    /// One direction over `t`: (reading end, writing end).
    fn one_way(t: Transport) -> io::Result<(Self::RxEnd, Self::TxEnd)>;
    /// Both directions over `t`: (the timed side, the echoing side).
    fn duplex(t: Transport) -> io::Result<(Self::Duplex, Self::Duplex)>;
    /// Opens a reading end: raw without `framing`, else framed (call inside the runtime).
    fn open_rx(
        t: Transport,
        framing: Option<&Framing>,
        end: Self::RxEnd,
        size: usize,
    ) -> io::Result<Self::Rx>;
    /// Opens a writing end like [`open_rx`](Self::open_rx).
    fn open_tx(
        t: Transport,
        framing: Option<&Framing>,
        end: Self::TxEnd,
        size: usize,
    ) -> io::Result<Self::Tx>;
    /// Opens a duplex side like [`open_rx`](Self::open_rx).
    fn open_conn(
        t: Transport,
        framing: Option<&Framing>,
        side: Self::Duplex,
        size: usize,
    ) -> io::Result<Self::Conn>;
}

/// Opens a duplex side of separate ends, reading end first: the
/// [`open_conn`](Sides::open_conn) of a flavour whose `Conn` is a [`Both`].
pub(crate) fn open_both<S>(
    t: Transport,
    framing: Option<&Framing>,
    (rx, tx): (S::RxEnd, S::TxEnd),
    size: usize,
) -> io::Result<Both<S::Rx, S::Tx>>
where
    S: Sides<Duplex = (<S as Sides>::RxEnd, <S as Sides>::TxEnd)>,
{
    let r = S::open_rx(t, framing, rx, size)?;
    Ok(Both(r, S::open_tx(t, framing, tx, size)?))
}

/// Runs a blocking side's future: polls once, since blocking calls never return `Pending`.
pub(crate) fn poll_once<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("a blocking side never waits on a waker"),
    }
}

/// A connected TCP loopback pair (`127.0.0.1`, `TCP_NODELAY`).
pub(crate) fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let a = TcpStream::connect(listener.local_addr()?)?;
    let (b, _) = listener.accept()?;
    a.set_nodelay(true)?;
    b.set_nodelay(true)?;
    Ok((a, b))
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
            "{transport} cannot carry empty messages (a raw read cannot tell one from the end)"
        )));
    }
    Ok(())
}

fn joined<T>(h: thread::JoinHandle<io::Result<T>>, who: &str) -> io::Result<T> {
    h.join()
        .map_err(|_| io::Error::other(format!("{who} thread panicked")))?
}

/// Reads `r` to the end; counts bytes (raw on a stream transport) or frames of `size` bytes
/// (framed, or raw messages).
async fn drain(r: &mut impl Reader, size: usize) -> io::Result<u64> {
    let mut n = 0u64;
    while let Some(res) = r.read_bytes().await {
        match res? {
            0 => return Ok(n),
            k => n += k as u64,
        }
    }
    n += r.count_frames(size).await?;
    Ok(n)
}

/// See [`Flavour::throughput`](super::Flavour::throughput).
pub(crate) fn throughput<S: Sides>(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    frames: u64,
) -> io::Result<Duration> {
    check_size(t, size)?;
    let (rx, tx) = S::one_way(t)?;
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let reader_framing = framing.cloned();
    let reader = thread::spawn(move || -> io::Result<u64> {
        pin_to_cpu(1);
        let exec = S::exec()?;
        S::block_on(&exec, async move {
            let mut r = S::open_rx(t, reader_framing.as_ref(), rx, size)?;
            let _ = ready_tx.send(());
            drain(&mut r, size).await
        })
    });
    let _ = ready_rx.recv();
    pin_to_cpu(0);
    let exec = S::exec()?;
    let payload = vec![0xa5u8; size];
    let start = Instant::now();
    S::block_on(&exec, async {
        let mut w = S::open_tx(t, framing, tx, size)?;
        w.write_frames(&payload, frames).await?;
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
pub(crate) fn round_trip<S: Sides>(
    t: Transport,
    framing: Option<&Framing>,
    size: usize,
    iters: u64,
) -> io::Result<Duration> {
    check_size(t, size)?;
    let (a, b) = S::duplex(t)?;
    let echo_framing = framing.cloned();
    let echo = thread::spawn(move || -> io::Result<()> {
        pin_to_cpu(1);
        let exec = S::exec()?;
        S::block_on(&exec, async move {
            let mut e = S::open_conn(t, echo_framing.as_ref(), b, size)?;
            let reply = vec![0xa5u8; size];
            while let Some(n) = e.read_frame(size).await? {
                e.write_frame(&reply[..n.min(size)]).await?;
                e.flush().await?;
            }
            e.close().await
        })
    });
    pin_to_cpu(0);
    let exec = S::exec()?;
    let payload = vec![0x5au8; size];
    let elapsed = S::block_on(&exec, async {
        let mut e = S::open_conn(t, framing, a, size)?;
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
