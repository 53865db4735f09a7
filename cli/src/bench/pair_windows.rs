//! The Windows ends: a named pipe in byte mode (`pipe`) and in message mode (`pipe-message`),
//! an anonymous pipe (`anon-pipe`, `std::io::pipe`, which is `CreatePipe`) and TCP loopback
//! (`tcp`); how a writing end ends its stream; and the async message-mode ends
//! (`message::AsyncMessagePipe`).
//!
//! Named pipes are made the library's way (`named::ListenOptions` / `ConnectOptions`), one new
//! pipe name per pair, in the type of the flavour that opens them: the blocking
//! `named::PipeStream`, or `named::AsyncPipeStream` on the flavour's runtime (see
//! [`NamedPipe`]). Every end is used in one direction only: a duplex pair is two one-way pairs,
//! one each way, on every transport, because an async message pipe cannot be split into a
//! reading and a writing half, and a socket is registered with a Windows reactor once (a
//! duplicated one is refused). The reading end of a named pipe is the server's, the writing
//! end the client's. A stream ends for the reader when the writer's end is closed.

use std::io::{self, IoSlice, PipeReader, PipeWriter, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pipeframe::message::{AsyncMessagePipe, MessagePipe};
use pipeframe::named::{
    self, AsyncListener, AsyncPipeStream, ConnectOptions, ListenOptions, PipeName, PipeStream,
};
use pipeframe::rt::Reactor;

use super::Transport;
use super::drive::{Ends, FrameRx, FrameTx};
use super::skel::tcp_pair;

/// A transport's end before a flavour opens it; `P` is the flavour's named pipe type.
#[derive(Debug)]
pub(crate) enum End<P> {
    /// A named pipe, byte or message mode.
    Pipe(P),
    /// An anonymous pipe's reading end.
    AnonRead(PipeReader),
    /// An anonymous pipe's writing end.
    AnonWrite(PipeWriter),
    /// A TCP loopback connection (`TCP_NODELAY`).
    Tcp(TcpStream),
}

/// The named pipe type of a flavour, and how a connected pair of it is made.
pub(crate) trait NamedPipe: Send + Sized + 'static {
    /// A server and a client connected to each other, on a new pipe name, in message mode or
    /// byte mode: (server, client).
    fn pair(message: bool) -> io::Result<(Self, Self)>;
}

/// A pipe name no other pair of this process uses.
fn pipe_name() -> io::Result<PipeName> {
    static N: AtomicUsize = AtomicUsize::new(0);
    PipeName::new(&format!(
        "pipeframe-bench-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// How every pair is bound and connected. The client connects before the server accepts: its
/// pipe instance exists from the bind on, and the accept takes the connected client.
fn options(message: bool) -> (ListenOptions, ConnectOptions) {
    (
        ListenOptions::new().message(message),
        ConnectOptions::new()
            .message(message)
            .timeout(Duration::from_secs(10)),
    )
}

impl NamedPipe for PipeStream {
    fn pair(message: bool) -> io::Result<(PipeStream, PipeStream)> {
        let name = pipe_name()?;
        let (listen, connect) = options(message);
        let listener = listen.bind(&name)?;
        let client = connect.connect(&name)?;
        Ok((listener.accept()?, client))
    }
}

/// A connected pair on runtime `Rt`, made like the blocking one (a Windows named pipe needs
/// no reactor: the streams work on whichever thread and executor polls them).
async fn async_pair<Rt: Reactor>(
    message: bool,
) -> io::Result<(AsyncPipeStream<Rt>, AsyncPipeStream<Rt>)> {
    let name = pipe_name()?;
    let (listen, connect) = options(message);
    let listener = AsyncListener::<Rt>::bind_with(&name, &listen)?;
    let client = named::connect_async::<Rt>(&name, &connect).await?;
    Ok((listener.accept().await?, client))
}

/// tokio's listener and connect check that they run inside a runtime: a current-thread one
/// makes the pair.
impl NamedPipe for named::tokio::PipeStream {
    fn pair(message: bool) -> io::Result<(Self, Self)> {
        tokio::runtime::Builder::new_current_thread()
            .build()?
            .block_on(async_pair(message))
    }
}

impl NamedPipe for named::futures_io::PipeStream {
    fn pair(message: bool) -> io::Result<(Self, Self)> {
        async_io::block_on(async_pair(message))
    }
}

impl<P: NamedPipe> Ends for End<P> {
    fn one_way(t: Transport) -> io::Result<(Self, Self)> {
        Ok(match t {
            Transport::Pipe | Transport::PipeMessage => {
                let (server, client) = P::pair(t == Transport::PipeMessage)?;
                (End::Pipe(server), End::Pipe(client))
            }
            Transport::AnonPipe => {
                let (r, w) = io::pipe()?;
                (End::AnonRead(r), End::AnonWrite(w))
            }
            Transport::Tcp => {
                let (r, w) = tcp_pair()?;
                (End::Tcp(r), End::Tcp(w))
            }
        })
    }

    /// Two one-way pairs, one each way.
    fn duplex(t: Transport) -> io::Result<((Self, Self), (Self, Self))> {
        let (ab_rx, ab_tx) = Self::one_way(t)?;
        let (ba_rx, ba_tx) = Self::one_way(t)?;
        Ok(((ba_rx, ab_tx), (ab_rx, ba_tx)))
    }

    fn ender(&self, _: Transport) -> io::Result<Ender> {
        Ok(Ender)
    }
}

/// How a writing end ends its stream for the peer: it is used in one direction only, so
/// closing it (dropping the writer) is all it takes, on a named pipe (which has no
/// half-close), an anonymous pipe and a socket alike.
#[derive(Debug)]
pub(crate) struct Ender;

impl Ender {
    /// Ends the stream (call after dropping the writer): nothing more to do.
    pub(crate) fn end(self) -> io::Result<()> {
        Ok(())
    }
}

fn wrong_end(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{what} on the other end of an anonymous pipe"),
    )
}

/// The blocking ends read and write as the handle they hold.
impl Read for End<PipeStream> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            End::Pipe(p) => p.read(buf),
            End::AnonRead(r) => r.read(buf),
            End::Tcp(s) => s.read(buf),
            End::AnonWrite(_) => Err(wrong_end("a read")),
        }
    }
}

