use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use bytes::Bytes;

use super::sys::{self, Name, RecvBuf};

/// A listening `SOCK_SEQPACKET` Unix socket, bound to a filesystem path or an abstract name.
///
/// Each accepted connection is a [`SeqpacketStream`]. The socket file of a path listener is
/// not removed when the listener is dropped (as with [`std::os::unix::net::UnixListener`]);
/// abstract names vanish with the last descriptor.
///
/// Linux only: on other Unixes the constructors (and `TryFrom<OwnedFd>`) return
/// [`io::ErrorKind::Unsupported`].
#[derive(Debug)]
pub struct SeqpacketListener {
    fd: OwnedFd,
}

impl SeqpacketListener {
    /// Binds to a filesystem path (it must not exist) and listens.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(SeqpacketListener {
            fd: sys::bind(Name::Path(path.as_ref()))?,
        })
    }

    /// Binds to a Linux abstract socket name (no file; `name` without the leading NUL) and
    /// listens.
    pub fn bind_abstract(name: impl AsRef<[u8]>) -> io::Result<Self> {
        Ok(SeqpacketListener {
            fd: sys::bind(Name::Abstract(name.as_ref()))?,
        })
    }

    /// Waits for a connection.
    pub fn accept(&self) -> io::Result<SeqpacketStream> {
        SeqpacketStream::from_fd(sys::accept(self.fd.as_fd())?)
    }

    /// Sets or clears non-blocking mode (`accept` then fails with `WouldBlock`).
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::set_nonblocking(self.fd.as_fd(), nonblocking)
    }
}

/// One end of a `SOCK_SEQPACKET` Unix connection: every [`write_frame`](Self::write_frame) is
/// one message and every [`read_frame`](Self::read_frame) returns one whole message.
///
/// # Sizes
///
/// The maximum message size ([`max_frame_len`](Self::max_frame_len)) starts at what the
/// socket's send buffer lets it send: `SO_SNDBUF - 32` bytes, 212,960 bytes with Linux's
/// default `SO_SNDBUF` of 212,992 (`net.core.wmem_default`). The same value bounds what is
/// received. [`try_with_max_frame_len`](Self::try_with_max_frame_len) raises both, growing `SO_SNDBUF` up
/// to what `net.core.wmem_max` allows; both ends must raise it (the sender to send, the
/// receiver to accept).
///
/// * Sending more than the maximum is an [`io::ErrorKind::InvalidInput`] error and nothing is
///   sent. Sending is all or nothing: a message is never split.
/// * Receiving never cuts a message short silently. With a maximum of up to 256 KiB (the
///   default), each receive is one `recv` into a reusable buffer of the maximum size, so every
///   message within the limit fits, and `MSG_TRUNC` reports the full length of one that does
///   not. With a larger maximum, each message is sized first (`MSG_PEEK | MSG_TRUNC`) and
///   received into a buffer of exactly its size (two system calls, no buffer kept). A message
///   longer than the maximum is consumed and discarded, and the read is an
///   [`io::ErrorKind::InvalidData`] error naming its size; the connection stays usable and the
///   next read returns the next message whole.
///
/// # Empty messages and end of stream
///
/// On `SOCK_SEQPACKET` a zero-length message reads exactly like end of stream (`recv`
/// returns 0 for both). pipeframe therefore never sends one: writing an empty frame is an
/// [`EncodeError::EmptyFrame`](crate::codec::EncodeError::EmptyFrame) error
/// ([`io::ErrorKind::InvalidInput`]). A zero-length receive is end of stream: `Ok(None)`,
/// and every later read returns `Ok(None)` too. (An empty message from a foreign peer is
/// consumed and also ends the stream.)
///
/// # Threads
///
/// Sending takes `&self`. Reading takes `&mut self`; to read on one thread and write on
/// another, [`try_clone`](Self::try_clone) the stream. Do not read one connection from two
/// threads at once.
///
/// Linux only: on other Unixes the constructors (and `TryFrom<OwnedFd>`) return
/// [`io::ErrorKind::Unsupported`].
#[derive(Debug)]
pub struct SeqpacketStream {
    fd: OwnedFd,
    max: usize,
    eof: bool,
    rbuf: RecvBuf,
    max_fds: usize,
}

