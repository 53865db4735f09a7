#![no_main]
//! Fuzz target `sync_reader`: see fuzz/README.md for its input layout and invariants.
use libfuzzer_sys::fuzz_target;
use pipeframe_fuzz::{PROBE, invariants};

fuzz_target!(|data: &[u8]| invariants::check_sync_reader(data, &PROBE));
