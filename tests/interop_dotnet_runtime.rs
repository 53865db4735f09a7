//! pipeframe against the real .NET runtime's `System.IO.Pipes` (.NET Core 3.1 from PyPI's
//! `dotnetcore2`, driven from Python through pythonnet by `tests/peers/dotnet_peer.py`; run
//! `tests/peers/setup.sh` first). A missing runtime fails these tests; they never skip.
//!
//! What the peer does is in its docstring: it sends greeting frames of its own (frame `k` is
//! `k * 37 % 1000` bytes, the last one optionally 1 MiB, byte `i` = `(i + k) % 251`), then
//! echoes every frame it reads until end of stream, and reports the count on stdout.
//! Length-prefixed frames are the articles' protocol, `BinaryWriter.Write(int)` then
//! `Write(byte[])`, which is `LengthPrefixed::dotnet()`; lines are `StreamWriter.WriteLine` /
//! `StreamReader.ReadLine`.
#![cfg(all(unix, feature = "tokio"))]

#[path = "support/child.rs"]
mod child;
#[path = "peers/support.rs"]
mod support;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pipeframe::codec::{Delimited, DotnetLines, FrameDecoder, FrameEncoder, LengthPrefixed};
use pipeframe::named::{self, ConnectOptions, ListenOptions, Listener, PipeName, PipeStream};
use pipeframe::pipe::{self, ClientHandle};
use pipeframe::sync::{FrameReader, FrameWriter};
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
use support::{Peer, pattern, peer_file, peer_pattern};

const MIB: usize = 1024 * 1024;
const CONNECT: Duration = Duration::from_secs(30);

/// The venv python that has the .NET runtime and pythonnet; checked once per test binary by
/// loading the runtime for real.
fn dotnet_python() -> &'static str {
    static PY: OnceLock<String> = OnceLock::new();
    PY.get_or_init(|| {
        let py = peer_file(".venv-dotnet/bin/python");
        let py = py.to_str().unwrap().to_owned();
        let out = Command::new(&py)
            .arg(peer_file("dotnet_peer.py"))
            .arg("version")
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .output();
        match out {
            Ok(o) if o.status.success() && o.stdout.starts_with(b"3.1.") => {}
            Ok(o) => panic!(
                "the .NET runtime does not load ({}): {}{}; run tests/peers/setup.sh",
                o.status,
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => panic!(".NET peer missing ({py}: {e}); run tests/peers/setup.sh"),
        }
        py
    })
}

/// `dotnet_peer.py ROLE ARGS...` with stdout piped.
fn dotnet(role: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(dotnet_python());
    cmd.arg(peer_file("dotnet_peer.py"))
        .arg(role)
        .args(args)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    cmd
}

/// A pipe name no other test (or run) uses.
fn unique_name(what: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "pf-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts the peer and waits for its "ready" line; returns the peer and the rest of stdout.
/// Spawns a peer under the pipe module's spawn lock, so it never inherits a pipe end that
/// another test is handing to its own child at that moment.
fn spawn_locked(name: &str, cmd: Command) -> Peer {
    let _lock = pipe::spawn_lock();
    Peer::spawn(name, cmd)
}

fn start(name: &str, cmd: Command) -> (Peer, BufReader<ChildStdout>) {
    let mut peer = spawn_locked(name, cmd);
    let mut out = BufReader::new(peer.child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "{name} did not start");
    (peer, out)
}

/// Waits for the peer, checks it exited 0 and reported `want` on stdout.
fn finish(peer: Peer, mut out: BufReader<ChildStdout>, want: &str) {
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    peer.finish();
    assert_eq!(rest.trim(), want, ".NET peer's report");
}

/// The greeting sizes of `--greet k --big n`.
fn greetings(k: usize, big: Option<usize>) -> Vec<usize> {
    let mut v: Vec<usize> = (0..k).map(|i| i * 37 % 1000).collect();
    if let (Some(b), Some(last)) = (big, v.last_mut()) {
        *last = b;
    }
    v
}

/// The frames we send: many small and mid-sized ones, empty ones, and a 1 MiB one.
fn our_frames() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = (0..1000)
        .map(|i| pattern((i * 7919) % 3000, i as u8))
        .collect();
    v.insert(500, pattern(MIB, 0xa5));
    v.push(Vec::new());
    v
}

