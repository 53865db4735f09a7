//! Memory stays bounded by bytes received, never by lengths promised: measured with a
//! counting global allocator over 1 GiB streams generated on the fly. A reader's buffer goes
//! back to its capacity after a large frame, an idle connection costs a few KiB in every
//! flavour, and 10,000 idle tokio named-pipe connections fit in 200 MiB of resident memory.
//!
//! The allocator's counters are global, so this binary runs without libtest's harness: its
//! main thread allocates as each test ends (results, captured output), and a measurement
//! running beside it would count those bytes. [`main`] runs the tests one after another on
//! one thread, and nothing else allocates while one measures.
// The one exception to the crate's no-unsafe rule: a test-only allocator wrapper.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::io::{self, ErrorKind, Read};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use pipeframe::codec::{Delimited, FrameEncoder, LengthPrefixed};
use pipeframe::sync::FrameReader;

/// Counts live heap bytes and their high-water mark.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(n: usize) {
    CURRENT.fetch_sub(n, Ordering::Relaxed);
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the wrapper only updates two counters, never touches the memory,
// and counts a block only when `System` returned one.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Count the new block before releasing the old one: a moving realloc holds both.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const GIB: u64 = 1024 * MIB as u64;

/// Runs `f`, returning its result and the peak heap growth over what was live before it.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed) - base)
}

/// A source of `total` bytes made on the fly: `head`, then `body` repeated (copied a slice
/// at a time, never byte by byte). Counts what it handed out.
struct Source {
    head: Vec<u8>,
    body: Vec<u8>,
    total: u64,
    pos: u64,
}

impl Source {
    fn new(head: Vec<u8>, body: Vec<u8>, total: u64) -> Self {
        Source {
            head,
            body,
            total,
            pos: 0,
        }
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len() as u64).min(self.total - self.pos) as usize;
        let mut done = 0;
        while done < want {
            let pos = self.pos + done as u64;
            let src = if pos < self.head.len() as u64 {
                &self.head[pos as usize..]
            } else {
                let off = (pos - self.head.len() as u64) % self.body.len() as u64;
                &self.body[off as usize..]
            };
            let n = src.len().min(want - done);
            buf[done..done + n].copy_from_slice(&src[..n]);
            done += n;
        }
        self.pos += want as u64;
        Ok(want)
    }
}

/// (a) A header claiming 4 GiB, then 1 GiB of bytes.
fn huge_claim() {
    let mut head = Vec::new();
    head.extend_from_slice(&(4 * GIB).to_le_bytes());
    let filler = vec![0xa5u8; 64 * KIB];

    // Default 8 MiB maximum: the header alone is refused, after one read.
    let src = Source::new(head.clone(), filler.clone(), GIB);
    let ((e, pos), peak) = peak_during(|| {
        let mut r = FrameReader::new(src, LengthPrefixed::u64_le());
        let e = r.read_frame().unwrap_err();
        (e, r.get_ref().pos)
    });
    eprintln!("4 GiB claim, default max: error after {pos} bytes read, peak {peak} bytes: {e}");
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.to_string().contains("4294967296"), "{e}");
    assert!(e.to_string().contains("8388608"), "{e}");
    assert!(pos <= 64 * KIB as u64, "read {pos} bytes before refusing");
    assert!(peak < 64 * MIB, "peak {peak}");

    // No maximum: the reader buffers what arrives (the frame could still complete), never
    // the 4 GiB promised, and reports how much was missing at EOF.
    let src = Source::new(head, filler, GIB);
    let ((e, pos), peak) = peak_during(|| {
        let mut r = FrameReader::new(src, LengthPrefixed::u64_le().with_max_frame_len(usize::MAX));
        let e = r.read_frame().unwrap_err();
        (e, r.get_ref().pos)
    });
    eprintln!("4 GiB claim, no max: 1 GiB streamed, peak {peak} bytes: {e}");
    assert_eq!(pos, GIB);
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
    let missing = 4 * GIB + 8 - GIB;
    assert!(
        e.to_string().contains(&format!("{missing} bytes missing")),
        "{e}"
    );
    // Memory follows the bytes received, not the 4 GiB claimed: the buffer doubles as bytes
    // arrive (1 GiB received fills a 1 GiB buffer, and the read that finds EOF needs room,
    // so it grows to 2 GiB), and this allocator counts a growing realloc as holding the old
    // and the new block at once: at most 3 x the bytes received.
    assert!(peak <= 3 * GIB as usize + MIB, "peak {peak}");
    assert!(peak < 4 * GIB as usize, "peak {peak}");
}

