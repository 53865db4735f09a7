//! Anonymous pipes handed to a real child process on Windows (run here under Wine): the test
//! binary re-executes itself with `PIPEFRAME_TEST_CHILD` set, and the `child_entry_point` test
//! then plays the child through the crate's child-side API ([`ClientHandle`]), as
//! `tests/unix_pipe.rs` does on Unix. Every test here runs under Wine; none is ignored.
#![cfg(windows)]

use std::io::{self, Read, Write};
use std::os::windows::io::AsRawHandle;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pipeframe::codec::LengthPrefixed;
use pipeframe::pipe::{self, ClientHandle};
use pipeframe::sync::{FrameReader, FrameWriter};

const ROLE: &str = "PIPEFRAME_TEST_CHILD";
const N: usize = 2_000;
const BIG: usize = 1 << 20;

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
        // Reads N frames and one 1 MiB frame from PIPEFRAME_IN, answers each on PIPEFRAME_OUT.
        "echo" => {
            let mut r = ClientHandle::from_env("PIPEFRAME_IN")?
                .frame_reader(LengthPrefixed::u32_le().with_max_frame_len(BIG))?;
            let mut w =
                ClientHandle::from_env("PIPEFRAME_OUT")?.frame_writer(LengthPrefixed::u32_le())?;
            let mut seen = 0;
            while let Some(f) = r.read_frame_ref()? {
                if seen == N {
                    if f.len() != BIG || f.iter().any(|&b| b != 0xa5) {
                        return Err(io::Error::other(format!("big frame: {} bytes", f.len())));
                    }
                    w.write_frame(b"big ok")?;
                } else {
                    let want = format!("parent {seen}");
                    if f != want.as_bytes() {
                        return Err(io::Error::other(format!(
                            "frame {seen}: got {:?}, want {want:?}",
                            String::from_utf8_lossy(f)
                        )));
                    }
                    w.write_frame(format!("child {seen}").as_bytes())?;
                }
                seen += 1;
            }
            if seen != N + 1 {
                return Err(io::Error::other(format!(
                    "got {seen} frames, want {}",
                    N + 1
                )));
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
        // refused naming it, and the other direction is refused.
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
                h_out.open_reader().map(drop),
                io::ErrorKind::InvalidInput,
                &format!("pipe handle {h_out} is the write end of a pipe; expected a read end"),
            )?;
            drop(first);
            let mut w = h_out.frame_writer(LengthPrefixed::u32_le())?;
            w.write_frame(b"adopted")?;
            w.finish().map(drop)
        }
        // Reads one 1 MiB frame of 7s from PIPEFRAME_IN, then the end of the stream.
        "drain-big" => {
            let mut r = ClientHandle::from_env("PIPEFRAME_IN")?
                .frame_reader(LengthPrefixed::u32_le().with_max_frame_len(BIG))?;
            let f = r
                .read_frame()?
                .ok_or_else(|| io::Error::other("no frame"))?;
            if f.len() != BIG || f.iter().any(|&b| b != 7) {
                return Err(io::Error::other(format!("bad frame of {} bytes", f.len())));
            }
            match r.read_frame()? {
                None => Ok(()),
                Some(_) => Err(io::Error::other("a second frame")),
            }
        }
        // Writes "through" to PIPEFRAME_OUT.
        "write-through" => ClientHandle::from_env("PIPEFRAME_OUT")?
            .open_writer()?
            .write_all(b"through"),
        // Opens its argument's handle the wrong way round.
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

fn stderr_of(child: &mut std::process::Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    err
}

#[test]
fn child_exchanges_frames_each_way_and_parent_sees_eof() {
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
        w.write_frame(&vec![0xa5; BIG])?;
        w.finish()?; // dropped here: the child sees end of stream
        Ok(())
    });

    let got = within(Duration::from_secs(120), move || -> io::Result<usize> {
        let mut r = FrameReader::new(rx, LengthPrefixed::u32_le());
        let mut i = 0;
        while let Some(f) = r.read_frame_ref()? {
            if i == N {
                assert_eq!(f, b"big ok");
            } else {
                assert_eq!(f, format!("child {i}").as_bytes(), "frame {i}");
            }
            i += 1;
        }
        // `None`: end of stream once the child finished, although the parent held the
        // child's write end before the spawn.
        Ok(i)
    });
    let err = stderr_of(&mut child);
    assert_eq!(got.unwrap(), N + 1, "child stderr: {err}");
    writer.join().unwrap().unwrap();
    let status = child.wait().unwrap();
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
    let mut cmd = Command::new("C:\\pipeframe-no-such-program.exe");
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
    let err = stderr_of(&mut child);
    assert_eq!(
        alive, None,
        "the child had exited before EOF; stderr: {err}"
    );
    assert_eq!(frames, [&b"linger 0"[..], b"linger 1", b"linger 2"]);
    assert!(!status.success(), "killed, yet {status}");
}

