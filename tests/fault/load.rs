//! Load and hostility: many concurrent clients on one named listener of a flavour, each
//! sending [`FRAMES`] frames of random size 0..=64 KiB that the server checks one by one,
//! with hostile clients mixed in. The server runs in a child process (this test binary,
//! role `server-<flavour>`), so its peak RSS is its own; it prints one `stats` line.
//!
//! Every connection starts with one tag byte choosing what follows:
//!
//! | tag | client sends | server codec | documented error (only that connection closes) |
//! | --- | --- | --- | --- |
//! | `G` | frame: client id (u32 LE), then `FRAMES` frames; then closes its write side | `lp32le` | none: the server answers `ok N` |
//! | `B` | an `lp64le` header claiming 2^63 bytes | `lp64le` | `FrameTooLong` |
//! | `E` | 1 MiB of `a`, no newline | `lines`, max 64 KiB | `DelimitedTooLong` |
//! | `V` | ten `ff` bytes (a varint that never ends) | `varint` | `VarintOverflow` |
//! | `H` | 64 KiB of header text without CRLF (or LF) | `lsp` | `HeaderTooLong` |

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

use pipeframe::codec::{ContentLength, DecodeError, Delimited, Framing, LengthPrefixed};
use pipeframe::named::{ListenOptions, PipeName};
use pipeframe::sync::{FrameReader, FrameWriter};

use super::{Flavour, child, peak_rss_kib};

/// Frames per good client.
pub const FRAMES: u32 = 100;
/// Largest frame.
pub const MAX_LEN: usize = 64 * 1024;
pub const HOSTILE_TAGS: [u8; 4] = [b'B', b'E', b'V', b'H'];

/// The bytes frames are cut from (random, fixed per process and the same in every process).
fn pool() -> &'static [u8] {
    static POOL: OnceLock<Vec<u8>> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut x = 0x243f_6a88_85a3_08d3_u64;
        (0..3 * MAX_LEN)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    })
}

fn mix(id: u32, seq: u32) -> u64 {
    let mut z = (u64::from(id) << 32 | u64::from(seq)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Frame `seq` of client `id`: a random length in 0..=64 KiB, cut from the pool.
pub fn frame(id: u32, seq: u32) -> &'static [u8] {
    let h = mix(id, seq);
    let len = (h % (MAX_LEN as u64 + 1)) as usize;
    let off = ((h >> 20) % (2 * MAX_LEN as u64)) as usize;
    &pool()[off..off + len]
}

fn codec_for(tag: u8) -> Option<Framing> {
    Some(match tag {
        b'G' => LengthPrefixed::u32_le().into(),
        b'B' => LengthPrefixed::u64_le().into(),
        b'E' => Delimited::lines().with_max_frame_len(MAX_LEN).into(),
        b'V' => LengthPrefixed::varint().into(),
        b'H' => ContentLength::new().into(),
        _ => return None,
    })
}

fn expected_error(tag: u8) -> &'static str {
    match tag {
        b'B' => "FrameTooLong",
        b'E' => "DelimitedTooLong",
        b'V' => "VarintOverflow",
        b'H' => "HeaderTooLong",
        _ => "",
    }
}

/// What one connection came to, on the server.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    good_ok: u64,
    good_fail: u64,
    frames: u64,
    bytes: u64,
    hostile_ok: u64,
    hostile_bad: u64,
    notes: Vec<String>,
}

impl Outcome {
    fn add(&mut self, o: Outcome) {
        self.good_ok += o.good_ok;
        self.good_fail += o.good_fail;
        self.frames += o.frames;
        self.bytes += o.bytes;
        self.hostile_ok += o.hostile_ok;
        self.hostile_bad += o.hostile_bad;
        self.notes.extend(o.notes);
    }
}

/// The server's per-connection logic, fed frames by any flavour. `Checker` sees each frame
/// of a connection; `finish` is called at the end or on the first error.
struct Checker {
    tag: u8,
    id: Option<u32>,
    seq: u32,
    out: Outcome,
}

