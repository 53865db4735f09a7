//! Async I/O on overlapped pipe handles, independent of the runtime: one implementation
//! that serves tokio and smol (and any executor) alike, because all it needs is a `Waker`.
//!
//! # Design
//!
//! Each operation slot ([`Op`]) owns an `OVERLAPPED`, a manual-reset event and the buffer the
//! system reads into or writes from. Starting an operation (`ReadFile`, `WriteFile`,
//! `ConnectNamedPipe` with that `OVERLAPPED`) resets the event; the system sets it when the
//! operation completes. While one is pending, the system thread pool waits on the event
//! (`RegisterWaitForSingleObject`, `WT_EXECUTEONLYONCE`), and its callback wakes the `Waker`
//! stored by the last poll. A poll stores the waker first and then asks
//! `GetOverlappedResult(.., bWait = FALSE)`, so a completion between the two is never missed
//! (the event stays set, so a wait registered late fires at once).
//!
//! Reads see `ERROR_MORE_DATA` themselves, unlike tokio's named pipes (which read through
//! mio's 4 KiB buffer and lose message boundaries past 4 KiB): [`AsyncPipe::poll_read_message`]
//! reassembles a message with the same rules as the blocking reader
//! ([`super::pipe::Assembler`]).
//!
//! # Cancellation
//!
//! The operations live in the [`AsyncPipe`], not in the futures: a future dropped while a
//! read is pending loses nothing, and the next poll collects the same read. A write is
//! accepted (`Ready`) once it is handed to the system; its outcome is reported by the next
//! write or [`AsyncPipe::poll_flush`]. Dropping the pipe cancels a pending read (waiting for
//! the cancellation to finish, so the buffers are never freed under the system's feet), and
//! lets a pending write finish on a small thread that owns a duplicate of the handle and the
//! buffer, so written data is not lost by dropping.
//!
//! A registered wait costs one thread-pool wait slot (a wait thread serves 63) per pending
//! operation.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::future::poll_fn;
use std::io;
use std::mem::ManuallyDrop;
use std::os::windows::io::OwnedHandle;
use std::ptr;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use windows_sys::Win32::Foundation::{
    ERROR_IO_INCOMPLETE, ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_NO_DATA, ERROR_PIPE_CONNECTED,
    HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{ReadFile, WriteFile};
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::Pipes::ConnectNamedPipe;
use windows_sys::Win32::System::Threading::{
    INFINITE, RegisterWaitForSingleObject, UnregisterWaitEx, WT_EXECUTEINWAITTHREAD,
    WT_EXECUTEONLYONCE,
};

use super::pipe::{Assembler, PipeHandle, Read, Step};
use super::server::{Server, ServerOptions};
use super::{code, last_error, raw};

/// What the thread pool's callback touches: the waker. The `OVERLAPPED` sits beside it so
/// both have a fixed address for as long as the slot lives.
struct Shared {
    ov: UnsafeCell<OVERLAPPED>,
    waker: Mutex<Option<Waker>>,
}

// SAFETY: `ov` is only touched through raw pointers handed to the system and to
// GetOverlappedResult, never through references while an operation is pending, and is
// rewritten only by the owning `Op` (through `&mut`) when nothing is pending; `waker` is behind
// a Mutex. The callback thread only uses `waker`.
unsafe impl Send for Shared {}
// SAFETY: see `Send`.
unsafe impl Sync for Shared {}

/// The thread pool's callback: wakes whoever polled last.
unsafe extern "system" fn on_signal(ctx: *mut c_void, _timed_out: bool) {
    // SAFETY: `ctx` is the `Shared` of the slot that registered this wait; the slot
    // unregisters (and waits for this callback to finish) before the `Shared` is freed.
    let shared = unsafe { &*(ctx as *const Shared) };
    let waker = shared
        .waker
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some(w) = waker {
        w.wake();
    }
}

/// What to start.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    /// `ReadFile` of up to `n` bytes into the slot's buffer.
    Read(usize),
    /// `WriteFile` of the slot's buffer (fill it with [`Op::buf_mut`] first).
    Write,
    /// `ConnectNamedPipe` (server instance).
    Connect,
}

