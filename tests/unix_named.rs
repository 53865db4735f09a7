//! Named pipe servers and clients on what only Unix has: stale and live socket files, socket
//! modes, access control with a client under another uid, abstract names, .NET's socket
//! paths, half-close. The scenarios both OSes share are in `named.rs`.
#![cfg(unix)]

use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use pipeframe::codec::LengthPrefixed;
use pipeframe::named::{self, ConnectOptions, ListenOptions, Listener, PipeName, PipeStream};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn echo(stream: PipeStream) -> io::Result<()> {
    let mut s = stream.framed(LengthPrefixed::u32_le())?;
    while let Some(f) = s.read_frame()? {
        s.write_frame(&f)?;
    }
    s.flush()
}

/// Starts `serve(echo)` on a thread of its own (it runs until the test process exits).
fn spawn_echo_server(listener: Listener) -> Arc<Listener> {
    let l = Arc::new(listener);
    let server = Arc::clone(&l);
    std::thread::spawn(move || server.serve(echo));
    l
}

fn roundtrip(name: &PipeName, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut c =
        named::connect_timeout(name, Duration::from_secs(10))?.framed(LengthPrefixed::u32_le())?;
    c.write_frame(payload)?;
    Ok(c.read_frame()?.map(|b| b.to_vec()).unwrap_or_default())
}

#[test]
fn stale_socket_file_is_reclaimed() {
    let dir = tmp();
    let path = dir.path().join("stale.sock");
    // A server that "crashed": std leaves the socket file behind.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let e = named::connect(&PipeName::from_path(&path)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");

    let name = PipeName::from_path(&path);
    let off = ListenOptions::new()
        .reclaim_stale(false)
        .bind(&name)
        .unwrap_err();
    assert_eq!(off.kind(), io::ErrorKind::AddrInUse, "{off}");

    let _server = spawn_echo_server(Listener::bind(&name).unwrap());
    assert_eq!(
        roundtrip(&name, b"after reclaim").unwrap(),
        b"after reclaim"
    );
}

#[test]
fn live_server_name_is_refused_and_keeps_working() {
    let dir = tmp();
    let path = dir.path().join("live.sock");
    let name = PipeName::from_path(&path);
    let _server = spawn_echo_server(Listener::bind(&name).unwrap());
    let e = Listener::bind(&name).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
    let msg = e.to_string();
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
    assert!(msg.contains("a server is listening on it"), "{msg}");
    assert_eq!(roundtrip(&name, b"still mine").unwrap(), b"still mine");
}

