//! Unix domain stream sockets: bind with a mode and no window, reclaim stale socket files,
//! connect with retries, peer credentials.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
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

/// The longest socket path `sockaddr_un` holds: `sun_path` less its terminating NUL (108
/// bytes on Linux, 104 on macOS and the BSDs).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) const MAX_PATH: usize = 107;
/// See the Linux `MAX_PATH`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) const MAX_PATH: usize = 103;

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

#[cfg(not(target_vendor = "apple"))]
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

/// Apple systems have no `SOCK_CLOEXEC`/`SOCK_NONBLOCK`: the flags are set right after (as
/// std does there).
#[cfg(target_vendor = "apple")]
fn new_socket(nonblocking: bool) -> io::Result<OwnedFd> {
    let fd = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::empty(),
        None,
    )?;
    rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
    no_sigpipe(&fd)?;
    if nonblocking {
        rustix::io::ioctl_fionbio(&fd, true)?;
    }
    Ok(fd)
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

/// How a socket file gets its mode with no window where it is more open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// `fchmod` on the socket before `bind`: Linux creates the file with the socket inode's
    /// mode, less the umask.
    FchmodFirst,
    /// `bind` inside a new `0o700` directory beside the target, `chmod` there, then `link`
    /// into place (atomic, and it never replaces an existing file). For systems that do not
    /// take a mode from the socket.
    PrivateDir,
}

impl Placement {
    pub(crate) fn native() -> Placement {
        if cfg!(any(target_os = "linux", target_os = "android")) {
            Placement::FchmodFirst
        } else {
            Placement::PrivateDir
        }
    }
}

/// Binds and listens on `addr`.
///
/// The socket file never has more mode bits than `mode` (see [`Placement`]). With
/// `FchmodFirst`, if the umask took away bits `mode` asks for, they are added back with `chmod`
/// afterwards: that only ever widens the mode up to what was asked.
///
/// A socket file nobody listens on (`connect` is refused) is removed and the bind retried; a
/// live server, a file that is not a socket, or a socket we may not probe is `AddrInUse`.
pub(crate) fn bind(
    addr: &Addr,
    mode: u32,
    reclaim_stale: bool,
    backlog: i32,
) -> io::Result<(UnixListener, Option<SocketFile>)> {
    bind_placed(addr, mode, reclaim_stale, backlog, Placement::native())
}

pub(crate) fn bind_placed(
    addr: &Addr,
    mode: u32,
    reclaim_stale: bool,
    backlog: i32,
    placement: Placement,
) -> io::Result<(UnixListener, Option<SocketFile>)> {
    let sa = addr.sockaddr()?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let fd = new_socket(false)?;
        let placed = match (addr, placement) {
            (Addr::Path(p), Placement::PrivateDir) => place_in_private_dir(&fd, p, mode)?,
            (Addr::Path(p), Placement::FchmodFirst) => {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode as _)).map_err(|e| {
                    os_err(
                        e,
                        format_args!(
                            "cannot set mode {mode:o} on the socket for {} before binding",
                            p.display()
                        ),
                    )
                })?;
                bind_here(&fd, &sa, addr)?
            }
            (Addr::Abstract(_), _) => bind_here(&fd, &sa, addr)?,
        };
        if !placed {
            match addr {
                Addr::Path(p) if attempts < 4 => {
                    reclaim(p, reclaim_stale)?;
                    continue;
                }
                Addr::Path(_) => {
                    return Err(err(
                        io::ErrorKind::AddrInUse,
                        format!("pipe name {addr} is in use (it reappeared while being reclaimed)"),
                    ));
                }
                Addr::Abstract(_) => {
                    return Err(err(
                        io::ErrorKind::AddrInUse,
                        format!("pipe name {addr} is in use by another server"),
                    ));
                }
            }
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

/// `bind`; `Ok(false)` if the address is taken.
fn bind_here(fd: &OwnedFd, sa: &SocketAddrUnix, addr: &Addr) -> io::Result<bool> {
    match rustix::net::bind(fd, sa) {
        Ok(()) => Ok(true),
        Err(Errno::ADDRINUSE) => Ok(false),
        Err(e) => Err(os_err(e, format_args!("cannot bind {addr}"))),
    }
}

/// Binds `fd` inside a new private directory beside `path`, gives the socket file `mode`
/// there, and links it to `path`. `Ok(false)` if `path` exists. The directory is removed
/// whatever happens.
fn place_in_private_dir(fd: &OwnedFd, path: &Path, mode: u32) -> io::Result<bool> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let d = parent.join(format!(".pipeframe-{}-{n}", std::process::id()));
        match rustix::fs::mkdir(&d, Mode::from_raw_mode(0o700)) {
            Ok(()) => break d,
            Err(Errno::EXIST) => continue,
            Err(e) => {
                return Err(os_err(
                    e,
                    format_args!(
                        "cannot create a private directory beside {}",
                        path.display()
                    ),
                ));
            }
        }
    };
    let tmp = dir.join("s");
    let placed = (|| {
        let sa = Addr::Path(tmp.clone()).sockaddr()?;
        rustix::net::bind(fd, &sa)
            .map_err(|e| os_err(e, format_args!("cannot bind {}", tmp.display())))?;
        rustix::fs::chmod(&tmp, Mode::from_raw_mode(mode as _)).map_err(|e| {
            os_err(
                e,
                format_args!("cannot set mode {mode:o} on {}", tmp.display()),
            )
        })?;
        match rustix::fs::link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(Errno::EXIST) => Ok(false),
            Err(e) => Err(os_err(
                e,
                format_args!("cannot link the socket into place at {}", path.display()),
            )),
        }
    })();
    let _ = rustix::fs::unlink(&tmp);
    let _ = rustix::fs::rmdir(&dir);
    placed
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
    let res = rustix::net::connect(&fd, &sa);
    settle_connect(fd, res, addr)
}

