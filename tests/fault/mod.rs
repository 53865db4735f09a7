//! The fault matrix shared by `tests/fault_matrix.rs` (each scenario once, in the default test
//! command) and `tests/soak.rs` (all of them mixed, for `PIPEFRAME_SOAK_SECS`): every
//! flavour (blocking, tokio, smol) over every transport (anonymous pipe, Unix stream socket,
//! seqpacket socket), against peers that die, vanish, read slowly, or send garbage.
//!
//! Peers that must die for real are this test binary re-executed (`child_entry_point` with
//! `PIPEFRAME_TEST_CHILD` set, see `tests/support/child.rs`), so a SIGKILL hits a process, not
//! a thread.
#![allow(dead_code, unreachable_pub)]

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipeframe::codec::{DecodeError, LengthPrefixed, Missing};
use pipeframe::message::SeqpacketStream;
use pipeframe::named::PipeStream;
use pipeframe::pipe::{self, ClientHandle};
use pipeframe::sync::{FrameReader, FrameWriter};

pub mod load;

#[path = "../support/child.rs"]
pub mod child_support;
#[path = "../support/wait.rs"]
pub mod wait;

pub use child_support::within;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Blocking,
    Tokio,
    Smol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Pipe,
    Unix,
    Seqpacket,
}

pub const TRANSPORTS: [Transport; 3] = [Transport::Pipe, Transport::Unix, Transport::Seqpacket];
pub const FLAVOURS: [Flavour; 3] = [Flavour::Blocking, Flavour::Tokio, Flavour::Smol];

/// The codec of the byte transports.
pub fn codec() -> LengthPrefixed {
    LengthPrefixed::u32_le()
}

/// The partial frame a killed peer leaves: a header claiming this many bytes...
pub const CLAIMED: usize = 1000;
/// ...of which these arrived.
pub const SENT: usize = 400;

pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pf-fault")
        .tempdir()
        .unwrap()
}

/// This test binary as a child playing `role`: stdout piped (the children report there),
/// stderr the test's.
pub fn child(role: &str) -> Command {
    let mut cmd = child_support::command(role);
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    cmd
}

/// The entry point of the children; returns if this process is not one.
pub fn child_main() {
    child_support::main(run_child);
}

/// Two whole frames and the start of a third, as bytes.
fn partial_bytes() -> Vec<u8> {
    let mut w = FrameWriter::new(Vec::new(), codec());
    w.write_frame(b"one").unwrap();
    w.write_frame(b"two").unwrap();
    let mut wire = w.finish().unwrap();
    wire.extend_from_slice(&(CLAIMED as u32).to_le_bytes());
    wire.extend(std::iter::repeat_n(0x5a, SENT));
    wire
}

/// Says it is ready, then waits to be killed. The parent holds this child's stdin open until
/// it has killed it: stdin ending means the parent went away without doing so.
fn ready_and_wait_to_be_killed() -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(b"\nFAULT-READY\n")?;
    out.flush()?;
    io::copy(&mut io::stdin(), &mut io::sink())?;
    Err(io::Error::other(
        "stdin ended before the parent killed this child",
    ))
}

