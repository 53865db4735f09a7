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
        // Writes 3 frames to PIPEFRAME_OUT, drops the writer, then goes on running until its
        // stdin ends (the parent kills it first).
        "linger" => {
            let mut w =
                ClientHandle::from_env("PIPEFRAME_OUT")?.frame_writer(LengthPrefixed::u32_le())?;
            for i in 0..3 {
                w.write_frame(format!("linger {i}").as_bytes())?;
            }
            drop(w.finish()?);
            io::copy(&mut io::stdin(), &mut io::sink())?;
            Ok(())
        }
        // The adoption rules on inherited ends: PIPEFRAME_IN is taken once, a second open is
        // refused naming it; PIPEFRAME_OUT, once closed, is a number that is not open.
        "adopt-rules" => {
            let h_in = ClientHandle::from_env("PIPEFRAME_IN")?;
            let h_out = ClientHandle::from_env("PIPEFRAME_OUT")?;
            let first = h_in.open_reader()?;
            expect_err(
                h_in.open_reader().map(drop),
                io::ErrorKind::AlreadyExists,
                &format!("pipe handle {h_in} was adopted already"),
            )?;
            expect_err(
                h_in.open_writer().map(drop),
                io::ErrorKind::InvalidInput,
                "is the read end of a pipe; expected a write end",
            )?;
            drop(first);
            let mut w = h_out.frame_writer(LengthPrefixed::u32_le())?;
            w.write_frame(b"adopted")?;
            drop(w.finish()?);
            expect_err(
                h_out.open_writer().map(drop),
                io::ErrorKind::NotFound,
                &format!("pipe handle {h_out} is not an open descriptor"),
            )?;
            Ok(())
        }
        // Opens its first argument's handle the wrong way round.
        "wrong-direction" => {
            let arg = std::env::var("PIPEFRAME_ARG").unwrap_or_default();
            ClientHandle::parse(&arg)?.open_writer().map(drop)
        }
        other => Err(io::Error::other(format!("unknown role {other}"))),
    }
}

/// `Ok` if `res` is the error of `kind` whose message contains `text`.
fn expect_err(res: io::Result<()>, kind: io::ErrorKind, text: &str) -> io::Result<()> {
    match res {
        Err(e) if e.kind() == kind && e.to_string().contains(text) => Ok(()),
        Err(e) => Err(io::Error::other(format!(
            "want a {kind:?} error containing {text:?}, got {:?}: {e}",
            e.kind()
        ))),
        Ok(()) => Err(io::Error::other(format!(
            "want a {kind:?} error containing {text:?}, got Ok"
        ))),
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
    // (which can finish just after `spawn` returned), so the last reader may linger a moment;
    // meanwhile the open fails for another reason (`w` is close-on-exec: this process's own).
    drop(r);
    let e = (0..500)
        .find_map(|_| match wh.open_writer() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Some(e),
            Ok(_) => panic!("adopted a descriptor this process owns"),
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                None
            }
        })
        .expect("the pipe still had a reader after 5 s");
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

/// What adopting the inherited end gives: the child holds the only copy of its end, so the parent
/// reads end of stream as soon as the child drops its writer, while the child still runs.
#[test]
fn parent_sees_eof_as_soon_as_the_child_drops_its_end() {
    let (rx, child_out) = pipe::from_child().unwrap();
    let mut cmd = child_command("linger");
    cmd.env("PIPEFRAME_OUT", child_out.handle_string())
        .stdin(Stdio::piped());
    let mut child = child_out.spawn(&mut cmd).unwrap();
    let stdin = child.stdin.take().unwrap(); // held open: the child cannot finish on its own
    let frames = within(Duration::from_secs(60), move || {
        FrameReader::new(rx, LengthPrefixed::u32_le()).collect::<io::Result<Vec<_>>>()
    })
    .unwrap();
    let alive = child.try_wait().unwrap();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(
        alive, None,
        "the child had exited before EOF; stderr: {err}"
    );
    assert_eq!(frames, [&b"linger 0"[..], b"linger 1", b"linger 2"]);
    assert!(!status.success(), "killed, yet {status}");
}

/// In a child: a handle is adopted once (a second open names it), the wrong direction is
/// refused, and a closed number is not open.
#[test]
fn child_adopts_each_handle_once() {
    let (tx, child_in) = pipe::to_child().unwrap();
    let (rx, child_out) = pipe::from_child().unwrap();
    let mut cmd = child_command("adopt-rules");
    cmd.env("PIPEFRAME_IN", child_in.handle_string())
        .env("PIPEFRAME_OUT", child_out.handle_string());
    let child = pipe::spawn(&mut cmd, [child_in, child_out]).unwrap();
    let frames = within(Duration::from_secs(60), move || {
        FrameReader::new(rx, LengthPrefixed::u32_le()).collect::<io::Result<Vec<_>>>()
    })
    .unwrap();
    let out = child.wait_with_output().unwrap();
    drop(tx);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed: {}, stderr: {err}",
        out.status
    );
    assert_eq!(frames, [&b"adopted"[..]]);
}

/// In this process: a descriptor whose ownership was given up (`into_raw_fd`) and made
/// inheritable is adopted, pipe or socket, once; a second open names the number, and a
/// close-on-exec descriptor (this process's own) is refused. Every adopted number stays open
/// until the end, so no other test here can be handed one of them.
#[test]
fn in_process_adoption_takes_ownership_once() {
    use rustix::io::{FdFlags, fcntl_setfd};
    use std::os::fd::IntoRawFd;
    use std::os::unix::net::UnixStream;

    // A pipe read end.
    let (r, mut w) = io::pipe().unwrap();
    fcntl_setfd(&r, FdFlags::empty()).unwrap();
    let n = r.into_raw_fd();
    let h = ClientHandle::parse(&n.to_string()).unwrap();
    let mut fr = h.frame_reader(LengthPrefixed::u32_le()).unwrap();
    let e = h.open_reader().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("pipe handle {n} was adopted already")),
        "{e}"
    );
    w.write_all(b"\x02\x00\x00\x00hi").unwrap();
    drop(w);
    assert_eq!(fr.read_frame().unwrap().as_deref(), Some(&b"hi"[..]));
    assert_eq!(fr.read_frame().unwrap(), None);

    // A socket: the adopted descriptor is the socket's only one, so dropping it is EOF.
    let (mut ours, theirs) = UnixStream::pair().unwrap();
    fcntl_setfd(&theirs, FdFlags::empty()).unwrap();
    let m = theirs.into_raw_fd();
    let hs = ClientHandle::parse(&m.to_string()).unwrap();
    let e = hs.open_reader().unwrap_err();
    assert!(e.to_string().contains("is a socket, not a pipe"), "{e}");
    let mut adopted = hs.open_socket().unwrap();
    adopted.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    ours.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    let e = hs.open_socket().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists, "{e}");
    let (rx, _tx) = io::pipe().unwrap();
    let e = ClientHandle::parse(&rx.as_raw_fd().to_string())
        .unwrap()
        .open_socket()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("is a pipe, not a socket"), "{e}");

    // Close-on-exec: opened by this process, owned by `own`, never adopted.
    let (own, _own_w) = io::pipe().unwrap();
    let e = ClientHandle::parse(&own.as_raw_fd().to_string())
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("is close-on-exec"), "{e}");

    // `adopted` keeps the socket's number; the pipe's number `n` is held by `fr` until here.
    drop(adopted);
    let mut rest = Vec::new();
    ours.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    drop(fr);
}
