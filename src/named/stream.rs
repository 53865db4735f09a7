use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::codec::{FrameDecoder, FrameEncoder};
use crate::sync::FrameStream;
use crate::sys::unix::socket::{self, Addr, ConnectError};

use super::{ConnectOptions, PeerCredentials, PipeName};

/// One connection of a named pipe, either side: a duplex byte stream with the peer's
/// credentials. `&PipeStream` reads and writes too, so one thread can read while another
/// writes; [`framed`](Self::framed) puts frames on it.
#[derive(Debug)]
pub struct PipeStream {
    inner: UnixStream,
}

impl PipeStream {
    pub(crate) fn new(inner: UnixStream) -> Self {
        PipeStream { inner }
    }

    /// Who is at the other end (see [`PeerCredentials`]).
    pub fn peer_credentials(&self) -> io::Result<PeerCredentials> {
        super::peer_credentials(&self.inner)
    }

    /// A second handle to the same connection.
    pub fn try_clone(&self) -> io::Result<PipeStream> {
        Ok(PipeStream {
            inner: self.inner.try_clone()?,
        })
    }

    /// Frames both ways over this connection.
    pub fn framed<C>(self, codec: C) -> io::Result<FrameStream<PipeStream, PipeStream, C>>
    where
        C: FrameDecoder + FrameEncoder + Clone,
    {
        let w = self.try_clone()?;
        Ok(FrameStream::from_parts(self, w, codec))
    }

    /// Ends our sending direction: the peer reads end of stream, and can still reply.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.inner.shutdown(Shutdown::Write)
    }

    /// Sets a timeout for blocking reads (`None`: wait forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.set_read_timeout(timeout)
    }

    /// Sets a timeout for blocking writes (`None`: wait forever).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.set_write_timeout(timeout)
    }
}

impl Read for PipeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.read_vectored(bufs)
    }
}

impl Read for &PipeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.inner).read(buf)
    }
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.inner).read_vectored(bufs)
    }
}

impl Write for PipeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &PipeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.inner).write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&self.inner).write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for PipeStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(unix)]
impl From<PipeStream> for UnixStream {
    fn from(s: PipeStream) -> UnixStream {
        s.inner
    }
}

/// Connects to the server named `name`, once: no server is an error at once
/// ([`io::ErrorKind::NotFound`] or [`io::ErrorKind::ConnectionRefused`], naming the endpoint);
/// a server whose backlog is full is waited for, as a blocking `connect` would.
/// To wait for a server that is not up yet, use [`connect_timeout`] or [`ConnectOptions`].
pub fn connect(name: &PipeName) -> io::Result<PipeStream> {
    ConnectOptions::new().connect(name)
}

/// Connects to the server named `name`, waiting up to `timeout` for it to appear; then
/// [`io::ErrorKind::TimedOut`] naming the endpoint.
pub fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<PipeStream> {
    ConnectOptions::new().timeout(timeout).connect(name)
}

pub(crate) fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<PipeStream> {
    let addr = name.addr();
    let start = Instant::now();
    let deadline = opts.timeout.map(|t| start + t);
    let mut attempt = 0;
    let fd = loop {
        match socket::try_connect(&addr) {
            Ok(fd) => break fd,
            Err(ConnectError::Fatal(e)) => return Err(e),
            Err(ConnectError::NotYet(e)) => match deadline {
                Some(d) if Instant::now() < d => {
                    attempt += 1;
                    std::thread::sleep(socket::backoff(attempt, deadline));
                }
                Some(_) => return Err(socket::timed_out(&addr, start.elapsed(), &e)),
                // No timeout: only a full backlog is waited for, as a blocking connect would.
                None if e.kind() == io::ErrorKind::WouldBlock => {
                    attempt += 1;
                    std::thread::sleep(socket::backoff(attempt, None));
                }
                None => return Err(e),
            },
        }
    };
    socket::set_blocking(&fd)?;
    check_server(&fd, &addr, opts.current_user_only)?;
    Ok(PipeStream::new(UnixStream::from(fd)))
}

/// With `current_user_only`, refuses a server another uid runs.
pub(crate) fn check_server(fd: &OwnedFd, addr: &Addr, current_user_only: bool) -> io::Result<()> {
    if !current_user_only {
        return Ok(());
    }
    let peer = PeerCredentials::from(socket::peer_cred(fd)?);
    let me = socket::current_uid();
    if peer.uid() != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "pipe server at {addr} runs as uid {}, not the current user (uid {me})",
                peer.uid()
            ),
        ));
    }
    Ok(())
}
