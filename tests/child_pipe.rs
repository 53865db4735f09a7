//! Anonymous pipes handed to a real child process, written once and run on every OS (Linux,
//! and Windows under Wine): the test binary re-executes itself with `PIPEFRAME_TEST_CHILD` set,
//! and the `child_entry_point` test then plays the child through the crate's child-side API
//! ([`ClientHandle`]). What only one OS has is in `unix_pipe.rs` and `windows_pipe.rs`.

#[path = "support/child.rs"]
mod child;

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use child::{expect_err, stderr_of, within};
use pipeframe::codec::LengthPrefixed;
use pipeframe::pipe::{self, ClientHandle, PipeEnd, WrongEnd};
use pipeframe::sync::{FrameReader, FrameWriter};

/// Frames each way in the echo test (fewer under Wine, where every write is slower).
#[cfg(unix)]
const N: usize = 10_000;
#[cfg(windows)]
const N: usize = 2_000;
/// The large frame that follows them, and the one the capacity test sends.
const BIG: usize = 1 << 20;
/// How long a child's exchange may take before the test calls it hung.
#[cfg(unix)]
const LIMIT: Duration = Duration::from_secs(60);
#[cfg(windows)]
const LIMIT: Duration = Duration::from_secs(120);

/// A program that does not exist.
#[cfg(unix)]
const NO_SUCH_PROGRAM: &str = "/nonexistent/pipeframe-no-such-program";
#[cfg(windows)]
const NO_SUCH_PROGRAM: &str = "C:\\pipeframe-no-such-program.exe";

/// The handle string of a pipe end this process opened itself.
#[cfg(unix)]
fn raw_handle(end: &impl std::os::fd::AsRawFd) -> String {
    end.as_raw_fd().to_string()
}
#[cfg(windows)]
fn raw_handle(end: &impl std::os::windows::io::AsRawHandle) -> String {
    (end.as_raw_handle() as isize).to_string()
}

/// Not a test of its own: the entry point of the child processes the other tests start. In a
/// normal run (no `PIPEFRAME_TEST_CHILD`) it returns at once.
#[test]
fn child_entry_point() {
    child::main(run_child);
}

