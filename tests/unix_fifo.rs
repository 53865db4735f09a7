//! FIFOs: create, open with each wait policy, frames across processes.
#![cfg(unix)]

use std::io::{self, Read};
use std::process::Command;
use std::time::Duration;

use pipeframe::codec::Delimited;
use pipeframe::fifo::{self, Wait};
use pipeframe::sync::{FrameReader, FrameWriter};

#[test]
fn frames_from_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines");
    fifo::create(&path, 0o600).unwrap();
    let mut writer = Command::new("python3")
        .arg("-c")
        .arg("import sys\nwith open(sys.argv[1], 'w') as f:\n    for i in range(1000): f.write(f'line {i}\\n')")
        .arg(&path)
        .spawn()
        .unwrap();
    let file = fifo::open_reader(&path, Wait::Timeout(Duration::from_secs(30))).unwrap();
    let mut r = FrameReader::new(file, Delimited::lines());
    for i in 0..1000 {
        assert_eq!(
            r.read_frame().unwrap().unwrap(),
            format!("line {i}").as_bytes()
        );
    }
    assert_eq!(
        r.read_frame().unwrap(),
        None,
        "end of stream once the writer closed"
    );
    assert!(writer.wait().unwrap().success());
}

#[test]
fn frames_to_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("to-python");
    fifo::create(&path, 0o600).unwrap();
    let reader = Command::new("python3")
        .arg("-c")
        .arg("import sys\nprint(sum(1 for _ in open(sys.argv[1])))")
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let file = fifo::open_writer(&path, Wait::Block).unwrap();
    let mut w = FrameWriter::new(file, Delimited::lines());
    for i in 0..500 {
        w.write_frame(format!("frame {i}").as_bytes()).unwrap();
    }
    drop(w.finish().unwrap());
    let out = reader.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "500");
}

#[test]
fn writer_without_reader_times_out_or_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody-reads");
    fifo::create(&path, 0o600).unwrap();
    let e = fifo::open_writer(&path, Wait::NonBlocking).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotConnected);
    assert!(e.to_string().contains(path.to_str().unwrap()), "{e}");
    let e = fifo::open_writer(&path, Wait::Timeout(Duration::from_millis(150))).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert!(e.to_string().contains("waiting for a reader"), "{e}");
    assert!(e.to_string().contains(path.to_str().unwrap()), "{e}");
}

#[test]
fn reader_without_writer_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody-writes");
    fifo::create(&path, 0o600).unwrap();
    let e = fifo::open_reader(&path, Wait::Timeout(Duration::from_millis(150))).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert!(e.to_string().contains(path.to_str().unwrap()), "{e}");
    // Non-blocking: opens at once, and the file is non-blocking.
    let mut f = fifo::open_reader(&path, Wait::NonBlocking).unwrap();
    let mut buf = [0; 8];
    // No writer ever: end of stream (0), not a hang.
    assert_eq!(f.read(&mut buf).unwrap(), 0);
}

/// The reader comes after the writer found none: it opens once the writer's own attempt was
/// refused, and the writer's timed open takes it whenever it comes.
#[test]
fn writer_with_timeout_meets_a_reader_that_comes_later() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late-reader");
    fifo::create(&path, 0o600).unwrap();
    let p = path.clone();
    let (refused, come) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        come.recv().unwrap();
        let mut r = FrameReader::new(
            fifo::open_reader(&p, Wait::Block).unwrap(),
            Delimited::lines(),
        );
        r.read_frame().unwrap().map(|b| b.to_vec())
    });
    let e = fifo::open_writer(&path, Wait::NonBlocking).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotConnected, "{e}");
    refused.send(()).unwrap();
    let file = fifo::open_writer(&path, Wait::Timeout(Duration::from_secs(30))).unwrap();
    let mut w = FrameWriter::new(file, Delimited::lines());
    w.write_frame(b"hello").unwrap();
    drop(w.finish().unwrap());
    assert_eq!(reader.join().unwrap().as_deref(), Some(&b"hello"[..]));
}

#[test]
fn bad_paths_are_refused_before_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("regular");
    std::fs::write(&file, b"x").unwrap();
    for e in [
        fifo::open_reader(&file, Wait::Block).unwrap_err(),
        fifo::open_writer(&file, Wait::Block).unwrap_err(),
        fifo::open_reader(&file, Wait::NonBlocking).unwrap_err(),
    ] {
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(
            e.to_string().contains("is a regular file, not a fifo"),
            "{e}"
        );
    }
    let e = fifo::create(&file, 0o600).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    assert!(e.to_string().contains(file.to_str().unwrap()), "{e}");
    let e = fifo::open_reader(dir.path().join("missing"), Wait::Block).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
}
