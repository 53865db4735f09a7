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
//! mio's 4 KiB buffer and lose message boundaries past 4 KiB): [`AsyncPipe::poll_read_piece`]
//! returns each piece of a message with whether it goes on, and the portable message reader
//! above this layer puts them together with the same rules as the blocking reader.
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
use std::io::{self, IoSlice};
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

use super::pipe::{PipeHandle, Read};
use super::server::{Server, ServerOptions};
use super::{code, last_error, raw};

/// What the thread pool's callback touches: the wakers. The `OVERLAPPED` sits beside them so
/// both have a fixed address for as long as the slot lives.
struct Shared {
    ov: UnsafeCell<OVERLAPPED>,
    /// Who to wake when the operation completes: the last poller ([`Op::poll`]), or every
    /// task that polled since the last completion ([`Op::poll_shared`]).
    wakers: Mutex<Vec<Waker>>,
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
    let wakers = std::mem::take(&mut *shared.wakers.lock().unwrap_or_else(|e| e.into_inner()));
    for w in wakers {
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
                wakers: Mutex::new(Vec::new()),
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
                let n = u32::try_from(self.buf.len())
                    .map_err(|_| super::pipe::too_long(self.buf.len()))?;
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

    /// Polls the operation in flight on `h`; its completion wakes the last poller only
    /// (`&mut self` users: one task at a time).
    pub(crate) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        h: &OwnedHandle,
    ) -> Poll<io::Result<(usize, bool)>> {
        self.poll_with(cx, h, false)
    }

    /// Polls the operation in flight on `h`; its completion wakes every task that polled it
    /// since the last completion, so several tasks may wait for one operation (an accept that
    /// any of them may collect).
    pub(crate) fn poll_shared(
        &mut self,
        cx: &mut Context<'_>,
        h: &OwnedHandle,
    ) -> Poll<io::Result<(usize, bool)>> {
        self.poll_with(cx, h, true)
    }

    fn poll_with(
        &mut self,
        cx: &mut Context<'_>,
        h: &OwnedHandle,
        shared: bool,
    ) -> Poll<io::Result<(usize, bool)>> {
        assert!(self.in_flight, "poll without an operation in flight");
        {
            let mut w = self.shared.wakers.lock().unwrap_or_else(|e| e.into_inner());
            if !w.iter().any(|old| old.will_wake(cx.waker())) {
                if !shared {
                    w.clear();
                }
                w.push(cx.waker().clone());
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

/// A connected overlapped pipe end for async code: bytes, or the pieces of messages.
///
/// Every method takes `&self`: the read side and the write side each sit behind their own
/// lock (uncontended unless two tasks use one side at once), so one task can read while
/// another writes, through a shared reference or two halves of one connection.
#[derive(Debug)]
pub(crate) struct AsyncPipe {
    h: OwnedHandle,
    label: String,
    read: Mutex<ReadSide>,
    write: Mutex<ManuallyDrop<Op>>,
}

/// The read operation and the bytes of a finished byte-mode read not yet handed out:
/// `op.buf[pos..end]`.
#[derive(Debug)]
struct ReadSide {
    op: Op,
    pos: usize,
    end: usize,
}

/// How much one byte-mode write hands to the system at most.
const MAX_WRITE: usize = 1 << 20;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

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
            read: Mutex::new(ReadSide {
                op: Op::new()?,
                pos: 0,
                end: 0,
            }),
            write: Mutex::new(ManuallyDrop::new(Op::new()?)),
        })
    }

    pub(crate) fn handle(&self) -> &OwnedHandle {
        &self.h
    }

    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// Collects the pending read, `Read::Eof` for a closed peer.
    fn poll_read_op(&self, op: &mut Op, cx: &mut Context<'_>) -> Poll<io::Result<Read>> {
        match op.poll(cx, &self.h) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok((n, false))) => Poll::Ready(Ok(Read::Done(n))),
            Poll::Ready(Ok((n, true))) => Poll::Ready(Ok(Read::More(n))),
            Poll::Ready(Err(e)) if super::pipe::is_eof(&e) => Poll::Ready(Ok(Read::Eof)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }

