//! Who is at the other end of a connection, in one line: what the system reports differs
//! (Unix: pid, uid and gid from `SO_PEERCRED`; Windows: pid and the user SID of its token).
#![allow(dead_code, unreachable_pub)]

use pipeframe::named::PeerCredentials;

/// `pid 1234, uid 1000` on Unix, `pid 1234, user S-1-5-21-...` on Windows (`pid ?` where the
/// system did not say).
pub fn describe(peer: &PeerCredentials) -> String {
    let pid = match peer.pid() {
        Some(pid) => pid.to_string(),
        None => "?".to_owned(),
    };
    #[cfg(unix)]
    let user = format!("uid {}", peer.uid());
    #[cfg(windows)]
    let user = format!("user {}", peer.sid());
    format!("pid {pid}, {user}")
}