fn report(frames: &[Vec<u8>]) -> String {
    let bytes: usize = frames.iter().map(Vec::len).sum();
    format!("echoed {} frames {bytes} bytes", frames.len())
}

/// Blocking: reads the peer's greetings, then sends `frames` from a second thread while
/// reading every echo, then closes the write side and sees the clean end.
fn exchange_blocking(stream: PipeStream, greet: &[usize], frames: &[Vec<u8>]) {
    let codec = LengthPrefixed::dotnet();
    let write_half = stream.try_clone().unwrap();
    let mut r = FrameReader::new(stream, codec);
    for (k, &n) in greet.iter().enumerate() {
        let f = r.read_frame().unwrap().expect("greeting");
        assert_eq!(f.len(), n, "length of .NET's greeting {k}");
        assert!(f[..] == peer_pattern(n, k)[..], "content of greeting {k}");
    }
    let to_send = frames.to_vec();
    let writer = std::thread::spawn(move || {
        let mut w = FrameWriter::new(&write_half, codec);
        for f in &to_send {
            w.write_frame(f)?;
        }
        w.flush()?;
        write_half.shutdown_write()
    });
    for (i, f) in frames.iter().enumerate() {
        let echo = r.read_frame().unwrap().expect("echo");
        assert!(echo[..] == f[..], "echo {i} ({} bytes)", f.len());
    }
    assert_eq!(r.read_frame().unwrap(), None, "clean end after the echoes");
    writer.join().unwrap().unwrap();
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The tokio version of [`exchange_blocking`].
async fn exchange_tokio(
    stream: pipeframe::named::tokio::PipeStream,
    greet: &[usize],
    frames: &[Vec<u8>],
) {
    let codec = LengthPrefixed::dotnet();
    let (rx, tx) = stream.into_split();
    let mut r = AsyncFrameReader::new(rx, codec);
    for (k, &n) in greet.iter().enumerate() {
        let f = r.read_frame().await.unwrap().expect("greeting");
        assert_eq!(f.len(), n, "length of .NET's greeting {k}");
        assert!(f[..] == peer_pattern(n, k)[..], "content of greeting {k}");
    }
    let to_send = frames.to_vec();
    let writer = tokio::spawn(async move {
        let mut w = AsyncFrameWriter::new(tx, codec);
        for f in &to_send {
            w.write_frame(f).await?;
        }
        w.close().await
    });
    for (i, f) in frames.iter().enumerate() {
        let echo = r.read_frame().await.unwrap().expect("echo");
        assert!(echo[..] == f[..], "echo {i} ({} bytes)", f.len());
    }
    assert_eq!(r.read_frame().await.unwrap(), None);
    writer.await.unwrap().unwrap();
}

#[test]
fn dotnet_server_binary_writer_meets_blocking_client() {
    let name = unique_name("lp-srv");
    let (peer, out) = start(
        ".NET NamedPipeServerStream",
        dotnet("lp-server", &[&name, "--greet", "40", "--big", "1048576"]),
    );
    let stream = named::connect_timeout(&PipeName::new(&name).unwrap(), CONNECT).unwrap();
    let frames = our_frames();
    exchange_blocking(stream, &greetings(40, Some(MIB)), &frames);
    finish(peer, out, &report(&frames));
}

#[test]
fn dotnet_client_binary_reader_meets_blocking_listener() {
    let name = unique_name("lp-cli");
    let listener = Listener::bind(&PipeName::new(&name).unwrap()).unwrap();
    let (peer, out) = start(
        ".NET NamedPipeClientStream",
        dotnet("lp-client", &[&name, "--greet", "10", "--big", "1048576"]),
    );
    let stream = listener.accept().unwrap();
    let frames = our_frames();
    exchange_blocking(stream, &greetings(10, Some(MIB)), &frames);
    finish(peer, out, &report(&frames));
}

#[test]
fn dotnet_server_binary_writer_meets_tokio_client() {
    let name = unique_name("lp-srv-tokio");
    let (peer, out) = start(
        ".NET NamedPipeServerStream",
        dotnet("lp-server", &[&name, "--greet", "25", "--big", "1048576"]),
    );
    let frames = our_frames();
    rt().block_on(async {
        let s = named::tokio::connect_timeout(&PipeName::new(&name).unwrap(), CONNECT)
            .await
            .unwrap();
        exchange_tokio(s, &greetings(25, Some(MIB)), &frames).await;
    });
    finish(peer, out, &report(&frames));
}

#[test]
fn dotnet_client_binary_reader_meets_tokio_listener() {
    let name = unique_name("lp-cli-tokio");
    let frames = our_frames();
    let rt = rt();
    let listener =
        rt.block_on(async { named::tokio::Listener::bind(&PipeName::new(&name).unwrap()) });
    let listener = listener.unwrap();
    let (peer, out) = start(
        ".NET NamedPipeClientStream",
        dotnet("lp-client", &[&name, "--greet", "7"]),
    );
    rt.block_on(async {
        let s = listener.accept().await.unwrap();
        exchange_tokio(s, &greetings(7, None), &frames).await;
    });
    finish(peer, out, &report(&frames));
}

/// Lines we send: text without line breaks (some of it not ASCII), an empty line, a long one.
fn our_lines() -> Vec<String> {
    let mut v: Vec<String> = (0..300)
        .map(|i| format!("line {i}: h\u{e9}llo \u{2603}"))
        .collect();
    v.push(String::new());
    v.push("x".repeat(200_000));
    v
}

/// Sends `lines` with `encoder` from a thread, reads the echoes with `decoder`, closes.
fn lines_exchange<C>(stream: PipeStream, codec: C, greet: usize, lines: &[String])
where
    C: FrameDecoder + FrameEncoder + Clone + Send + 'static,
{
    let write_half = stream.try_clone().unwrap();
    let mut r = FrameReader::new(stream, codec.clone());
    for k in 0..greet {
        assert_eq!(
            r.read_str().unwrap(),
            Some(format!("greeting {k}").as_str())
        );
    }
    let to_send = lines.to_vec();
    let writer = std::thread::spawn(move || {
        let mut w = FrameWriter::new(&write_half, codec);
        for l in &to_send {
            w.write_frame(l.as_bytes())?;
        }
        w.flush()?;
        write_half.shutdown_write()
    });
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(r.read_str().unwrap(), Some(l.as_str()), "echo of line {i}");
    }
    assert_eq!(r.read_frame().unwrap(), None);
    writer.join().unwrap().unwrap();
}

