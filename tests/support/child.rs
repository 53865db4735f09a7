//! Child processes for the integration tests: the test binary re-executes itself to run one
//! `#[test]` function, the child's entry point, which returns at once in a normal run and plays
//! the child when [`ROLE`] (or the variable a test chose) is set. Included with
//! `#[path = "support/child.rs"] mod child;`.
#![allow(dead_code, unreachable_pub)]

use std::io::{self, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The variable that names a child's role.
pub const ROLE: &str = "PIPEFRAME_TEST_CHILD";

/// The arguments that make this test binary run only the test `entry`, its output shown.
pub fn self_args(entry: &str) -> [&str; 4] {
    [entry, "--exact", "--nocapture", "--test-threads=1"]
}

/// This test binary, running only the test `entry`.
pub fn self_command(entry: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args(self_args(entry));
    cmd
}

/// This test binary as a child playing `role` in `child_entry_point`: no stdin, no stdout
/// (libtest writes there too), stderr piped for the error a failing child prints.
pub fn command(role: &str) -> Command {
    let mut cmd = self_command("child_entry_point");
    cmd.env(ROLE, role)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// The body of a `child_entry_point` test: returns at once unless [`ROLE`] is set; in a child,
/// runs `run(role)` and exits, 0 on success, 2 after printing the error on stderr.
pub fn main(run: impl FnOnce(&str) -> io::Result<()>) {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let code = match run(&role) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("child {role}: {e}");
            2
        }
    };
    std::process::exit(code);
}

/// Runs `f` on a thread and fails the test if it does not finish in `limit` (a hang would
/// otherwise stall the suite; the limit is generous and asserts nothing about speed). A panic
/// in `f` is the test's panic.
pub fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{what}: hung, no result within {limit:?}"),
    }
}

/// `Ok` if `res` is the error of `kind` whose message contains `text` (for checks inside a
/// child, which reports a failure through its exit status and stderr).
pub fn expect_err<T>(res: io::Result<T>, kind: io::ErrorKind, text: &str) -> io::Result<()> {
    match res {
        Err(e) if e.kind() == kind && e.to_string().contains(text) => Ok(()),
        Err(e) => Err(io::Error::other(format!(
            "want a {kind:?} error containing {text:?}, got {:?}: {e}",
            e.kind()
        ))),
        Ok(_) => Err(io::Error::other(format!(
            "want a {kind:?} error containing {text:?}, got Ok"
        ))),
    }
}

/// What the child wrote on its piped stderr (read to its end: call it once the child is done
/// or its stderr is all that is left).
pub fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    err
}