#[test]
fn a_file_that_is_not_a_socket_is_never_removed() {
    let dir = tmp();
    let path = dir.path().join("data.txt");
    std::fs::write(&path, b"precious").unwrap();
    let e = Listener::bind(&PipeName::from_path(&path)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
    assert!(
        e.to_string().contains("is a regular file, not a socket"),
        "{e}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
}

#[test]
fn dropping_the_listener_removes_its_socket_file_only() {
    let dir = tmp();
    let path = dir.path().join("drop.sock");
    let name = PipeName::from_path(&path);
    let l = Listener::bind(&name).unwrap();
    assert_eq!(l.socket_path(), Some(path.as_path()));
    drop(l);
    assert!(!path.exists(), "socket file left behind");

    // The name taken over by another listener after ours was unlinked: ours leaves it alone.
    let first = Listener::bind(&name).unwrap();
    std::fs::remove_file(&path).unwrap();
    let second = Listener::bind(&name).unwrap();
    drop(first);
    assert!(
        path.exists(),
        "dropped listener removed another listener's socket file"
    );
    drop(second);
    assert!(!path.exists());
}

fn mode_of(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn socket_file_gets_the_mode_asked() {
    let dir = tmp();
    let a = dir.path().join("default.sock");
    let _la = Listener::bind(&PipeName::from_path(&a)).unwrap();
    assert_eq!(mode_of(&a), 0o600);
    // 0o666 although the umask (usually 022) would take bits away.
    let b = dir.path().join("open.sock");
    let _lb = ListenOptions::new()
        .mode(0o666)
        .bind(&PipeName::from_path(&b))
        .unwrap();
    assert_eq!(mode_of(&b), 0o666);
    let e = ListenOptions::new()
        .mode(0o4700)
        .bind(&PipeName::from_path(dir.path().join("x.sock")))
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn peer_credentials_on_both_sides() {
    let dir = tmp();
    let name = PipeName::from_path(dir.path().join("cred.sock"));
    let l = Listener::bind(&name).unwrap();
    let c = ConnectOptions::new()
        .current_user_only(true)
        .connect(&name)
        .unwrap();
    let s = l.accept().unwrap();
    let me = std::process::id();
    for p in [s.peer_credentials().unwrap(), c.peer_credentials().unwrap()] {
        assert_eq!(p.pid(), Some(me));
        assert_eq!(p.uid(), rustix_uid());
    }
}

fn rustix_uid() -> u32 {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap()
}

/// A python3 that another user may run (`/root/.pyenv` is not readable by `nobody`).
fn system_python() -> Option<PathBuf> {
    ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs `script` under uid/gid 65534 with `setpriv` (or `runuser`), or says why it cannot.
fn run_as_nobody(script: &str, arg: &Path) -> Result<String, String> {
    let python = system_python().ok_or("no system python3 another user can run")?;
    let attempts: [(&str, Vec<&str>); 2] = [
        (
            "setpriv",
            vec!["--reuid=65534", "--regid=65534", "--clear-groups"],
        ),
        ("runuser", vec!["-u", "nobody", "--"]),
    ];
    let mut why = Vec::new();
    for (tool, args) in attempts {
        let out = Command::new(tool)
            .args(&args)
            .arg(&python)
            .arg("-c")
            .arg(script)
            .arg(arg)
            .output();
        match out {
            Ok(o) if o.status.success() => return Ok(String::from_utf8_lossy(&o.stdout).into()),
            Ok(o) => why.push(format!(
                "{tool}: {} {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => why.push(format!("{tool}: {e}")),
        }
    }
    Err(why.join("; "))
}

const NOBODY_CLIENT: &str = r#"
import os, socket, struct, sys
assert os.geteuid() == 65534, os.geteuid()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("PERMISSION-DENIED"); sys.exit(0)
s.settimeout(20)
try:
    s.sendall(struct.pack("<I", 5) + b"hello")
    data = s.recv(100)
except (ConnectionResetError, BrokenPipeError):
    data = b""
print("REJECTED" if data == b"" else "ACCEPTED " + repr(data))
"#;

#[test]
fn current_user_only_rejects_a_client_under_another_uid() {
    let dir = tmp();
    // `nobody` must be able to reach the socket: a world-searchable directory and mode 0666.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("mine.sock");
    let name = PipeName::from_path(&path);
    let opts = ListenOptions::new().mode(0o666).current_user_only(true);
    let server = spawn_echo_server(opts.bind(&name).unwrap());

    let out = match run_as_nobody(NOBODY_CLIENT, &path) {
        Ok(out) => out,
        Err(why) => {
            println!("NOT RUN: cannot start a client under another uid here ({why})");
            eprintln!("NOT RUN: cannot start a client under another uid here ({why})");
            return;
        }
    };
    assert_eq!(out.trim(), "REJECTED", "client under uid 65534: {out}");
    assert_eq!(server.rejected(), 1);
    // A client of our own uid is served as usual.
    assert_eq!(roundtrip(&name, b"same user").unwrap(), b"same user");
    assert_eq!(server.rejected(), 1);

    // Without the option, the same client is served; with mode 0600 it cannot even connect.
    let open = dir.path().join("open.sock");
    let _s2 = spawn_echo_server(
        ListenOptions::new()
            .mode(0o666)
            .bind(&PipeName::from_path(&open))
            .unwrap(),
    );
    let out = run_as_nobody(NOBODY_CLIENT, &open).unwrap();
    assert!(out.starts_with("ACCEPTED"), "{out}");
    let closed = dir.path().join("closed.sock");
    let _s3 = spawn_echo_server(Listener::bind(&PipeName::from_path(&closed)).unwrap());
    let out = run_as_nobody(NOBODY_CLIENT, &closed).unwrap();
    assert_eq!(out.trim(), "PERMISSION-DENIED");
}

const NOBODY_SERVER: &str = r#"
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(1)
print("LISTENING", flush=True)
s.settimeout(20)
c, _ = s.accept()
c.recv(1)
"#;

#[test]
fn client_current_user_only_refuses_a_server_under_another_uid() {
    let dir = tmp();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let path = dir.path().join("theirs.sock");
    let p = path.clone();
    let server = std::thread::spawn(move || run_as_nobody(NOBODY_SERVER, &p));
    let name = PipeName::from_path(&path);
    let e = ConnectOptions::new()
        .timeout(Duration::from_secs(20))
        .current_user_only(true)
        .connect(&name);
    match server.join().unwrap() {
        Err(why) => {
            println!("NOT RUN: cannot start a server under another uid here ({why})");
            return;
        }
        Ok(out) => assert_eq!(out.trim(), "LISTENING"),
    }
    let e = e.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("runs as uid 65534"), "{e}");
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn abstract_names_work_and_leave_no_file() {
    let name = PipeName::abstract_name(format!("pipeframe-test-{}", std::process::id())).unwrap();
    assert!(name.is_abstract());
    assert_eq!(name.socket_path(), None);
    let server = spawn_echo_server(Listener::bind(&name).unwrap());
    assert_eq!(server.socket_path(), None);
    assert_eq!(roundtrip(&name, b"abstract").unwrap(), b"abstract");
    let e = Listener::bind(&name).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
    assert!(e.to_string().contains("@pipeframe-test-"), "{e}");
    let parsed: PipeName = format!("@pipeframe-test-{}", std::process::id())
        .parse()
        .unwrap();
    assert_eq!(parsed, name);
}

#[test]
fn dotnet_names_map_to_the_corefx_path_and_meet_a_plain_socket_client() {
    let tmpdir = std::env::var("TMPDIR").ok().filter(|t| !t.is_empty());
    let base = tmpdir.unwrap_or_else(|| "/tmp".into());
    let pipe = format!("pipeframe-test-{}", std::process::id());
    let name = PipeName::new(&pipe).unwrap();
    let expected = PathBuf::from(format!("{}/CoreFxPipe_{pipe}", base.trim_end_matches('/')));
    assert_eq!(name.socket_path().unwrap(), expected);
    assert_eq!(name.to_string(), expected.to_str().unwrap());

    // A .NET NamedPipeClientStream connects to exactly that path; python stands in for it.
    let listener = Listener::bind(&name).unwrap();
    let server = std::thread::spawn(move || echo(listener.accept()?));
    let script = r#"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(struct.pack("<i", 13) + b"Hello server!")
n = struct.unpack("<i", s.recv(4))[0]; print(s.recv(n).decode())
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&expected)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Hello server!");
    server.join().unwrap().unwrap();
    assert!(!expected.exists(), "socket file left in the temp directory");

    // .NET's rules for names.
    assert_eq!(
        PipeName::new("/run/app.sock")
            .unwrap()
            .socket_path()
            .unwrap(),
        Path::new("/run/app.sock")
    );
    for bad in ["", "a/b", "anonymous", "ANONYMOUS", "nul\0byte", "/dir/"] {
        assert!(PipeName::new(bad).is_err(), "{bad:?} accepted");
    }
    let long = PipeName::from_path(format!("/tmp/{}", "x".repeat(200)));
    let e = Listener::bind(&long).unwrap_err();
    let too_long = pipeframe::named::SocketPathTooLong::from_io(&e).expect("typed error");
    assert_eq!(too_long.len(), 205, "{e}");
}

#[test]
fn listener_reads_and_writes_from_two_threads() {
    let dir = tmp();
    let name = PipeName::from_path(dir.path().join("split.sock"));
    let l = Listener::bind(&name).unwrap();
    let c = named::connect(&name).unwrap();
    let s = l.accept().unwrap();
    let w = std::thread::spawn(move || {
        let mut s = s;
        io::Write::write_all(&mut s, b"abc").unwrap();
        s.shutdown_write().unwrap();
        s
    });
    let mut got = Vec::new();
    (&c).read_to_end(&mut got).unwrap();
    assert_eq!(got, b"abc");
    w.join().unwrap();
}

/// smol: `close()` on a named pipe stream half-closes (shutdown of the write side): the
/// server reads to the end, then replies, and the client still reads the reply.
#[cfg(feature = "futures-io")]
#[test]
fn smol_close_half_closes_and_the_reply_still_arrives() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let dir = tmp();
    let name = PipeName::from_path(dir.path().join("half.sock"));
    smol::block_on(async move {
        let listener = named::futures_io::Listener::bind(&name).unwrap();
        let server = smol::spawn(async move {
            let mut s = listener.accept().await.unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).await.unwrap();
            s.write_all(format!("got {}", got.len()).as_bytes())
                .await
                .unwrap();
            s.close().await.unwrap();
        });
        let mut c = named::futures_io::connect_timeout(&name, Duration::from_secs(30))
            .await
            .unwrap();
        c.write_all(&[1; 5000]).await.unwrap();
        c.close().await.unwrap();
        let mut reply = String::new();
        c.read_to_string(&mut reply).await.unwrap();
        assert_eq!(reply, "got 5000");
        server.await;
    });
}

/// tokio: `shutdown()` half-closes too, and the stream splits into owned halves.
#[cfg(feature = "tokio")]
#[test]
fn tokio_shutdown_half_closes_over_split_halves() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tmp();
    let name = PipeName::from_path(dir.path().join("half-tokio.sock"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = named::tokio::Listener::bind(&name).unwrap();
        let server = tokio::spawn(async move {
            let (mut r, mut w) = listener.accept().await.unwrap().into_split();
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.unwrap();
            w.write_all(format!("got {}", got.len()).as_bytes())
                .await
                .unwrap();
            w.shutdown().await.unwrap();
        });
        let mut c = named::tokio::connect_timeout(&name, Duration::from_secs(30))
            .await
            .unwrap();
        c.write_all(&[1; 5000]).await.unwrap();
        c.shutdown().await.unwrap();
        let mut reply = String::new();
        c.read_to_string(&mut reply).await.unwrap();
        assert_eq!(reply, "got 5000");
        server.await.unwrap();
    });
}
