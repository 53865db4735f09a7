//! A timer that needs no runtime: one thread, started on first use, wakes the tasks whose
//! deadlines have passed.
//!
//! pipeframe's own waits on tokio (a client retrying a busy or missing pipe, an accept loop
//! pausing after an error) sleep on this, not on `tokio::time`: making a tokio `Sleep` in a
//! runtime built without `enable_time` panics, and tokio offers no way to ask beforehand, so
//! the only alternatives were a panic (fatal under `panic = "abort"`) or catching it. These
//! waits are a few milliseconds each and need no precision beyond the system's thread
//! wakeups.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Waits until `d` from now.
pub(crate) fn sleep(d: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now().checked_add(d),
        id: None,
    }
}

/// The future of [`sleep`]. Dropping it cancels the wait.
#[derive(Debug)]
pub(crate) struct Sleep {
    /// `None`: too far in the future to represent; never fires.
    deadline: Option<Instant>,
    /// The registration with the timer thread, once polled.
    id: Option<u64>,
}

struct Timer {
    state: Mutex<State>,
    changed: Condvar,
    /// Whether the thread runs (`false`: it could not be started, and sleeps poll instead).
    running: bool,
}

#[derive(Default)]
struct State {
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: HashMap<u64, Waker>,
    next_id: u64,
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let running = std::thread::Builder::new()
            .name("pipeframe-timer".into())
            .spawn(|| run(timer()))
            .is_ok();
        Timer {
            state: Mutex::default(),
            changed: Condvar::new(),
            running,
        }
    })
}

fn lock(t: &Timer) -> MutexGuard<'_, State> {
    t.state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The timer thread: wakes every registered task whose deadline has passed, then sleeps until
/// the next deadline or a new, earlier one.
fn run(t: &'static Timer) {
    let mut state = lock(t);
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(&Reverse((at, id))) = state.deadlines.peek() {
            if at > now {
                break;
            }
            state.deadlines.pop();
            due.extend(state.wakers.remove(&id));
        }
        if !due.is_empty() {
            drop(state);
            due.into_iter().for_each(Waker::wake);
            state = lock(t);
            continue;
        }
        state = match state.deadlines.peek() {
            Some(&Reverse((at, _))) => {
                let wait = at.saturating_duration_since(now);
                t.changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => t.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
        };
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        if Instant::now() >= deadline {
            self.cancel();
            return Poll::Ready(());
        }
        let t = timer();
        if !t.running {
            // No thread to wake us: ask to be polled again.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut state = lock(t);
        match self.id {
            Some(id) => {
                match state.wakers.get_mut(&id) {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    Some(w) => *w = cx.waker().clone(),
                    // The thread removed it: the deadline has passed.
                    None => {
                        drop(state);
                        self.id = None;
                        return Poll::Ready(());
                    }
                }
            }
            None => {
                let id = state.next_id;
                state.next_id += 1;
                let earliest = state
                    .deadlines
                    .peek()
                    .is_none_or(|&Reverse((at, _))| deadline < at);
                state.deadlines.push(Reverse((deadline, id)));
                state.wakers.insert(id, cx.waker().clone());
                drop(state);
                self.id = Some(id);
                if earliest {
                    t.changed.notify_one();
                }
            }
        }
        Poll::Pending
    }
}

impl Sleep {
    fn cancel(&mut self) {
        if let Some(id) = self.id.take() {
            // The deadline stays in the heap until it passes; with no waker it wakes nobody.
            lock(timer()).wakers.remove(&id);
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Who was woken when (a sleep's length in ms, the instant), and a signal for each.
    type Log = std::sync::Arc<(Mutex<Vec<(u64, Instant)>>, Condvar)>;

    /// A waker that notes, in `log`, when the timer thread wakes the sleep of `tag` ms.
    struct Note {
        tag: u64,
        log: Log,
    }

    impl std::task::Wake for Note {
        fn wake(self: std::sync::Arc<Self>) {
            let (log, changed) = &*self.log;
            log.lock().unwrap().push((self.tag, Instant::now()));
            changed.notify_all();
        }
    }

    /// Two sleeps, registered with the timer thread latest deadline first: it wakes them in
    /// deadline order, each at or after its deadline, whenever it gets to run (late, it wakes
    /// both in one pass, still in that order); then both are ready.
    #[test]
    fn sleeps_end_in_deadline_order_without_a_runtime() {
        let log: Log = std::sync::Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let waker = |tag| {
            Waker::from(std::sync::Arc::new(Note {
                tag,
                log: log.clone(),
            }))
        };
        let (start, mut a, mut b) = (0..100)
            .find_map(|_| {
                let start = Instant::now();
                let mut a = Box::pin(sleep(Duration::from_millis(30)));
                let mut b = Box::pin(sleep(Duration::from_millis(10)));
                let a_ready = a.as_mut().poll(&mut Context::from_waker(&waker(30)));
                let b_ready = b.as_mut().poll(&mut Context::from_waker(&waker(10)));
                // Ready at once: this thread stood still past a deadline before the sleep could
                // register, and the timer has nothing to order. Try again.
                (a_ready.is_pending() && b_ready.is_pending()).then_some((start, a, b))
            })
            .expect("100 tries, and never both sleeps registered before their deadlines");
        let (noted, changed) = &*log;
        let (noted, timeout) = changed
            .wait_timeout_while(noted.lock().unwrap(), Duration::from_secs(30), |n| {
                n.len() < 2
            })
            .unwrap();
        assert!(!timeout.timed_out(), "woken: {:?}", *noted);
        let order: Vec<u64> = noted.iter().map(|&(tag, _)| tag).collect();
        assert_eq!(order, [10, 30]);
        for &(tag, at) in noted.iter() {
            assert!(
                at >= start + Duration::from_millis(tag),
                "the {tag} ms sleep was woken early"
            );
        }
        drop(noted);
        let noop = Waker::noop();
        assert!(a.as_mut().poll(&mut Context::from_waker(noop)).is_ready());
        assert!(b.as_mut().poll(&mut Context::from_waker(noop)).is_ready());
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn a_dropped_sleep_is_forgotten() {
        let mut s = Box::pin(sleep(Duration::from_secs(3600)));
        let waker = Waker::noop();
        assert!(
            s.as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        let id = s.id.unwrap();
        drop(s);
        assert!(!lock(timer()).wakers.contains_key(&id));
    }
}
