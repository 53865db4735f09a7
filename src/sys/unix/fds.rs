//! Descriptors passed with data over `AF_UNIX` sockets: `SCM_RIGHTS` control messages sent
//! with `sendmsg` and received with `recvmsg(MSG_CMSG_CLOEXEC)`, through rustix's safe
//! ancillary buffers (no `unsafe` here: rustix parses the control messages, and a received
//! descriptor that nobody takes is closed when its buffer is dropped).

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags,
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags,
};

/// The most descriptors Linux passes in one message (`SCM_MAX_FD`); a send of more fails
/// with `ETOOMANYREFS` there, so it is refused before anything is sent.
pub(crate) const SCM_MAX_FD: usize = 253;

/// Control space for [`SCM_MAX_FD`] descriptors. (Credentials, on a socket with
/// `SO_PASSCRED`, come first and take room: fewer descriptors then fit, and the rest is
/// `MSG_CTRUNC`.)
const CONTROL: usize = rustix::cmsg_space!(ScmRights(SCM_MAX_FD));

/// Whether `fd` is an `AF_UNIX` socket, the one kind of transport that carries descriptors.
pub(crate) fn carries_fds(fd: BorrowedFd<'_>) -> bool {
    rustix::net::getsockname(fd).is_ok_and(|a| a.address_family() == AddressFamily::UNIX)
}

/// What the transport is, for an error that says why it cannot carry descriptors.
pub(crate) fn transport_kind(fd: BorrowedFd<'_>) -> &'static str {
    match rustix::net::getsockname(fd) {
        Ok(a) if a.address_family() == AddressFamily::INET => "an IPv4 socket",
        Ok(a) if a.address_family() == AddressFamily::INET6 => "an IPv6 socket",
        Ok(_) => "a socket of another family",
        // `st_mode` is narrower than u32 on some systems.
        #[allow(clippy::unnecessary_cast)]
        Err(_) => match rustix::fs::fstat(fd) {
            Ok(st) => super::type_name(st.st_mode as u32),
            Err(_) => "not a socket",
        },
    }
}

#[cfg(not(target_vendor = "apple"))]
const SEND_FLAGS: SendFlags = SendFlags::NOSIGNAL;
/// Apple systems have no `MSG_NOSIGNAL`; their sockets have `SO_NOSIGPIPE` set instead.
#[cfg(target_vendor = "apple")]
const SEND_FLAGS: SendFlags = SendFlags::empty();

/// One `sendmsg` of `bufs` with `fds` as `SCM_RIGHTS`, attached to the first byte sent.
/// Returns the bytes sent (the descriptors went with them if it is more than 0); `EINTR` is
/// retried. Never raises `SIGPIPE`.
pub(crate) fn send_with_fds(
    sock: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    fds: &[BorrowedFd<'_>],
) -> io::Result<usize> {
    debug_assert!(fds.len() <= SCM_MAX_FD);
    let mut space = [MaybeUninit::<u8>::uninit(); CONTROL];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::other(
            "the descriptors do not fit the control buffer",
        ));
    }
    loop {
        match rustix::net::sendmsg(sock, bufs, &mut control, SEND_FLAGS) {
            Err(Errno::INTR) => continue,
            res => return Ok(res?),
        }
    }
}

/// What one [`recv_with_fds`] received.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// Bytes placed in the buffer.
    pub(crate) len: usize,
    /// The message's full length where `MSG_TRUNC` reports it (seqpacket), else `len`.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) full: usize,
    /// The descriptors that arrived, close-on-exec.
    pub(crate) fds: Vec<OwnedFd>,
    /// `MSG_CTRUNC`: more control data came than fit (the kernel closed what did not fit, or
    /// the process's descriptor table was full).
    pub(crate) truncated: bool,
}

/// One `recvmsg` into `buf` with room for [`SCM_MAX_FD`] descriptors; `trunc` asks for the
/// message's full length (`MSG_TRUNC`, seqpacket). Received descriptors are close-on-exec
/// from the start (`MSG_CMSG_CLOEXEC`; on Apple systems, which lack it, right after).
pub(crate) fn recv_with_fds(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
    trunc: bool,
) -> io::Result<Received> {
    let mut space = [MaybeUninit::<u8>::uninit(); CONTROL];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
    let mut flags = cloexec_flag();
    // `MSG_TRUNC` on receive (the full length of a datagram) is Linux's; seqpacket is too.
    #[cfg(target_os = "linux")]
    if trunc {
        flags |= RecvFlags::TRUNC;
    }
    #[cfg(not(target_os = "linux"))]
    debug_assert!(!trunc, "MSG_TRUNC is only asked for on linux");
    let msg = loop {
        let mut iov = [IoSliceMut::new(&mut *buf)];
        match rustix::net::recvmsg(sock, &mut iov, &mut control, flags) {
            Err(Errno::INTR) => continue,
            res => break res?,
        }
    };
    let mut fds = Vec::new();
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(got) = m {
            fds.extend(got);
        }
    }
    set_cloexec(&fds)?;
    Ok(Received {
        len: msg.bytes.min(buf.len()),
        full: msg.bytes,
        fds,
        truncated: msg.flags.contains(ReturnFlags::CTRUNC),
    })
}

