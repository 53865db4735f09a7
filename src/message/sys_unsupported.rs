//! The stand-in for platforms without message-mode transports: every constructor fails with
//! [`io::ErrorKind::Unsupported`], so no endpoint can exist and every method on one is
//! unreachable.

use std::io;
use std::path::Path;

use bytes::Bytes;

/// No descriptor can exist here.
#[derive(Debug)]
pub(crate) enum Never {}

pub(crate) type Fd = Never;

#[allow(dead_code)] // the names only travel to the error below
#[derive(Debug, Clone, Copy)]
pub(crate) enum Name<'a> {
    Path(&'a Path),
    Abstract(&'a [u8]),
}

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

pub(crate) fn borrow(fd: &Fd) -> &Never {
    fd
}
pub(crate) fn try_clone(fd: &Fd) -> io::Result<Fd> {
    match *fd {}
}
pub(crate) fn bind(_: Name<'_>) -> io::Result<Fd> {
    Err(unsupported_seqpacket())
}
pub(crate) fn connect(_: Name<'_>) -> io::Result<Fd> {
    Err(unsupported_seqpacket())
}
pub(crate) fn pair() -> io::Result<(Fd, Fd)> {
    Err(unsupported_seqpacket())
}
pub(crate) fn packet_pipe() -> io::Result<(Fd, Fd)> {
    Err(unsupported_pipe())
}
pub(crate) fn accept(fd: &Never) -> io::Result<Fd> {
    match *fd {}
}
pub(crate) fn default_max(fd: &Never) -> io::Result<usize> {
    match *fd {}
}
pub(crate) fn send_buffer_size(fd: &Never) -> io::Result<usize> {
    match *fd {}
}
pub(crate) fn ensure_send_capacity(fd: &Never, _: usize) -> io::Result<()> {
    match *fd {}
}
pub(crate) fn shutdown_write(fd: &Never) -> io::Result<()> {
    match *fd {}
}
pub(crate) fn set_nonblocking(fd: &Never, _: bool) -> io::Result<()> {
    match *fd {}
}
#[derive(Debug, Default)]
pub(crate) struct RecvBuf(());
impl RecvBuf {
    pub(crate) fn recv(&mut self, fd: &Never, _: usize) -> io::Result<Option<Bytes>> {
        match *fd {}
    }
}
pub(crate) fn send_message(fd: &Never, _: &[u8], _: usize) -> io::Result<()> {
    match *fd {}
}
pub(crate) fn read_packet(fd: &Never, _: &mut [u8]) -> io::Result<Option<Bytes>> {
    match *fd {}
}
pub(crate) fn write_packet(fd: &Never, _: &[u8]) -> io::Result<()> {
    match *fd {}
}
pub(crate) fn pipe_capacity(fd: &Never) -> io::Result<usize> {
    match *fd {}
}
pub(crate) fn set_pipe_capacity(fd: &Never, _: usize) -> io::Result<usize> {
    match *fd {}
}