impl Checker {
    fn new(tag: u8) -> Self {
        Checker {
            tag,
            id: None,
            seq: 0,
            out: Outcome::default(),
        }
    }

    /// `false`: stop reading (the connection is bad).
    fn frame(&mut self, f: &[u8]) -> bool {
        if self.tag != b'G' {
            self.out.hostile_bad += 1;
            self.out
                .notes
                .push(format!("hostile {} gave a frame", self.tag as char));
            return false;
        }
        match self.id {
            None => {
                let Ok(id) = <[u8; 4]>::try_from(f) else {
                    self.fail(format!("bad hello {f:?}"));
                    return false;
                };
                self.id = Some(u32::from_le_bytes(id));
                true
            }
            Some(id) => {
                if f != frame(id, self.seq) {
                    self.fail(format!(
                        "client {id} frame {} differs ({} bytes)",
                        self.seq,
                        f.len()
                    ));
                    return false;
                }
                self.seq += 1;
                self.out.frames += 1;
                self.out.bytes += f.len() as u64;
                true
            }
        }
    }

    /// The end of the connection: `Ok` a clean end, `Err` the error that ended it. Returns the
    /// reply to send (good clients only).
    fn end(&mut self, r: &io::Result<()>) -> Option<String> {
        match (self.tag, r) {
            (b'G', Ok(())) if self.seq == FRAMES => {
                self.out.good_ok += 1;
                Some(format!("ok {}", self.seq))
            }
            (b'G', Ok(())) => {
                self.fail(format!("clean end after {} frames", self.seq));
                None
            }
            (b'G', Err(e)) => {
                self.fail(format!("error after {} frames: {e}", self.seq));
                None
            }
            (tag, Err(e)) => {
                let inner = e.get_ref().and_then(|i| i.downcast_ref::<DecodeError>());
                let name = inner.map(|d| {
                    let s = format!("{d:?}");
                    s.split([' ', '{']).next().unwrap_or("").to_owned()
                });
                if name.as_deref() == Some(expected_error(tag)) && e.to_string().len() > 5 {
                    self.out.hostile_ok += 1;
                } else {
                    self.out.hostile_bad += 1;
                    self.out
                        .notes
                        .push(format!("hostile {}: {e} ({name:?})", tag as char));
                }
                None
            }
            (tag, Ok(())) => {
                self.out.hostile_bad += 1;
                self.out
                    .notes
                    .push(format!("hostile {} ended cleanly", tag as char));
                None
            }
        }
    }

    fn fail(&mut self, note: String) {
        self.out.good_fail += 1;
        self.out.notes.push(note);
    }
}

fn print_stats(o: &Outcome) {
    println!(
        "stats good_ok={} good_fail={} frames={} bytes={} hostile_ok={} hostile_bad={} peak_rss_kib={}",
        o.good_ok,
        o.good_fail,
        o.frames,
        o.bytes,
        o.hostile_ok,
        o.hostile_bad,
        peak_rss_kib()
    );
    for n in o.notes.iter().take(20) {
        println!("note {n}");
    }
    io::stdout().flush().unwrap();
}

/// Raises this process's descriptor limit to its hard limit: a thousand clients and their
/// connections need more than the usual soft limit of 1024.
pub fn raise_fd_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut l = getrlimit(Resource::Nofile);
    if l.current < l.maximum {
        l.current = l.maximum;
        let _ = setrlimit(Resource::Nofile, l);
    }
}

fn listen_options() -> ListenOptions {
    ListenOptions::new().backlog(4096)
}

/// The server child: binds `LOAD_PATH`, serves `LOAD_CONNS` connections, prints stats.
pub fn server_main(flavour: &str) -> io::Result<()> {
    raise_fd_limit();
    // Never outlive the test: it holds this child's stdin until it has the report, so stdin
    // ends early only when the test went away (its own watchdog bounds how long it waits).
    std::thread::spawn(|| {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        eprintln!("load server: the test is gone, exiting");
        std::process::exit(3);
    });
    let path = std::env::var("LOAD_PATH").map_err(io::Error::other)?;
    let conns: usize = std::env::var("LOAD_CONNS")
        .map_err(io::Error::other)?
        .parse()
        .map_err(io::Error::other)?;
    let name = PipeName::from_path(path);
    let total = match flavour {
        "blocking" => serve_blocking(&name, conns)?,
        "tokio" => serve_tokio(&name, conns)?,
        "smol" => serve_smol(&name, conns)?,
        other => return Err(io::Error::other(format!("no flavour {other}"))),
    };
    print_stats(&total);
    Ok(())
}