fn run_child(role: &str) -> io::Result<()> {
    let path = || std::env::var("FAULT_PATH").map_err(io::Error::other);
    match role {
        // Killed-peer children: write two frames and part of a third, then wait to be killed.
        "partial-pipe" => {
            let mut w = ClientHandle::from_env("FAULT_FD")?.open_writer()?;
            w.write_all(&partial_bytes())?;
            ready_and_wait_to_be_killed()
        }
        "partial-unix" => {
            let mut s = UnixStream::connect(path()?)?;
            s.write_all(&partial_bytes())?;
            ready_and_wait_to_be_killed()
        }
        "partial-seqpacket" => {
            let s = SeqpacketStream::connect(path()?)?;
            s.write_frame(b"one")?;
            s.write_frame(b"two")?;
            ready_and_wait_to_be_killed()
        }
        // Peer-gone children: take their end and exit at once.
        "exit-pipe" => ClientHandle::from_env("FAULT_FD")?.open_reader().map(drop),
        "exit-unix" => UnixStream::connect(path()?).map(drop),
        "exit-seqpacket" => SeqpacketStream::connect(path()?).map(drop),
        // Counts SIGPIPEs while writing to every transport whose reader is gone.
        "sigpipe-probe" => sigpipe_probe(),
        // SIGPIPE at SIG_DFL: writes to gone peers on pipeframe's sockets (must survive), on
        // a raw std socket (must die: the control), on a pipe (must die).
        "sigdfl-sockets" => sigdfl_sockets(),
        "sigdfl-raw-unix" => sigdfl_raw_unix(),
        "sigdfl-pipe" => sigdfl_pipe(),
        // Load servers (see `load`).
        r if r.starts_with("server-") => load::server_main(&r["server-".len()..]),
        other => Err(io::Error::other(format!("unknown role {other}"))),
    }
}

/// One end of a transport, before a flavour wraps it.
pub enum End {
    PipeR(std::io::PipeReader),
    PipeW(std::io::PipeWriter),
    Unix(UnixStream),
    Seq(SeqpacketStream),
}

impl AsFd for End {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            End::PipeR(r) => r.as_fd(),
            End::PipeW(w) => w.as_fd(),
            End::Unix(s) => s.as_fd(),
            End::Seq(s) => s.as_fd(),
        }
    }
}

/// A connected child for `transport`: our end, and the child (already started).
pub fn spawn_peer(role_prefix: &str, transport: Transport, we_read: bool) -> (End, Child) {
    let dir = tempdir();
    let sock = dir.path().join("s");
    let role = match transport {
        Transport::Pipe => format!("{role_prefix}-pipe"),
        Transport::Unix => format!("{role_prefix}-unix"),
        Transport::Seqpacket => format!("{role_prefix}-seqpacket"),
    };
    let mut cmd = child(&role);
    // Held by the returned `Child`: a killed-peer child waits on it (see
    // `ready_and_wait_to_be_killed`).
    cmd.env("FAULT_PATH", &sock).stdin(Stdio::piped());
    let end_and_child = match transport {
        Transport::Pipe => {
            if we_read {
                let (r, end) = pipe::from_child().unwrap();
                cmd.env("FAULT_FD", end.handle_string());
                (End::PipeR(r), end.spawn(&mut cmd).unwrap())
            } else {
                let (w, end) = pipe::to_child().unwrap();
                cmd.env("FAULT_FD", end.handle_string());
                (End::PipeW(w), end.spawn(&mut cmd).unwrap())
            }
        }
        Transport::Unix => {
            let l = UnixListener::bind(&sock).unwrap();
            let c = pipe::spawn(&mut cmd, []).unwrap();
            (End::Unix(accept_unix(&l)), c)
        }
        Transport::Seqpacket => {
            let l = pipeframe::message::SeqpacketListener::bind(&sock).unwrap();
            let c = pipe::spawn(&mut cmd, []).unwrap();
            (End::Seq(l.accept().unwrap()), c)
        }
    };
    drop(dir);
    end_and_child
}

fn accept_unix(l: &UnixListener) -> UnixStream {
    l.accept().unwrap().0
}

/// What a reader saw: the frames, then how it ended, and when.
#[derive(Debug)]
pub struct Seen {
    pub frames: Vec<Bytes>,
    pub end: io::Result<()>,
    pub at: Instant,
}

fn fd_file(fd: impl Into<OwnedFd>) -> File {
    File::from(fd.into())
}

