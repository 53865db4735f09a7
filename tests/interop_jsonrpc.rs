//! The articles' StreamJsonRpc calculator (`ICalculator.Add(a, b)`, JSON-RPC 2.0 over
//! header-delimited framing) on a named pipe, against vscode-jsonrpc
//! (`tests/peers/node/jsonrpc_calculator.js`, `SocketMessageReader`/`SocketMessageWriter` on
//! the pipe's socket file), in both directions, on the examples' calculator code. Also the
//! StreamJsonRpc framing vectors of SPEC.md ("StreamJsonRpc framings").
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

#[path = "../examples/common/calculator.rs"]
mod calculator;
#[path = "peers/net_support.rs"]
mod net_support;
#[path = "peers/support.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bytes::BytesMut;
use net_support::{run, start_server, unique_pipe};
use pipeframe::codec::{ContentLength, FrameDecoder, FrameEncoder, LengthPrefixed};
use pipeframe::named::tokio::{Listener, connect_timeout};
use serde_json::json;
use support::{peer_file, require};

fn node_calculator(args: &[&str]) -> Command {
    require("node", &["--version"], "node");
    let module = peer_file("node/node_modules/vscode-jsonrpc/package.json");
    assert!(
        module.exists(),
        "interop peer missing: vscode-jsonrpc; run tests/peers/setup.sh"
    );
    let mut cmd = Command::new("node");
    cmd.arg(peer_file("node/jsonrpc_calculator.js")).args(args);
    cmd
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vscode_jsonrpc_calls_pipeframe_calculator() {
    let (name, path) = unique_pipe("jsonrpc-rs-server");
    let listener = Listener::bind(&name).unwrap();
    let server = tokio::spawn(async move {
        listener
            .serve(|conn| async move { calculator::serve_connection(conn).await.unwrap() })
            .await
    });
    for (a, b, sum) in [
        ("5", "3", "8"),
        ("-7", "2", "-5"),
        ("2147483647", "1", "-2147483648"),
    ] {
        let (_, out) = run(
            "jsonrpc_calculator.js client",
            node_calculator(&["client", arg(&path), a, b]),
        )
        .await;
        assert_eq!(out, format!("{sum}\n"), "Add({a}, {b})");
    }
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeframe_calls_vscode_jsonrpc_calculator() {
    let (name, path) = unique_pipe("jsonrpc-node-server");
    let server = start_server(
        "jsonrpc_calculator.js server",
        node_calculator(&["server", arg(&path)]),
    );
    for (a, b) in [(5, 3), (-40, 2), (0, 0)] {
        let conn = connect_timeout(&name, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(calculator::add(conn, a, b).await.unwrap(), i64::from(a + b));
    }
    drop(server);
    let _ = std::fs::remove_file(path);
}

#[test]
fn calculator_answers_like_stream_json_rpc() {
    let ask = |req: serde_json::Value| calculator::answer(&req);
    assert_eq!(
        ask(json!({"jsonrpc": "2.0", "id": 1, "method": "Add", "params": [5, 3]})),
        Some(json!({"jsonrpc": "2.0", "id": 1, "result": 8}))
    );
    // Named arguments (StreamJsonRpc's InvokeWithParameterObjectAsync).
    assert_eq!(
        ask(json!({"jsonrpc": "2.0", "id": "x", "method": "Add", "params": {"a": 1, "b": 2}})),
        Some(json!({"jsonrpc": "2.0", "id": "x", "result": 3}))
    );
    // A notification gets no answer; an unknown method (case matters) is -32601.
    assert_eq!(
        ask(json!({"jsonrpc": "2.0", "method": "Add", "params": [1, 2]})),
        None
    );
    let reply = ask(json!({"jsonrpc": "2.0", "id": 2, "method": "add", "params": [1, 2]})).unwrap();
    assert_eq!(reply["error"]["code"], -32601);
    let reply = ask(json!({"jsonrpc": "2.0", "id": 3, "method": "Add", "params": [1]})).unwrap();
    assert_eq!(reply["error"]["code"], -32602);
}

fn encode(codec: &mut impl FrameEncoder, payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    codec.encode_frame(payload, &mut out).unwrap();
    out.to_vec()
}

#[test]
fn length_header_message_handler_vectors() {
    // StreamJsonRpc's LengthHeaderMessageHandler: int32 big-endian length, then the payload.
    let mut c = LengthPrefixed::stream_json_rpc();
    assert_eq!(encode(&mut c, b"{}"), b"\x00\x00\x00\x02{}");
    let mut wire = BytesMut::from(&b"\x00\x00\x01\x00"[..]);
    wire.extend_from_slice(&[b'x'; 256]);
    assert_eq!(c.decode_frame(&mut wire).unwrap().unwrap().len(), 256);
    // A negative length (the sign bit set) is an error, not a 2 GiB frame.
    let mut wire = BytesMut::from(&b"\x80\x00\x00\x00"[..]);
    assert!(c.decode_frame(&mut wire).is_err());
}

#[test]
fn header_delimited_message_handler_vectors() {
    // What HeaderDelimitedMessageHandler writes with its default encoding (UTF-8), and what
    // pipeframe's lsp codec writes: the same bytes.
    let mut c = ContentLength::new();
    assert_eq!(encode(&mut c, b"{}"), b"Content-Length: 2\r\n\r\n{}");
    // With a non-default encoding it adds Content-Type; pipeframe reads past it and hands
    // over the bytes (UTF-16LE here) for the application to decode.
    let mut wire = BytesMut::from(
        &b"Content-Length: 4\r\nContent-Type: application/jsonrpc; charset=utf-16\r\n\r\n{\0}\0"[..],
    );
    assert_eq!(c.decode_frame(&mut wire).unwrap().unwrap(), &b"{\0}\0"[..]);
    // pipeframe matches header names case-insensitively (StreamJsonRpc does not).
    let mut wire = BytesMut::from(&b"content-length: 2\r\n\r\n{}"[..]);
    assert_eq!(c.decode_frame(&mut wire).unwrap().unwrap(), &b"{}"[..]);
}
