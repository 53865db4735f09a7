//! `&self` async methods awaited from several tasks at once: every waiter must be woken.
//!
//! Each test parks N tasks on one shared object first (a listener's `accept`, a full
//! socket's `write_frame`), and only then makes it ready N times. A readiness wait that keeps
//! one waker (tokio's `AsyncFd::poll_read_ready`, async-io's `Async::poll_readable`) wakes only
//! the last task to poll; the others hang, and the generous timeout fails the test.
#![cfg(all(unix, any(feature = "tokio", feature = "futures-io")))]

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How many tasks share one object.
const TASKS: usize = 8;
/// Long enough for a loaded 2-core machine, short enough that a hang fails quickly.
const LIMIT: Duration = Duration::from_secs(20);
/// Time for every task to reach its wait before the object becomes ready.
const SETTLE: Duration = Duration::from_millis(200);
/// Frames each writer task sends in the write tests.
const FRAMES_PER_TASK: usize = 20;

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

    /// Runs `tasks` spawned, lets them settle, runs `make_ready`, then waits for all of them
    /// under [`LIMIT`].
    async fn all_finish<F, T>(tasks: Vec<F>, make_ready: impl FnOnce() -> T) -> T
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
        tokio::time::sleep(SETTLE).await;
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
    /// after they are all blocked on a full socket.
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
            let reader = tokio::spawn(async move {
                tokio::time::sleep(SETTLE).await;
                let mut n = 0;
                while n < TASKS * FRAMES_PER_TASK {
                    b.read_frame().await.unwrap().expect("a frame");
                    n += 1;
                }
                n
            });
            all_finish(tasks, || ()).await;
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
            let reader = tokio::spawn(async move {
                tokio::time::sleep(SETTLE).await;
                for _ in 0..TASKS * per_task {
                    r.read_frame().await.unwrap().expect("a packet");
                }
            });
            all_finish(tasks, || ()).await;
            reader.await.unwrap();
        });
    }
}

#[cfg(feature = "futures-io")]
mod smol_flavour {
    use std::cell::Cell;
    use std::future::Future;
    use std::rc::Rc;

    use super::*;
    use pipeframe::named::PipeName;
    use pipeframe::named::futures_io::Listener;

    /// Spawns `tasks` on a local executor, lets them settle, runs `make_ready`, then waits for
    /// all of them under [`LIMIT`].
    ///
    /// async-io's `poll_readable` does not lose the replaced waker, it wakes it: tasks
    /// sharing one wait would wake each other in a loop, burning CPU while nothing happens.
    /// So while they settle, each task may be polled only a few times.
    fn all_finish<F: Future<Output = ()> + 'static>(
        ex: &smol::LocalExecutor<'static>,
        tasks: Vec<F>,
        make_ready: impl FnOnce(),
    ) {
        let polls = Rc::new(Cell::new(0usize));
        let n = tasks.len();
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|t| {
                let polls = Rc::clone(&polls);
                let mut t = Box::pin(t);
                ex.spawn(std::future::poll_fn(move |cx| {
                    polls.set(polls.get() + 1);
                    t.as_mut().poll(cx)
                }))
            })
            .collect();
        let joined = smol::block_on(ex.run(async {
            smol::Timer::after(SETTLE).await;
            let idle_polls = polls.get();
            assert!(
                idle_polls <= 4 * n,
                "{n} waiting tasks were polled {idle_polls} times while nothing happened: \
                 they wake each other in a loop"
            );
            make_ready();
            futures_lite::future::or(
                async {
                    for h in handles {
                        h.await;
                    }
                    true
                },
                async {
                    smol::Timer::after(LIMIT).await;
                    false
                },
            )
            .await
        }));
        assert!(
            joined,
            "some tasks never returned within {LIMIT:?}: a lost wakeup"
        );
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
        all_finish(&ex, tasks, || clients = connect_clients(&path));
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
        all_finish(&ex, tasks, || clients = connect_seqpacket_clients(&path));
        assert_eq!(clients.len(), TASKS);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn seqpacket_stream_shared_by_writer_tasks_sends_every_frame() {
        use pipeframe::message::futures_io::SeqpacketStream;
        let ex = smol::LocalExecutor::new();
        let (a, mut b) = SeqpacketStream::pair().unwrap();
        let a = Rc::new(a);
        let mut tasks: Vec<std::pin::Pin<Box<dyn Future<Output = ()>>>> = (0..TASKS)
            .map(|i| {
                let a = Rc::clone(&a);
                Box::pin(async move {
                    for _ in 0..FRAMES_PER_TASK {
                        a.write_frame(&vec![i as u8; 50_000]).await.expect("write");
                    }
                }) as _
            })
            .collect();
        tasks.push(Box::pin(async move {
            smol::Timer::after(SETTLE).await;
            for _ in 0..TASKS * FRAMES_PER_TASK {
                b.read_frame().await.unwrap().expect("a frame");
            }
        }));
        all_finish(&ex, tasks, || ());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn packet_writer_shared_by_tasks_sends_every_packet() {
        use pipeframe::message::futures_io::packet_pipe;
        let ex = smol::LocalExecutor::new();
        let (mut r, w) = packet_pipe().unwrap();
        let w = Rc::new(w);
        let per_task = 40;
        let mut tasks: Vec<std::pin::Pin<Box<dyn Future<Output = ()>>>> = (0..TASKS)
            .map(|i| {
                let w = Rc::clone(&w);
                Box::pin(async move {
                    for _ in 0..per_task {
                        w.write_frame(&[i as u8; 4096]).await.expect("write");
                    }
                }) as _
            })
            .collect();
        tasks.push(Box::pin(async move {
            smol::Timer::after(SETTLE).await;
            for _ in 0..TASKS * per_task {
                r.read_frame().await.unwrap().expect("a packet");
            }
        }));
        all_finish(&ex, tasks, || ());
    }
}
