//! The peers pipeframe is compared with, over the same transports and runtimes:
//!
//! * `tokio-util`: `FramedRead` / `FramedWrite` with `LengthDelimitedCodec` (4-byte header)
//!   over the tokio flavour's own pipe and socket types;
//! * `asynchronous-codec`: `Framed` with `LengthCodec` (8-byte header) over the smol
//!   flavour's (futures-io: `Async<File>` on Unix; the futures-io named pipe and
//!   `Async<TcpStream>` on Windows).
//!
//! Both are driven the way their users drive them: `SinkExt::feed` per frame and
//! `SinkExt::flush` when the drive loop flushes, `StreamExt::next` per frame. Their sinks take
//! owned `Bytes`; the payload buffer is turned into `Bytes` once and cloned per frame (a
//! reference count), as a user holding owned frames would. Stream transports only: on message
//! transports there is nothing for a byte codec to do.

use std::future::Future;
use std::io;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use pipeframe::codec::Framing;

use super::Transport;
use super::drive::{Ends, FrameRx, FrameTx, Runtime};
use super::pair::Ender;
use super::smol::Smol;
use super::tokio::{Io, Tokio};

/// Turns a payload into `Bytes` once per buffer (the drive loops reuse one buffer whose
/// contents never change), then hands out clones.
#[derive(Default)]
struct Payload(Option<(usize, usize, Bytes)>);

impl Payload {
    fn get(&mut self, p: &[u8]) -> Bytes {
        let key = (p.as_ptr() as usize, p.len());
        match &self.0 {
            Some((a, l, b)) if (*a, *l) == key => b.clone(),
            _ => {
                let b = Bytes::copy_from_slice(p);
                self.0 = Some((key.0, key.1, b.clone()));
                b
            }
        }
    }
}

fn no_message(t: Transport) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{t} is a message transport: the peers are byte codecs"),
    )
}

/// tokio-util's codec over the tokio flavour's transports.
pub(crate) struct TokioUtil;

type TuRead = tokio_util::codec::FramedRead<Io, tokio_util::codec::LengthDelimitedCodec>;

/// A tokio-util frame writer.
pub(crate) struct TuTx(
    tokio_util::codec::FramedWrite<Io, tokio_util::codec::LengthDelimitedCodec>,
    Payload,
);

impl FrameRx for TuRead {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        self.next().await.transpose().map(|f| f.map(|b| b.len()))
    }
}

impl FrameTx for TuTx {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        let b = self.1.get(payload);
        self.0.feed(b).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        SinkExt::<Bytes>::flush(&mut self.0).await
    }

    async fn close(mut self) -> io::Result<()> {
        SinkExt::<Bytes>::close(&mut self.0).await
    }
}

fn length_delimited() -> tokio_util::codec::LengthDelimitedCodec {
    tokio_util::codec::LengthDelimitedCodec::builder()
        .max_frame_length(64 << 20)
        .new_codec()
}

impl Runtime for TokioUtil {
    type Exec = tokio::runtime::Runtime;
    type End = super::tokio::Fd;
    type Raw = Io;
    type CodecRx = TuRead;
    type CodecTx = TuTx;
    type MsgRx = TuRead;
    type MsgTx = TuTx;

    fn exec() -> io::Result<Self::Exec> {
        Tokio::exec()
    }

    fn block_on<F: Future>(exec: &Self::Exec, f: F) -> F::Output {
        exec.block_on(f)
    }

    fn raw(t: Transport, fd: Self::End, read: bool) -> io::Result<Io> {
        Tokio::raw(t, fd, read)
    }

    fn codec_rx(t: Transport, fd: Self::End, _: Framing) -> io::Result<TuRead> {
        Ok(tokio_util::codec::FramedRead::new(
            Tokio::raw(t, fd, true)?,
            length_delimited(),
        ))
    }

    fn codec_tx(t: Transport, fd: Self::End, _: Framing) -> io::Result<TuTx> {
        Ok(TuTx(
            tokio_util::codec::FramedWrite::new(Tokio::raw(t, fd, false)?, length_delimited()),
            Payload::default(),
        ))
    }

    fn msg_rx(t: Transport, _: Self::End) -> io::Result<TuRead> {
        Err(no_message(t))
    }

    fn msg_tx(t: Transport, _: Self::End) -> io::Result<TuTx> {
        Err(no_message(t))
    }
}

/// asynchronous-codec over the smol flavour's transports.
pub(crate) struct AsynchronousCodec;

type AcFramed = asynchronous_codec::Framed<super::smol::Io, asynchronous_codec::LengthCodec>;

/// An asynchronous-codec frame writer and how its transport ends.
pub(crate) struct AcTx(AcFramed, Payload, Ender);

impl FrameRx for AcFramed {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        self.next()
            .await
            .transpose()
            .map(|f| f.map(|b| b.len()))
            .map_err(io::Error::other)
    }
}

impl FrameTx for AcTx {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        let b = self.1.get(payload);
        self.0.feed(b).await.map_err(io::Error::other)
    }

    async fn flush(&mut self) -> io::Result<()> {
        SinkExt::<Bytes>::flush(&mut self.0)
            .await
            .map_err(io::Error::other)
    }

    async fn close(mut self) -> io::Result<()> {
        SinkExt::<Bytes>::close(&mut self.0)
            .await
            .map_err(io::Error::other)?;
        drop(self.0);
        self.2.end()
    }
}

impl Runtime for AsynchronousCodec {
    type Exec = ();
    type End = super::smol::Fd;
    type Raw = super::smol::Io;
    type CodecRx = AcFramed;
    type CodecTx = AcTx;
    type MsgRx = AcFramed;
    type MsgTx = AcTx;

    fn exec() -> io::Result<()> {
        Smol::exec()
    }

    fn block_on<F: Future>(exec: &(), f: F) -> F::Output {
        Smol::block_on(exec, f)
    }

    fn raw(t: Transport, fd: Self::End, read: bool) -> io::Result<Self::Raw> {
        Smol::raw(t, fd, read)
    }

    fn codec_rx(t: Transport, fd: Self::End, _: Framing) -> io::Result<AcFramed> {
        Ok(asynchronous_codec::Framed::new(
            Smol::raw(t, fd, true)?,
            asynchronous_codec::LengthCodec,
        ))
    }

    fn codec_tx(t: Transport, fd: Self::End, _: Framing) -> io::Result<AcTx> {
        let ender = fd.ender(t)?;
        Ok(AcTx(
            asynchronous_codec::Framed::new(
                Smol::raw(t, fd, false)?,
                asynchronous_codec::LengthCodec,
            ),
            Payload::default(),
            ender,
        ))
    }

    fn msg_rx(t: Transport, _: Self::End) -> io::Result<AcFramed> {
        Err(no_message(t))
    }

    fn msg_tx(t: Transport, _: Self::End) -> io::Result<AcTx> {
        Err(no_message(t))
    }
}
