use std::io::{self, Read, Write};
use std::os::windows::io::{AsHandle, BorrowedHandle};
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{FrameDecoder, FrameEncoder};
use crate::sync::FrameStream;
use crate::sys::windows::client::{self, Open};
use crate::sys::windows::pipe::PipeHandle;

use super::{ConnectOptions, PeerCredentials, PipeName};

/// One connection of a named pipe, either side: a duplex byte stream (or, in message mode, a
/// stream of messages: see [`crate::message::MessagePipe`]). `&PipeStream` reads and writes
/// too, so one thread can read while another writes.
#[derive(Debug, Clone)]
pub struct PipeStream {
    pub(crate) inner: Arc<PipeHandle>,
    pub(crate) message: bool,
    server_side: bool,
}

impl PipeStream {
    pub(crate) fn new(p: PipeHandle, message: bool, server_side: bool) -> Self {
        PipeStream {
            inner: Arc::new(p),
            message,
            server_side,
        }
    }

    /// Who is at the other end (see [`PeerCredentials`]).
    pub fn peer_credentials(&self) -> io::Result<PeerCredentials> {
        PeerCredentials::of(self.inner.handle(), self.inner.label(), self.server_side)
    }

    /// Whether the pipe is in message mode.
    pub fn is_message(&self) -> bool {
        self.message
    }

    /// A second handle to the same connection.
    pub fn try_clone(&self) -> io::Result<PipeStream> {
        Ok(self.clone())
    }

    /// Frames both ways over this connection.
    pub fn framed<C>(self, codec: C) -> io::Result<FrameStream<PipeStream, PipeStream, C>>
    where
        C: FrameDecoder + FrameEncoder + Clone,
    {
        let w = self.try_clone()?;
        Ok(FrameStream::from_parts(self, w, codec))
    }

    /// Waits until the peer has read everything written (`FlushFileBuffers`). A named pipe
    /// has no half-close: a process that writes its last frames and closes at once can lose
    /// them if the peer has not read them yet; waiting here first keeps them.
    pub fn flush_to_peer(&self) -> io::Result<()> {
        self.inner.flush_to_reader()
    }
}

impl Read for PipeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}
impl Read for &PipeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}
impl Write for PipeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl Write for &PipeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsHandle for PipeStream {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.inner.handle().as_handle()
    }
}

/// Connects to `name`, once: no server is [`io::ErrorKind::NotFound`] at once, every instance
/// busy [`io::ErrorKind::WouldBlock`].
pub fn connect(name: &PipeName) -> io::Result<PipeStream> {
    connect_with(name, &ConnectOptions::default())
}

/// Connects to `name`, waiting up to `timeout` for a server that is not up yet or busy.
pub fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<PipeStream> {
    connect_with(name, &ConnectOptions::new().timeout(timeout))
}

/// Connects to `name` as `opts` say. The client opens the pipe with
/// `SECURITY_IDENTIFICATION`: the server can tell who it is, not impersonate it.
pub fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<PipeStream> {
    let co = opts.client_options();
    let p = match opts.timeout {
        Some(t) => client::connect(name.pipe_path(), &co, t)?,
        None => match client::try_open(name.pipe_path(), &co)? {
            Open::Pipe(p) => p,
            other => return Err(not_open(name, &other)),
        },
    };
    Ok(PipeStream::new(p, opts.message, false))
}

/// The error for a single attempt that found no pipe to open.
pub(crate) fn not_open(name: &PipeName, found: &Open) -> io::Error {
    match found {
        Open::Busy => io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("{name}: every instance is busy (wait with ConnectOptions::timeout)"),
        ),
        _ => io::Error::new(
            io::ErrorKind::NotFound,
            format!("{name}: no server is listening (wait with ConnectOptions::timeout)"),
        ),
    }
}
