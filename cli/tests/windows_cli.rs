//! End-to-end tests of the `pipeframe` binary on Windows (run under Wine on Linux:
//! `cargo test --target x86_64-pc-windows-gnu -p pipeframe-cli --all-features`): listen and
//! connect processes over named pipes in byte and message mode and over TCP, stdin, the
//! Unix-only addresses refused, and `bench` on every Windows transport and flavour.
#![cfg(windows)]

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::message::MessagePipe;
use pipeframe::named::{ConnectOptions, PipeName};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pipeframe"))
}

/// A pipe name no other test (or earlier run) uses.
fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "pf-wincli-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Waits for a child, killing it after `limit` so a hang fails the test instead of CI. Its
/// stdout and stderr are read while it runs, so a child that prints more than a pipe holds
/// does not stall.
fn wait(mut child: Child, limit: Duration) -> Output {
    use std::io::Read;
    fn drain(r: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    }
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let (out, err) = (out.join().unwrap(), err.join().unwrap());
            panic!(
                "pipeframe did not finish within {limit:?}; stdout ({} bytes) starting {:?}, stderr {:?}",
                out.len(),
                String::from_utf8_lossy(&out[..out.len().min(60)]),
                String::from_utf8_lossy(&err)
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Runs `pipeframe args` with `input` on stdin.
fn run(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = wait(child, Duration::from_secs(60));
    feeder.join().unwrap();
    out
}

fn spawn_listener(args: &[&str]) -> Child {
    bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_ok(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what}: {:?}; stderr {}",
        out.status,
        text(&out.stderr)
    );
}

/// `listen ADDR --echo --once` and `connect ADDR --count N` exchange `input`'s lines both
/// ways; both print every line.
fn echo_round_trip(addr: &str, framing: &[&str], input: &str) {
    let mut largs = vec!["listen", addr, "--echo", "--once"];
    largs.extend_from_slice(framing);
    let listener = spawn_listener(&largs);
    let count = input.lines().count().to_string();
    let mut cargs = vec!["connect", addr, "--count", &count];
    cargs.extend_from_slice(framing);
    let client = run(&cargs, input.as_bytes());
    assert_ok(&format!("connect {addr}"), &client);
    let server = wait(listener, Duration::from_secs(60));
    assert_ok(&format!("listen {addr}"), &server);
    for (who, out) in [("connect", &client), ("listen", &server)] {
        let got = text(&out.stdout);
        assert!(
            got == input,
            "{who} {addr} printed {} bytes, {} lines, not the {} bytes, {} lines sent; starting {:?}",
            got.len(),
            got.lines().count(),
            input.len(),
            input.lines().count(),
            &got[..got.len().min(60)]
        );
    }
}

#[test]
fn listen_connect_over_a_named_pipe_in_byte_mode() {
    echo_round_trip(
        &format!("pipe:{}", unique("bytes")),
        &[],
        "one\ntwo words\n\nthré\n",
    );
    echo_round_trip(
        &format!("pipe:{}", unique("lp32")),
        &["--framing", "lp32le"],
        "length\nprefixed\n",
    );
}

#[test]
fn listen_connect_over_a_named_pipe_in_message_mode() {
    // An empty message and one well over 4 KiB (a pipe read chunk) travel whole.
    let big = "m".repeat(10_000);
    let input = format!("first\n\n{big}\nlast\n");
    echo_round_trip(
        &format!("pipe:{}", unique("msg")),
        &["--framing", "message"],
        &input,
    );
}

/// The listener really is in native message mode: a library client sends messages holding
/// newlines (no codec bytes), `listen` prints each as one frame, and the echo comes back as
/// the same whole messages.
#[test]
fn message_mode_is_native_pipe_messages() {
    let name = unique("native");
    let listener = spawn_listener(&[
        "listen",
        &format!("pipe:{name}"),
        "--framing",
        "message",
        "--echo",
        "--once",
        "--escape",
    ]);
    let stream = ConnectOptions::new()
        .message(true)
        .timeout(Duration::from_secs(20))
        .connect(&PipeName::new(&name).unwrap())
        .unwrap();
    let mut pipe = MessagePipe::new(stream).unwrap();
    let big = vec![b'z'; 6000];
    let sent: [&[u8]; 3] = [b"a\nb", b"", &big];
    for m in sent {
        pipe.write_frame(m).unwrap();
    }
    for m in sent {
        let got = pipe.read_frame().unwrap();
        assert!(
            got.as_deref() == Some(m),
            "echo of a {}-byte message: {:?} bytes",
            m.len(),
            got.map(|g| g.len())
        );
    }
    drop(pipe);
    let server = wait(listener, Duration::from_secs(60));
    assert_ok("listen --framing message", &server);
    let printed = text(&server.stdout);
    let want = format!("a\\x0ab\n\n{}\n", "z".repeat(6000));
    assert!(
        printed == want,
        "listen printed {} bytes, starting {:?}",
        printed.len(),
        &printed[..printed.len().min(40)]
    );
}

/// Without --count or --echo, the end of stdin ends the connection once the server has read
/// everything (a named pipe has no half-close) and a quiet second has passed: both sides exit
/// 0, nothing is lost, and connect says that nothing came back.
#[test]
fn end_of_stdin_ends_a_pipe_connection_after_the_server_read_it() {
    for framing in [&["--framing", "varint"][..], &["--framing", "message"]] {
        let addr = format!("pipe:{}", unique("eof"));
        let mut largs = vec!["listen", addr.as_str(), "--once"];
        largs.extend_from_slice(framing);
        let listener = spawn_listener(&largs);
        let mut cargs = vec!["connect", addr.as_str()];
        cargs.extend_from_slice(framing);
        let client = run(&cargs, b"over\nthe pipe\n");
        assert_ok(&format!("connect {framing:?}"), &client);
        let err = text(&client.stderr);
        assert!(
            err.contains("none came back within 1 s"),
            "{framing:?}: {err}"
        );
        let server = wait(listener, Duration::from_secs(60));
        assert_ok(&format!("listen {framing:?}"), &server);
        assert_eq!(text(&server.stdout), "over\nthe pipe\n", "{framing:?}");
    }
}

#[test]
fn listen_connect_over_tcp() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    echo_round_trip(
        &format!("tcp:127.0.0.1:{port}"),
        &["--framing", "netstring"],
        "over\ntcp\n",
    );
}

