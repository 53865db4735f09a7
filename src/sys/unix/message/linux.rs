//! Message mode on Linux: `AF_UNIX` `SOCK_SEQPACKET` sockets sized with `MSG_TRUNC`, and
//! packet pipes (`pipe2(O_DIRECT)`).

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use bytes::Bytes;
use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, Shutdown, SocketAddrUnix, SocketFlags, SocketType,
};
use rustix::pipe::PipeFlags;

use super::{Name, PIPE_BUF, check_message, check_packet};
use crate::error::{DecodeError, EncodeError};

/// What Linux subtracts from `SO_SNDBUF` before comparing a message's length with it
/// (`unix_dgram_sendmsg`: `len > sk_sndbuf - 32` is `EMSGSIZE`).
pub(crate) const SNDBUF_OVERHEAD: usize = 32;

impl Name<'_> {
    fn addr(&self) -> io::Result<SocketAddrUnix> {
        let res = match self {
            Name::Path(p) => SocketAddrUnix::new(*p),
            Name::Abstract(n) => SocketAddrUnix::new_abstract_name(n),
        };
        res.map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid unix socket name {self}: {e} (a unix socket name holds at most 108 bytes)"),
            )
        })
    }
}

fn with_context(e: impl Into<io::Error>, what: std::fmt::Arguments<'_>) -> io::Error {
    let e = e.into();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn seqpacket_socket() -> io::Result<OwnedFd> {
    rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| with_context(e, format_args!("cannot create a seqpacket socket")))
}

/// A listening seqpacket socket bound to `name`.
///
/// A socket file at the path that nobody listens on (left by a killed listener) is reclaimed
/// as `named` does it: probed with a connect, removed only if refused and still the same file,
/// and the bind retried. A live listener's name stays `AddrInUse`.
pub(crate) fn bind(name: Name<'_>) -> io::Result<OwnedFd> {
    let addr = name.addr()?;
    let mut attempts = 0;
    let fd = loop {
        attempts += 1;
        let fd = seqpacket_socket()?;
        match rustix::net::bind(&fd, &addr) {
            Ok(()) => break fd,
            Err(Errno::ADDRINUSE) if attempts < 4 => match name {
                Name::Path(p) => reclaim_stale(p, &addr)?,
                Name::Abstract(_) => {
                    return Err(with_context(
                        Errno::ADDRINUSE,
                        format_args!(
                            "cannot bind seqpacket socket {name} (another listener has it)"
                        ),
                    ));
                }
            },
            Err(e) => {
                return Err(with_context(
                    e,
                    format_args!("cannot bind seqpacket socket {name}"),
                ));
            }
        }
    };
    rustix::net::listen(&fd, 128)
        .map_err(|e| with_context(e, format_args!("cannot listen on seqpacket socket {name}")))?;
    Ok(fd)
}

/// Removes the socket file at `path` if nobody listens on it (a connect is refused) and it is
/// still the file probed; an error if a listener answers or the file is not a socket.
fn reclaim_stale(path: &std::path::Path, addr: &SocketAddrUnix) -> io::Result<()> {
    use crate::sys::unix::FileId;
    let in_use = |why: &str| {
        io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("seqpacket socket {} is in use: {why}", path.display()),
        )
    };
    let before = match rustix::fs::lstat(path) {
        Ok(st) => st,
        Err(Errno::NOENT) => return Ok(()), // gone meanwhile: retry the bind
        Err(e) => {
            return Err(with_context(
                e,
                format_args!("cannot stat {}", path.display()),
            ));
        }
    };
    if rustix::fs::FileType::from_raw_mode(before.st_mode as _) != rustix::fs::FileType::Socket {
        return Err(in_use("the path exists and is not a socket"));
    }
    let probe = seqpacket_socket()?;
    rustix::io::ioctl_fionbio(&probe, true)
        .map_err(|e| with_context(e, format_args!("cannot make a probe socket non-blocking")))?;
    match rustix::net::connect(&probe, addr) {
        Ok(()) | Err(Errno::AGAIN) | Err(Errno::INPROGRESS) => {
            Err(in_use("a listener is accepting on it"))
        }
        Err(Errno::CONNREFUSED) => {
            // Stale. Remove it only if it is still the file probed: another listener may have
            // reclaimed the name meanwhile.
            if FileId::of_path(path).ok() == Some(FileId::of_stat(&before)) {
                match rustix::fs::unlink(path) {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(e) => {
                        return Err(with_context(
                            e,
                            format_args!("cannot remove stale socket file {}", path.display()),
                        ));
                    }
                }
            }
            Ok(())
        }
        Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(in_use(&format!(
            "the socket file cannot be probed ({}), so it is left alone",
            io::Error::from(e)
        ))),
    }
}

