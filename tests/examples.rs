//! The examples, run as the programs a user runs, on Unix and (under Wine) on Windows: each is
//! started from the binary `cargo test` builds next to the tests
//! (`target/[TRIPLE/]debug/examples/NAME[.exe]`), on pipe names of its own, and its output is
//! checked line by line. A client starts once its server has printed its `listening on`
//! line; every wait (a line, an exit) is bounded by [`WAIT`], so a hang fails the test; the
//! servers, which serve for ever, are killed at the end.
//!
//! The binaries must be as new as their sources: `cargo test` (with no target selection)
//! builds the examples along with the tests; with `--test examples` alone cargo builds no
//! example binary (nor with `--examples`, which builds them as tests), so build them first
//! (`cargo build --all-features --examples`). A missing or stale binary fails with that
//! advice.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use pipeframe::named::PipeName;

/// The bound on every wait: generous, since a process start under Wine on a busy machine
/// takes seconds.
const WAIT: Duration = Duration::from_secs(90);

/// The built example `name`, checked to be newer than every source it was built from.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/[TRIPLE/]debug/deps/examples-HASH -> target/[TRIPLE/]debug/examples/
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in a deps/ folder")
        .join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let advice = "cargo test builds the examples only when no target is selected: run \
                  `cargo test --all-features`, or `cargo build --all-features --examples` \
                  before `--test examples`";
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("example {name}: {} ({e}); {advice}", path.display()));
    if let Some(source) = newer_source(&dir.join(format!("{name}.d")), built) {
        panic!(
            "example {name}: {} is older than {}, one of its sources; {advice}",
            path.display(),
            source.display()
        );
    }
    path
}

/// A source listed in the dep-info file `d` (cargo's list of what the binary was built from,
/// the library's sources included) that changed after `built`.
fn newer_source(d: &Path, built: SystemTime) -> Option<PathBuf> {
    let text = std::fs::read_to_string(d)
        .unwrap_or_else(|e| panic!("{}: {e} (cargo writes it with the binary)", d.display()));
    let (_, deps) = text.lines().next()?.split_once(": ")?;
    // Paths are separated by spaces; a space inside one is written `\ `.
    let deps = deps.replace("\\ ", "\u{0}");
    deps.split_whitespace()
        .map(|p| PathBuf::from(p.replace('\u{0}', " ")))
        .find(|p| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t > built)
        })
}

/// How examples/common/peer.rs starts the user part of a peer: a uid on Unix, a SID on Windows.
#[cfg(unix)]
const USER: &str = "uid ";
#[cfg(windows)]
const USER: &str = "user S-1-";

/// A pipe name no other test, or other run of this test binary, uses.
fn unique(tag: &str) -> String {
    format!("pf-example-{tag}-{}", std::process::id())
}

