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
    DisconnectNamedPipe, GetNamedPipeClientProcessId, GetNamedPipeServerProcessId, PeekNamedPipe,
};
use windows_sys::Win32::System::Threading::CreateEventW;

use super::{code, last_error, owned, raw};

/// How much a message read asks for at a time when the pipe does not say how much is left.
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
        let len = u32::try_from(msg.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a message of {} bytes is over the 4 GiB a pipe write can carry",
                    msg.len()
                ),
            )
        })?;
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

    /// Reads one whole message (message read mode): reassembled across `ERROR_MORE_DATA`,
    /// never split, never truncated. `Ok(None)` is end of stream.
    ///
    /// A message longer than `max_len` is read to its end and discarded, and the call is an
    /// [`io::ErrorKind::InvalidData`] error naming its size; the next call reads the next
    /// message. Memory grows with the bytes of the message read, up to `max_len`.
    pub(crate) fn read_message(&self, max_len: usize) -> io::Result<Option<Vec<u8>>> {
        let mut msg = Vec::new();
        let mut asm = Assembler::new(max_len);
        loop {
            let want = asm.next_read_len(self.left_this_message());
            let r = if asm.discarding() {
                let mut scratch = vec![0u8; want];
                let r = self.read_once(&mut scratch)?;
                asm.discarded(r);
                r
            } else {
                msg.reserve(want);
                let spare = msg.spare_capacity_mut();
                let len = want.min(spare.len());
                // SAFETY: ReadFile only writes into the buffer; treating spare capacity as a
                // byte buffer to be written is sound, and only the `n` bytes it reports as
                // written are exposed by `set_len` below.
                let buf = unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast(), len) };
                let r = self.read_once(buf)?;
                if let Read::Done(n) | Read::More(n) = r {
                    // SAFETY: ReadFile wrote `n <= len` bytes after the old length.
                    unsafe { msg.set_len(msg.len() + n) };
                }
                asm.kept(r, msg.len());
                r
            };
            match asm.step(r, &self.label)? {
                Step::Again => continue,
                Step::Message => return Ok(Some(msg)),
                Step::Eof => return Ok(None),
            }
        }
    }

    /// Waits until the other end has read everything written (`FlushFileBuffers`).
    pub(crate) fn flush_to_reader(&self) -> io::Result<()> {
        // SAFETY: `h` is an open handle.
        if unsafe { FlushFileBuffers(raw(&self.h)) } == 0 {
            return Err(last_error(format!("{}: FlushFileBuffers", self.label)));
        }
        Ok(())
    }

    /// Ends the client's connection on a server instance (`DisconnectNamedPipe`), so the
    /// instance can wait for another client. Unread data is lost.
    pub(crate) fn disconnect(&self) -> io::Result<()> {
        // SAFETY: `h` is an open pipe handle.
        if unsafe { DisconnectNamedPipe(raw(&self.h)) } == 0 {
            return Err(last_error(format!("{}: DisconnectNamedPipe", self.label)));
        }
        Ok(())
    }

    /// The process id of the client end (`GetNamedPipeClientProcessId`).
    pub(crate) fn client_process_id(&self) -> io::Result<u32> {
        client_process_id(&self.h, &self.label)
    }

    /// The process id of the server end (`GetNamedPipeServerProcessId`).
    pub(crate) fn server_process_id(&self) -> io::Result<u32> {
        server_process_id(&self.h, &self.label)
    }

    /// The other end's process id (see [`peer_process_id`]).
    pub(crate) fn peer_process_id(&self, server_side: bool) -> io::Result<u32> {
        peer_process_id(&self.h, &self.label, server_side)
    }
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

/// What the message reassembly does after a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Read again (the message goes on).
    Again,
    /// The message is whole.
    Message,
    /// End of stream at a message boundary.
    Eof,
}