/// A seqpacket socket connected to `name`.
pub(crate) fn connect(name: Name<'_>) -> io::Result<OwnedFd> {
    let addr = name.addr()?;
    let fd = seqpacket_socket()?;
    loop {
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => return Ok(fd),
            Err(Errno::INTR) => continue,
            Err(e) => {
                return Err(with_context(
                    e,
                    format_args!("cannot connect to seqpacket socket {name}"),
                ));
            }
        }
    }
}

/// What one non-blocking connect attempt ([`connect_step`]) came to.
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectStep {
    /// Connected.
    Connected,
    /// In progress: wait for writability, then [`finish_connect`].
    InProgress,
    /// The listener's backlog is full (Linux answers `EAGAIN`; nothing is in progress): try
    /// again later.
    BacklogFull,
}

/// A non-blocking, close-on-exec seqpacket socket to connect with [`connect_step`].
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) fn connecting_socket() -> io::Result<OwnedFd> {
    let fd = seqpacket_socket()?;
    set_nonblocking(fd.as_fd(), true)?;
    Ok(fd)
}

/// One connect attempt on a non-blocking seqpacket socket; never blocks.
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) fn connect_step(fd: BorrowedFd<'_>, name: Name<'_>) -> io::Result<ConnectStep> {
    let addr = name.addr()?;
    loop {
        return match rustix::net::connect(fd, &addr) {
            Ok(()) | Err(Errno::ISCONN) => Ok(ConnectStep::Connected),
            Err(Errno::INTR) => continue,
            Err(Errno::INPROGRESS | Errno::ALREADY) => Ok(ConnectStep::InProgress),
            Err(Errno::AGAIN) => Ok(ConnectStep::BacklogFull),
            Err(e) => Err(with_context(
                e,
                format_args!("cannot connect to seqpacket socket {name}"),
            )),
        };
    }
}

/// After [`ConnectStep::InProgress`]: `Ok` once connected, `WouldBlock` while still in
/// progress, or the error the connect failed with (`SO_ERROR`), naming `name`.
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) fn finish_connect(fd: BorrowedFd<'_>, name: Name<'_>) -> io::Result<()> {
    crate::sys::unix::socket::connect_outcome(fd).map_err(|e| {
        if e.kind() == io::ErrorKind::WouldBlock {
            e
        } else {
            with_context(e, format_args!("cannot connect to seqpacket socket {name}"))
        }
    })
}

/// Accepts one connection.
pub(crate) fn accept(listener: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    loop {
        match rustix::net::accept_with(listener, SocketFlags::CLOEXEC) {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
}

/// Two connected seqpacket sockets.
pub(crate) fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| with_context(e, format_args!("cannot create a seqpacket socket pair")))
}

/// Checks that `fd` is a seqpacket socket.
pub(crate) fn check_seqpacket(fd: BorrowedFd<'_>) -> io::Result<()> {
    match rustix::net::sockopt::socket_type(fd) {
        Ok(SocketType::SEQPACKET) => Ok(()),
        Ok(t) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor is a socket of type {t:?}, not a SOCK_SEQPACKET socket"),
        )),
        Err(e) => Err(with_context(
            e,
            format_args!("descriptor is not a SOCK_SEQPACKET socket"),
        )),
    }
}

/// `SO_SNDBUF` of the socket, as the kernel reports it (already doubled).
pub(crate) fn send_buffer_size(fd: BorrowedFd<'_>) -> io::Result<usize> {
    Ok(rustix::net::sockopt::socket_send_buffer_size(fd)?)
}

/// The largest message the socket can send with its current `SO_SNDBUF`.
pub(crate) fn default_max(fd: BorrowedFd<'_>) -> io::Result<usize> {
    Ok(send_buffer_size(fd)?.saturating_sub(SNDBUF_OVERHEAD))
}

/// Raises `SO_SNDBUF` so that messages of `max` bytes can be sent; fails, naming the cap, when
/// the kernel will not go that high (`net.core.wmem_max`).
pub(crate) fn ensure_send_capacity(fd: BorrowedFd<'_>, max: usize) -> io::Result<()> {
    let need = max.saturating_add(SNDBUF_OVERHEAD);
    if send_buffer_size(fd)? >= need {
        return Ok(());
    }
    // Linux doubles the value set (socket(7)); ask for half, then for all of it.
    for ask in [need.div_ceil(2), need] {
        // SO_SNDBUF takes an int; the kernel caps it anyway.
        let ask = ask.min(i32::MAX as usize / 2);
        rustix::net::sockopt::set_socket_send_buffer_size(fd, ask)?;
        if send_buffer_size(fd)? >= need {
            return Ok(());
        }
    }
    let got = send_buffer_size(fd)?;
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "cannot raise SO_SNDBUF to {need} bytes for messages of {max} bytes: the kernel \
             capped it at {got} bytes (raise sysctl net.core.wmem_max), so messages of at most \
             {} bytes can be sent",
            got.saturating_sub(SNDBUF_OVERHEAD)
        ),
    ))
}