    /// Starts a read of `n` bytes unless one is in flight; `Ok(false)`: the peer is gone.
    fn start_read(&self, op: &mut Op, n: usize) -> io::Result<bool> {
        if op.in_flight() {
            return Ok(true);
        }
        match op.start(&self.h, Start::Read(n)) {
            Ok(_) => Ok(true),
            Err(e) if super::pipe::is_eof(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads bytes; `Ok(0)` is end of stream. Cancellation safe.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut side = lock(&self.read);
        let side = &mut *side;
        if side.pos == side.end {
            if !self.start_read(&mut side.op, out.len().min(super::pipe::READ_CHUNK))? {
                return Poll::Ready(Ok(0));
            }
            match std::task::ready!(self.poll_read_op(&mut side.op, cx))? {
                Read::Eof => return Poll::Ready(Ok(0)),
                Read::Done(n) | Read::More(n) => {
                    side.pos = 0;
                    side.end = n;
                }
            }
        }
        let n = out.len().min(side.end - side.pos);
        out[..n].copy_from_slice(&side.op.buf()[side.pos..side.pos + n]);
        side.pos += n;
        Poll::Ready(Ok(n))
    }

    /// Bytes left in the message at the head of the pipe, if the system says.
    pub(crate) fn left_this_message(&self) -> Option<usize> {
        super::pipe::left_in_message(&self.h)
    }

    /// One read of up to `n` bytes of the message at the head of the pipe (message read
    /// mode), appended to `keep` or thrown away when `keep` is `None`. A read still in flight
    /// from an earlier poll is collected first (its size stands), so stopping to poll loses
    /// nothing.
    pub(crate) fn poll_read_piece(
        &self,
        cx: &mut Context<'_>,
        n: usize,
        keep: Option<&mut Vec<u8>>,
    ) -> Poll<io::Result<Read>> {
        let mut side = lock(&self.read);
        if !self.start_read(&mut side.op, n)? {
            return Poll::Ready(Ok(Read::Eof));
        }
        let r = std::task::ready!(self.poll_read_op(&mut side.op, cx))?;
        if let (Read::Done(n) | Read::More(n), Some(v)) = (r, keep) {
            v.extend_from_slice(&side.op.buf()[..n]);
        }
        Poll::Ready(Ok(r))
    }

    /// Waits for the write in flight, if any, and reports its outcome.
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut op = lock(&self.write);
        self.poll_write_done(&mut op, cx)
    }

    fn poll_write_done(&self, op: &mut Op, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !op.in_flight() {
            return Poll::Ready(Ok(()));
        }
        let (n, _) = std::task::ready!(op.poll(cx, &self.h))?;
        let len = op.buf().len();
        if n != len {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("{}: wrote {n} of {len} bytes", self.label),
            )));
        }
        Poll::Ready(Ok(()))
    }

    /// Waits for the previous write, then copies up to `limit` bytes of `bufs` into the write
    /// buffer and hands them to the system in one `WriteFile`; returns how many.
    fn poll_start_write(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
        limit: usize,
    ) -> Poll<io::Result<usize>> {
        let mut op = lock(&self.write);
        std::task::ready!(self.poll_write_done(&mut op, cx))?;
        let buf = op.buf_mut();
        buf.clear();
        for b in bufs {
            let room = limit - buf.len();
            buf.extend_from_slice(&b[..b.len().min(room)]);
            if b.len() >= room {
                break;
            }
        }
        let n = buf.len();
        op.start(&self.h, Start::Write)?;
        Poll::Ready(Ok(n))
    }

    /// Writes bytes: waits for the previous write, then hands up to 1 MiB of `bufs` to the
    /// system in one write and returns how much. Its outcome comes with the next write or
    /// flush.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_start_write(cx, bufs, MAX_WRITE)
    }

    /// Writes `msg` as one message (one `WriteFile` of all of it), after the previous write
    /// finished. Its outcome comes with the next write or flush.
    pub(crate) fn poll_write_message(
        &self,
        cx: &mut Context<'_>,
        msg: &[u8],
    ) -> Poll<io::Result<()>> {
        self.poll_start_write(cx, &[IoSlice::new(msg)], usize::MAX)
            .map_ok(drop)
    }
}

impl Drop for AsyncPipe {
    fn drop(&mut self) {
        lock(&self.read).op.finish_blocking(&self.h, true);
        let write = self.write.get_mut().unwrap_or_else(|e| e.into_inner());
        if !write.in_flight() {
            // SAFETY: `write` is dropped once, here, and never used again.
            unsafe { ManuallyDrop::drop(write) };
            return;
        }
        // Let the write finish: a thread keeps the operation (buffer, OVERLAPPED, event) and
        // a duplicate of the handle, so closing ours does not cancel it.
        write.unregister();
        // SAFETY: `write` is taken once, here, and never used again by `self`.
        let mut op = unsafe { ManuallyDrop::take(write) };
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

    /// Waits for the next client. Cancellation safe: a connect in progress stays with the
    /// server and the next poll continues it. Several tasks may poll it (each through the
    /// lock that guards the server): every one is woken when a client connects, one of them
    /// gets it, and the others wait for the next.
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
            match std::task::ready!(self.op.poll_shared(cx, self.server.pending())) {
                Ok(_) => break,
                Err(e) if code(&e) == Some(ERROR_NO_DATA) => {
                    super::server::disconnect(self.server.pending(), self.server.path())?;
                }
                Err(e) => return Poll::Ready(Err(ctx(e))),
            }
        }
        Poll::Ready(self.server.rotate().and_then(AsyncPipe::new))
    }
}

impl Drop for AsyncServer {
    fn drop(&mut self) {
        self.op.finish_blocking(self.server.pending(), true);
    }
}
