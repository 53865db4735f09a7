//! `LengthPrefixed::python()` against CPython's own `multiprocessing.connection`
//! (`Connection.send_bytes` / `recv_bytes`), run as a child process: over a Unix socket with
//! Python listening or connecting, over two anonymous pipes, and the >2 GiB header form
//! through Python's own header code (SPEC.md §3).
//!
//! The peer is `tests/peers/mp_peer.py`: it first sends frames of its own (sizes given on its
//! command line, byte `i` of frame `k` = `(i + k) % 251`), then answers every frame it
//! receives with `struct.pack("!QI", len, crc32)` and the frame itself.
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

#[path = "peers/support.rs"]
mod support;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, Stdio};

use pipeframe::codec::{DecodeError, FrameEncoder, LengthPrefixed, Missing};
use pipeframe::sync::{FrameReader, FrameStream, FrameWriter};
use support::{Peer, crc32, pattern, peer_file, peer_pattern, require};

const MIB: usize = 1024 * 1024;
/// Frames Python sends first: empty, one byte, around its 16 KiB concatenation threshold,
/// 64 KiB, a few MiB.
const PY_SIZES: [usize; 6] = [0, 1, 16_384, 16_385, 64 * 1024, 3 * MIB + 3];
/// Frames we send (Python answers each).
const OUR_SIZES: [usize; 8] = [0, 1, 100, 16_384, 16_385, 64 * 1024, 3 * MIB + 7, 5];

/// `python3 tests/peers/<script>`.
fn python(script: &str) -> Command {
    require(
        "python3",
        &["-c", "import multiprocessing.connection"],
        "python3 with multiprocessing",
    );
    let mut cmd = Command::new("python3");
    cmd.arg(peer_file(script));
    cmd
}

fn sizes_args(cmd: &mut Command) {
    cmd.args(PY_SIZES.iter().map(|n| n.to_string()));
}

/// Reads Python's own frames, then sends ours and checks each answer; returns the halves so
/// the caller can close its sending side and see the clean end.
fn exchange<R: Read, W: Write>(
    mut s: FrameStream<R, W, LengthPrefixed>,
) -> (
    FrameReader<R, LengthPrefixed>,
    FrameWriter<W, LengthPrefixed>,
) {
    for (k, &n) in PY_SIZES.iter().enumerate() {
        let frame = s
            .read_frame()
            .expect("read python's frame")
            .expect("python's frame");
        assert_eq!(frame.len(), n, "length of python's frame {k}");
        assert!(
            frame[..] == peer_pattern(n, k)[..],
            "content of python's frame {k} ({n} bytes)"
        );
    }
    for (i, &n) in OUR_SIZES.iter().enumerate() {
        let payload = pattern(n, i as u8);
        s.write_frame(&payload).expect("send frame to python");
        let answer = s.read_frame().expect("read answer").expect("answer");
        assert_eq!(
            answer.len(),
            12,
            "python's answer to frame {i}: {answer:02x?}"
        );
        let len = u64::from_be_bytes(answer[..8].try_into().unwrap());
        let crc = u32::from_be_bytes(answer[8..].try_into().unwrap());
        assert_eq!(len, n as u64, "length python received for frame {i}");
        assert_eq!(crc, crc32(&payload), "crc32 python computed for frame {i}");
        let echo = s.read_frame().expect("read echo").expect("echo");
        assert!(echo[..] == payload[..], "echo of frame {i} ({n} bytes)");
    }
    s.into_split()
}

#[test]
fn python_listener_on_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mp.sock");
    let mut cmd = python("mp_peer.py");
    cmd.arg("listen").arg(&path).stdout(Stdio::piped());
    sizes_args(&mut cmd);
    let mut peer = Peer::spawn("mp_peer.py listen", cmd);
    // Python prints "ready" once the Listener is bound and listening.
    let mut ready = [0u8; 6];
    peer.child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut ready)
        .expect("python listener did not start");
    assert_eq!(&ready, b"ready\n");

    let sock = UnixStream::connect(&path).expect("connect to python's Listener");
    let s = FrameStream::new(sock, LengthPrefixed::python()).unwrap();
    let (mut r, w) = exchange(s);
    w.finish().unwrap().shutdown(Shutdown::Write).unwrap();
    // Python sees EOFError, closes its end: a clean end at a frame boundary for us.
    assert_eq!(r.read_frame().unwrap(), None);
    peer.finish();
}

#[test]
fn python_client_to_our_unix_listener() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mp.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let mut cmd = python("mp_peer.py");
    cmd.arg("connect").arg(&path);
    sizes_args(&mut cmd);
    let peer = Peer::spawn("mp_peer.py connect", cmd);
    let (sock, _) = listener.accept().expect("python Client connects");
    let s = FrameStream::new(sock, LengthPrefixed::python()).unwrap();
    let (mut r, w) = exchange(s);
    w.finish().unwrap().shutdown(Shutdown::Write).unwrap();
    assert_eq!(r.read_frame().unwrap(), None);
    peer.finish();
}

