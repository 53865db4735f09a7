#![no_main]
//! Fuzz target `length_prefixed`: see fuzz/README.md for its input layout and invariants.
use libfuzzer_sys::fuzz_target;
use pipeframe_fuzz::{PROBE, invariants};

fuzz_target!(|data: &[u8]| invariants::check_length_prefixed(data, &PROBE));
