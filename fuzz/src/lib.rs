//! Support for pipeframe's fuzz targets: the invariant checks (shared with the regression
//! test `tests/fuzz_regressions.rs`), the async engine checks, the writer checks, the
//! differential checks against tokio-util, the model of a Windows message pipe, the framing
//! name and step contract checks, and a counting global allocator for the bounded-memory
//! invariant.

pub mod assembler;
pub mod async_engine;
pub mod differential;
pub mod framing;
pub mod invariants;
pub mod writers;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so it
// upholds `GlobalAlloc`'s contract exactly as `System` does; the counters are plain atomics
// and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; `ptr` came from `System` with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The counting allocator as a [`invariants::MemProbe`]. Fuzzing runs one input at a time
/// on one thread, so the counters see only the code under test.
#[derive(Debug)]
pub struct CountingProbe {
    base: AtomicUsize,
}

impl CountingProbe {
    /// A probe (one per target is enough).
    pub const fn new() -> Self {
        CountingProbe {
            base: AtomicUsize::new(0),
        }
    }
}

impl Default for CountingProbe {
    fn default() -> Self {
        Self::new()
    }
}

impl invariants::MemProbe for CountingProbe {
    fn start(&self) {
        let now = LIVE.load(Relaxed);
        self.base.store(now, Relaxed);
        PEAK.store(now, Relaxed);
    }

    fn peak(&self) -> Option<usize> {
        Some(PEAK.load(Relaxed).saturating_sub(self.base.load(Relaxed)))
    }
}

/// The probe the fuzz targets use.
pub static PROBE: CountingProbe = CountingProbe::new();