fn chars(lines: &[String]) -> String {
    let n: usize = lines.iter().map(|l| l.encode_utf16().count()).sum();
    format!("echoed {} frames {n} chars", lines.len())
}

#[test]
fn dotnet_stream_writer_lines_meet_blocking_client_and_listener() {
    let lines = our_lines();
    // .NET server, pipeframe client, `lines`.
    let name = unique_name("line-srv");
    let (peer, out) = start(
        ".NET StreamWriter server",
        dotnet("line-server", &[&name, "--greet", "5"]),
    );
    let s = named::connect_timeout(&PipeName::new(&name).unwrap(), CONNECT).unwrap();
    lines_exchange(s, Delimited::lines(), 5, &lines);
    finish(peer, out, &chars(&lines));

    // pipeframe listener, .NET client, `readline`.
    let name = unique_name("line-cli");
    let listener = Listener::bind(&PipeName::new(&name).unwrap()).unwrap();
    let (peer, out) = start(
        ".NET StreamReader client",
        dotnet("line-client", &[&name, "--greet", "3"]),
    );
    lines_exchange(listener.accept().unwrap(), DotnetLines::new(), 3, &lines);
    finish(peer, out, &chars(&lines));
}

#[test]
fn dotnet_stream_writer_lines_meet_tokio_client() {
    let lines = our_lines();
    let name = unique_name("line-tokio");
    let (peer, out) = start(
        ".NET StreamWriter server",
        dotnet("line-server", &[&name, "--greet", "4"]),
    );
    rt().block_on(async {
        let s = named::tokio::connect_timeout(&PipeName::new(&name).unwrap(), CONNECT)
            .await
            .unwrap();
        let (rx, tx) = s.into_split();
        let mut r = AsyncFrameReader::new(rx, DotnetLines::new());
        for k in 0..4 {
            assert_eq!(
                r.read_str().await.unwrap(),
                Some(format!("greeting {k}").as_str())
            );
        }
        let to_send = lines.clone();
        let writer = tokio::spawn(async move {
            let mut w = AsyncFrameWriter::new(tx, DotnetLines::new());
            for l in &to_send {
                w.write_frame(l.as_bytes()).await?;
            }
            w.close().await
        });
        for (i, l) in lines.iter().enumerate() {
            assert_eq!(r.read_str().await.unwrap(), Some(l.as_str()), "echo {i}");
        }
        assert_eq!(r.read_frame().await.unwrap(), None);
        writer.await.unwrap().unwrap();
    });
    finish(peer, out, &chars(&lines));
}

