//! The smol flavour (futures-io over `async_io::Async`), one executor per thread. Raw and codec
//! ends are `Async<File>`: reads and writes are plain syscalls, readiness from async-io.

use std::fs::File;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};
use pipeframe::codec::Framing;
use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};

use super::Transport;
use super::drive::{Ends, FrameRx, FrameTx, RawIo, Runtime};
use super::pair::{Ender, MsgRx, MsgTx};

/// The smol flavour.
pub(crate) struct Smol;

impl RawIo for Async<File> {
    async fn read(&mut self, buf: &mut [u8], _message: bool) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, buf)).await
    }

    async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = poll_fn(|cx| Pin::new(&mut *self).poll_write(cx, buf)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }
}

impl FrameRx for AsyncFrameReader<Async<File>, Framing> {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        Ok(self.read_frame_ref().await?.map(<[u8]>::len))
    }
}

/// A codec writer and how its transport ends (futures-io's `close` only flushes a socket).
pub(crate) struct CodecTx(AsyncFrameWriter<Async<File>, Framing>, Ender);

impl FrameTx for CodecTx {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.0.write_frame(payload).await
    }

    /// A stream of frames as an application writes one: `write_frames` (see the tokio
    /// flavour's).
    async fn write_n(&mut self, payload: &[u8], n: u64) -> io::Result<()> {
        self.0
            .write_frames(std::iter::repeat_n(payload, n as usize))
            .await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.0.flush().await
    }

    async fn close(mut self) -> io::Result<()> {
        self.0.close().await?;
        drop(self.0);
        self.1.end()
    }
}

impl Runtime for Smol {
    type Exec = ();
    type End = File;
    type Raw = Async<File>;
    type CodecRx = AsyncFrameReader<Async<File>, Framing>;
    type CodecTx = CodecTx;
    type MsgRx = MsgRx<pipeframe::rt::AsyncIo>;
    type MsgTx = MsgTx<pipeframe::rt::AsyncIo>;

    fn exec() -> io::Result<()> {
        Ok(())
    }

    fn block_on<F: Future>(_: &(), f: F) -> F::Output {
        async_io::block_on(f)
    }

    fn raw(_: Transport, fd: File, _read: bool) -> io::Result<Async<File>> {
        Async::new(fd)
    }

    fn codec_rx(_: Transport, fd: File, framing: Framing) -> io::Result<Self::CodecRx> {
        Ok(AsyncFrameReader::new(Async::new(fd)?, framing))
    }

    fn codec_tx(t: Transport, fd: File, framing: Framing) -> io::Result<CodecTx> {
        let ender = fd.ender(t)?;
        Ok(CodecTx(
            AsyncFrameWriter::new(Async::new(fd)?, framing),
            ender,
        ))
    }

    fn msg_rx(t: Transport, fd: File) -> io::Result<Self::MsgRx> {
        MsgRx::new(t, fd)
    }

    fn msg_tx(t: Transport, fd: File) -> io::Result<Self::MsgTx> {
        MsgTx::new(t, fd)
    }
}
