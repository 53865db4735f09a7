//! Unix domain stream sockets: bind with a mode and no window, reclaim stale socket files,
//! connect with retries, peer credentials.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

use super::{FileId, err, os_err, type_name};

/// Where a socket lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Addr {
    Path(PathBuf),
    Abstract(Vec<u8>),
}

/// The longest socket path `sockaddr_un` holds (108 bytes with the terminating NUL).
pub(crate) const MAX_PATH: usize = 107;

impl Addr {
    fn sockaddr(&self) -> io::Result<SocketAddrUnix> {
        match self {
            Addr::Path(p) => {
                let len = p.as_os_str().len();
                if len > MAX_PATH {
                    return Err(err(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "socket path {} is {len} bytes; unix socket paths are limited to \
                             {MAX_PATH}",
                            p.display()
                        ),
                    ));
                }
                SocketAddrUnix::new(p.as_path())
                    .map_err(|e| os_err(e, format_args!("socket path {}", p.display())))
            }
            Addr::Abstract(name) => abstract_addr(name),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_addr(name: &[u8]) -> io::Result<SocketAddrUnix> {
    SocketAddrUnix::new_abstract_name(name).map_err(|e| {
        os_err(
            e,
            format_args!("abstract socket name @{}", String::from_utf8_lossy(name)),
        )
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_addr(name: &[u8]) -> io::Result<SocketAddrUnix> {
    Err(err(
        io::ErrorKind::Unsupported,
        format!(
            "abstract socket name @{}: the abstract namespace exists only on linux",
            String::from_utf8_lossy(name)
        ),
    ))
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Path(p) => write!(f, "{}", p.display()),
            Addr::Abstract(n) => write!(f, "@{}", String::from_utf8_lossy(n)),
        }
    }
}

fn new_socket(nonblocking: bool) -> io::Result<OwnedFd> {
    let mut flags = SocketFlags::CLOEXEC;
    if nonblocking {
        flags |= SocketFlags::NONBLOCK;
    }
    Ok(rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        flags,
        None,
    )?)
}

/// Removes the socket file when dropped, if the path still names the file bound.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    id: FileId,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if FileId::of_path(&self.path).ok() == Some(self.id) {
            let _ = rustix::fs::unlink(&self.path);
        }
    }
}

impl SocketFile {
    /// The socket file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// Binds and listens on `addr`.
///
/// The socket file's mode is set with `fchmod` on the socket *before* `bind` (Linux creates the
/// file with the socket inode's mode, less the umask), so it is never more open than `mode`. If
/// the umask took away bits `mode` asks for, they are added back with `chmod` afterwards: that
/// only ever widens the mode up to what was asked.
///
/// A socket file nobody listens on (`connect` is refused) is removed and the bind retried; a
/// live server, a file that is not a socket, or a socket we may not probe is `AddrInUse`.
pub(crate) fn bind(
    addr: &Addr,
    mode: u32,
    reclaim_stale: bool,
    backlog: i32,
) -> io::Result<(UnixListener, Option<SocketFile>)> {
    let sa = addr.sockaddr()?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let fd = new_socket(false)?;
        if let Addr::Path(p) = addr {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode as _)).map_err(|e| {
                os_err(
                    e,
                    format_args!(
                        "cannot set mode {mode:o} on the socket for {} before binding",
                        p.display()
                    ),
                )
            })?;
        }
        match rustix::net::bind(&fd, &sa) {
            Ok(()) => {}
            Err(Errno::ADDRINUSE) if attempts < 4 => {
                match addr {
                    Addr::Path(p) => reclaim(p, reclaim_stale)?,
                    Addr::Abstract(_) => {
                        return Err(err(
                            io::ErrorKind::AddrInUse,
                            format!("pipe name {addr} is in use by another server"),
                        ));
                    }
                }
                continue;
            }
            Err(Errno::ADDRINUSE) => {
                return Err(err(
                    io::ErrorKind::AddrInUse,
                    format!("pipe name {addr} is in use (it reappeared while being reclaimed)"),
                ));
            }
            Err(e) => return Err(os_err(e, format_args!("cannot bind {addr}"))),
        }
        let file = match addr {
            Addr::Path(p) => {
                let st = rustix::fs::lstat(p)
                    .map_err(|e| os_err(e, format_args!("cannot stat {}", p.display())))?;
                let file = SocketFile {
                    path: p.clone(),
                    id: FileId::of_stat(&st),
                };
                let have = st.st_mode as u32 & 0o7777;
                if have != mode {
                    // The umask removed bits: add them back (never more than `mode`).
                    rustix::fs::chmod(p, Mode::from_raw_mode(mode as _)).map_err(|e| {
                        os_err(
                            e,
                            format_args!("cannot set mode {mode:o} on {}", p.display()),
                        )
                    })?;
                }
                Some(file)
            }
            Addr::Abstract(_) => None,
        };
        rustix::net::listen(&fd, backlog)
            .map_err(|e| os_err(e, format_args!("cannot listen on {addr}")))?;
        return Ok((UnixListener::from(fd), file));
    }
}

