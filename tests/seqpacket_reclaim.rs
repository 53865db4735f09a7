//! `SeqpacketListener::bind` reclaims a stale socket file (nobody listens), as named pipes do,
//! and leaves a live listener's name alone.
#![cfg(target_os = "linux")]

use std::io::ErrorKind;
use std::os::unix::net::UnixListener;

use pipeframe::message::SeqpacketListener;

#[test]
fn a_stale_socket_file_is_reclaimed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.sock");
    drop(UnixListener::bind(&path).unwrap()); // std leaves the file behind
    assert!(path.exists());
    let listener = SeqpacketListener::bind(&path).expect("the stale file is reclaimed");
    drop(listener);
}

#[test]
fn a_live_listener_keeps_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.sock");
    let _live = SeqpacketListener::bind(&path).unwrap();
    let e = SeqpacketListener::bind(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");
    assert!(path.exists());

    // A live listener of another socket type is left alone too.
    let other = dir.path().join("stream.sock");
    let _stream = UnixListener::bind(&other).unwrap();
    let e = SeqpacketListener::bind(&other).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");

    // A file that is not a socket is never removed.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"keep me").unwrap();
    let e = SeqpacketListener::bind(&plain).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");
    assert_eq!(std::fs::read(&plain).unwrap(), b"keep me");
}
