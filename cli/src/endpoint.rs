//! Opening endpoints by address: listeners that accept connections, and connections, each a
//! source and/or sink of frames whatever the transport and the framing.

//!
//! Unix has every address kind; Windows has `pipe:` (byte or message mode), `tcp:`,
//! `handle:N` and `-`. The parser refuses the other OS family's addresses before anything
//! here runs, so the match arms for them are unreachable on that OS.

#[cfg(unix)]
use std::fs::File;
use std::io::{self, Read};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[cfg(unix)]
use pipeframe::fifo::{self, Wait};
use pipeframe::frame_io::{
    Mode, ReadFrame, ReadTransport, ShutdownWrite, WriteFrame, WriteTransport,
};
#[cfg(windows)]
use pipeframe::message::MessagePipe;
#[cfg(unix)]
use pipeframe::message::{SeqpacketListener, SeqpacketStream};
use pipeframe::named::{self, ConnectOptions, PipeName, PipeStream};
use pipeframe::pipe::{ClientHandle, PipeEnd, WrongEnd};

use crate::Failure;
use crate::addr::Address;
use crate::explain::Secs;
use crate::watch::{Progress, WatchedFrames, WatchedMessages};

/// One connection: a peer description and its two directions (either may be missing on a
/// one-way transport). The writer's `close` ends the sending direction the transport's way
/// (a socket is shut down for writing, a pipe end closed).
pub(crate) struct Conn {
    pub(crate) peer: String,
    pub(crate) rx: Option<Box<dyn ReadFrame + Send>>,
    /// What `rx` is doing: reads begun, bytes arrived, bytes of an unfinished frame.
    pub(crate) progress: Arc<Progress>,
    pub(crate) tx: Option<Box<dyn WriteFrame + Send>>,
    /// On a duplex transport with no half-close (a Windows named pipe), the writer's `close`
    /// cannot end the stream for the peer while the reading half is open: this waits until
    /// the peer has read everything sent (so what it wrote before is in our receive buffer);
    /// the connection then ends by being closed whole, when `connect` ends once replies have
    /// stopped. `None` where `close` ends the sending direction alone.
    pub(crate) drain: Option<Box<dyn FnOnce() -> io::Result<()> + Send>>,
}

/// A connection over `rx` and `tx` in `mode` (already checked against the address).
fn conn(
    peer: String,
    rx: Option<ReadTransport>,
    tx: Option<WriteTransport>,
    mode: &Mode,
) -> io::Result<Conn> {
    let progress = Arc::new(Progress::default());
    let rx = match (rx.map(ReadTransport::into_bytes), mode) {
        (None, _) => None,
        (Some(Ok(r)), Mode::Codec(f)) => Some(Box::new(WatchedFrames::new(
            r,
            f.clone(),
            Arc::clone(&progress),
        )) as Box<dyn ReadFrame + Send>),
        (Some(Ok(r)), mode) => Some(Box::new(WatchedMessages::new(
            mode.reader(ReadTransport::bytes(r))?,
            Arc::clone(&progress),
        )) as Box<dyn ReadFrame + Send>),
        (Some(Err(t)), mode) => Some(Box::new(WatchedMessages::new(
            mode.reader(t)?,
            Arc::clone(&progress),
        )) as Box<dyn ReadFrame + Send>),
    };
    Ok(Conn {
        peer,
        rx,
        progress,
        tx: tx.map(|t| mode.writer(t)).transpose()?,
        drain: None,
    })
}

/// A duplex byte stream socket: `read` for reading, its clone `write` for writing.
fn socket_conn<S: Read + ShutdownWrite + Send + 'static>(
    peer: String,
    read: S,
    write: S,
    mode: &Mode,
) -> io::Result<Conn> {
    conn(
        peer,
        Some(ReadTransport::bytes(read)),
        Some(WriteTransport::socket(write)),
        mode,
    )
}

#[cfg(unix)]
fn pipe_conn(peer: String, s: PipeStream, mode: &Mode, _max: Option<usize>) -> io::Result<Conn> {
    let w = s.try_clone()?;
    socket_conn(peer, s, w, mode)
}

