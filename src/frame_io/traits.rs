//! The frame-level traits, and their impls for the codec flavour's blocking types (the message
//! types implement them beside their own definitions, in `crate::message`).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;

use bytes::Bytes;

use crate::codec::{FrameDecoder, FrameEncoder};
use crate::sync::{FrameReader, FrameStream, FrameWriter};

/// Reads whole frames, whatever the framing.
pub trait ReadFrame {
    /// The next frame; `Ok(None)` at a clean end of stream.
    fn read_frame(&mut self) -> io::Result<Option<Bytes>>;
}

/// Writes whole frames, whatever the framing.
pub trait WriteFrame {
    /// Writes (or queues) one frame. A frame the mode cannot carry is an
    /// [`io::ErrorKind::InvalidInput`] error and nothing is written.
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()>;

    /// Sends queued frames (codec framing batches small frames; message mode sends each frame
    /// at once, so this does nothing there).
    fn flush(&mut self) -> io::Result<()>;

    /// Flushes, then ends the stream for the peer, which reads a clean end of stream once it
    /// has read every frame: a socket is shut down for writing (it stays open for reading, so
    /// a duplex connection's other direction goes on), a pipe or FIFO end is closed. After
    /// `close`, [`write_frame`](Self::write_frame) fails with [`io::ErrorKind::BrokenPipe`] on
    /// the writers [`Mode::writer`](super::Mode::writer) builds; `close` again does nothing there.
    ///
    /// What each implementor can do from `&mut self`:
    /// - the writers of [`Mode::writer`](super::Mode::writer): everything above, whatever the transport;
    /// - `SeqpacketStream`: shuts the socket down for writing;
    /// - [`FrameWriter`] and [`FrameStream`] only flush (frames and the inner writer): a
    ///   generic inner writer cannot be ended through a reference. End it yourself after
    ///   [`FrameWriter::finish`] (drop a pipe end, shut a socket down), or build the writer
    ///   with [`Mode::writer`](super::Mode::writer);
    /// - `PacketWriter` sends every frame at once, so there is nothing to flush, and its pipe
    ///   end closes only when it is dropped: drop it, or use [`Mode::writer`](super::Mode::writer).
    fn close(&mut self) -> io::Result<()>;
}

/// A byte stream whose writing direction can be ended while it stays open for reading: a
/// socket (`shutdown(SHUT_WR)`). [`WriteTransport::socket`](super::WriteTransport::socket) takes one, so that
/// [`WriteFrame::close`] ends the stream for the peer even while another handle to the same
/// socket (the reading half of a duplex connection) is still open.
pub trait ShutdownWrite: Write {
    /// Shuts the writing direction down; the peer reads end of stream after the last byte.
    fn shutdown_write(&self) -> io::Result<()>;
}

impl ShutdownWrite for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}
#[cfg(unix)]
impl ShutdownWrite for UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}
#[cfg(unix)]
impl ShutdownWrite for crate::named::PipeStream {
    fn shutdown_write(&self) -> io::Result<()> {
        crate::named::PipeStream::shutdown_write(self)
    }
}

/// `&mut T` and `Box<T>` read and write frames like the `T` they point to.
macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: ReadFrame + ?Sized> ReadFrame for $ptr {
            fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
                (**self).read_frame()
            }
        }
        impl<T: WriteFrame + ?Sized> WriteFrame for $ptr {
            fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
                (**self).write_frame(payload)
            }
            fn flush(&mut self) -> io::Result<()> {
                (**self).flush()
            }
            fn close(&mut self) -> io::Result<()> {
                (**self).close()
            }
        }
    )*};
}
forward!(&mut T, Box<T>);

impl<R: Read, D: FrameDecoder> ReadFrame for FrameReader<R, D> {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        FrameReader::read_frame(self)
    }
}
impl<W: Write, E: FrameEncoder> WriteFrame for FrameWriter<W, E> {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        FrameWriter::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        FrameWriter::flush(self)
    }
    /// Only flushes: see [`WriteFrame::close`].
    fn close(&mut self) -> io::Result<()> {
        FrameWriter::flush(self)
    }
}
impl<R: Read, W: Write, C: FrameDecoder + FrameEncoder + Clone> ReadFrame for FrameStream<R, W, C> {
    /// Flushes queued frames first, like [`FrameStream::read_frame`].
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        FrameStream::read_frame(self)
    }
}
impl<R: Read, W: Write, C: FrameDecoder + FrameEncoder + Clone> WriteFrame
    for FrameStream<R, W, C>
{
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        FrameStream::write_frame(self, payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        FrameStream::flush(self)
    }
    /// Only flushes: see [`WriteFrame::close`].
    fn close(&mut self) -> io::Result<()> {
        FrameStream::flush(self)
    }
}