fn ready() {
    // On a line of its own: libtest has printed "test child_entry_point ... " before it.
    println!("\nLOAD-READY");
    io::stdout().flush().unwrap();
}

fn serve_blocking(name: &PipeName, conns: usize) -> io::Result<Outcome> {
    let listener = listen_options().bind(name)?;
    ready();
    let mut handles = Vec::new();
    for _ in 0..conns {
        let s = listener.accept()?;
        handles.push(std::thread::spawn(move || -> Outcome {
            let mut tag = [0u8];
            if (&s).read_exact(&mut tag).is_err() {
                return Outcome {
                    good_fail: 1,
                    notes: vec!["no tag".into()],
                    ..Default::default()
                };
            }
            let Some(codec) = codec_for(tag[0]) else {
                return Outcome {
                    good_fail: 1,
                    notes: vec!["bad tag".into()],
                    ..Default::default()
                };
            };
            let mut c = Checker::new(tag[0]);
            let mut r = FrameReader::new(&s, codec);
            let end = loop {
                match r.read_frame_ref() {
                    Ok(Some(f)) => {
                        if !c.frame(f) {
                            break Ok(());
                        }
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            if let Some(reply) = c.end(&end) {
                let mut w = FrameWriter::new(&s, LengthPrefixed::u32_le());
                if w.write_frame(reply.as_bytes())
                    .and_then(|()| w.flush())
                    .is_err()
                {
                    c.fail("reply failed".into());
                }
            }
            c.out
        }));
    }
    let mut total = Outcome::default();
    for h in handles {
        total.add(h.join().map_err(|_| io::Error::other("handler panicked"))?);
    }
    Ok(total)
}

fn serve_tokio(name: &PipeName, conns: usize) -> io::Result<Outcome> {
    use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
    use tokio::io::AsyncReadExt;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = pipeframe::named::tokio::Listener::bind_with(name, &listen_options())?;
        ready();
        let mut handles = Vec::new();
        for _ in 0..conns {
            let s = listener.accept().await?;
            handles.push(tokio::spawn(async move {
                let (mut rx, tx) = s.into_split();
                let mut tag = [0u8];
                if rx.read_exact(&mut tag).await.is_err() {
                    return Outcome {
                        good_fail: 1,
                        notes: vec!["no tag".into()],
                        ..Default::default()
                    };
                }
                let Some(codec) = codec_for(tag[0]) else {
                    return Outcome {
                        good_fail: 1,
                        notes: vec!["bad tag".into()],
                        ..Default::default()
                    };
                };
                let mut c = Checker::new(tag[0]);
                let mut r = AsyncFrameReader::new(rx, codec);
                let end = loop {
                    match r.read_frame_ref().await {
                        Ok(Some(f)) => {
                            if !c.frame(f) {
                                break Ok(());
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                };
                if let Some(reply) = c.end(&end) {
                    let mut w = AsyncFrameWriter::new(tx, LengthPrefixed::u32_le());
                    if w.write_frame(reply.as_bytes()).await.is_err() || w.close().await.is_err() {
                        c.fail("reply failed".into());
                    }
                }
                c.out
            }));
        }
        let mut total = Outcome::default();
        for h in handles {
            total.add(h.await.map_err(io::Error::other)?);
        }
        Ok(total)
    })
}

fn serve_smol(name: &PipeName, conns: usize) -> io::Result<Outcome> {
    use futures_lite::AsyncReadExt;
    use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};
    let ex = Arc::new(smol::Executor::new());
    let (stop, stopped) = smol::channel::unbounded::<()>();
    // One more thread runs the executor beside the one in `block_on`.
    let helper = {
        let ex = ex.clone();
        std::thread::spawn(move || smol::block_on(ex.run(stopped.recv())))
    };
    let total = smol::block_on(ex.run(async {
        let listener = pipeframe::named::futures_io::Listener::bind_with(name, &listen_options())?;
        ready();
        let mut handles = Vec::new();
        for _ in 0..conns {
            let s = listener.accept().await?;
            handles.push(ex.spawn(async move {
                let mut tag = [0u8];
                if (&s).read_exact(&mut tag).await.is_err() {
                    return Outcome {
                        good_fail: 1,
                        notes: vec!["no tag".into()],
                        ..Default::default()
                    };
                }
                let Some(codec) = codec_for(tag[0]) else {
                    return Outcome {
                        good_fail: 1,
                        notes: vec!["bad tag".into()],
                        ..Default::default()
                    };
                };
                let mut c = Checker::new(tag[0]);
                let mut r = AsyncFrameReader::new(&s, codec);
                let end = loop {
                    match r.read_frame_ref().await {
                        Ok(Some(f)) => {
                            if !c.frame(f) {
                                break Ok(());
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                };
                drop(r);
                if let Some(reply) = c.end(&end) {
                    let mut w = AsyncFrameWriter::new(&s, LengthPrefixed::u32_le());
                    if w.write_frame(reply.as_bytes()).await.is_err() || w.close().await.is_err() {
                        c.fail("reply failed".into());
                    }
                }
                c.out
            }));
        }
        let mut total = Outcome::default();
        for h in handles {
            total.add(h.await);
        }
        Ok::<_, io::Error>(total)
    }));
    drop(stop);
    let _ = helper.join().unwrap();
    total
}

/// A hostile client (blocking): sends its garbage, then expects the server to close the
/// connection (end of stream, or a reset / broken pipe) within `limit`.
pub fn hostile_client(path: &Path, tag: u8, limit: Duration) -> Result<(), String> {
    let mut s = UnixStream::connect(path).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(limit)).unwrap();
    s.set_write_timeout(Some(limit)).unwrap();
    let mut msg = vec![tag];
    match tag {
        b'B' => msg.extend_from_slice(&(1u64 << 63).to_le_bytes()),
        b'E' => msg.extend(std::iter::repeat_n(b'a', 1 << 20)),
        b'V' => msg.extend_from_slice(&[0xff; 10]),
        b'H' => {
            msg.extend_from_slice(b"Content-Length: 5");
            msg.extend(std::iter::repeat_n(b'x', 64 * 1024));
        }
        _ => unreachable!(),
    }
    // The server may close before it has read everything: a failed write is fine.
    let _ = s.write_all(&msg);
    let mut buf = [0u8; 256];
    match s.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!("hostile {}: got {n} bytes back", tag as char)),
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
        Err(e) => Err(format!("hostile {}: not closed: {e}", tag as char)),
    }
}

/// The figures of one load run.
#[derive(Debug)]
pub struct Figures {
    pub flavour: Flavour,
    pub clients: usize,
    pub hostile: usize,
    pub frames: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub server_peak_rss_kib: u64,
}

/// A running load server: the child, its stdout after the ready line, and its stdin, which
/// the test holds until the server has exited (see `server_main`).
struct Server {
    child: KillOnDrop,
    out: BufReader<std::process::ChildStdout>,
    stdin: std::process::ChildStdin,
}

fn start_server(flavour: Flavour, path: &Path, conns: usize) -> Server {
    let role = match flavour {
        Flavour::Blocking => "server-blocking",
        Flavour::Tokio => "server-tokio",
        Flavour::Smol => "server-smol",
    };
    let mut cmd = child(role);
    cmd.env("LOAD_PATH", path)
        .env("LOAD_CONNS", conns.to_string())
        .stdin(std::process::Stdio::piped());
    // Through the pipe module's spawn lock: a child started while another test hands a pipe
    // end to its child must not inherit that end.
    let mut c = pipeframe::pipe::spawn(&mut cmd, []).unwrap();
    let stdin = c.stdin.take().unwrap();
    let mut out = BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "LOAD-READY" {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "load server did not start"
        );
    }
    Server {
        child: KillOnDrop(Some(c)),
        out,
        stdin,
    }
}

/// Good client `id`, blocking.
fn good_blocking(path: &Path, id: u32, barrier: &Barrier) -> Result<(), String> {
    let s = UnixStream::connect(path).map_err(|e| format!("client {id}: connect: {e}"))?;
    barrier.wait();
    (&s).write_all(b"G").map_err(|e| e.to_string())?;
    let mut w = FrameWriter::new(&s, LengthPrefixed::u32_le());
    w.write_frame(&id.to_le_bytes())
        .map_err(|e| e.to_string())?;
    for seq in 0..FRAMES {
        w.write_frame(frame(id, seq))
            .map_err(|e| format!("client {id}: {e}"))?;
    }
    w.flush().map_err(|e| e.to_string())?;
    s.shutdown(std::net::Shutdown::Write)
        .map_err(|e| e.to_string())?;
    let mut r = FrameReader::new(&s, LengthPrefixed::u32_le());
    let reply = r
        .read_frame()
        .map_err(|e| format!("client {id}: reply: {e}"))?;
    check_reply(id, reply.as_deref())
}

fn check_reply(id: u32, reply: Option<&[u8]>) -> Result<(), String> {
    let want = format!("ok {FRAMES}");
    if reply != Some(want.as_bytes()) {
        return Err(format!(
            "client {id}: reply {:?}",
            reply.map(String::from_utf8_lossy)
        ));
    }
    Ok(())
}

async fn good_tokio(
    path: &Path,
    id: u32,
    barrier: Arc<tokio::sync::Barrier>,
) -> Result<(), String> {
    use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
    use tokio::io::AsyncWriteExt;
    let s = pipeframe::named::tokio::connect(&PipeName::from_path(path))
        .await
        .map_err(|e| format!("client {id}: connect: {e}"))?;
    barrier.wait().await;
    let (rx, mut tx) = s.into_split();
    tx.write_all(b"G").await.map_err(|e| e.to_string())?;
    let mut w = AsyncFrameWriter::new(tx, LengthPrefixed::u32_le());
    w.write_frame(&id.to_le_bytes())
        .await
        .map_err(|e| e.to_string())?;
    for seq in 0..FRAMES {
        w.write_frame(frame(id, seq))
            .await
            .map_err(|e| format!("client {id}: {e}"))?;
    }
    w.close().await.map_err(|e| e.to_string())?;
    let mut r = AsyncFrameReader::new(rx, LengthPrefixed::u32_le());
    let reply = r
        .read_frame()
        .await
        .map_err(|e| format!("client {id}: reply: {e}"))?;
    check_reply(id, reply.as_deref())
}

async fn good_smol(path: &Path, id: u32, barrier: Arc<smol::lock::Barrier>) -> Result<(), String> {
    use futures_lite::AsyncWriteExt;
    use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};
    let s = pipeframe::named::futures_io::connect(&PipeName::from_path(path))
        .await
        .map_err(|e| format!("client {id}: connect: {e}"))?;
    barrier.wait().await;
    (&s).write_all(b"G").await.map_err(|e| e.to_string())?;
    let mut w = AsyncFrameWriter::new(&s, LengthPrefixed::u32_le());
    w.write_frame(&id.to_le_bytes())
        .await
        .map_err(|e| e.to_string())?;
    for seq in 0..FRAMES {
        w.write_frame(frame(id, seq))
            .await
            .map_err(|e| format!("client {id}: {e}"))?;
    }
    // async-io's `poll_close` only flushes: half-close the socket by hand.
    w.flush().await.map_err(|e| e.to_string())?;
    s.get_ref()
        .shutdown(std::net::Shutdown::Write)
        .map_err(|e| e.to_string())?;
    let mut r = AsyncFrameReader::new(&s, LengthPrefixed::u32_le());
    let reply = r
        .read_frame()
        .await
        .map_err(|e| format!("client {id}: reply: {e}"))?;
    check_reply(id, reply.as_deref())
}

/// Runs `clients` good clients of `flavour` and `hostile_each` of every hostile kind against
/// a server of the same flavour; checks everything; returns the figures.
pub fn run(flavour: Flavour, clients: usize, hostile_each: usize) -> Figures {
    raise_fd_limit();
    let dir = tempfile::Builder::new()
        .prefix("pf-load")
        .tempdir()
        .unwrap();
    let path = dir.path().join("load.sock");
    let hostile = hostile_each * HOSTILE_TAGS.len();
    let Server {
        child: mut server,
        mut out,
        stdin,
    } = start_server(flavour, &path, clients + hostile);
    let start = Instant::now();
    let limit = Duration::from_secs(60);

    // Hostile clients, on threads, running while the good ones do.
    let hostiles: Vec<_> = (0..hostile)
        .map(|i| {
            let path = path.clone();
            let tag = HOSTILE_TAGS[i % HOSTILE_TAGS.len()];
            std::thread::spawn(move || hostile_client(&path, tag, limit))
        })
        .collect();

    let results: Vec<Result<(), String>> = match flavour {
        Flavour::Blocking => {
            let barrier = Arc::new(Barrier::new(clients));
            let hs: Vec<_> = (0..clients as u32)
                .map(|id| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::Builder::new()
                        .stack_size(256 * 1024)
                        .spawn(move || good_blocking(&path, id, &barrier))
                        .unwrap()
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        }
        Flavour::Tokio => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let barrier = Arc::new(tokio::sync::Barrier::new(clients));
                let hs: Vec<_> = (0..clients as u32)
                    .map(|id| tokio::spawn(good_tokio_owned(path.clone(), id, barrier.clone())))
                    .collect();
                let mut v = Vec::new();
                for h in hs {
                    v.push(h.await.unwrap());
                }
                v
            })
        }
        Flavour::Smol => smol::block_on(async {
            let barrier = Arc::new(smol::lock::Barrier::new(clients));
            let hs: Vec<_> = (0..clients as u32)
                .map(|id| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    smol::spawn(async move { good_smol(&path, id, barrier).await })
                })
                .collect();
            let mut v = Vec::new();
            for h in hs {
                v.push(h.await);
            }
            v
        }),
    };
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{flavour:?}: {} clients failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    for h in hostiles {
        h.join().unwrap().unwrap();
    }
    let status = server.0.take().unwrap().wait().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let mut report = String::new();
    out.read_to_string(&mut report).unwrap();
    drop(stdin);
    assert!(
        status.success(),
        "{flavour:?} load server: {status}\n{report}"
    );
    let stats = report
        .lines()
        .find_map(|l| l.strip_prefix("stats "))
        .unwrap_or_else(|| panic!("no stats from the server:\n{report}"));
    let get = |k: &str| -> u64 {
        stats
            .split(' ')
            .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {k} in {stats}"))
    };
    let what = format!("{flavour:?} load server ({report})");
    assert_eq!(get("good_ok"), clients as u64, "{what}");
    assert_eq!(get("good_fail"), 0, "{what}");
    assert_eq!(get("frames"), clients as u64 * u64::from(FRAMES), "{what}");
    assert_eq!(get("hostile_ok"), hostile as u64, "{what}");
    assert_eq!(get("hostile_bad"), 0, "{what}");
    let want_bytes: u64 = (0..clients as u32)
        .flat_map(|id| (0..FRAMES).map(move |s| frame(id, s).len() as u64))
        .sum();
    assert_eq!(get("bytes"), want_bytes, "{what}");
    Figures {
        flavour,
        clients,
        hostile,
        frames: get("frames"),
        bytes: get("bytes"),
        seconds,
        server_peak_rss_kib: get("peak_rss_kib"),
    }
}

async fn good_tokio_owned(
    path: std::path::PathBuf,
    id: u32,
    barrier: Arc<tokio::sync::Barrier>,
) -> Result<(), String> {
    good_tokio(&path, id, barrier).await
}

/// Kills the child if the test fails before waiting for it.
pub struct KillOnDrop(pub Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
