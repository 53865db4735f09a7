//! Frames that carry descriptors (`pipeframe::fds`, SCM_RIGHTS) over real Unix sockets in
//! this process: every frame gets exactly its own descriptors whatever the codec and the
//! batching, in the blocking, tokio and smol flavours, over `UnixStream`, named pipes'
//! `PipeStream` and `SOCK_SEQPACKET`; the refusals (too many, a transport that cannot carry
//! them) are typed and write nothing. Descriptor counts of the process are checked in
//! `tests/fds_leaks.rs`, which runs alone.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

use pipeframe::codec::{ContentLength, Delimited, Framing, LengthPrefixed, Netstring};
use pipeframe::fds::{FdError, FdStream, FdWriter};
use pipeframe::message::SeqpacketStream;

/// A pipe holding `text`, its write end closed: the read end, to send.
fn marked(text: &str) -> OwnedFd {
    let (r, mut w) = std::io::pipe().unwrap();
    w.write_all(text.as_bytes()).unwrap();
    OwnedFd::from(r)
}

fn read_marker(fd: OwnedFd) -> String {
    let mut s = String::new();
    std::fs::File::from(fd).read_to_string(&mut s).unwrap();
    s
}

fn cloexec(fd: &OwnedFd) -> bool {
    rustix::io::fcntl_getfd(fd)
        .unwrap()
        .contains(rustix::io::FdFlags::CLOEXEC)
}

/// The frames of one run: frame `i` carries `i % 4` descriptors when `i % 3 == 0`, every
/// other frame none; some frames are large (cut into several sends and reads).
fn plan(n: usize) -> Vec<(Vec<u8>, usize)> {
    (0..n)
        .map(|i| {
            let len = match i % 17 {
                5 => 300_000,
                11 => 70_000,
                _ => 1 + i % 40,
            };
            let payload: Vec<u8> = (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect();
            (payload, if i % 3 == 0 { i % 4 } else { 0 })
        })
        .collect()
}

fn codecs() -> Vec<Framing> {
    vec![
        LengthPrefixed::u32_be().into(),
        LengthPrefixed::python().into(),
        Delimited::lines().with_max_frame_len(1 << 20).into(),
        ContentLength::new().into(),
        Netstring::new().into(),
    ]
}

fn check_frame(i: usize, (payload, n): &(Vec<u8>, usize), got: (bytes::Bytes, Vec<OwnedFd>)) {
    assert!(got.0[..] == payload[..], "payload of frame {i}");
    assert_eq!(got.1.len(), *n, "descriptors of frame {i}");
    for (j, fd) in got.1.into_iter().enumerate() {
        assert!(
            cloexec(&fd),
            "frame {i}: received descriptors are close-on-exec"
        );
        assert_eq!(read_marker(fd), format!("frame {i} fd {j}"));
    }
}

#[test]
fn blocking_frames_keep_their_descriptors_with_every_codec() {
    for codec in codecs() {
        let (a, b) = UnixStream::pair().unwrap();
        let frames = plan(200);
        let to_send = frames.clone();
        let c = codec.clone();
        let writer = std::thread::spawn(move || {
            let mut w = FdWriter::new(a, c);
            for (i, (payload, n)) in to_send.iter().enumerate() {
                let fds: Vec<OwnedFd> = (0..*n)
                    .map(|j| marked(&format!("frame {i} fd {j}")))
                    .collect();
                let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
                if *n == 0 && i % 2 == 0 {
                    w.write_frame(payload).unwrap(); // batched
                } else {
                    w.write_frame_with_fds(payload, &borrowed).unwrap();
                }
            }
            w.flush().unwrap();
        });
        let mut r = pipeframe::fds::FdReader::new(b, codec.clone());
        for (i, f) in frames.iter().enumerate() {
            let got = r
                .read_frame_with_fds()
                .unwrap()
                .unwrap_or_else(|| panic!("{codec}: frame {i}"));
            check_frame(i, f, got);
        }
        writer.join().unwrap();
        assert!(
            r.read_frame_with_fds().unwrap().is_none(),
            "{codec}: clean end"
        );
    }
}

#[test]
fn named_pipe_streams_carry_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let name = pipeframe::named::PipeName::from_path(dir.path().join("fd.sock"));
    let listener = pipeframe::named::Listener::bind(&name).unwrap();
    let client = std::thread::spawn({
        let name = name.clone();
        move || {
            let mut s = pipeframe::named::connect(&name)
                .unwrap()
                .framed_with_fds(Delimited::lines())
                .unwrap();
            let fd = marked("frame 0 fd 0");
            s.write_frame_with_fds(b"to the server", &[fd.as_fd()])
                .unwrap();
            let (frame, fds) = s.read_frame_with_fds().unwrap().unwrap();
            assert_eq!(&frame[..], b"back");
            assert_eq!(
                read_marker(fds.into_iter().next().unwrap()),
                "from the server"
            );
        }
    });
    let mut s = listener
        .accept()
        .unwrap()
        .framed_with_fds(Delimited::lines())
        .unwrap();
    let got = s.read_frame_with_fds().unwrap().unwrap();
    check_frame(0, &(b"to the server".to_vec(), 1), got);
    s.write_frame_with_fds(b"back", &[marked("from the server").as_fd()])
        .unwrap();
    client.join().unwrap();
}

