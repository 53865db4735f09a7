//! Named pipe clients: `CreateFileW` with a deadline.
//!
//! * Opened with `SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION`: the server can learn who
//!   the client is but cannot act as it.
//! * `ERROR_PIPE_BUSY` (every instance taken) waits with `WaitNamedPipeW`;
//!   `ERROR_FILE_NOT_FOUND` (no server yet) retries every few milliseconds; both until the
//!   deadline, then [`io::ErrorKind::TimedOut`] naming the pipe. A client started before its
//!   server therefore connects once the server is up.
//! * Message read mode is set with `SetNamedPipeHandleState` when asked.
//! * `current_user_only` checks the pipe's owner before anything is sent.

use std::io;
use std::os::windows::io::OwnedHandle;
use std::ptr;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    ERROR_FILE_NOT_FOUND, ERROR_INVALID_PARAMETER, ERROR_PIPE_BUSY, GENERIC_READ, GENERIC_WRITE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_OVERLAPPED, FILE_WRITE_ATTRIBUTES, OPEN_EXISTING, READ_CONTROL,
    SECURITY_IDENTIFICATION, SECURITY_SQOS_PRESENT,
};
use windows_sys::Win32::System::Pipes::{
    PIPE_READMODE_MESSAGE, SetNamedPipeHandleState, WaitNamedPipeW,
};

use super::pipe::PipeHandle;
use super::{code, owned, raw, wide, with_context};

/// How a client opens the pipe.
#[derive(Debug, Clone)]
pub(crate) struct ClientOptions {
    pub(crate) read: bool,
    pub(crate) write: bool,
    /// Switch the handle to `PIPE_READMODE_MESSAGE` (the server must be in message mode).
    pub(crate) message: bool,
    /// `FILE_FLAG_OVERLAPPED` (for [`super::overlapped`]).
    pub(crate) overlapped: bool,
    /// Refuse a pipe not owned by the current user (see [`super::security::check_owner`]).
    pub(crate) current_user_only: bool,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            read: true,
            write: true,
            message: false,
            overlapped: false,
            current_user_only: false,
        }
    }
}

/// What one open attempt found.
#[derive(Debug)]
pub(crate) enum Open {
    Pipe(PipeHandle),
    /// Every instance is taken (`ERROR_PIPE_BUSY`).
    Busy,
    /// No such pipe (yet) (`ERROR_FILE_NOT_FOUND`).
    NotFound,
}

/// One attempt to open `path` (no waiting). An async client retries this on its own timer.
pub(crate) fn try_open(path: &str, opts: &ClientOptions) -> io::Result<Open> {
    let mut access = 0;
    if opts.read {
        access |= GENERIC_READ;
    }
    if opts.write {
        access |= GENERIC_WRITE;
    }
    if opts.message {
        // SetNamedPipeHandleState needs it (GENERIC_WRITE has it, a read-only client not).
        access |= FILE_WRITE_ATTRIBUTES;
    }
    if opts.current_user_only {
        // GetSecurityInfo(owner) needs it (GENERIC_READ has it, a write-only client not).
        access |= READ_CONTROL;
    }
    let mut flags = SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION;
    if opts.overlapped {
        flags |= FILE_FLAG_OVERLAPPED;
    }
    let name = wide(path);
    // SAFETY: `name` is NUL-terminated; no security attributes, no template; the result is a
    // new handle or INVALID_HANDLE_VALUE.
    let h = unsafe {
        CreateFileW(
            name.as_ptr(),
            access,
            0,
            ptr::null(),
            OPEN_EXISTING,
            flags,
            ptr::null_mut(),
        )
    };
    // SAFETY: a handle CreateFileW just returned is ours alone.
    let Some(h) = (unsafe { owned(h) }) else {
        let e = io::Error::last_os_error();
        return match code(&e) {
            Some(ERROR_PIPE_BUSY) => Ok(Open::Busy),
            Some(ERROR_FILE_NOT_FOUND) => Ok(Open::NotFound),
            _ => Err(with_context(e, format!("connecting to {path}"))),
        };
    };
    if opts.current_user_only {
        super::security::check_owner(&h, path)?;
    }
    if opts.message {
        set_message_read_mode(&h, path)?;
    }
    Ok(Open::Pipe(PipeHandle::new(h, opts.overlapped, path)))
}

/// Switches a client handle to message read mode. A server that made the pipe in byte mode
/// refuses (`ERROR_INVALID_PARAMETER`): that is [`io::ErrorKind::InvalidInput`] saying so.
pub(crate) fn set_message_read_mode(h: &OwnedHandle, path: &str) -> io::Result<()> {
    let mode = PIPE_READMODE_MESSAGE;
    // SAFETY: `h` is an open pipe handle; `mode` is alive for the call; the other two
    // settings are left alone (null).
    if unsafe { SetNamedPipeHandleState(raw(h), &mode, ptr::null(), ptr::null()) } == 0 {
        let e = io::Error::last_os_error();
        if code(&e) == Some(ERROR_INVALID_PARAMETER) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{path}: the server made the pipe in byte mode, so it cannot be read in \
                     message mode ({e})"
                ),
            ));
        }
        return Err(with_context(
            e,
            format!("{path}: setting message read mode"),
        ));
    }
    Ok(())
}

/// The error of a client that waited `waited` for `path` and last found `found` (busy, or no
/// pipe): [`io::ErrorKind::TimedOut`], naming the pipe, the time waited and why.
pub(crate) fn timed_out(path: &str, waited: Duration, found: &Open) -> io::Error {
    let why = match found {
        Open::Busy => "every instance was busy",
        _ => "no server was listening",
    };
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "timed out after {} waiting for {path}: {why}",
            crate::error::seconds(waited)
        ),
    )
}

/// The longest single `WaitNamedPipeW` while every instance is busy.
const BUSY_WAIT: Duration = Duration::from_millis(50);

/// Connects to `\\.\pipe\NAME` (or a full pipe path), retrying until `timeout` has passed.
pub(crate) fn connect(
    name: &str,
    opts: &ClientOptions,
    timeout: Duration,
) -> io::Result<PipeHandle> {
    let path = super::name::pipe_path(name)?;
    let start = Instant::now();
    let deadline = start.checked_add(timeout);
    let wpath = wide(&path);
    loop {
        let busy = match try_open(&path, opts)? {
            Open::Pipe(p) => return Ok(p),
            Open::Busy => true,
            Open::NotFound => false,
        };
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        };
        if left.is_zero() {
            let found = if busy { Open::Busy } else { Open::NotFound };
            return Err(timed_out(&path, timeout, &found));
        }
        if busy {
            // At most BUSY_WAIT at a time, then the open is tried again: a wakeup the system
            // misses (an instance made free just before the wait starts; Wine 8 was seen to
            // leave a waiting client asleep while a fresh instance listened) costs one slice,
            // not the whole timeout.
            let ms = left.min(BUSY_WAIT).as_millis().max(1) as u32;
            // SAFETY: `wpath` is NUL-terminated. A failure (timeout, or the pipe vanished)
            // just means trying the open again.
            unsafe { WaitNamedPipeW(wpath.as_ptr(), ms) };
        } else {
            std::thread::sleep(left.min(Duration::from_millis(5)));
        }
    }
}
