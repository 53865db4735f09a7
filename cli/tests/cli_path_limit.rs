//! `pipeframe listen` / `connect` on `pipe:NAME` whose socket path (`$TMPDIR/CoreFxPipe_NAME`)
//! is exactly `sun_path`'s limit (107 bytes on Linux: it works) and one byte past it (a usage
//! error, exit 2, naming the lengths and the fix: a shorter name or a shorter TMPDIR).
#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MAX: usize = 107;

fn pipeframe(tmp: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pipeframe"));
    c.args(args).env("TMPDIR", tmp).stdin(Stdio::null());
    c
}

#[test]
fn pipe_name_at_the_socket_path_limit_and_one_past() {
    let dir = tempfile::Builder::new()
        .prefix("pl")
        .tempdir_in("/tmp")
        .unwrap();
    let fixed = dir.path().as_os_str().len() + "/CoreFxPipe_".len();

    // At the limit: the listener binds and a client gets a frame through.
    let name = "n".repeat(MAX - fixed);
    let sock = dir.path().join(format!("CoreFxPipe_{name}"));
    assert_eq!(sock.as_os_str().len(), MAX);
    let addr = format!("pipe:{name}");
    let listener = pipeframe(dir.path(), &["listen", &addr, "--count", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(
            Instant::now() < deadline,
            "the listener did not bind {}",
            sock.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut client = pipeframe(dir.path(), &["connect", &addr])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut client.stdin.take().unwrap(), b"at the limit\n").unwrap();
    assert!(client.wait().unwrap().success());
    let out = listener.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "at the limit\n");

    // One byte past: both commands refuse the address before making anything.
    let name = "n".repeat(MAX + 1 - fixed);
    let addr = format!("pipe:{name}");
    for cmd in ["listen", "connect"] {
        let out = pipeframe(dir.path(), &[cmd, &addr]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        for want in [
            format!("{} bytes", MAX + 1),
            format!("at most {MAX} bytes"),
            "use a pipe name at least 1 byte shorter, or a shorter TMPDIR".to_owned(),
        ] {
            assert!(err.contains(&want), "{cmd}: {want:?} not in {err}");
        }
    }
    assert!(!dir.path().join(format!("CoreFxPipe_{name}")).exists());
}
