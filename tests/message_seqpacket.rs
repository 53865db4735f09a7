//! Blocking seqpacket sockets: whole messages, sizing, limits, end of stream, listeners, and a
//! foreign peer (python3).
#![cfg(target_os = "linux")]

use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};

use pipeframe::codec::EncodeError;
use pipeframe::message::{SeqpacketListener, SeqpacketStream};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn messages_of_every_size_arrive_whole_and_in_order() {
    let (a, mut b) = SeqpacketStream::pair().unwrap();
    let sizes = [1, 2, 100, 4096, 4097, 65_536, 65_537, 150_000, 3];
    let writer = std::thread::spawn(move || {
        for (i, &n) in sizes.iter().enumerate() {
            a.write_frame(&pattern(n, i as u8)).unwrap();
        }
    });
    for (i, &n) in sizes.iter().enumerate() {
        let msg = b
            .read_frame()
            .unwrap()
            .expect("a message, not end of stream");
        assert_eq!(msg.len(), n, "message {i}");
        assert_eq!(&msg[..], &pattern(n, i as u8)[..], "message {i}");
    }
    writer.join().unwrap();
    assert_eq!(b.read_frame().unwrap(), None);
}

#[test]
fn message_larger_than_any_first_buffer_arrives_whole() {
    // 200,000 bytes: far over a page, over a 64 KiB read buffer, one message.
    let (a, mut b) = SeqpacketStream::pair().unwrap();
    let big = pattern(200_000, 9);
    a.write_frame(&big).unwrap();
    a.write_frame(b"tail").unwrap();
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&big[..]));
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"tail"[..]));
}

#[test]
fn default_limit_is_sndbuf_minus_32_and_exact() {
    let (a, mut b) = SeqpacketStream::pair().unwrap();
    let sndbuf = a.send_buffer_size().unwrap();
    let max = a.max_frame_len();
    assert_eq!(max, sndbuf - 32);
    assert!(max >= 100_000, "default maximum {max} is implausibly small");
    // Exactly the maximum goes through (the kernel agrees with the limit)...
    a.write_frame(&pattern(max, 1)).unwrap();
    assert_eq!(b.read_frame().unwrap().map(|m| m.len()), Some(max));
    // ...one byte more is refused before anything is sent.
    let err = a.write_frame(&pattern(max + 1, 1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains(&(max + 1).to_string()) && text.contains(&max.to_string()),
        "{text}"
    );
}

#[test]
fn oversize_write_is_refused_with_nothing_sent() {
    let (a, mut b) = SeqpacketStream::pair().unwrap();
    let a = a.try_with_max_frame_len(1000).unwrap();
    let err = a.write_frame(&[7; 1001]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.get_ref().and_then(|e| e.downcast_ref::<EncodeError>()),
        Some(&EncodeError::FrameTooLong {
            len: 1001,
            max: 1000
        }),
        "{err}"
    );
    // Nothing reached the peer.
    b.set_nonblocking(true).unwrap();
    assert_eq!(b.read_frame().unwrap_err().kind(), ErrorKind::WouldBlock);
    b.set_nonblocking(false).unwrap();
    // The connection is fine: the next message is the next thing read.
    a.write_frame(b"next").unwrap();
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"next"[..]));
}

#[test]
fn empty_frames_are_refused() {
    let (a, mut b) = SeqpacketStream::pair().unwrap();
    let err = a.write_frame(b"").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("empty"), "{err}");
    a.write_frame(b"x").unwrap();
    drop(a);
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"x"[..]));
    assert_eq!(b.read_frame().unwrap(), None);
}

#[test]
fn oversize_receive_is_discarded_and_the_next_message_is_intact() {
    let (a, b) = SeqpacketStream::pair().unwrap();
    let mut b = b.try_with_max_frame_len(1000).unwrap();
    a.write_frame(&pattern(5000, 3)).unwrap();
    a.write_frame(b"after").unwrap();
    let err = b.read_frame().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    let text = err.to_string();
    assert!(text.contains("5000") && text.contains("1000"), "{text}");
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"after"[..]));
    // As an iterator: the oversize message is an Err item, then iteration goes on.
    a.write_frame(&pattern(2000, 3)).unwrap();
    a.write_frame(b"again").unwrap();
    drop(a);
    let items: Vec<_> = b.collect();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    assert_eq!(items[1].as_ref().unwrap(), "again");
}