/// One overlapped operation slot (see the module docs).
pub(crate) struct Op {
    shared: Box<Shared>,
    event: OwnedHandle,
    buf: Vec<u8>,
    /// The registered wait (`RegisterWaitForSingleObject`), 0 when none.
    wait: usize,
    in_flight: bool,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("in_flight", &self.in_flight)
            .field("buf", &self.buf.len())
            .finish()
    }
}

impl Op {
    pub(crate) fn new() -> io::Result<Op> {
        let event = super::pipe::new_event()?;
        Ok(Op {
            shared: Box::new(Shared {
                ov: UnsafeCell::new(OVERLAPPED::default()),
                waker: Mutex::new(None),
            }),
            event,
            buf: Vec::new(),
            wait: 0,
            in_flight: false,
        })
    }

    /// Whether an operation is pending (or finished but not yet collected by [`poll`]).
    ///
    /// [`poll`]: Op::poll
    pub(crate) fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// The buffer: what a read filled (its first `n` bytes), what a write sends. Only while
    /// nothing is in flight.
    pub(crate) fn buf(&self) -> &[u8] {
        assert!(!self.in_flight, "buffer of an operation in flight");
        &self.buf
    }

    /// The buffer to fill before [`Start::Write`]. Only while nothing is in flight.
    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        assert!(!self.in_flight, "buffer of an operation in flight");
        &mut self.buf
    }

    /// Starts an operation on `h`, which must be an overlapped handle that outlives it.
    /// `Ok(true)`: pending or finished, collect it with [`poll`](Op::poll); `Ok(false)`:
    /// nothing was started and nothing needs collecting (a connect found its client already
    /// connected, `ERROR_PIPE_CONNECTED`).
    pub(crate) fn start(&mut self, h: &OwnedHandle, what: Start) -> io::Result<bool> {
        assert!(!self.in_flight, "an operation is already in flight");
        let ov = self.shared.ov.get();
        // SAFETY: nothing is in flight, so neither the system nor a callback uses `ov` now.
        unsafe {
            *ov = OVERLAPPED {
                hEvent: raw(&self.event),
                ..Default::default()
            }
        };
        let h = raw(h);
        let ok = match what {
            Start::Read(n) => {
                let n = n.clamp(1, u32::MAX as usize);
                if self.buf.len() < n {
                    self.buf.resize(n, 0);
                }
                // SAFETY: `buf` is writable for `n` bytes and is neither moved nor resized
                // while the read is in flight (`buf`/`buf_mut` refuse then, and the slot
                // cancels or waits for the read before freeing it); `ov` likewise.
                unsafe { ReadFile(h, self.buf.as_mut_ptr(), n as u32, ptr::null_mut(), ov) }
            }
            Start::Write => {
                let n = u32::try_from(self.buf.len()).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "a pipe write carries at most 4 GiB - 1 bytes",
                    )
                })?;
                // SAFETY: as for reads: `buf` stays put and alive until the write completes.
                unsafe { WriteFile(h, self.buf.as_ptr(), n, ptr::null_mut(), ov) }
            }
            // SAFETY: `ov` stays alive and in place until the connect completes.
            Start::Connect => unsafe { ConnectNamedPipe(h, ov) },
        };
        if ok == 0 {
            let e = io::Error::last_os_error();
            match code(&e) {
                Some(ERROR_IO_PENDING) | Some(ERROR_MORE_DATA) => {}
                Some(ERROR_PIPE_CONNECTED) if matches!(what, Start::Connect) => return Ok(false),
                _ => return Err(e),
            }
        }
        self.in_flight = true;
        Ok(true)
    }

    /// The operation's outcome if it has finished (`wait`: block until it has): bytes
    /// transferred and whether the message goes on (`ERROR_MORE_DATA`).
    fn result(&self, h: &OwnedHandle, wait: bool) -> Option<io::Result<(usize, bool)>> {
        let mut n = 0u32;
        // SAFETY: `ov` belongs to the operation started on `h`; GetOverlappedResult only
        // reads it (and waits on its event when `wait`).
        let ok = unsafe { GetOverlappedResult(raw(h), self.shared.ov.get(), &mut n, wait.into()) };
        if ok != 0 {
            return Some(Ok((n as usize, false)));
        }
        let e = io::Error::last_os_error();
        match code(&e) {
            Some(ERROR_IO_INCOMPLETE) => None,
            Some(ERROR_MORE_DATA) => Some(Ok((n as usize, true))),
            _ => Some(Err(e)),
        }
    }

    fn register(&mut self) -> io::Result<()> {
        let mut wait: HANDLE = ptr::null_mut();
        let ctx: *const Shared = &*self.shared;
        // SAFETY: `ctx` points at the boxed `Shared`, which lives until after `unregister`
        // (called before every reuse and on every drop path) has waited for the callback.
        let ok = unsafe {
            RegisterWaitForSingleObject(
                &mut wait,
                raw(&self.event),
                Some(on_signal),
                ctx as *const c_void,
                INFINITE,
                WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD,
            )
        };
        if ok == 0 {
            return Err(last_error("RegisterWaitForSingleObject"));
        }
        self.wait = wait as usize;
        Ok(())
    }

    /// Removes the registered wait, waiting for a running callback to return.
    fn unregister(&mut self) {
        if self.wait != 0 {
            // SAFETY: `wait` is the handle RegisterWaitForSingleObject gave us, unregistered
            // once; INVALID_HANDLE_VALUE makes the call wait for a running callback.
            unsafe { UnregisterWaitEx(self.wait as HANDLE, INVALID_HANDLE_VALUE) };
            self.wait = 0;
        }
    }

    /// Polls the operation in flight on `h`.
    pub(crate) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        h: &OwnedHandle,
    ) -> Poll<io::Result<(usize, bool)>> {
        assert!(self.in_flight, "poll without an operation in flight");
        {
            let mut w = self.shared.waker.lock().unwrap_or_else(|e| e.into_inner());
            match &*w {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => *w = Some(cx.waker().clone()),
            }
        }
        match self.result(h, false) {
            None => {
                if self.wait == 0
                    && let Err(e) = self.register()
                {
                    return Poll::Ready(Err(e));
                }
                Poll::Pending
            }
            Some(r) => {
                self.unregister();
                self.in_flight = false;
                Poll::Ready(r)
            }
        }
    }

    /// Blocks until the operation in flight on `h` ends, first cancelling it if `cancel`.
    pub(crate) fn finish_blocking(&mut self, h: &OwnedHandle, cancel: bool) {
        if !self.in_flight {
            return;
        }
        if cancel {
            // SAFETY: cancels only the operation of this slot's `ov` on `h`; harmless if it
            // already finished.
            unsafe { CancelIoEx(raw(h), self.shared.ov.get()) };
        }
        let _ = self.result(h, true);
        self.unregister();
        self.in_flight = false;
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        // Owners call `finish_blocking` before dropping an `Op` in flight; this only removes a
        // wait left registered.
        self.unregister();
    }
}

