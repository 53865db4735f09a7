//! A tokio runtime that lacks what pipeframe needs gives an error naming it, not a panic:
//! outside any runtime, a runtime without `enable_io`, a runtime without `enable_time`
//! where a connect has to wait.
#![cfg(all(unix, feature = "tokio"))]

use std::io;
use std::time::Duration;

use pipeframe::named::{self, PipeName};

fn without_io() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn without_time() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap()
}

fn assert_names(e: &io::Error, what: &str) {
    assert!(
        e.to_string().contains(what),
        "error {e:?} does not name {what}"
    );
}

#[test]
fn outside_a_runtime_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let e =
        named::tokio::Listener::bind(&PipeName::from_path(dir.path().join("a.sock"))).unwrap_err();
    assert_names(&e, "a tokio runtime is needed");
    #[cfg(target_os = "linux")]
    {
        let e = pipeframe::message::tokio::SeqpacketStream::pair().unwrap_err();
        assert_names(&e, "a tokio runtime is needed");
    }
}

#[test]
fn a_runtime_without_io_is_an_error_naming_enable_io() {
    let dir = tempfile::tempdir().unwrap();
    let name = PipeName::from_path(dir.path().join("noio.sock"));
    without_io().block_on(async {
        let e = named::tokio::Listener::bind(&name).unwrap_err();
        assert_names(&e, "enable_io");
        let e = named::tokio::PipeStream::pair().unwrap_err();
        assert_names(&e, "enable_io");
        #[cfg(target_os = "linux")]
        {
            let e = pipeframe::message::tokio::SeqpacketStream::pair().unwrap_err();
            assert_names(&e, "enable_io");
            let e = pipeframe::message::tokio::packet_pipe().unwrap_err();
            assert_names(&e, "enable_io");
        }
    });
}

#[test]
fn a_runtime_without_time_is_an_error_naming_enable_time_when_connect_must_wait() {
    let dir = tempfile::tempdir().unwrap();
    // Nobody there yet: with a timeout, connect waits (sleeps) for the server.
    let name = PipeName::from_path(dir.path().join("later.sock"));
    let e = without_time()
        .block_on(named::tokio::connect_timeout(&name, Duration::from_secs(5)))
        .unwrap_err();
    assert_names(&e, "enable_time");
}

#[test]
fn a_runtime_without_time_still_does_what_needs_no_timer() {
    let dir = tempfile::tempdir().unwrap();
    let name = PipeName::from_path(dir.path().join("io-only.sock"));
    without_time().block_on(async {
        let listener = named::tokio::Listener::bind(&name).unwrap();
        let (client, server) = tokio::join!(named::tokio::connect(&name), listener.accept());
        client.unwrap();
        server.unwrap();
    });
}