/// Reads frames with `flavour` until the end of the stream or an error.
pub fn read_all(flavour: Flavour, end: End) -> Seen {
    let mut frames = Vec::new();
    let end_result: io::Result<()> = match flavour {
        Flavour::Blocking => (|| {
            match end {
                End::PipeR(r) => {
                    let mut r = FrameReader::new(r, codec());
                    while let Some(f) = r.read_frame()? {
                        frames.push(f);
                    }
                }
                End::Unix(s) => {
                    let mut r = FrameReader::new(PipeStream::from_std(s)?, codec());
                    while let Some(f) = r.read_frame()? {
                        frames.push(f);
                    }
                }
                End::Seq(mut s) => {
                    while let Some(f) = s.read_frame()? {
                        frames.push(f);
                    }
                }
                End::PipeW(_) => unreachable!(),
            }
            Ok(())
        })(),
        Flavour::Tokio => tokio_rt().block_on(async {
            use pipeframe::tokio::AsyncFrameReader;
            match end {
                End::PipeR(r) => {
                    let rx = tokio::net::unix::pipe::Receiver::from_owned_fd(r.into())?;
                    let mut r = AsyncFrameReader::new(rx, codec());
                    while let Some(f) = r.read_frame().await? {
                        frames.push(f);
                    }
                }
                End::Unix(s) => {
                    let s = pipeframe::named::tokio::PipeStream::from_std(s)?;
                    let mut r = AsyncFrameReader::new(s, codec());
                    while let Some(f) = r.read_frame().await? {
                        frames.push(f);
                    }
                }
                End::Seq(s) => {
                    let mut s = pipeframe::message::tokio::SeqpacketStream::from_std(s)?;
                    while let Some(f) = s.read_frame().await? {
                        frames.push(f);
                    }
                }
                End::PipeW(_) => unreachable!(),
            }
            Ok(())
        }),
        Flavour::Smol => smol::block_on(async {
            use pipeframe::futures_io::AsyncFrameReader;
            match end {
                End::PipeR(r) => {
                    let rx = smol::Async::new(fd_file(r))?;
                    let mut r = AsyncFrameReader::new(rx, codec());
                    while let Some(f) = r.read_frame().await? {
                        frames.push(f);
                    }
                }
                End::Unix(s) => {
                    let mut r = AsyncFrameReader::new(
                        pipeframe::named::futures_io::PipeStream::from_std(s)?,
                        codec(),
                    );
                    while let Some(f) = r.read_frame().await? {
                        frames.push(f);
                    }
                }
                End::Seq(s) => {
                    let mut s = pipeframe::message::futures_io::SeqpacketStream::from_std(s)?;
                    while let Some(f) = s.read_frame().await? {
                        frames.push(f);
                    }
                }
                End::PipeW(_) => unreachable!(),
            }
            Ok(())
        }),
    };
    Seen {
        frames,
        end: end_result,
        at: Instant::now(),
    }
}

/// Killed peer: the child writes two frames and part of a third, and is SIGKILLed. The
/// reader gets the two frames, then `UnexpectedEof` naming the missing bytes (byte
/// transports) or the clean end (seqpacket, where a message is never partial), within a
/// second of the child's death. Returns that latency.
pub fn killed_peer(flavour: Flavour, transport: Transport) -> Duration {
    let (end, child) = spawn_peer("partial", transport, true);
    let mut guard = load::KillOnDrop(Some(child));
    let child = guard.0.as_mut().unwrap();
    // A second descriptor of our end, to see what the kernel still holds for the reader.
    let queued = end.as_fd().try_clone_to_owned().unwrap();
    let reader = std::thread::spawn(move || read_all(flavour, end));
    // libtest prints to stdout too: wait for our line, and keep the pipe open.
    let mut out = io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "FAULT-READY" {
        line.clear();
        assert!(
            io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
            "child ended early"
        );
    }
    // The child wrote everything before its line. Once the kernel holds none of it, the
    // reader has taken it all: it has the whole frames and waits inside the partial one.
    wait::until(
        &format!("{flavour:?}/{transport:?}: the reader takes the child's bytes"),
        Duration::from_secs(30),
        || rustix::io::ioctl_fionread(&queued).unwrap() == 0,
    );
    drop(queued);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    guard.0 = None;
    let dead = Instant::now();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "{flavour:?}/{transport:?}: the child died of SIGKILL: {status}"
    );
    let seen = reader.join().unwrap();
    let latency = seen.at.saturating_duration_since(dead);
    let what = format!("{flavour:?} over {transport:?}");
    assert_eq!(
        seen.frames,
        [&b"one"[..], b"two"],
        "{what}: the whole frames, nothing partial"
    );
    match transport {
        Transport::Seqpacket => {
            assert!(
                seen.end.is_ok(),
                "{what}: a dead seqpacket peer is a clean end: {:?}",
                seen.end
            )
        }
        _ => {
            let e = seen.end.expect_err("an unexpected end");
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{what}: {e}");
            let inner = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<DecodeError>())
                .unwrap_or_else(|| panic!("{what}: not a DecodeError: {e}"));
            assert_eq!(
                inner,
                &DecodeError::Truncated {
                    buffered: 4 + SENT,
                    missing: Missing::Exactly((CLAIMED - SENT) as u64)
                },
                "{what}"
            );
            assert!(
                e.to_string()
                    .contains(&format!("{} bytes missing", CLAIMED - SENT)),
                "{what}: the message names the missing bytes: {e}"
            );
        }
    }
    assert!(
        latency < Duration::from_secs(1),
        "{what}: the reader noticed the death after {latency:?}"
    );
    latency
}

