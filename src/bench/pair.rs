//! Connected endpoint pairs for each transport, as `File`s (plain `read`/`write`/`writev`).

use std::fs::File;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;

use super::Transport;

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

fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let a = TcpStream::connect(listener.local_addr()?)?;
    let (b, _) = listener.accept()?;
    a.set_nodelay(true)?;
    b.set_nodelay(true)?;
    Ok((a, b))
}

fn socket_pair(kind: rustix::net::SocketType) -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::net::{AddressFamily, SocketFlags, socketpair};
    Ok(socketpair(
        AddressFamily::UNIX,
        kind,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

fn pipe(t: Transport) -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pipe::{PipeFlags, pipe_with};
    let flags = match t {
        Transport::PacketPipe => PipeFlags::CLOEXEC | PipeFlags::DIRECT,
        _ => PipeFlags::CLOEXEC,
    };
    pipe_with(flags).map_err(|e| {
        if e == rustix::io::Errno::INVAL && t == Transport::PacketPipe {
            super::unsupported("this kernel has no O_DIRECT packet pipes".into())
        } else {
            e.into()
        }
    })
}

impl OneWayPair {
    /// A connected pair over `t`.
    pub fn new(t: Transport) -> io::Result<Self> {
        let (rx, tx): (OwnedFd, OwnedFd) = match t {
            Transport::Pipe | Transport::PacketPipe => pipe(t)?,
            Transport::Unix => socket_pair(rustix::net::SocketType::STREAM)?,
            Transport::Seqpacket => socket_pair(rustix::net::SocketType::SEQPACKET)?,
            Transport::Tcp => {
                let (a, b) = tcp_pair()?;
                (OwnedFd::from(a), OwnedFd::from(b))
            }
        };
        Ok(OneWayPair {
            rx: File::from(rx),
            tx: File::from(tx),
        })
    }
}

impl DuplexPair {
    /// A connected duplex pair over `t`.
    pub fn new(t: Transport) -> io::Result<Self> {
        match t {
            Transport::Pipe | Transport::PacketPipe => {
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
