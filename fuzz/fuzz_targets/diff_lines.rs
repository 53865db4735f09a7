#![no_main]
//! Fuzz target `diff_lines`: see fuzz/README.md and fuzz/DIFFERENCES.md.
use libfuzzer_sys::fuzz_target;
use pipeframe_fuzz::differential;

fuzz_target!(|data: &[u8]| differential::check_diff_lines(data));
