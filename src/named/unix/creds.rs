use std::io;
use std::os::fd::AsFd;

use crate::sys::unix::socket::{self, Cred};

/// The credentials of the process at the other end of a connected socket: any flavour's stream
/// ([`PipeStream`](super::PipeStream), `AsyncPipeStream`, which have a `peer_credentials`
/// method too) or any other Unix socket (`tokio::net::UnixStream`, `Async<UnixStream>`'s
/// `get_ref()`). [`io::ErrorKind::Unsupported`] where the system does not report them (only
/// Linux is implemented so far).
pub fn peer_credentials(stream: &impl AsFd) -> io::Result<PeerCredentials> {
    socket::peer_cred(stream).map(PeerCredentials::from)
}

/// Who is at the other end of a connection: the peer's process id, user id and group id as
/// the kernel recorded them when it connected (`SO_PEERCRED`) or, on the client side, when
/// the server started listening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerCredentials {
    pid: Option<u32>,
    uid: u32,
    gid: u32,
}

impl PeerCredentials {
    /// The peer's process id, if the system reports it.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The peer's effective user id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> u32 {
        self.gid
    }
}

impl From<Cred> for PeerCredentials {
    fn from(c: Cred) -> Self {
        PeerCredentials {
            pid: c.pid,
            uid: c.uid,
            gid: c.gid,
        }
    }
}
