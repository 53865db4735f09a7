//! Nothing leaks when descriptors are refused: this process's open-descriptor count
//! (`/proc/self/fd`) is the same before and after each bad case, and right after the error
//! (the refused descriptors are closed at once, not when the stream goes away). The bad
//! senders are Python's `socket.send_fds` (`tests/peers/fd_peer.py`): a hostile sender of 250
//! descriptors with one frame (stream socket and seqpacket), a truncated control message
//! (`MSG_CTRUNC`, made real by lowering `RLIMIT_NOFILE` so the kernel cannot install them
//! all), and a stream that ends inside a frame that brought descriptors.
//!
//! One test function, run alone in its own binary: the counts are of the whole process.
#![cfg(target_os = "linux")]

#[path = "peers/support.rs"]
mod support;

use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};

use pipeframe::codec::{DecodeError, LengthPrefixed};
use pipeframe::fds::{FdError, FdReader};
use pipeframe::message::SeqpacketStream;
use support::{Peer, peer_file, require};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn python(args: &[&str], sock: OwnedFd) -> Peer {
    let mut cmd = Command::new("python3");
    cmd.arg(peer_file("fd_peer.py"))
        .args(args)
        .stdin(Stdio::from(sock))
        .stdout(Stdio::null());
    Peer::spawn(&format!("fd_peer.py {args:?}"), cmd)
}

fn marker(fd: OwnedFd) -> String {
    let mut s = String::new();
    std::fs::File::from(fd).read_to_string(&mut s).unwrap();
    s
}

#[test]
fn refused_descriptors_are_closed_and_nothing_leaks() {
    require(
        "python3",
        &["-c", "import socket; socket.send_fds"],
        "python3 with socket.send_fds",
    );
    // Made first: the runtime's own descriptors (epoll, its waker) stay open throughout.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let before = open_fds();

    // A hostile sender of 250 descriptors with one frame, over a stream socket.
    {
        let (ours, theirs) = UnixStream::pair().unwrap();
        // The sender is done before we count: its descriptors wait in the socket.
        python(&["flood", "250"], theirs.into()).finish();
        let mut r = FdReader::new(ours, LengthPrefixed::u32_be());
        let with_peer = open_fds();
        let e = r.read_frame_with_fds().unwrap_err();
        assert_eq!(
            FdError::from_io(&e),
            Some(FdError::TooMany {
                received: 250,
                max: 32
            }),
            "{e}"
        );
        assert_eq!(open_fds(), with_peer, "the 250 were closed at once");
        let (f, fds) = r.read_frame_with_fds().unwrap().unwrap();
        assert_eq!(&f[..], b"after the flood");
        assert_eq!(marker(fds.into_iter().next().unwrap()), "still working");
        assert!(r.read_frame_with_fds().unwrap().is_none());
    }
    assert_eq!(open_fds(), before, "after the stream flood");

    // The same over seqpacket.
    {
        let (mut ours, theirs) = SeqpacketStream::pair().unwrap();
        python(&["flood", "250"], theirs.into()).finish();
        let with_peer = open_fds();
        let e = ours.read_frame_with_fds().unwrap_err();
        assert_eq!(
            FdError::from_io(&e),
            Some(FdError::TooMany {
                received: 250,
                max: 32
            }),
            "{e}"
        );
        assert_eq!(open_fds(), with_peer);
        let (f, fds) = ours.read_frame_with_fds().unwrap().unwrap();
        assert_eq!(&f[..], b"after the flood");
        assert_eq!(marker(fds.into_iter().next().unwrap()), "still working");
    }
    assert_eq!(open_fds(), before, "after the seqpacket flood");

    // MSG_CTRUNC: with room for only 8 more descriptors in this process, the kernel installs
    // what fits of 50, closes the rest and truncates the control message.
    {
        let (ours, theirs) = UnixStream::pair().unwrap();
        python(&["flood", "50"], theirs.into()).finish();
        let mut r = FdReader::new(ours, LengthPrefixed::u32_be());
        let with_peer = open_fds();
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        // New descriptors take the lowest free numbers, under the soft limit: leave 8 free.
        let used: std::collections::BTreeSet<u64> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
            .collect();
        let eighth_free = (0..).filter(|n| !used.contains(n)).nth(7).unwrap();
        let low = rustix::process::Rlimit {
            current: Some(eighth_free + 1),
            maximum: limit.maximum,
        };
        rustix::process::setrlimit(rustix::process::Resource::Nofile, low).unwrap();
        let e = r.read_frame_with_fds();
        rustix::process::setrlimit(rustix::process::Resource::Nofile, limit).unwrap();
        let e = e.unwrap_err();
        match FdError::from_io(&e) {
            Some(FdError::Truncated { received }) => assert!((1..50).contains(&received), "{e}"),
            other => panic!("want Truncated, got {other:?}: {e}"),
        }
        assert!(e.to_string().contains("MSG_CTRUNC"), "{e}");
        assert_eq!(open_fds(), with_peer, "the ones that arrived were closed");
        let (f, fds) = r.read_frame_with_fds().unwrap().unwrap();
        assert_eq!(&f[..], b"after the flood");
        drop(fds);
    }
    assert_eq!(open_fds(), before, "after the truncated control message");

    // The stream ends inside a frame that brought two descriptors.
    {
        let (ours, theirs) = UnixStream::pair().unwrap();
        python(&["cut"], theirs.into()).finish();
        let mut r = FdReader::new(ours, LengthPrefixed::u32_be());
        let e = r.read_frame_with_fds().unwrap_err();
        assert!(
            matches!(
                DecodeError::from_io(&e),
                Some(DecodeError::Truncated { .. })
            ),
            "{e}"
        );
        assert_eq!(open_fds(), before + 1, "only our socket is left open");
        assert_eq!(
            FdError::from_io(&r.read_frame_with_fds().unwrap_err()),
            Some(FdError::Stopped)
        );
    }
    assert_eq!(open_fds(), before, "after the cut frame");

    // Our own writer over the maximum of our reader, blocking and async.
    {
        let (a, b) = UnixStream::pair().unwrap();
        let mut w = pipeframe::fds::FdWriter::new(a, LengthPrefixed::u32_be());
        let mut r = FdReader::new(b, LengthPrefixed::u32_be()).with_max_fds(3);
        let (p, q) = std::io::pipe().unwrap();
        let mut fds = Vec::new();
        for _ in 0..5 {
            fds.push(std::os::fd::AsFd::as_fd(&p));
        }
        w.write_frame_with_fds(b"five", &fds).unwrap();
        let with = open_fds();
        assert!(r.read_frame_with_fds().is_err());
        assert_eq!(open_fds(), with);
        drop((p, q));
        rt.block_on(async {
            let (mut a, b) =
                pipeframe::fds::tokio::FdStream::pair(LengthPrefixed::u32_be()).unwrap();
            let mut b = b.with_max_fds(1);
            let (p, q) = std::io::pipe().unwrap();
            use std::os::fd::AsFd;
            a.write_frame_with_fds(b"two", &[p.as_fd(), q.as_fd()])
                .await
                .unwrap();
            drop((p, q));
            let with = open_fds();
            let e = b.read_frame_with_fds().await.unwrap_err();
            assert_eq!(
                FdError::from_io(&e),
                Some(FdError::TooMany {
                    received: 2,
                    max: 1
                })
            );
            assert_eq!(open_fds(), with);
        });
    }
    assert_eq!(open_fds(), before, "after our own over-the-maximum frames");
}
