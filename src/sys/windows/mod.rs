//! Windows implementations: named pipe servers and clients (`\\.\pipe\NAME`, byte and message
//! mode), access control, anonymous pipes handed to a child, and an overlapped I/O core that
//! serves every async runtime with one implementation.
//!
//! This is the one Windows module allowed `unsafe`: every Win32 call goes through windows-sys
//! here, and every `unsafe` block says in a `// SAFETY:` comment why it holds. Everything
//! outside gets safe `pub(crate)` wrappers that own their handles ([`OwnedHandle`]).
//!
//! * [`name`]: `NAME` -> `\\.\pipe\NAME`.
//! * [`security`]: the current user's SIDs, security descriptors (current user only, or SDDL),
//!   the owner check behind `current_user_only`.
//! * [`pipe`]: [`pipe::PipeHandle`], a connected pipe end: byte reads and writes, whole-message
//!   reads and writes, peer process ids.
//! * [`server`]: [`server::Server`], which always keeps one instance waiting.
//! * [`client`]: [`client::connect`] with a deadline.
//! * [`handoff`]: anonymous pipes for a child, the spawn lock, adopting an inherited handle.
//! * [`overlapped`]: [`overlapped::AsyncPipe`], runtime-independent async reads, writes and
//!   connects on an overlapped handle (an event per operation, waited on by the system thread
//!   pool, whose callback wakes the task).
//!
//! # Under Wine
//!
//! The unit tests here check what the layers above rely on from the system; the behaviour of
//! the public types is tested through them in `tests/windows_*.rs` and `tests/named.rs`, all
//! run under Wine 8 (`.ci/windows.sh`).
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub(crate) mod client;
pub(crate) mod handoff;
pub(crate) mod name;
// The async halves of these (the reactor's operations, async servers and pipes, the pair) are
// used by the tokio and futures-io flavours only; without either, they are compiled unused.
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) mod overlapped;
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) mod pipe;
pub(crate) mod security;
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) mod server;

use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle, RawHandle};

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};

/// The calling thread's last OS error with `what` prefixed to the OS message; the kind and
/// `raw_os_error` stay those of the OS error.
pub(crate) fn last_error(what: impl std::fmt::Display) -> io::Error {
    with_context(io::Error::last_os_error(), what)
}

/// `e` with `what` prefixed to its message, keeping its kind (the raw OS code is lost, so
/// callers match on codes before calling this).
pub(crate) fn with_context(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// The Win32 error code of `e`, if it carries one.
pub(crate) fn code(e: &io::Error) -> Option<u32> {
    e.raw_os_error().map(|c| c as u32)
}

/// `s` as a NUL-terminated UTF-16 string for the `W` functions.
pub(crate) fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Takes ownership of a handle a Win32 call just created; `None` for a null or
/// `INVALID_HANDLE_VALUE` result.
///
/// # Safety
///
/// `h` must be a handle this process owns and that nothing else will close.
unsafe fn owned(h: HANDLE) -> Option<OwnedHandle> {
    if h.is_null() || h == INVALID_HANDLE_VALUE {
        None
    } else {
        // SAFETY: the caller guarantees `h` is open, owned by us and closed by nobody else.
        Some(unsafe { OwnedHandle::from_raw_handle(h as RawHandle) })
    }
}

/// The raw handle of `h` for a Win32 call (which must not close it).
fn raw(h: &OwnedHandle) -> HANDLE {
    use std::os::windows::io::AsRawHandle;
    h.as_raw_handle() as HANDLE
}

/// Whether `e` is `ERROR_TOO_MANY_OPEN_FILES`, `ERROR_NOT_ENOUGH_MEMORY`, `ERROR_OUTOFMEMORY`
/// or `ERROR_NO_SYSTEM_RESOURCES`.
pub(crate) fn out_of_resources(e: &io::Error) -> bool {
    use windows_sys::Win32::Foundation::{
        ERROR_NO_SYSTEM_RESOURCES, ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY,
        ERROR_TOO_MANY_OPEN_FILES,
    };
    matches!(
        code(e),
        Some(
            ERROR_TOO_MANY_OPEN_FILES
                | ERROR_NOT_ENOUGH_MEMORY
                | ERROR_OUTOFMEMORY
                | ERROR_NO_SYSTEM_RESOURCES
        )
    )
}
