//! The flavours' ends, written once for all of them and for both OSes: a [`Runtime`] says how
//! a flavour runs a side and opens each kind of end on one of the OS's [`Ends`]; [`Rx`] and
//! [`Tx`] put the raw baseline and the framed ends behind one interface, so raw means the same
//! everywhere. Every `Runtime` is a [`Sides`], measured by the loops of `skel`. What differs
//! per OS (how ends are made and paired, how a writer ends its stream, the async message-mode
//! ends) lives in `pair`.

use std::future::Future;
use std::io;

use pipeframe::codec::Framing;

use super::Transport;
use super::pair::Ender;
use super::skel::{Both, Reader, Sides, Writer, check_len, open_both};

/// A transport's end before a flavour opens it, and how connected ends are made: a
/// descriptor on Unix; on Windows a named pipe of the flavour's own type, an anonymous pipe
/// end or a socket (see `pair`).
pub(crate) trait Ends: Sized + Send + 'static {
    /// One direction over `t`: (reading end, writing end).
    fn one_way(t: Transport) -> io::Result<(Self, Self)>;
    /// Both directions over `t`: two sides, each (reading end, writing end).
    fn duplex(t: Transport) -> io::Result<((Self, Self), (Self, Self))>;
    /// How this writing end of `t` ends its stream for the peer.
    fn ender(&self, t: Transport) -> io::Result<Ender>;
}

/// Plain reads and writes on an end registered with a flavour's runtime.
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

    /// Frames of `size` bytes to the end, counted (see [`Reader::count_frames`]).
    async fn count(&mut self, size: usize) -> io::Result<u64> {
        let mut n = 0u64;
        while let Some(len) = self.next_len().await? {
            check_len(len, size)?;
            n += 1;
        }
        Ok(n)
    }
}

/// A library frame writer.
pub(crate) trait FrameTx {
    /// Writes (or queues) one frame.
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()>;
    /// Writes `n` frames of `payload` (see [`Writer::write_frames`]).
    async fn write_n(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        for _ in 0..n {
            self.write_frame(payload).await?;
        }
        Ok(())
    }
    /// Sends what is queued.
    async fn flush(&mut self) -> io::Result<()>;
    /// Flushes, then ends the stream for the peer.
    async fn close(self) -> io::Result<()>;
}

/// One flavour: how it runs a side on a thread, and how it opens each kind of end.
pub(crate) trait Runtime: 'static {
    /// What runs one side's future (one per thread).
    type Exec;
    /// The ends it opens, as this OS's pairs hand them out.
    type End: Ends;
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
    fn raw(t: Transport, end: Self::End, read: bool) -> io::Result<Self::Raw>;
    /// A codec reader.
    fn codec_rx(t: Transport, end: Self::End, framing: Framing) -> io::Result<Self::CodecRx>;
    /// A codec writer.
    fn codec_tx(t: Transport, end: Self::End, framing: Framing) -> io::Result<Self::CodecTx>;
    /// A message-mode reader.
    fn msg_rx(t: Transport, end: Self::End) -> io::Result<Self::MsgRx>;
    /// A message-mode writer.
    fn msg_tx(t: Transport, end: Self::End) -> io::Result<Self::MsgTx>;
}

/// A reading end: raw, codec or message mode.
pub(crate) enum Rx<R: Runtime> {
    /// On a stream transport the raw reader fills its buffer before reusing it (`at`: where
    /// the next read goes), as a receiver that keeps what it reads must: a reader that read
    /// every time into the start of its buffer would keep its first pages in cache, which no
    /// reader of whole frames can (1 MiB frames over a Unix socket: 11.0 against 9.2 GB/s).
    Raw {
        io: R::Raw,
        message: bool,
        buf: Vec<u8>,
        at: usize,
    },
    Codec(R::CodecRx),
    Msg(R::MsgRx),
}

impl<R: Runtime> Rx<R> {
    /// Opens `fd`: raw without `framing`, else message mode on message transports and the
    /// codec on stream transports. Call inside the runtime.
    fn open(t: Transport, framing: Option<&Framing>, fd: R::End, size: usize) -> io::Result<Self> {
        Ok(match framing {
            None => Rx::Raw {
                io: R::raw(t, fd, true)?,
                message: t.is_message(),
                buf: vec![0; size.max(64 * 1024)],
                at: 0,
            },
            Some(_) if t.is_message() => Rx::Msg(R::msg_rx(t, fd)?),
            Some(f) => Rx::Codec(R::codec_rx(t, fd, f.clone())?),
        })
    }
}

