//! A named pipe's socket path at `sun_path`'s limit and one byte past it (107 and 108 bytes
//! on Linux, 103 and 104 on macOS and the BSDs): the limit binds and connects, one past is a
//! typed `SocketPathTooLong` before any socket is made, naming the lengths and the fix. For
//! a .NET name (`$TMPDIR/CoreFxPipe_NAME`) the fix is a shorter name or a shorter `TMPDIR`;
//! those cases run in a child of this test binary with its own `TMPDIR`.
#![cfg(unix)]

use std::io;
use std::path::{Path, PathBuf};

use pipeframe::named::{self, ConnectOptions, Listener, PipeName, SocketPathTooLong};

#[path = "support/child.rs"]
mod child;

#[cfg(any(target_os = "linux", target_os = "android"))]
const MAX: usize = 107;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAX: usize = 103;

/// A path of exactly `len` bytes inside `dir`.
fn path_of_len(dir: &Path, len: usize) -> PathBuf {
    let base = dir.as_os_str().len() + 1;
    assert!(
        len > base + 1,
        "the temp dir {} is too long for this test",
        dir.display()
    );
    dir.join("p".repeat(len - base))
}

fn too_long(e: &io::Error) -> &SocketPathTooLong {
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    SocketPathTooLong::from_io(e).unwrap_or_else(|| panic!("not SocketPathTooLong: {e:?}"))
}

/// A short temp dir (the default one may already be long).
fn short_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pl")
        .tempdir_in("/tmp")
        .unwrap()
}

#[test]
fn explicit_path_at_the_limit_works_and_one_past_is_refused() {
    let dir = short_dir();
    let at = path_of_len(dir.path(), MAX);
    let l = Listener::bind(&PipeName::from_path(&at)).expect("a path of exactly the limit binds");
    let _c = named::connect(&PipeName::from_path(&at)).expect("and connects");
    drop(l);

    let past = path_of_len(dir.path(), MAX + 1);
    let name = PipeName::from_path(&past);
    for e in [
        Listener::bind(&name).unwrap_err(),
        named::connect(&name).unwrap_err(),
        ConnectOptions::new()
            .timeout(std::time::Duration::from_secs(5))
            .connect(&name)
            .unwrap_err(),
        name.check().unwrap_err(),
    ] {
        let t = too_long(&e);
        assert_eq!((t.len(), t.max(), t.path()), (MAX + 1, MAX, past.as_path()));
        let msg = e.to_string();
        assert!(msg.contains(&format!("is {} bytes", MAX + 1)), "{msg}");
        assert!(msg.contains(&format!("at most {MAX} bytes")), "{msg}");
        assert!(
            msg.contains("108 on Linux, 104 on macOS and the BSDs"),
            "{msg}"
        );
        assert!(
            msg.contains("use a shorter path (at least 1 byte shorter)"),
            "{msg}"
        );
    }
    assert!(!past.exists(), "nothing was bound");
}

#[test]
fn dotnet_name_at_the_limit_and_one_past_with_tmpdir() {
    let dir = short_dir();
    // $TMPDIR/CoreFxPipe_NAME: the name's length decides the total.
    let fixed = dir.path().as_os_str().len() + 1 + named::DOTNET_PREFIX.len();
    for (total, works) in [(MAX, true), (MAX + 1, false)] {
        let name = "n".repeat(total - fixed);
        let out = child::self_command("dotnet_name_child")
            .env("TMPDIR", dir.path())
            .env("PIPEFRAME_PATH_LIMIT_NAME", &name)
            .env("PIPEFRAME_PATH_LIMIT_WORKS", if works { "1" } else { "0" })
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "total {total}: {text}");
        assert!(text.contains("path-limit child checked"), "{text}");
    }
}

/// Runs only in the child of `dotnet_name_at_the_limit_and_one_past_with_tmpdir`.
#[test]
fn dotnet_name_child() {
    let Ok(name) = std::env::var("PIPEFRAME_PATH_LIMIT_NAME") else {
        return;
    };
    let works = std::env::var("PIPEFRAME_PATH_LIMIT_WORKS").unwrap() == "1";
    let pipe = PipeName::new(&name).unwrap();
    let path = pipe.socket_path().unwrap();
    if works {
        assert_eq!(path.as_os_str().len(), MAX);
        let _l = Listener::bind(&pipe).unwrap();
        named::connect(&pipe).unwrap();
    } else {
        assert_eq!(path.as_os_str().len(), MAX + 1);
        let e = Listener::bind(&pipe).unwrap_err();
        assert_eq!(too_long(&e).len(), MAX + 1);
        let msg = e.to_string();
        let tmp = std::env::var("TMPDIR").unwrap();
        for want in [
            format!(
                "pipe name {name:?} makes the socket path {}",
                path.display()
            ),
            format!("{} bytes", MAX + 1),
            "use a pipe name at least 1 byte shorter, or a shorter TMPDIR".to_owned(),
            format!("(now {tmp};"),
            ".NET puts its pipes in TMPDIR too".to_owned(),
        ] {
            assert!(msg.contains(&want), "{want:?} not in {msg}");
        }
        let e = named::connect(&pipe).unwrap_err();
        assert_eq!(too_long(&e).len(), MAX + 1, "{e}");
    }
    println!("path-limit child checked");
}