/// The message reassembly rules, shared by the blocking and the overlapped reader: how much
/// to ask for next, when a message is whole, and the oversize policy (read to the end of the
/// message, discard, report its size, go on).
#[derive(Debug)]
pub(crate) struct Assembler {
    max_len: usize,
    kept: usize,
    discarded: usize,
    started: bool,
}

impl Assembler {
    pub(crate) fn new(max_len: usize) -> Assembler {
        Assembler {
            max_len,
            kept: 0,
            discarded: 0,
            started: false,
        }
    }

    /// Whether the message is over the maximum and its rest is being thrown away.
    pub(crate) fn discarding(&self) -> bool {
        self.discarded > 0 || (self.kept >= self.max_len && (self.started || self.max_len == 0))
    }

    /// How many bytes the next read asks for, given what the pipe says is left of the
    /// message (`PeekNamedPipe`), if anything.
    pub(crate) fn next_read_len(&self, left: Option<usize>) -> usize {
        let hint = left.filter(|&l| l > 0).unwrap_or(READ_CHUNK);
        if self.discarding() || self.max_len == 0 {
            return hint.clamp(1, READ_CHUNK);
        }
        hint.min(self.max_len - self.kept).max(1)
    }

    /// Records a read into the kept message, which is now `total` bytes long.
    pub(crate) fn kept(&mut self, _r: Read, total: usize) {
        self.kept = total;
    }

    /// Records a read that was thrown away.
    pub(crate) fn discarded(&mut self, r: Read) {
        if let Read::Done(n) | Read::More(n) = r {
            self.discarded += n;
        }
    }

    /// What to do after read `r`; the error for an oversize message or end of stream inside
    /// one. Resets itself when a message ends.
    pub(crate) fn step(&mut self, r: Read, label: &str) -> io::Result<Step> {
        let first = !self.started;
        self.started = true;
        match r {
            Read::More(_) => Ok(Step::Again),
            Read::Done(_) => {
                let (kept, discarded) = (self.kept, self.discarded);
                *self = Assembler::new(self.max_len);
                if discarded > 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{label}: a message of {} bytes is over the maximum of {} bytes \
                             (discarded)",
                            kept + discarded,
                            self.max_len
                        ),
                    ));
                }
                Ok(Step::Message)
            }
            Read::Eof if first => Ok(Step::Eof),
            Read::Eof => {
                let got = self.kept + self.discarded;
                *self = Assembler::new(self.max_len);
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{label}: the pipe closed inside a message after {got} bytes"),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembler_asks_for_at_most_the_room_left() {
        let a = Assembler::new(10);
        assert_eq!(a.next_read_len(None), 10);
        assert_eq!(a.next_read_len(Some(3)), 3);
        let a = Assembler::new(1 << 30);
        assert_eq!(a.next_read_len(None), READ_CHUNK);
        assert_eq!(a.next_read_len(Some(100_000)), 100_000);
    }

    #[test]
    fn assembler_discards_past_the_maximum_and_names_the_size() {
        let mut a = Assembler::new(4);
        a.kept(Read::More(4), 4);
        assert_eq!(a.step(Read::More(4), "p").unwrap(), Step::Again);
        assert!(a.discarding());
        a.discarded(Read::More(5));
        assert_eq!(a.step(Read::More(5), "p").unwrap(), Step::Again);
        a.discarded(Read::Done(1));
        let e = a.step(Read::Done(1), "p").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("10 bytes"), "{e}");
        assert!(!a.discarding());
        a.kept(Read::Done(2), 2);
        assert_eq!(a.step(Read::Done(2), "p").unwrap(), Step::Message);
    }

    #[test]
    fn assembler_eof_at_a_boundary_is_the_end_inside_a_message_an_error() {
        let mut a = Assembler::new(4);
        assert_eq!(a.step(Read::Eof, "p").unwrap(), Step::Eof);
        let mut a = Assembler::new(4);
        a.kept(Read::More(2), 2);
        a.step(Read::More(2), "p").unwrap();
        let e = a.step(Read::Eof, "p").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
