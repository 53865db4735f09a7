//! The Unix ends: connected pairs for each transport, as `File`s (plain `read`/`write`), made
//! with std and the library's public constructors; how a writing end ends its stream; and the
//! async message-mode ends (seqpacket sockets and packet pipes).

use std::fs::File;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use pipeframe::message::{
    AsyncPacketReader, AsyncPacketWriter, AsyncSeqpacketStream, SeqpacketStream, packet_pipe,
};
use pipeframe::rt::Reactor;

use super::Transport;
use super::drive::{Ends, FrameRx, FrameTx};
use super::skel::tcp_pair;

/// One direction: bytes written to `tx` arrive at `rx`.
#[derive(Debug)]
pub struct OneWayPair {
    /// The reading end.
    pub rx: File,
    /// The writing end.
    pub tx: File,
}

/// Both directions: `a` and `b` each read what the other writes. Each side has separate
/// reading and writing handles (two pipes, or a socket and its clone).
#[derive(Debug)]
pub struct DuplexPair {
    /// Side A: (read, write).
    pub a: (File, File),
    /// Side B: (read, write).
    pub b: (File, File),
}

fn files(rx: impl Into<OwnedFd>, tx: impl Into<OwnedFd>) -> OneWayPair {
    OneWayPair {
        rx: File::from(rx.into()),
        tx: File::from(tx.into()),
    }
}

impl OneWayPair {
    /// A connected pair over `t`.
    pub fn new(t: Transport) -> io::Result<Self> {
        Ok(match t {
            Transport::Pipe => {
                let (r, w) = io::pipe()?;
                // As pipeframe's own pipes: raised to the unprivileged maximum where allowed
                // (or to the capacity `pipeframe bench --pipe-capacity` asked for).
                pipeframe::pipe::set_capacity(&w, super::pipe_capacity())?;
                files(r, w)
            }
            Transport::Pipe64k => {
                let (r, w) = io::pipe()?;
                files(r, w)
            }
            Transport::PacketPipe => {
                let (r, w) = packet_pipe()?;
                files(r, w)
            }
            Transport::Unix => {
                let (r, w) = UnixStream::pair()?;
                files(r, w)
            }
            Transport::Seqpacket => {
                let (r, w) = SeqpacketStream::pair()?;
                files(r, w)
            }
            Transport::Tcp => {
                let (r, w) = tcp_pair()?;
                files(r, w)
            }
        })
    }
}

impl DuplexPair {
    /// A connected duplex pair over `t`.
    pub fn new(t: Transport) -> io::Result<Self> {
        match t {
            Transport::Pipe | Transport::Pipe64k | Transport::PacketPipe => {
                let ab = OneWayPair::new(t)?;
                let ba = OneWayPair::new(t)?;
                Ok(DuplexPair {
                    a: (ba.rx, ab.tx),
                    b: (ab.rx, ba.tx),
                })
            }
            _ => {
                let p = OneWayPair::new(t)?;
                let (a, b) = (p.tx, p.rx);
                Ok(DuplexPair {
                    a: (a.try_clone()?, a),
                    b: (b.try_clone()?, b),
                })
            }
        }
    }
}

/// A descriptor is an end of every Unix transport.
impl Ends for File {
    fn one_way(t: Transport) -> io::Result<(File, File)> {
        let OneWayPair { rx, tx } = OneWayPair::new(t)?;
        Ok((rx, tx))
    }

    fn duplex(t: Transport) -> io::Result<((File, File), (File, File))> {
        let DuplexPair { a, b } = DuplexPair::new(t)?;
        Ok((a, b))
    }

    fn ender(&self, t: Transport) -> io::Result<Ender> {
        Ender::of(t, self)
    }
}

/// How a raw write end ends its stream for the peer: a socket is shut down for writing
/// (through a duplicate of its descriptor, since the reading half may still be open); a pipe
/// end just closes when dropped.
#[derive(Debug)]
pub(crate) enum Ender {
    /// Dropping the writer is enough.
    Close,
    /// A Unix socket (stream or seqpacket).
    Unix(UnixStream),
    /// A TCP connection.
    Tcp(TcpStream),
}

impl Ender {
    /// How `end`, a write end of `t`, ends.
    fn of(t: Transport, end: &File) -> io::Result<Ender> {
        Ok(match t {
            Transport::Unix | Transport::Seqpacket => {
                Ender::Unix(UnixStream::from(OwnedFd::from(end.try_clone()?)))
            }
            Transport::Tcp => Ender::Tcp(TcpStream::from(OwnedFd::from(end.try_clone()?))),
            Transport::Pipe | Transport::Pipe64k | Transport::PacketPipe => Ender::Close,
        })
    }

    /// Ends the stream (call after dropping the writer).
    pub(crate) fn end(self) -> io::Result<()> {
        match self {
            Ender::Close => Ok(()),
            Ender::Unix(s) => s.shutdown(Shutdown::Write),
            Ender::Tcp(s) => s.shutdown(Shutdown::Write),
        }
    }
}

/// A message-mode reader of async runtime `Rt`: a seqpacket socket or a packet pipe's read
/// end. Every call of the Unix async message types' read and write methods in this crate is
/// in these two types.
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
