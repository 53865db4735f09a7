#![no_main]
//! Fuzz target `futures_reader`: see fuzz/README.md for its input layout and invariants.
use libfuzzer_sys::fuzz_target;
use pipeframe_fuzz::{PROBE, async_engine};

fuzz_target!(|data: &[u8]| async_engine::check_futures_reader(data, &PROBE));