/// What a non-blocking connect's result `res` on `fd` means.
///
/// `EINPROGRESS` (Linux never answers it for a Unix socket; other systems may) is not
/// "connected": the socket is asked how far it has come ([`connect_outcome`]: `SO_ERROR`, then
/// whether it has a peer). Connected is `Ok`; a failure is classified like an immediate one;
/// still in progress is [`ConnectError::NotYet`] with [`io::ErrorKind::WouldBlock`], so the
/// caller drops this socket and tries again after its backoff, never blocking here.
fn settle_connect(
    fd: OwnedFd,
    res: Result<(), Errno>,
    addr: &dyn std::fmt::Display,
) -> Result<OwnedFd, ConnectError> {
    let res = match res {
        Err(Errno::INPROGRESS) => match connect_outcome(&fd) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(ConnectError::NotYet(err(
                    io::ErrorKind::WouldBlock,
                    format!("cannot connect to pipe {addr}: the connection is still in progress"),
                )));
            }
            Err(e) => Err(e.raw_os_error().map_or(Errno::IO, Errno::from_raw_os_error)),
        },
        res => res,
    };
    match res {
        Ok(()) => Ok(fd),
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

/// How far a non-blocking connect that failed with `EINPROGRESS` has come: `Ok` once it is
/// connected, [`io::ErrorKind::WouldBlock`] while it is still in progress (wait for
/// writability and ask again), or the error it failed with (`SO_ERROR`).
pub(crate) fn connect_outcome(fd: impl AsFd) -> io::Result<()> {
    let fd = fd.as_fd();
    if let Err(e) = rustix::net::sockopt::socket_error(fd)? {
        return Err(e.into());
    }
    match rustix::net::getpeername(fd) {
        Ok(_) => Ok(()),
        Err(Errno::NOTCONN) => Err(io::ErrorKind::WouldBlock.into()),
        Err(e) => Err(e.into()),
    }
}

/// Puts a socket into blocking mode.
pub(crate) fn set_blocking(fd: impl AsFd) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK)?;
    Ok(())
}

