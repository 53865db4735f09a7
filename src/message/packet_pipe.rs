use std::io;
use std::os::fd::{AsFd, OwnedFd};

use bytes::Bytes;

use super::PIPE_BUF;
use super::sys;

/// Creates a packet pipe: `pipe2(O_DIRECT | O_CLOEXEC)` (Linux 3.4 and later).
///
/// Each [`PacketWriter::write_frame`] of at most [`PIPE_BUF`] (4096) bytes is one packet, and
/// each [`PacketReader::read_frame`] returns one whole packet. Writes of at most `PIPE_BUF`
/// bytes are atomic, so several writers (threads, or processes holding a copy of the write
/// end) can share one pipe and every packet arrives intact.
///
/// # Limits
///
/// * A packet holds 1 to 4096 bytes. Longer frames are refused with
///   [`io::ErrorKind::InvalidInput`] before any byte is written: the kernel would split them
///   into several packets. Empty frames are refused too: a zero-length write makes no packet.
/// * The pipe holds as many packets as the unprivileged maximum pipe size allows
///   (`/proc/sys/fs/pipe-max-size`: 1 MiB = 256 packets by default; the kernel's 16 where it
///   refuses, e.g. past the per-user pipe page limit), whatever their size (one page each). A writer
///   blocks when it is full. [`PacketWriter::set_capacity`] / [`PacketReader::set_capacity`]
///   change that (`F_SETPIPE_SZ`; an unprivileged process may go up to
///   `/proc/sys/fs/pipe-max-size`, 1 MiB by default, i.e. 256 packets).
/// * A kernel without packet pipes gives [`io::ErrorKind::Unsupported`]; so does every
///   platform other than Linux.
///
/// The descriptors are close-on-exec. End of stream: once every write end is closed, the
/// reader returns the queued packets, then `Ok(None)`.
pub fn packet_pipe() -> io::Result<(PacketReader, PacketWriter)> {
    let (r, w) = sys::packet_pipe()?;
    Ok((PacketReader::from_fd(r), PacketWriter { fd: w }))
}

/// The read end of a [packet pipe](packet_pipe).
#[derive(Debug)]
pub struct PacketReader {
    fd: OwnedFd,
    buf: Box<[u8]>,
    eof: bool,
}

impl PacketReader {
    fn from_fd(fd: OwnedFd) -> Self {
        PacketReader {
            fd,
            buf: vec![0; PIPE_BUF].into_boxed_slice(),
            eof: false,
        }
    }

    /// The next packet, whole (read with a `PIPE_BUF`-sized buffer, so none is cut); `Ok(None)`
    /// once every write end is closed and the pipe is drained.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        if self.eof {
            return Ok(None);
        }
        let pkt = sys::read_packet(self.fd.as_fd(), &mut self.buf)?;
        self.eof = pkt.is_none();
        Ok(pkt)
    }

    /// The pipe's capacity in packets (see the type docs for the default).
    pub fn capacity(&self) -> io::Result<usize> {
        sys::pipe_capacity(self.fd.as_fd())
    }

    /// Sets the pipe's capacity to at least `packets` packets (`F_SETPIPE_SZ`, rounded up to a
    /// power of two); returns the capacity set.
    pub fn set_capacity(&self, packets: usize) -> io::Result<usize> {
        sys::set_pipe_capacity(self.fd.as_fd(), packets)
    }

    /// Sets or clears non-blocking mode.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::set_nonblocking(self.fd.as_fd(), nonblocking)
    }

    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

impl Iterator for PacketReader {
    type Item = io::Result<Bytes>;

    /// The next packet; `None` once every write end is closed.
    fn next(&mut self) -> Option<Self::Item> {
        self.read_frame().transpose()
    }
}

/// The write end of a [packet pipe](packet_pipe). Clone it ([`try_clone`](Self::try_clone))
/// to give several threads their own writer: packets never interleave.
#[derive(Debug)]
pub struct PacketWriter {
    fd: OwnedFd,
}