/// A connected overlapped pipe end for async code: bytes or whole messages.
#[derive(Debug)]
pub(crate) struct AsyncPipe {
    h: OwnedHandle,
    label: String,
    read: Op,
    /// Bytes of a finished byte read not yet handed out: `read.buf[pos..end]`.
    pos: usize,
    end: usize,
    msg: Vec<u8>,
    asm: Option<Assembler>,
    write: ManuallyDrop<Op>,
}

/// How much one byte-mode write hands to the system at most.
const MAX_WRITE: usize = 1 << 20;

impl AsyncPipe {
    /// Wraps a connected pipe handle opened with `FILE_FLAG_OVERLAPPED`.
    pub(crate) fn new(p: PipeHandle) -> io::Result<AsyncPipe> {
        if !p.is_overlapped() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: async use needs a handle opened with FILE_FLAG_OVERLAPPED",
                    p.label()
                ),
            ));
        }
        let label = p.label().to_owned();
        Ok(AsyncPipe {
            h: p.into_handle(),
            label,
            read: Op::new()?,
            pos: 0,
            end: 0,
            msg: Vec::new(),
            asm: None,
            write: ManuallyDrop::new(Op::new()?),
        })
    }

    pub(crate) fn handle(&self) -> &OwnedHandle {
        &self.h
    }

    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// The process id of the client end (`GetNamedPipeClientProcessId`).
    pub(crate) fn client_process_id(&self) -> io::Result<u32> {
        super::pipe::client_process_id(&self.h, &self.label)
    }

    /// The process id of the server end (`GetNamedPipeServerProcessId`).
    pub(crate) fn server_process_id(&self) -> io::Result<u32> {
        super::pipe::server_process_id(&self.h, &self.label)
    }

    /// The other end's process id (see [`super::pipe::peer_process_id`]).
    pub(crate) fn peer_process_id(&self, server_side: bool) -> io::Result<u32> {
        super::pipe::peer_process_id(&self.h, &self.label, server_side)
    }

    /// Collects the pending read, `Read::Eof` for a closed peer.
    fn poll_read_op(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Read>> {
        match self.read.poll(cx, &self.h) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok((n, false))) => Poll::Ready(Ok(Read::Done(n))),
            Poll::Ready(Ok((n, true))) => Poll::Ready(Ok(Read::More(n))),
            Poll::Ready(Err(e)) if super::pipe::is_eof(&e) => Poll::Ready(Ok(Read::Eof)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }

    fn start_read(&mut self, n: usize) -> io::Result<bool> {
        match self.read.start(&self.h, Start::Read(n)) {
            Ok(_) => Ok(true),
            Err(e) if super::pipe::is_eof(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads bytes; `Ok(0)` is end of stream. Cancellation safe.
    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.pos == self.end {
            if !self.read.in_flight() && !self.start_read(out.len().min(super::pipe::READ_CHUNK))? {
                return Poll::Ready(Ok(0));
            }
            match std::task::ready!(self.poll_read_op(cx))? {
                Read::Eof => return Poll::Ready(Ok(0)),
                Read::Done(n) | Read::More(n) => {
                    self.pos = 0;
                    self.end = n;
                }
            }
        }
        let n = out.len().min(self.end - self.pos);
        out[..n].copy_from_slice(&self.read.buf()[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }

    /// Bytes left in the message at the head of the pipe, if the system says.
    fn left_this_message(&self) -> Option<usize> {
        super::pipe::left_in_message(&self.h)
    }

    /// Reads one whole message (message read mode), with the blocking reader's rules: never
    /// split, never truncated; over `max_len` it is read to its end, discarded, and reported
    /// as [`io::ErrorKind::InvalidData`] naming its size. `Ok(None)` is end of stream.
    /// Cancellation safe: a partly read message stays in the pipe object.
    pub(crate) fn poll_read_message(
        &mut self,
        cx: &mut Context<'_>,
        max_len: usize,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        loop {
            if self.asm.is_none() {
                self.asm = Some(Assembler::new(max_len));
            }
            if !self.read.in_flight() {
                let left = self.left_this_message();
                let want = self.asm.as_ref().map_or(1, |a| a.next_read_len(left));
                if !self.start_read(want)? {
                    return Poll::Ready(self.step(Read::Eof).map(|s| s.unwrap_or(None)));
                }
            }
            let r = std::task::ready!(self.poll_read_op(cx))?;
            let asm = self.asm.as_mut().expect("assembler");
            match r {
                Read::Done(n) | Read::More(n) if !asm.discarding() => {
                    self.msg.extend_from_slice(&self.read.buf()[..n]);
                    asm.kept(r, self.msg.len());
                }
                _ => asm.discarded(r),
            }
            if let Some(out) = self.step(r)? {
                return Poll::Ready(Ok(out));
            }
        }
    }

    /// Applies the assembler's step for read `r`: `None` to read on, `Some(message or end)`.
    fn step(&mut self, r: Read) -> io::Result<Option<Option<Vec<u8>>>> {
        let asm = self.asm.as_mut().expect("assembler");
        let step = asm.step(r, &self.label);
        if !matches!(step, Ok(Step::Again)) {
            self.asm = None;
        }
        match step {
            Ok(Step::Again) => Ok(None),
            Ok(Step::Message) => Ok(Some(Some(std::mem::take(&mut self.msg)))),
            Ok(Step::Eof) => Ok(Some(None)),
            Err(e) => {
                self.msg.clear();
                Err(e)
            }
        }
    }

    /// Waits for the write in flight, if any, and reports its outcome.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.write.in_flight() {
            return Poll::Ready(Ok(()));
        }
        let (n, _) = std::task::ready!(self.write.poll(cx, &self.h))?;
        let len = self.write.buf().len();
        if n != len {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("{}: wrote {n} of {len} bytes", self.label),
            )));
        }
        Poll::Ready(Ok(()))
    }

    fn start_write(&mut self, data: &[u8]) -> io::Result<()> {
        let buf = self.write.buf_mut();
        buf.clear();
        buf.extend_from_slice(data);
        self.write.start(&self.h, Start::Write)?;
        Ok(())
    }

    /// Writes bytes: waits for the previous write, then hands up to 1 MiB of `data` to the
    /// system and returns how much. Its outcome comes with the next write or flush.
    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_flush(cx))?;
        let n = data.len().min(MAX_WRITE);
        self.start_write(&data[..n])?;
        Poll::Ready(Ok(n))
    }

    /// Writes `msg` as one message (one `WriteFile` of all of it), after the previous write
    /// finished. Its outcome comes with the next write or flush.
    pub(crate) fn poll_write_message(
        &mut self,
        cx: &mut Context<'_>,
        msg: &[u8],
    ) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_flush(cx))?;
        self.start_write(msg)?;
        Poll::Ready(Ok(()))
    }

    pub(crate) async fn read_message(&mut self, max_len: usize) -> io::Result<Option<Vec<u8>>> {
        poll_fn(|cx| self.poll_read_message(cx, max_len)).await
    }

    pub(crate) async fn write_message(&mut self, msg: &[u8]) -> io::Result<()> {
        poll_fn(|cx| self.poll_write_message(cx, msg)).await
    }

    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }
}

