//! Anonymous pipes on Unix only: the parent's end on tokio and async-io reading a child, the
//! descriptor kinds a handle string can name, and adoption inside this process. What both OSes
//! share is in `child_pipe.rs`.
#![cfg(unix)]

#[path = "support/child.rs"]
mod child;

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
use std::time::Duration;

use pipeframe::codec::LengthPrefixed;
use pipeframe::pipe::{self, ClientHandle};

/// Not a test of its own: the entry point of the child processes the other tests start. In a
/// normal run (no `PIPEFRAME_TEST_CHILD`) it returns at once.
#[test]
fn child_entry_point() {
    child::main(|role| match role {
        // Writes 100 frames to PIPEFRAME_OUT and exits.
        "write100" => {
            let mut w =
                ClientHandle::from_env("PIPEFRAME_OUT")?.frame_writer(LengthPrefixed::u32_le())?;
            for i in 0..100 {
                w.write_frame(format!("async {i}").as_bytes())?;
            }
            w.finish().map(drop)
        }
        other => Err(io::Error::other(format!("unknown role {other}"))),
    });
}

#[test]
fn unix_only_bad_handles_are_clear_errors() {
    // Descriptors are never negative, and a sign is not part of one.
    for bad in ["-3", "+12"] {
        let e = ClientHandle::parse(bad).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
    }

    // The reading side gone: opening the write end says so. The pipe is made, and the read
    // end closed, under the spawn lock that every spawn of this test binary takes, so no child
    // being started by another test holds a copy of the read end (a child holds every
    // descriptor until its exec has closed them, which can finish just after its spawn
    // returned; a pipe made under the lock is not there to be copied).
    let spawning = pipe::spawn_lock();
    let (r, w) = io::pipe().unwrap();
    let wh = ClientHandle::parse(&w.as_raw_fd().to_string()).unwrap();
    drop(r);
    let e = wh.open_writer().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{e}");
    assert!(
        e.to_string().contains("the read end of the pipe is closed"),
        "{e}"
    );
    drop(w);
    drop(spawning);

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
    let mut cmd = child::command("write100");
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
    let mut cmd = child::command("write100");
    cmd.env("PIPEFRAME_OUT", child_out.handle_string());
    let mut child = child_out.spawn(&mut cmd).unwrap();
    let bytes = child::within("smol parent", Duration::from_secs(60), move || {
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