impl PacketWriter {
    /// Writes one packet of 1 to [`PIPE_BUF`] bytes, in one atomic `write`. Anything else is
    /// refused with [`io::ErrorKind::InvalidInput`] before any byte is written. Blocks while
    /// the pipe is full. With no reader left: [`io::ErrorKind::BrokenPipe`] (Rust programs
    /// ignore `SIGPIPE` by default).
    pub fn write_frame(&self, payload: &[u8]) -> io::Result<()> {
        sys::write_packet(self.fd.as_fd(), payload)
    }

    /// The pipe's capacity in packets (see the type docs for the default).
    pub fn capacity(&self) -> io::Result<usize> {
        sys::pipe_capacity(self.fd.as_fd())
    }

    /// Sets the pipe's capacity to at least `packets` packets (`F_SETPIPE_SZ`, rounded up to a
    /// power of two); returns the capacity set.
    pub fn set_capacity(&self, packets: usize) -> io::Result<usize> {
        sys::set_pipe_capacity(self.fd.as_fd(), packets)
    }

    /// A second write end of the same pipe.
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(PacketWriter {
            fd: self.fd.try_clone()?,
        })
    }

    /// Sets or clears non-blocking mode (a full pipe then fails with `WouldBlock`, nothing
    /// written).
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::set_nonblocking(self.fd.as_fd(), nonblocking)
    }

    #[cfg(any(feature = "tokio", feature = "futures-io"))]
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

mod fd_impls {
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

    use super::{PacketReader, PacketWriter};

    macro_rules! fd_impls {
        ($t:ident) => {
            impl AsFd for $t {
                fn as_fd(&self) -> BorrowedFd<'_> {
                    self.fd.as_fd()
                }
            }
            impl AsRawFd for $t {
                fn as_raw_fd(&self) -> RawFd {
                    self.fd.as_raw_fd()
                }
            }
            impl From<$t> for OwnedFd {
                fn from(p: $t) -> OwnedFd {
                    p.fd
                }
            }
        };
    }
    fd_impls!(PacketReader);
    fd_impls!(PacketWriter);

    /// Adopts a read end received from elsewhere (a parent process); fails with
    /// [`io::ErrorKind::InvalidInput`] unless it is the read end of a pipe. Linux keeps packet
    /// mode on the write end only, so whether its writers make packets cannot be checked here.
    impl TryFrom<OwnedFd> for PacketReader {
        type Error = io::Error;
        fn try_from(fd: OwnedFd) -> io::Result<Self> {
            super::sys::check_packet_pipe(fd.as_fd(), false)?;
            Ok(Self::from_fd(fd))
        }
    }

    /// Adopts a write end received from elsewhere; fails with [`io::ErrorKind::InvalidInput`]
    /// unless it is the write end of a pipe with `O_DIRECT` set.
    impl TryFrom<OwnedFd> for PacketWriter {
        type Error = io::Error;
        fn try_from(fd: OwnedFd) -> io::Result<Self> {
            super::sys::check_packet_pipe(fd.as_fd(), true)?;
            Ok(PacketWriter { fd })
        }
    }
}

impl crate::frame_io::ReadFrame for PacketReader {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        PacketReader::read_frame(self)
    }
}

impl crate::frame_io::WriteFrame for PacketWriter {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        PacketWriter::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Does nothing: every frame is already sent, and the pipe end closes when dropped (see
    /// [`WriteFrame::close`](crate::frame_io::WriteFrame::close)).
    fn close(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl From<PacketReader> for crate::frame_io::ReadTransport {
    fn from(p: PacketReader) -> Self {
        Self::messages(p, "packet pipe")
    }
}

impl From<PacketWriter> for crate::frame_io::WriteTransport {
    fn from(p: PacketWriter) -> Self {
        Self::messages(p, "packet pipe")
    }
}
