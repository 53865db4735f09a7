//! Every system call the crate makes, one submodule per OS family: `unix` (rustix) and, beside
//! it, `windows` (windows-sys). Nothing outside this module names rustix or windows-sys, and
//! nothing outside it may use `unsafe`: the crate root denies `unsafe_code`, and the OS module
//! is the one place that allows it (each block with a `// SAFETY:` comment, enforced by
//! `clippy::undocumented_unsafe_blocks`). `.ci/run` checks that no other file allows it.
//!
//! The portable modules ([`crate::pipe`], [`crate::named`], [`crate::fifo`],
//! [`crate::message`]) call into these and hold no OS code of their own.

#[cfg(unix)]
#[allow(unsafe_code)]
pub(crate) mod unix;
#[cfg(windows)]
pub(crate) mod windows;

/// Whether `e` says the process or system ran out of descriptors or memory (an accept loop
/// pauses then, rather than giving up or spinning).
pub(crate) fn out_of_resources(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    return unix::out_of_resources(e);
    #[cfg(windows)]
    return windows::out_of_resources(e);
    #[cfg(not(any(unix, windows)))]
    return false;
}
