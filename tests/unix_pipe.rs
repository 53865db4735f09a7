//! Anonymous pipes handed to a real child process: the test binary re-executes itself with
//! `PIPEFRAME_TEST_CHILD` set, and the `child_entry_point` test then plays the child, using the
//! crate's child-side API.
#![cfg(unix)]

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pipeframe::codec::LengthPrefixed;
use pipeframe::pipe::{self, ClientHandle};
use pipeframe::sync::{FrameReader, FrameWriter};

const ROLE: &str = "PIPEFRAME_TEST_CHILD";
const N: usize = 10_000;

/// Not a test of its own: the entry point of the child processes the other tests start. In a
/// normal run (no `PIPEFRAME_TEST_CHILD`) it returns at once.
#[test]
fn child_entry_point() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let code = match run_child(&role) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("child error: {e}");
            2
        }
    };
    std::process::exit(code);
}

fn run_child(role: &str) -> io::Result<()> {
    match role {
        // Reads N frames from PIPEFRAME_IN, answers each on PIPEFRAME_OUT, then exits.
        "echo" => {
            let mut r =
                ClientHandle::from_env("PIPEFRAME_IN")?.frame_reader(LengthPrefixed::u32_le())?;
            let mut w =
                ClientHandle::from_env("PIPEFRAME_OUT")?.frame_writer(LengthPrefixed::u32_le())?;
            let mut seen = 0;
            while let Some(f) = r.read_frame_ref()? {
                let want = format!("parent {seen}");
                if f != want.as_bytes() {
                    return Err(io::Error::other(format!(
                        "frame {seen}: got {:?}, want {want:?}",
                        String::from_utf8_lossy(f)
                    )));
                }
                w.write_frame(format!("child {seen}").as_bytes())?;
                seen += 1;
            }
            if seen != N {
                return Err(io::Error::other(format!("got {seen} frames, want {N}")));
            }
            w.finish()?;
            Ok(())
        }
        // Writes 100 frames to PIPEFRAME_OUT and exits.
        "write100" => {
            let mut w =
                ClientHandle::from_env("PIPEFRAME_OUT")?.frame_writer(LengthPrefixed::u32_le())?;
            for i in 0..100 {
                w.write_frame(format!("async {i}").as_bytes())?;
            }
            w.finish().map(drop)
        }
        // Opens its first argument's handle the wrong way round.
        "wrong-direction" => {
            let arg = std::env::var("PIPEFRAME_ARG").unwrap_or_default();
            ClientHandle::parse(&arg)?.open_writer().map(drop)
        }
        other => Err(io::Error::other(format!("unknown role {other}"))),
    }
}

fn child_command(role: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args([
        "child_entry_point",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(ROLE, role)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    cmd
}

/// Runs `f` on a thread and fails the test if it does not finish in `limit` (a hang would
/// otherwise stall the suite; the limit is generous and asserts nothing about speed).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("hung: no result within the limit")
}

#[test]
fn child_exchanges_10000_frames_each_way_and_parent_sees_eof() {
    let (tx, child_in) = pipe::to_child().unwrap();
    let (rx, child_out) = pipe::from_child().unwrap();
    assert!(child_in.is_read_end());
    assert!(!child_out.is_read_end());
    let mut cmd = child_command("echo");
    cmd.env("PIPEFRAME_IN", child_in.handle_string())
        .env("PIPEFRAME_OUT", child_out.handle_string());
    let mut child = pipe::spawn(&mut cmd, [child_in, child_out]).unwrap();

    let writer = std::thread::spawn(move || -> io::Result<()> {
        let mut w = FrameWriter::new(tx, LengthPrefixed::u32_le());
        for i in 0..N {
            w.write_frame(format!("parent {i}").as_bytes())?;
        }
        w.finish()?; // dropped here: the child sees end of stream
        Ok(())
    });

    let got = within(Duration::from_secs(60), move || -> io::Result<usize> {
        let mut r = FrameReader::new(rx, LengthPrefixed::u32_le());
        let mut i = 0;
        while let Some(f) = r.read_frame_ref()? {
            assert_eq!(f, format!("child {i}").as_bytes(), "frame {i}");
            i += 1;
        }
        // `None`: end of stream once the child exited, although the parent held the child's
        // write end before the spawn.
        Ok(i)
    })
    .unwrap();
    assert_eq!(got, N);
    writer.join().unwrap().unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "child failed: {status}, stderr: {err}");
}