/// A Windows named pipe connection: byte mode with a codec, or message mode (each frame one
/// pipe message; `max` is `--max-frame`). A named pipe has no half-close: see [`Conn::drain`].
#[cfg(windows)]
fn pipe_conn(peer: String, s: PipeStream, mode: &Mode, max: Option<usize>) -> io::Result<Conn> {
    let flusher = s.try_clone()?;
    let mut c = if mode.is_message() {
        let mut p = MessagePipe::new(s)?;
        if let Some(max) = max {
            p = p.with_max_frame_len(max);
        }
        let w = p.try_clone()?;
        conn(peer, Some(p.into()), Some(w.into()), mode)?
    } else {
        let w = s.try_clone()?;
        conn(
            peer,
            Some(ReadTransport::bytes(s)),
            Some(WriteTransport::bytes(w)),
            mode,
        )?
    };
    c.drain = Some(Box::new(move || flusher.flush_to_peer()));
    Ok(c)
}

fn tcp_conn(peer: String, s: TcpStream, mode: &Mode) -> io::Result<Conn> {
    s.set_nodelay(true)?;
    let w = s.try_clone()?;
    socket_conn(peer, s, w, mode)
}

/// A seqpacket connection in message mode; `max` is `--max-frame`.
#[cfg(unix)]
fn seqpacket_conn(
    peer: String,
    mut s: SeqpacketStream,
    mode: &Mode,
    max: Option<usize>,
) -> io::Result<Conn> {
    if let Some(max) = max {
        s.set_max_frame_len(max)?;
    }
    let w = s.try_clone()?;
    conn(peer, Some(s.into()), Some(w.into()), mode)
}

/// Only one direction: frames from `r`.
fn reading(peer: String, r: impl Read + Send + 'static, mode: &Mode) -> io::Result<Conn> {
    conn(peer, Some(ReadTransport::bytes(r)), None, mode)
}

/// Only one direction: frames to `w`, a pipe end or FIFO (closed at the end).
fn writing(peer: String, w: impl io::Write + Send + 'static, mode: &Mode) -> io::Result<Conn> {
    conn(peer, None, Some(WriteTransport::bytes(w)), mode)
}

/// The name of a named address; one whose socket path cannot fit is a usage error here.
#[cfg(unix)]
fn pipe_name(addr: &Address) -> io::Result<PipeName> {
    let name = match addr {
        Address::Pipe(n) => PipeName::new(n),
        Address::Unix(p) => Ok(PipeName::from_path(p)),
        Address::Abstract(n) => PipeName::abstract_name(n),
        _ => unreachable!("only named addresses"),
    }?;
    name.check()?;
    Ok(name)
}

#[cfg(windows)]
fn pipe_name(addr: &Address) -> io::Result<PipeName> {
    match addr {
        Address::Pipe(n) => PipeName::new(n),
        _ => unreachable!("only pipe: names a named pipe on Windows"),
    }
}

/// The error for an address of the other OS family (the parser already refuses those).
fn other_os(addr: &Address) -> Failure {
    let here = if cfg!(windows) { "Windows" } else { "Unix" };
    Failure::Usage(format!("{addr}: no such address kind on {here}"))
}

/// Adopts the inherited descriptor `n`: a socket (duplex), or a pipe end (one way).
#[cfg(unix)]
fn fd_conn(n: &str, mode: &Mode) -> io::Result<Conn> {
    let handle = ClientHandle::parse(n)?;
    let peer = format!("fd:{n}");
    match handle.open_socket() {
        Ok(s) => {
            let w = s.try_clone()?;
            return socket_conn(peer, s, w, mode);
        }
        Err(e) if e.kind() != io::ErrorKind::InvalidInput => return Err(e),
        Err(_) => {}
    }
    match handle.open_writer() {
        Ok(w) => writing(peer, w, mode),
        Err(e) if WrongEnd::from_io(&e).is_some_and(|w| w.is == PipeEnd::Read) => {
            reading(peer, handle.open_reader()?, mode)
        }
        Err(e) => Err(e),
    }
}

/// Accepts connections on an address.
pub(crate) enum Listener {
    /// A named pipe listener; on Windows with `--max-frame` (for message mode).
    #[cfg(unix)]
    Named(named::Listener),
    #[cfg(windows)]
    Named(named::Listener, Option<usize>),
    Tcp(TcpListener),
    /// A seqpacket listener, its path, and `--max-frame`.
    #[cfg(unix)]
    Seqpacket(SeqpacketListener, PathBuf, Option<usize>),
    /// A FIFO path, and whether this program created it.
    #[cfg(unix)]
    Fifo(PathBuf, bool),
    /// An already connected endpoint (`fd:N`, `handle:N`, `-`): one connection, then no more.
    Single(Option<Conn>),
}

