use std::fmt;
use std::io;
use std::os::windows::io::OwnedHandle;

use crate::sys::windows::{pipe, security};

/// A Windows security identifier (a user or group), held by value: the binary form, printed
/// in its string form `S-1-5-21-...`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid {
    bytes: [u8; Sid::MAX_LEN],
    len: u8,
}

impl Sid {
    /// The longest a SID can be, in bytes (`SECURITY_MAX_SID_SIZE`).
    pub const MAX_LEN: usize = 68;

    fn from_bytes(b: &[u8]) -> io::Result<Sid> {
        // Revision, sub-authority count, 6-byte authority, then 4 bytes per sub-authority.
        let valid = b.len() >= 8 && b.len() <= Sid::MAX_LEN && b.len() == 8 + 4 * b[1] as usize;
        if !valid {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a SID: {b:02x?}"),
            ));
        }
        let mut bytes = [0; Sid::MAX_LEN];
        bytes[..b.len()].copy_from_slice(b);
        Ok(Sid {
            bytes,
            len: b.len() as u8,
        })
    }

    /// The SID's binary form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.as_bytes();
        let authority = b[2..8].iter().fold(0u64, |a, &x| a << 8 | u64::from(x));
        write!(f, "S-{}-", b[0])?;
        if authority < 1 << 32 {
            write!(f, "{authority}")?;
        } else {
            write!(f, "0x{authority:012X}")?;
        }
        for sub in b[8..].chunks_exact(4) {
            write!(
                f,
                "-{}",
                u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]])
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Who is at the other end of a named pipe connection: the process id the system reports
/// (`GetNamedPipeClientProcessId` on the server side, `GetNamedPipeServerProcessId` on the
/// client side) and the user SID of that peer's token (the server impersonates the client at
/// identification level to read it; the client reads the server process's token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerCredentials {
    pid: u32,
    sid: Sid,
}

impl PeerCredentials {
    /// The peer's process id. (`Option` for the same signature as on Unix; Windows always
    /// reports it.)
    pub fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }

    /// The user SID of the peer's token.
    pub fn sid(&self) -> Sid {
        self.sid
    }

    /// Reads them for the pipe end `h` (`server_side`: `h` is a server instance, the peer a
    /// client).
    pub(crate) fn of(h: &OwnedHandle, label: &str, server_side: bool) -> io::Result<Self> {
        let pid = pipe::peer_process_id(h, label, server_side)?;
        let sid = if server_side {
            // Impersonation is what the client's SECURITY_IDENTIFICATION allows; the token of
            // its process is the fallback where impersonating is refused.
            security::pipe_client_user(h).or_else(|_| security::process_user(pid))
        } else {
            security::process_user(pid)
        }
        .map_err(|e| io::Error::new(e.kind(), format!("{label}: who the peer is: {e}")))?;
        Ok(PeerCredentials {
            pid,
            sid: Sid::from_bytes(sid.bytes())?,
        })
    }

    /// Whether the peer runs as the current user (its SID is our token's user or owner).
    pub(crate) fn is_current_user(&self) -> io::Result<bool> {
        let me = security::current_user()?;
        let owner = security::current_owner()?;
        Ok(self.sid.as_bytes() == me.bytes() || self.sid.as_bytes() == owner.bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_prints_in_string_form() {
        // S-1-5-21-1-2-3-1001: revision 1, 5 sub-authorities, authority 5 (NT).
        let mut b = vec![1, 5, 0, 0, 0, 0, 0, 5];
        for sub in [21u32, 1, 2, 3, 1001] {
            b.extend_from_slice(&sub.to_le_bytes());
        }
        let sid = Sid::from_bytes(&b).unwrap();
        assert_eq!(sid.to_string(), "S-1-5-21-1-2-3-1001");
        assert_eq!(sid.as_bytes(), &b[..]);
        assert!(Sid::from_bytes(&b[..10]).is_err());
    }

    #[test]
    fn another_users_sid_is_not_the_current_user() {
        // S-1-5-18, LocalSystem: not the user these tests run as.
        let system = Sid::from_bytes(&[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]).unwrap();
        assert_eq!(system.to_string(), "S-1-5-18");
        let peer = PeerCredentials {
            pid: 4,
            sid: system,
        };
        assert!(!peer.is_current_user().unwrap());
        let me = Sid::from_bytes(security::current_user().unwrap().bytes()).unwrap();
        let peer = PeerCredentials { pid: 4, sid: me };
        assert!(peer.is_current_user().unwrap());
    }

    #[test]
    fn our_sid_matches_the_system_string_form() {
        let me = security::current_user().unwrap();
        let sid = Sid::from_bytes(me.bytes()).unwrap();
        assert_eq!(sid.to_string(), me.to_sddl().unwrap());
    }
}
