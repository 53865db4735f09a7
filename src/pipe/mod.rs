//! Anonymous pipes handed to a child process, as .NET's `AnonymousPipeServerStream` does, with
//! the parent's copy of the child's end closed for you.
//!
//! # Parent
//!
//! [`to_child`] (parent writes, child reads) and [`from_child`] (child writes, parent reads)
//! make a pipe and return the parent's end (a [`PipeWriter`] or [`PipeReader`]) and a
//! [`ChildEnd`]. Pass [`ChildEnd::handle_string`] to the child as an argument or environment
//! variable (on Unix it is the decimal descriptor number, like .NET's
//! `GetClientHandleAsString()`), then spawn with [`ChildEnd::spawn`] or [`spawn`].
//! Spawning consumes the ends: the parent's copies are closed as soon as the child exists, so
//! the deadlock the .NET articles warn about (forgetting `DisposeLocalCopyOfClientHandle`,
//! then waiting forever for an end of stream that the parent's own copy holds back) cannot
//! happen. A duplex channel is two pipes, one each way.
//!
//! How the child inherits the end: every descriptor is made close-on-exec; right before
//! `spawn` the child's ends have that flag cleared, and right after they are closed in the
//! parent. Our spawns hold one process-wide lock for that moment, so they never leak ends into
//! each other. A child started at that same moment by code that does not take the lock
//! (another thread calling `Command::spawn` directly) can inherit the end too, and then the
//! pipe only ends when that child exits too; code that spawns children from several threads
//! can take [`spawn_lock`] around its own spawns to rule it out.
//!
//! # Child
//!
//! [`ClientHandle::parse`] (from an argument) or [`ClientHandle::from_env`], then
//! [`frame_reader`](ClientHandle::frame_reader) / [`frame_writer`](ClientHandle::frame_writer)
//! (or [`open_reader`](ClientHandle::open_reader) / [`open_writer`](ClientHandle::open_writer)
//! for the raw pipe). A handle that is not a number, not open, not a pipe, or the wrong end is
//! a clear error naming the handle (`pipe handle 5 is the write end of a pipe; expected a read
//! end`); the wrong end is a typed [`WrongEnd`], so a child that takes either end can try the
//! other.
//!
//! On Unix the child *adopts* the inherited descriptor: it takes ownership of descriptor `N` itself,
//! after checking that `N` is open, is a pipe of the wanted direction (or a socket, for
//! `open_socket`, Unix), was inherited (not close-on-exec: every
//! descriptor a Rust program opens through std is close-on-exec, so one without the flag
//! came from the parent), and was not adopted before in this process. What that means:
//!
//! * The child holds the only copy of its end. When it drops the reader or writer, the end is
//!   closed: the parent sees end of stream **at once**, while the child goes on running.
//! * A handle is opened **once** per process. A second `open_*` of the same number is an
//!   [`io::ErrorKind::AlreadyExists`] error naming it (after the first one is closed, the
//!   number may name some other file).
//! * A number this process opened itself is refused: adopting it would give one descriptor
//!   two owners.
//! * The adopted descriptor is made blocking and close-on-exec, so the child's own children
//!   do not inherit it.
//!
//! # Windows
//!
//! The same functions, with handles: [`to_child`] / [`from_child`] make the pipe with
//! `CreatePipe`, both ends non-inheritable; the child's end is made inheritable only while
//! [`spawn`] runs `CreateProcess` (under the same spawn lock), and the parent's copy is closed
//! right after. [`ChildEnd::handle_string`] is the handle's value in decimal, as .NET's
//! `AnonymousPipeServerStream.GetClientHandleAsString()` writes it, and [`ClientHandle::parse`]
//! accepts what `AnonymousPipeClientStream(direction, string)` accepts, so either side may be a
//! .NET program. The child adopts the handle like on Unix: checked open
//! (`GetHandleInformation`), a pipe (`GetFileType`), the wanted end (its granted access),
//! inherited (an inherited handle keeps its inherit flag, while every handle std makes has
//! none, so this process's own handles are refused), taken at most once per process, and made
//! non-inheritable again; the errors name the handle and use
//! the same [`io::ErrorKind`]s. `ClientHandle::open_socket` and the `SIGPIPE` notes below are
//! Unix-only.
//!
//! # A reader that is gone (`SIGPIPE`, Unix)
//!
//! Writing to a pipe whose reading end is closed (the child exited, or dropped its reader)
//! makes the kernel raise `SIGPIPE` at the writer, then fail the write with `EPIPE`. Pipes
//! have no way to suppress the signal per write (no `MSG_NOSIGNAL`, no `SO_NOSIGPIPE`), so
//! what happens depends on the process's disposition of `SIGPIPE`:
//!
//! * Rust programs start with it ignored: the write fails with
//!   [`io::ErrorKind::BrokenPipe`], in every flavour (blocking, tokio, smol).
//! * A process that has it at its default disposition (a C host embedding Rust, a binary
//!   built with `-Zon-broken-pipe=kill`, a child whose parent reset it) is killed by the
//!   signal on that write. Such a program should ignore `SIGPIPE` itself, or use a socket:
//!   pipeframe's sockets ([`named`](crate::named) pipes' streams, seqpacket message pipes)
//!   send with `MSG_NOSIGNAL` and never raise it. A socket handed down
//!   (`ClientHandle::open_socket`) is a std `UnixStream`, whose vectored writes do raise
//!   it: wrap it in `named::PipeStream::from_std`.
//!
//! Both are tested (`tests/fault_matrix.rs`: `fault_sigpipe_kills_a_sig_dfl_process_on_pipes`).
//!
//! # Example
//!
//! ```no_run
//! use pipeframe::codec::Delimited;
//! use pipeframe::pipe::{self, ClientHandle};
//! use pipeframe::sync::{FrameReader, FrameWriter};
//! use std::process::Command;
//!
//! // Parent.
//! let (tx, child_end) = pipe::to_child()?;
//! let mut cmd = Command::new("./child");
//! cmd.arg(child_end.handle_string());
//! let mut child = child_end.spawn(&mut cmd)?; // the parent's copy is closed here
//! let mut w = FrameWriter::new(tx, Delimited::lines());
//! w.write_frame(b"hello")?;
//! w.finish()?; // then dropped: the child reads end of stream
//! child.wait()?;
//!
//! // Child (`./child 5`).
//! let arg = std::env::args().nth(1).unwrap_or_default();
//! let mut r = ClientHandle::parse(&arg)?.frame_reader(Delimited::lines())?;
//! while let Some(line) = r.read_frame()? {
//!     println!("the server says: {}", String::from_utf8_lossy(&line));
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Capacity
//!
//! The pipes made here are raised to [`max_capacity`] (1 MiB by default on Linux, against the
//! kernel's 64 KiB), so a 64 KiB frame and its header fit; `set_capacity` (Unix) does the same
//! for a pipe made elsewhere, and says what the kernel granted. On Windows the pipes made here
//! ask `CreatePipe` for a buffer of [`max_capacity`] (1 MiB).
//!
//! The parent's ends are std's [`PipeReader`] / [`PipeWriter`]; on Unix, on tokio turn them into
//! `tokio::net::unix::pipe::{Receiver, Sender}` with `from_owned_fd(end.into())`, on smol wrap
//! them in `async_io::Async::new(end)`.