#[cfg(not(target_vendor = "apple"))]
fn cloexec_flag() -> RecvFlags {
    RecvFlags::CMSG_CLOEXEC
}

#[cfg(target_vendor = "apple")]
fn cloexec_flag() -> RecvFlags {
    RecvFlags::empty()
}

#[cfg(not(target_vendor = "apple"))]
fn set_cloexec(_fds: &[OwnedFd]) -> io::Result<()> {
    Ok(())
}

/// Apple systems have no `MSG_CMSG_CLOEXEC`: the flag is set right after receiving (a child
/// spawned by another thread in between could inherit the descriptor).
#[cfg(target_vendor = "apple")]
fn set_cloexec(fds: &[OwnedFd]) -> io::Result<()> {
    for fd in fds {
        rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC)?;
    }
    Ok(())
}

/// Whether `fd` is close-on-exec (for tests and checks).
#[allow(dead_code)]
pub(crate) fn is_cloexec(fd: impl AsFd) -> io::Result<bool> {
    Ok(rustix::io::fcntl_getfd(fd)?.contains(rustix::io::FdFlags::CLOEXEC))
}

/// Receives one whole `SOCK_SEQPACKET` message and its descriptors: sized first
/// (`MSG_PEEK | MSG_TRUNC`, which takes no descriptors), then received into a buffer of
/// exactly its size. `Ok(None)` is end of stream (an empty message is consumed and reads as
/// one, its descriptors closed). A message over `max` bytes is consumed and discarded, its
/// descriptors closed, and reported as [`io::ErrorKind::InvalidData`].
#[cfg(target_os = "linux")]
pub(crate) fn recv_message_with_fds(
    sock: BorrowedFd<'_>,
    max: usize,
) -> io::Result<Option<(bytes::Bytes, Received)>> {
    let len = loop {
        match rustix::net::recv(sock, &mut [0u8; 0][..], RecvFlags::PEEK | RecvFlags::TRUNC) {
            Err(Errno::INTR) => continue,
            res => break res?.1,
        }
    };
    if len == 0 || len > max {
        // Consume it; its descriptors are closed with `Received`.
        let r = recv_with_fds(sock, &mut [], true)?;
        if r.full == 0 {
            return Ok(None);
        }
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "message of {} bytes exceeds the maximum of {max} bytes; it was discarded \
                 with its descriptors (raise the limit with with_max_frame_len)",
                r.full
            ),
        ));
    }
    let mut buf = vec![0u8; len];
    let r = recv_with_fds(sock, &mut buf, true)?;
    if r.full != len {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "message of {} bytes, sized as {len}: it changed between sizing and receiving \
                 (is another reader using this socket?)",
                r.full
            ),
        ));
    }
    Ok(Some((bytes::Bytes::from(buf), r)))
}

/// Seqpacket sockets exist on Linux only (see `message`).
#[cfg(not(target_os = "linux"))]
pub(crate) fn recv_message_with_fds(
    _sock: BorrowedFd<'_>,
    _max: usize,
) -> io::Result<Option<(bytes::Bytes, Received)>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "seqpacket sockets are implemented on linux only",
    ))
}

/// Sends one whole `SOCK_SEQPACKET` message with `fds`, after the same checks as a message
/// without them (not empty, at most `max` bytes).
pub(crate) fn send_message_with_fds(
    sock: BorrowedFd<'_>,
    payload: &[u8],
    max: usize,
    fds: &[BorrowedFd<'_>],
) -> io::Result<()> {
    super::message::check_message(payload.len(), max)?;
    match send_with_fds(sock, &[IoSlice::new(payload)], fds)? {
        n if n == payload.len() => Ok(()),
        n => Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!(
                "short send of {n} of {} bytes on a seqpacket socket",
                payload.len()
            ),
        )),
    }
}
