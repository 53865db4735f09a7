//! Async seqpacket connect never blocks the executor, even while the listener's backlog is
//! full (where a blocking connect blocks).
#![cfg(all(target_os = "linux", any(feature = "tokio", feature = "futures-io")))]

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pipeframe::message::SeqpacketListener;

/// The ticker's period.
const TICK: Duration = Duration::from_millis(10);
/// The ticks the executor must make while the connect waits, before the backlog is freed.
const TICKS: usize = 10;
/// The bound for failing: how long the test waits for any one thing it expects.
const LIMIT: Duration = Duration::from_secs(60);

/// Fills `path`'s backlog: non-blocking connects until the kernel refuses one with `EAGAIN`,
/// which is its word that the backlog is full. Returns the queued sockets, to keep.
fn fill_backlog(path: &Path) -> Vec<OwnedFd> {
    use rustix::io::Errno;
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let addr = SocketAddrUnix::new(path).unwrap();
    let mut queued = Vec::new();
    loop {
        let fd = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => queued.push(fd),
            Err(Errno::AGAIN) => return queued,
            Err(e) => panic!("filling the backlog: {e}"),
        }
        assert!(queued.len() < 100_000, "the backlog never filled");
    }
}

/// What the thread running the async connect reports.
enum Seen {
    /// The executor ticked while the connect was waiting.
    Tick,
    /// The connect got through; the ticks seen while it waited.
    Connected(usize),
}

/// Runs the async connect (`run`, given the path and where to report each tick seen while
/// connecting; it returns the ticks) on its own thread with the backlog full. The backlog is
/// freed once the executor has ticked [`TICKS`] times while the connect waits; an executor that
/// the connect blocked never ticks, and the test fails at the [`LIMIT`].
fn connect_while_backlog_full(
    run: impl FnOnce(PathBuf, mpsc::Sender<Seen>) -> usize + Send + 'static,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.sock");
    let listener = SeqpacketListener::bind(&path).unwrap();
    let queued = fill_backlog(&path);
    let (tx, rx) = mpsc::channel();
    let p = path.clone();
    std::thread::spawn(move || {
        let ticks = run(p, tx.clone());
        let _ = tx.send(Seen::Connected(ticks));
    });
    let mut seen = 0;
    while seen < TICKS {
        match rx.recv_timeout(LIMIT) {
            Ok(Seen::Tick) => seen += 1,
            Ok(Seen::Connected(t)) => panic!(
                "the connect got through while the backlog was full ({} queued), after {t} ticks",
                queued.len()
            ),
            Err(_) => panic!(
                "the executor ticked {seen} times in {LIMIT:?} while connect waited: it was blocked"
            ),
        }
    }
    // Free the backlog until the async connect gets through.
    listener.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let ticks = loop {
        while listener.accept().is_ok() {}
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(Seen::Connected(t)) => break t,
            Ok(Seen::Tick) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(e) => panic!("the connecting thread ended without a result: {e}"),
        }
        assert!(start.elapsed() < LIMIT, "the async connect never finished");
    };
    assert!(
        ticks >= TICKS,
        "the executor ticked {ticks} times while connect waited: it was blocked"
    );
    drop(queued);
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_connect_waits_for_a_full_backlog_without_blocking_the_executor() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    connect_while_backlog_full(|path, seen| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let connecting = Arc::new(AtomicBool::new(false));
            let ticks = Arc::new(AtomicUsize::new(0));
            let (c, t) = (Arc::clone(&connecting), Arc::clone(&ticks));
            let ticker = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(TICK).await;
                    if c.load(Ordering::SeqCst) {
                        t.fetch_add(1, Ordering::SeqCst);
                        let _ = seen.send(Seen::Tick);
                    }
                }
            });
            tokio::task::yield_now().await; // the ticker starts before connect
            connecting.store(true, Ordering::SeqCst);
            let s = pipeframe::message::tokio::SeqpacketStream::connect(&path)
                .await
                .unwrap();
            connecting.store(false, Ordering::SeqCst);
            ticker.abort();
            assert!(s.max_frame_len() > 0);
            ticks.load(Ordering::SeqCst)
        })
    });
}

#[cfg(feature = "futures-io")]
#[test]
fn smol_connect_waits_for_a_full_backlog_without_blocking_the_executor() {
    use std::cell::Cell;
    use std::rc::Rc;
    connect_while_backlog_full(|path, seen| {
        let ex = smol::LocalExecutor::new();
        let connecting = Rc::new(Cell::new(false));
        let ticks = Rc::new(Cell::new(0usize));
        let (c, t) = (Rc::clone(&connecting), Rc::clone(&ticks));
        let _ticker = ex.spawn(async move {
            loop {
                smol::Timer::after(TICK).await;
                if c.get() {
                    t.set(t.get() + 1);
                    let _ = seen.send(Seen::Tick);
                }
            }
        });
        smol::block_on(ex.run(async {
            smol::future::yield_now().await;
            connecting.set(true);
            let s = pipeframe::message::futures_io::SeqpacketStream::connect(&path)
                .await
                .unwrap();
            connecting.set(false);
            assert!(s.max_frame_len() > 0);
        }));
        ticks.get()
    });
}

#[cfg(feature = "tokio")]
#[test]
fn connect_to_nobody_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody.sock");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = rt
        .block_on(pipeframe::message::tokio::SeqpacketStream::connect(&path))
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert!(e.to_string().contains("nobody.sock"), "{e}");
}
