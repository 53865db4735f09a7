//! Memory stays bounded by bytes received, never by lengths promised: measured with a
//! counting global allocator over 1 GiB streams generated on the fly.
//!
//! Everything runs in one `#[test]`, one measurement after the other, so no other test in
//! this binary allocates while a peak is recorded.
// The one exception to the crate's no-unsafe rule: a test-only allocator wrapper.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, ErrorKind, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

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

#[test]
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
