//! End-to-end tests of the `pipeframe` binary: listen/connect over every address kind,
//! `encode | dump` for every framing, and each error case of the CLI contract.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::codec::FRAMING_NAMES;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pipeframe"))
}

/// A name no other test (or earlier run) uses.
fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "pf-cli-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Waits for a child, killing it after `limit` so a hang fails the test instead of CI.
fn wait(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "pipeframe did not finish within {limit:?}; stdout {:?}, stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
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
    let out = wait(child, Duration::from_secs(30));
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

/// `listen ADDR --echo --once` and `connect ADDR` exchange lines both ways.
fn echo_round_trip(addr: &str, framing: &[&str]) {
    let mut largs = vec!["listen", addr, "--echo", "--once"];
    largs.extend_from_slice(framing);
    let listener = spawn_listener(&largs);
    let mut cargs = vec!["connect", addr];
    cargs.extend_from_slice(framing);
    let input = "one\ntwo words\n\nthré\n";
    let client = run(&cargs, input.as_bytes());
    assert_ok(&format!("connect {addr}"), &client);
    assert_eq!(text(&client.stdout), input, "echoed frames over {addr}");
    let server = wait(listener, Duration::from_secs(20));
    assert_ok(&format!("listen {addr}"), &server);
    assert_eq!(
        text(&server.stdout),
        input,
        "frames printed by listen {addr}"
    );
}

#[test]
fn listen_connect_over_a_dotnet_pipe_name() {
    let name = unique("pipe");
    echo_round_trip(&format!("pipe:{name}"), &[]);
    let path = std::env::temp_dir().join(format!("CoreFxPipe_{name}"));
    assert!(
        !path.exists(),
        "the listener removes {path:?} when it exits"
    );
}

#[test]
fn listen_connect_over_unix_with_length_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("unix:{}", dir.path().join("s").display());
    echo_round_trip(&addr, &["--framing", "lp32le"]);
}

#[test]
fn listen_connect_over_abstract_with_lsp() {
    echo_round_trip(
        &format!("abstract:{}", unique("abs")),
        &["--framing", "lsp"],
    );
}

#[test]
fn listen_connect_over_seqpacket_messages() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("seqpacket:{}", dir.path().join("q").display());
    // Empty frames cannot travel in message mode: send only non-empty lines.
    let listener = spawn_listener(&["listen", &addr, "--echo", "--once"]);
    let client = run(&["connect", &addr], b"m1\nsecond message\n");
    assert_ok("connect seqpacket", &client);
    assert_eq!(text(&client.stdout), "m1\nsecond message\n");
    let server = wait(listener, Duration::from_secs(20));
    assert_ok("listen seqpacket", &server);
    assert_eq!(text(&server.stdout), "m1\nsecond message\n");
}

#[test]
fn listen_connect_over_tcp_with_netstrings() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    echo_round_trip(
        &format!("tcp:127.0.0.1:{port}"),
        &["--framing", "netstring"],
    );
}

#[test]
fn listen_connect_over_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("fifo:{}", dir.path().join("f").display());
    let listener = spawn_listener(&["listen", &addr, "--once", "--framing", "varint"]);
    let client = run(
        &["connect", &addr, "--framing", "varint"],
        b"over\nthe fifo\n",
    );
    assert_ok("connect fifo", &client);
    let server = wait(listener, Duration::from_secs(20));
    assert_ok("listen fifo", &server);
    assert_eq!(text(&server.stdout), "over\nthe fifo\n");
}