#[test]
fn raising_the_limit_carries_larger_messages() {
    let wmem_max: usize = std::fs::read_to_string("/proc/sys/net/core/wmem_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let (mut a, b) = SeqpacketStream::pair().unwrap();
    let want = 1 << 20;
    match a.set_max_frame_len(want) {
        Ok(()) => {
            assert!(a.send_buffer_size().unwrap() >= want + 32);
            let mut b = b.try_with_max_frame_len(want).unwrap();
            let big = pattern(want, 5);
            let reader = std::thread::spawn(move || b.read_frame().unwrap());
            a.write_frame(&big).unwrap();
            assert_eq!(reader.join().unwrap().as_deref(), Some(&big[..]));
        }
        Err(e) => {
            // Only acceptable when the kernel cap is too low, and then the error says so.
            assert!(2 * wmem_max < want + 32, "unexpected failure: {e}");
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.to_string().contains("wmem_max"), "{e}");
            assert_eq!(a.max_frame_len(), a.send_buffer_size().unwrap() - 32);
        }
    }
}

#[test]
fn an_impossible_limit_is_refused_naming_the_cap() {
    let (mut a, _b) = SeqpacketStream::pair().unwrap();
    let before = a.max_frame_len();
    let err = a.set_max_frame_len(usize::MAX).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("net.core.wmem_max"), "{err}");
    assert_eq!(a.max_frame_len(), before, "limit unchanged");
    // The builder form fails the same way.
    let err = a.try_with_max_frame_len(usize::MAX).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("net.core.wmem_max"), "{err}");
}

#[test]
fn peer_close_is_end_of_stream_distinct_from_messages() {
    let (a, mut b) = SeqpacketStream::pair().unwrap();
    a.write_frame(b"last").unwrap();
    drop(a);
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"last"[..]));
    assert_eq!(b.read_frame().unwrap(), None);
    assert_eq!(b.read_frame().unwrap(), None, "end of stream stays");
    // Writing to a closed peer is an error, not a signal.
    assert_eq!(
        b.write_frame(b"anyone?").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
}

#[test]
fn shutdown_write_ends_one_direction_only() {
    let (mut a, mut b) = SeqpacketStream::pair().unwrap();
    a.write_frame(b"request").unwrap();
    a.shutdown_write().unwrap();
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"request"[..]));
    assert_eq!(b.read_frame().unwrap(), None);
    b.write_frame(b"reply").unwrap();
    assert_eq!(a.read_frame().unwrap().as_deref(), Some(&b"reply"[..]));
}

#[test]
fn path_listener_and_connect() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seq.sock");
    let listener = SeqpacketListener::bind(&path).unwrap();
    let client_path = path.clone();
    let client = std::thread::spawn(move || {
        let mut c = SeqpacketStream::connect(&client_path).unwrap();
        c.write_frame(b"hello").unwrap();
        c.read_frame().unwrap()
    });
    let mut s = listener.accept().unwrap();
    assert_eq!(s.read_frame().unwrap().as_deref(), Some(&b"hello"[..]));
    s.write_frame(&pattern(100_000, 2)).unwrap();
    assert_eq!(
        client.join().unwrap().as_deref(),
        Some(&pattern(100_000, 2)[..])
    );
    // Binding again to an existing path fails, naming it.
    let err = SeqpacketListener::bind(&path).unwrap_err();
    assert!(err.to_string().contains("seq.sock"), "{err}");
}