fn run_child(role: &str) -> io::Result<()> {
    match role {
        // Reads N frames and one 1 MiB frame from PIPEFRAME_IN, answers each on PIPEFRAME_OUT,
        // then exits.
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
        // refused naming it; the wrong direction is refused, both ways; on Unix, PIPEFRAME_OUT,
        // once closed, is a number that is not open.
        "adopt-rules" => {
            let h_in = ClientHandle::from_env("PIPEFRAME_IN")?;
            let h_out = ClientHandle::from_env("PIPEFRAME_OUT")?;
            let first = h_in.open_reader()?;
            expect_err(
                h_in.open_reader(),
                io::ErrorKind::AlreadyExists,
                &format!("pipe handle {h_in} was adopted already"),
            )?;
            #[cfg(unix)]
            expect_err(
                h_in.open_writer(),
                io::ErrorKind::InvalidInput,
                "is the read end of a pipe; expected a write end",
            )?;
            expect_err(
                h_out.open_reader(),
                io::ErrorKind::InvalidInput,
                &format!("pipe handle {h_out} is the write end of a pipe; expected a read end"),
            )?;
            drop(first);
            let mut w = h_out.frame_writer(LengthPrefixed::u32_le())?;
            w.write_frame(b"adopted")?;
            drop(w.finish()?);
            #[cfg(unix)]
            expect_err(
                h_out.open_writer(),
                io::ErrorKind::NotFound,
                &format!("pipe handle {h_out} is not an open descriptor"),
            )?;
            Ok(())
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

#[test]
fn child_exchanges_frames_each_way_and_parent_sees_eof() {
    let (tx, child_in) = pipe::to_child().unwrap();
    let (rx, child_out) = pipe::from_child().unwrap();
    assert!(child_in.is_read_end());
    assert!(!child_out.is_read_end());
    let mut cmd = child::command("echo");
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

    let got = within("echo child", LIMIT, move || -> io::Result<usize> {
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
    let mut cmd = child::command("wrong-direction");
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
    let mut cmd = Command::new(NO_SUCH_PROGRAM);
    assert!(child_out.spawn(&mut cmd).is_err());
    // The only write end is gone: reading ends at once instead of hanging.
    let n = within("reading a pipe with no writer", LIMIT, move || {
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
    let mut cmd = child::command("linger");
    cmd.env("PIPEFRAME_OUT", child_out.handle_string())
        .stdin(Stdio::piped());
    let mut child = child_out.spawn(&mut cmd).unwrap();
    let stdin = child.stdin.take().unwrap(); // held open: the child cannot finish on its own
    let frames = within("lingering child", LIMIT, move || {
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

/// In a child: a handle is adopted once (a second open names it), the wrong direction is
/// refused, and (on Unix) a closed number is not open.
#[test]
fn child_adopts_each_handle_once() {
    let (tx, child_in) = pipe::to_child().unwrap();
    let (rx, child_out) = pipe::from_child().unwrap();
    let mut cmd = child::command("adopt-rules");
    cmd.env("PIPEFRAME_IN", child_in.handle_string())
        .env("PIPEFRAME_OUT", child_out.handle_string());
    let child = pipe::spawn(&mut cmd, [child_in, child_out]).unwrap();
    let frames = within("adopting child", LIMIT, move || {
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

/// The capacity asked for is what the pipe gets where the kernel allows (Linux), a suggestion
/// elsewhere (`CreatePipe`): a small and a large one both make working pipes to a child (a
/// 1 MiB frame passes through a 4 KiB pipe and a 1 MiB one), and a pipe from a child with a
/// chosen size carries what the child writes.
#[test]
fn chosen_capacities_make_working_pipes() {
    for size in [4096, pipe::max_capacity()] {
        let (tx, end) = pipe::to_child_with_capacity(size).unwrap();
        let mut cmd = child::command("drain-big");
        cmd.env("PIPEFRAME_IN", end.handle_string());
        let child = end.spawn(&mut cmd).unwrap();
        let mut w = FrameWriter::new(tx, LengthPrefixed::u32_le());
        w.write_frame(&vec![7u8; BIG]).unwrap();
        drop(w.finish().unwrap());
        let status = within("draining child", LIMIT, move || child.wait_with_output()).unwrap();
        let err = String::from_utf8_lossy(&status.stderr);
        assert!(status.status.success(), "size {size}: child failed: {err}");
    }
    let (mut rx, end) = pipe::from_child_with_capacity(8192).unwrap();
    let mut cmd = child::command("write-through");
    cmd.env("PIPEFRAME_OUT", end.handle_string());
    let child = end.spawn(&mut cmd).unwrap();
    let mut got = Vec::new();
    rx.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"through");
    assert!(child.wait_with_output().unwrap().status.success());
}

/// What both OSes refuse the same way; `unix_pipe.rs` and `windows_pipe.rs` add what only
/// one of them has (descriptor kinds, handle kinds, more string forms).
#[test]
fn bad_handles_are_clear_errors() {
    for bad in ["abc", "", " ", "0x10", "12a", "1 2", "99999999999999999999"] {
        let e = ClientHandle::parse(bad).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        assert!(
            e.to_string()
                .contains(&format!("invalid pipe handle {bad:?}")),
            "{e}"
        );
    }
    // Blanks around the number are what .NET's parsing accepts too.
    assert_eq!(ClientHandle::parse(" 1234 ").unwrap().to_string(), "1234");

    // A number no descriptor or handle has.
    let e = ClientHandle::parse("123456")
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
    #[cfg(unix)]
    let want = "pipe handle 123456 is not an open descriptor";
    #[cfg(windows)]
    let want = "pipe handle 123456 is not an open handle";
    assert!(e.to_string().contains(want), "{e}");

    // The wrong end, both ways (refused before adoption, so the pipe keeps its owner).
    let (r, w) = io::pipe().unwrap();
    let wh = ClientHandle::parse(&raw_handle(&w)).unwrap();
    let e = wh.open_reader().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains(&format!(
            "pipe handle {wh} is the write end of a pipe; expected a read end"
        )),
        "{e}"
    );
    let typed = WrongEnd::from_io(&e).expect("a typed WrongEnd");
    assert_eq!(typed.is, PipeEnd::Write);
    assert_eq!(typed.handle.to_string(), wh.to_string());
    let rh = ClientHandle::parse(&raw_handle(&r)).unwrap();
    let e = rh.open_writer().unwrap_err();
    assert!(
        e.to_string()
            .contains("is the read end of a pipe; expected a write end"),
        "{e}"
    );
    assert_eq!(WrongEnd::from_io(&e).map(|w| w.is), Some(PipeEnd::Read));
    drop((r, w));

    let e = ClientHandle::from_env("PIPEFRAME_SURELY_UNSET_VARIABLE").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(
        e.to_string().contains("PIPEFRAME_SURELY_UNSET_VARIABLE"),
        "{e}"
    );
}
