//! A connected pipe end (named pipe server or client instance, or an anonymous pipe end):
//! byte reads and writes, whole-message reads and writes, peer process ids.
//!
//! Blocking calls work on both kinds of handle: on one opened with `FILE_FLAG_OVERLAPPED`
//! each call brings its own event and waits for its own completion.

use std::io;
use std::os::windows::io::OwnedHandle;
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_PIPE_NOT_CONNECTED, FALSE, TRUE,
};
use windows_sys::Win32::Storage::FileSystem::{FlushFileBuffers, ReadFile, WriteFile};
use windows_sys::Win32::System::IO::{GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::Pipes::{
    GetNamedPipeClientProcessId, GetNamedPipeServerProcessId, PeekNamedPipe,
};
use windows_sys::Win32::System::Threading::CreateEventW;

use super::{code, last_error, owned, raw};

/// How much a byte-mode read asks for at most.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// The outcome of one `ReadFile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// `n` bytes; in message read mode, the end of the message.
    Done(usize),
    /// `n` bytes (the whole buffer) and the message goes on (`ERROR_MORE_DATA`).
    More(usize),
    /// The other end closed (`ERROR_BROKEN_PIPE`), or the server disconnected this client
    /// (`ERROR_PIPE_NOT_CONNECTED`); .NET reads both as end of stream too.
    Eof,
}

/// Whether a read error means end of stream: the other end closed (`ERROR_BROKEN_PIPE`) or the
/// server disconnected us (`ERROR_PIPE_NOT_CONNECTED`).
pub(crate) fn is_eof(e: &io::Error) -> bool {
    matches!(code(e), Some(ERROR_BROKEN_PIPE | ERROR_PIPE_NOT_CONNECTED))
}

/// A connected pipe end. Reads and writes take `&self`, so one thread can read while another
/// writes.
#[derive(Debug)]
pub(crate) struct PipeHandle {
    h: OwnedHandle,
    overlapped: bool,
    /// What errors call it, e.g. `\\.\pipe\svc`.
    label: String,
}

impl PipeHandle {
    /// Wraps `h`. `overlapped` says whether it was opened with `FILE_FLAG_OVERLAPPED`.
    pub(crate) fn new(h: OwnedHandle, overlapped: bool, label: impl Into<String>) -> PipeHandle {
        PipeHandle {
            h,
            overlapped,
            label: label.into(),
        }
    }

    /// The handle.
    pub(crate) fn handle(&self) -> &OwnedHandle {
        &self.h
    }

    /// The handle, given up.
    pub(crate) fn into_handle(self) -> OwnedHandle {
        self.h
    }

    /// Whether the handle is overlapped.
    pub(crate) fn is_overlapped(&self) -> bool {
        self.overlapped
    }

    /// What errors call this pipe.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// Runs one I/O call to completion: directly on a synchronous handle, with an event and
    /// `GetOverlappedResult(wait)` on an overlapped one. Returns the bytes transferred and
    /// whether the call reported `ERROR_MORE_DATA`.
    fn complete(
        &self,
        call: impl FnOnce(*mut OVERLAPPED, *mut u32) -> i32,
    ) -> io::Result<(usize, bool)> {
        let mut n = 0u32;
        if !self.overlapped {
            if call(ptr::null_mut(), &mut n) != 0 {
                return Ok((n as usize, false));
            }
            let e = io::Error::last_os_error();
            return match code(&e) {
                Some(ERROR_MORE_DATA) => Ok((n as usize, true)),
                _ => Err(e),
            };
        }
        let ev = new_event()?;
        let mut ov = OVERLAPPED {
            hEvent: raw(&ev),
            ..Default::default()
        };
        if call(&mut ov, &mut n) == 0 {
            let e = io::Error::last_os_error();
            match code(&e) {
                Some(ERROR_IO_PENDING) | Some(ERROR_MORE_DATA) => {}
                _ => return Err(e),
            }
        }
        // SAFETY: `ov` is the OVERLAPPED of the operation just started on this handle; it and
        // its event stay alive until this call returns, which (bWait) is after completion.
        let ok = unsafe { GetOverlappedResult(raw(&self.h), &ov, &mut n, TRUE) };
        if ok != 0 {
            return Ok((n as usize, false));
        }
        let e = io::Error::last_os_error();
        match code(&e) {
            Some(ERROR_MORE_DATA) => Ok((n as usize, true)),
            _ => Err(e),
        }
    }