#[test]
fn listen_on_stdin() {
    let out = run(&["listen", "-", "--framing", "lp8"], b"\x02hi\x03you");
    assert_ok("listen -", &out);
    assert_eq!(text(&out.stdout), "hi\nyou\n");
}

/// `connect handle:N` writes stdin lines as frames into an anonymous pipe the parent reads;
/// `listen handle:N` prints the frames the parent writes into one. N is the decimal handle
/// value, what .NET's `GetClientHandleAsString()` gives.
#[test]
fn connect_and_listen_over_inherited_handles() {
    use pipeframe::codec::LengthPrefixed;
    use pipeframe::pipe;
    use pipeframe::sync::{FrameReader, FrameWriter};

    let (rx, end) = pipe::from_child().unwrap();
    let handle = end.handle_string();
    assert!(handle.parse::<u64>().is_ok(), "{handle}");
    let mut cmd = bin();
    cmd.args([
        "connect",
        &format!("handle:{handle}"),
        "--framing",
        "lp16be",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = end.spawn(&mut cmd).unwrap();
    if let Err(e) = child.stdin.take().unwrap().write_all(b"a\nbb\n") {
        let out = wait(child, Duration::from_secs(60));
        panic!(
            "writing to connect's stdin: {e}; stderr {}",
            text(&out.stderr)
        );
    }
    let frames: Vec<_> = FrameReader::new(rx, LengthPrefixed::u16_be())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames, [&b"a"[..], &b"bb"[..]]);
    assert_ok("connect handle", &wait(child, Duration::from_secs(60)));

    let (tx, end) = pipe::to_child().unwrap();
    let mut cmd = bin();
    cmd.args([
        "listen",
        &format!("handle:{}", end.handle_string()),
        "--framing",
        "lp16be",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = end.spawn(&mut cmd).unwrap();
    let mut w = FrameWriter::new(tx, LengthPrefixed::u16_be());
    w.write_frame(b"from parent").unwrap();
    drop(w.finish().unwrap());
    let out = wait(child, Duration::from_secs(60));
    assert_ok("listen handle", &out);
    assert_eq!(text(&out.stdout), "from parent\n");
}

#[test]
fn bad_handles_are_named() {
    // Not a handle this process has: exit 1 naming it.
    let out = run(&["connect", "handle:123456780"], b"");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("123456780"), "{err}");
    // Not a number, or --echo on a one-way pipe end: usage errors.
    for args in [
        &["connect", "handle:abc"][..],
        &["listen", "handle:1234", "--echo"],
    ] {
        let out = run(args, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn unix_only_addresses_exit_2_saying_so() {
    for (cmd, addr) in [
        ("listen", "unix:C:/x"),
        ("connect", "unix:/tmp/s"),
        ("listen", "abstract:a"),
        ("connect", "seqpacket:q"),
        ("listen", "fifo:f"),
        ("connect", "fd:3"),
    ] {
        let out = run(&[cmd, addr], b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd} {addr}: {err}");
        assert!(err.contains("is Unix-only"), "{cmd} {addr}: {err}");
        assert!(err.contains(addr), "{cmd} {addr}: {err}");
    }
    // `message` framing needs a pipe: address (or is refused on a byte stream).
    let out = run(&["connect", "tcp:127.0.0.1:1", "--framing", "message"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("pipe:NAME"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_byte_mode_server_is_named_when_a_message_client_connects() {
    let name = unique("mismatch");
    let listener = spawn_listener(&["listen", &format!("pipe:{name}"), "--once"]);
    let out = run(
        &["connect", &format!("pipe:{name}"), "--framing", "message"],
        b"x\n",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("byte mode"), "{err}");
    let _ = wait(listener, Duration::from_secs(60));
}

#[test]
fn connect_to_a_missing_pipe_times_out_naming_it() {
    let name = unique("absent");
    let out = run(
        &["connect", &format!("pipe:{name}"), "--timeout", "0.3"],
        b"",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&name), "{err}");
    assert!(
        err.contains("timed out after 0.3 s"),
        "one way to print it: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// One row of `bench --json`, as it prints them: one object a line, keys in a fixed order.
/// Read by hand: no JSON crate is a dev-dependency, and no Python runs inside Wine.
#[derive(Debug)]
struct BenchRow {
    transport: String,
    flavour: String,
    framing: String,
    size: u64,
    metric: String,
    value: f64,
    min: f64,
    max: f64,
    samples: Vec<f64>,
}

impl BenchRow {
    /// Parses one line of the JSON array (`  {...},`); panics on anything else.
    fn parse(line: &str) -> BenchRow {
        let obj = line.trim().trim_end_matches(',');
        let body = obj
            .strip_prefix('{')
            .and_then(|o| o.strip_suffix('}'))
            .unwrap_or_else(|| panic!("not one JSON object: {line}"));
        let mut rest = body;
        let mut field = |key: &str| -> String {
            let prefix = format!("\"{key}\":");
            rest = rest
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("no {key} where expected in {line}"));
            let end = if rest.starts_with('[') {
                rest.find(']').unwrap() + 1
            } else {
                rest.find(",\"").unwrap_or(rest.len())
            };
            let value = rest[..end].to_string();
            rest = rest[end..].strip_prefix(',').unwrap_or(&rest[end..]);
            value
        };
        let string = |v: String| v.trim_matches('"').to_string();
        let number = |v: String| -> f64 { v.parse().unwrap_or_else(|_| panic!("{v} in {line}")) };
        let row = BenchRow {
            transport: string(field("transport")),
            flavour: string(field("flavour")),
            framing: string(field("framing")),
            size: number(field("size")) as u64,
            metric: string(field("metric")),
            value: number(field("value")),
            min: number(field("min")),
            max: number(field("max")),
            samples: {
                let list = field("samples");
                let inner = list.trim_start_matches('[').trim_end_matches(']');
                inner.split(',').map(|v| number(v.to_string())).collect()
            },
        };
        assert!(rest.is_empty(), "keys after samples in {line}");
        row
    }
}

/// The rows of one `bench --json` output.
fn bench_rows(stdout: &[u8]) -> Vec<BenchRow> {
    let json = text(stdout);
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(lines.first(), Some(&"["), "{json}");
    assert_eq!(lines.last(), Some(&"]"), "{json}");
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| BenchRow::parse(l))
        .collect()
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `bench --quick --json` with the default transports and flavours measures every one of them
/// on Windows: blocking, tokio and smol, raw and framed, on `pipe`, `pipe-message` (framed is
/// message mode) and `tcp`; the peers tokio-util and asynchronous-codec, framed only, on the
/// stream transports; `anon-pipe` in the blocking flavour only, and the run says why the others
/// skip it. Every row has one figure per round and their median, like `bench_json_rows` on Unix.
#[test]
fn bench_json_rows_on_every_windows_transport_and_flavour() {
    let out = run(
        &[
            "bench", "--quick", "--json", "--sizes", "64", "--rounds", "3", "--rep-ms", "5",
        ],
        b"",
    );
    assert_ok("bench", &out);
    let rows = bench_rows(&out.stdout);
    for r in &rows {
        assert!(r.size == 64 && r.value > 0.0, "{r:?}");
        assert_eq!(r.samples.len(), 3, "one figure per round: {r:?}");
        assert_eq!(r.value, median(&r.samples), "{r:?}");
        let (lo, hi) = (
            r.samples.iter().copied().fold(f64::INFINITY, f64::min),
            r.samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        assert!(r.min == lo && r.max == hi, "{r:?}");
    }
    let metrics = ["bytes_per_s", "msgs_per_s", "rtt_ns"];
    let mut expected: Vec<(&str, &str, &str)> = Vec::new();
    for t in ["pipe", "pipe-message", "anon-pipe", "tcp"] {
        let flavours: &[&str] = match t {
            "anon-pipe" => &["blocking"],
            _ => &["blocking", "tokio", "smol"],
        };
        let framed = if t == "pipe-message" {
            "message"
        } else {
            "lp32le"
        };
        for f in flavours {
            expected.extend([(t, *f, "raw"), (t, *f, framed)]);
        }
        if t == "pipe" || t == "tcp" {
            expected.extend([
                (t, "tokio-util", "length-delimited"),
                (t, "asynchronous-codec", "length-u64"),
            ]);
        }
    }
    for &(t, f, framing) in &expected {
        for m in metrics {
            let n = rows
                .iter()
                .filter(|r| {
                    r.transport == t && r.flavour == f && r.framing == framing && r.metric == m
                })
                .count();
            assert_eq!(n, 1, "{t} {f} {framing} {m}: {n} rows in {rows:#?}");
        }
    }
    assert_eq!(rows.len(), expected.len() * metrics.len(), "{rows:#?}");
    let err = text(&out.stderr);
    let skipped: Vec<&str> = err.lines().filter(|l| l.starts_with("skipped")).collect();
    assert_eq!(
        skipped,
        [
            "skipped: anon-pipe tokio: tokio has no anonymous pipe type on Windows",
            "skipped: anon-pipe smol: async-io registers only sockets on Windows, not an \
             anonymous pipe",
            "skipped: anon-pipe tokio-util: it runs on tokio's types, and tokio has no \
             anonymous pipe type on Windows",
            "skipped: anon-pipe asynchronous-codec: it runs on smol's types, and async-io \
             registers only sockets on Windows",
        ],
        "{err}"
    );
    let help = text(&run(&["bench", "--help"], b"").stdout);
    for t in ["pipe-message", "anon-pipe"] {
        assert!(help.contains(t), "bench --help names {t}: {help}");
    }
}

/// Asked for by name, an async flavour on `anon-pipe` is a skipped cell with its reason, and
/// the rest of the run goes on.
#[test]
fn bench_names_why_an_async_flavour_skips_the_anonymous_pipe() {
    let out = run(
        &[
            "bench",
            "--quick",
            "--json",
            "--sizes",
            "64",
            "--rounds",
            "1",
            "--rep-ms",
            "2",
            "--transports",
            "anon-pipe",
            "--flavours",
            "blocking,smol",
        ],
        b"",
    );
    assert_ok("bench", &out);
    let rows = bench_rows(&out.stdout);
    assert_eq!(
        rows.len(),
        6,
        "blocking raw and lp32le, 3 metrics: {rows:#?}"
    );
    assert!(rows.iter().all(|r| r.flavour == "blocking"), "{rows:#?}");
    let err = text(&out.stderr);
    let skipped: Vec<&str> = err.lines().filter(|l| l.starts_with("skipped")).collect();
    assert_eq!(
        skipped,
        [
            "skipped: anon-pipe smol 64 B: async-io registers only sockets on Windows, not an \
          anonymous pipe"
        ],
        "{err}"
    );
}

/// The raw Win32 server (`tests/peers/windows/raw_pipe_server.c`, built by `.ci/windows.sh`).
fn raw_server_exe() -> std::path::PathBuf {
    let exe = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/windows-peers/raw_pipe_server.exe");
    assert!(
        exe.exists(),
        "the raw Win32 peer {} is missing: source .ci/windows.sh, which builds it",
        exe.display()
    );
    exe
}

/// A running raw Win32 server; killed if the test fails before it exits.
struct RawServer {
    child: Option<Child>,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl RawServer {
    /// Starts `raw_pipe_server NAME MODE SIZES...` and waits until it says the pipe exists.
    fn spawn(name: &str, mode: &str, sizes: &[&str]) -> RawServer {
        use std::io::BufRead;
        let mut child = Command::new(raw_server_exe())
            .arg(name)
            .arg(mode)
            .args(sizes)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut server = RawServer {
            child: Some(child),
            out,
        };
        let mut line = String::new();
        server.out.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n", "raw_pipe_server did not start");
        server
    }

    /// Waits for the server to exit: what it printed after "ready", and its status.
    fn finish(mut self) -> (String, Output) {
        use std::io::Read;
        let status = wait(self.child.take().unwrap(), Duration::from_secs(60));
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        (rest, status)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A server that writes 10,000-, 1- and 100,000-byte frames, then reads: `connect` prints all
/// three before it ends, whatever the timing, in message mode and in byte mode, 20 times each
/// (the frames are written before the server reads our last frame, so they are ours to print).
#[test]
fn connect_prints_every_frame_the_server_wrote_before_reading_ours() {
    let want = format!("{}\nb\n{}\n", "a".repeat(10_000), "c".repeat(100_000));
    let runs: Vec<_> = [("message", "message"), ("bytes", "dotnet")]
        .into_iter()
        .map(|(mode, framing)| {
            let want = want.clone();
            thread::spawn(move || {
                let mut lost = Vec::new();
                for rep in 0..20 {
                    let name = unique("before");
                    let server = RawServer::spawn(&name, mode, &["10000", "1", "100000"]);
                    let client = run(
                        &["connect", &format!("pipe:{name}"), "--framing", framing],
                        b"hello\nworld!\n",
                    );
                    let (read, srv) = server.finish();
                    assert_ok(&format!("raw server {mode}"), &srv);
                    let heard = if mode == "message" {
                        "msg 1 hello\nmsg 2 world!\n"
                    } else {
                        "bytes 0500000068656c6c6f06000000776f726c6421\n"
                    };
                    assert_eq!(read, heard, "{mode} run {rep}: what the server read");
                    let got = text(&client.stdout);
                    if !client.status.success() || got != want {
                        lost.push(format!(
                            "run {rep}: {:?}, printed {} lines ({} bytes), stderr {:?}",
                            client.status,
                            got.lines().count(),
                            got.len(),
                            text(&client.stderr)
                        ));
                    }
                }
                (mode, lost)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for r in runs {
        let (mode, lost) = r.join().unwrap();
        if !lost.is_empty() {
            failures.push(format!(
                "{mode}: {} of 20 runs: {}",
                lost.len(),
                lost.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "frames lost: {}", failures.join("\n"));
}

/// Without a half-close, `connect` still prints the replies of an echoing server, as on Unix:
/// after stdin ends it waits for replies until a quiet second passes (then closes).
#[test]
fn connect_prints_the_replies_of_an_echo_server_without_count() {
    for framing in ["lp32le", "message"] {
        let addr = format!("pipe:{}", unique("echo"));
        let listener = spawn_listener(&["listen", &addr, "--framing", framing, "--echo", "--once"]);
        let client = run(&["connect", &addr, "--framing", framing], b"hello\nworld\n");
        assert_ok(&format!("connect {framing}"), &client);
        assert_eq!(text(&client.stdout), "hello\nworld\n", "{framing}");
        assert!(
            client.stderr.is_empty(),
            "{framing}: {}",
            text(&client.stderr)
        );
        let server = wait(listener, Duration::from_secs(60));
        assert_ok(&format!("listen {framing}"), &server);
        assert_eq!(text(&server.stdout), "hello\nworld\n", "{framing}");
    }
}

/// A frame cut short by our own close (the server sent 10 of a frame's 100,000 bytes, then
/// waits for us) is an error naming it: exit 1, after the frames before it are printed.
#[test]
fn closing_inside_a_frame_is_an_error_naming_it() {
    let name = unique("cut");
    let server = RawServer::spawn(&name, "bytes", &["3", "100000/10"]);
    let client = run(
        &[
            "connect",
            &format!("pipe:{name}"),
            "--framing",
            "lp32le",
            "--linger",
            "0.5",
        ],
        b"x\n",
    );
    let (read, srv) = server.finish();
    assert_ok("raw server", &srv);
    assert_eq!(read, "bytes 0100000078\n");
    let err = text(&client.stderr);
    assert_eq!(client.status.code(), Some(1), "{err}");
    assert_eq!(text(&client.stdout), "aaa\n");
    assert!(
        err.contains("closing inside a frame") && err.contains("14 bytes"),
        "{err}"
    );
}

/// A message listener meeting a client that writes lp32le frames (each one pipe message:
/// a length prefix and exactly its payload) warns once, naming both framings.
#[test]
fn a_message_listener_names_a_length_prefixed_client() {
    let addr = format!("pipe:{}", unique("mixed"));
    let listener = spawn_listener(&["listen", &addr, "--framing", "message", "--once"]);
    let client = run(
        &["connect", &addr, "--framing", "lp32le", "--linger", "0.2"],
        b"hello\nworld\n",
    );
    assert_ok("connect lp32le", &client);
    let server = wait(listener, Duration::from_secs(60));
    assert_ok("listen message", &server);
    let err = text(&server.stderr);
    assert!(
        err.contains("--framing lp32le") && err.contains("--framing message"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "once: {err}");
}