/// What `PipeName::new(name)` displays as (`listening on` lines print it).
fn shown(name: &str) -> String {
    PipeName::new(name).expect("a valid pipe name").to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

/// A running example: its output lines as they come, and what came so far.
struct Running {
    what: String,
    child: Child,
    lines: mpsc::Receiver<(Stream, Option<String>)>,
    open: usize,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

/// What an example printed, and how it ended.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

impl Running {
    /// Starts example `name` with `args`, `input` on its stdin (then end of input), or no
    /// stdin at all.
    fn start(name: &str, args: &[&str], input: Option<&str>) -> Running {
        let what = format!("{name} {}", args.join(" "));
        let mut child = Command::new(example(name))
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
        if let Some(input) = input {
            let mut stdin = child.stdin.take().expect("piped");
            stdin
                .write_all(input.as_bytes())
                .unwrap_or_else(|e| panic!("{what}: writing its stdin: {e}"));
            // Dropped: the example reads end of input.
        }
        let (tx, lines) = mpsc::channel();
        relay(child.stdout.take().expect("piped"), Stream::Out, tx.clone());
        relay(child.stderr.take().expect("piped"), Stream::Err, tx);
        Running {
            what,
            child,
            lines,
            open: 2,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    fn id(&self) -> u32 {
        self.child.id()
    }

    /// The next line, or `None` once both streams ended; `Err` after `deadline`.
    fn next_line(&mut self, deadline: Instant) -> Result<Option<(Stream, String)>, ()> {
        while self.open > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((from, Some(line))) => {
                    match from {
                        Stream::Out => self.stdout.push(line.clone()),
                        Stream::Err => self.stderr.push(line.clone()),
                    }
                    return Ok(Some((from, line)));
                }
                Ok((_, None)) => self.open -= 1,
                Err(_) => return Err(()),
            }
        }
        Ok(None)
    }

    /// Waits for a line on `from` that `want` accepts, and returns it.
    fn wait_for(&mut self, from: Stream, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.next_line(deadline) {
                Ok(Some((f, line))) if f == from && want(&line) => return line,
                Ok(Some(_)) => {}
                Ok(None) => self.fail(&format!("ended before printing {what}")),
                Err(()) => self.fail(&format!("printed no {what} in {WAIT:?}")),
            }
        }
    }

    /// Waits for the `listening on` line a server prints once clients can connect.
    fn wait_listening(&mut self, line: &str) {
        self.wait_for(Stream::Out, &format!("{line:?}"), |l| l == line);
    }

    /// Waits for both output streams to end and the process to exit.
    fn finish(mut self) -> Finished {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.next_line(deadline) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(()) => self.fail(&format!("did not end in {WAIT:?}")),
            }
        }
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return Finished {
                        status,
                        stdout: std::mem::take(&mut self.stdout),
                        stderr: std::mem::take(&mut self.stderr),
                    };
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => self.fail(&format!("closed its output but did not exit in {WAIT:?}")),
                Err(e) => self.fail(&format!("wait: {e}")),
            }
        }
    }

    /// Waits for a successful exit; returns the output.
    fn success(self) -> Finished {
        let what = self.what.clone();
        let done = self.finish();
        assert!(done.status.success(), "{what}: {}\n{done:#?}", done.status);
        done
    }

    /// Ends a server: kills it and collects what it printed.
    fn stop(mut self) -> Finished {
        let _ = self.child.kill();
        self.finish()
    }

    fn fail(&mut self, problem: &str) -> ! {
        let _ = self.child.kill();
        panic!(
            "{}: {problem}\nstdout: {:#?}\nstderr: {:#?}",
            self.what, self.stdout, self.stderr
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A server (or a failed test's example) must not outlive the test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends each line of `from` to `tx`, then `None`.
fn relay(
    from: impl Read + Send + 'static,
    stream: Stream,
    tx: mpsc::Sender<(Stream, Option<String>)>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            let line = line.strip_suffix('\r').unwrap_or(&line).to_owned();
            if tx.send((stream, Some(line))).is_err() {
                return;
            }
        }
        let _ = tx.send((stream, None));
    });
}

/// Asserts that `lines` holds `expected` in this order (other lines may come between).
fn assert_in_order(lines: &[String], expected: &[&str], what: &str) {
    let mut rest = lines.iter();
    for want in expected {
        assert!(
            rest.any(|l| l == want),
            "{what}: no {want:?} (in order) in {lines:#?}"
        );
    }
}

/// Asserts that `lines` is `sides` interleaved: each side's lines in its order, nothing else.
fn assert_interleaving(lines: &[String], sides: &[&[&str]], what: &str) {
    for side in sides {
        assert_in_order(lines, side, what);
    }
    let mut got: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut want: Vec<&str> = sides.iter().flat_map(|s| s.iter().copied()).collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "{what}: other lines than expected in {lines:#?}");
}

fn count(lines: &[String], want: impl Fn(&str) -> bool) -> usize {
    lines.iter().filter(|l| want(l)).count()
}

#[test]
fn named_pipe_oneway_client_logs_every_line_the_server_sends() {
    let pipe = unique("oneway");
    // Both roles: the client runs as a child process and is started before the server binds.
    let done = Running::start(
        "named_pipe_oneway",
        &["--pipe", &pipe],
        Some("hello\nworld\n"),
    )
    .success();
    assert_eq!(
        done.stdout,
        ["Received from server: hello", "Received from server: world"]
    );
    assert_eq!(
        done.stderr,
        [format!("server: waiting for a client on {}", shown(&pipe))]
    );
}

#[test]
fn named_pipe_duplex_answers_each_line_in_lines_and_binary_framing() {
    for binary in [false, true] {
        let pipe = unique(if binary {
            "duplex-binary"
        } else {
            "duplex-lines"
        });
        let mut args = vec!["--pipe", pipe.as_str()];
        if binary {
            args.push("--binary");
        }
        // Both roles: the server is a child process, the client reads our stdin.
        let done = Running::start("named_pipe_duplex", &args, Some("hi\nthere\nexit\n")).success();
        let server: &[&str] = &[
            "Server started",
            "Connection with the client established",
            "hi",
            "there",
            "Closing the connection",
        ];
        let client: &[&str] = &[
            "Client connected to the server",
            "Connected with the message: Welcome",
            "The server replies: Message received",
            "The server replies: Message received",
            "The server replies: Thank you for the connection. Bye!",
        ];
        assert_interleaving(&done.stdout, &[server, client], &format!("binary {binary}"));
        assert!(done.stderr.is_empty(), "{done:#?}");
    }
}