    /// One `ReadFile` into `buf`.
    pub(crate) fn read_once(&self, buf: &mut [u8]) -> io::Result<Read> {
        let len = buf.len().min(u32::MAX as usize) as u32;
        let p = buf.as_mut_ptr();
        let h = raw(&self.h);
        // SAFETY: `p` is writable for `len` bytes for the whole call (`complete` waits for
        // the operation to finish before returning); `ov`/`n` come from `complete`.
        let r = self.complete(|ov, n| unsafe { ReadFile(h, p, len, n, ov) });
        match r {
            Ok((n, false)) => Ok(Read::Done(n)),
            Ok((n, true)) => Ok(Read::More(n)),
            Err(e) if is_eof(&e) => Ok(Read::Eof),
            Err(e) => Err(e),
        }
    }

    /// Reads bytes (byte mode). `Ok(0)` is end of stream. On a message pipe a message longer
    /// than `buf` comes in several reads.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self.read_once(buf)? {
            Read::Done(n) | Read::More(n) => Ok(n),
            Read::Eof => Ok(0),
        }
    }

    /// Writes some bytes (byte mode).
    pub(crate) fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len().min(u32::MAX as usize) as u32;
        let p = buf.as_ptr();
        let h = raw(&self.h);
        // SAFETY: `p` is readable for `len` bytes for the whole call (`complete` waits).
        let (n, _) = self.complete(|ov, n| unsafe { WriteFile(h, p, len, n, ov) })?;
        Ok(n)
    }

    /// Writes `msg` as one message: one `WriteFile` of the whole of it. A message pipe never
    /// splits it. Over 4 GiB - 1 is [`io::ErrorKind::InvalidInput`].
    pub(crate) fn write_message(&self, msg: &[u8]) -> io::Result<()> {
        let len = u32::try_from(msg.len()).map_err(|_| too_long(msg.len()))?;
        let p = msg.as_ptr();
        let h = raw(&self.h);
        // SAFETY: `p` is readable for `len` bytes for the whole call (`complete` waits).
        let (n, _) = self.complete(|ov, n| unsafe { WriteFile(h, p, len, n, ov) })?;
        if n != msg.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("{}: wrote {n} of a {}-byte message", self.label, msg.len()),
            ));
        }
        Ok(())
    }

    /// Bytes left in the message at the head of the pipe (`PeekNamedPipe`), if it says.
    pub(crate) fn left_this_message(&self) -> Option<usize> {
        left_in_message(&self.h)
    }

    /// One `ReadFile` of up to `n` bytes of the message at the head of the pipe (message read
    /// mode), appended to `keep`, or thrown away when `keep` is `None`.
    pub(crate) fn read_piece(&self, n: usize, keep: Option<&mut Vec<u8>>) -> io::Result<Read> {
        let Some(v) = keep else {
            return self.read_once(&mut vec![0u8; n]);
        };
        v.reserve(n);
        let spare = v.spare_capacity_mut();
        let len = n.min(spare.len()).min(u32::MAX as usize) as u32;
        // A pointer, never a `&mut [u8]`: the spare capacity is not initialised.
        let p = spare.as_mut_ptr().cast::<u8>();
        let h = raw(&self.h);
        // SAFETY: `p` points at `len` writable bytes of `v`'s allocation, which is neither
        // moved nor freed during the call (`complete` waits for the operation to finish, and
        // `v` is borrowed mutably throughout); ReadFile only writes through it.
        let r = self.complete(|ov, got| unsafe { ReadFile(h, p, len, got, ov) });
        let (got, more) = match r {
            Ok(r) => r,
            Err(e) if is_eof(&e) => return Ok(Read::Eof),
            Err(e) => return Err(e),
        };
        debug_assert!(got <= len as usize);
        // SAFETY: ReadFile initialised the first `got <= len` bytes of the spare capacity.
        unsafe { v.set_len(v.len() + got.min(len as usize)) };
        Ok(if more {
            Read::More(got)
        } else {
            Read::Done(got)
        })
    }

    /// Waits until the other end has read everything written (`FlushFileBuffers`).
    pub(crate) fn flush_to_reader(&self) -> io::Result<()> {
        // SAFETY: `h` is an open handle.
        if unsafe { FlushFileBuffers(raw(&self.h)) } == 0 {
            return Err(last_error(format!("{}: FlushFileBuffers", self.label)));
        }
        Ok(())
    }
}

/// The error for a message longer than one `WriteFile` can carry (4 GiB - 1).
pub(crate) fn too_long(len: usize) -> io::Error {
    crate::error::EncodeError::TransportLimit {
        len,
        max: u64::from(u32::MAX),
    }
    .into()
}