/// Sends `bufs` on a connected stream socket without ever raising `SIGPIPE`: a peer that is
/// gone is `EPIPE` ([`io::ErrorKind::BrokenPipe`]) even where `SIGPIPE` is at its default
/// disposition. `sendmsg(MSG_NOSIGNAL)` where the flag exists (Linux, Android, the BSDs);
/// on Apple systems, which lack it, a plain `writev` on a socket that [`no_sigpipe`] set
/// `SO_NOSIGPIPE` on.
#[cfg(not(target_vendor = "apple"))]
pub(crate) fn send_vectored_nosignal(fd: impl AsFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    use rustix::net::{SendAncillaryBuffer, SendFlags};
    // An empty iovec array is what `write_vectored(&[])` passes: 0, not an error.
    let mut control = SendAncillaryBuffer::default();
    loop {
        match rustix::net::sendmsg(&fd, bufs, &mut control, SendFlags::NOSIGNAL) {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
}

/// See the other [`send_vectored_nosignal`].
#[cfg(target_vendor = "apple")]
pub(crate) fn send_vectored_nosignal(fd: impl AsFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    loop {
        match rustix::io::writev(&fd, bufs) {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
}

/// [`send_vectored_nosignal`] of one buffer (`send(MSG_NOSIGNAL)`).
#[cfg(not(target_vendor = "apple"))]
pub(crate) fn send_nosignal(fd: impl AsFd, buf: &[u8]) -> io::Result<usize> {
    loop {
        match rustix::net::send(&fd, buf, rustix::net::SendFlags::NOSIGNAL) {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
}

/// See the other [`send_nosignal`].
#[cfg(target_vendor = "apple")]
pub(crate) fn send_nosignal(fd: impl AsFd, buf: &[u8]) -> io::Result<usize> {
    loop {
        match rustix::io::write(&fd, buf) {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
}

/// Makes plain writes on the socket `fd` never raise `SIGPIPE` where the system has a
/// per-socket switch for it (`SO_NOSIGPIPE`: Apple systems, FreeBSD, DragonFly, NetBSD); a
/// no-op elsewhere (Linux has no such switch; [`send_vectored_nosignal`] passes
/// `MSG_NOSIGNAL` on every write instead). Every stream socket pipeframe creates or accepts
/// goes through here.
pub(crate) fn no_sigpipe(fd: impl AsFd) -> io::Result<()> {
    #[cfg(any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd"
    ))]
    rustix::net::sockopt::set_socket_nosigpipe(&fd, true)?;
    let _ = fd;
    Ok(())
}

/// Reads from a socket (`read(2)`), retrying on `EINTR`.
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) fn recv(fd: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match rustix::io::read(&fd, &mut *buf) {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
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
        format!(
            "timed out after {} waiting for a server at {addr} (last: {last})",
            crate::error::seconds(waited)
        ),
    )
}

/// Credentials of the process at the other end of a connected socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cred {
    pub(crate) pid: Option<u32>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

/// Whether [`peer_cred`] works on this system.
pub(crate) const PEER_CRED: bool = cfg!(any(target_os = "linux", target_os = "android"));

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits until the connect on `fd` has an outcome: a socket becomes writable once its
    /// connect succeeded, and writable with an error once it failed. 30 s is only the bound
    /// for failing.
    fn wait_connect_outcome(fd: &OwnedFd) {
        use rustix::event::{PollFd, PollFlags, Timespec};
        let limit = Timespec {
            tv_sec: 30,
            tv_nsec: 0,
        };
        let mut fds = [PollFd::new(fd, PollFlags::OUT)];
        let n = rustix::event::poll(&mut fds, Some(&limit)).unwrap();
        assert_eq!(n, 1, "the connect had no outcome within 30 s");
    }

    /// A non-blocking TCP connect on loopback, for `EINPROGRESS` (Unix sockets on Linux never
    /// answer it): its socket and the connect's own result.
    fn tcp_connect(port: u16) -> (OwnedFd, Result<(), Errno>) {
        let fd = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
        rustix::io::ioctl_fionbio(&fd, true).unwrap();
        let sa = std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, port);
        let res = rustix::net::connect(&fd, &sa);
        (fd, res)
    }

    #[test]
    fn connect_in_progress_is_not_taken_for_connected() {
        // A port nobody listens on: the connect is refused, after EINPROGRESS or at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (fd, res) = tcp_connect(port);
        assert!(
            matches!(res, Err(Errno::INPROGRESS | Errno::CONNREFUSED)),
            "{res:?}"
        );
        wait_connect_outcome(&fd); // the refusal has arrived
        match settle_connect(fd, res, &"tcp test port") {
            Ok(_) => panic!("a refused connect ({res:?}) was taken for connected"),
            Err(ConnectError::NotYet(e)) | Err(ConnectError::Fatal(e)) => {
                assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
            }
        }
    }

    #[test]
    fn connect_in_progress_that_completes_is_connected() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (fd, res) = tcp_connect(l.local_addr().unwrap().port());
        wait_connect_outcome(&fd); // the handshake has finished
        let fd = match settle_connect(fd, res, &"tcp test port") {
            Ok(fd) => fd,
            Err(ConnectError::NotYet(e)) | Err(ConnectError::Fatal(e)) => panic!("{res:?}: {e}"),
        };
        assert!(rustix::net::getpeername(&fd).unwrap().is_some());
    }
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixStream;

    fn mode_of(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    /// The placement other Unix systems use, run here on Linux.
    #[test]
    fn private_dir_placement_binds_with_the_mode_and_refuses_live_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sock");
        let addr = Addr::Path(path.clone());
        for mode in [0o600, 0o666, 0o640] {
            let (l, file) = bind_placed(&addr, mode, true, 16, Placement::PrivateDir).unwrap();
            assert_eq!(mode_of(&path), mode);
            let _c = UnixStream::connect(&path).unwrap();
            let (_s, _) = l.accept().unwrap();
            // A live name is refused, and the private directory is gone either way.
            let e = bind_placed(&addr, mode, true, 16, Placement::PrivateDir).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::AddrInUse, "{e}");
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, [std::ffi::OsString::from("p.sock")]);
            drop(file);
            assert!(!path.exists());
            drop(l);
        }
        // A stale file is reclaimed.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let (_l, _f) = bind_placed(&addr, 0o600, true, 16, Placement::PrivateDir).unwrap();
        UnixStream::connect(&path).unwrap();
    }
}
