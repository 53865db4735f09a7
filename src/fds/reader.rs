use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};

use bytes::Bytes;

use super::{DEFAULT_MAX_FDS, FdError, inbox::Inbox};
use crate::codec::FrameDecoder;
use crate::sync::FrameReader;
use crate::sys::unix::fds;

/// The byte source under an [`FdReader`]: `recvmsg` with room for descriptors on a Unix
/// socket (plain `read` on anything else), each read's descriptors kept in the inbox.
#[derive(Debug)]
pub(crate) struct Recv<R> {
    io: R,
    carries: bool,
    pub(crate) inbox: Inbox,
}

impl<R: AsFd + Read> Read for Recv<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.carries {
            return self.io.read(buf);
        }
        let r = fds::recv_with_fds(self.io.as_fd(), buf, false)?;
        let n = r.len;
        self.inbox.received(r);
        Ok(n)
    }
}

/// Reads frames and the descriptors sent with them from a blocking Unix stream socket
/// (`UnixStream`, `named::PipeStream`), with any codec.
///
/// Descriptors arrive close-on-exec. A frame may bring at most
/// [`max_fds`](Self::max_fds) of them (32 by default); more, or a control message the
/// kernel truncated, is an [`FdError`] for that frame, every descriptor that came with it
/// closed, and the next read goes on with the next frame. The module docs say how
/// descriptors are matched to frames.
///
/// A decode error stops the reader for good ([`FdError::Stopped`] after it): unlike
/// [`FrameReader`], which can skip an overlong line, it could no longer tell which frame
/// later descriptors belong to.
#[derive(Debug)]
pub struct FdReader<R: AsFd + Read, D> {
    inner: FrameReader<Recv<R>, D>,
    failed: bool,
}

impl<R: AsFd + Read, D: FrameDecoder> FdReader<R, D> {
    /// Frames from `io`, decoded with `decoder`. Over a transport that cannot carry
    /// descriptors (a pipe) it reads frames, which never have any.
    pub fn new(io: R, decoder: D) -> Self {
        let carries = fds::carries_fds(io.as_fd());
        FdReader {
            inner: FrameReader::new(
                Recv {
                    io,
                    carries,
                    inbox: Inbox::new(DEFAULT_MAX_FDS),
                },
                decoder,
            ),
            failed: false,
        }
    }

    /// At most `max` descriptors with one frame (default 32; one message carries at most
    /// 253 on Linux).
    pub fn with_max_fds(mut self, max: usize) -> Self {
        self.inner.get_mut().inbox.set_max(max);
        self
    }

    /// The most descriptors one frame may bring.
    pub fn max_fds(&self) -> usize {
        self.inner.get_ref().inbox.max()
    }

    /// The next frame and the descriptors that came with it (often none); `Ok(None)` at a
    /// clean end of stream.
    pub fn read_frame_with_fds(&mut self) -> io::Result<Option<(Bytes, Vec<OwnedFd>)>> {
        if self.failed {
            return Err(FdError::Stopped.into());
        }
        let res = self.inner.read_frame();
        let end = self.inner.position();
        let recv = self.inner.get_mut();
        recv.inbox.settle(&mut self.failed, res, end)
    }

    /// The next frame; descriptors that came with it are closed.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.read_frame_with_fds()?.map(|(frame, _)| frame))
    }

    /// The transport.
    pub fn get_ref(&self) -> &R {
        &self.inner.get_ref().io
    }
}
