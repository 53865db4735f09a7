//! Connected endpoint pairs for each transport, as `File`s (plain `read`/`write`), made with
//! std and the library's public constructors.

use std::fs::File;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use pipeframe::message::{SeqpacketStream, packet_pipe};

use super::Transport;
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
    pub(crate) fn of(t: Transport, end: &File) -> io::Result<Ender> {
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
