//! `pipeframe listen` / `connect` with `--authkey-file` against CPython's own
//! `multiprocessing.connection` (`tests/peers/mp_auth.py`): the machine's python3 (3.11,
//! legacy HMAC-MD5) and CPython 3.13 (`{sha256}`, `tests/peers/.python-new/python3`, from
//! `tests/peers/setup_python_new.sh`). A wrong key is refused and the listener serves the
//! next client.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers")
}

/// The two Pythons: (program, whether it speaks `{sha256}`).
fn pythons() -> [(PathBuf, bool); 2] {
    let list = [
        (PathBuf::from("python3"), false),
        (peers().join(".python-new/python3"), true),
    ];
    for (p, modern) in &list {
        let check = format!(
            "import sys; assert (sys.version_info >= (3, 12)) == {}",
            if *modern { "True" } else { "False" }
        );
        let ok = Command::new(p)
            .args(["-c", &check])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "interop peer missing: {} ; run tests/peers/setup.sh",
            p.display()
        );
    }
    list
}

fn python(py: &Path, args: &[&str]) -> Child {
    Command::new(py)
        .arg(peers().join("mp_auth.py"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn lines(child: &mut Child) -> impl Iterator<Item = String> + use<> {
    BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap)
}

fn output(mut child: Child, limit: Duration) -> (i32, String, String) {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut o) = child.stdout.take() {
        o.read_to_string(&mut out).unwrap();
    }
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code().unwrap_or(-1), out, err)
}

fn key_file(dir: &Path, name: &str, key: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, key).unwrap();
    p
}

fn hex(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn listen_with_authkey_file_refuses_a_wrong_key_then_serves_python() {
    for (py, _) in pythons() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("l.sock");
        let key = key_file(dir.path(), "key", b"s3cret");
        let addr = format!("unix:{}", sock.display());
        let listener = Command::new(env!("CARGO_BIN_EXE_pipeframe"))
            .args(["listen", &addr, "--echo", "--authkey-file"])
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "the listener did not bind");
            std::thread::sleep(Duration::from_millis(10));
        }
        let (code, out, _) = output(
            python(&py, &["connect", sock.to_str().unwrap(), &hex(b"wrong")]),
            Duration::from_secs(20),
        );
        assert_eq!(code, 3, "{out}");
        assert!(out.starts_with("refused: AuthenticationError"), "{out}");
        let (code, out, err) = output(
            python(&py, &["connect", sock.to_str().unwrap(), &hex(b"s3cret")]),
            Duration::from_secs(20),
        );
        assert_eq!(
            (code, out.as_str()),
            (0, "ok\nhello from python\n"),
            "{err}"
        );
        // Both clients are done: end the listener and read what it printed.
        let mut listener = listener;
        listener.kill().unwrap();
        let (_, out, err) = output(listener, Duration::from_secs(20));
        assert_eq!(out, "hello from python\n");
        assert!(
            err.contains("closing: authentication failed: the peer's"),
            "{err}"
        );
        assert!(err.contains("so we refused it"), "{err}");
    }
}

#[test]
fn connect_with_authkey_file_to_python_listeners() {
    for (py, modern) in pythons() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("py.sock");
        let mut listener = python(
            &py,
            &["listen", sock.to_str().unwrap(), &hex(b"s3cret"), "2"],
        );
        let mut said = lines(&mut listener);
        assert_eq!(said.next().unwrap(), "ready");
        let addr = format!("unix:{}", sock.display());

        // A key file written with echo: the newline is part of the key, and the error says so.
        let bad = key_file(dir.path(), "bad", b"s3cret\n");
        let run = |key: &Path, input: &str| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_pipeframe"))
                .args(["connect", &addr, "--count", "1", "--authkey-file"])
                .arg(key)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut c.stdin.take().unwrap(), input.as_bytes()).unwrap();
            output(c, Duration::from_secs(20))
        };
        let (code, _, err) = run(&bad, "hi\n");
        assert_eq!(code, 1, "{err}");
        let digest = if modern { "HMAC-SHA256" } else { "HMAC-MD5" };
        assert!(
            err.contains(&format!(
                "authentication failed: the peer refused our {digest} answer"
            )),
            "{err}"
        );
        assert!(
            err.contains("ends with a newline, which is part of the key"),
            "{err}"
        );
        assert!(said.next().unwrap().starts_with("refused:"));

        let good = key_file(dir.path(), "good", b"s3cret");
        let (code, out, err) = run(&good, "hi\n");
        assert_eq!((code, out.as_str()), (0, "py:hi\n"), "{err}");
        assert_eq!(said.next().unwrap(), "ok");
        listener.kill().unwrap();
        listener.wait().unwrap();
    }
}

#[test]
fn authkey_file_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = key_file(dir.path(), "empty", b"");
    let key = key_file(dir.path(), "key", b"k");
    let sock = format!("unix:{}", dir.path().join("s").display());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pipeframe"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["connect", &sock, "--authkey-file", empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is empty"), "{err}");
    let (code, err) = run(&[
        "connect",
        &sock,
        "--framing",
        "lines",
        "--authkey-file",
        key.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("framed as 'python'"), "{err}");
    let (code, err) = run(&[
        "connect",
        &sock,
        "--authkey-file",
        dir.path().join("none").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read the authkey file"), "{err}");
}