/// In a child: a handle is adopted once (a second open names it) and the wrong direction is
/// refused.
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

#[test]
fn bad_handle_strings_are_clear_errors() {
    for bad in ["abc", "", " ", "0x10", "12a", "1 2", "99999999999999999999"] {
        let e = ClientHandle::parse(bad).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        assert!(
            e.to_string()
                .contains(&format!("invalid pipe handle {bad:?}")),
            "{e}"
        );
    }
    // What .NET's AnonymousPipeClientStream accepts (long.TryParse) parses.
    assert_eq!(ClientHandle::parse(" 1234 ").unwrap().to_string(), "1234");
    assert_eq!(ClientHandle::parse("+12").unwrap().to_string(), "12");

    // A value no handle has.
    let e = ClientHandle::parse("123456")
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
    assert!(
        e.to_string()
            .contains("pipe handle 123456 is not an open handle"),
        "{e}"
    );
    let e = ClientHandle::parse("0").unwrap().open_reader().unwrap_err();
    assert!(
        e.to_string().contains("pipe handle 0 is not a handle"),
        "{e}"
    );

    // Open, but a file.
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let e = ClientHandle::parse(&(file.as_raw_handle() as isize).to_string())
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("is not a pipe"), "{e}");

    // The wrong end, both ways (refused before adoption, so the pipe keeps its owner).
    let (r, w) = io::pipe().unwrap();
    let wh = ClientHandle::parse(&(w.as_raw_handle() as isize).to_string()).unwrap();
    let e = wh.open_reader().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains(&format!(
            "pipe handle {wh} is the write end of a pipe; expected a read end"
        )),
        "{e}"
    );
    let rh = ClientHandle::parse(&(r.as_raw_handle() as isize).to_string()).unwrap();
    let e = rh.open_writer().unwrap_err();
    assert!(
        e.to_string()
            .contains("is the read end of a pipe; expected a write end"),
        "{e}"
    );

    let e = ClientHandle::from_env("PIPEFRAME_SURELY_UNSET_VARIABLE").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(
        e.to_string().contains("PIPEFRAME_SURELY_UNSET_VARIABLE"),
        "{e}"
    );
}

/// In this process: handles this process made itself are refused, whatever their end, with
/// the reason: adopting them would give them a second owner. That covers a child's end still
/// held by the parent, and std's own pipe ends.
#[test]
fn own_handles_are_not_adopted() {
    let (_rx, end) = pipe::from_child().unwrap();
    let h = ClientHandle::parse(&end.handle_string()).unwrap();
    let e = h.open_writer().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    assert!(
        e.to_string().contains(&format!(
            "pipe handle {h} is not inheritable, so it was not inherited from a parent"
        )),
        "{e}"
    );
    let (r, _w) = io::pipe().unwrap();
    let e = ClientHandle::parse(&(r.as_raw_handle() as isize).to_string())
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert!(e.to_string().contains("is not inheritable"), "{e}");
    // Still owned by `end` and `r`: both close normally.
    drop((end, r));
}

/// The size asked of `CreatePipe` is a suggestion: a small and a large one both make working
/// pipes to a child (a 1 MiB frame passes through a 4 KiB pipe and a 1 MiB one), and a pipe
/// from a child with a chosen size carries what the child writes.
#[test]
fn chosen_capacities_make_working_pipes() {
    for size in [4096, pipe::max_capacity()] {
        let (tx, end) = pipe::to_child_with_capacity(size).unwrap();
        let mut cmd = child_command("drain-big");
        cmd.env("PIPEFRAME_IN", end.handle_string());
        let child = end.spawn(&mut cmd).unwrap();
        let mut w = FrameWriter::new(tx, LengthPrefixed::u32_le());
        w.write_frame(&vec![7u8; BIG]).unwrap();
        drop(w.finish().unwrap());
        let status = within(Duration::from_secs(60), move || child.wait_with_output()).unwrap();
        let err = String::from_utf8_lossy(&status.stderr);
        assert!(status.status.success(), "size {size}: child failed: {err}");
    }
    let (mut rx, end) = pipe::from_child_with_capacity(8192).unwrap();
    let mut cmd = child_command("write-through");
    cmd.env("PIPEFRAME_OUT", end.handle_string());
    let child = end.spawn(&mut cmd).unwrap();
    let mut got = Vec::new();
    rx.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"through");
    assert!(child.wait_with_output().unwrap().status.success());
}