#[test]
fn refusals_are_typed_and_write_nothing() {
    let r = marked("x");
    // A pipe: a frame queued before stays queued, nothing goes out.
    let (mut rx, tx) = std::io::pipe().unwrap();
    let mut w = FdWriter::new(tx, LengthPrefixed::u32_be());
    w.write_frame(b"queued").unwrap();
    let e = w
        .write_frame_with_fds(b"with fds", &[r.as_fd()])
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
    assert_eq!(
        FdError::from_io(&e),
        Some(FdError::Unsupported {
            transport: "a pipe"
        })
    );
    assert!(
        e.to_string()
            .contains("only over unix domain sockets; nothing was written"),
        "{e}"
    );
    w.flush().unwrap();
    drop(w);
    let mut wire = Vec::new();
    rx.read_to_end(&mut wire).unwrap();
    assert_eq!(
        wire, b"\x00\x00\x00\x06queued",
        "only the frame without descriptors"
    );

    // TCP.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (mut peer, _) = l.accept().unwrap();
    let mut w = FdWriter::new(tcp, LengthPrefixed::u32_be());
    let e = w.write_frame_with_fds(b"x", &[r.as_fd()]).unwrap_err();
    assert_eq!(
        FdError::from_io(&e),
        Some(FdError::Unsupported {
            transport: "an IPv4 socket"
        })
    );
    drop(w);
    let mut wire = Vec::new();
    peer.read_to_end(&mut wire).unwrap();
    assert!(wire.is_empty());

    // More than one message carries; a payload the codec refuses.
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut w = FdWriter::new(a, Delimited::lines());
    let many: Vec<BorrowedFd<'_>> = std::iter::repeat_n(r.as_fd(), 254).collect();
    let e = w.write_frame_with_fds(b"x", &many).unwrap_err();
    assert_eq!(
        FdError::from_io(&e),
        Some(FdError::TooManyToSend {
            count: 254,
            max: 253
        })
    );
    let e = w.write_frame_with_fds(b"a\nb", &[r.as_fd()]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
    drop(w);
    let mut wire = Vec::new();
    b.read_to_end(&mut wire).unwrap();
    assert!(wire.is_empty());
}

#[test]
fn a_frame_over_the_maximum_is_refused_and_reading_goes_on() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut a = FdStream::new(a, LengthPrefixed::u32_be()).unwrap();
    let mut b = FdStream::new(b, LengthPrefixed::u32_be())
        .unwrap()
        .with_max_fds(2);
    let fds: Vec<OwnedFd> = (0..3).map(|j| marked(&format!("{j}"))).collect();
    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
    a.write_frame_with_fds(b"three", &borrowed).unwrap();
    a.write_frame_with_fds(b"two", &borrowed[..2]).unwrap();
    let e = b.read_frame_with_fds().unwrap_err();
    assert_eq!(
        FdError::from_io(&e),
        Some(FdError::TooMany {
            received: 3,
            max: 2
        })
    );
    assert!(e.to_string().contains("all were closed"), "{e}");
    let (frame, got) = b.read_frame_with_fds().unwrap().unwrap();
    assert_eq!((&frame[..], got.len()), (&b"two"[..], 2));
    // A decode error stops a descriptor reader for good.
    let (c, d) = UnixStream::pair().unwrap();
    (&c).write_all(b"\xff\xff\xff\xff").unwrap();
    let mut d = pipeframe::fds::FdReader::new(d, LengthPrefixed::u32_be());
    assert!(
        pipeframe::codec::DecodeError::from_io(&d.read_frame_with_fds().unwrap_err()).is_some()
    );
    assert_eq!(
        FdError::from_io(&d.read_frame_with_fds().unwrap_err()),
        Some(FdError::Stopped)
    );
}

