//! Descriptors with frames (`pipeframe::fds`) against Python's own `socket.send_fds` /
//! `socket.recv_fds` (`tests/peers/fd_peer.py`), both ways, over a Unix stream socket
//! (frames `lp32be`) and a `SOCK_SEQPACKET` socket; every received descriptor is used as
//! the working pipe end it is. And a child process given a pipe end through a frame, not
//! through inheritance. (The hostile cases, with the process's descriptor counts, are in
//! `tests/fds_leaks.rs`.)
#![cfg(target_os = "linux")]

#[path = "support/child.rs"]
mod child;
#[path = "peers/support.rs"]
mod support;

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};

use pipeframe::codec::LengthPrefixed;
use pipeframe::fds::FdStream;
use pipeframe::message::SeqpacketStream;
use support::{Peer, peer_file, require};

fn python(mode: &str, sock: OwnedFd) -> Peer {
    require(
        "python3",
        &["-c", "import socket; socket.send_fds"],
        "python3 with socket.send_fds",
    );
    let mut cmd = Command::new("python3");
    cmd.arg(peer_file("fd_peer.py"))
        .arg(mode)
        .stdin(Stdio::from(sock))
        .stdout(Stdio::piped());
    Peer::spawn(&format!("fd_peer.py {mode}"), cmd)
}

/// All the peer prints.
fn stdout(peer: &mut Peer) -> String {
    let mut out = String::new();
    peer.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn read_all(fd: OwnedFd) -> String {
    let mut s = String::new();
    std::fs::File::from(fd).read_to_string(&mut s).unwrap();
    s
}

fn one(fds: Vec<OwnedFd>) -> OwnedFd {
    assert_eq!(fds.len(), 1, "one descriptor with the frame");
    fds.into_iter().next().unwrap()
}

#[test]
fn python_sends_pipe_ends_with_frames_over_a_stream_socket() {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let peer = python("send", theirs.into());
    let mut s = FdStream::new(ours, LengthPrefixed::u32_be()).unwrap();
    let (f, fds) = s.read_frame_with_fds().unwrap().unwrap();
    assert_eq!((&f[..], fds.len()), (&b"plain"[..], 0));
    let (f, fds) = s.read_frame_with_fds().unwrap().unwrap();
    assert_eq!(&f[..], b"read end");
    assert_eq!(read_all(one(fds)), "from python through a pipe");
    let (f, fds) = s.read_frame_with_fds().unwrap().unwrap();
    assert_eq!(&f[..], b"write end");
    let mut w = std::fs::File::from(one(fds));
    w.write_all(b"hello from rust").unwrap();
    drop(w); // the only copy left: Python reads to the end
    s.write_frame(b"written").unwrap();
    let f = s.read_frame().unwrap().unwrap();
    assert_eq!(&f[..], b"python read: hello from rust");
    assert!(s.read_frame_with_fds().unwrap().is_none());
    peer.finish();
}

#[test]
fn python_receives_pipe_ends_with_frames_over_a_stream_socket() {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let mut peer = python("recv", theirs.into());
    let mut s = FdStream::new(ours.try_clone().unwrap(), LengthPrefixed::u32_be()).unwrap();
    let mut readers = Vec::new();
    let mut want_fds = 0;
    for i in 0..40 {
        let payload = format!("frame {i} {}", "x".repeat(i * 97 % 5000));
        match i % 4 {
            0 => s.write_frame(payload.as_bytes()).unwrap(), // batched, no descriptors
            n => {
                let ends: Vec<_> = (0..n).map(|_| std::io::pipe().unwrap()).collect();
                let w: Vec<_> = ends.iter().map(|(_, w)| w.as_fd()).collect();
                s.write_frame_with_fds(payload.as_bytes(), &w).unwrap();
                want_fds += n;
                readers.extend(ends.into_iter().map(|(r, _)| (r, payload.clone())));
            }
        }
    }
    s.flush().unwrap();
    ours.shutdown(std::net::Shutdown::Write).unwrap();
    for (mut r, payload) in readers {
        let mut got = String::new();
        r.read_to_string(&mut got).unwrap();
        assert_eq!(got, format!("python got {payload}"));
    }
    let mut out = String::new();
    peer.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out.trim(), format!("frames 40 descriptors {want_fds}"));
    peer.finish();
}

