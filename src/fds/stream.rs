use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

use bytes::Bytes;

use super::{FdReader, FdWriter};
use crate::codec::{FrameDecoder, FrameEncoder};

/// Frames with descriptors both ways over one Unix stream socket: an [`FdReader`] and an
/// [`FdWriter`] over two handles to it. [`PipeStream::framed_with_fds`](crate::named::PipeStream::framed_with_fds)
/// makes one from a named pipe connection.
///
/// ```
/// use pipeframe::codec::LengthPrefixed;
/// use pipeframe::fds::FdStream;
/// use std::io::{Read, Write};
/// use std::os::fd::AsFd;
/// use std::os::unix::net::UnixStream;
///
/// let (a, b) = UnixStream::pair()?;
/// let mut a = FdStream::new(a, LengthPrefixed::u32_be())?;
/// let mut b = FdStream::new(b, LengthPrefixed::u32_be())?;
/// let (rx, mut tx) = std::io::pipe()?;
/// a.write_frame_with_fds(b"here is a pipe", &[rx.as_fd()])?;
/// drop(rx); // the peer has its own copy now
/// let (frame, fds) = b.read_frame_with_fds()?.unwrap();
/// assert_eq!(&frame[..], b"here is a pipe");
/// tx.write_all(b"through it")?;
/// drop(tx);
/// let mut got = String::new();
/// std::fs::File::from(fds.into_iter().next().unwrap()).read_to_string(&mut got)?;
/// assert_eq!(got, "through it");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FdStream<S: AsFd + Read + Write, C> {
    reader: FdReader<S, C>,
    writer: FdWriter<S, C>,
}

impl<C: FrameDecoder + FrameEncoder + Clone> FdStream<UnixStream, C> {
    /// Frames with descriptors over `stream` (cloned for the writing side).
    pub fn new(stream: UnixStream, codec: C) -> io::Result<Self> {
        let w = stream.try_clone()?;
        Ok(Self::from_parts(stream, w, codec))
    }
}

impl<S: AsFd + Read + Write, C: FrameDecoder + FrameEncoder + Clone> FdStream<S, C> {
    /// Over two handles to one socket, `read` for reading and `write` for writing.
    pub fn from_parts(read: S, write: S, codec: C) -> Self {
        FdStream {
            reader: FdReader::new(read, codec.clone()),
            writer: FdWriter::new(write, codec),
        }
    }

    /// At most `max` descriptors with one received frame (see [`FdReader::with_max_fds`]).
    pub fn with_max_fds(mut self, max: usize) -> Self {
        self.reader = self.reader.with_max_fds(max);
        self
    }

    /// See [`FdReader::read_frame_with_fds`]; queued frames are written first.
    pub fn read_frame_with_fds(&mut self) -> io::Result<Option<(Bytes, Vec<OwnedFd>)>> {
        self.writer.flush()?;
        self.reader.read_frame_with_fds()
    }

    /// See [`FdReader::read_frame`]; queued frames are written first.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        self.writer.flush()?;
        self.reader.read_frame()
    }

    /// See [`FdWriter::write_frame`].
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.writer.write_frame(payload)
    }

    /// See [`FdWriter::write_frame_with_fds`].
    pub fn write_frame_with_fds(
        &mut self,
        payload: &[u8],
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<()> {
        self.writer.write_frame_with_fds(payload, fds)
    }

    /// Writes the queued frames.
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// The two halves, for two threads.
    pub fn into_split(self) -> (FdReader<S, C>, FdWriter<S, C>) {
        (self.reader, self.writer)
    }
}
