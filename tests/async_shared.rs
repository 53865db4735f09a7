//! `&self` async methods awaited from several tasks at once: every waiter must be woken.
//!
//! Each test parks N tasks on one shared object first (a listener's `accept`, a full
//! socket's `write_frame`), and only then makes it ready N times. A readiness wait that keeps
//! one waker (tokio's `AsyncFd::poll_read_ready`, async-io's `Async::poll_readable`) wakes only
//! the last task to poll; the others hang, and the generous timeout fails the test. "Parked" is
//! watched, not waited for: each task's waker is wrapped, so a task counts as parked from the
//! `Pending` it returned until something wakes it.
#![cfg(all(unix, any(feature = "tokio", feature = "futures-io")))]

use std::future::Future;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// How many tasks share one object.
const TASKS: usize = 8;
/// Long enough for a loaded 2-core machine, short enough that a hang fails quickly.
const LIMIT: Duration = Duration::from_secs(20);
/// Frames each writer task sends in the write tests.
const FRAMES_PER_TASK: usize = 20;

/// How far the tasks of one test have come: how many are parked or finished, and how often
/// they were polled.
#[derive(Default)]
struct Settled {
    settled: AtomicUsize,
    polls: AtomicUsize,
    /// The task waiting for them all ([`Settled::all`]).
    waiter: Mutex<Option<Waker>>,
}