#[test]
fn named_pipe_concurrent_serves_three_clients_at_once_and_survives_one_vanishing() {
    let pipe = unique("concurrent");
    let run = Running::start("named_pipe_concurrent", &["--pipe", &pipe], None);
    let pid = run.id();
    let done = run.success();
    let out = &done.stdout;
    assert_eq!(
        out.first().map(String::as_str),
        Some(format!("Waiting for client connections on {}...", shown(&pipe)).as_str()),
        "{out:#?}"
    );
    // The demo clients run inside the example, so every peer is the example's own process.
    for id in 1..=3 {
        let connected = format!("Client #{id} connected (pid {pid}, {USER}");
        assert_eq!(
            count(out, |l| l.starts_with(&connected)),
            1,
            "{connected}: {out:#?}"
        );
        assert_in_order(
            out,
            &[
                &format!("Handling client #{id}."),
                &format!("Communication with client #{id} finished."),
            ],
            "server",
        );
    }
    for n in 1..=3 {
        let welcome = format!("[client {n}] Welcome, client #");
        assert_eq!(
            count(out, |l| l.starts_with(&welcome)),
            1,
            "{welcome}: {out:#?}"
        );
        // Client 2 vanishes after its second message, with that answer unread.
        let answered = if n == 2 { 1 } else { 3 };
        for i in 0..3 {
            let echo = format!("[client {n}] Echo: message {i} from demo client {n}");
            assert_eq!(
                count(out, |l| l == echo),
                usize::from(i < answered),
                "{echo}: {out:#?}"
            );
        }
    }
    assert_eq!(count(out, |l| l.ends_with(" says: exit")), 2, "{out:#?}");
    assert!(done.stderr.is_empty(), "{done:#?}");
}

#[test]
fn anonymous_pipe_child_prints_what_the_parent_sends_until_exit() {
    let done = Running::start("anonymous_pipe_child", &[], Some("hello\nworld\nexit\n")).success();
    let out = &done.stdout;
    let handle = out
        .iter()
        .find_map(|l| l.strip_prefix("Server initialized with Client Handle: "))
        .unwrap_or_else(|| panic!("no handle line: {out:#?}"));
    assert!(handle.parse::<u64>().is_ok(), "handle {handle:?}");
    let parent: &[&str] = &[
        &format!("Server initialized with Client Handle: {handle}"),
        "Server finished",
    ];
    let child: &[&str] = &[
        &format!("[CLIENT OUT]: Client handle: {handle}"),
        "[CLIENT OUT]: Client initialized",
        "[CLIENT OUT]: The server says: hello",
        "[CLIENT OUT]: The server says: world",
        "[CLIENT OUT]: Connection closed",
    ];
    assert_interleaving(out, &[parent, child], "anonymous_pipe_child");
    assert!(done.stderr.is_empty(), "{done:#?}");
}

#[test]
fn duplex_child_answers_on_the_second_pipe_and_both_see_end_of_stream() {
    let done = Running::start("duplex_child", &[], None).success();
    let out = &done.stdout;
    assert_eq!(
        out[..out.len().min(4)],
        [
            "parent got: ONE",
            "parent got: TWO",
            "parent got: THREE",
            "parent got: bye after 3 requests"
        ],
        "{out:#?}"
    );
    // ExitStatus shows as `exit status: 0` on Unix, `exit code: 0` on Windows.
    assert_eq!(out.len(), 5, "{out:#?}");
    assert!(
        out[4].starts_with("both directions done, child exited with exit ")
            && out[4].ends_with(": 0"),
        "{out:#?}"
    );
    assert!(done.stderr.is_empty(), "{done:#?}");
}

#[test]
fn framed_named_pipe_serves_twenty_framed_clients() {
    let pipe = unique("framed");
    let done = Running::start("framed_named_pipe", &["--pipe", &pipe], None).success();
    assert_eq!(
        done.stdout,
        [
            format!("Serving framed .NET messages on {}", shown(&pipe)),
            "20 clients, 3 requests each: every answer came back framed".to_owned(),
        ]
    );
    assert!(done.stderr.is_empty(), "{done:#?}");
}

/// A server example on a pipe of its own, `pipe:NAME` (with `extra` arguments after it), once
/// it listens (it prints `listening on`, the pipe, then `listening_tail`); and that address.
fn server(name: &str, tag: &str, extra: &[&str], listening_tail: &str) -> (Running, String) {
    let pipe = unique(tag);
    let address = format!("pipe:{pipe}");
    let mut args = vec![address.as_str()];
    args.extend_from_slice(extra);
    let mut server = Running::start(name, &args, None);
    server.wait_listening(&format!("listening on {}{listening_tail}", shown(&pipe)));
    (server, address)
}