#[test]
fn seqpacket_messages_carry_descriptors() {
    let (a, mut b) = SeqpacketStream::pair().unwrap();
    let mut b2 = b.try_clone().unwrap();
    for i in 0..20 {
        let n = i % 4;
        let fds: Vec<OwnedFd> = (0..n)
            .map(|j| marked(&format!("frame {i} fd {j}")))
            .collect();
        let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
        a.write_frame_with_fds(format!("message {i}").as_bytes(), &borrowed)
            .unwrap();
    }
    for i in 0..20 {
        let got = b.read_frame_with_fds().unwrap().unwrap();
        check_frame(i, &(format!("message {i}").into_bytes(), i % 4), got);
    }
    // Over the maximum: refused, the next message intact.
    let fds: Vec<OwnedFd> = (0..5).map(|j| marked(&format!("{j}"))).collect();
    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
    a.write_frame_with_fds(b"five", &borrowed).unwrap();
    a.write_frame_with_fds(b"one", &borrowed[..1]).unwrap();
    b2 = b2.with_max_fds(4);
    let e = b2.read_frame_with_fds().unwrap_err();
    assert_eq!(
        FdError::from_io(&e),
        Some(FdError::TooMany {
            received: 5,
            max: 4
        })
    );
    let (m, got) = b2.read_frame_with_fds().unwrap().unwrap();
    assert_eq!((&m[..], got.len()), (&b"one"[..], 1));
    // Empty messages are refused as without descriptors.
    assert!(a.write_frame_with_fds(b"", &borrowed[..1]).is_err());
    drop(a);
    assert!(b.read_frame_with_fds().unwrap().is_none());
}

/// The async flavours: frames with and without descriptors, both ways at once.
async fn async_exchange<Rt>(
    mut a: pipeframe::fds::AsyncFdStream<Rt, LengthPrefixed>,
    mut b: pipeframe::fds::AsyncFdStream<Rt, LengthPrefixed>,
) where
    Rt: pipeframe::rt::Reactor
        + pipeframe::rt::ReadIo<pipeframe::fds::FdSource<Rt>>
        + pipeframe::rt::WriteIo<pipeframe::fds::FdSink<Rt>>,
{
    let frames = plan(60);
    let send = async {
        for (i, (payload, n)) in frames.iter().enumerate() {
            let fds: Vec<OwnedFd> = (0..*n)
                .map(|j| marked(&format!("frame {i} fd {j}")))
                .collect();
            let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
            a.write_frame_with_fds(payload, &borrowed).await.unwrap();
        }
        a.close().await.unwrap();
    };
    let recv = async {
        for (i, f) in frames.iter().enumerate() {
            check_frame(i, f, b.read_frame_with_fds().await.unwrap().unwrap());
        }
        assert!(b.read_frame_with_fds().await.unwrap().is_none());
    };
    futures_lite::future::zip(send, recv).await;
}

#[test]
fn tokio_frames_keep_their_descriptors() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (a, b) = pipeframe::fds::tokio::FdStream::pair(LengthPrefixed::u32_be()).unwrap();
        async_exchange(a, b).await;
        // Over a tokio named pipe connection.
        let (a, b) = pipeframe::named::tokio::PipeStream::pair().unwrap();
        async_exchange(
            a.framed_with_fds(LengthPrefixed::u32_be()),
            b.framed_with_fds(LengthPrefixed::u32_be()),
        )
        .await;
        // Seqpacket.
        let (a, mut b) = pipeframe::message::tokio::SeqpacketStream::pair().unwrap();
        let fd = marked("seqpacket tokio");
        a.write_frame_with_fds(b"m", &[fd.as_fd()]).await.unwrap();
        let (m, fds) = b.read_frame_with_fds().await.unwrap().unwrap();
        assert_eq!(&m[..], b"m");
        assert_eq!(
            read_marker(fds.into_iter().next().unwrap()),
            "seqpacket tokio"
        );
    });
}

#[test]
fn smol_frames_keep_their_descriptors() {
    smol::block_on(async {
        let (a, b) = pipeframe::fds::futures_io::FdStream::pair(LengthPrefixed::u32_be()).unwrap();
        async_exchange(a, b).await;
        let (a, b) = pipeframe::named::futures_io::PipeStream::pair().unwrap();
        async_exchange(
            a.framed_with_fds(LengthPrefixed::u32_be()),
            b.framed_with_fds(LengthPrefixed::u32_be()),
        )
        .await;
        let (a, mut b) = pipeframe::message::futures_io::SeqpacketStream::pair().unwrap();
        let fd = marked("seqpacket smol");
        a.write_frame_with_fds(b"m", &[fd.as_fd()]).await.unwrap();
        let (_, fds) = b.read_frame_with_fds().await.unwrap().unwrap();
        assert_eq!(
            read_marker(fds.into_iter().next().unwrap()),
            "seqpacket smol"
        );
    });
}