#[test]
fn abstract_listener_and_connect() {
    let name = format!("pipeframe-test-{}-abstract", std::process::id());
    let listener = SeqpacketListener::bind_abstract(&name).unwrap();
    let mut c = SeqpacketStream::connect_abstract(&name).unwrap();
    let mut s = listener.accept().unwrap();
    c.write_frame(b"ping").unwrap();
    assert_eq!(s.read_frame().unwrap().as_deref(), Some(&b"ping"[..]));
    s.write_frame(b"pong").unwrap();
    assert_eq!(c.read_frame().unwrap().as_deref(), Some(&b"pong"[..]));
    let err = SeqpacketStream::connect_abstract("pipeframe-test-nobody-listens").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert!(
        err.to_string().contains("@pipeframe-test-nobody-listens"),
        "{err}"
    );
}

#[test]
fn adopting_a_descriptor_checks_its_type() {
    let (s, _) = std::os::unix::net::UnixStream::pair().unwrap();
    let err = SeqpacketStream::try_from(OwnedFd::from(s)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("SOCK_SEQPACKET"), "{err}");
    let (a, b) = SeqpacketStream::pair().unwrap();
    let mut b = SeqpacketStream::try_from(OwnedFd::from(b)).unwrap();
    a.write_frame(b"adopted").unwrap();
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"adopted"[..]));
}

#[test]
fn python_peer_over_a_path_listener() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.sock");
    let listener = SeqpacketListener::bind(&path).unwrap();
    let script = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"from python")
s.send(bytes(i % 251 for i in range(150000)))
m = s.recv(1 << 20)
sys.stdout.write("%d %s\n" % (len(m), m[:5].decode()))
s.close()
"#;
    let child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut s = listener.accept().unwrap();
    assert_eq!(
        s.read_frame().unwrap().as_deref(),
        Some(&b"from python"[..])
    );
    let big = s.read_frame().unwrap().unwrap();
    assert_eq!(big.len(), 150_000);
    assert!(big.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    let mut reply = b"reply".to_vec();
    reply.resize(70_000, b'.');
    s.write_frame(&reply).unwrap();
    assert_eq!(s.read_frame().unwrap(), None, "python closed");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "70000 reply\n");
}

#[test]
fn limits_over_256_kib_size_each_message_first() {
    // Above 256 KiB the receiver sizes each message (MSG_PEEK | MSG_TRUNC) instead of keeping
    // a buffer of the maximum size: the same guarantees hold.
    let (a, b) = SeqpacketStream::pair().unwrap();
    let a = a.try_with_max_frame_len(400_000).unwrap();
    let mut b = b.try_with_max_frame_len(300_000).unwrap();
    let reader = std::thread::spawn(move || {
        let first = b.read_frame();
        let second = b.read_frame();
        let third = b.read_frame();
        (first, second, third, b.read_frame())
    });
    a.write_frame(&pattern(299_999, 4)).unwrap();
    a.write_frame(&pattern(350_000, 5)).unwrap();
    a.write_frame(b"after").unwrap();
    drop(a);
    let (first, second, third, end) = reader.join().unwrap();
    assert_eq!(first.unwrap().as_deref(), Some(&pattern(299_999, 4)[..]));
    let err = second.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("350000"), "{err}");
    assert_eq!(third.unwrap().as_deref(), Some(&b"after"[..]));
    assert_eq!(end.unwrap(), None);
}

#[test]
fn an_empty_message_from_a_foreign_peer_reads_as_end_of_stream() {
    // pipeframe never sends one; a foreign peer can. It is consumed and ends the stream.
    for max in [1000, 300_000] {
        let (a, b) = SeqpacketStream::pair().unwrap();
        let mut b = b.try_with_max_frame_len(max).unwrap();
        let a = OwnedFd::from(a);
        rustix::net::send(&a, b"", rustix::net::SendFlags::empty()).unwrap();
        rustix::net::send(&a, b"later", rustix::net::SendFlags::empty()).unwrap();
        assert_eq!(b.read_frame().unwrap(), None, "max {max}");
        assert_eq!(
            b.read_frame().unwrap(),
            None,
            "end of stream stays (max {max})"
        );
    }
}

#[test]
fn an_overlong_path_is_refused_naming_it() {
    let long = format!("/tmp/{}", "x".repeat(200));
    let err = SeqpacketListener::bind(&long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains(&long) && err.to_string().contains("108"),
        "{err}"
    );
}
