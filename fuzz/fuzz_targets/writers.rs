#![no_main]
//! Fuzz target `writers`: the blocking and both async frame writers over a scripted writer;
//! see `src/writers.rs` (and fuzz/README.md) for its input layout and invariants.
use libfuzzer_sys::fuzz_target;
use pipeframe_fuzz::{PROBE, writers};

fuzz_target!(|data: &[u8]| writers::check_writers(data, &PROBE));
