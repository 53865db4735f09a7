//! Opening endpoints by address: listeners that accept connections, and connections, each a
//! source and/or sink of frames whatever the transport and the framing.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipeframe::codec::Framing;
use pipeframe::fifo::{self, Wait};
use pipeframe::message::{SeqpacketListener, SeqpacketStream};
use pipeframe::named::{self, ConnectOptions, PipeName, PipeStream};
use pipeframe::pipe::ClientHandle;
use pipeframe::sync::{FrameReader, FrameWriter};

use crate::Failure;
use crate::addr::Address;

/// Where frames come from.
pub(crate) trait FrameIn: Send {
    /// The next frame; `None` when the peer has closed.
    fn recv(&mut self) -> io::Result<Option<Bytes>>;
}

/// Where frames go.
pub(crate) trait FrameOut: Send {
    /// Sends one frame now (written and flushed).
    fn send(&mut self, payload: &[u8]) -> io::Result<()>;
    /// Ends the sending direction: flushes, then shuts the socket down for writing, or closes
    /// the pipe end.
    fn close(&mut self) -> io::Result<()>;
}

/// One connection: a peer description and its two directions (either may be missing on a
/// one-way transport).
pub(crate) struct Conn {
    pub(crate) peer: String,
    pub(crate) rx: Option<Box<dyn FrameIn>>,
    pub(crate) tx: Option<Box<dyn FrameOut>>,
}

/// How frames are cut: a byte codec, or native messages.
#[derive(Debug, Clone)]
pub(crate) enum Framer {
    Codec(Framing),
    Message { max: Option<usize> },
}

struct CodecIn<R: Read>(FrameReader<R, Framing>);

impl<R: Read + Send> FrameIn for CodecIn<R> {
    fn recv(&mut self) -> io::Result<Option<Bytes>> {
        self.0.read_frame()
    }
}

struct CodecOut<W: Write> {
    w: Option<FrameWriter<W, Framing>>,
    shutdown: fn(&W) -> io::Result<()>,
}

impl<W: Write + Send> FrameOut for CodecOut<W> {
    fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        let w = self
            .w
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "sending side closed"))?;
        w.write_frame(payload)?;
        w.flush()
    }

    fn close(&mut self) -> io::Result<()> {
        if let Some(w) = self.w.take() {
            let inner = w.finish()?;
            (self.shutdown)(&inner)?;
        }
        Ok(())
    }
}

fn no_shutdown<W>(_: &W) -> io::Result<()> {
    Ok(())
}

struct MessageIn(SeqpacketStream);

impl FrameIn for MessageIn {
    fn recv(&mut self) -> io::Result<Option<Bytes>> {
        self.0.read_frame()
    }
}

struct MessageOut(Option<SeqpacketStream>);

impl FrameOut for MessageOut {
    fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        match &self.0 {
            Some(s) => s.write_frame(payload),
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "sending side closed",
            )),
        }
    }

    fn close(&mut self) -> io::Result<()> {
        match self.0.take() {
            Some(s) => s.shutdown_write(),
            None => Ok(()),
        }
    }
}

fn codec_of(framer: &Framer) -> Framing {
    match framer {
        Framer::Codec(f) => f.clone(),
        Framer::Message { .. } => unreachable!("message framing is checked against the address"),
    }
}

fn reader<R: Read + Send + 'static>(r: R, framer: &Framer) -> Box<dyn FrameIn> {
    Box::new(CodecIn(FrameReader::new(r, codec_of(framer))))
}

fn writer<W: Write + Send + 'static>(
    w: W,
    framer: &Framer,
    shutdown: fn(&W) -> io::Result<()>,
) -> Box<dyn FrameOut> {
    Box::new(CodecOut {
        w: Some(FrameWriter::new(w, codec_of(framer))),
        shutdown,
    })
}

fn duplex<S: Read + Write + Send + 'static>(
    peer: String,
    read: S,
    write: S,
    framer: &Framer,
    shutdown: fn(&S) -> io::Result<()>,
) -> Conn {
    Conn {
        peer,
        rx: Some(reader(read, framer)),
        tx: Some(writer(write, framer, shutdown)),
    }
}

fn pipe_conn(peer: String, s: PipeStream, framer: &Framer) -> io::Result<Conn> {
    let w = s.try_clone()?;
    Ok(duplex(peer, s, w, framer, PipeStream::shutdown_write))
}

fn tcp_conn(peer: String, s: TcpStream, framer: &Framer) -> io::Result<Conn> {
    s.set_nodelay(true)?;
    let w = s.try_clone()?;
    Ok(duplex(peer, s, w, framer, |s| s.shutdown(Shutdown::Write)))
}

