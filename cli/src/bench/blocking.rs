//! The blocking flavour: `std::fs::File` for raw, the library's blocking frame reader and
//! writer for codec ends and [`pipeframe::frame_io`] for message mode; one thread per side.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use pipeframe::codec::Framing;
use pipeframe::frame_io::{Mode, ReadFrame, ReadTransport, WriteFrame, WriteTransport};
use pipeframe::message::{PacketReader, PacketWriter, SeqpacketStream};
use pipeframe::sync::{FrameReader, FrameWriter};

use super::Transport;
use super::drive::{Ends, FrameRx, FrameTx, RawIo, Runtime};
use super::pair::Ender;
use super::skel::{check_len, poll_once};

/// The blocking flavour.
pub(crate) struct Blocking;

impl RawIo for File {
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
impl FrameRx for FrameReader<File, Framing> {
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
pub(crate) struct CodecTx(FrameWriter<File, Framing>, Ender);

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

/// The transport a frame writer of [`Mode::writer`] takes for `fd`, so that its `close`
/// ends the stream the right way (shut a socket down, close a pipe end).
fn write_transport(t: Transport, fd: File) -> io::Result<WriteTransport> {
    let fd = OwnedFd::from(fd);
    Ok(match t {
        Transport::Pipe | Transport::Pipe64k => WriteTransport::bytes(File::from(fd)),
        Transport::Unix => WriteTransport::socket(UnixStream::from(fd)),
        Transport::Tcp => WriteTransport::socket(TcpStream::from(fd)),
        Transport::Seqpacket => SeqpacketStream::try_from(fd)?.into(),
        Transport::PacketPipe => PacketWriter::try_from(fd)?.into(),
    })
}

impl Runtime for Blocking {
    type Exec = ();
    type End = File;
    type Raw = File;
    type CodecRx = FrameReader<File, Framing>;
    type CodecTx = CodecTx;
    type MsgRx = Box<dyn ReadFrame + Send>;
    type MsgTx = Box<dyn WriteFrame + Send>;

    fn exec() -> io::Result<()> {
        Ok(())
    }

    fn block_on<F: Future>(_: &(), f: F) -> F::Output {
        poll_once(f)
    }

    fn raw(_: Transport, fd: File, _read: bool) -> io::Result<File> {
        Ok(fd)
    }

    fn codec_rx(_: Transport, fd: File, framing: Framing) -> io::Result<Self::CodecRx> {
        Ok(FrameReader::new(fd, framing))
    }

    fn codec_tx(t: Transport, fd: File, framing: Framing) -> io::Result<Self::CodecTx> {
        let ender = fd.ender(t)?;
        Ok(CodecTx(FrameWriter::new(fd, framing), ender))
    }

    fn msg_rx(t: Transport, fd: File) -> io::Result<Self::MsgRx> {
        let fd = OwnedFd::from(fd);
        let transport = match t {
            Transport::Seqpacket => ReadTransport::from(SeqpacketStream::try_from(fd)?),
            _ => ReadTransport::from(PacketReader::try_from(fd)?),
        };
        Mode::Message.reader(transport)
    }

    fn msg_tx(t: Transport, fd: File) -> io::Result<Self::MsgTx> {
        Mode::Message.writer(write_transport(t, fd)?)
    }
}
