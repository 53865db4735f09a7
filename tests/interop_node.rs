//! `Delimited::lines()` (alias `node`) against Node's own IPC channel: a `node` child whose
//! channel (`NODE_CHANNEL_FD`, serialization `json`, as `child_process.fork` sets up) is one
//! end of a Unix socket pair, placed on the child's fd 0. The other end is ours. Node reads
//! our lines with its own channel code (`process.on('message')`) and writes with
//! `process.send`; `tests/peers/node_ipc.js` greets, then echoes every message.
//!
//! Every message we send is JSON as `JSON.stringify` writes it (compact, keys in order,
//! non-ASCII as UTF-8), so Node's echo must be byte for byte what we sent.
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

#[path = "peers/support.rs"]
mod support;

use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::thread;

use pipeframe::codec::Delimited;
use pipeframe::sync::{FrameReader, FrameWriter};
use support::{Peer, peer_file, require};

/// Starts `node tests/peers/node_ipc.js` with its IPC channel on our socket pair.
fn node_child() -> (Peer, UnixStream) {
    require("node", &["--version"], "node");
    let (ours, theirs) = UnixStream::pair().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(peer_file("node_ipc.js"))
        .env("NODE_CHANNEL_FD", "0")
        .env("NODE_CHANNEL_SERIALIZATION_MODE", "json")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::null());
    (Peer::spawn("node_ipc.js", cmd), ours)
}

fn messages() -> Vec<String> {
    let big: String = (0..4 * 1024 * 1024 / 64)
        .map(|i| format!("{i:08}-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123\u{e9}"))
        .collect();
    let mut v = vec![
        r#"{"seq":1,"text":"hello"}"#.to_owned(),
        "{\"seq\":2,\"text\":\"h\u{e9}llo w\u{f6}rld \u{2713} \u{65e5}\u{672c}\u{8a9e} \u{1F680} \u{2028}\u{2029} end\"}".to_owned(),
        r#"{"seq":3,"text":"tab\tnewline\ncr\rquote\"backslash\\ nul\u0000"}"#.to_owned(),
        r#"{"seq":4,"a":[1,2.5,-3,true,false,null],"o":{},"s":""}"#.to_owned(),
        "{}".to_owned(),
        format!(r#"{{"seq":5,"big":"{big}"}}"#),
        "[]".to_owned(),
        r#""a bare string""#.to_owned(),
        "42".to_owned(),
    ];
    // Many small ones, batched by our writer into few writes.
    v.extend((0..2000).map(|i| format!(r#"{{"seq":{},"k":"m{i}"}}"#, 100 + i)));
    v
}

#[test]
fn node_ipc_channel_json_lines_both_ways() {
    let (peer, sock) = node_child();
    let mut reader = FrameReader::new(sock.try_clone().unwrap(), Delimited::lines());

    // Node's own message first: what `process.send` put on the wire.
    let greeting = reader.read_frame().unwrap().expect("node's greeting");
    assert_eq!(
        std::str::from_utf8(&greeting).unwrap(),
        "{\"hello\":\"from node\",\"text\":\"h\u{e9}llo \u{2713} \u{1F680}\",\"n\":[1,2.5,-3]}"
    );

    let msgs = messages();
    let to_send = msgs.clone();
    let writer = thread::spawn(move || {
        let mut w = FrameWriter::new(sock, Delimited::lines());
        for m in &to_send {
            w.write_frame(m.as_bytes()).unwrap();
        }
        w.finish().unwrap()
    });
    for (i, m) in msgs.iter().enumerate() {
        let echo = reader
            .read_frame()
            .unwrap()
            .unwrap_or_else(|| panic!("node's echo of message {i}"));
        assert!(
            echo[..] == *m.as_bytes(),
            "echo of message {i} ({} bytes) differs: {:?}",
            m.len(),
            String::from_utf8_lossy(&echo[..echo.len().min(200)])
        );
    }
    // Only now close our end for writing: node's channel then disconnects, node exits and its
    // end closes. (Node drops the messages still queued on a channel when the other side
    // closes it: closing before all echoes have arrived loses them.)
    writer.join().unwrap().shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        reader.read_frame().unwrap(),
        None,
        "node closed at a line boundary"
    );
    peer.finish();
}

#[test]
fn node_accepts_crlf_lines() {
    // `Delimited::crlf()` (what a Windows `StreamWriter.WriteLine` peer writes): Node's JSON
    // parser skips the `\r` as whitespace, and echoes with `\n`.
    let (peer, sock) = node_child();
    // Read with a plain `\n` delimiter (nothing stripped) to see whether node wrote a `\r`.
    let mut reader = FrameReader::new(sock.try_clone().unwrap(), Delimited::new(b'\n'));
    reader.read_frame().unwrap().expect("node's greeting");
    let mut w = FrameWriter::new(sock, Delimited::crlf());
    w.write_frame(br#"{"crlf":true}"#).unwrap();
    w.flush().unwrap();
    assert_eq!(
        reader.read_frame().unwrap().as_deref(),
        Some(&br#"{"crlf":true}"#[..])
    );
    w.finish().unwrap().shutdown(Shutdown::Write).unwrap();
    assert_eq!(reader.read_frame().unwrap(), None);
    peer.finish();
}
