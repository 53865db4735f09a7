//! Waiting for a state that nothing announces (a kernel buffer drained, a count reached): the
//! condition is checked until it holds, and the limit is only the bound for failing. Included
//! with `#[path = "support/wait.rs"] mod wait;`.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

/// Checks `done` until it returns `true`; panics naming `what` if that takes longer than
/// `limit`. Between checks it gives the CPU away for a millisecond, so a loaded machine runs
/// the threads that make the condition true.
pub fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "{what}: not reached within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