use std::fmt;
use std::io::{self, PipeReader, PipeWriter};
use std::process::{Child, Command};

use crate::codec::{FrameDecoder, FrameEncoder};
use crate::sync::{FrameReader, FrameWriter};
#[cfg(unix)]
use crate::sys::unix::handoff::{self as os, End, Expect};
#[cfg(windows)]
use crate::sys::windows::handoff as os;

mod capacity;
pub use crate::error::{PipeEnd, WrongEnd};
#[cfg(unix)]
pub use capacity::{capacity, set_capacity};
pub use capacity::{from_child_with_capacity, max_capacity, to_child_with_capacity};

/// What the OS calls the child's end: a descriptor on Unix, a handle on Windows.
#[cfg(unix)]
type OsEnd = std::os::fd::OwnedFd;
#[cfg(windows)]
type OsEnd = std::os::windows::io::OwnedHandle;

/// The number a handle string carries: a descriptor on Unix, a handle value on Windows.
#[cfg(unix)]
type HandleValue = i32;
#[cfg(windows)]
type HandleValue = isize;

/// The child's end of an anonymous pipe, held by the parent until the child is spawned.
///
/// Dropping it without spawning closes it (the parent's end then sees end of stream or a
/// broken pipe).
#[derive(Debug)]
pub struct ChildEnd {
    end: OsEnd,
    read: bool,
}

/// A pipe whose write end stays with the parent; the child reads. Its capacity is raised to
/// [`max_capacity`] where the kernel allows ([`to_child_with_capacity`] chooses it).
pub fn to_child() -> io::Result<(PipeWriter, ChildEnd)> {
    to_child_with_capacity(max_capacity())
}

/// A pipe whose read end stays with the parent; the child writes. Its capacity is raised to
/// [`max_capacity`] where the kernel allows ([`from_child_with_capacity`] chooses it).
pub fn from_child() -> io::Result<(PipeReader, ChildEnd)> {
    from_child_with_capacity(max_capacity())
}

impl ChildEnd {
    /// The handle as a string for the child, what .NET's `GetClientHandleAsString()` returns:
    /// on Unix the decimal descriptor number the child inherits, on Windows the handle's value
    /// in decimal (inherited handles keep their value in the child).
    pub fn handle_string(&self) -> String {
        #[cfg(unix)]
        return os::fd_number(&self.end).to_string();
        #[cfg(windows)]
        return os::handle_string(&self.end);
    }

    /// Whether the child reads from this end (`false`: it writes).
    pub fn is_read_end(&self) -> bool {
        self.read
    }

    /// Spawns `cmd` with this end inherited, then closes the parent's copy (also when the
    /// spawn fails). See [`spawn`] to hand over several ends.
    pub fn spawn(self, cmd: &mut Command) -> io::Result<Child> {
        spawn(cmd, [self])
    }
}