impl Drop for AsyncPipe {
    fn drop(&mut self) {
        self.read.finish_blocking(&self.h, true);
        if !self.write.in_flight() {
            // SAFETY: `write` is dropped once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.write) };
            return;
        }
        // Let the write finish: a thread keeps the operation (buffer, OVERLAPPED, event) and
        // a duplicate of the handle, so closing ours does not cancel it.
        self.write.unregister();
        // SAFETY: `write` is taken once, here, and never used again by `self`.
        let mut op = unsafe { ManuallyDrop::take(&mut self.write) };
        match self.h.try_clone() {
            Ok(dup) => {
                let job = std::sync::Arc::new(Mutex::new(Some((op, dup))));
                let theirs = job.clone();
                let spawned = std::thread::Builder::new()
                    .name("pipeframe-write-drain".into())
                    .spawn(move || {
                        if let Some((mut op, dup)) = theirs.lock().ok().and_then(|mut j| j.take()) {
                            op.finish_blocking(&dup, false);
                        }
                    });
                if spawned.is_err() {
                    // No thread: cancel it here rather than free its buffer under the system.
                    if let Some((mut op, dup)) = job.lock().ok().and_then(|mut j| j.take()) {
                        op.finish_blocking(&dup, true);
                    }
                }
            }
            Err(_) => op.finish_blocking(&self.h, true),
        }
    }
}

