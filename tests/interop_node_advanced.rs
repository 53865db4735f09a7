//! `LengthPrefixed::node_advanced()` (framing `node-advanced`) against Node's own IPC channel
//! with `serialization: 'advanced'`, Node as the parent: `tests/peers/node_advanced_parent.js`
//! spawns this test binary as its child with an `'ipc'` stdio slot, sends V8-serialized
//! values (a `Map`, a `Buffer`, a `BigInt`, nested ones, 1 MiB), and checks that what our
//! child echoes back deserializes to the same values.
#![cfg(unix)]

#[path = "support/child.rs"]
mod child;
#[path = "peers/support.rs"]
mod support;

use std::process::{Command, Stdio};

use pipeframe::codec::LengthPrefixed;
use pipeframe::pipe::ClientHandle;
use pipeframe::sync::FrameStream;
use support::{Peer, peer_file, require};

const CHILD: &str = "PIPEFRAME_NODE_ADVANCED_CHILD";

#[test]
fn node_parent_with_advanced_serialization_gets_every_value_back() {
    require("node", &["--version"], "node");
    let mut cmd = Command::new("node");
    cmd.arg(peer_file("node_advanced_parent.js"))
        .arg(std::env::current_exe().unwrap())
        .args(child::self_args("node_child_entry_point"))
        .env(CHILD, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut peer = Peer::spawn("node_advanced_parent.js", cmd);
    let mut out = String::new();
    std::io::Read::read_to_string(peer.child.stdout.as_mut().unwrap(), &mut out).unwrap();
    let stderr = peer.finish();
    assert!(
        out.lines().any(|l| l == "node verdict: ok 7"),
        "node verdict: {out:?}; stderr: {stderr}"
    );
    assert!(out.contains("child echoed 7 messages"), "{out:?}");
}

/// The child Node spawns (runs only with `PIPEFRAME_NODE_ADVANCED_CHILD` set): echoes every
/// message on the channel Node gave it, unchanged.
#[test]
fn node_child_entry_point() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    assert_eq!(
        std::env::var("NODE_CHANNEL_SERIALIZATION_MODE").as_deref(),
        Ok("advanced"),
        "how a child tells which mode its channel is in"
    );
    let sock = ClientHandle::from_env("NODE_CHANNEL_FD")
        .unwrap()
        .open_socket()
        .unwrap();
    let mut s = FrameStream::new(sock, LengthPrefixed::node_advanced()).unwrap();
    let mut n = 0;
    while let Some(frame) = s.read_frame().unwrap() {
        if n == 0 {
            // SPEC.md §2's example: process.send('hi') on Node 20.
            assert_eq!(&frame[..], b"\xff\x0f\x22\x02hi", "node's bytes for 'hi'");
        }
        s.write_frame(&frame).unwrap();
        s.flush().unwrap();
        n += 1;
    }
    println!("child echoed {n} messages");
}
