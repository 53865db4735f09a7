#![no_main]
//! Fuzz target `assembler`: the Windows message reassembly rules (`MessageReader`) against a
//! model of a message-mode pipe; see `src/assembler.rs` (and fuzz/README.md) for its input
//! layout and invariants.
use libfuzzer_sys::fuzz_target;
use pipeframe_fuzz::{PROBE, assembler};

fuzz_target!(|data: &[u8]| assembler::check_assembler(data, &PROBE));