/// Writes frames with `flavour` until an error; returns it (or panics after many frames).
pub fn write_until_error(flavour: Flavour, end: End) -> io::Error {
    const TRIES: usize = 10_000;
    let payload = vec![7u8; 100 * 1024];
    let r: io::Result<()> = match flavour {
        Flavour::Blocking => (|| {
            match end {
                End::PipeW(w) => {
                    let mut w = FrameWriter::with_high_water(0, w, codec());
                    for _ in 0..TRIES {
                        w.write_frame(&payload)?;
                        w.flush()?;
                    }
                }
                End::Unix(s) => {
                    let mut w = FrameWriter::with_high_water(0, PipeStream::from_std(s)?, codec());
                    for _ in 0..TRIES {
                        w.write_frame(&payload)?;
                        w.flush()?;
                    }
                }
                End::Seq(s) => {
                    for _ in 0..TRIES {
                        s.write_frame(&payload)?;
                    }
                }
                End::PipeR(_) => unreachable!(),
            }
            Ok(())
        })(),
        Flavour::Tokio => tokio_rt().block_on(async {
            use pipeframe::tokio::AsyncFrameWriter;
            match end {
                End::PipeW(w) => {
                    let tx = tokio::net::unix::pipe::Sender::from_owned_fd(w.into())?;
                    let mut w = AsyncFrameWriter::new(tx, codec());
                    for _ in 0..TRIES {
                        w.write_frame(&payload).await?;
                        w.flush().await?;
                    }
                }
                End::Unix(s) => {
                    let s = pipeframe::named::tokio::PipeStream::from_std(s)?;
                    let mut w = AsyncFrameWriter::new(s, codec());
                    for _ in 0..TRIES {
                        w.write_frame(&payload).await?;
                        w.flush().await?;
                    }
                }
                End::Seq(s) => {
                    let s = pipeframe::message::tokio::SeqpacketStream::from_std(s)?;
                    for _ in 0..TRIES {
                        s.write_frame(&payload).await?;
                    }
                }
                End::PipeR(_) => unreachable!(),
            }
            Ok(())
        }),
        Flavour::Smol => smol::block_on(async {
            use pipeframe::futures_io::AsyncFrameWriter;
            match end {
                End::PipeW(w) => {
                    let mut w = AsyncFrameWriter::new(smol::Async::new(fd_file(w))?, codec());
                    for _ in 0..TRIES {
                        w.write_frame(&payload).await?;
                        w.flush().await?;
                    }
                }
                End::Unix(s) => {
                    let mut w = AsyncFrameWriter::new(
                        pipeframe::named::futures_io::PipeStream::from_std(s)?,
                        codec(),
                    );
                    for _ in 0..TRIES {
                        w.write_frame(&payload).await?;
                        w.flush().await?;
                    }
                }
                End::Seq(s) => {
                    let s = pipeframe::message::futures_io::SeqpacketStream::from_std(s)?;
                    for _ in 0..TRIES {
                        s.write_frame(&payload).await?;
                    }
                }
                End::PipeR(_) => unreachable!(),
            }
            Ok(())
        }),
    };
    r.expect_err("writing to a peer that exited kept succeeding")
}