#[test]
fn python_over_seqpacket_both_ways() {
    let (ours, theirs) = SeqpacketStream::pair().unwrap();
    let peer = python("send", theirs.into());
    let mut s = ours;
    let (f, fds) = s.read_frame_with_fds().unwrap().unwrap();
    assert_eq!((&f[..], fds.len()), (&b"plain"[..], 0));
    let (_, fds) = s.read_frame_with_fds().unwrap().unwrap();
    assert_eq!(read_all(one(fds)), "from python through a pipe");
    let (_, fds) = s.read_frame_with_fds().unwrap().unwrap();
    std::fs::File::from(one(fds))
        .write_all(b"seqpacket")
        .unwrap();
    s.write_frame(b"written").unwrap();
    assert_eq!(
        &s.read_frame().unwrap().unwrap()[..],
        b"python read: seqpacket"
    );
    peer.finish();

    let (ours, theirs) = SeqpacketStream::pair().unwrap();
    let mut peer = python("recv", theirs.into());
    let (r, w) = std::io::pipe().unwrap();
    ours.write_frame_with_fds(b"to python", &[w.as_fd()])
        .unwrap();
    drop(w);
    ours.shutdown_write().unwrap();
    assert_eq!(read_all(r.into()), "python got to python");
    let mut out = String::new();
    peer.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out.trim(), "frames 1 descriptors 1");
    peer.finish();
}

const CHILD: &str = "PIPEFRAME_FD_CHILD_PIPE_INODE";

/// The inode of the pipe `fd` is an end of.
fn inode(fd: impl AsFd) -> u64 {
    rustix::fs::fstat(fd).unwrap().st_ino
}

#[test]
fn a_child_gets_a_pipe_end_through_a_frame_not_inheritance() {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let (mut rx, tx) = std::io::pipe().unwrap();
    let mut cmd = child::self_command("fd_child_entry_point");
    cmd.env(CHILD, inode(&rx).to_string())
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::piped());
    // Spawned while the pipe is open here: std makes it close-on-exec, so the child does
    // not inherit it. It gets the write end through the frame below.
    let mut child = Peer::spawn("fd child", cmd);
    let mut s = FdStream::new(ours, LengthPrefixed::u32_be()).unwrap();
    s.write_frame_with_fds(b"write into this", &[tx.as_fd()])
        .unwrap();
    drop(tx);
    let mut got = String::new();
    rx.read_to_string(&mut got).unwrap(); // the end: the child's copy is the only one
    assert_eq!(
        got,
        "hello from the child, through a pipe end it got in a frame"
    );
    let out = stdout(&mut child);
    assert!(
        out.contains("child: the pipe reached me only through the frame"),
        "{out}"
    );
    child.finish();
}

/// The child of the test above: it takes the socket on fd 0, checks that no descriptor it
/// inherited is an end of the pipe, reads the frame and writes into the end it brought.
#[test]
fn fd_child_entry_point() {
    let Ok(ino) = std::env::var(CHILD) else {
        return;
    };
    let ino: u64 = ino.parse().unwrap();
    let ends = |skip: Option<i32>| -> usize {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|&n| Some(n) != skip)
            .filter(|&n| {
                std::fs::metadata(format!("/proc/self/fd/{n}"))
                    .is_ok_and(|m| std::os::unix::fs::MetadataExt::ino(&m) == ino)
            })
            .count()
    };
    assert_eq!(ends(None), 0, "the child inherited an end of the pipe");
    let sock = pipeframe::pipe::ClientHandle::parse("0")
        .unwrap()
        .open_socket()
        .unwrap();
    let mut s = FdStream::new(sock, LengthPrefixed::u32_be()).unwrap();
    let (frame, fds) = s.read_frame_with_fds().unwrap().unwrap();
    assert_eq!(&frame[..], b"write into this");
    let fd = one(fds);
    assert_eq!(inode(&fd), ino);
    assert_eq!(ends(Some(fd.as_raw_fd())), 0);
    std::fs::File::from(fd)
        .write_all(b"hello from the child, through a pipe end it got in a frame")
        .unwrap();
    println!("child: the pipe reached me only through the frame");
}
