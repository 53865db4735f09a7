//! The blocking flavour: the OS's plain handles for raw (`std::fs::File` on Unix; on Windows
//! the named pipe, anonymous pipe or socket itself), the library's blocking frame reader and
//! writer for codec ends and [`pipeframe::frame_io`] for message mode; one thread per side.

use std::future::Future;
use std::io::{self, Read, Write};

use pipeframe::codec::Framing;
use pipeframe::frame_io::{Mode, ReadFrame, ReadTransport, WriteFrame, WriteTransport};
use pipeframe::sync::{FrameReader, FrameWriter};

use super::Transport;
use super::drive::{Ends, FrameRx, FrameTx, RawIo, Runtime};
use super::pair::Ender;
use super::skel::{check_len, poll_once};

/// An end of this flavour: a descriptor on Unix; on Windows, blocking named pipes among the
/// other ends.
#[cfg(unix)]
type Fd = std::fs::File;
/// An end of this flavour: a descriptor on Unix; on Windows, blocking named pipes among the
/// other ends.
#[cfg(windows)]
type Fd = super::pair::End<pipeframe::named::PipeStream>;

/// The blocking flavour.
pub(crate) struct Blocking;

impl RawIo for Fd {
    async fn read(&mut self, buf: &mut [u8], _message: bool) -> io::Result<usize> {
        loop {
            match Read::read(self, buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return res,
            }
        }
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Write::write_all(self, buf)
    }
}

/// Codec frames are read in place, as an application that handles each frame would.
impl FrameRx for FrameReader<Fd, Framing> {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        Ok(self.read_frame_ref()?.map(<[u8]>::len))
    }

    /// The loop an application would write: `read_frame_ref` until the end.
    async fn count(&mut self, size: usize) -> io::Result<u64> {
        let mut n = 0u64;
        while let Some(frame) = self.read_frame_ref()? {
            check_len(frame.len(), size)?;
            n += 1;
        }
        Ok(n)
    }
}

impl FrameRx for Box<dyn ReadFrame + Send> {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        Ok(self.read_frame()?.map(|f| f.len()))
    }

    async fn count(&mut self, size: usize) -> io::Result<u64> {
        let mut n = 0u64;
        while let Some(frame) = self.read_frame()? {
            check_len(frame.len(), size)?;
            n += 1;
        }
        Ok(n)
    }
}

/// A codec writer and how its transport ends.
pub(crate) struct CodecTx(FrameWriter<Fd, Framing>, Ender);

impl FrameTx for CodecTx {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.0.write_frame(payload)
    }

    /// A stream of frames as an application writes one: `write_frames`, which gathers large
    /// frames into writes of the high-water mark, ending on page boundaries (the frames are
    /// delivered at its final flush).
    async fn write_n(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        self.0
            .write_frames(std::iter::repeat_n(payload, n as usize))
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }

    async fn close(self) -> io::Result<()> {
        drop(self.0.finish()?);
        self.1.end()
    }
}

impl FrameTx for Box<dyn WriteFrame + Send> {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        WriteFrame::write_frame(self, payload)
    }

    /// The loop an application would write: `write_frame` per frame, no `await` between.
    async fn write_n(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        for _ in 0..n {
            WriteFrame::write_frame(self, payload)?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        WriteFrame::flush(self)
    }

    async fn close(mut self) -> io::Result<()> {
        WriteFrame::close(&mut self)
    }
}

/// The transport a frame reader of [`Mode::reader`] takes for `fd`, an end of a message
/// transport.
#[cfg(unix)]
fn read_transport(t: Transport, fd: Fd) -> io::Result<ReadTransport> {
    use pipeframe::message::{PacketReader, SeqpacketStream};
    let fd = std::os::fd::OwnedFd::from(fd);
    Ok(match t {
        Transport::Seqpacket => SeqpacketStream::try_from(fd)?.into(),
        _ => PacketReader::try_from(fd)?.into(),
    })
}

/// The transport a frame writer of [`Mode::writer`] takes for `fd`, so that its `close`
/// ends the stream the right way (shut a socket down, close a pipe end).
#[cfg(unix)]
fn write_transport(t: Transport, fd: Fd) -> io::Result<WriteTransport> {
    use pipeframe::message::{PacketWriter, SeqpacketStream};
    use std::os::fd::OwnedFd;
    let fd = OwnedFd::from(fd);
    Ok(match t {
        Transport::Pipe | Transport::Pipe64k => WriteTransport::bytes(std::fs::File::from(fd)),
        Transport::Unix => WriteTransport::socket(std::os::unix::net::UnixStream::from(fd)),
        Transport::Tcp => WriteTransport::socket(std::net::TcpStream::from(fd)),
        Transport::Seqpacket => SeqpacketStream::try_from(fd)?.into(),
        Transport::PacketPipe => PacketWriter::try_from(fd)?.into(),
    })
}

/// The transport a frame reader of [`Mode::reader`] takes for `fd`: a message-mode named
/// pipe.
#[cfg(windows)]
fn read_transport(t: Transport, fd: Fd) -> io::Result<ReadTransport> {
    Ok(fd.message_pipe(t)?.into())
}

/// The transport a frame writer of [`Mode::writer`] takes for `fd`: a message-mode named
/// pipe, which ends for the peer when it is closed.
#[cfg(windows)]
fn write_transport(t: Transport, fd: Fd) -> io::Result<WriteTransport> {
    Ok(fd.message_pipe(t)?.into())
}

impl Runtime for Blocking {
    type Exec = ();
    type End = Fd;
    type Raw = Fd;
    type CodecRx = FrameReader<Fd, Framing>;
    type CodecTx = CodecTx;
    type MsgRx = Box<dyn ReadFrame + Send>;
    type MsgTx = Box<dyn WriteFrame + Send>;

    fn exec() -> io::Result<()> {
        Ok(())
    }

    fn block_on<F: Future>(_: &(), f: F) -> F::Output {
        poll_once(f)
    }

    fn raw(_: Transport, fd: Fd, _read: bool) -> io::Result<Fd> {
        Ok(fd)
    }

    fn codec_rx(_: Transport, fd: Fd, framing: Framing) -> io::Result<Self::CodecRx> {
        Ok(FrameReader::new(fd, framing))
    }

    fn codec_tx(t: Transport, fd: Fd, framing: Framing) -> io::Result<Self::CodecTx> {
        let ender = fd.ender(t)?;
        Ok(CodecTx(FrameWriter::new(fd, framing), ender))
    }

    fn msg_rx(t: Transport, fd: Fd) -> io::Result<Self::MsgRx> {
        Mode::Message.reader(read_transport(t, fd)?)
    }

    fn msg_tx(t: Transport, fd: Fd) -> io::Result<Self::MsgTx> {
        Mode::Message.writer(write_transport(t, fd)?)
    }
}
