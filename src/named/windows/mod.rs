//! Windows named pipes (`\\.\pipe\NAME`): the same public names as the Unix side of
//! [`crate::named`], built on `sys::windows`.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::codec::{FrameDecoder, FrameEncoder};
use crate::sync::FrameStream;
use crate::sys::windows::{client, name, pipe::PipeHandle, server};

use super::ConnectOptions;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) mod async_pipe;

/// The name of a named pipe. [`PipeName::new`] maps a bare `NAME` to `\\.\pipe\NAME`, where
/// .NET's `NamedPipeServerStream("NAME")` listens; a full `\\.\pipe\...` path is kept as it
/// is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PipeName {
    path: String,
}

impl PipeName {
    /// `NAME` -> `\\.\pipe\NAME` (a full pipe path is kept). Refuses an empty name, a NUL, a
    /// backslash in a bare name, the reserved name `anonymous`, and paths over 256 characters.
    pub fn new(name: &str) -> io::Result<PipeName> {
        Ok(PipeName {
            path: name::pipe_path(name)?,
        })
    }

    /// The pipe path, `\\.\pipe\NAME`.
    pub fn pipe_path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for PipeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

impl FromStr for PipeName {
    type Err = io::Error;
    fn from_str(s: &str) -> io::Result<PipeName> {
        PipeName::new(s)
    }
}

/// How a server creates its pipe. Defaults: byte mode, a DACL granting only the current user,
/// remote clients rejected (`PIPE_REJECT_REMOTE_CLIENTS`), the first instance created with
/// `FILE_FLAG_FIRST_PIPE_INSTANCE` (a name another server holds is refused), 64 KiB buffers.
#[derive(Debug, Clone, Default)]
pub struct ListenOptions {
    pub(crate) opts: server::ServerOptions,
}

impl ListenOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Native message mode (`PIPE_TYPE_MESSAGE` | `PIPE_READMODE_MESSAGE`): each write is one
    /// message. Read them with [`crate::message::MessagePipe`].
    pub fn message(mut self, yes: bool) -> Self {
        self.opts.message = yes;
        self
    }

    /// Who may connect, as SDDL text (e.g. `"D:(A;;GA;;;WD)"` for everyone), in place of the
    /// default DACL that grants only the current user. Checked when the pipe is bound.
    pub fn security_descriptor(mut self, sddl: &str) -> Self {
        self.opts.security = server::Security::Sddl(sddl.to_owned());
        self
    }

    /// The size of each instance's in and out buffers (default 64 KiB).
    pub fn buffer_size(mut self, bytes: u32) -> Self {
        self.opts.in_buffer = bytes;
        self.opts.out_buffer = bytes;
        self
    }

    /// Binds `name` as these options say.
    pub fn bind(&self, name: &PipeName) -> io::Result<Listener> {
        Listener::bind_with(name, self)
    }
}

impl ConnectOptions {
    /// What `sys::windows::client` opens the pipe with.
    pub(crate) fn client_options(&self, overlapped: bool) -> client::ClientOptions {
        client::ClientOptions {
            message: self.message,
            overlapped,
            current_user_only: self.current_user_only,
            ..client::ClientOptions::default()
        }
    }
}

/// A named pipe server: always one instance waiting, the next created before a connected one
/// is handed out, so clients never find the name gone or every instance busy.
#[derive(Debug)]
pub struct Listener {
    name: PipeName,
    message: bool,
    server: Mutex<server::Server>,
}

impl Listener {
    /// Binds `name` with the default [`ListenOptions`].
    pub fn bind(name: &PipeName) -> io::Result<Listener> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Listener> {
        let mut o = opts.opts.clone();
        // Overlapped handles, so one thread can read while another writes on the same
        // connection (synchronous pipe I/O on one handle is serialized by the system).
        o.overlapped = true;
        Ok(Listener {
            name: name.clone(),
            message: o.message,
            server: Mutex::new(server::Server::bind(name.pipe_path(), o)?),
        })
    }

    /// Waits for the next client. A client that connected and left before it was accepted is
    /// skipped.
    pub fn accept(&self) -> io::Result<PipeStream> {
        let mut s = self.server.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match s.accept() {
                Ok(p) => return Ok(PipeStream::new(p, self.message, true)),
                // ERROR_NO_DATA: the client came and went; wait for the next one.
                Err(e) if e.raw_os_error() == Some(232) => {
                    let _ = s.rotate();
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// An endless iterator of accepted clients.
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<PipeStream>> + '_ {
        std::iter::repeat_with(|| self.accept())
    }

    /// The accept loop: runs `handler` on its own thread for every client, forever. An error
    /// from a handler ends that client only.
    pub fn serve<F>(&self, handler: F) -> io::Result<()>
    where
        F: Fn(PipeStream) -> io::Result<()> + Send + Sync + 'static,
    {
        super::serve_threads(|| self.accept(), |_| false, handler)
    }

    /// The name this listener was bound to.
    pub fn name(&self) -> &PipeName {
        &self.name
    }
}

/// One connection of a named pipe, either side: a duplex byte stream (or, in message mode, a
/// stream of messages: see [`crate::message::MessagePipe`]). `&PipeStream` reads and writes
/// too, so one thread can read while another writes.
///
/// Windows has no peer credentials in the Unix sense; [`peer_process_id`](Self::peer_process_id)
/// tells the other side's process id.
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

    /// The other side's process id (`GetNamedPipeClientProcessId` on the server side,
    /// `GetNamedPipeServerProcessId` on the client side).
    pub fn peer_process_id(&self) -> io::Result<u32> {
        self.inner.peer_process_id(self.server_side)
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

    /// Waits until the peer has read everything written (`FlushFileBuffers`).
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

/// Connects to `name`, once: no server is [`io::ErrorKind::NotFound`] at once.
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
    let co = opts.client_options(true);
    let p = match opts.timeout {
        Some(t) => client::connect(name.pipe_path(), &co, t)?,
        None => match client::try_open(name.pipe_path(), &co)? {
            client::Open::Pipe(p) => p,
            client::Open::Busy => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("{name}: every instance is busy"),
                ));
            }
            client::Open::NotFound => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{name}: no server is listening"),
                ));
            }
        },
    };
    Ok(PipeStream::new(p, opts.message, false))
}

/// Refuses a message longer than `max` before anything is sent.
pub(crate) fn check_len(len: usize, max: usize) -> io::Result<()> {
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a message of {len} bytes is over the maximum of {max} bytes"),
        ));
    }
    Ok(())
}