/// Decides what to do with an existing file at `path` that made `bind` fail.
fn reclaim(path: &Path, reclaim_stale: bool) -> io::Result<()> {
    let in_use = |why: &str| {
        err(
            io::ErrorKind::AddrInUse,
            format!("pipe name {} is in use: {why}", path.display()),
        )
    };
    let before = match rustix::fs::lstat(path) {
        Ok(st) => st,
        Err(Errno::NOENT) => return Ok(()), // gone meanwhile: retry the bind
        Err(e) => return Err(os_err(e, format_args!("cannot stat {}", path.display()))),
    };
    if FileType::from_raw_mode(before.st_mode as _) != FileType::Socket {
        return Err(in_use(&format!(
            "the path exists and is {}, not a socket",
            type_name(before.st_mode as u32)
        )));
    }
    let probe = new_socket(true)?;
    let sa = Addr::Path(path.to_path_buf()).sockaddr()?;
    match rustix::net::connect(&probe, &sa) {
        Ok(()) | Err(Errno::AGAIN) | Err(Errno::INPROGRESS) => {
            Err(in_use("a server is listening on it"))
        }
        Err(Errno::CONNREFUSED) if reclaim_stale => {
            // Stale: left by a server that is gone. Remove it only if it is still the file we
            // probed (another server may have reclaimed it meanwhile).
            if FileId::of_path(path).ok() == Some(FileId::of_stat(&before)) {
                match rustix::fs::unlink(path) {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(e) => {
                        return Err(os_err(
                            e,
                            format_args!("cannot remove stale socket file {}", path.display()),
                        ));
                    }
                }
            }
            Ok(())
        }
        Err(Errno::CONNREFUSED) => Err(in_use(
            "a stale socket file is there (nobody listens) and reclaiming is off",
        )),
        Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(in_use(&format!(
            "the socket file cannot be probed ({}), so it is left alone",
            io::Error::from(e)
        ))),
    }
}

/// What a failed connect attempt means for a caller that waits for the server.
pub(crate) enum ConnectError {
    /// No server yet (no socket file, nobody listening, or the backlog is full): retry.
    NotYet(io::Error),
    /// Anything else: give up.
    Fatal(io::Error),
}

/// One non-blocking connect attempt; the returned socket is non-blocking.
pub(crate) fn try_connect(addr: &Addr) -> Result<OwnedFd, ConnectError> {
    let sa = addr.sockaddr().map_err(ConnectError::Fatal)?;
    let fd = new_socket(true).map_err(ConnectError::Fatal)?;
    match rustix::net::connect(&fd, &sa) {
        Ok(()) => Ok(fd),
        Err(Errno::INPROGRESS) => Ok(fd),
        Err(e @ (Errno::NOENT | Errno::CONNREFUSED | Errno::AGAIN)) => {
            let why = match e {
                Errno::NOENT => "no such socket file",
                Errno::CONNREFUSED => "nobody is listening",
                _ => "the server's backlog is full",
            };
            Err(ConnectError::NotYet(err(
                io::Error::from(e).kind(),
                format!("cannot connect to pipe {addr}: {why}"),
            )))
        }
        Err(e) => Err(ConnectError::Fatal(os_err(
            e,
            format_args!("cannot connect to pipe {addr}"),
        ))),
    }
}

/// Puts a socket into blocking mode.
pub(crate) fn set_blocking(fd: impl AsFd) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK)?;
    Ok(())
}

/// The delay before retry number `attempt` (1 ms doubling up to 50 ms), cut to `deadline`.
pub(crate) fn backoff(attempt: u32, deadline: Option<Instant>) -> Duration {
    let d = Duration::from_millis(1u64 << attempt.min(6)).min(Duration::from_millis(50));
    match deadline {
        Some(t) => d.min(t.saturating_duration_since(Instant::now())),
        None => d,
    }
}

/// The `TimedOut` error of a connect that waited `waited` for `addr`.
pub(crate) fn timed_out(addr: &Addr, waited: Duration, last: &io::Error) -> io::Error {
    err(
        io::ErrorKind::TimedOut,
        format!("timed out after {waited:?} waiting for a pipe server at {addr} (last: {last})"),
    )
}

/// Credentials of the process at the other end of a connected socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cred {
    pub(crate) pid: Option<u32>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn peer_cred(fd: impl AsFd) -> io::Result<Cred> {
    let c = rustix::net::sockopt::socket_peercred(fd)?;
    Ok(Cred {
        pid: u32::try_from(c.pid.as_raw_nonzero().get()).ok(),
        uid: c.uid.as_raw(),
        gid: c.gid.as_raw(),
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn peer_cred(_fd: impl AsFd) -> io::Result<Cred> {
    Err(err(
        io::ErrorKind::Unsupported,
        "peer credentials are implemented on linux only so far",
    ))
}

/// The effective uid of this process (what .NET's `CurrentUserOnly` compares).
pub(crate) fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}
