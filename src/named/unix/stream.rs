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

    /// Wraps a connected std stream (from `UnixStream::pair`, a socket handed down by a
    /// parent, ...), so that its writes never raise `SIGPIPE` either. The stream is used as
    /// it is (blocking or not).
    pub fn from_std(stream: UnixStream) -> io::Result<PipeStream> {
        socket::no_sigpipe(&stream)?;
        Ok(PipeStream::new(stream))
    }

    /// A connected pair of streams, each the other's peer (`socketpair`).
    pub fn pair() -> io::Result<(PipeStream, PipeStream)> {
        let (a, b) = UnixStream::pair()?;
        Ok((PipeStream::from_std(a)?, PipeStream::from_std(b)?))
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

    /// Frames that carry descriptors both ways over this connection (see
    /// [`fds`](crate::fds)).
    pub fn framed_with_fds<C>(self, codec: C) -> io::Result<crate::fds::FdStream<PipeStream, C>>
    where
        C: FrameDecoder + FrameEncoder + Clone,
    {
        let w = self.try_clone()?;
        Ok(crate::fds::FdStream::from_parts(self, w, codec))
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
        (&*self).read(buf)
    }
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
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

// Writes go through `send(MSG_NOSIGNAL)`/`sendmsg(MSG_NOSIGNAL)` (std's `write`/`writev`
// take no flags): a peer that is gone is `BrokenPipe`, never a `SIGPIPE`, whatever the
// process's disposition of it.
impl Write for PipeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &PipeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        socket::send_nosignal(&self.inner, buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        socket::send_vectored_nosignal(&self.inner, bufs)
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

/// Connects as `opts` say: waits for the server up to [`ConnectOptions::timeout`], then
/// with [`ConnectOptions::current_user_only`] checks who runs it.
pub fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<PipeStream> {
    let mut c = Connecting::new(name, opts);
    let fd = loop {
        match c.attempt()? {
            Attempt::Connected(fd) => break fd,
            Attempt::Wait(d) => std::thread::sleep(d),
        }
    };
    socket::set_blocking(&fd)?;
    Ok(PipeStream::new(UnixStream::from(c.finish(fd)?)))
}

/// The client's retry policy, shared by every flavour: each flavour calls
/// [`attempt`](Self::attempt) and sleeps on its own timer when told to wait.
#[derive(Debug)]
pub(crate) struct Connecting {
    addr: Addr,
    start: Instant,
    deadline: Option<Instant>,
    attempt: u32,
    current_user_only: bool,
    /// A name whose socket path cannot fit (`PipeName::check`): every attempt fails with it.
    unfit: Option<super::SocketPathTooLong>,
}

/// What one [`Connecting::attempt`] came to.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Connected (non-blocking); pass it to [`Connecting::finish`].
    Connected(OwnedFd),
    /// Not yet: sleep this long, then attempt again.
    Wait(Duration),
}

impl Connecting {
    pub(crate) fn new(name: &PipeName, opts: &ConnectOptions) -> Self {
        let start = Instant::now();
        Connecting {
            addr: name.addr(),
            start,
            deadline: opts.timeout.map(|t| start + t),
            attempt: 0,
            current_user_only: opts.current_user_only,
            unfit: name.fits().err(),
        }
    }

    /// One connect; a server that is not there yet (or is busy) is waited for until the
    /// deadline, then the error is [`io::ErrorKind::TimedOut`] naming the endpoint.
    pub(crate) fn attempt(&mut self) -> io::Result<Attempt> {
        if let Some(e) = &self.unfit {
            return Err(e.clone().into());
        }
        match socket::try_connect(&self.addr) {
            Ok(fd) => Ok(Attempt::Connected(fd)),
            Err(ConnectError::Fatal(e)) => Err(e),
            Err(ConnectError::NotYet(e)) => match self.deadline {
                Some(d) if Instant::now() < d => {
                    self.attempt += 1;
                    Ok(Attempt::Wait(socket::backoff(self.attempt, self.deadline)))
                }
                Some(d) => Err(socket::timed_out(&self.addr, d - self.start, &e)),
                // No timeout: only a full backlog is waited for, as a blocking connect would.
                None if e.kind() == io::ErrorKind::WouldBlock => {
                    self.attempt += 1;
                    Ok(Attempt::Wait(socket::backoff(self.attempt, None)))
                }
                None => Err(e),
            },
        }
    }

    /// Checks the server (see [`ConnectOptions::current_user_only`]) and returns the socket.
    pub(crate) fn finish(self, fd: OwnedFd) -> io::Result<OwnedFd> {
        check_server(&fd, &self.addr, self.current_user_only)?;
        Ok(fd)
    }
}

/// With `current_user_only`, refuses a server another uid runs.
fn check_server(fd: &OwnedFd, addr: &Addr, current_user_only: bool) -> io::Result<()> {
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