impl SeqpacketStream {
    /// Connects to a listener bound to a filesystem path.
    pub fn connect(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::from_fd(sys::connect(Name::Path(path.as_ref()))?)
    }

    /// Connects to a listener bound to a Linux abstract name (without the leading NUL).
    pub fn connect_abstract(name: impl AsRef<[u8]>) -> io::Result<Self> {
        Self::from_fd(sys::connect(Name::Abstract(name.as_ref()))?)
    }

    /// Two connected ends (`socketpair`), for a parent and a child or two threads. The
    /// descriptors are close-on-exec; to hand one to a child process, convert it with
    /// `OwnedFd::from` and pass it as the child's own handoff code requires.
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = sys::pair()?;
        Ok((Self::from_fd(a)?, Self::from_fd(b)?))
    }

    fn from_fd(fd: OwnedFd) -> io::Result<Self> {
        let max = sys::default_max(fd.as_fd())?;
        Ok(SeqpacketStream {
            fd,
            max,
            eof: false,
            rbuf: RecvBuf::default(),
            max_fds: crate::fds::DEFAULT_MAX_FDS,
        })
    }

    /// The next message, whole; `Ok(None)` once the peer has closed (or shut down writing).
    ///
    /// A message longer than [`max_frame_len`](Self::max_frame_len) is discarded and the call
    /// fails with [`io::ErrorKind::InvalidData`]; the next call reads the next message.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        if self.eof {
            return Ok(None);
        }
        let msg = self.rbuf.recv(self.fd.as_fd(), self.max)?;
        self.eof = msg.is_none();
        Ok(msg)
    }

    /// Sends one message. Empty payloads and payloads longer than
    /// [`max_frame_len`](Self::max_frame_len) are refused ([`io::ErrorKind::InvalidInput`])
    /// before anything is sent. Blocks while the peer's queue is full. A closed peer is
    /// [`io::ErrorKind::BrokenPipe`] (no `SIGPIPE`).
    pub fn write_frame(&self, payload: &[u8]) -> io::Result<()> {
        sys::send_message(self.fd.as_fd(), payload, self.max)
    }

    /// Sends one message with `fds` attached (`SCM_RIGHTS`; see [`fds`](crate::fds)): the
    /// checks of [`write_frame`](Self::write_frame), and at most 253 descriptors
    /// ([`FdError::TooManyToSend`](crate::fds::FdError::TooManyToSend)), before anything is
    /// sent. The descriptors stay open here.
    pub fn write_frame_with_fds(&self, payload: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        crate::fds::check_send_count(fds.len())?;
        crate::sys::unix::fds::send_message_with_fds(self.fd.as_fd(), payload, self.max, fds)
    }

    /// The next message, whole, with the descriptors sent with it (close-on-exec);
    /// `Ok(None)` at end of stream. More than [`max_fds`](Self::max_fds) descriptors, or a
    /// truncated control message, is an [`FdError`](crate::fds::FdError) with every
    /// descriptor closed and the message consumed; the next call reads the next message. A
    /// message over [`max_frame_len`](Self::max_frame_len) is discarded with its
    /// descriptors. Each message is sized first (two system calls).
    pub fn read_frame_with_fds(&mut self) -> io::Result<Option<(Bytes, Vec<OwnedFd>)>> {
        if self.eof {
            return Ok(None);
        }
        match crate::sys::unix::fds::recv_message_with_fds(self.fd.as_fd(), self.max)? {
            None => {
                self.eof = true;
                Ok(None)
            }
            Some((msg, r)) => Ok(Some((msg, crate::fds::inbox::whole(r, self.max_fds)?))),
        }
    }

    /// At most `max` descriptors with one received message (default 32).
    pub fn with_max_fds(mut self, max: usize) -> Self {
        self.max_fds = max;
        self
    }

    /// The most descriptors one received message may bring.
    pub fn max_fds(&self) -> usize {
        self.max_fds
    }

    /// The largest message sent or accepted, in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.max
    }

    /// The stream with `max` as the largest message sent or accepted. Raising it grows
    /// `SO_SNDBUF` so the socket can send messages that large; if the kernel caps `SO_SNDBUF`
    /// below that (`net.core.wmem_max`), this fails naming the cap (`SO_SNDBUF` may have grown
    /// to the cap, and the stream is dropped). The peer must raise its own limit to accept
    /// such messages.
    pub fn try_with_max_frame_len(mut self, max: usize) -> io::Result<Self> {
        self.set_max_frame_len(max)?;
        Ok(self)
    }

    /// [`try_with_max_frame_len`](Self::try_with_max_frame_len) in place, for a stream you must keep
    /// whatever happens: on failure the limit is unchanged and the stream stays usable.
    pub fn set_max_frame_len(&mut self, max: usize) -> io::Result<()> {
        sys::ensure_send_capacity(self.fd.as_fd(), max)?;
        self.max = max;
        Ok(())
    }

    /// `SO_SNDBUF` as the kernel reports it (Linux reports twice the value set).
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        sys::send_buffer_size(self.fd.as_fd())
    }

    /// Shuts down the writing direction: the peer reads the queued messages, then end of
    /// stream.
    pub fn shutdown_write(&self) -> io::Result<()> {
        sys::shutdown_write(self.fd.as_fd())
    }

    /// A second handle to the same connection (for a reader and a writer thread), with the
    /// same limit.
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(SeqpacketStream {
            fd: self.fd.try_clone()?,
            max: self.max,
            eof: false,
            rbuf: RecvBuf::default(),
            max_fds: self.max_fds,
        })
    }

    /// Sets or clears non-blocking mode (reads and writes then fail with `WouldBlock`
    /// without having consumed or sent anything).
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::set_nonblocking(self.fd.as_fd(), nonblocking)
    }

    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) fn into_parts(self) -> (OwnedFd, usize) {
        (self.fd, self.max)
    }
}