#[test]
fn child_given_the_wrong_end_reports_it() {
    let (tx, child_in) = pipe::to_child().unwrap();
    let handle = child_in.handle_string();
    let mut cmd = child_command("wrong-direction");
    cmd.env("PIPEFRAME_ARG", &handle);
    let out = child_in
        .spawn(&mut cmd)
        .unwrap()
        .wait_with_output()
        .unwrap();
    drop(tx);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        err.contains(&format!(
            "pipe handle {handle} is the read end of a pipe; expected a write end"
        )),
        "stderr: {err}"
    );
}

#[test]
fn spawn_closes_the_parents_copy_even_when_spawn_fails() {
    let (rx, child_out) = pipe::from_child().unwrap();
    let mut cmd = Command::new("/nonexistent/pipeframe-no-such-program");
    assert!(child_out.spawn(&mut cmd).is_err());
    // The only write end is gone: reading ends at once instead of hanging.
    let n = within(Duration::from_secs(30), move || {
        let mut rx = rx;
        let mut buf = Vec::new();
        rx.read_to_end(&mut buf).map(|_| buf.len())
    })
    .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn handle_opened_in_process_reads_the_pipe() {
    let (r, mut w) = io::pipe().unwrap();
    let h = ClientHandle::parse(&r.as_raw_fd().to_string()).unwrap();
    let mut fr = h.frame_reader(LengthPrefixed::u32_le()).unwrap();
    w.write_all(b"\x02\x00\x00\x00hi").unwrap();
    drop(w);
    assert_eq!(fr.read_frame().unwrap().as_deref(), Some(&b"hi"[..]));
    // The original `r` is still open here, but it holds no write end: end of stream.
    assert_eq!(fr.read_frame().unwrap(), None);
    drop(r);
}

#[test]
fn bad_handles_are_clear_errors() {
    let e = ClientHandle::parse("abc").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("invalid pipe handle \"abc\""), "{e}");
    assert!(ClientHandle::parse("-3").is_err());
    assert!(ClientHandle::parse("").is_err());

    // A number no descriptor has.
    let e = ClientHandle::parse("999999")
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
    assert!(
        e.to_string()
            .contains("pipe handle 999999 is not an open descriptor"),
        "{e}"
    );

    // The wrong end, both ways.
    let (r, w) = io::pipe().unwrap();
    let wh = ClientHandle::parse(&w.as_raw_fd().to_string()).unwrap();
    let e = wh.open_reader().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains(&format!(
            "pipe handle {wh} is the write end of a pipe; expected a read end"
        )),
        "{e}"
    );
    let rh = ClientHandle::parse(&r.as_raw_fd().to_string()).unwrap();
    let e = rh.open_writer().unwrap_err();
    assert!(
        e.to_string()
            .contains("is the read end of a pipe; expected a write end"),
        "{e}"
    );

    // The reading side gone: opening the write end says so. A child being spawned by another
    // test at this moment holds a copy of every descriptor until its exec has closed them all
    // (which can finish just after `spawn` returned), so the last reader may linger a moment.
    drop(r);
    let e = (0..500)
        .find_map(|_| match wh.open_writer() {
            Ok(_) => {
                std::thread::sleep(Duration::from_millis(10));
                None
            }
            Err(e) => Some(e),
        })
        .expect("the pipe still had a reader after 5 s");
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{e}");
    assert!(
        e.to_string().contains("the read end of the pipe is closed"),
        "{e}"
    );
    drop(w);

    // Not a pipe at all.
    let file = tempfile::tempfile().unwrap();
    let e = ClientHandle::parse(&file.as_raw_fd().to_string())
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert!(
        e.to_string().contains("is a regular file, not a pipe"),
        "{e}"
    );
    let (s, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let e = ClientHandle::parse(&s.as_raw_fd().to_string())
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert!(e.to_string().contains("is a socket, not a pipe"), "{e}");

    let e = ClientHandle::from_env("PIPEFRAME_SURELY_UNSET_VARIABLE").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(
        e.to_string().contains("PIPEFRAME_SURELY_UNSET_VARIABLE"),
        "{e}"
    );
}