/// Peer gone: the child takes its end and exits; every write after that is `BrokenPipe`
/// (this process ignores SIGPIPE, as every Rust program does unless built otherwise).
pub fn peer_gone(flavour: Flavour, transport: Transport) {
    let (end, mut child) = spawn_peer("exit", transport, false);
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "{flavour:?}/{transport:?}: child {status}"
    );
    let e = write_until_error(flavour, end);
    assert_eq!(
        e.kind(),
        io::ErrorKind::BrokenPipe,
        "{flavour:?} over {transport:?}: {e}"
    );
}

/// An in-process connected pair: (reader end, writer end).
pub fn pair(transport: Transport) -> (End, End) {
    match transport {
        Transport::Pipe => {
            let (r, w) = std::io::pipe().unwrap();
            (End::PipeR(r), End::PipeW(w))
        }
        Transport::Unix => {
            let (a, b) = UnixStream::pair().unwrap();
            (End::Unix(a), End::Unix(b))
        }
        Transport::Seqpacket => {
            let (a, b) = SeqpacketStream::pair().unwrap();
            (End::Seq(a), End::Seq(b))
        }
    }
}

/// Frame `i` of the slow-reader run.
pub fn slow_frame(i: usize) -> Vec<u8> {
    let len = 1 + (i * 7919) % 6000;
    (0..len).map(|j| (i + j) as u8).collect()
}

pub const SLOW_FRAMES: usize = 1500;
pub const HIGH_WATER: usize = 16 * 1024;

