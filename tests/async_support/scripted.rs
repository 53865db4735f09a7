//! Scripted I/O for the async flavours: a reader that replays bytes in a plan's chunk sizes
//! with `Pending`s, and a writer that accepts a plan's sizes and records the bytes. Each
//! implements tokio's and futures-io's traits over one implementation, so every scenario runs
//! on both runtimes with the same script.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use super::Plan;

/// An async reader that replays its bytes in the chunk sizes of a plan, returning `Pending`
/// where the plan says, and `Ok(0)` only at the end; with `stall`, `Pending` forever once its
/// bytes are gone (a peer that has not written yet).
pub(crate) struct ScriptedReader {
    pub(crate) data: VecDeque<u8>,
    plan: Plan,
    step: usize,
    pended: bool,
    pub(crate) stall: bool,
}

impl ScriptedReader {
    pub(crate) fn new(wire: &[u8], plan: Plan) -> Self {
        ScriptedReader {
            data: wire.iter().copied().collect(),
            plan,
            step: 0,
            pended: false,
            stall: false,
        }
    }

    /// Appends bytes (for tests that deliver a frame in two parts).
    pub(crate) fn push(&mut self, more: &[u8]) {
        self.data.extend(more);
    }

    fn poll_read_into(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.stall && self.data.is_empty() {
            return Poll::Pending;
        }
        let i = self.step;
        if self.plan.pending(i) && !self.pended {
            self.pended = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pended = false;
        self.step += 1;
        let n = self.plan.size(i).min(buf.len()).min(self.data.len());
        for (dst, src) in buf.iter_mut().zip(self.data.drain(..n)) {
            *dst = src;
        }
        Poll::Ready(Ok(n))
    }
}

impl futures_lite::AsyncRead for ScriptedReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_into(cx, buf)
    }
}

impl tokio::io::AsyncRead for ScriptedReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(self.get_mut().poll_read_into(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// An async writer that accepts the plan's sizes (vectored), with `Pending`s, and records the
/// bytes. `budget` caps the total it accepts; past it every write is `Pending`, woken by
/// nobody (a peer that does not read).
pub(crate) struct ScriptedWriter {
    pub(crate) out: Vec<u8>,
    plan: Plan,
    step: usize,
    pended: bool,
    pub(crate) budget: Arc<Mutex<usize>>,
    pub(crate) vectored_calls: usize,
}

impl ScriptedWriter {
    pub(crate) fn new(plan: Plan) -> Self {
        ScriptedWriter {
            out: Vec::new(),
            plan,
            step: 0,
            pended: false,
            budget: Arc::new(Mutex::new(usize::MAX)),
            vectored_calls: 0,
        }
    }

    fn write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let i = self.step;
        if self.plan.pending(i) && !self.pended {
            self.pended = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let budget = *self.budget.lock().unwrap();
        if budget == 0 {
            return Poll::Pending;
        }
        self.pended = false;
        self.step += 1;
        self.vectored_calls += 1;
        let mut left = self.plan.size(i).min(budget);
        let mut n = 0;
        for b in bufs {
            let k = left.min(b.len());
            self.out.extend_from_slice(&b[..k]);
            left -= k;
            n += k;
        }
        *self.budget.lock().unwrap() = budget.saturating_sub(n);
        Poll::Ready(Ok(n))
    }
}

impl futures_lite::AsyncWrite for ScriptedWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for ScriptedWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