/// A header claiming the whole 8 MiB maximum, then a few bytes and EOF: nothing close to
/// 8 MiB is allocated.
fn allowed_claim_short_stream() {
    let mut head = (8 * MIB as u32).to_le_bytes().to_vec();
    head.extend_from_slice(&[1u8; 100]);
    let src = Source::new(head, vec![0], 104);
    let (e, peak) = peak_during(|| {
        FrameReader::new(src, LengthPrefixed::u32_le())
            .read_frame()
            .unwrap_err()
    });
    eprintln!("8 MiB claim, 100 bytes sent: peak {peak} bytes: {e}");
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
    assert!(
        e.to_string()
            .contains(&format!("{} bytes missing", 8 * MIB - 100)),
        "{e}"
    );
    assert!(peak < MIB, "peak {peak}");
}

/// (b) 1 GiB of one line without a newline.
fn endless_line() {
    let src = Source::new(Vec::new(), vec![b'x'; 64 * KIB], GIB);
    let ((first, rest, pos), peak) = peak_during(|| {
        let mut r = FrameReader::new(src, Delimited::lines());
        let first = r.read_frame().unwrap_err();
        let at = r.get_ref().pos;
        // The decoder discards through a newline that never comes; the stream then ends
        // without a frame.
        let rest = r.read_frame().map(|f| f.map(|f| f.len()));
        (first, rest.unwrap(), (at, r.get_ref().pos))
    });
    eprintln!(
        "1 GiB line: error after {} bytes read, {} bytes in all, peak {peak} bytes: {first}",
        pos.0, pos.1
    );
    assert_eq!(first.kind(), ErrorKind::InvalidData);
    assert!(first.to_string().contains("8388608"), "{first}");
    // Reported as soon as the bytes read pass the maximum (reads fill the buffer, which has
    // doubled to 16 MiB by then), not at the end of the gigabyte.
    assert!(pos.0 <= 16 * MIB as u64, "error only after {} bytes", pos.0);
    assert_eq!(rest, None);
    assert_eq!(pos.1, GIB);
    assert!(peak < 64 * MIB, "peak {peak}");
}

/// (c) 1 GiB in 1 MiB frames, owned and borrowed.
fn streaming(borrowed: bool) {
    let payload: Vec<u8> = (0..MIB).map(|i| (i * 7 + 3) as u8).collect();
    let mut frame = Vec::new();
    LengthPrefixed::u32_le()
        .encode_frame(&payload, &mut frame)
        .unwrap();
    let frames = GIB as usize / MIB;
    let src = Source::new(Vec::new(), frame.clone(), (frame.len() * frames) as u64);
    let (count, peak) = peak_during(|| {
        let mut r = FrameReader::new(src, LengthPrefixed::u32_le());
        let mut count = 0;
        loop {
            let f = if borrowed {
                match r.read_frame_ref().unwrap() {
                    Some(f) => (f.len(), f[0], f[MIB - 1]),
                    None => break,
                }
            } else {
                match r.read_frame().unwrap() {
                    Some(f) => (f.len(), f[0], f[MIB - 1]),
                    None => break,
                }
            };
            assert_eq!(f, (MIB, payload[0], payload[MIB - 1]), "frame {count}");
            count += 1;
        }
        count
    });
    let how = if borrowed { "borrowed" } else { "owned" };
    eprintln!("1 GiB in 1 MiB frames, {how}: {count} frames, peak {peak} bytes");
    assert_eq!(count, frames);
    assert!(peak < 4 * MIB + 2 * MIB, "{how}: peak {peak}");
}

fn memory_stays_bounded() {
    // The counter works: a 10 MiB vector shows up.
    let (_, peak) = peak_during(|| vec![1u8; 10 * MIB].len());
    assert!(peak >= 10 * MIB, "allocator not counting: {peak}");

    huge_claim();
    allowed_claim_short_stream();
    endless_line();
    streaming(false);
    streaming(true);
}

/// Live heap bytes now.
fn live() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// A source that hands out its chunks one read at a time (a read takes at most the rest of
/// the current chunk), as a pipe does when its writer writes frames one by one and the reader
/// keeps up: blocking `Read`, tokio's and futures-io's `AsyncRead`, always ready. It frees
/// nothing as it goes, so the heap it holds stays the same while a reader is measured.
struct Chunks {
    chunks: Vec<Vec<u8>>,
    /// The current chunk, and how much of it was read.
    at: (usize, usize),
}