/// A reader that takes its time: sleeps a millisecond every 25 frames, and checks each.
fn slow_reader(end: End) -> usize {
    let mut n = 0;
    let mut check = |f: &[u8]| {
        assert!(f == slow_frame(n), "frame {n} differs or is out of order");
        n += 1;
        if n.is_multiple_of(25) {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    match end {
        End::PipeR(r) => {
            let mut r = FrameReader::new(r, codec());
            while let Some(f) = r.read_frame_ref().unwrap() {
                check(f);
            }
        }
        End::Unix(s) => {
            let mut r = FrameReader::new(PipeStream::from_std(s).unwrap(), codec());
            while let Some(f) = r.read_frame_ref().unwrap() {
                check(f);
            }
        }
        End::Seq(mut s) => {
            while let Some(f) = s.read_frame().unwrap() {
                check(&f);
            }
        }
        End::PipeW(_) => unreachable!(),
    }
    n
}

/// Slow reader: the writer's queued bytes never pass the high-water mark plus the frame
/// being written (plus its header), every frame arrives, in order. Returns the most the
/// writer held.
pub fn slow_reader_bounded(flavour: Flavour, transport: Transport) -> usize {
    let (r, w) = pair(transport);
    let reader = std::thread::spawn(move || slow_reader(r));
    let bound = |i: usize| HIGH_WATER + slow_frame(i).len() + 4;
    let mut peak = 0;
    let what = format!("{flavour:?} over {transport:?}");
    match (flavour, w) {
        (Flavour::Blocking, End::Seq(s)) => {
            // One message per send: nothing is queued in the process at all.
            for i in 0..SLOW_FRAMES {
                s.write_frame(&slow_frame(i)).unwrap();
            }
        }
        (Flavour::Blocking, End::PipeW(w)) => {
            let mut w = FrameWriter::with_high_water(HIGH_WATER, w, codec());
            for i in 0..SLOW_FRAMES {
                w.write_frame(&slow_frame(i)).unwrap();
                peak = peak.max(w.buffered());
                assert!(w.buffered() <= bound(i), "{what}: {} queued", w.buffered());
            }
            w.finish().unwrap();
        }
        (Flavour::Blocking, End::Unix(s)) => {
            let s = PipeStream::from_std(s).unwrap();
            let mut w = FrameWriter::with_high_water(HIGH_WATER, s, codec());
            for i in 0..SLOW_FRAMES {
                w.write_frame(&slow_frame(i)).unwrap();
                peak = peak.max(w.buffered());
                assert!(w.buffered() <= bound(i), "{what}: {} queued", w.buffered());
            }
            w.finish().unwrap().shutdown_write().unwrap();
        }
        (Flavour::Tokio, w) => tokio_rt().block_on(async {
            use pipeframe::tokio::AsyncFrameWriter;
            macro_rules! run {
                ($io:expr) => {{
                    let mut w = AsyncFrameWriter::with_high_water(HIGH_WATER, $io, codec());
                    for i in 0..SLOW_FRAMES {
                        w.write_frame(&slow_frame(i)).await.unwrap();
                        peak = peak.max(w.buffered());
                        assert!(w.buffered() <= bound(i), "{what}: {} queued", w.buffered());
                    }
                    w.close().await.unwrap();
                }};
            }
            match w {
                End::PipeW(w) => {
                    run!(tokio::net::unix::pipe::Sender::from_owned_fd(w.into()).unwrap())
                }
                End::Unix(s) => {
                    run!(pipeframe::named::tokio::PipeStream::from_std(s).unwrap())
                }
                End::Seq(s) => {
                    let s = pipeframe::message::tokio::SeqpacketStream::from_std(s).unwrap();
                    for i in 0..SLOW_FRAMES {
                        s.write_frame(&slow_frame(i)).await.unwrap();
                    }
                }
                End::PipeR(_) => unreachable!(),
            }
        }),
        (Flavour::Smol, w) => smol::block_on(async {
            use pipeframe::futures_io::AsyncFrameWriter;
            macro_rules! run {
                ($io:expr) => {{
                    let mut w = AsyncFrameWriter::with_high_water(HIGH_WATER, $io, codec());
                    for i in 0..SLOW_FRAMES {
                        w.write_frame(&slow_frame(i)).await.unwrap();
                        peak = peak.max(w.buffered());
                        assert!(w.buffered() <= bound(i), "{what}: {} queued", w.buffered());
                    }
                    w.close().await.unwrap();
                }};
            }
            match w {
                End::PipeW(w) => run!(smol::Async::new(fd_file(w)).unwrap()),
                End::Unix(s) => {
                    run!(pipeframe::named::futures_io::PipeStream::from_std(s).unwrap())
                }
                End::Seq(s) => {
                    let s = pipeframe::message::futures_io::SeqpacketStream::from_std(s).unwrap();
                    for i in 0..SLOW_FRAMES {
                        s.write_frame(&slow_frame(i)).await.unwrap();
                    }
                }
                End::PipeR(_) => unreachable!(),
            }
        }),
        (_, End::PipeR(_)) => unreachable!(),
    }
    let n = reader.join().unwrap();
    assert_eq!(n, SLOW_FRAMES, "{what}: frames received");
    peak
}

/// The peak resident set of this process (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub fn socket_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The SIGPIPEs this process has been sent since [`count_sigpipes`].
static SIGPIPES: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_sigpipe(_: libc::c_int) {
    SIGPIPES.fetch_add(1, Ordering::SeqCst);
}

/// Counts every SIGPIPE this process is sent, instead of ignoring it. A write that raises
/// SIGPIPE raises it on the writing thread, and the handler runs before the write returns:
/// the count is complete as soon as the write has failed, with nothing to wait for.
#[allow(unsafe_code)]
fn count_sigpipes() -> io::Result<()> {
    let handler = count_sigpipe as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only adds to an atomic, which is async-signal-safe; `signal` changes
    // one process-wide disposition in a child process that exists only for this probe,
    // before it starts writing.
    let prev = unsafe { libc::signal(libc::SIGPIPE, handler) };
    if prev == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// In a child (the handler is process-wide): counts SIGPIPEs ([`count_sigpipes`]), then, for
/// every flavour and transport, writes to a peer that is gone and prints `sigpipe FLAVOUR
/// TRANSPORT <signals raised> <error kind>`. A raised signal is one that kills a process whose
/// SIGPIPE is at its default disposition.
fn sigpipe_probe() -> io::Result<()> {
    count_sigpipes()?;
    for f in FLAVOURS {
        for t in TRANSPORTS {
            let (r, w) = pair(t);
            drop(r);
            let before = SIGPIPES.load(Ordering::SeqCst);
            let e = write_until_error(f, w);
            let raised = SIGPIPES.load(Ordering::SeqCst) - before;
            println!("sigpipe {f:?} {t:?} {raised} {:?}", e.kind());
        }
    }
    io::stdout().flush()
}

/// Runs the probe child; returns `(flavour, transport, signals raised, error kind)` lines.
pub fn sigpipe_report() -> Vec<(String, String, u64, String)> {
    let out = child("sigpipe-probe").output().unwrap();
    assert!(out.status.success(), "sigpipe probe: {}", out.status);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once("sigpipe "))
        .map(|(_, rest)| {
            let v: Vec<&str> = rest.split(' ').collect();
            (
                v[0].to_owned(),
                v[1].to_owned(),
                v[2].parse().unwrap(),
                v[3].to_owned(),
            )
        })
        .collect()
}

/// Puts `SIGPIPE` back to its default disposition. The test harness, like every Rust
/// program, starts with it ignored, and `exec` keeps an ignored signal ignored (a shell
/// cannot un-ignore it either), so the children do it themselves: from here on, a write that
/// raises `SIGPIPE` kills this process.
#[allow(unsafe_code)]
fn sigpipe_default() -> io::Result<()> {
    // SAFETY: `signal(SIGPIPE, SIG_DFL)` installs no handler, so no code of ours ever runs
    // in signal context; it changes one process-wide disposition in a child process that
    // exists only for this, before it starts writing.
    let prev = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    if prev == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn say(line: &str) -> io::Result<()> {
    let mut out = io::stdout();
    writeln!(out, "{line}")?;
    out.flush()
}

/// Writes frames of 100 KiB with `w` until it fails; returns the error.
fn blocking_until_error(w: impl Write) -> io::Error {
    let payload = vec![7u8; 100 * 1024];
    let mut w = FrameWriter::with_high_water(0, w, codec());
    for _ in 0..10_000 {
        if let Err(e) = w.write_frame(&payload).and_then(|()| w.flush()) {
            return e;
        }
    }
    io::Error::other("writing to a peer that is gone kept succeeding")
}

/// A named pipe client in `flavour` (pipeframe's own connect and stream types), whose server
/// accepted it and closed the connection: the error of writing frames to it until one fails.
fn named_peer_gone(flavour: Flavour, path: &Path) -> io::Result<io::Error> {
    use pipeframe::named::{self, PipeName};
    let name = PipeName::from_path(path);
    let listener = named::Listener::bind(&name)?;
    let payload = vec![7u8; 100 * 1024];
    Ok(match flavour {
        Flavour::Blocking => {
            let c = named::connect(&name)?;
            drop(listener.accept()?);
            blocking_until_error(c)
        }
        Flavour::Tokio => tokio_rt().block_on(async {
            let c = named::tokio::connect(&name).await?;
            drop(listener.accept()?);
            let mut w = pipeframe::tokio::AsyncFrameWriter::new(c, codec());
            for _ in 0..10_000 {
                if let Err(e) = w.write_frame(&payload).await {
                    return Ok::<_, io::Error>(e);
                }
                if let Err(e) = w.flush().await {
                    return Ok(e);
                }
            }
            Ok(io::Error::other(
                "writing to a peer that is gone kept succeeding",
            ))
        })?,
        Flavour::Smol => smol::block_on(async {
            let c = named::futures_io::connect(&name).await?;
            drop(listener.accept()?);
            let mut w = pipeframe::futures_io::AsyncFrameWriter::new(c, codec());
            for _ in 0..10_000 {
                if let Err(e) = w.write_frame(&payload).await {
                    return Ok::<_, io::Error>(e);
                }
                if let Err(e) = w.flush().await {
                    return Ok(e);
                }
            }
            Ok(io::Error::other(
                "writing to a peer that is gone kept succeeding",
            ))
        })?,
    })
}

/// With `SIGPIPE` at `SIG_DFL`: every flavour writes to a peer that is gone over a named pipe
/// (Unix stream socket) and a seqpacket socket. Prints `sigdfl start F T` before each and
/// `sigdfl done F T KIND` after, so a death names the write that raised the signal.
fn sigdfl_sockets() -> io::Result<()> {
    sigpipe_default()?;
    let dir = tempdir();
    for f in FLAVOURS {
        for t in [Transport::Unix, Transport::Seqpacket] {
            say(&format!("sigdfl start {f:?} {t:?}"))?;
            let e = match t {
                Transport::Unix => named_peer_gone(f, &dir.path().join(format!("{f:?}.sock")))?,
                _ => {
                    let (r, w) = pair(t);
                    drop(r);
                    write_until_error(f, w)
                }
            };
            say(&format!("sigdfl done {f:?} {t:?} {:?}", e.kind()))?;
        }
    }
    Ok(())
}

/// The control: with `SIGPIPE` at `SIG_DFL`, a raw std `UnixStream`'s vectored write
/// (`writev(2)`, which takes no `MSG_NOSIGNAL`; std's plain `write` on Linux does pass it) to
/// a closed peer. Must die of the signal, which shows the reset worked.
fn sigdfl_raw_unix() -> io::Result<()> {
    sigpipe_default()?;
    let (mut a, b) = UnixStream::pair()?;
    drop(b);
    let e = a
        .write_vectored(&[io::IoSlice::new(b"x"), io::IoSlice::new(b"y")])
        .unwrap_err();
    say(&format!("sigdfl survived {:?}", e.kind()))?;
    Err(io::Error::other(
        "a raw socket write to a closed peer did not kill us",
    ))
}

/// With `SIGPIPE` at `SIG_DFL`, the flavour `FAULT_FLAVOUR` writes to a pipe whose reader is
/// gone: the process dies of `SIGPIPE` (pipes have no way to suppress it per write).
fn sigdfl_pipe() -> io::Result<()> {
    let flavour = match std::env::var("FAULT_FLAVOUR")
        .map_err(io::Error::other)?
        .as_str()
    {
        "Blocking" => Flavour::Blocking,
        "Tokio" => Flavour::Tokio,
        "Smol" => Flavour::Smol,
        other => return Err(io::Error::other(format!("unknown flavour {other}"))),
    };
    sigpipe_default()?;
    let (r, w) = pair(Transport::Pipe);
    drop(r);
    let e = write_until_error(flavour, w);
    say(&format!("sigdfl survived {:?}", e.kind()))?;
    Err(io::Error::other(
        "a pipe write to a gone reader did not kill us",
    ))
}

/// What a `sigdfl-*` child came to: its exit status and its `sigdfl` lines.
pub fn sigdfl_child(
    role: &str,
    flavour: Option<Flavour>,
) -> (std::process::ExitStatus, Vec<String>) {
    let mut cmd = child(role);
    if let Some(f) = flavour {
        cmd.env("FAULT_FLAVOUR", format!("{f:?}"));
    }
    let out = cmd.output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once("sigdfl ").map(|(_, rest)| rest.to_owned()))
        .collect();
    (out.status, lines)
}
