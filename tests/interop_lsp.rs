//! `ContentLength` (LSP base protocol, SPEC.md §5) against two real JSON-RPC stacks run as
//! children, talking over their stdin/stdout:
//!
//! * python-lsp-jsonrpc (`pylsp_jsonrpc.streams`, the framing of python-lsp-server):
//!   `tests/peers/lsp_pylsp.py`; it writes a `Content-Type` header after `Content-Length`;
//! * vscode-jsonrpc (`StreamMessageReader` / `StreamMessageWriter` and a `MessageConnection`):
//!   `tests/peers/node/lsp_vscode.js`; it writes `Content-Length` only.
//!
//! Each peer sends a notification of its own first, then answers every request with the
//! request's text and the length and CRC-32 of its UTF-8 bytes, so both directions are
//! checked: the peer saw exactly our payload, and we read exactly its frames.
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

#[path = "peers/support.rs"]
mod support;

use std::io::{self, Read};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;

use pipeframe::codec::ContentLength;
use pipeframe::sync::{FrameReader, FrameWriter};
use support::{Peer, crc32, peer_file, require, venv_python};

/// A reader that keeps a copy of everything read, to look at the peer's raw headers.
struct Tee<R> {
    inner: R,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// A JSON string literal: `"`, `\` and control characters escaped, the rest as UTF-8.
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The texts sent as requests; `true` if a peer's JSON encoder writes it back as is.
fn texts() -> Vec<(String, bool)> {
    let big: String = (0..1024 * 1024 / 32)
        .map(|i| format!("{i:07} \u{e9}\u{2713} lorem ipsum dolor"))
        .collect();
    let mut v = vec![
        ("hello".to_owned(), true),
        (String::new(), true),
        (
            "h\u{e9}llo w\u{f6}rld \u{2713} \u{65e5}\u{672c}\u{8a9e} \u{1F680}".to_owned(),
            true,
        ),
        // Escapes: how a peer writes them back is its own choice, so only the length and
        // CRC-32 it reports are compared.
        (
            "quote \" backslash \\ newline \n tab \t ctrl \u{1}".to_owned(),
            false,
        ),
        // Header-like bytes inside the payload.
        ("Content-Length: 99\r\n\r\n".to_owned(), false),
        (big, true),
    ];
    v.extend((0..300).map(|i| (format!("batched message {i}"), true)));
    v
}

/// Drives one peer: checks its greeting, sends every text as a request (from a thread, so
/// large frames cannot deadlock against the peer's answers), checks every answer, closes
/// its stdin and waits for it to exit. Returns the raw bytes the peer wrote.
fn exchange(mut peer: Peer, greeting: &str) -> Vec<u8> {
    let stdin: ChildStdin = peer.child.stdin.take().unwrap();
    let stdout: ChildStdout = peer.child.stdout.take().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tee = Tee {
        inner: stdout,
        seen: Arc::clone(&seen),
    };
    let mut reader = FrameReader::new(tee, ContentLength::new());
    let hello = reader
        .read_frame()
        .unwrap()
        .expect("the peer's notification");
    assert_eq!(std::str::from_utf8(&hello).unwrap(), greeting);

    let texts = texts();
    let requests: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(id, (t, _))| {
            format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"echo","params":{{"text":{}}}}}"#,
                json_str(t)
            )
        })
        .collect();
    let writer = thread::spawn(move || {
        let mut w = FrameWriter::new(stdin, ContentLength::new());
        for r in &requests {
            w.write_frame(r.as_bytes()).unwrap();
        }
        w.finish().unwrap()
    });
    for (id, (text, verbatim)) in texts.iter().enumerate() {
        let answer = reader
            .read_frame()
            .unwrap()
            .unwrap_or_else(|| panic!("answer to request {id}"));
        let answer = std::str::from_utf8(&answer).expect("answer is UTF-8");
        let tail = format!(
            r#","len":{},"crc32":{}}}}}"#,
            text.len(),
            crc32(text.as_bytes())
        );
        let head = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"text":"#);
        let shown: String = answer.chars().take(300).collect();
        assert!(answer.starts_with(&head), "answer {id}: {shown}");
        assert!(answer.ends_with(&tail), "answer {id}: {shown}");
        if *verbatim {
            assert_eq!(
                &answer[head.len()..answer.len() - tail.len()],
                json_str(text),
                "text in answer {id}"
            );
        }
    }
    drop(writer.join().unwrap()); // closes the peer's stdin
    assert_eq!(reader.read_frame().unwrap(), None, "the peer ended cleanly");
    peer.finish();
    seen.lock().unwrap().clone()
}

#[test]
fn python_lsp_jsonrpc_streams() {
    let py = venv_python();
    let mut cmd = Command::new(py);
    cmd.arg(peer_file("lsp_pylsp.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let greeting = "{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"params\":{\"text\":\"from pylsp h\u{e9}llo \u{2713} \u{1F680}\"}}";
    let raw = exchange(Peer::spawn("lsp_pylsp.py", cmd), greeting);
    // pylsp's header block: Content-Length, then a Content-Type we skip.
    let expected = format!(
        "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf8\r\n\r\n{greeting}",
        greeting.len()
    );
    assert!(
        raw.starts_with(expected.as_bytes()),
        "pylsp's first frame: {:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(200)])
    );
}

#[test]
fn vscode_jsonrpc_message_connection() {
    require("node", &["--version"], "node");
    let module = peer_file("node/node_modules/vscode-jsonrpc/package.json");
    assert!(
        module.exists(),
        "interop peer missing: vscode-jsonrpc ({} not found); run tests/peers/setup.sh",
        module.display()
    );
    let mut cmd = Command::new("node");
    cmd.arg(peer_file("node/lsp_vscode.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let greeting = "{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"params\":{\"text\":\"from vscode-jsonrpc h\u{e9}llo \u{2713} \u{1F680}\"}}";
    let raw = exchange(Peer::spawn("lsp_vscode.js", cmd), greeting);
    // vscode-jsonrpc's header block: Content-Length only.
    let expected = format!("Content-Length: {}\r\n\r\n{greeting}", greeting.len());
    assert!(
        raw.starts_with(expected.as_bytes()),
        "vscode-jsonrpc's first frame: {:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(200)])
    );
}