/// Shuts down the writing direction: the peer reads end of stream after the queued messages.
pub(crate) fn shutdown_write(fd: BorrowedFd<'_>) -> io::Result<()> {
    Ok(rustix::net::shutdown(fd, Shutdown::Write)?)
}

/// Sets or clears `O_NONBLOCK`.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    Ok(rustix::io::ioctl_fionbio(fd, on)?)
}

/// Up to this maximum message size, a receive is one system call into a reusable buffer of
/// the maximum size; above it, each message is sized first and received into a buffer of
/// exactly its size (two system calls, no memory held between messages).
pub(crate) const ONE_SHOT_MAX: usize = 256 * 1024;

/// Messages up to this size are copied out of the reusable buffer into a right-sized one;
/// larger ones take the buffer itself (shrunk to fit) and a new one is allocated.
const COPY_MAX: usize = 16 * 1024;

/// The receive side of a seqpacket socket: a reusable buffer, used while the maximum message
/// size is at most [`ONE_SHOT_MAX`].
#[derive(Debug, Default)]
pub(crate) struct RecvBuf {
    buf: Vec<u8>,
}

impl RecvBuf {
    /// Receives one whole message. `Ok(None)` is end of stream: the peer closed or shut down
    /// its writing side (an empty message from a foreign peer reads the same way; it is
    /// consumed).
    ///
    /// A message is never cut short silently. Either the buffer holds `max` bytes, so every
    /// message within the limit fits, and `MSG_TRUNC` reports the full length of one that
    /// does not; or the message is sized first (`MSG_PEEK | MSG_TRUNC`) and received into a
    /// buffer of exactly that size. A message longer than `max` is consumed, discarded, and
    /// reported as [`io::ErrorKind::InvalidData`]; the next message is intact.
    pub(crate) fn recv(&mut self, fd: BorrowedFd<'_>, max: usize) -> io::Result<Option<Bytes>> {
        if max > ONE_SHOT_MAX {
            return recv_sized(fd, max);
        }
        let cap = max.max(1);
        if self.buf.capacity() < cap {
            self.buf = Vec::with_capacity(cap);
        }
        self.buf.clear();
        let (got, full) = retry(|| {
            rustix::net::recv(
                fd,
                rustix::buffer::spare_capacity(&mut self.buf),
                RecvFlags::TRUNC,
            )
        })?;
        if full == 0 {
            return Ok(None);
        }
        if full > max {
            self.buf.clear();
            return Err(oversize(full, max));
        }
        debug_assert_eq!(got, full);
        if got <= COPY_MAX {
            let msg = Bytes::copy_from_slice(&self.buf);
            self.buf.clear();
            Ok(Some(msg))
        } else {
            let mut whole = std::mem::take(&mut self.buf);
            whole.shrink_to_fit();
            Ok(Some(Bytes::from(whole)))
        }
    }
}

fn oversize(len: usize, max: usize) -> io::Error {
    DecodeError::MessageTooLong { len, max }.into()
}

/// Sizes the next message (`MSG_PEEK | MSG_TRUNC`), then receives it into a buffer of exactly
/// that size: a real message queued in the kernel, not a length someone claims.
fn recv_sized(fd: BorrowedFd<'_>, max: usize) -> io::Result<Option<Bytes>> {
    let len =
        retry(|| rustix::net::recv(fd, &mut [0u8; 0][..], RecvFlags::PEEK | RecvFlags::TRUNC))?.1;
    if len == 0 {
        // End of stream, or an empty message: consume it if it is one (at end of stream this
        // returns 0 at once too).
        match retry(|| rustix::net::recv(fd, &mut [0u8; 0][..], RecvFlags::DONTWAIT)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        return Ok(None);
    }
    if len > max {
        // The message is queued in the kernel already: drop it and report its size.
        retry(|| rustix::net::recv(fd, &mut [0u8; 0][..], RecvFlags::DONTWAIT))?;
        return Err(oversize(len, max));
    }
    let mut buf = Vec::with_capacity(len);
    let (got, full) = retry(|| {
        rustix::net::recv(
            fd,
            rustix::buffer::spare_capacity(&mut buf),
            RecvFlags::TRUNC,
        )
    })?;
    if full > got {
        // Only possible if another reader took the sized message in between.
        return Err(DecodeError::MessageCut {
            len: full,
            received: got,
        }
        .into());
    }
    if full == 0 {
        return Ok(None);
    }
    Ok(Some(Bytes::from(buf)))
}

/// Sends one message whole (a seqpacket send is all or nothing), after [`check_message`].
pub(crate) fn send_message(fd: BorrowedFd<'_>, payload: &[u8], max: usize) -> io::Result<()> {
    check_message(payload.len(), max)?;
    match rustix::net::send(fd, payload, SendFlags::NOSIGNAL) {
        Ok(n) if n == payload.len() => Ok(()),
        Ok(n) => Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!(
                "short send of {n} of {} bytes on a seqpacket socket",
                payload.len()
            ),
        )),
        Err(Errno::INTR) => send_message(fd, payload, max),
        // SO_SNDBUF was lowered behind our back: the limit is what it lets the socket send.
        Err(Errno::MSGSIZE) => Err(EncodeError::FrameTooLong {
            len: payload.len(),
            max: send_buffer_size(fd)?.saturating_sub(SNDBUF_OVERHEAD) as u64,
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// A packet pipe: `pipe2(O_DIRECT | O_CLOEXEC)`, (read end, write end).
pub(crate) fn packet_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    match rustix::pipe::pipe_with(PipeFlags::DIRECT | PipeFlags::CLOEXEC) {
        Ok(p) => {
            // More packets in flight before the writer waits (16 at the default 64 KiB); a
            // refusal keeps the default.
            let max = crate::sys::unix::pipe_size::max_capacity();
            let _ = crate::sys::unix::pipe_size::set_capacity(p.1.as_fd(), max);
            Ok(p)
        }
        Err(Errno::INVAL) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "packet pipes are not supported by this kernel: pipe2(O_DIRECT) returned EINVAL \
             (Linux 3.4 or later is needed)",
        )),
        Err(e) => Err(with_context(e, format_args!("cannot create a packet pipe"))),
    }
}

