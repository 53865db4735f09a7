use std::io::{self, Read, Write};

use bytes::Bytes;

use crate::codec::{FrameDecoder, FrameEncoder};

use super::{FrameReader, FrameWriter};

/// Frames both ways over one duplex stream (`UnixStream`, `TcpStream`, or any `Read + Write`).
///
/// It holds a [`FrameReader`] and a [`FrameWriter`] over two handles to the stream: pass a
/// stream whose `&S` is `Read + Write` (sockets, `File`), or build it from
/// `try_clone`d handles with
/// [`from_parts`](Self::from_parts). Reading and writing from two threads at once: use
/// [`into_split`](Self::into_split).
///
/// ```
/// # #[cfg(unix)] {
/// use pipeframe::codec::Delimited;
/// use pipeframe::sync::FrameStream;
/// use std::os::unix::net::UnixStream;
///
/// let (a, b) = UnixStream::pair()?;
/// let mut a = FrameStream::new(a, Delimited::lines())?;
/// let mut b = FrameStream::new(b, Delimited::lines())?;
/// a.write_frame(b"ping")?;
/// a.flush()?; // or let the next `a.read_frame()` flush it
/// assert_eq!(b.read_frame()?.as_deref(), Some(&b"ping"[..]));
/// b.write_frame(b"pong")?;
/// assert_eq!(b.buffered_out(), 5); // queued, not yet written
/// drop(b); // dropping the writer flushes (best effort)
/// assert_eq!(a.read_frame()?.as_deref(), Some(&b"pong"[..]));
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FrameStream<R: Read, W: Write, C> {
    reader: FrameReader<R, C>,
    writer: FrameWriter<W, C>,
}

#[cfg(unix)]
impl<C: FrameDecoder + FrameEncoder + Clone>
    FrameStream<std::os::unix::net::UnixStream, std::os::unix::net::UnixStream, C>
{
    /// Frames over a Unix stream socket (the handle is cloned for the writing side).
    pub fn new(stream: std::os::unix::net::UnixStream, codec: C) -> io::Result<Self> {
        let w = stream.try_clone()?;
        Ok(Self::from_parts(stream, w, codec))
    }
}

impl<R: Read, W: Write, C: FrameDecoder + FrameEncoder + Clone> FrameStream<R, W, C> {
    /// Frames over a separate reading and writing handle (two pipes, or a cloned socket).
    pub fn from_parts(read: R, write: W, codec: C) -> Self {
        FrameStream {
            reader: FrameReader::new(read, codec.clone()),
            writer: FrameWriter::new(write, codec),
        }
    }

    /// Queues one frame (see [`FrameWriter::write_frame`]). It goes out on
    /// [`flush`](Self::flush), when the batch fills, or before the next
    /// [`read_frame`](Self::read_frame), whichever comes first.
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.writer.write_frame(payload)
    }

    /// Writes queued frames.
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// The next frame, owned; `Ok(None)` at a clean end. Queued frames are flushed first, so
    /// a reply is never awaited for a request still in the buffer.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        if self.writer.buffered() > 0 {
            self.writer.flush()?;
        }
        self.reader.read_frame()
    }

    /// The next frame, borrowed (see [`FrameReader::read_frame_ref`]). Flushes first, like
    /// [`read_frame`](Self::read_frame).
    pub fn read_frame_ref(&mut self) -> io::Result<Option<&[u8]>> {
        if self.writer.buffered() > 0 {
            self.writer.flush()?;
        }
        self.reader.read_frame_ref()
    }

    /// Bytes queued by [`write_frame`](Self::write_frame) and not yet written.
    pub fn buffered_out(&self) -> usize {
        self.writer.buffered()
    }

    /// The reading half.
    pub fn reader(&mut self) -> &mut FrameReader<R, C> {
        &mut self.reader
    }

    /// The writing half.
    pub fn writer(&mut self) -> &mut FrameWriter<W, C> {
        &mut self.writer
    }

    /// The two halves, to read and write from different threads.
    pub fn into_split(self) -> (FrameReader<R, C>, FrameWriter<W, C>) {
        (self.reader, self.writer)
    }
}