impl<R: Runtime> Reader for Rx<R> {
    async fn read_frame(&mut self, size: usize) -> io::Result<Option<usize>> {
        match self {
            Rx::Raw {
                io, message, buf, ..
            } => {
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

    async fn count_frames(&mut self, size: usize) -> io::Result<u64> {
        match self {
            Rx::Codec(r) => r.count(size).await,
            Rx::Msg(r) => r.count(size).await,
            // Raw messages: one read each, looped here like the framed ends' own loops.
            Rx::Raw {
                io,
                message: true,
                buf,
                ..
            } => {
                let mut n = 0u64;
                loop {
                    match io.read(buf, true).await? {
                        0 => return Ok(n),
                        len => check_len(len, size)?,
                    }
                    n += 1;
                }
            }
            Rx::Raw { .. } => {
                let mut n = 0u64;
                while let Some(len) = self.read_frame(size).await? {
                    check_len(len, size)?;
                    n += 1;
                }
                Ok(n)
            }
        }
    }

    async fn read_bytes(&mut self) -> Option<io::Result<usize>> {
        match self {
            Rx::Raw {
                io,
                message: false,
                buf,
                at,
            } => {
                let res = io.read(&mut buf[*at..], false).await;
                if let Ok(n) = res {
                    *at = if *at + n == buf.len() { 0 } else { *at + n };
                }
                Some(res)
            }
            _ => None,
        }
    }
}

/// A writing end: raw (with how it ends), codec or message mode.
pub(crate) enum Tx<R: Runtime> {
    Raw(R::Raw, Ender),
    Codec(R::CodecTx),
    Msg(R::MsgTx),
}

impl<R: Runtime> Tx<R> {
    /// Opens `fd` like [`Rx::open`].
    fn open(t: Transport, framing: Option<&Framing>, fd: R::End) -> io::Result<Self> {
        Ok(match framing {
            None => {
                let ender = fd.ender(t)?;
                Tx::Raw(R::raw(t, fd, false)?, ender)
            }
            Some(_) if t.is_message() => Tx::Msg(R::msg_tx(t, fd)?),
            Some(f) => Tx::Codec(R::codec_tx(t, fd, f.clone())?),
        })
    }
}

impl<R: Runtime> Writer for Tx<R> {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        match self {
            Tx::Raw(io, _) => io.write_all(payload).await,
            Tx::Codec(w) => w.write_frame(payload).await,
            Tx::Msg(w) => w.write_frame(payload).await,
        }
    }

    async fn write_frames(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        match self {
            Tx::Raw(io, _) => {
                for _ in 0..n {
                    io.write_all(payload).await?;
                }
                Ok(())
            }
            Tx::Codec(w) => w.write_n(payload, n).await,
            Tx::Msg(w) => w.write_n(payload, n).await,
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self {
            Tx::Raw(..) => Ok(()),
            Tx::Codec(w) => w.flush().await,
            Tx::Msg(w) => w.flush().await,
        }
    }

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

/// Every [`Runtime`] measures through the shared skeletons, on the pairs of its [`Ends`].
impl<R: Runtime> Sides for R {
    type Exec = R::Exec;
    type RxEnd = R::End;
    type TxEnd = R::End;
    type Duplex = (R::End, R::End);
    type Rx = Rx<R>;
    type Tx = Tx<R>;
    type Conn = Both<Rx<R>, Tx<R>>;

    fn exec() -> io::Result<R::Exec> {
        R::exec()
    }

    fn block_on<F: Future>(exec: &R::Exec, f: F) -> F::Output {
        R::block_on(exec, f)
    }

    fn one_way(t: Transport) -> io::Result<(R::End, R::End)> {
        R::End::one_way(t)
    }

    fn duplex(t: Transport) -> io::Result<(Self::Duplex, Self::Duplex)> {
        R::End::duplex(t)
    }

    fn open_rx(t: Transport, f: Option<&Framing>, fd: R::End, size: usize) -> io::Result<Rx<R>> {
        Rx::open(t, f, fd, size)
    }

    fn open_tx(t: Transport, f: Option<&Framing>, fd: R::End, _: usize) -> io::Result<Tx<R>> {
        Tx::open(t, f, fd)
    }

    fn open_conn(
        t: Transport,
        f: Option<&Framing>,
        fds: Self::Duplex,
        n: usize,
    ) -> io::Result<Self::Conn> {
        open_both::<R>(t, f, fds, n)
    }
}