/// Checks that `fd` is a pipe end that can take part in a packet pipe. Linux records packet
/// mode on the write end only (`pipe2(O_DIRECT)` leaves the read end's flags without
/// `O_DIRECT`), so a write end must show `O_DIRECT`, and a read end can only be checked to be
/// a pipe opened for reading: its packets are whatever its writers made.
pub(crate) fn check_packet_pipe(fd: BorrowedFd<'_>, write_end: bool) -> io::Result<()> {
    let stat = rustix::fs::fstat(fd)?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::Fifo {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "descriptor is not a pipe, so it cannot be a packet pipe",
        ));
    }
    let flags = rustix::fs::fcntl_getfl(fd)?;
    let access = flags & rustix::fs::OFlags::ACCMODE;
    if write_end {
        if access != rustix::fs::OFlags::WRONLY {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "descriptor is not the write end of a pipe",
            ));
        }
        if !flags.contains(rustix::fs::OFlags::DIRECT) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "pipe is not in packet mode (O_DIRECT is not set on its write end)",
            ));
        }
    } else if access != rustix::fs::OFlags::RDONLY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "descriptor is not the read end of a pipe",
        ));
    }
    Ok(())
}

/// Reads one packet into `buf` (at least [`PIPE_BUF`] bytes, so no packet is cut) and returns
/// it as an owned copy; `Ok(None)` when every write end is closed.
pub(crate) fn read_packet(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Option<Bytes>> {
    debug_assert!(buf.len() >= PIPE_BUF);
    let n = retry(|| rustix::io::read(fd, &mut *buf))?;
    Ok((n > 0).then(|| Bytes::copy_from_slice(&buf[..n])))
}

/// Writes one packet: one `write` of at most [`PIPE_BUF`] bytes, which the kernel makes atomic.
pub(crate) fn write_packet(fd: BorrowedFd<'_>, payload: &[u8]) -> io::Result<()> {
    check_packet(payload.len())?;
    match retry(|| rustix::io::write(fd, payload))? {
        n if n == payload.len() => Ok(()),
        n => Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!(
                "short write of {n} of {} bytes on a packet pipe",
                payload.len()
            ),
        )),
    }
}

/// The pipe's capacity in packets (`F_GETPIPE_SZ` divided by the page size).
pub(crate) fn pipe_capacity(fd: BorrowedFd<'_>) -> io::Result<usize> {
    Ok(rustix::pipe::fcntl_getpipe_size(fd)? / rustix::param::page_size())
}

/// Sets the pipe's capacity to at least `packets` packets (`F_SETPIPE_SZ`); returns the
/// capacity the kernel chose (rounded up to a power of two pages).
pub(crate) fn set_pipe_capacity(fd: BorrowedFd<'_>, packets: usize) -> io::Result<usize> {
    let page = rustix::param::page_size();
    let bytes = packets.max(1).saturating_mul(page);
    match rustix::pipe::fcntl_setpipe_size(fd, bytes) {
        Ok(_) => pipe_capacity(fd),
        Err(e @ (Errno::PERM | Errno::INVAL | Errno::BUSY)) => Err(with_context(
            e,
            format_args!(
                "cannot set the packet pipe capacity to {packets} packets ({bytes} bytes; an \
                 unprivileged process may go up to /proc/sys/fs/pipe-max-size)"
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
}