fn seqpacket_conn(peer: String, mut s: SeqpacketStream, framer: &Framer) -> io::Result<Conn> {
    if let Framer::Message { max: Some(max) } = framer {
        s.set_max_frame_len(*max)?;
    }
    let w = s.try_clone()?;
    Ok(Conn {
        peer,
        rx: Some(Box::new(MessageIn(s))),
        tx: Some(Box::new(MessageOut(Some(w)))),
    })
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
fn fd_conn(n: &str, framer: &Framer) -> io::Result<Conn> {
    let handle = ClientHandle::parse(n)?;
    let peer = format!("fd:{n}");
    match handle.open_socket() {
        Ok(s) => {
            let w = s.try_clone()?;
            return Ok(duplex(peer, s, w, framer, |s| s.shutdown(Shutdown::Write)));
        }
        Err(e) if e.kind() != io::ErrorKind::InvalidInput => return Err(e),
        Err(_) => {}
    }
    match handle.open_writer() {
        Ok(w) => Ok(Conn {
            peer,
            rx: None,
            tx: Some(writer(w, framer, no_shutdown)),
        }),
        Err(e) if e.kind() == io::ErrorKind::InvalidInput && e.to_string().contains("read end") => {
            Ok(Conn {
                peer,
                rx: Some(reader(handle.open_reader()?, framer)),
                tx: None,
            })
        }
        Err(e) => Err(e),
    }
}

/// Accepts connections on an address.
pub(crate) enum Listener {
    Named(named::Listener),
    Tcp(TcpListener),
    Seqpacket(SeqpacketListener, PathBuf),
    /// A FIFO path, and whether this program created it.
    Fifo(PathBuf, bool),
    /// An already connected endpoint (`fd:N`, `-`): one connection, then no more.
    Single(Option<Conn>),
}

impl Listener {
    /// Binds `addr`.
    pub(crate) fn bind(addr: &Address, framer: &Framer) -> Result<Listener, Failure> {
        let runtime = |e: io::Error| Failure::Runtime(format!("listening on {addr}: {e}"));
        Ok(match addr {
            Address::Pipe(_) | Address::Unix(_) | Address::Abstract(_) => {
                let name = pipe_name(addr).map_err(|e| Failure::Usage(format!("{addr}: {e}")))?;
                Listener::Named(named::Listener::bind(&name).map_err(runtime)?)
            }
            Address::Tcp(a) => Listener::Tcp(TcpListener::bind(a.as_str()).map_err(runtime)?),
            Address::Seqpacket(p) => {
                Listener::Seqpacket(SeqpacketListener::bind(p).map_err(runtime)?, p.clone())
            }
            Address::Fifo(p) => {
                let created = match fifo::create(p, 0o600) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(runtime(e)),
                };
                Listener::Fifo(p.clone(), created)
            }
            Address::Fd(n) => Listener::Single(Some(fd_conn(n, framer).map_err(runtime)?)),
            Address::Stdio => Listener::Single(Some(Conn {
                peer: "stdin".into(),
                rx: Some(reader(io::stdin(), framer)),
                tx: None,
            })),
        })
    }

    /// The next connection; `None` when no more will come.
    pub(crate) fn accept(&mut self, framer: &Framer) -> io::Result<Option<Conn>> {
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
                pipe_conn(peer, s, framer).map(Some)
            }
            Listener::Tcp(l) => {
                let (s, a) = l.accept()?;
                tcp_conn(a.to_string(), s, framer).map(Some)
            }
            Listener::Seqpacket(l, p) => {
                let s = l.accept()?;
                seqpacket_conn(format!("seqpacket:{}", p.display()), s, framer).map(Some)
            }
            Listener::Fifo(p, _) => {
                let f = fifo::open_reader(&*p, Wait::Block)?;
                Ok(Some(Conn {
                    peer: format!("fifo:{}", p.display()),
                    rx: Some(reader(f, framer)),
                    tx: None,
                }))
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
            Listener::Seqpacket(_, p) => OwnedPath::of(p),
            Listener::Fifo(p, true) => OwnedPath::of(p),
            _ => None,
        }
    }
}

/// Connects to `addr`, waiting up to `timeout` for a server that is not up yet.
pub(crate) fn connect(addr: &Address, framer: &Framer, timeout: Duration) -> Result<Conn, Failure> {
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
            pipe_conn(peer, s, framer).map_err(runtime)
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
            tcp_conn(peer, s, framer).map_err(runtime)
        }
        Address::Seqpacket(p) => {
            let s = retry(deadline, timeout, || SeqpacketStream::connect(p)).map_err(runtime)?;
            seqpacket_conn(peer, s, framer).map_err(runtime)
        }
        Address::Fifo(p) => {
            // The FIFO appears when the listener creates it; then opening waits for its reader.
            let f: File = retry(deadline, timeout, || {
                let left = deadline.saturating_duration_since(Instant::now());
                fifo::open_writer(p, Wait::Timeout(left))
            })
            .map_err(runtime)?;
            Ok(Conn {
                peer,
                rx: None,
                tx: Some(writer(f, framer, no_shutdown)),
            })
        }
        Address::Fd(n) => fd_conn(n, framer).map_err(runtime),
        Address::Stdio => Ok(Conn {
            peer,
            rx: Some(reader(io::stdin(), framer)),
            tx: Some(writer(io::stdout(), framer, no_shutdown)),
        }),
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