impl Listener {
    /// Binds `addr`; `max` is `--max-frame` (for message mode).
    pub(crate) fn bind(
        addr: &Address,
        mode: &Mode,
        max: Option<usize>,
    ) -> Result<Listener, Failure> {
        let runtime = |e: io::Error| Failure::Runtime(format!("listening on {addr}: {e}"));
        let _ = max;
        Ok(match addr {
            #[cfg(unix)]
            Address::Pipe(_) | Address::Unix(_) | Address::Abstract(_) => {
                let name = socket_name(addr)?;
                Listener::Named(named::Listener::bind(&name).map_err(runtime)?)
            }
            #[cfg(windows)]
            Address::Pipe(_) => {
                let name = pipe_name(addr).map_err(|e| Failure::Usage(format!("{addr}: {e}")))?;
                let l = named::ListenOptions::new()
                    .message(mode.is_message())
                    .bind(&name)
                    .map_err(runtime)?;
                Listener::Named(l, max)
            }
            Address::Tcp(a) => Listener::Tcp(TcpListener::bind(a.as_str()).map_err(runtime)?),
            #[cfg(unix)]
            Address::Seqpacket(p) => {
                Listener::Seqpacket(SeqpacketListener::bind(p).map_err(runtime)?, p.clone(), max)
            }
            #[cfg(unix)]
            Address::Fifo(p) => {
                let created = match fifo::create(p, 0o600) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(runtime(e)),
                };
                Listener::Fifo(p.clone(), created)
            }
            #[cfg(unix)]
            Address::Fd(n) => Listener::Single(Some(fd_conn(n, mode).map_err(runtime)?)),
            #[cfg(unix)]
            Address::Handle(_) => return Err(other_os(addr)),
            #[cfg(windows)]
            Address::Handle(n) => Listener::Single(Some(handle_conn(n, mode).map_err(runtime)?)),
            #[cfg(windows)]
            Address::Unix(_)
            | Address::Abstract(_)
            | Address::Seqpacket(_)
            | Address::Fifo(_)
            | Address::Fd(_) => return Err(other_os(addr)),
            Address::Stdio => Listener::Single(Some(
                reading("stdin".into(), io::stdin(), mode).map_err(runtime)?,
            )),
        })
    }

    /// The next connection; `None` when no more will come.
    pub(crate) fn accept(&mut self, mode: &Mode) -> io::Result<Option<Conn>> {
        match self {
            #[cfg(unix)]
            Listener::Named(l) => {
                let s = l.accept()?;
                let peer = match s.peer_credentials() {
                    Ok(c) => match c.pid() {
                        Some(pid) => format!("pid {pid} uid {}", c.uid()),
                        None => format!("uid {}", c.uid()),
                    },
                    Err(_) => "client".to_string(),
                };
                pipe_conn(peer, s, mode, None).map(Some)
            }
            #[cfg(windows)]
            Listener::Named(l, max) => {
                let s = l.accept()?;
                let peer = match s.peer_credentials() {
                    Ok(c) => format!("pid {} user {}", c.pid().unwrap_or(0), c.sid()),
                    Err(_) => "client".to_string(),
                };
                pipe_conn(peer, s, mode, *max).map(Some)
            }
            Listener::Tcp(l) => {
                let (s, a) = l.accept()?;
                tcp_conn(a.to_string(), s, mode).map(Some)
            }
            #[cfg(unix)]
            Listener::Seqpacket(l, p, max) => {
                let s = l.accept()?;
                seqpacket_conn(format!("seqpacket:{}", p.display()), s, mode, *max).map(Some)
            }
            #[cfg(unix)]
            Listener::Fifo(p, _) => {
                let f = fifo::open_reader(&*p, Wait::Block)?;
                reading(format!("fifo:{}", p.display()), f, mode).map(Some)
            }
            Listener::Single(c) => Ok(c.take()),
        }
    }
}