#[test]
fn connect_and_listen_over_inherited_descriptors() {
    use pipeframe::codec::LengthPrefixed;
    use pipeframe::pipe;
    use pipeframe::sync::{FrameReader, FrameWriter};

    // connect fd:N writes stdin lines as frames into a pipe the parent reads.
    let (rx, end) = pipe::from_child().unwrap();
    let mut cmd = bin();
    cmd.args([
        "connect",
        &format!("fd:{}", end.handle_string()),
        "--framing",
        "lp16be",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = end.spawn(&mut cmd).unwrap();
    if let Err(e) = child.stdin.take().unwrap().write_all(b"a\nbb\n") {
        let out = wait(child, Duration::from_secs(20));
        panic!(
            "writing to connect's stdin: {e}; stderr {}",
            text(&out.stderr)
        );
    }
    let frames: Vec<_> = FrameReader::new(rx, LengthPrefixed::u16_be())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames, [&b"a"[..], &b"bb"[..]]);
    assert_ok("connect fd", &wait(child, Duration::from_secs(20)));

    // listen fd:N prints the frames the parent writes into a pipe.
    let (tx, end) = pipe::to_child().unwrap();
    let mut cmd = bin();
    cmd.args([
        "listen",
        &format!("fd:{}", end.handle_string()),
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
    let out = wait(child, Duration::from_secs(20));
    assert_ok("listen fd", &out);
    assert_eq!(text(&out.stdout), "from parent\n");
}

#[test]
fn listen_serves_clients_concurrently_until_count() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("unix:{}", dir.path().join("many").display());
    let listener = spawn_listener(&["listen", &addr, "--count", "6"]);
    let clients: Vec<_> = (0..3)
        .map(|i| {
            let addr = addr.clone();
            thread::spawn(move || run(&["connect", &addr], format!("c{i}a\nc{i}b\n").as_bytes()))
        })
        .collect();
    for c in clients {
        assert_ok("client", &c.join().unwrap());
    }
    let out = wait(listener, Duration::from_secs(20));
    assert_ok("listen --count", &out);
    let mut lines: Vec<_> = text(&out.stdout).lines().map(str::to_owned).collect();
    lines.sort();
    assert_eq!(lines, ["c0a", "c0b", "c1a", "c1b", "c2a", "c2b"]);
}

#[test]
fn encode_dump_round_trips_every_framing() {
    let input = "first\n\nsecond line with spaces\nthird: ünïcödé\n";
    for name in FRAMING_NAMES {
        let encoded = run(&["encode", "--framing", name], input.as_bytes());
        assert_ok(&format!("encode {name}"), &encoded);
        if !matches!(*name, "lines" | "node" | "readline") {
            assert_ne!(encoded.stdout, input.as_bytes(), "{name} adds framing");
        }
        let dumped = run(&["dump", "--framing", name], &encoded.stdout);
        assert_ok(&format!("dump {name}"), &dumped);
        assert_eq!(text(&dumped.stdout), input, "encode | dump with {name}");
    }
}

#[test]
fn dump_escapes_and_reports_malformed_streams_with_offset() {
    let out = run(
        &["dump", "--framing", "lp8", "--escape"],
        b"\x03a\x00\\\x01\n",
    );
    assert_ok("dump --escape", &out);
    assert_eq!(text(&out.stdout), "a\\x00\\x5c\n\\x0a\n");

    // Two good frames (4 + 3 bytes), then a negative .NET length at offset 7.
    let out = run(
        &["dump", "--framing", "dotnet"],
        b"\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("byte offset 4") || err.contains("byte offset 8"),
        "{err}"
    );
    assert!(err.contains("negative length"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn usage_errors_exit_2_naming_the_problem() {
    for (args, needle) in [
        (&["listen", "bogus:x"][..], "bogus:x"),
        (&["connect", "tcp:nohost"][..], "tcp:nohost"),
        (&["encode", "--framing", "lp24"][..], "lp24"),
        (
            &["listen", "unix:/tmp/x", "--framing", "message"][..],
            "message",
        ),
        (
            &["listen", "seqpacket:/tmp/x", "--framing", "lines"][..],
            "lines",
        ),
        (&["listen", "fifo:/tmp/x", "--echo"][..], "--echo"),
        (&["encode", "--framing", "message"][..], "message"),
        (&["bench", "--sizes", "1x"][..], "1x"),
        (&["bench", "--pipe-capacity", "0"][..], "--pipe-capacity 0"),
        (
            &["bench", "--pipe-capacity", "1024m"][..],
            "fs.pipe-max-size",
        ),
        (&["connect", "handle:1234"][..], "is Windows-only"),
    ] {
        let out = run(args, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn connect_failures_exit_1_in_one_line_naming_the_endpoint() {
    let name = unique("absent");
    let out = run(
        &["connect", &format!("pipe:{name}"), "--timeout", "0.3"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&name) && err.contains("timed out"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(
        &[
            "connect",
            &format!("tcp:127.0.0.1:{port}"),
            "--timeout",
            "0.2",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&port.to_string()) && err.contains("refused"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn connect_waits_for_a_server_that_starts_later() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late");
    let addr = format!("unix:{}", path.display());
    let client = {
        let addr = addr.clone();
        thread::spawn(move || run(&["connect", &addr, "--count", "1"], b"hi\n"))
    };
    thread::sleep(Duration::from_millis(300));
    let listener = spawn_listener(&["listen", &addr, "--echo", "--once"]);
    let out = client.join().unwrap();
    assert_ok("late connect", &out);
    assert_eq!(text(&out.stdout), "hi\n");
    assert_ok("listen", &wait(listener, Duration::from_secs(20)));
}

/// A peer that sends a malformed frame: `connect` prints the reason and exits 1; `listen`
/// closes that client and goes on serving others.
#[test]
fn malformed_frames_from_a_peer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad");
    let server = UnixListener::bind(&path).unwrap();
    let fake = thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        s.write_all(b"\xff\xff\xff\xff").unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    });
    let out = run(
        &[
            "connect",
            &format!("unix:{}", path.display()),
            "--framing",
            "dotnet",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("negative length"),
        "{}",
        text(&out.stderr)
    );
    fake.join().unwrap();

    let path = dir.path().join("listen");
    let addr = format!("unix:{}", path.display());
    let listener = spawn_listener(&["listen", &addr, "--framing", "dotnet", "--count", "1"]);
    // The bad client: lp32be "x" reads as a 16 MiB .NET length, over the 8 MiB limit; the
    // listener closes that stream.
    let bad = run(&["connect", &addr, "--framing", "lp32be"], b"x\n");
    assert_ok("bad client", &bad);
    let good = run(&["connect", &addr, "--framing", "dotnet"], b"fine\n");
    assert_ok("good client", &good);
    let out = wait(listener, Duration::from_secs(20));
    assert_ok("listen", &out);
    assert_eq!(text(&out.stdout), "fine\n");
    assert!(
        text(&out.stderr).contains("closing"),
        "{}",
        text(&out.stderr)
    );
}

/// A closed stdout ends the program quietly: exit 0, no panic message.
#[test]
fn closed_stdout_exits_quietly() {
    let input: Vec<u8> = (0..200_000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let mut child = bin()
        .args(["dump", "--framing", "lines"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `| head -0`
    let mut stdin = child.stdin.take().unwrap();
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = wait(child, Duration::from_secs(30));
    feeder.join().unwrap();
    let status: ExitStatus = out.status;
    assert!(status.success(), "{status:?} {}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// `bench --json` prints one JSON array of rows with the documented keys, raw and framed side
/// by side, and reports progress on stderr; checked with Python's JSON parser.
#[test]
fn bench_json_rows() {
    let out = run(
        &[
            "bench",
            "--quick",
            "--json",
            "--sizes",
            "64",
            "--transports",
            "pipe,tcp",
            "--flavours",
            "blocking",
            "--rounds",
            "3",
        ],
        b"",
    );
    assert_ok("bench --json", &out);
    let err = text(&out.stderr);
    for stage in [
        "[calibrating, 1/8] pipe blocking 64 B",
        "[round 3/3, 8/8]",
        "8 cells, 3 rounds done in ",
    ] {
        assert!(err.contains(stage), "no {stage:?} in {err}");
    }
    assert!(
        !err.contains('\x1b') && !err.contains('\r'),
        "stderr is no terminal: no control codes: {err:?}"
    );
    // Every row has a median and one figure per round, the median among them; rounds are
    // paired across rows (the same count everywhere).
    let check = r#"
import json, statistics, sys
rows = json.load(sys.stdin)
keys = {"transport", "flavour", "framing", "size", "metric", "value", "min", "max", "samples"}
assert rows and all(set(r) == keys for r in rows), rows
assert {r["transport"] for r in rows} == {"pipe", "tcp"}
assert {r["framing"] for r in rows} == {"raw", "lp32le"}
assert {r["metric"] for r in rows} == {"bytes_per_s", "msgs_per_s", "rtt_ns"}
assert all(r["size"] == 64 and r["flavour"] == "blocking" and r["value"] > 0 for r in rows)
assert all(len(r["samples"]) == 3 for r in rows), rows
assert all(r["value"] == statistics.median(r["samples"]) for r in rows), rows
assert all(r["min"] == min(r["samples"]) and r["max"] == max(r["samples"]) for r in rows), rows
print(len(rows))
"#;
    let mut py = Command::new("python3")
        .args(["-c", check])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    py.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let py = wait(py, Duration::from_secs(20));
    assert!(py.status.success(), "{}", text(&py.stderr));
    assert_eq!(
        text(&py.stdout).trim(),
        "12",
        "2 transports x raw/framed x 3 metrics"
    );
}

/// `benches/targets.py` reads what `bench --json` prints: the rows it needs for the pipe
/// targets are found (a median, and a floor from the 65,540-byte raw rows the bench adds beside
/// 64 KiB), and targets whose rows the run left out say so instead of failing. Also runs
/// `--pipe-capacity`.
#[test]
fn targets_script_reads_bench_json() {
    let out = run(
        &[
            "bench",
            "--quick",
            "--json",
            "--sizes",
            "64,64k",
            "--transports",
            "pipe",
            "--flavours",
            "blocking",
            "--pipe-capacity",
            "256k",
            "--rounds",
            "3",
        ],
        b"",
    );
    assert_ok("bench --json", &out);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    std::fs::write(&json, &out.stdout).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/targets.py");
    let py = Command::new("python3")
        .arg(script)
        .arg("--all")
        .arg(&json)
        .arg(&json)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let py = wait(py, Duration::from_secs(20));
    assert!(py.status.success(), "{}", text(&py.stderr));
    let table = text(&py.stdout);
    let line = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no {name:?} line in\n{table}"))
            .split(" | ")
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let number = |cell: &str| -> f64 {
        let first = cell.split_whitespace().next().unwrap();
        first
            .parse()
            .unwrap_or_else(|_| panic!("{cell:?} is not a figure"))
    };
    // | name | goal | median (run run) | spread | met/missed | floor (run run) | against |
    let tp = line("pipe 64 KiB blocking framed/raw throughput");
    assert!(number(&tp[2]) > 0.0, "{tp:?}");
    assert_eq!(tp[3], "0.0%", "the same run twice: {tp:?}");
    assert!(matches!(tp[4].as_str(), "met" | "missed"), "{tp:?}");
    assert!(number(&tp[5]) > 0.0, "throughput floor missing: {tp:?}");
    assert!(tp[6].starts_with(">= 0.98: "), "{tp:?}");
    let rtt = line("pipe 64 KiB blocking framed/raw round trip");
    assert!(number(&rtt[5]) > 0.0, "round-trip floor missing: {rtt:?}");
    let wire = line("64 B pipe framed wire B/s / raw 64 KiB B/s");
    assert!(number(&wire[2]) > 0.0, "{wire:?}");
    let absent = line("tokio / tokio-util 64 B frames/s unix");
    assert_eq!(absent[4], "not measured", "{absent:?}");
    assert!(
        table.contains("| pipe, blocking | "),
        "no sweep line: {table}"
    );
    assert!(table.contains("within 5%"), "no --all summary: {table}");
}

/// A killed `listen seqpacket:PATH` leaves its socket file: the next listener reclaims it (as
/// `pipe:` does), while a live listener's name is still refused.
#[test]
fn seqpacket_listener_reclaims_a_stale_socket_file_but_not_a_live_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp");
    let addr = format!("seqpacket:{}", path.display());
    let mut first = spawn_listener(&["listen", &addr]);
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "listener never bound"
        );
        thread::sleep(Duration::from_millis(10));
    }
    // Live: a second listener on the same name is refused, and the first keeps it.
    let second = run(&["listen", &addr, "--once"], b"");
    assert_eq!(second.status.code(), Some(1), "{}", text(&second.stderr));
    assert!(
        text(&second.stderr).contains("in use"),
        "{}",
        text(&second.stderr)
    );
    assert!(path.exists());

    first.kill().unwrap(); // SIGKILL: no cleanup, the socket file stays
    let _ = first.wait();
    assert!(path.exists(), "a killed listener leaves its socket file");

    let again = spawn_listener(&["listen", &addr, "--once"]);
    let client = run(&["connect", &addr], b"after\n");
    assert_ok("connect to the new listener", &client);
    let out = wait(again, Duration::from_secs(20));
    assert_ok("listen over a stale socket file", &out);
    assert_eq!(text(&out.stdout), "after\n");
}

/// An overlong line is recoverable: `listen` reports it (naming `--max-frame`) and keeps the
/// connection; the lines after it arrive.
#[test]
fn listen_keeps_a_connection_after_a_recoverable_error() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("unix:{}", dir.path().join("rec").display());
    let listener = spawn_listener(&["listen", &addr, "--max-frame", "4", "--count", "2"]);
    let client = run(
        &["connect", &addr],
        b"this line is far too long\nok\nfine\n",
    );
    assert_ok("client", &client);
    let out = wait(listener, Duration::from_secs(20));
    assert_ok("listen", &out);
    assert_eq!(text(&out.stdout), "ok\nfine\n");
    let err = text(&out.stderr);
    assert!(
        err.contains("--max-frame") && err.contains("going on"),
        "{err}"
    );
    assert!(
        !err.contains("with_max_frame_len"),
        "the CLI names its flag: {err}"
    );
}

/// `connect` says when the peer closes before any frame (exit 0) or inside one (exit 1).
#[test]
fn connect_reports_a_peer_closing_early_or_inside_a_frame() {
    let dir = tempfile::tempdir().unwrap();
    for (name, sent, status, needle) in [
        ("early", &b""[..], 0, "before sending any frame"),
        ("inside", &b"\x05\x00\x00\x00ab"[..], 1, "inside a frame"),
    ] {
        let path = dir.path().join(name);
        let server = UnixListener::bind(&path).unwrap();
        let sent = sent.to_vec();
        let fake = thread::spawn(move || {
            let (mut s, _) = server.accept().unwrap();
            s.write_all(&sent).unwrap();
            // Dropped: the connection closes.
        });
        let out = run(
            &[
                "connect",
                &format!("unix:{}", path.display()),
                "--framing",
                "lp32le",
            ],
            b"",
        );
        fake.join().unwrap();
        assert_eq!(
            out.status.code(),
            Some(status),
            "{name}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{name}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{}",
            text(&out.stderr)
        );
    }
}

/// `encode FILE` and `dump FILE` read the file instead of stdin.
#[test]
fn encode_and_dump_take_an_input_file() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.txt");
    std::fs::write(&lines, "one\ntwo\n").unwrap();
    let enc = run(
        &["encode", "--framing", "lp8", lines.to_str().unwrap()],
        b"ignored\n",
    );
    assert_ok("encode FILE", &enc);
    assert_eq!(enc.stdout, b"\x03one\x03two");
    let framed = dir.path().join("framed.bin");
    std::fs::write(&framed, &enc.stdout).unwrap();
    let dump = run(&["dump", "--framing", "lp8", framed.to_str().unwrap()], b"");
    assert_ok("dump FILE", &dump);
    assert_eq!(text(&dump.stdout), "one\ntwo\n");
    let dash = run(&["dump", "--framing", "lp8", "-"], &enc.stdout);
    assert_eq!(text(&dash.stdout), "one\ntwo\n", "- is stdin");
    let missing = run(&["dump", dir.path().join("nope").to_str().unwrap()], b"");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("nope"),
        "{}",
        text(&missing.stderr)
    );
}

/// `dump` escapes by default, so one frame is one line; `--raw` prints the bytes.
#[test]
fn dump_escapes_newlines_by_default_and_raw_does_not() {
    let wire = b"\x03a\nb\x05t\xc3\xa9\\!";
    let out = run(&["dump", "--framing", "lp8"], wire);
    assert_ok("dump", &out);
    assert_eq!(
        text(&out.stdout),
        "a\\x0ab\nté\\x5c!\n",
        "UTF-8 stays, controls escape"
    );
    let raw = run(&["dump", "--framing", "lp8", "--raw"], wire);
    assert_ok("dump --raw", &raw);
    assert_eq!(raw.stdout, b"a\nb\nt\xc3\xa9\\!\n");
}

/// Each subcommand's help describes only its own options.
#[test]
fn help_describes_only_options_that_apply() {
    for cmd in ["dump", "encode"] {
        let out = run(&[cmd, "--help"], b"");
        assert_ok(cmd, &out);
        let help = text(&out.stdout);
        assert!(!help.contains("seqpacket"), "{cmd} --help: {help}");
        assert!(!help.contains("message"), "{cmd} --help: {help}");
        assert!(help.contains("FILE"), "{cmd} --help: {help}");
    }
    let dump = text(&run(&["dump", "--help"], b"").stdout);
    assert!(
        dump.contains("--raw") && dump.contains("--escape"),
        "{dump}"
    );
    let encode = text(&run(&["encode", "--help"], b"").stdout);
    assert!(!encode.contains("--raw"), "{encode}");
}

/// Limits are named by the flag that changes them; a netstring length with too many digits is
/// not reported as another number.
#[test]
fn errors_name_the_flag_and_the_limit() {
    let out = run(
        &["dump", "--framing", "lp8", "--max-frame", "2"],
        b"\x03abc",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("raise it with --max-frame"), "{err}");
    assert!(!err.contains("with_max_frame_len"), "{err}");

    let out = run(
        &["dump", "--framing", "netstring", "--max-frame", "10000000"],
        b"4294967296:",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("more digits") && err.contains("10000000"),
        "{err}"
    );
    assert!(!err.contains("42949672 "), "{err}");
}

/// A Unix socket server on `path` that accepts one client, writes `send`, then reads until
/// the client ends its frames, returning what it read. It closes then, or, with `hold`, only
/// once `hold` is dropped (a server that never closes first).
fn one_client_server(
    path: &std::path::Path,
    send: &'static [u8],
    hold: Option<std::sync::mpsc::Receiver<()>>,
) -> thread::JoinHandle<Vec<u8>> {
    let server = UnixListener::bind(path).unwrap();
    server.set_nonblocking(true).unwrap();
    thread::spawn(move || {
        // A client that never comes fails the test (at its join) instead of hanging it.
        let start = Instant::now();
        let mut s = loop {
            match server.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(start.elapsed() < Duration::from_secs(30), "no client came");
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        s.set_nonblocking(false).unwrap();
        s.write_all(send).unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        if let Some(hold) = hold {
            let _ = hold.recv();
        }
        got
    })
}

/// Connects with `connect` once the listener started by the test has bound (retried until
/// then, failing after 20 s).
fn when_bound<T>(mut connect: impl FnMut() -> std::io::Result<T>) -> T {
    let start = Instant::now();
    loop {
        match connect() {
            Ok(c) => return c,
            Err(_) if start.elapsed() < Duration::from_secs(20) => {
                thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("the listener never bound: {e}"),
        }
    }
}

/// Issue: one overlong stdin line must not end all input. `connect` and `encode` report it by
/// line number, naming `--max-frame`, skip it, send the rest, and exit 1.
#[test]
fn an_overlong_input_line_is_reported_skipped_and_the_rest_sent() {
    let input = format!("{}\nafter\n", "y".repeat(100));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let server = one_client_server(&path, b"", None);
    let out = run(
        &[
            "connect",
            &format!("unix:{}", path.display()),
            "--framing",
            "lp32le",
            "--max-frame",
            "10",
        ],
        input.as_bytes(),
    );
    assert_eq!(
        server.join().unwrap(),
        b"\x05\0\0\0after",
        "the line after went out"
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("line 1 of stdin") && err.contains("--max-frame"),
        "{err}"
    );
    assert!(err.contains("1 line of stdin not sent"), "{err}");
    assert!(!err.contains("with_max_frame_len"), "{err}");

    let out = run(
        &["encode", "--framing", "lp32le", "--max-frame", "10"],
        input.as_bytes(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(out.stdout, b"\x05\0\0\0after");
    assert!(
        err.contains("line 1 of stdin") && err.contains("--max-frame"),
        "{err}"
    );
}

/// Issue: a hint must be one that can help. lp8 carries at most 255 bytes whatever
/// `--max-frame` says: the message names the format's limit and a wider prefix.
#[test]
fn a_format_limit_is_named_as_the_formats_not_the_flags() {
    let input = format!("short\n{}\nend\n", "z".repeat(300));
    let out = run(
        &["encode", "--framing", "lp8", "--max-frame", "1k"],
        input.as_bytes(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(out.stdout, b"\x05short\x03end");
    assert!(err.contains("line 2 of stdin"), "{err}");
    assert!(
        err.contains("255 bytes") && err.contains("wider prefix"),
        "{err}"
    );
    assert!(!err.contains("--max-frame"), "no flag can raise it: {err}");
}

/// Issue: text where a length prefix should be means the wrong framing: the hint names
/// `--framing` and the bytes seen, not `--max-frame`.
#[test]
fn text_where_a_length_should_be_names_the_wrong_framing() {
    let out = run(&["dump", "--framing", "lp32le"], b"hello world\n");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("\"hell\"") && err.contains("--framing"),
        "{err}"
    );
    assert!(!err.contains("--max-frame"), "{err}");
    // A length that is merely over the limit still names the flag.
    let out = run(
        &["dump", "--framing", "lp32le", "--max-frame", "4"],
        b"\x05\0\0\0hello",
    );
    let err = text(&out.stderr);
    assert!(err.contains("raise it with --max-frame"), "{err}");
}

/// Issue: LSP header lines ended with a bare `\n` get the rule named, at once: at the end of
/// input, and on a live connection without waiting for more bytes.
#[test]
fn lsp_headers_ended_by_a_bare_newline_name_the_rule_at_once() {
    let out = run(&["dump", "--framing", "lsp"], b"Content-Length: 2\n\n{}");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bare \\n") && err.contains("\\r\\n\\r\\n"),
        "{err}"
    );
    assert!(err.contains("SPEC.md §5"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let addr = format!("unix:{}", dir.path().join("lsp").display());
    let listener = spawn_listener(&["listen", &addr, "--framing", "lsp", "--once"]);
    let path = dir.path().join("lsp");
    let mut c = when_bound(|| std::os::unix::net::UnixStream::connect(&path));
    c.write_all(b"Content-Length: 2\n\n{}").unwrap();
    // The connection stays open: listen closes it because of the error, not of an end.
    let mut rest = Vec::new();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.read_to_end(&mut rest).unwrap();
    let out = wait(listener, Duration::from_secs(20));
    let err = text(&out.stderr);
    assert!(err.contains("closing") && err.contains("bare \\n"), "{err}");
}

/// Issue: a message that is exactly a length prefix and its payload means the peer writes a
/// byte framing into a message transport: warned once, naming both framings.
#[test]
fn a_length_prefixed_message_warns_of_mismatched_framings() {
    use pipeframe::message::SeqpacketStream;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp");
    let addr = format!("seqpacket:{}", path.display());
    let listener = spawn_listener(&["listen", &addr, "--once"]);
    let peer = when_bound(|| SeqpacketStream::connect(&path));
    peer.write_frame(b"\x05\0\0\0hello").unwrap();
    peer.write_frame(b"\x05\0\0\0again").unwrap();
    drop(peer);
    let out = wait(listener, Duration::from_secs(20));
    assert_ok("listen", &out);
    let err = text(&out.stderr);
    assert!(err.contains("lp32le") && err.contains("message"), "{err}");
    assert_eq!(err.lines().count(), 1, "warned once: {err}");
    assert_eq!(
        text(&out.stdout),
        "\\x05\\x00\\x00\\x00hello\n\\x05\\x00\\x00\\x00again\n"
    );
}

/// Issue: after stdin ends, `connect` keeps printing replies; with `--linger`, a server that
/// neither replies nor closes ends the connection after the quiet interval, with a warning
/// (frames were sent, none came back).
#[test]
fn linger_ends_a_quiet_connection_and_says_nothing_came_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quiet");
    let (hold, held) = std::sync::mpsc::channel();
    // Reads our frames and the end of them, then stays, silent, until the test is done.
    let quiet = one_client_server(&path, b"", Some(held));
    let start = Instant::now();
    let out = run(
        &[
            "connect",
            &format!("unix:{}", path.display()),
            "--linger",
            "0.3",
        ],
        b"ping\n",
    );
    let err = text(&out.stderr);
    assert_ok("connect --linger", &out);
    assert!(
        err.contains("none came back") && err.contains("0.3 s"),
        "{err}"
    );
    assert!(start.elapsed() >= Duration::from_millis(300));
    drop(hold);
    assert_eq!(quiet.join().unwrap(), b"ping\n");
}

/// Issue 21: a frame cut short by our own close is an error naming it, never silent.
#[test]
fn closing_inside_a_frame_after_linger_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial");
    // A frame declaring 100 bytes, 3 of them sent; then the server waits.
    let (hold, held) = std::sync::mpsc::channel::<()>();
    let server = one_client_server(&path, b"\x02\0\0\0ok\x64\0\0\0abc", Some(held));
    let out = run(
        &[
            "connect",
            &format!("unix:{}", path.display()),
            "--framing",
            "lp32le",
            "--linger",
            "0.3",
        ],
        b"",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        text(&out.stdout),
        "ok\n",
        "the whole frame before it is printed"
    );
    assert!(
        err.contains("closing inside a frame") && err.contains("7 bytes"),
        "our close, not the server's: {err}"
    );
    drop(hold);
    server.join().unwrap();
}

/// Issue: received frames are escaped by default in `listen` and `connect` as in `dump`
/// (no control codes reach the terminal); `--raw` prints them as they are.
#[test]
fn listen_and_connect_escape_control_bytes_unless_raw() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, want) in [
        (None, &b"a\\x1b[31mb\\x07 \xc3\xa9\n"[..]),
        (Some("--raw"), &b"a\x1b[31mb\x07 \xc3\xa9\n"[..]),
    ] {
        let path = dir.path().join(format!("esc{}", flag.is_some()));
        let server = one_client_server(&path, b"\x0b\0\0\0a\x1b[31mb\x07 \xc3\xa9", None);
        let addr = format!("unix:{}", path.display());
        let mut args = vec!["connect", addr.as_str(), "--framing", "lp32le"];
        args.extend(flag);
        let out = run(&args, b"");
        server.join().unwrap();
        assert_ok("connect", &out);
        assert_eq!(out.stdout, want, "connect {flag:?}");
    }
    let addr = format!("unix:{}", dir.path().join("l").display());
    let listener = spawn_listener(&["listen", &addr, "--once", "--framing", "nul"]);
    let client = run(&["connect", &addr, "--framing", "nul"], b"bell\x07\n");
    assert_ok("client", &client);
    let out = wait(listener, Duration::from_secs(20));
    assert_eq!(text(&out.stdout), "bell\\x07\n");
}

/// Issue: help lists every framing name from the library's table, with what aliases mean,
/// and the top-level help speaks to a person at a shell.
#[test]
fn help_lists_every_framing_with_its_meaning() {
    for cmd in ["listen", "connect", "encode", "dump"] {
        let help = text(&run(&[cmd, "--help"], b"").stdout);
        for name in FRAMING_NAMES {
            assert!(
                help.contains(&format!("{name}: ")),
                "{cmd} --help lacks {name}: {help}"
            );
        }
        assert!(help.contains("erlang: = lp32be"), "{help}");
        assert!(help.contains("node: = lines"), "{help}");
        assert!(
            help.contains("4-byte little-endian signed length"),
            "dotnet: {help}"
        );
        assert!(help.contains("(-1 and 8 more bytes"), "python: {help}");
        assert_eq!(
            help.contains("message: "),
            matches!(cmd, "listen" | "connect"),
            "{cmd}: {help}"
        );
    }
    let top = text(&run(&["--help"], b"").stdout);
    assert!(!top.contains("measurements behind"), "{top}");
    assert!(top.contains("from a shell"), "{top}");
    let connect = text(&run(&["connect", "--help"], b"").stdout);
    assert!(
        connect.contains("--linger") && connect.contains("When connect ends"),
        "{connect}"
    );
}

/// Issue: timeouts print one way ("0.3 s"), plurals agree, and address mistakes get a fix.
#[test]
fn messages_are_consistent_and_name_the_fix() {
    let name = unique("absent");
    let out = run(
        &["connect", &format!("pipe:{name}"), "--timeout", "0.3"],
        b"",
    );
    let err = text(&out.stderr);
    assert!(err.contains("timed out after 0.3 s"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("nobody");
    let out = run(
        &[
            "connect",
            &format!("unix:{}", sock.display()),
            "--timeout",
            "0.2",
        ],
        b"",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("timed out after 0.2 s"), "{err}");
    assert!(
        !err.contains("pipe server"),
        "a unix: socket is no pipe server: {err}"
    );

    let out = run(&["dump", "--framing", "lp32le"], b"\x02\0\0\0a");
    let err = text(&out.stderr);
    assert!(err.contains("5 bytes received, 1 byte missing"), "{err}");
    let out = run(&["dump", "--framing", "lp32le"], b"\x02");
    let err = text(&out.stderr);
    assert!(
        err.contains("1 byte received, at least 3 bytes missing"),
        "{err}"
    );

    let out = run(&["connect", "/tmp/x.sock"], b"");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unix:/tmp/x.sock"), "{err}");

    let long = "n".repeat(120);
    for (addr, fix) in [
        (format!("pipe:{long}"), "TMPDIR"),
        (format!("unix:/tmp/{long}"), "shorter path"),
    ] {
        let out = run(&["listen", &addr], b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{addr}: {err}");
        assert!(err.contains(fix) && err.contains("abstract:"), "{err}");
    }
}

/// Issue: `tests/peers/setup.sh` prints the .NET version without a stray `'\n'`.
#[test]
fn setup_script_prints_a_clean_summary() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/peers/setup.sh");
    let out = Command::new("bash")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait(out, Duration::from_secs(600));
    assert_ok("setup.sh", &out);
    let summary = text(&out.stdout);
    let last = summary.lines().last().unwrap_or_default();
    assert!(last.contains(".NET 3.1."), "{last}");
    assert!(!last.contains('\''), "{last}");
}