impl Write for End<PipeStream> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            End::Pipe(p) => p.write(buf),
            End::AnonWrite(w) => w.write(buf),
            End::Tcp(s) => s.write(buf),
            End::AnonRead(_) => Err(wrong_end("a write")),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            End::Pipe(p) => p.write_vectored(bufs),
            End::AnonWrite(w) => w.write_vectored(bufs),
            End::Tcp(s) => s.write_vectored(bufs),
            End::AnonRead(_) => Err(wrong_end("a write")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            End::Pipe(p) => p.flush(),
            End::AnonWrite(w) => w.flush(),
            End::Tcp(s) => s.flush(),
            End::AnonRead(_) => Ok(()),
        }
    }
}

/// `t` is not a message transport.
fn no_message(t: Transport) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{t} is not a message transport"),
    )
}

impl End<PipeStream> {
    /// The blocking message-mode pipe of a `pipe-message` end.
    pub(crate) fn message_pipe(self, t: Transport) -> io::Result<MessagePipe> {
        match self {
            End::Pipe(p) => MessagePipe::new(p),
            _ => Err(no_message(t)),
        }
    }
}

/// A message-mode end of async runtime `Rt`, reading or writing: a `pipe-message` end. Every
/// call of the Windows async message pipe's read and write methods in this crate is in this
/// type.
pub(crate) struct MsgPipe<Rt: Reactor>(AsyncMessagePipe<Rt>);

/// The reading one.
pub(crate) type MsgRx<Rt> = MsgPipe<Rt>;
/// The writing one.
pub(crate) type MsgTx<Rt> = MsgPipe<Rt>;

impl<Rt: Reactor> MsgPipe<Rt> {
    pub(crate) fn new(t: Transport, end: End<AsyncPipeStream<Rt>>) -> io::Result<Self> {
        match end {
            End::Pipe(p) => Ok(MsgPipe(AsyncMessagePipe::new(p)?)),
            _ => Err(no_message(t)),
        }
    }
}

impl<Rt: Reactor> FrameRx for MsgPipe<Rt> {
    async fn next_len(&mut self) -> io::Result<Option<usize>> {
        Ok(self.0.read_frame().await?.map(|f| f.len()))
    }
}

impl<Rt: Reactor> FrameTx for MsgPipe<Rt> {
    async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.0.write_frame(payload).await
    }

    /// Waits until the system has taken every message written.
    async fn flush(&mut self) -> io::Result<()> {
        self.0.flush().await
    }

    /// Flushes, then closes the pipe: the peer reads end of stream.
    async fn close(mut self) -> io::Result<()> {
        self.0.flush().await
    }
}
