//! Async seqpacket connect never blocks the executor, even while the listener's backlog is
//! full (where a blocking connect blocks).
#![cfg(all(target_os = "linux", any(feature = "tokio", feature = "futures-io")))]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pipeframe::message::{SeqpacketListener, SeqpacketStream};

/// How long the backlog stays full while the async connect waits.
const FULL_FOR: Duration = Duration::from_millis(400);
/// The ticker's period: during `FULL_FOR` a free executor ticks about 40 times.
const TICK: Duration = Duration::from_millis(10);

/// Fills `path`'s backlog: a thread connects (blocking) until a connect blocks, which is when
/// the backlog is full. Returns once the count has stopped growing.
fn fill_backlog(path: &Path) {
    let count = Arc::new(AtomicUsize::new(0));
    let (p, c) = (path.to_path_buf(), Arc::clone(&count));
    std::thread::spawn(move || {
        let mut keep = Vec::new();
        while let Ok(s) = SeqpacketStream::connect(&p) {
            keep.push(s);
            c.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut last = usize::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(150));
        let now = count.load(Ordering::SeqCst);
        if now == last && now > 0 {
            return;
        }
        last = now;
    }
}

/// Runs the async connect (`run`, given the path and a tick counter, returns the ticks seen
/// while connecting) on its own thread with the backlog full, frees the backlog after
/// [`FULL_FOR`], and checks that the executor kept ticking meanwhile.
fn connect_while_backlog_full(run: impl FnOnce(PathBuf) -> usize + Send + 'static) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.sock");
    let listener = SeqpacketListener::bind(&path).unwrap();
    fill_backlog(&path);
    let (tx, rx) = mpsc::channel();
    let p = path.clone();
    std::thread::spawn(move || tx.send(run(p)).unwrap());
    std::thread::sleep(FULL_FOR);
    // Free the backlog until the async connect gets through.
    listener.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let ticks = loop {
        while listener.accept().is_ok() {}
        if let Ok(t) = rx.recv_timeout(Duration::from_millis(5)) {
            break t;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the async connect never finished"
        );
    };
    assert!(
        ticks >= 10,
        "the executor ticked {ticks} times in {FULL_FOR:?} while connect waited: it was blocked"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_connect_waits_for_a_full_backlog_without_blocking_the_executor() {
    connect_while_backlog_full(|path| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let ticks = Arc::new(AtomicUsize::new(0));
            let t = Arc::clone(&ticks);
            let ticker = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(TICK).await;
                    t.fetch_add(1, Ordering::SeqCst);
                }
            });
            tokio::task::yield_now().await; // the ticker starts before connect
            let s = pipeframe::message::tokio::SeqpacketStream::connect(&path)
                .await
                .unwrap();
            ticker.abort();
            assert!(s.max_frame_len() > 0);
            ticks.load(Ordering::SeqCst)
        })
    });
}

#[cfg(feature = "futures-io")]
#[test]
fn smol_connect_waits_for_a_full_backlog_without_blocking_the_executor() {
    connect_while_backlog_full(|path| {
        let ex = smol::LocalExecutor::new();
        let ticks = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let t = std::rc::Rc::clone(&ticks);
        let _ticker = ex.spawn(async move {
            loop {
                smol::Timer::after(TICK).await;
                t.set(t.get() + 1);
            }
        });
        smol::block_on(ex.run(async {
            smol::future::yield_now().await;
            let s = pipeframe::message::futures_io::SeqpacketStream::connect(&path)
                .await
                .unwrap();
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
