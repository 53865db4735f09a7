//! A set of futures run concurrently inside one future, on whatever executor polls it: what
//! the accept loops (`named::AsyncListener::serve`) drive their handlers with, so that they
//! need no spawner and behave the same on every runtime.
//!
//! Each future has its own waker, so a wakeup polls the one future it concerns, not the whole
//! set; a woken future is queued once however often it is woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};

/// Futures run concurrently by [`poll`](TaskSet::poll).
pub(crate) struct TaskSet<F> {
    slots: Vec<Slot<F>>,
    free: Vec<usize>,
    queue: Arc<Queue>,
}

struct Slot<F> {
    task: Option<Pin<Box<F>>>,
    waker: Arc<SlotWaker>,
}

/// The slots woken since the last poll, and the waker of whoever polls the set.
#[derive(Default)]
struct Queue {
    inner: Mutex<(Vec<usize>, Option<Waker>)>,
}

struct SlotWaker {
    idx: usize,
    queued: AtomicBool,
    queue: Arc<Queue>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let parent = {
            let mut q = self.queue.inner.lock().unwrap_or_else(|e| e.into_inner());
            q.0.push(self.idx);
            q.1.take()
        };
        if let Some(w) = parent {
            w.wake();
        }
    }
}

impl<F: Future<Output = ()>> TaskSet<F> {
    pub(crate) fn new() -> Self {
        TaskSet {
            slots: Vec::new(),
            free: Vec::new(),
            queue: Arc::default(),
        }
    }

    /// How many futures have not finished.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Adds `task`; the next [`poll`](Self::poll) polls it.
    pub(crate) fn push(&mut self, task: F) {
        let idx = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot {
                task: None,
                waker: Arc::new(SlotWaker {
                    idx: self.slots.len(),
                    queued: AtomicBool::new(false),
                    queue: Arc::clone(&self.queue),
                }),
            });
            self.slots.len() - 1
        });
        let slot = &mut self.slots[idx];
        slot.task = Some(Box::pin(task));
        slot.waker.wake_by_ref();
    }

    /// Polls every future woken since the last call (each once), and arranges for `cx` to be
    /// woken when any is woken again. A future that finishes is dropped.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) {
        let woken = {
            let mut q = self.queue.inner.lock().unwrap_or_else(|e| e.into_inner());
            match &q.1 {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => q.1 = Some(cx.waker().clone()),
            }
            std::mem::take(&mut q.0)
        };
        for idx in woken {
            let slot = &mut self.slots[idx];
            slot.waker.queued.store(false, Ordering::Release);
            let Some(task) = slot.task.as_mut() else {
                continue; // finished; a late wakeup of its slot
            };
            let waker = Waker::from(Arc::clone(&slot.waker));
            if task
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                slot.task = None;
                self.free.push(idx);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Poll;

    /// A future that is ready once its flag is set, waking whoever waits when it is.
    #[derive(Default)]
    struct Gate {
        open: AtomicBool,
        waker: Mutex<Option<Waker>>,
        polls: std::sync::atomic::AtomicUsize,
    }

    impl Gate {
        fn open(&self) {
            self.open.store(true, Ordering::Release);
            if let Some(w) = self.waker.lock().unwrap().take() {
                w.wake();
            }
        }

        async fn wait(&self) {
            std::future::poll_fn(|cx| {
                self.polls.fetch_add(1, Ordering::Relaxed);
                if self.open.load(Ordering::Acquire) {
                    return Poll::Ready(());
                }
                *self.waker.lock().unwrap() = Some(cx.waker().clone());
                Poll::Pending
            })
            .await
        }
    }

    #[derive(Default)]
    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_wakeup_polls_only_the_future_it_concerns() {
        let gates: Vec<Arc<Gate>> = (0..4).map(|_| Arc::default()).collect();
        let wait = |g: &Arc<Gate>| {
            let g = Arc::clone(g);
            async move { g.wait().await }
        };
        let mut set = TaskSet::new();
        for g in &gates[..3] {
            set.push(wait(g));
        }
        let parent = Arc::new(Count::default());
        let waker = Waker::from(Arc::clone(&parent));
        let mut cx = Context::from_waker(&waker);
        set.poll(&mut cx);
        assert_eq!(set.len(), 3);
        let polls = |g: &Gate| g.polls.load(Ordering::Relaxed);
        assert!(gates[..3].iter().all(|g| polls(g) == 1));

        gates[1].open();
        assert_eq!(
            parent.0.load(Ordering::Relaxed),
            1,
            "the set's poller is woken"
        );
        set.poll(&mut cx);
        assert_eq!(set.len(), 2);
        assert_eq!(
            gates.iter().map(|g| polls(g)).collect::<Vec<_>>(),
            [1, 2, 1, 0]
        );

        // A freed slot is reused; nothing is polled without a wakeup.
        set.poll(&mut cx);
        assert_eq!(gates.iter().map(|g| polls(g)).sum::<usize>(), 4);
        gates[3].open();
        set.push(wait(&gates[3]));
        set.poll(&mut cx);
        assert_eq!(set.len(), 2);
        assert_eq!(set.slots.len(), 3);
    }
}
