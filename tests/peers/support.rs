//! Helpers for the interop tests (`tests/interop_*.rs` include this file with `#[path]`):
//! finding the peer programs, running a peer child with a watchdog, CRC-32 (which every
//! peer has built in), and the byte pattern the peers send.
#![allow(dead_code, unreachable_pub)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long a peer may run before the watchdog kills it (which unblocks the test's reads).
pub const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// `tests/peers/<name>`.
pub fn peer_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// Panics (failing the test) unless `program` runs with `args` and exits 0.
pub fn require(program: &str, args: &[&str], what: &str) {
    let ok = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "interop peer missing: {what} (`{program} {}` failed); run tests/peers/setup.sh",
        args.join(" ")
    );
}

/// The python of the venv `setup.sh` makes (python-lsp-jsonrpc installed).
pub fn venv_python() -> PathBuf {
    let py = peer_file(".venv/bin/python");
    require(
        py.to_str().unwrap(),
        &["-c", "import pylsp_jsonrpc.streams"],
        "python-lsp-jsonrpc in tests/peers/.venv",
    );
    py
}

/// A running peer process: stderr is collected, and a watchdog kills it after
/// [`PEER_TIMEOUT`] so a test that goes wrong fails instead of hanging.
pub struct Peer {
    pub child: Child,
    name: String,
    disarm: Option<mpsc::Sender<()>>,
    watchdog: Option<thread::JoinHandle<bool>>,
    stderr: Option<thread::JoinHandle<String>>,
}

impl Peer {
    /// Spawns `cmd` with stderr piped (stdin and stdout as the caller configured them).
    pub fn spawn(name: &str, mut cmd: Command) -> Peer {
        cmd.stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}; run tests/peers/setup.sh"));
        let mut err = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let (disarm, rx) = mpsc::channel::<()>();
        let watchdog = thread::spawn(move || match rx.recv_timeout(PEER_TIMEOUT) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // The child is not reaped before the watchdog is joined, so the pid is still
                // ours here.
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                true
            }
            _ => false,
        });
        Peer {
            child,
            name: name.to_owned(),
            disarm: Some(disarm),
            watchdog: Some(watchdog),
            stderr: Some(stderr),
        }
    }

    /// Waits for the peer to exit; returns its status and what it wrote to stderr.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let status = self.child.wait().expect("wait for peer");
        drop(self.disarm.take());
        let killed = self.watchdog.take().unwrap().join().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        assert!(
            !killed,
            "{} ran longer than {PEER_TIMEOUT:?} and was killed; stderr:\n{stderr}",
            self.name
        );
        (status, stderr)
    }

    /// Waits for the peer and checks that it exited 0.
    pub fn finish(self) -> String {
        let name = self.name.clone();
        let (status, stderr) = self.wait();
        assert!(
            status.success(),
            "{name} failed: {status}; stderr:\n{stderr}"
        );
        stderr
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // A test that panicked before `finish`: do not leave the child running.
        if self.watchdog.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            drop(self.disarm.take());
        }
    }
}

/// CRC-32 (IEEE, as zlib and Erlang's `erlang:crc32/1`).
pub fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = !0u32;
    for &b in data {
        crc = table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The bytes the peers send of their own accord: byte `i` of a pattern with key `k` is
/// `(i + k) % 251` (a prime period, so a frame cut or shifted anywhere shows).
pub fn peer_pattern(len: usize, k: usize) -> Vec<u8> {
    (0..len).map(|i| ((i + k) % 251) as u8).collect()
}

/// `len` bytes that differ with `seed` and do not repeat with a short period.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_right(13) as u8 ^ seed)
        .collect()
}