/// An async named pipe server: [`Server`] with an overlapped connect on its waiting instance.
#[derive(Debug)]
pub(crate) struct AsyncServer {
    server: Server,
    op: Op,
}

impl AsyncServer {
    /// Binds `\\.\pipe\NAME`; the instances are created overlapped whatever `opts` says.
    pub(crate) fn bind(name: &str, mut opts: ServerOptions) -> io::Result<AsyncServer> {
        opts.overlapped = true;
        Ok(AsyncServer {
            server: Server::bind(name, opts)?,
            op: Op::new()?,
        })
    }

    pub(crate) fn server(&self) -> &Server {
        &self.server
    }

    /// Waits for the next client. Cancellation safe: a connect in progress stays with the
    /// server and the next poll continues it.
    pub(crate) fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncPipe>> {
        let ctx =
            |e| super::with_context(e, format!("waiting for a client on {}", self.server.path()));
        loop {
            if !self.op.in_flight() {
                match self.op.start(self.server.pending(), Start::Connect) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) if code(&e) == Some(ERROR_NO_DATA) => {
                        super::server::disconnect(self.server.pending(), self.server.path())?;
                        continue;
                    }
                    Err(e) => return Poll::Ready(Err(ctx(e))),
                }
            }
            match std::task::ready!(self.op.poll(cx, self.server.pending())) {
                Ok(_) => break,
                Err(e) if code(&e) == Some(ERROR_NO_DATA) => {
                    super::server::disconnect(self.server.pending(), self.server.path())?;
                }
                Err(e) => return Poll::Ready(Err(ctx(e))),
            }
        }
        Poll::Ready(self.server.rotate().and_then(AsyncPipe::new))
    }

    pub(crate) async fn accept(&mut self) -> io::Result<AsyncPipe> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }
}

impl Drop for AsyncServer {
    fn drop(&mut self) {
        self.op.finish_blocking(self.server.pending(), true);
    }
}