fn b64(s: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `new StreamWriter(stream, Encoding.UTF8)` writes a byte order mark first, and .NET's
/// writer can put a lone `\r` on the wire: `readline` reads both as `ReadLine` does (where
/// `lines` would keep the mark in the first line and a lone `\r` inside a line). Then
/// pipeframe's `readline` output and raw lone-`\r` input go back through `ReadLine`.
#[test]
fn dotnet_bom_writing_stream_writer_and_lone_cr_read_by_readline_codec() {
    let name = unique_name("bom");
    let text = "first\rsecond\r\nthird\n\r\rsixth\r";
    let (peer, out) = start(
        ".NET StreamWriter(stream, Encoding.UTF8)",
        dotnet(
            "line-server",
            &[
                &name,
                "--bom",
                "--write",
                &b64(text.as_bytes()),
                "--greet",
                "2",
            ],
        ),
    );
    let s = named::connect_timeout(&PipeName::new(&name).unwrap(), CONNECT).unwrap();
    let mut raw = s.try_clone().unwrap();
    let mut r = FrameReader::new(s, DotnetLines::new());
    for want in [
        "first",
        "second",
        "third",
        "",
        "",
        "sixth",
        "greeting 0",
        "greeting 1",
    ] {
        assert_eq!(r.read_str().unwrap(), Some(want));
    }
    // What `lines` makes of the same bytes, for the record: the mark stays, `\r` does not end.
    let bytes = [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat();
    let mut plain = FrameReader::new(&bytes[..], Delimited::lines());
    assert_eq!(
        plain.read_frame().unwrap().as_deref(),
        Some("\u{feff}first\rsecond".as_bytes())
    );

    // Our side: lines from the `readline` encoder, then raw bytes ended all three ways
    // (a `\r\n` split across two writes as well); ReadLine splits them, and echoes each.
    let mut w = FrameWriter::new(raw.try_clone().unwrap(), DotnetLines::new());
    w.write_frame("caf\u{e9}".as_bytes()).unwrap();
    w.write_frame(b"").unwrap();
    w.flush().unwrap();
    raw.write_all(b"x\ry\r").unwrap();
    // The echo of "x" shows ReadLine has read that write, whose last `\r` waits for the next
    // byte: the `\n` after it comes in a write of its own.
    let echoes = ["caf\u{e9}", "", "x", "y", "z", ""];
    let check = |r: &mut FrameReader<PipeStream, DotnetLines>, wants: &[&str]| {
        for &want in wants {
            assert_eq!(
                r.read_str().unwrap(),
                Some(want),
                "ReadLine's split, echoed"
            );
        }
    };
    check(&mut r, &echoes[..3]);
    raw.write_all(b"\nz\n\r").unwrap();
    raw.shutdown_write().unwrap();
    check(&mut r, &echoes[3..]);
    assert_eq!(r.read_frame().unwrap(), None);
    // ReadLine on the same bytes agrees with the codec (the `\r` at the end is a line).
    let mut ours = FrameReader::new(&b"caf\xc3\xa9\n\nx\ry\r\nz\n\r"[..], DotnetLines::new());
    for want in echoes {
        assert_eq!(ours.read_str().unwrap(), Some(want));
    }
    finish(peer, out, "echoed 6 frames 7 chars");
}

/// The child side of the anonymous-pipe tests: this test binary, re-executed.
#[test]
fn child_entry_point() {
    child::main(run_child);
}

/// Echoes `dotnet` frames from PIPEFRAME_IN to PIPEFRAME_OUT (handle strings from .NET's
/// `GetClientHandleAsString()`) until end of stream.
fn run_child(role: &str) -> io::Result<()> {
    let codec = LengthPrefixed::dotnet();
    match role {
        "echo" => {
            let mut r = ClientHandle::from_env("PIPEFRAME_IN")?.frame_reader(codec)?;
            let mut w = ClientHandle::from_env("PIPEFRAME_OUT")?.frame_writer(codec)?;
            while let Some(f) = r.read_frame_ref()? {
                w.write_frame(f)?;
                w.flush()?;
            }
            w.finish().map(drop)
        }
        "echo-tokio" => {
            let rx = ClientHandle::from_env("PIPEFRAME_IN")?.open_reader()?;
            let tx = ClientHandle::from_env("PIPEFRAME_OUT")?.open_writer()?;
            rt().block_on(async move {
                let rx = tokio::net::unix::pipe::Receiver::from_owned_fd(rx.into())?;
                let tx = tokio::net::unix::pipe::Sender::from_owned_fd(tx.into())?;
                let mut r = AsyncFrameReader::new(rx, codec);
                let mut w = AsyncFrameWriter::new(tx, codec);
                while let Some(f) = r.read_frame().await? {
                    w.write_frame(&f).await?;
                    w.flush().await?;
                }
                w.close().await
            })
        }
        other => Err(io::Error::other(format!("unknown role {other}"))),
    }
}

/// This test binary running its `child_entry_point`, as a command line for the .NET parent.
fn child_command() -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    std::iter::once(exe.to_str().unwrap())
        .chain(child::self_args("child_entry_point"))
        .map(String::from)
        .collect()
}

fn dotnet_parent_with_pipeframe_child(role: &str) {
    let mut args: Vec<String> = ["--greet", "300", "--big", "1048576", "--"]
        .map(String::from)
        .to_vec();
    args.extend(child_command());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = dotnet("anon-parent", &args);
    cmd.env(child::ROLE, role);
    let peer = spawn_locked(".NET AnonymousPipeServerStream parent", cmd);
    let mut peer = peer;
    let mut out = String::new();
    peer.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let sizes = greetings(300, Some(MIB));
    peer.finish();
    assert_eq!(
        out.trim(),
        format!("echoed 300 frames {} bytes", sizes.iter().sum::<usize>())
    );
}

#[test]
fn dotnet_anonymous_pipe_server_hands_its_handle_to_a_blocking_child() {
    dotnet_parent_with_pipeframe_child("echo");
}

#[test]
fn dotnet_anonymous_pipe_server_hands_its_handle_to_a_tokio_child() {
    dotnet_parent_with_pipeframe_child("echo-tokio");
}

/// pipeframe is the parent: two pipes (`pipe::to_child`, `pipe::from_child`), the handle
/// strings on the .NET child's command line, `AnonymousPipeClientStream(direction, handle)`.
#[test]
fn dotnet_anonymous_pipe_client_child_gets_our_ends() {
    let (tx, child_in) = pipe::to_child().unwrap();
    let (rx, child_out) = pipe::from_child().unwrap();
    let mut cmd = dotnet(
        "anon-child",
        &[
            &child_in.handle_string(),
            &child_out.handle_string(),
            "--greet",
            "12",
        ],
    );
    cmd.stderr(Stdio::piped());
    let mut child: Child = pipe::spawn(&mut cmd, [child_in, child_out]).unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let frames = our_frames();
    let to_send = frames.clone();
    let writer = std::thread::spawn(move || {
        let mut w = FrameWriter::new(tx, LengthPrefixed::dotnet());
        for f in &to_send {
            w.write_frame(f)?;
        }
        w.finish().map(drop) // dropped: the child reads end of stream
    });
    let mut r = FrameReader::new(rx, LengthPrefixed::dotnet());
    for (k, n) in greetings(12, None).into_iter().enumerate() {
        let f = r.read_frame().unwrap().expect("greeting");
        assert!(f[..] == peer_pattern(n, k)[..], "greeting {k}");
    }
    for (i, f) in frames.iter().enumerate() {
        let echo = r.read_frame().unwrap().expect("echo");
        assert!(echo[..] == f[..], "echo {i}");
    }
    assert_eq!(r.read_frame().unwrap(), None, "the child closed its end");
    writer.join().unwrap().unwrap();
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    let mut errs = String::new();
    err.read_to_string(&mut errs).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), ".NET child failed: {status}\n{errs}");
    assert_eq!(out.trim(), report(&frames));
}