/// A new unnamed manual-reset event, not signalled, for one overlapped operation.
pub(crate) fn new_event() -> io::Result<OwnedHandle> {
    // SAFETY: a new unnamed manual-reset event, non-signalled, default security.
    let ev = unsafe { CreateEventW(ptr::null(), TRUE, FALSE, ptr::null()) };
    // SAFETY: CreateEventW returned a new handle we own (or null, handled).
    unsafe { owned(ev) }.ok_or_else(|| last_error("CreateEventW"))
}

/// Bytes left in the message at the head of pipe `h` (`PeekNamedPipe`), if the system says.
pub(crate) fn left_in_message(h: &OwnedHandle) -> Option<usize> {
    let mut left = 0u32;
    // SAFETY: no buffer is passed (length 0); `left` is a valid out pointer.
    let ok = unsafe {
        PeekNamedPipe(
            raw(h),
            ptr::null_mut(),
            0,
            ptr::null_mut(),
            ptr::null_mut(),
            &mut left,
        )
    };
    (ok != 0).then_some(left as usize)
}

/// The process id of the other end of `h`: the client's on the server side, the server's on
/// the client side.
pub(crate) fn peer_process_id(h: &OwnedHandle, label: &str, server_side: bool) -> io::Result<u32> {
    if server_side {
        client_process_id(h, label)
    } else {
        server_process_id(h, label)
    }
}

/// The process id of the client end of pipe `h` (`GetNamedPipeClientProcessId`).
pub(crate) fn client_process_id(h: &OwnedHandle, label: &str) -> io::Result<u32> {
    let mut pid = 0u32;
    // SAFETY: `h` is an open handle and `pid` a valid out pointer.
    if unsafe { GetNamedPipeClientProcessId(raw(h), &mut pid) } == 0 {
        return Err(last_error(format!("{label}: GetNamedPipeClientProcessId")));
    }
    Ok(pid)
}

/// The process id of the server end of pipe `h` (`GetNamedPipeServerProcessId`).
pub(crate) fn server_process_id(h: &OwnedHandle, label: &str) -> io::Result<u32> {
    let mut pid = 0u32;
    // SAFETY: `h` is an open handle and `pid` a valid out pointer.
    if unsafe { GetNamedPipeServerProcessId(raw(h), &mut pid) } == 0 {
        return Err(last_error(format!("{label}: GetNamedPipeServerProcessId")));
    }
    Ok(pid)
}

impl io::Read for &PipeHandle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        PipeHandle::read(self, buf)
    }
}

impl io::Write for &PipeHandle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        PipeHandle::write(self, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for PipeHandle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        PipeHandle::read(self, buf)
    }
}

impl io::Write for PipeHandle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        PipeHandle::write(self, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::windows::{client, server};

    /// What message reassembly relies on, checked on the system itself: a message longer
    /// than the read asks for comes as `ERROR_MORE_DATA` with the buffer full,
    /// `PeekNamedPipe` says how much of it is left, and the next read returns the rest
    /// (Windows does this; so does Wine 8). `read_piece` appends to what it is given.
    #[test]
    fn system_reports_more_data_and_the_rest_of_the_message() {
        let name = format!("pipeframe-sys-more-{}", std::process::id());
        let opts = server::ServerOptions {
            message: true,
            ..Default::default()
        };
        let mut srv = server::Server::bind(&name, opts).unwrap();
        let co = client::ClientOptions {
            message: true,
            ..Default::default()
        };
        let c = client::connect(&name, &co, std::time::Duration::from_secs(20)).unwrap();
        let s = srv.accept().unwrap();
        let msg: Vec<u8> = (0..10_000u32).map(|i| (i * 31) as u8).collect();
        c.write_message(&msg).unwrap();
        let mut got = Vec::new();
        assert_eq!(
            s.read_piece(4096, Some(&mut got)).unwrap(),
            Read::More(4096)
        );
        assert_eq!(s.left_this_message(), Some(10_000 - 4096));
        assert_eq!(
            s.read_piece(100_000, Some(&mut got)).unwrap(),
            Read::Done(10_000 - 4096)
        );
        assert!(got == msg);
        c.write_message(b"thrown away").unwrap();
        assert_eq!(s.read_piece(64, None).unwrap(), Read::Done(11));
        drop(c);
        assert_eq!(s.read_piece(64, Some(&mut got)).unwrap(), Read::Eof);
    }
}
