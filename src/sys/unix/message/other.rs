//! Message mode on Unixes other than Linux: the same functions as `linux.rs`, each failing
//! with [`io::ErrorKind::Unsupported`]. The constructors fail, so no message endpoint exists
//! here and the per-descriptor functions are never reached; they fail the same way regardless.
//!
//! (macOS has no `AF_UNIX` `SOCK_SEQPACKET`; the BSDs have it, but pipeframe's receive path
//! relies on Linux's `MSG_TRUNC` reporting a message's full length, and no platform but Linux
//! has packet pipes.)

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use bytes::Bytes;

use super::Name;

fn unsupported_seqpacket() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "seqpacket sockets are not supported on this platform: pipeframe's message mode needs \
         AF_UNIX SOCK_SEQPACKET with MSG_TRUNC sizing (Linux); use a codec such as lp32le instead",
    )
}

fn unsupported_pipe() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "packet pipes are not supported on this platform: they need pipe2(O_DIRECT) (Linux 3.4 \
         or later); use a codec such as lp32le instead",
    )
}

pub(crate) fn bind(_: Name<'_>) -> io::Result<OwnedFd> {
    Err(unsupported_seqpacket())
}
pub(crate) fn connect(_: Name<'_>) -> io::Result<OwnedFd> {
    Err(unsupported_seqpacket())
}
/// What one non-blocking connect attempt came to (never made here).
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectStep {
    Connected,
    InProgress,
    BacklogFull,
}
#[allow(dead_code)]
pub(crate) fn connecting_socket() -> io::Result<OwnedFd> {
    Err(unsupported_seqpacket())
}
#[allow(dead_code)]
pub(crate) fn connect_step(_: BorrowedFd<'_>, _: Name<'_>) -> io::Result<ConnectStep> {
    Err(unsupported_seqpacket())
}
#[allow(dead_code)]
pub(crate) fn finish_connect(_: BorrowedFd<'_>, _: Name<'_>) -> io::Result<()> {
    Err(unsupported_seqpacket())
}
pub(crate) fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    Err(unsupported_seqpacket())
}
pub(crate) fn accept(_: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    Err(unsupported_seqpacket())
}
pub(crate) fn check_seqpacket(_: BorrowedFd<'_>) -> io::Result<()> {
    Err(unsupported_seqpacket())
}
pub(crate) fn default_max(_: BorrowedFd<'_>) -> io::Result<usize> {
    Err(unsupported_seqpacket())
}
pub(crate) fn send_buffer_size(_: BorrowedFd<'_>) -> io::Result<usize> {
    Err(unsupported_seqpacket())
}
pub(crate) fn ensure_send_capacity(_: BorrowedFd<'_>, _: usize) -> io::Result<()> {
    Err(unsupported_seqpacket())
}
pub(crate) fn shutdown_write(_: BorrowedFd<'_>) -> io::Result<()> {
    Err(unsupported_seqpacket())
}
pub(crate) fn set_nonblocking(_: BorrowedFd<'_>, _: bool) -> io::Result<()> {
    Err(unsupported_seqpacket())
}
pub(crate) fn send_message(_: BorrowedFd<'_>, _: &[u8], _: usize) -> io::Result<()> {
    Err(unsupported_seqpacket())
}

/// The receive side of a seqpacket socket (nothing to keep here).
#[derive(Debug, Default)]
pub(crate) struct RecvBuf(());

impl RecvBuf {
    pub(crate) fn recv(&mut self, _: BorrowedFd<'_>, _: usize) -> io::Result<Option<Bytes>> {
        Err(unsupported_seqpacket())
    }
}

pub(crate) fn packet_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Err(unsupported_pipe())
}
pub(crate) fn check_packet_pipe(_: BorrowedFd<'_>, _: bool) -> io::Result<()> {
    Err(unsupported_pipe())
}
pub(crate) fn read_packet(_: BorrowedFd<'_>, _: &mut [u8]) -> io::Result<Option<Bytes>> {
    Err(unsupported_pipe())
}
pub(crate) fn write_packet(_: BorrowedFd<'_>, _: &[u8]) -> io::Result<()> {
    Err(unsupported_pipe())
}
pub(crate) fn pipe_capacity(_: BorrowedFd<'_>) -> io::Result<usize> {
    Err(unsupported_pipe())
}
pub(crate) fn set_pipe_capacity(_: BorrowedFd<'_>, _: usize) -> io::Result<usize> {
    Err(unsupported_pipe())
}