impl Chunks {
    fn read_into(&mut self, buf: &mut [u8]) -> usize {
        let (i, off) = self.at;
        let Some(chunk) = self.chunks.get(i) else {
            return 0;
        };
        let n = (chunk.len() - off).min(buf.len());
        buf[..n].copy_from_slice(&chunk[off..off + n]);
        self.at = if off + n == chunk.len() {
            (i + 1, 0)
        } else {
            (i, off + n)
        };
        n
    }
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_into(buf))
    }
}

impl tokio::io::AsyncRead for Chunks {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.get_mut().read_into(buf.initialize_unfilled());
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncRead for Chunks {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.get_mut().read_into(buf)))
    }
}

/// A 1 MiB frame (arriving in 64 KiB reads, as from a pipe), then `small` frames of 100
/// bytes, each in a read of its own.
fn large_then_small(small: usize) -> Chunks {
    let mut codec = LengthPrefixed::u32_le();
    let mut big = Vec::new();
    codec.encode_frame(&vec![7u8; MIB], &mut big).unwrap();
    let mut chunks: Vec<Vec<u8>> = big.chunks(64 * KIB).map(<[u8]>::to_vec).collect();
    for i in 0..small {
        let mut f = Vec::new();
        codec.encode_frame(&[i as u8; 100], &mut f).unwrap();
        chunks.push(f);
    }
    Chunks { chunks, at: (0, 0) }
}

/// Runs a future that is always ready (its source never waits) to completion.
fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory source never waits"),
    }
}

/// What a reader holds after a large frame and then small ones: (heap held right after the
/// large frame, heap held after the small frames), over what was live before the reader.
/// `next` reads one frame and returns its length (`None` at the end).
fn held_after_large_frame(mut next: impl FnMut() -> Option<usize>) -> (usize, usize) {
    assert_eq!(next(), Some(MIB));
    let after_large = live();
    let mut n = 0;
    while let Some(len) = next() {
        assert_eq!(len, 100);
        n += 1;
    }
    assert_eq!(n, 16);
    (after_large, live())
}

/// After a frame larger than 64 KiB, a reader that has drained its buffer and read small
/// frames holds at most its 64 KiB capacity again, in every flavour, borrowed and owned.
fn read_buffer_returns_to_its_capacity_after_a_large_frame() {
    let codec = LengthPrefixed::u32_le;
    let check = |how: &str, (base, (large, small)): (usize, (usize, usize))| {
        let (large, small) = (large - base, small.saturating_sub(base));
        eprintln!("{how}: {large} bytes held after the 1 MiB frame, {small} after 16 small ones");
        assert!(large > MIB, "{how}: the buffer never grew ({large})");
        // The buffer's 64 KiB, and the few bytes of bookkeeping `bytes` keeps for a buffer
        // whose frames are handed out as `Bytes`.
        assert!(small <= 64 * KIB + 256, "{how}: {small} bytes still held");
    };

    let src = large_then_small(16);
    let base = live();
    let mut r = FrameReader::new(src, codec());
    check(
        "blocking, borrowed",
        (
            base,
            held_after_large_frame(|| r.read_frame_ref().unwrap().map(<[u8]>::len)),
        ),
    );
    drop(r);

    let src = large_then_small(16);
    let base = live();
    let mut r = FrameReader::new(src, codec());
    check(
        "blocking, owned",
        (
            base,
            held_after_large_frame(|| r.read_frame().unwrap().map(|f| f.len())),
        ),
    );
    drop(r);

    let src = large_then_small(16);
    let base = live();
    let mut r = pipeframe::tokio::AsyncFrameReader::new(src, codec());
    check(
        "tokio, borrowed",
        (
            base,
            held_after_large_frame(|| ready(r.read_frame_ref()).unwrap().map(<[u8]>::len)),
        ),
    );
    drop(r);

    let src = large_then_small(16);
    let base = live();
    let mut r = pipeframe::futures_io::AsyncFrameReader::new(src, codec());
    check(
        "futures-io, owned",
        (
            base,
            held_after_large_frame(|| ready(r.read_frame()).unwrap().map(|f| f.len())),
        ),
    );
    drop(r);
}

/// Heap an idle connection costs: accepted, its frame reader and writer made, the reader
/// waiting for a frame, nothing sent. Includes what the listener and the runtime allocate
/// for it.
#[cfg(unix)]
mod idle {
    use super::*;
    use pipeframe::named::{self, AsyncPipeReadHalf, AsyncPipeWriteHalf, PipeName};
    use pipeframe::rt::{AsyncFrameReader, AsyncFrameWriter, Reactor, ReadIo, WriteIo};
    use pipeframe::sync::FrameWriter;
    use std::os::unix::net::UnixStream;

