//! A tokio runtime that lacks what pipeframe needs gives an error naming it, not a panic:
//! outside any runtime, a runtime without `enable_io`. A runtime without `enable_time` lacks
//! nothing: pipeframe's waits (a connect retrying until its server is up) use a timer of
//! their own.
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
fn a_runtime_without_time_waits_for_a_server_that_comes_up_later() {
    let dir = tempfile::tempdir().unwrap();
    let name = PipeName::from_path(dir.path().join("later.sock"));
    without_time().block_on(async {
        // Nobody there yet: the first poll tries, finds nothing, and starts waiting.
        let mut connect = Box::pin(named::tokio::connect_timeout(
            &name,
            Duration::from_secs(30),
        ));
        assert!(
            futures_lite::future::poll_once(&mut connect)
                .await
                .is_none(),
            "connect did not wait for the missing server"
        );
        let listener = named::tokio::Listener::bind(&name).unwrap();
        let (client, server) = tokio::join!(connect, listener.accept());
        client.unwrap();
        server.unwrap();
    });
}

#[test]
fn a_runtime_without_time_times_out_naming_the_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let name = PipeName::from_path(dir.path().join("never.sock"));
    let e = without_time()
        .block_on(named::tokio::connect_timeout(
            &name,
            Duration::from_millis(50),
        ))
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert_names(&e, "never.sock");
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