/// `PipeOptions.CurrentUserOnly` on the .NET side, `current_user_only` on ours, both ways.
#[test]
fn dotnet_current_user_only_both_ways() {
    let frames: Vec<Vec<u8>> = (0..50).map(|i| pattern(i * 11, i as u8)).collect();
    // .NET server with CurrentUserOnly, our client insisting on the same user.
    let name = unique_name("cuo-srv");
    let (peer, out) = start(
        ".NET CurrentUserOnly server",
        dotnet("lp-server", &[&name, "--cuo", "--greet", "3"]),
    );
    let s = ConnectOptions::new()
        .current_user_only(true)
        .timeout(CONNECT)
        .connect(&PipeName::new(&name).unwrap())
        .unwrap();
    exchange_blocking(s, &greetings(3, None), &frames);
    finish(peer, out, &report(&frames));

    // Our current-user-only listener, a .NET client with CurrentUserOnly.
    let name = unique_name("cuo-cli");
    let listener = ListenOptions::new()
        .current_user_only(true)
        .bind(&PipeName::new(&name).unwrap())
        .unwrap();
    let (peer, out) = start(
        ".NET CurrentUserOnly client",
        dotnet("lp-client", &[&name, "--cuo", "--greet", "2"]),
    );
    let s = listener.accept().unwrap();
    assert_eq!(
        s.peer_credentials().unwrap().uid(),
        rustix::process::geteuid().as_raw()
    );
    exchange_blocking(s, &greetings(2, None), &frames);
    finish(peer, out, &report(&frames));
    assert_eq!(listener.rejected(), 0);
}

/// The articles start the client first: `NamedPipeClientStream.Connect(timeout)` waits for a
/// server that does not exist yet. The client's first attempt (`--first-try`, a `Connect(0)`)
/// has found no server when it says "ready"; our server comes only after that.
#[test]
fn dotnet_client_started_before_our_server_connects_within_its_timeout() {
    let name = unique_name("early");
    let pipe_name = PipeName::new(&name).unwrap();
    assert!(!pipe_name.socket_path().unwrap().exists());
    let (peer, out) = start(
        ".NET client started first",
        dotnet(
            "lp-client",
            &[&name, "--first-try", "--timeout", "30000", "--greet", "5"],
        ),
    );
    // It found no server and is going into Connect(30000): now there is one.
    let listener = Listener::bind(&pipe_name).unwrap();
    let s = listener.accept().unwrap();
    let frames: Vec<Vec<u8>> = (0..100).map(|i| pattern(i * 3, i as u8)).collect();
    exchange_blocking(s, &greetings(5, None), &frames);
    finish(peer, out, &report(&frames));
}
