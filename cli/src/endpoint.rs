//! Opening endpoints by address: listeners that accept connections, and connections, each a
//! source and/or sink of frames whatever the transport and the framing.

use std::fs::File;
use std::io::{self, Read};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::fifo::{self, Wait};
use pipeframe::frame_io::{
    Mode, ReadFrame, ReadTransport, ShutdownWrite, WriteFrame, WriteTransport,
};
use pipeframe::message::{SeqpacketListener, SeqpacketStream};
use pipeframe::named::{self, ConnectOptions, PipeName, PipeStream};
use pipeframe::pipe::ClientHandle;

use crate::Failure;
use crate::addr::Address;

/// One connection: a peer description and its two directions (either may be missing on a
/// one-way transport). The writer's `close` ends the sending direction the transport's way
/// (a socket is shut down for writing, a pipe end closed).
pub(crate) struct Conn {
    pub(crate) peer: String,
    pub(crate) rx: Option<Box<dyn ReadFrame + Send>>,
    pub(crate) tx: Option<Box<dyn WriteFrame + Send>>,
}

/// A connection over `rx` and `tx` in `mode` (already checked against the address).
fn conn(
    peer: String,
    rx: Option<ReadTransport>,
    tx: Option<WriteTransport>,
    mode: &Mode,
) -> io::Result<Conn> {
    Ok(Conn {
        peer,
        rx: rx.map(|t| mode.reader(t)).transpose()?,
        tx: tx.map(|t| mode.writer(t)).transpose()?,
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

fn pipe_conn(peer: String, s: PipeStream, mode: &Mode) -> io::Result<Conn> {
    let w = s.try_clone()?;
    socket_conn(peer, s, w, mode)
}

fn tcp_conn(peer: String, s: TcpStream, mode: &Mode) -> io::Result<Conn> {
    s.set_nodelay(true)?;
    let w = s.try_clone()?;
    socket_conn(peer, s, w, mode)
}

/// A seqpacket connection in message mode; `max` is `--max-frame`.
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

fn pipe_name(addr: &Address) -> io::Result<PipeName> {
    match addr {
        Address::Pipe(n) => PipeName::new(n),
        Address::Unix(p) => Ok(PipeName::from_path(p)),
        Address::Abstract(n) => PipeName::abstract_name(n),
        _ => unreachable!("only named addresses"),
    }
}

/// Adopts the inherited descriptor `n`: a socket (duplex), or a pipe end (one way).
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
        Err(e) if e.kind() == io::ErrorKind::InvalidInput && e.to_string().contains("read end") => {
            reading(peer, handle.open_reader()?, mode)
        }
        Err(e) => Err(e),
    }
}

/// Accepts connections on an address.
pub(crate) enum Listener {
    Named(named::Listener),
    Tcp(TcpListener),
    /// A seqpacket listener, its path, and `--max-frame`.
    Seqpacket(SeqpacketListener, PathBuf, Option<usize>),
    /// A FIFO path, and whether this program created it.
    Fifo(PathBuf, bool),
    /// An already connected endpoint (`fd:N`, `-`): one connection, then no more.
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
        Ok(match addr {
            Address::Pipe(_) | Address::Unix(_) | Address::Abstract(_) => {
                let name = pipe_name(addr).map_err(|e| Failure::Usage(format!("{addr}: {e}")))?;
                Listener::Named(named::Listener::bind(&name).map_err(runtime)?)
            }
            Address::Tcp(a) => Listener::Tcp(TcpListener::bind(a.as_str()).map_err(runtime)?),
            Address::Seqpacket(p) => {
                Listener::Seqpacket(SeqpacketListener::bind(p).map_err(runtime)?, p.clone(), max)
            }
            Address::Fifo(p) => {
                let created = match fifo::create(p, 0o600) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(runtime(e)),
                };
                Listener::Fifo(p.clone(), created)
            }
            Address::Fd(n) => Listener::Single(Some(fd_conn(n, mode).map_err(runtime)?)),
            Address::Stdio => Listener::Single(Some(
                reading("stdin".into(), io::stdin(), mode).map_err(runtime)?,
            )),
        })
    }

    /// The next connection; `None` when no more will come.
    pub(crate) fn accept(&mut self, mode: &Mode) -> io::Result<Option<Conn>> {
        match self {
            Listener::Named(l) => {
                let s = l.accept()?;
                let peer = match s.peer_credentials() {
                    Ok(c) => match c.pid() {
                        Some(pid) => format!("pid {pid} uid {}", c.uid()),
                        None => format!("uid {}", c.uid()),
                    },
                    Err(_) => "client".to_string(),
                };
                pipe_conn(peer, s, mode).map(Some)
            }
            Listener::Tcp(l) => {
                let (s, a) = l.accept()?;
                tcp_conn(a.to_string(), s, mode).map(Some)
            }
            Listener::Seqpacket(l, p, max) => {
                let s = l.accept()?;
                seqpacket_conn(format!("seqpacket:{}", p.display()), s, mode, *max).map(Some)
            }
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
#[derive(Debug)]
pub(crate) struct OwnedPath {
    path: PathBuf,
    id: (u64, u64),
}

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

impl Listener {
    /// The file this listener made, to remove when the program ends.
    pub(crate) fn owned_path(&self) -> Option<OwnedPath> {
        match self {
            Listener::Named(l) => l.socket_path().and_then(OwnedPath::of),
            Listener::Seqpacket(_, p, _) => OwnedPath::of(p),
            Listener::Fifo(p, true) => OwnedPath::of(p),
            _ => None,
        }
    }
}

/// Connects to `addr`, waiting up to `timeout` for a server that is not up yet; `max` is
/// `--max-frame` (for message mode).
pub(crate) fn connect(
    addr: &Address,
    mode: &Mode,
    max: Option<usize>,
    timeout: Duration,
) -> Result<Conn, Failure> {
    let runtime = |e: io::Error| Failure::Runtime(format!("connecting to {addr}: {e}"));
    let deadline = Instant::now() + timeout;
    let peer = addr.to_string();
    match addr {
        Address::Pipe(_) | Address::Unix(_) | Address::Abstract(_) => {
            let name = pipe_name(addr).map_err(|e| Failure::Usage(format!("{addr}: {e}")))?;
            let s = ConnectOptions::new()
                .timeout(timeout)
                .connect(&name)
                .map_err(runtime)?;
            pipe_conn(peer, s, mode).map_err(runtime)
        }
        Address::Tcp(a) => {
            let s = retry(deadline, timeout, || {
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
            .map_err(runtime)?;
            tcp_conn(peer, s, mode).map_err(runtime)
        }
        Address::Seqpacket(p) => {
            let s = retry(deadline, timeout, || SeqpacketStream::connect(p)).map_err(runtime)?;
            seqpacket_conn(peer, s, mode, max).map_err(runtime)
        }
        Address::Fifo(p) => {
            // The FIFO appears when the listener creates it; then opening waits for its reader.
            let f: File = retry(deadline, timeout, || {
                let left = deadline.saturating_duration_since(Instant::now());
                fifo::open_writer(p, Wait::Timeout(left))
            })
            .map_err(runtime)?;
            writing(peer, f, mode).map_err(runtime)
        }
        Address::Fd(n) => fd_conn(n, mode).map_err(runtime),
        Address::Stdio => conn(
            peer,
            Some(ReadTransport::bytes(io::stdin())),
            Some(WriteTransport::bytes(io::stdout())),
            mode,
        )
        .map_err(runtime),
    }
}

/// Retries `f` while the server is not there yet (no socket file, connection refused) until
/// the deadline, then reports a timeout naming how long it waited.
fn retry<T>(
    deadline: Instant,
    timeout: Duration,
    mut f: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
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
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("timed out after {:.1} s ({e})", timeout.as_secs_f64()),
                    ));
                }
                thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}