    /// Polls a future once: `None` if it waits.
    fn poll_once<F: Future>(f: F) -> Option<F::Output> {
        match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => Some(out),
            Poll::Pending => None,
        }
    }

    const CONNECTIONS: usize = 64;
    const LIMIT: usize = 16 * KIB;

    /// A fresh socket path and its name.
    fn pipe_name() -> (tempfile::TempDir, PipeName, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idle.sock");
        (dir, PipeName::from_path(path.clone()), path)
    }

    /// Connects `n` clients (blocking; they wait in the listener's backlog).
    fn clients(name: &PipeName, n: usize) -> Vec<named::PipeStream> {
        (0..n).map(|_| named::connect(name).unwrap()).collect()
    }

    fn report(flavour: &str, base: usize, per_conn_inline: usize) -> usize {
        let per = (live() - base) / CONNECTIONS + per_conn_inline;
        eprintln!("{flavour}: {per} bytes of heap per idle connection");
        per
    }

    pub(super) fn an_idle_connection_costs_at_most_16_kib_of_heap() {
        let codec = LengthPrefixed::u32_le;

        // Blocking: the reader has made one read, which found nothing (a non-blocking socket).
        let (_dir, name, _) = pipe_name();
        let listener = named::Listener::bind(&name).unwrap();
        let peers = clients(&name, CONNECTIONS);
        type Conn = (
            FrameReader<UnixStream, LengthPrefixed>,
            FrameWriter<named::PipeStream, LengthPrefixed>,
        );
        let mut conns: Vec<Conn> = Vec::with_capacity(CONNECTIONS);
        let base = live();
        for _ in 0..CONNECTIONS {
            let s = listener.accept().unwrap();
            let w = FrameWriter::new(s.try_clone().unwrap(), codec());
            let s = UnixStream::from(s);
            s.set_nonblocking(true).unwrap();
            let mut r = FrameReader::new(s, codec());
            let e = r.read_frame_ref().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
            conns.push((r, w));
        }
        let per = report("blocking", base, size_of::<Conn>());
        assert!(per <= LIMIT, "blocking: {per} bytes per idle connection");
        drop((conns, peers, listener));

        // tokio and futures-io (smol): accepted by the runtime's listener, split, the reader
        // polled once.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(idle_async::<pipeframe::rt::Tokio>("tokio"));
        drop(rt);
        async_io::block_on(idle_async::<pipeframe::rt::AsyncIo>("futures-io"));
    }

    /// The async half of [`an_idle_connection_costs_at_most_16_kib_of_heap`], on runtime `Rt`.
    async fn idle_async<Rt>(flavour: &str)
    where
        Rt: Reactor + ReadIo<AsyncPipeReadHalf<Rt>> + WriteIo<AsyncPipeWriteHalf<Rt>>,
    {
        type Conn<Rt> = (
            AsyncFrameReader<AsyncPipeReadHalf<Rt>, LengthPrefixed, Rt>,
            AsyncFrameWriter<AsyncPipeWriteHalf<Rt>, LengthPrefixed, Rt>,
        );
        let (_dir, name, _) = pipe_name();
        let listener = named::AsyncListener::<Rt>::bind(&name).unwrap();
        let peers = clients(&name, CONNECTIONS);
        let mut conns: Vec<Conn<Rt>> = Vec::with_capacity(CONNECTIONS);
        let base = live();
        for _ in 0..CONNECTIONS {
            let (r, w) = listener.accept().await.unwrap().into_split();
            let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
            assert!(poll_once(r.read_frame_ref()).is_none(), "nothing was sent");
            conns.push((r, AsyncFrameWriter::new(w, LengthPrefixed::u32_le())));
        }
        let per = report(flavour, base, size_of::<Conn<Rt>>());
        assert!(per <= LIMIT, "{flavour}: {per} bytes per idle connection");
        drop((conns, peers, listener));
    }

    /// Resident memory of this process, from /proc (Linux).
    #[cfg(target_os = "linux")]
    fn rss() -> usize {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .expect("VmRSS in /proc/self/status");
        let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * KIB
    }

    /// 10,000 clients (a Python process, so their memory is not ours) connect to one tokio
    /// listener; each connection gets a task with its frame reader waiting for a frame and its
    /// writer. The server's resident memory grows by at most 200 MiB; when the clients leave,
    /// every reader sees the end of its stream.
    #[cfg(target_os = "linux")]
    pub(super) fn ten_thousand_idle_tokio_connections_fit_in_200_mib() {
        use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        use std::sync::Arc;
        use std::time::Duration;

        const N: usize = 10_000;
        let (_dir, name, path) = pipe_name();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let before = rss();
        let (grown, total) = rt.block_on(async {
            let listener = named::tokio::Listener::bind(&name).unwrap();
            let script = "import socket, sys\n\
                socks = []\n\
                for _ in range(int(sys.argv[2])):\n\
                \x20   s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n\
                \x20   s.connect(sys.argv[1])\n\
                \x20   socks.append(s)\n\
                print('ready', flush=True)\n\
                sys.stdin.read()\n";
            let mut client = Command::new("python3")
                .args(["-c", script])
                .arg(&path)
                .arg(N.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 runs the clients");
            let started = Arc::new(AtomicUsize::new(0));
            let mut tasks = tokio::task::JoinSet::new();
            let accept_all = async {
                for _ in 0..N {
                    let (r, w) = listener.accept().await.unwrap().into_split();
                    let started = started.clone();
                    tasks.spawn(async move {
                        let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
                        let _w = AsyncFrameWriter::new(w, LengthPrefixed::u32_le());
                        started.fetch_add(1, Ordering::Relaxed);
                        r.read_frame_ref().await.map(|f| f.is_none())
                    });
                }
            };
            tokio::time::timeout(Duration::from_secs(120), accept_all)
                .await
                .expect("10,000 clients connected within 2 minutes");
            // Every task has run up to its first wait on the socket.
            while started.load(Ordering::Relaxed) < N {
                tokio::task::yield_now().await;
            }
            tokio::task::yield_now().await;
            let now = rss();
            let mut line = String::new();
            BufReader::new(client.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            assert_eq!(line.trim(), "ready");
            drop(client.stdin.take());
            let mut ended = 0;
            while let Some(res) = tasks.join_next().await {
                assert!(
                    res.unwrap().unwrap(),
                    "a reader got a frame from an idle client"
                );
                ended += 1;
            }
            assert_eq!(ended, N);
            assert!(client.wait().unwrap().success());
            (now.saturating_sub(before), now)
        });
        eprintln!(
            "{N} idle tokio named-pipe connections: resident memory grew by {} KiB (to {} KiB), \
             {} bytes a connection",
            grown / KIB,
            total / KIB,
            grown / N
        );
        assert!(grown <= 200 * MIB, "grew by {grown} bytes");
    }
}

/// Runs the tests one after another on this thread, libtest's way: arguments that do not
/// start with `-` select the tests whose names contain one of them (`--exact`: equal it),
/// `--skip NAME` leaves out those containing NAME, `--list` lists them, other options are
/// ignored, a failed test's panic is reported and the exit code is 101.
fn main() {
    #[allow(unused_mut)]
    let mut tests: Vec<(&str, fn())> = vec![
        ("memory_stays_bounded", memory_stays_bounded),
        (
            "read_buffer_returns_to_its_capacity_after_a_large_frame",
            read_buffer_returns_to_its_capacity_after_a_large_frame,
        ),
    ];
    #[cfg(unix)]
    tests.push((
        "idle::an_idle_connection_costs_at_most_16_kib_of_heap",
        idle::an_idle_connection_costs_at_most_16_kib_of_heap,
    ));
    #[cfg(target_os = "linux")]
    tests.push((
        "idle::ten_thousand_idle_tokio_connections_fit_in_200_mib",
        idle::ten_thousand_idle_tokio_connections_fit_in_200_mib,
    ));

    let args: Vec<String> = std::env::args().skip(1).collect();
    // libtest's options that take a value in the next argument; `--skip`'s are names left out.
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--skip" => skips.extend(it.next()),
            "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" => {
                it.next();
            }
            _ if a.starts_with('-') => {}
            _ => filters.push(a),
        }
    }
    let exact = args.iter().any(|a| a == "--exact");
    let total = tests.len();
    let chosen: Vec<_> = tests
        .into_iter()
        .filter(|(name, _)| !skips.iter().any(|k| name.contains(k.as_str())))
        .filter(|(name, _)| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    if exact {
                        *name == f.as_str()
                    } else {
                        name.contains(f.as_str())
                    }
                })
        })
        .collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in &chosen {
            println!("{name}: test");
        }
        return;
    }

    println!("\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for (name, test) in &chosen {
        let ok = std::panic::catch_unwind(test).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        if !ok {
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    let passed = chosen.len() - failed.len();
    let result = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {result}. {passed} passed; {} failed; 0 ignored; 0 measured; {} filtered out\n",
        failed.len(),
        total - chosen.len()
    );
    if !failed.is_empty() {
        std::process::exit(101);
    }
}