/// The parent's end on the async runtimes: tokio's pipe `Receiver` and async-io's `Async`.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
fn check_100_frames(bytes: &[u8]) {
    use pipeframe::codec::FrameDecoder;
    let mut buf = bytes::BytesMut::from(bytes);
    let mut codec = LengthPrefixed::u32_le();
    for i in 0..100 {
        let f = codec
            .decode_frame(&mut buf)
            .unwrap()
            .expect("frame missing");
        assert_eq!(f, format!("async {i}").as_bytes());
    }
    assert!(buf.is_empty());
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_parent_reads_a_child_until_eof() {
    use tokio::io::AsyncReadExt;
    let (rx, child_out) = pipe::from_child().unwrap();
    let mut cmd = child_command("write100");
    cmd.env("PIPEFRAME_OUT", child_out.handle_string());
    let mut child = child_out.spawn(&mut cmd).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bytes = rt.block_on(async move {
        let mut rx = tokio::net::unix::pipe::Receiver::from_owned_fd(rx.into()).unwrap();
        let mut bytes = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), rx.read_to_end(&mut bytes))
            .await
            .expect("no end of stream")
            .unwrap();
        bytes
    });
    check_100_frames(&bytes);
    assert!(child.wait().unwrap().success());
}

#[cfg(feature = "futures-io")]
#[test]
fn smol_parent_reads_a_child_until_eof() {
    use futures_lite::AsyncReadExt;
    let (rx, child_out) = pipe::from_child().unwrap();
    let mut cmd = child_command("write100");
    cmd.env("PIPEFRAME_OUT", child_out.handle_string());
    let mut child = child_out.spawn(&mut cmd).unwrap();
    let bytes = within(Duration::from_secs(60), move || {
        smol::block_on(async move {
            let mut rx = async_io::Async::new(rx).unwrap();
            let mut bytes = Vec::new();
            rx.read_to_end(&mut bytes).await.map(|_| bytes)
        })
    })
    .unwrap();
    check_100_frames(&bytes);
    assert!(child.wait().unwrap().success());
}

/// A socket handle (the duplex channel a parent hands over as a socketpair end) is adopted by
/// number and carries frames both ways; a pipe handle is refused by `open_socket` with a
/// message that says what it is.
#[cfg(target_os = "linux")]
#[test]
fn socket_handle_is_adopted_by_number() {
    use pipeframe::codec::LengthPrefixed;
    use pipeframe::pipe::ClientHandle;
    use pipeframe::sync::FrameStream;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    let (ours, theirs) = UnixStream::pair().unwrap();
    let handle = ClientHandle::parse(&theirs.as_raw_fd().to_string()).unwrap();
    let adopted = handle.open_socket().unwrap();
    drop(theirs); // the adopted descriptor keeps the socket open on its own
    let mut a = FrameStream::new(ours, LengthPrefixed::u32_be()).unwrap();
    let mut b = FrameStream::new(adopted, LengthPrefixed::u32_be()).unwrap();
    a.send(b"ping").unwrap();
    assert_eq!(b.recv().unwrap().as_deref(), Some(&b"ping"[..]));
    b.send(b"pong").unwrap();
    assert_eq!(a.recv().unwrap().as_deref(), Some(&b"pong"[..]));
    drop(b);
    assert_eq!(
        a.recv().unwrap(),
        None,
        "closing the adopted end is EOF for the peer"
    );

    let (rx, _tx) = std::io::pipe().unwrap();
    let err = ClientHandle::parse(&rx.as_raw_fd().to_string())
        .unwrap()
        .open_socket()
        .unwrap_err();
    assert!(err.to_string().contains("not a socket"), "{err}");
    let err = ClientHandle::parse("987654")
        .unwrap()
        .open_socket()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
}
