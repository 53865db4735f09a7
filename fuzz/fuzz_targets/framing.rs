#![no_main]
//! Fuzz target `framing`: framing names, every encoding path, `reset`, `Parts` and the step
//! contract; see fuzz/src/framing.rs for its input layout and invariants.
use libfuzzer_sys::fuzz_target;
use pipeframe_fuzz::framing;

fuzz_target!(|data: &[u8]| framing::check_framing(data));
