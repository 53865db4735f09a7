//! Shared by tests/interop_{grpc,http,jsonrpc}.rs: unique pipe names and running a
//! peer process from async code. Include after `support.rs` as `mod net_support;`.
#![allow(dead_code, unreachable_pub)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use pipeframe::named::PipeName;

use super::support::Peer;

/// A .NET-style pipe name no other test uses (its socket file is `$TMPDIR/CoreFxPipe_...`).
pub fn unique_pipe(tag: &str) -> (PipeName, PathBuf) {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = PipeName::new(&format!("pipeframe-{tag}-{}-{n}", std::process::id())).unwrap();
    let path = name.socket_path().unwrap();
    let _ = std::fs::remove_file(&path);
    (name, path)
}

/// Runs `cmd` to completion off the async threads; returns its stdout (panics if it fails).
pub async fn run(name: &'static str, mut cmd: Command) -> (u32, String) {
    tokio::task::spawn_blocking(move || {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut peer = Peer::spawn(name, cmd);
        let pid = peer.child.id();
        let mut out = String::new();
        peer.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        peer.finish();
        (pid, out)
    })
    .await
    .unwrap()
}

/// Starts a server peer and waits for its first stdout line (`listening`). Dropping the
/// returned [`Peer`] kills it.
pub fn start_server(name: &str, mut cmd: Command) -> Peer {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped());
    let mut peer = Peer::spawn(name, cmd);
    let mut stdout = peer.child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8];
    while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    assert_eq!(
        String::from_utf8_lossy(&line),
        "listening",
        "{name} did not start (see its stderr when it is dropped)"
    );
    // Keep the pipe open (a closed stdout could kill the peer with SIGPIPE later).
    peer.child.stdout = Some(stdout);
    peer
}