#[test]
fn python_connection_over_anonymous_pipes() {
    // Our write end -> child's fd 0 (Connection(0)); child's fd 1 (Connection(1)) -> our read
    // end. `Peer::spawn` drops the command, closing the child's ends in this process.
    let (child_in, to_child) = std::io::pipe().unwrap();
    let (from_child, child_out) = std::io::pipe().unwrap();
    let mut cmd = python("mp_peer.py");
    cmd.arg("pipe").stdin(child_in).stdout(child_out);
    sizes_args(&mut cmd);
    let peer = Peer::spawn("mp_peer.py pipe", cmd);

    let s = FrameStream::from_parts(from_child, to_child, LengthPrefixed::python());
    let (mut r, w) = exchange(s);
    drop(w.finish().unwrap()); // closes the pipe: EOFError in Python
    assert_eq!(r.read_frame().unwrap(), None);
    peer.finish();
}

/// Runs `mp_large.py send N`: Python's `_send_bytes` writes its header for an `n`-byte
/// payload, then only 5 real bytes.
fn python_large_header(n: u64) -> Vec<u8> {
    let mut cmd = python("mp_large.py");
    cmd.args(["send", &n.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut peer = Peer::spawn("mp_large.py send", cmd);
    let mut wire = Vec::new();
    peer.child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut wire)
        .unwrap();
    peer.finish();
    wire
}

#[test]
fn python_writes_the_12_byte_header_above_2_gib_and_we_read_it() {
    let n: u64 = 0x8000_0005;
    let wire = python_large_header(n);
    let mut expected = vec![0xff, 0xff, 0xff, 0xff];
    expected.extend_from_slice(&n.to_be_bytes());
    expected.extend_from_slice(b"tail!");
    assert_eq!(wire, expected, "python's wire for a {n}-byte payload");

    // With a maximum above the length, the header is accepted and the reader waits for the
    // rest of the payload: the stream ends 12 + 5 bytes into a frame missing n - 5 bytes.
    let mut r = FrameReader::new(
        &wire[..],
        LengthPrefixed::python().with_max_frame_len(usize::MAX),
    );
    let err = r.read_frame().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<DecodeError>());
    assert_eq!(
        inner,
        Some(&DecodeError::Truncated {
            buffered: 17,
            missing: Missing::Exactly(n - 5)
        }),
        "{err}"
    );
    // With the default maximum, the declared length is refused as soon as the header is in.
    let mut r = FrameReader::new(&wire[..], LengthPrefixed::python());
    let err = r.read_frame().unwrap_err();
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<DecodeError>());
    assert_eq!(
        inner,
        Some(&DecodeError::FrameTooLong {
            declared: n,
            max: 8 * MIB
        }),
        "{err}"
    );
}

#[test]
fn python_writes_the_4_byte_header_up_to_2_gib_minus_1() {
    let n: u64 = 0x7fff_ffff;
    let wire = python_large_header(n);
    let mut expected = n.to_be_bytes()[4..].to_vec();
    expected.extend_from_slice(b"tail!");
    assert_eq!(wire, expected);
    let mut r = FrameReader::new(
        &wire[..],
        LengthPrefixed::python().with_max_frame_len(usize::MAX),
    );
    let err = r.read_frame().unwrap_err();
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<DecodeError>());
    assert_eq!(
        inner,
        Some(&DecodeError::Truncated {
            buffered: 9,
            missing: Missing::Exactly(n - 5)
        }),
        "{err}"
    );
}

/// Our encoder's header for an `n`-byte payload (a zeroed allocation the size of the
/// payload: never touched, so it costs no memory), read by Python's `_recv_bytes`; returns
/// the sizes Python then asked the stream for.
fn python_reads_our_header(n: usize) -> String {
    let payload = vec![0u8; n];
    let mut codec = LengthPrefixed::python().with_max_frame_len(usize::MAX);
    let header = codec.encode_parts(&payload).unwrap().header().to_vec();
    drop(payload);
    let (child_in, mut to_child) = std::io::pipe().unwrap();
    let mut cmd = python("mp_large.py");
    cmd.arg("recv").stdin(child_in).stdout(Stdio::piped());
    let mut peer = Peer::spawn("mp_large.py recv", cmd);
    to_child.write_all(&header).unwrap();
    let mut out = String::new();
    peer.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    drop(to_child);
    peer.finish();
    out.trim().to_owned()
}

#[test]
fn python_reads_our_12_byte_header_above_2_gib() {
    // Python asks for 4 header bytes, sees -1, asks for 8 more, then for the payload.
    assert_eq!(python_reads_our_header(0x8000_0000), "4 8 2147483648");
    assert_eq!(python_reads_our_header(0x1_0000_0003), "4 8 4294967299");
}

#[test]
fn python_reads_our_4_byte_header_at_2_gib_minus_1() {
    assert_eq!(python_reads_our_header(0x7fff_ffff), "4 2147483647");
}