impl Settled {
    fn add(&self, n: isize) {
        if n > 0 {
            self.settled.fetch_add(1, Ordering::SeqCst);
            if let Some(w) = self.waiter.lock().unwrap().take() {
                w.wake();
            }
        } else {
            self.settled.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Ready once `n` tasks are parked or finished at the same moment.
    async fn all(&self, n: usize) {
        std::future::poll_fn(|cx| {
            *self.waiter.lock().unwrap() = Some(cx.waker().clone());
            if self.settled.load(Ordering::SeqCst) >= n {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

const POLLING: u8 = 0;
const PARKED: u8 = 1;
const WOKEN: u8 = 2;
const DONE: u8 = 3;

/// One task's state, shared with the waker it was last polled with.
struct Track {
    state: AtomicU8,
    settled: Arc<Settled>,
}

/// The waker a tracked task is polled with: a wake ends its parking, then wakes the task.
struct TrackWaker {
    inner: Waker,
    track: Arc<Track>,
}

impl Wake for TrackWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.track.state.swap(WOKEN, Ordering::SeqCst) == PARKED {
            self.track.settled.add(-1);
        }
        self.inner.wake_by_ref();
    }
}

/// `f`, tracked in `settled`: parked from each `Pending` it returns until it is woken (a wake
/// during the poll itself does not park it), settled for good once it returns.
fn tracked<F: Future>(settled: &Arc<Settled>, f: F) -> impl Future<Output = F::Output> + use<F> {
    let track = Arc::new(Track {
        state: AtomicU8::new(WOKEN),
        settled: Arc::clone(settled),
    });
    let mut f = Box::pin(f);
    // Kept while the task's own waker stays the same, so that `will_wake` holds across polls
    // as it would without the wrapping.
    let mut cached: Option<(Waker, Waker)> = None;
    std::future::poll_fn(move |cx| {
        track.settled.polls.fetch_add(1, Ordering::SeqCst);
        if track.state.swap(POLLING, Ordering::SeqCst) == PARKED {
            track.settled.add(-1); // polled without a wake
        }
        let waker = match &cached {
            Some((inner, ours)) if inner.will_wake(cx.waker()) => ours.clone(),
            _ => {
                let ours = Waker::from(Arc::new(TrackWaker {
                    inner: cx.waker().clone(),
                    track: Arc::clone(&track),
                }));
                cached = Some((cx.waker().clone(), ours.clone()));
                ours
            }
        };
        let res = f.as_mut().poll(&mut Context::from_waker(&waker));
        let next = if res.is_ready() { DONE } else { PARKED };
        if track
            .state
            .compare_exchange(POLLING, next, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            track.settled.add(1);
        }
        res
    })
}

/// Connects `TASKS` blocking clients to `path`, keeping them open.
fn connect_clients(path: &Path) -> Vec<UnixStream> {
    (0..TASKS)
        .map(|_| UnixStream::connect(path).expect("client connect"))
        .collect()
}

#[cfg(target_os = "linux")]
fn connect_seqpacket_clients(path: &Path) -> Vec<pipeframe::message::SeqpacketStream> {
    (0..TASKS)
        .map(|_| pipeframe::message::SeqpacketStream::connect(path).expect("client connect"))
        .collect()
}

#[cfg(feature = "tokio")]
mod tokio_flavour {
    use std::future::Future;
    use std::sync::Arc;

    use super::*;
    use pipeframe::named::PipeName;
    use pipeframe::named::tokio::Listener;

    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn multi_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    /// Runs `tasks` spawned, waits until every one is parked (or done), runs `make_ready`,
    /// then waits for all of them under [`LIMIT`].
    async fn all_finish<F, T>(tasks: Vec<F>, make_ready: impl FnOnce() -> T) -> T
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let settled = Arc::new(Settled::default());
        let n = tasks.len();
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|t| tokio::spawn(tracked(&settled, t)))
            .collect();
        let parked = tokio::time::timeout(LIMIT, settled.all(n)).await;
        assert!(
            parked.is_ok(),
            "the {n} tasks were never all parked at once within {LIMIT:?}"
        );
        let keep = make_ready();
        let joined = tokio::time::timeout(LIMIT, async {
            for h in handles {
                h.await.unwrap();
            }
        })
        .await;
        assert!(
            joined.is_ok(),
            "some tasks never returned within {LIMIT:?}: a lost wakeup"
        );
        keep
    }

    fn named_accepts(rt: tokio::runtime::Runtime) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.sock");
        rt.block_on(async {
            let listener = Arc::new(Listener::bind(&PipeName::from_path(&path)).unwrap());
            let tasks = (0..TASKS)
                .map(|_| {
                    let l = Arc::clone(&listener);
                    async move {
                        l.accept().await.expect("accept");
                    }
                })
                .collect();
            all_finish(tasks, || connect_clients(&path)).await;
        });
    }

    #[test]
    fn named_listener_shared_by_tasks_accepts_every_client_current_thread() {
        named_accepts(current_thread());
    }

    #[test]
    fn named_listener_shared_by_tasks_accepts_every_client_multi_thread() {
        named_accepts(multi_thread());
    }

    #[cfg(target_os = "linux")]
    fn seqpacket_accepts(rt: tokio::runtime::Runtime) {
        use pipeframe::message::tokio::SeqpacketListener;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seq.sock");
        rt.block_on(async {
            let listener = Arc::new(SeqpacketListener::bind(&path).unwrap());
            let tasks = (0..TASKS)
                .map(|_| {
                    let l = Arc::clone(&listener);
                    async move {
                        l.accept().await.expect("accept");
                    }
                })
                .collect();
            all_finish(tasks, || connect_seqpacket_clients(&path)).await;
        });
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_listener_shared_by_tasks_accepts_every_client_current_thread() {
        seqpacket_accepts(current_thread());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_listener_shared_by_tasks_accepts_every_client_multi_thread() {
        seqpacket_accepts(multi_thread());
    }

    /// N tasks write through one `Arc`'d seqpacket stream whose peer starts reading only
    /// once they are all parked on the full socket.
    #[cfg(target_os = "linux")]
    fn seqpacket_writes(rt: tokio::runtime::Runtime) {
        use pipeframe::message::tokio::SeqpacketStream;
        rt.block_on(async {
            let (a, mut b) = SeqpacketStream::pair().unwrap();
            let a = Arc::new(a);
            let tasks = (0..TASKS)
                .map(|i| {
                    let a = Arc::clone(&a);
                    async move {
                        for _ in 0..FRAMES_PER_TASK {
                            a.write_frame(&vec![i as u8; 50_000]).await.expect("write");
                        }
                    }
                })
                .collect();
            // The reader starts once every writer waits on the full socket.
            let reader = all_finish(tasks, move || {
                tokio::spawn(async move {
                    let mut n = 0;
                    while n < TASKS * FRAMES_PER_TASK {
                        b.read_frame().await.unwrap().expect("a frame");
                        n += 1;
                    }
                    n
                })
            })
            .await;
            assert_eq!(reader.await.unwrap(), TASKS * FRAMES_PER_TASK);
        });
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_stream_shared_by_writer_tasks_sends_every_frame_current_thread() {
        seqpacket_writes(current_thread());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_stream_shared_by_writer_tasks_sends_every_frame_multi_thread() {
        seqpacket_writes(multi_thread());
    }

    /// N tasks write through one `Arc`'d packet pipe writer; the reader starts late.
    #[cfg(target_os = "linux")]
    #[test]
    fn packet_writer_shared_by_tasks_sends_every_packet() {
        use pipeframe::message::tokio::packet_pipe;
        current_thread().block_on(async {
            let (mut r, w) = packet_pipe().unwrap();
            let w = Arc::new(w);
            let per_task = 40; // 8 tasks x 40 x 4 KiB: far more than the pipe holds
            let tasks = (0..TASKS)
                .map(|i| {
                    let w = Arc::clone(&w);
                    async move {
                        for _ in 0..per_task {
                            w.write_frame(&[i as u8; 4096]).await.expect("write");
                        }
                    }
                })
                .collect();
            // The reader starts once every writer waits on the full pipe (or is done).
            let reader = all_finish(tasks, move || {
                tokio::spawn(async move {
                    for _ in 0..TASKS * per_task {
                        r.read_frame().await.unwrap().expect("a packet");
                    }
                })
            })
            .await;
            reader.await.unwrap();
        });
    }
}

#[cfg(feature = "futures-io")]
mod smol_flavour {
    use std::future::Future;
    use std::pin::Pin;
    use std::rc::Rc;

    use super::*;
    use pipeframe::named::PipeName;
    use pipeframe::named::futures_io::Listener;

    /// Spawns `tasks` on a local executor, waits until every one is parked (or done), runs
    /// `make_ready` and spawns what it returns, then waits for all of them under [`LIMIT`].
    ///
    /// async-io's `poll_readable` does not lose the replaced waker, it wakes it: tasks
    /// sharing one wait would wake each other in a loop, burning CPU while nothing happens, and
    /// would never all be parked at once. So parking must come, and after a few polls each.
    fn all_finish<F: Future<Output = ()> + 'static>(
        ex: &smol::LocalExecutor<'static>,
        tasks: Vec<F>,
        make_ready: impl FnOnce() -> Vec<Pin<Box<dyn Future<Output = ()>>>>,
    ) {
        let settled = Arc::new(Settled::default());
        let n = tasks.len();
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|t| ex.spawn(tracked(&settled, t)))
            .collect();
        let joined = smol::block_on(ex.run(async {
            let parked = within(settled.all(n)).await;
            let polls = settled.polls.load(Ordering::SeqCst);
            assert!(
                parked,
                "the {n} tasks were never all parked at once within {LIMIT:?} ({polls} polls): \
                 they wake each other in a loop, or hang"
            );
            assert!(
                polls <= 4 * n,
                "{n} waiting tasks were polled {polls} times before all waited: \
                 they wake each other in a loop"
            );
            let more: Vec<_> = make_ready().into_iter().map(|f| ex.spawn(f)).collect();
            within(async {
                for h in handles.into_iter().chain(more) {
                    h.await;
                }
            })
            .await
        }));
        assert!(
            joined,
            "some tasks never returned within {LIMIT:?}: a lost wakeup"
        );
    }

    /// `true` if `f` ends within [`LIMIT`].
    async fn within(f: impl Future<Output = ()>) -> bool {
        futures_lite::future::or(
            async {
                f.await;
                true
            },
            async {
                smol::Timer::after(LIMIT).await;
                false
            },
        )
        .await
    }

    #[test]
    fn named_listener_shared_by_tasks_accepts_every_client() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smol.sock");
        let ex = smol::LocalExecutor::new();
        let listener = Rc::new(Listener::bind(&PipeName::from_path(&path)).unwrap());
        let tasks = (0..TASKS)
            .map(|_| {
                let l = Rc::clone(&listener);
                async move {
                    l.accept().await.expect("accept");
                }
            })
            .collect();
        let mut clients = Vec::new();
        all_finish(&ex, tasks, || {
            clients = connect_clients(&path);
            Vec::new()
        });
        assert_eq!(clients.len(), TASKS);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_listener_shared_by_tasks_accepts_every_client() {
        use pipeframe::message::futures_io::SeqpacketListener;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seq.sock");
        let ex = smol::LocalExecutor::new();
        let listener = Rc::new(SeqpacketListener::bind(&path).unwrap());
        let tasks = (0..TASKS)
            .map(|_| {
                let l = Rc::clone(&listener);
                async move {
                    l.accept().await.expect("accept");
                }
            })
            .collect();
        let mut clients = Vec::new();
        all_finish(&ex, tasks, || {
            clients = connect_seqpacket_clients(&path);
            Vec::new()
        });
        assert_eq!(clients.len(), TASKS);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_stream_shared_by_writer_tasks_sends_every_frame() {
        use pipeframe::message::futures_io::SeqpacketStream;
        let ex = smol::LocalExecutor::new();
        let (a, mut b) = SeqpacketStream::pair().unwrap();
        let a = Rc::new(a);
        let tasks: Vec<Pin<Box<dyn Future<Output = ()>>>> = (0..TASKS)
            .map(|i| {
                let a = Rc::clone(&a);
                Box::pin(async move {
                    for _ in 0..FRAMES_PER_TASK {
                        a.write_frame(&vec![i as u8; 50_000]).await.expect("write");
                    }
                }) as _
            })
            .collect();
        // The reader starts once every writer waits on the full socket.
        all_finish(&ex, tasks, move || {
            vec![Box::pin(async move {
                for _ in 0..TASKS * FRAMES_PER_TASK {
                    b.read_frame().await.unwrap().expect("a frame");
                }
            })]
        });
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn packet_writer_shared_by_tasks_sends_every_packet() {
        use pipeframe::message::futures_io::packet_pipe;
        let ex = smol::LocalExecutor::new();
        let (mut r, w) = packet_pipe().unwrap();
        let w = Rc::new(w);
        let per_task = 40;
        let tasks: Vec<Pin<Box<dyn Future<Output = ()>>>> = (0..TASKS)
            .map(|i| {
                let w = Rc::clone(&w);
                Box::pin(async move {
                    for _ in 0..per_task {
                        w.write_frame(&[i as u8; 4096]).await.expect("write");
                    }
                }) as _
            })
            .collect();
        // The reader starts once every writer waits on the full pipe (or is done).
        all_finish(&ex, tasks, move || {
            vec![Box::pin(async move {
                for _ in 0..TASKS * per_task {
                    r.read_frame().await.unwrap().expect("a packet");
                }
            })]
        });
    }
}
