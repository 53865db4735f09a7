use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};

use super::frame::FdFrame;
use crate::codec::{FrameEncoder, WriteError};
use crate::sync::FrameWriter;
use crate::sys::unix::{fds, socket};

/// Writes frames, some with descriptors, to a blocking Unix stream socket (`UnixStream`,
/// `named::PipeStream`), with any codec.
///
/// Frames without descriptors are batched as [`FrameWriter`] batches them. A frame with
/// descriptors first sends the batch before it, then goes out in a `sendmsg` of its own with
/// the descriptors attached to its first byte, so they arrive with it (the module docs give
/// the rule). Over a transport that cannot carry descriptors (a pipe, TCP) such a frame is
/// [`FdError::Unsupported`](super::FdError::Unsupported) and nothing is written.
#[derive(Debug)]
pub struct FdWriter<W: AsFd + Write, E> {
    inner: FrameWriter<W, E>,
    /// `Some(what the transport is)` when it cannot carry descriptors.
    unsupported: Option<&'static str>,
    poisoned: Option<io::ErrorKind>,
}

impl<W: AsFd + Write, E: FrameEncoder> FdWriter<W, E> {
    /// Frames to `io`, encoded with `encoder`.
    pub fn new(io: W, encoder: E) -> Self {
        let fd = io.as_fd();
        let unsupported = (!fds::carries_fds(fd)).then(|| fds::transport_kind(fd));
        FdWriter {
            inner: FrameWriter::new(io, encoder),
            unsupported,
            poisoned: None,
        }
    }

    fn check(&self) -> io::Result<()> {
        match self.poisoned {
            Some(cause) => Err(WriteError::Poisoned { cause }.into()),
            None => Ok(()),
        }
    }

    /// Queues one frame without descriptors (see [`FrameWriter::write_frame`]).
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.check()?;
        self.inner.write_frame(payload)
    }

    /// Writes one frame with `fds` attached, before returning: the frames queued before it
    /// first, then its bytes, the descriptors with the first of them. The descriptors stay
    /// open here (the peer gets its own). With no descriptors it is
    /// [`write_frame`](Self::write_frame).
    pub fn write_frame_with_fds(
        &mut self,
        payload: &[u8],
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<()> {
        if fds.is_empty() {
            return self.write_frame(payload);
        }
        self.check()?;
        let frame = FdFrame::new(self.inner.encoder_mut(), payload, fds, self.unsupported)?;
        self.inner.flush()?;
        let sock = self.inner.get_ref().as_fd();
        let mut sent = 0;
        let res = (|| {
            sent = fds::send_with_fds(sock, &frame.rest(0), fds)?;
            while sent < frame.total() {
                match socket::send_vectored_nosignal(sock, &frame.rest(sent))? {
                    0 => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                    n => sent += n,
                }
            }
            Ok(())
        })();
        if let Err(e) = &res
            && sent > 0
        {
            // Part of the frame is on the wire: the peer's view of the stream is unknown.
            self.poisoned = Some(e.kind());
        }
        res
    }

    /// Writes the queued frames.
    pub fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        self.inner.flush()
    }

    /// The transport.
    pub fn get_ref(&self) -> &W {
        self.inner.get_ref()
    }
}