#[test]
fn tokio_echo_server_echoes_smol_clients_on_a_named_pipe() {
    // Lines: two clients in turn, the server serving both.
    let (echo, address) = server(
        "tokio_echo_server",
        "echo-lines",
        &["lines"],
        ", lines framing",
    );
    for messages in [&["hello", "world"][..], &["once more"]] {
        let mut args = vec![address.as_str(), "lines"];
        args.extend_from_slice(messages);
        let done = Running::start("smol_client", &args, None).success();
        assert_eq!(done.stdout, messages, "{done:#?}");
        assert!(done.stderr.is_empty(), "{done:#?}");
    }
    echo.stop();

    // A length prefix carries a newline and an empty frame, which lines could not.
    let (echo, address) = server(
        "tokio_echo_server",
        "echo-lp32le",
        &["lp32le"],
        ", lp32le framing",
    );
    let done = Running::start(
        "smol_client",
        &[&address, "lp32le", "two\nlines", "", "end"],
        None,
    )
    .success();
    assert_eq!(done.stdout, ["two", "lines", "", "end"], "{done:#?}");
    echo.stop();
}

#[test]
fn http_server_answers_http_client_on_a_named_pipe() {
    let (http, address) = server("http_server", "http", &[], "");
    let done = Running::start("http_client", &[&address, "/"], None).success();
    assert_eq!(
        done.stdout,
        ["200 OK", "hello from pipeframe over HTTP/1.1"],
        "{done:#?}"
    );
    let done = Running::start("http_client", &[&address, "/missing"], None).success();
    assert_eq!(done.stdout, ["404 Not Found", "not found"], "{done:#?}");
    http.stop();
}

#[test]
fn grpc_greeter_server_greets_grpc_greeter_client_on_a_named_pipe_and_names_the_peer() {
    let (mut grpc, address) = server("grpc_greeter_server", "grpc", &[], "");
    let client = Running::start("grpc_greeter_client", &[&address, "world"], None);
    let client_pid = client.id();
    let done = client.success();
    assert_eq!(done.stdout, ["Hello world"], "{done:#?}");
    let peer = format!("peer: pid {client_pid}, {USER}");
    grpc.wait_for(Stream::Err, &format!("{peer:?}..."), |l| {
        l.starts_with(&peer)
    });
    grpc.stop();
}

#[test]
fn jsonrpc_calculator_server_adds_for_jsonrpc_calculator_client_on_a_named_pipe() {
    let (calc, address) = server("jsonrpc_calculator_server", "jsonrpc", &[], "");
    let done = Running::start("jsonrpc_calculator_client", &[&address], None).success();
    assert_eq!(
        done.stdout,
        ["Result of the RPC call: 5 + 3 = 8"],
        "{done:#?}"
    );
    // C# int arithmetic: it wraps.
    let done = Running::start(
        "jsonrpc_calculator_client",
        &[&address, "2147483647", "1"],
        None,
    )
    .success();
    assert_eq!(
        done.stdout,
        ["Result of the RPC call: 2147483647 + 1 = -2147483648"],
        "{done:#?}"
    );
    calc.stop();
}

/// On Unix `unix:PATH` is any socket file, here one in a temporary folder.
#[cfg(unix)]
#[test]
fn jsonrpc_examples_meet_on_a_unix_socket_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calc.sock");
    let address = format!("unix:{}", path.display());
    let mut calc = Running::start("jsonrpc_calculator_server", &[&address], None);
    calc.wait_listening(&format!("listening on {}", path.display()));
    let done = Running::start("jsonrpc_calculator_client", &[&address, "40", "2"], None).success();
    assert_eq!(
        done.stdout,
        ["Result of the RPC call: 40 + 2 = 42"],
        "{done:#?}"
    );
    calc.stop();
}

/// On Windows `unix:PATH` names nothing: a usage error (exit 2) that says to use `pipe:NAME`.
#[cfg(windows)]
#[test]
fn unix_addresses_are_refused_on_windows_with_the_pipe_form_named() {
    for (name, args) in [
        ("http_client", &["unix:C:/app.sock", "/"][..]),
        ("jsonrpc_calculator_server", &["unix:C:/app.sock"][..]),
    ] {
        let done = Running::start(name, args, None).finish();
        assert_eq!(done.status.code(), Some(2), "{name}: {done:#?}");
        assert!(done.stdout.is_empty(), "{name}: {done:#?}");
        let first = done.stderr.first().map(String::as_str).unwrap_or_default();
        assert!(
            first.contains("exists on Unix only") && first.contains("use pipe:NAME"),
            "{name}: {done:#?}"
        );
    }
}