/// A file this program created (a socket file, a FIFO), removed at exit only if the path
/// still names that same file: a newer server's socket is never removed.
#[cfg(unix)]
#[derive(Debug)]
pub(crate) struct OwnedPath {
    path: PathBuf,
    id: (u64, u64),
}

#[cfg(unix)]
impl OwnedPath {
    fn of(path: &Path) -> Option<OwnedPath> {
        let m = std::fs::symlink_metadata(path).ok()?;
        Some(OwnedPath {
            path: path.to_path_buf(),
            id: (m.dev(), m.ino()),
        })
    }

    /// Removes the file if it is still the one created.
    pub(crate) fn remove(self) {
        if let Ok(m) = std::fs::symlink_metadata(&self.path)
            && (m.dev(), m.ino()) == self.id
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// On Windows no listener leaves a file behind (a named pipe goes with its last handle), so
/// there is never one of these.
#[cfg(windows)]
#[derive(Debug)]
pub(crate) struct OwnedPath(std::convert::Infallible);

#[cfg(windows)]
impl OwnedPath {
    /// Nothing to remove.
    pub(crate) fn remove(self) {
        match self.0 {}
    }
}

impl Listener {
    /// The file this listener made, to remove when the program ends.
    #[cfg(unix)]
    pub(crate) fn owned_path(&self) -> Option<OwnedPath> {
        match self {
            Listener::Named(l) => l.socket_path().and_then(OwnedPath::of),
            Listener::Seqpacket(_, p, _) => OwnedPath::of(p),
            Listener::Fifo(p, true) => OwnedPath::of(p),
            _ => None,
        }
    }

    /// The file this listener made: none on Windows.
    #[cfg(windows)]
    pub(crate) fn owned_path(&self) -> Option<OwnedPath> {
        None
    }
}

/// Connects over TCP, retrying until `deadline` while the server is not up.
fn tcp_connect(a: &str, deadline: Instant) -> io::Result<TcpStream> {
    retry(deadline, || {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address to connect to");
        for sa in a.to_socket_addrs()? {
            let left = deadline.saturating_duration_since(Instant::now());
            match TcpStream::connect_timeout(&sa, left.max(Duration::from_millis(1))) {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    })
}

/// Connects to `addr`, waiting up to `timeout` for a server that is not up yet; `max` is
/// `--max-frame` (for message mode).
pub(crate) fn connect(
    addr: &Address,
    mode: &Mode,
    max: Option<usize>,
    timeout: Duration,
) -> Result<Conn, Failure> {
    let runtime = |e: io::Error| connect_failure(addr, timeout, e);
    let deadline = Instant::now() + timeout;
    let peer = addr.to_string();
    let _ = max;
    match addr {
        #[cfg(unix)]
        Address::Pipe(_) | Address::Abstract(_) => {
            let name = socket_name(addr)?;
            let s = ConnectOptions::new()
                .timeout(timeout)
                .connect(&name)
                .map_err(runtime)?;
            pipe_conn(peer, s, mode, None).map_err(runtime)
        }
        // A plain Unix socket, through std: its errors are the system's, about a socket.
        #[cfg(unix)]
        Address::Unix(p) => {
            socket_name(addr)?;
            let s = retry(deadline, || UnixStream::connect(p)).map_err(runtime)?;
            let w = s.try_clone().map_err(runtime)?;
            socket_conn(peer, s, w, mode).map_err(runtime)
        }
        #[cfg(windows)]
        Address::Pipe(_) => {
            let name = pipe_name(addr).map_err(|e| Failure::Usage(format!("{addr}: {e}")))?;
            let s = ConnectOptions::new()
                .timeout(timeout)
                .message(mode.is_message())
                .connect(&name)
                .map_err(|e| {
                    // A message-mode client is refused by a byte-mode server's pipe (the name
                    // was checked above, so nothing else here is invalid input).
                    if mode.is_message() && e.kind() == io::ErrorKind::InvalidInput {
                        Failure::Runtime(format!(
                            "connecting to {addr}: {e} (the server is in byte mode; message \
                             mode needs listen --framing message)"
                        ))
                    } else {
                        runtime(e)
                    }
                })?;
            pipe_conn(peer, s, mode, max).map_err(runtime)
        }
        Address::Tcp(a) => {
            let s = tcp_connect(a, deadline).map_err(runtime)?;
            tcp_conn(peer, s, mode).map_err(runtime)
        }
        #[cfg(unix)]
        Address::Seqpacket(p) => {
            let s = retry(deadline, || SeqpacketStream::connect(p)).map_err(runtime)?;
            seqpacket_conn(peer, s, mode, max).map_err(runtime)
        }
        #[cfg(unix)]
        Address::Fifo(p) => {
            // The FIFO appears when the listener creates it; then opening waits for its reader.
            let f: File = retry(deadline, || {
                let left = deadline.saturating_duration_since(Instant::now());
                fifo::open_writer(p, Wait::Timeout(left))
            })
            .map_err(runtime)?;
            writing(peer, f, mode).map_err(runtime)
        }
        #[cfg(unix)]
        Address::Fd(n) => fd_conn(n, mode).map_err(runtime),
        #[cfg(unix)]
        Address::Handle(_) => Err(other_os(addr)),
        #[cfg(windows)]
        Address::Handle(n) => handle_conn(n, mode).map_err(runtime),
        #[cfg(windows)]
        Address::Unix(_)
        | Address::Abstract(_)
        | Address::Seqpacket(_)
        | Address::Fifo(_)
        | Address::Fd(_) => Err(other_os(addr)),
        Address::Stdio => conn(
            peer,
            Some(ReadTransport::bytes(io::stdin())),
            Some(WriteTransport::bytes(io::stdout())),
            mode,
        )
        .map_err(runtime),
    }
}

/// Adopts the inherited handle `n` (decimal, as .NET's `GetClientHandleAsString()` gives it):
/// an anonymous pipe end, one way (the write end if it is one, else the read end).
#[cfg(windows)]
fn handle_conn(n: &str, mode: &Mode) -> io::Result<Conn> {
    let handle = ClientHandle::parse(n)?;
    let peer = format!("handle:{n}");
    match handle.open_writer() {
        Ok(w) => writing(peer, w, mode),
        Err(e) if WrongEnd::from_io(&e).is_some_and(|w| w.is == PipeEnd::Read) => {
            reading(peer, handle.open_reader()?, mode)
        }
        Err(e) => Err(e),
    }
}

/// Retries `f` while the server is not there yet (no socket file, connection refused) until
/// the deadline, then gives up: a `TimedOut` error holding the last one (see
/// [`connect_failure`]).
fn retry<T>(deadline: Instant, mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Ok(t) => return Ok(t),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                if Instant::now() >= deadline {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, e));
                }
                thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Why connecting to `addr` failed, in one line. Giving up waiting always reads "timed out
/// after N s", with the duration printed one way ([`Secs`]) whoever timed out (the library,
/// or [`retry`], which also gives the last error it saw).
fn connect_failure(addr: &Address, timeout: Duration, e: io::Error) -> Failure {
    let waited = Secs(timeout);
    #[cfg(unix)]
    let waiting_for = match addr {
        Address::Fifo(_) => "a reader to open the FIFO",
        _ => "a server",
    };
    #[cfg(windows)]
    let waiting_for = "a server";
    Failure::Runtime(match e.kind() {
        io::ErrorKind::TimedOut => {
            let last = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<io::Error>())
                .map(|last| format!(" ({last})"))
                .unwrap_or_default();
            format!(
                "connecting to {addr}: timed out after {waited} waiting for {waiting_for}{last}"
            )
        }
        _ => format!("connecting to {addr}: {e}"),
    })
}

/// The name of a socket address (`pipe:`, `unix:`, `abstract:`), or a usage error. A socket
/// path too long for the system is the library's `SocketPathTooLong`, which names the fix
/// (a shorter name or path, a shorter `TMPDIR`); on Linux `abstract:NAME` is one more.
#[cfg(unix)]
fn socket_name(addr: &Address) -> Result<PipeName, Failure> {
    pipe_name(addr).map_err(|e| {
        let too_long = e
            .get_ref()
            .is_some_and(|i| i.is::<pipeframe::named::SocketPathTooLong>());
        let hint = if too_long && cfg!(any(target_os = "linux", target_os = "android")) {
            "; or use abstract:NAME (a Linux socket with no file)"
        } else {
            ""
        };
        Failure::Usage(format!("{addr}: {e}{hint}"))
    })
}