impl Iterator for SeqpacketStream {
    type Item = io::Result<Bytes>;

    /// The next message; `None` at end of stream. An oversize message is an `Err` item and
    /// iteration goes on with the next message.
    fn next(&mut self) -> Option<Self::Item> {
        self.read_frame().transpose()
    }
}

mod fd_impls {
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

    use super::{SeqpacketListener, SeqpacketStream};

    impl AsFd for SeqpacketStream {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.fd.as_fd()
        }
    }
    impl AsRawFd for SeqpacketStream {
        fn as_raw_fd(&self) -> RawFd {
            self.fd.as_raw_fd()
        }
    }
    impl From<SeqpacketStream> for OwnedFd {
        fn from(s: SeqpacketStream) -> OwnedFd {
            s.fd
        }
    }
    /// Adopts a descriptor received from elsewhere (a parent process); fails with
    /// [`io::ErrorKind::InvalidInput`] unless it is a `SOCK_SEQPACKET` socket.
    impl TryFrom<OwnedFd> for SeqpacketStream {
        type Error = io::Error;
        fn try_from(fd: OwnedFd) -> io::Result<Self> {
            super::sys::check_seqpacket(fd.as_fd())?;
            Self::from_fd(fd)
        }
    }
    impl AsFd for SeqpacketListener {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.fd.as_fd()
        }
    }
    impl AsRawFd for SeqpacketListener {
        fn as_raw_fd(&self) -> RawFd {
            self.fd.as_raw_fd()
        }
    }
    impl From<SeqpacketListener> for OwnedFd {
        fn from(l: SeqpacketListener) -> OwnedFd {
            l.fd
        }
    }
}

impl crate::frame_io::ReadFrame for SeqpacketStream {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        SeqpacketStream::read_frame(self)
    }
}

impl crate::frame_io::WriteFrame for SeqpacketStream {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        SeqpacketStream::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Shuts the socket down for writing.
    fn close(&mut self) -> io::Result<()> {
        self.shutdown_write()
    }
}

impl From<SeqpacketStream> for crate::frame_io::ReadTransport {
    fn from(s: SeqpacketStream) -> Self {
        Self::messages(s, "seqpacket socket")
    }
}

impl From<SeqpacketStream> for crate::frame_io::WriteTransport {
    fn from(s: SeqpacketStream) -> Self {
        Self::messages(s, "seqpacket socket")
    }
}