impl fmt::Display for ChildEnd {
    /// The [`handle_string`](Self::handle_string).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.handle_string())
    }
}

/// Spawns `cmd` with every end in `ends` inherited under the number its
/// [`handle_string`](ChildEnd::handle_string) gave, then closes the parent's copies (also when
/// the spawn fails).
pub fn spawn(cmd: &mut Command, ends: impl IntoIterator<Item = ChildEnd>) -> io::Result<Child> {
    let ends = ends.into_iter().map(|e| e.end).collect();
    os::spawn_inheriting(cmd, ends)
}

/// Holds the lock our spawns take while a child's end is inheritable; see the
/// [module docs](self). Hold it around your own `Command::spawn` calls (in threads that run
/// while pipes are handed to children) so those children never inherit another child's end.
#[must_use = "the lock is released when the guard is dropped"]
pub struct SpawnLock {
    _guard: std::sync::MutexGuard<'static, ()>,
}

impl fmt::Debug for SpawnLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpawnLock")
    }
}

/// Takes the spawn lock (see [`SpawnLock`]).
pub fn spawn_lock() -> SpawnLock {
    SpawnLock {
        _guard: os::spawn_lock(),
    }
}

/// The child's side: a pipe handle received as a string (an argument or an environment
/// variable), like .NET's `AnonymousPipeClientStream(direction, handle)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHandle {
    value: HandleValue,
}

impl ClientHandle {
    /// Parses a handle string: a decimal descriptor number on Unix; on Windows a decimal handle
    /// value, with what .NET's `AnonymousPipeClientStream(direction, string)` also accepts
    /// (whitespace around it, a sign). Anything else is an [`io::ErrorKind::InvalidInput`]
    /// error quoting it.
    pub fn parse(s: &str) -> io::Result<ClientHandle> {
        #[cfg(unix)]
        let value = os::parse_handle(s)?;
        #[cfg(windows)]
        let value = os::parse_handle_str(s)?;
        Ok(ClientHandle { value })
    }

    /// Reads the handle string from environment variable `var`.
    pub fn from_env(var: &str) -> io::Result<ClientHandle> {
        match std::env::var(var) {
            Ok(s) => Self::parse(&s)
                .map_err(|e| io::Error::new(e.kind(), format!("environment variable {var}: {e}"))),
            Err(std::env::VarError::NotPresent) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("environment variable {var} is not set (no pipe handle was passed)"),
            )),
            Err(std::env::VarError::NotUnicode(v)) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("environment variable {var} is not a pipe handle: {v:?}"),
            )),
        }
    }

    /// Takes over the read end this handle names (see [Child](self#child)). Fails if the
    /// handle is not open ([`io::ErrorKind::NotFound`]), not a pipe or a write end
    /// ([`io::ErrorKind::InvalidInput`]; a write end is a [`WrongEnd`]), not inherited, or
    /// opened before ([`io::ErrorKind::AlreadyExists`]).
    pub fn open_reader(&self) -> io::Result<PipeReader> {
        #[cfg(unix)]
        let end = os::adopt_inherited(self.value, Expect::Pipe(End::Read));
        #[cfg(windows)]
        let end = os::adopt_handle(self.value, true);
        end.map(PipeReader::from)
    }

    /// Takes over the write end this handle names (see [Child](self#child)). Fails like
    /// [`open_reader`](Self::open_reader), and on Unix if the reading side is already closed
    /// ([`io::ErrorKind::BrokenPipe`]; Windows says so at the first write).
    pub fn open_writer(&self) -> io::Result<PipeWriter> {
        #[cfg(unix)]
        let end = os::adopt_inherited(self.value, Expect::Pipe(End::Write));
        #[cfg(windows)]
        let end = os::adopt_handle(self.value, false);
        end.map(PipeWriter::from)
    }

    /// Takes over the Unix stream socket this handle names (a duplex channel a parent made
    /// with a socket pair). Fails like [`open_reader`](Self::open_reader), with
    /// [`io::ErrorKind::InvalidInput`] if the handle is not a socket.
    #[cfg(unix)]
    pub fn open_socket(&self) -> io::Result<std::os::unix::net::UnixStream> {
        os::adopt_inherited(self.value, Expect::Socket).map(std::os::unix::net::UnixStream::from)
    }

    /// A framed reader over the read end (see [`open_reader`](Self::open_reader)).
    pub fn frame_reader<D: FrameDecoder>(
        &self,
        decoder: D,
    ) -> io::Result<FrameReader<PipeReader, D>> {
        Ok(FrameReader::new(self.open_reader()?, decoder))
    }

    /// A framed writer over the write end (see [`open_writer`](Self::open_writer)).
    pub fn frame_writer<E: FrameEncoder>(
        &self,
        encoder: E,
    ) -> io::Result<FrameWriter<PipeWriter, E>> {
        Ok(FrameWriter::new(self.open_writer()?, encoder))
    }
}

impl fmt::Display for ClientHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}
