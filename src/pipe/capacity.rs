//! Pipe buffer capacity: how many bytes a writer can put in a pipe before it waits.
//!
//! On Linux a pipe holds 64 KiB unless told otherwise, so a 64 KiB frame plus its header does
//! not fit, and every frame costs the writer an extra wakeup. The pipes pipeframe creates
//! ([`to_child`](super::to_child), [`from_child`](super::from_child) and
//! [`packet_pipe`](crate::message::packet_pipe)) are therefore raised to
//! [`max_capacity`] (the unprivileged maximum, `/proc/sys/fs/pipe-max-size`, 1 MiB by
//! default); [`to_child_with_capacity`] and [`from_child_with_capacity`] choose another size,
//! and [`set_capacity`] raises a pipe pipeframe did not create (an inherited stdin or stdout).
//!
//! The kernel may refuse: once a user's pipes hold more than `/proc/sys/fs/pipe-user-pages-soft`
//! pages (64 MiB by default), raising a pipe fails with `EPERM`. pipeframe then keeps the
//! pipe's capacity and does not fail; [`set_capacity`] returns the capacity the pipe really
//! has, and [`capacity`] reads it at any time. A large capacity costs memory only while data
//! sits in the pipe, but it counts against that per-user limit while the pipe exists.
//!
//! Other Unix systems have no such setting: there pipes keep the system's capacity, and
//! [`capacity`] / [`set_capacity`] return [`io::ErrorKind::Unsupported`].
//!
//! On Windows the buffer size is fixed when a pipe is made (`CreatePipe`'s size, a suggestion
//! the system may round), so only the constructors exist there: the pipes made here ask for
//! [`max_capacity`] (1 MiB) unless [`to_child_with_capacity`] / [`from_child_with_capacity`]
//! ask for another size, and `capacity` / `set_capacity` are absent.

use std::io::{self, PipeReader, PipeWriter};
#[cfg(unix)]
use std::os::fd::AsFd;

use super::ChildEnd;
#[cfg(unix)]
use crate::sys::unix::pipe_size;

/// The largest capacity an unprivileged process may give a pipe: on Linux
/// `/proc/sys/fs/pipe-max-size`, or 1 MiB where that cannot be read (on other systems, and on
/// Windows, where it is the size pipeframe asks for).
pub fn max_capacity() -> usize {
    #[cfg(unix)]
    return pipe_size::max_capacity();
    #[cfg(windows)]
    return 1 << 20;
}

/// The capacity of the pipe `end` belongs to, in bytes (both ends share it).
///
/// # Errors
///
/// `end` is not a pipe, or the system cannot tell ([`io::ErrorKind::Unsupported`] outside
/// Linux).
#[cfg(unix)]
pub fn capacity(end: &impl AsFd) -> io::Result<usize> {
    pipe_size::capacity(end.as_fd())
}

/// Sets the capacity of the pipe `end` belongs to, to `bytes` (at most [`max_capacity`]; the
/// kernel rounds up to a power of two pages), and returns the capacity the pipe has afterwards.
///
/// Linux gives a pipe 64 KiB unless told otherwise, so a 64 KiB frame plus its header does not
/// fit, and every such frame costs the writer an extra wakeup. The pipes pipeframe creates
/// ([`to_child`](super::to_child), [`from_child`](super::from_child),
/// [`packet_pipe`](crate::message::packet_pipe)) are raised to [`max_capacity`] for that
/// reason; this raises a pipe pipeframe did not create, such as an inherited stdin or stdout.
///
/// Where the kernel refuses (once a user's pipes hold more than
/// `/proc/sys/fs/pipe-user-pages-soft` pages, 64 MiB by default, raising fails with `EPERM`;
/// or the pipe holds more data than `bytes`), the pipe keeps its capacity and this returns it,
/// not an error: compare the result with what you asked for to know. A large capacity costs
/// memory only while data sits in the pipe, but it counts against that per-user limit while
/// the pipe exists.
///
/// # Errors
///
/// `end` is not a pipe, or the system has no such setting ([`io::ErrorKind::Unsupported`]
/// outside Linux).
#[cfg(unix)]
pub fn set_capacity(end: &impl AsFd, bytes: usize) -> io::Result<usize> {
    pipe_size::set_capacity(end.as_fd(), bytes)
}

/// An anonymous pipe whose capacity pipeframe tried to raise to `bytes`; a refusal keeps the
/// kernel's default capacity (see [`set_capacity`]).
#[cfg(unix)]
fn new_pipe(bytes: usize) -> io::Result<(PipeReader, PipeWriter)> {
    let (r, w) = io::pipe()?;
    let _ = pipe_size::set_capacity(w.as_fd(), bytes);
    Ok((r, w))
}

/// An anonymous pipe with a buffer of about `bytes` (the system's default for 0), both ends
/// non-inheritable.
#[cfg(windows)]
fn new_pipe(bytes: usize) -> io::Result<(PipeReader, PipeWriter)> {
    let size = u32::try_from(bytes.min(max_capacity())).unwrap_or(u32::MAX);
    let (r, w) = crate::sys::windows::handoff::pipe(size)?;
    Ok((PipeReader::from(r), PipeWriter::from(w)))
}

/// [`to_child`](super::to_child) with a chosen capacity: the pipe is given `bytes` (at most
/// [`max_capacity`]) if the system allows, else it keeps its default. On Linux read what it got
/// with `capacity`.
pub fn to_child_with_capacity(bytes: usize) -> io::Result<(PipeWriter, ChildEnd)> {
    let (r, w) = new_pipe(bytes)?;
    Ok((
        w,
        ChildEnd {
            end: r.into(),
            read: true,
        },
    ))
}

/// [`from_child`](super::from_child) with a chosen capacity (see
/// [`to_child_with_capacity`]).
pub fn from_child_with_capacity(bytes: usize) -> io::Result<(PipeReader, ChildEnd)> {
    let (r, w) = new_pipe(bytes)?;
    Ok((
        r,
        ChildEnd {
            end: w.into(),
            read: false,
        },
    ))
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    #[test]
    fn pipes_to_a_child_are_raised_and_the_choice_is_kept() {
        let (w, end) = super::super::to_child().unwrap();
        let got = capacity(&w).unwrap();
        // The kernel may refuse (the per-user limit): then the default, never less.
        assert!(got == max_capacity() || got == 65536, "capacity {got}");
        drop(end);
        let (r, _end) = from_child_with_capacity(8192).unwrap();
        assert_eq!(capacity(&r).unwrap(), 8192);
        assert_eq!(set_capacity(&r, 4096).unwrap(), 4096);
    }
}
