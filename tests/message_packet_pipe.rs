//! Blocking packet pipes: packet boundaries with concurrent writers, PIPE_BUF, capacity, end
//! of stream, and a child process writing packets.
#![cfg(target_os = "linux")]

use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};

use pipeframe::message::{PIPE_BUF, PacketReader, PacketWriter, packet_pipe};

/// A packet that proves its own integrity: writer id, sequence number, length, then filler
/// derived from all three.
fn packet(writer: u8, seq: u32) -> Vec<u8> {
    let len = 9 + (seq as usize * 97 + writer as usize * 31) % (PIPE_BUF - 9 + 1);
    let mut p = Vec::with_capacity(len);
    p.push(writer);
    p.extend_from_slice(&seq.to_le_bytes());
    p.extend_from_slice(&(len as u32).to_le_bytes());
    p.extend((9..len).map(|i| (i as u8) ^ writer ^ (seq as u8)));
    p
}

#[test]
fn concurrent_writers_keep_every_packet_intact() {
    const WRITERS: u8 = 4;
    const PER_WRITER: u32 = 2000;
    let (mut rx, tx) = packet_pipe().unwrap();
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let tx = tx.try_clone().unwrap();
            std::thread::spawn(move || {
                for seq in 0..PER_WRITER {
                    tx.write_frame(&packet(w, seq)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u32; WRITERS as usize];
    let mut total = 0;
    let mut sizes = std::collections::BTreeSet::new();
    while let Some(p) = rx.read_frame().unwrap() {
        let w = p[0];
        let seq = u32::from_le_bytes(p[1..5].try_into().unwrap());
        assert!(w < WRITERS);
        assert_eq!(
            seq, next[w as usize],
            "writer {w}: packets out of order or lost"
        );
        assert_eq!(
            &p[..],
            &packet(w, seq)[..],
            "writer {w} packet {seq} damaged"
        );
        next[w as usize] += 1;
        total += 1;
        sizes.insert(p.len());
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(total, WRITERS as u32 * PER_WRITER);
    assert!(
        sizes.contains(&PIPE_BUF) || sizes.len() > 100,
        "sizes were varied"
    );
    assert!(*sizes.last().unwrap() <= PIPE_BUF);
}

#[test]
fn oversize_packet_is_refused_with_nothing_written() {
    let (mut rx, tx) = packet_pipe().unwrap();
    let err = tx.write_frame(&[1; PIPE_BUF + 1]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let text = err.to_string();
    assert!(text.contains("4097") && text.contains("4096"), "{text}");
    rx.set_nonblocking(true).unwrap();
    assert_eq!(rx.read_frame().unwrap_err().kind(), ErrorKind::WouldBlock);
    rx.set_nonblocking(false).unwrap();
    // Exactly PIPE_BUF is one packet, read whole.
    tx.write_frame(&[2; PIPE_BUF]).unwrap();
    tx.write_frame(b"small").unwrap();
    assert_eq!(
        rx.read_frame().unwrap().as_deref(),
        Some(&[2; PIPE_BUF][..])
    );
    assert_eq!(rx.read_frame().unwrap().as_deref(), Some(&b"small"[..]));
}

#[test]
fn empty_packet_is_refused() {
    let (mut rx, tx) = packet_pipe().unwrap();
    let err = tx.write_frame(b"").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("empty"), "{err}");
    drop(tx);
    assert_eq!(rx.read_frame().unwrap(), None);
}

#[test]
fn capacity_counts_packets_and_can_be_raised() {
    let (mut rx, tx) = packet_pipe().unwrap();
    // pipeframe raises a packet pipe to the unprivileged maximum (the kernel's 16 packets
    // where it refuses).
    let max_bytes: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let start = tx.capacity().unwrap();
    assert!(
        start == max_bytes / 4096 || start == 16,
        "capacity {start} packets, pipe-max-size {max_bytes} bytes"
    );
    assert_eq!(rx.set_capacity(16).unwrap(), 16, "lowered to 16 packets");
    // 16 one-byte packets fill the pipe: capacity is in packets, not bytes.
    tx.set_nonblocking(true).unwrap();
    let fill = |n: &mut usize| loop {
        match tx.write_frame(&[(*n % 256) as u8]) {
            Ok(()) => *n += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    };
    let mut n = 0;
    fill(&mut n);
    assert_eq!(n, 16);
    for i in 0..16 {
        assert_eq!(rx.read_frame().unwrap().as_deref(), Some(&[i as u8][..]));
    }
    assert_eq!(
        rx.set_capacity(40).unwrap(),
        64,
        "rounded up to a power of two"
    );
    assert_eq!(tx.capacity().unwrap(), 64);
    let mut n = 0;
    fill(&mut n);
    assert_eq!(n, 64);
}

#[test]
fn writers_closing_is_end_of_stream_after_the_queued_packets() {
    let (mut rx, tx) = packet_pipe().unwrap();
    let tx2 = tx.try_clone().unwrap();
    tx.write_frame(b"one").unwrap();
    drop(tx);
    tx2.write_frame(b"two").unwrap();
    drop(tx2);
    assert_eq!(rx.read_frame().unwrap().as_deref(), Some(&b"one"[..]));
    assert_eq!(rx.read_frame().unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(rx.read_frame().unwrap(), None);
    assert_eq!(rx.read_frame().unwrap(), None);
}

#[test]
fn no_reader_is_broken_pipe() {
    let (rx, tx) = packet_pipe().unwrap();
    drop(rx);
    assert_eq!(
        tx.write_frame(b"x").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
}

/// Linux keeps packet mode (`O_DIRECT`) on a pipe's write end only: a plain pipe's write end is
/// refused by name, a packet pipe's read end handed around as a descriptor is accepted, and
/// ends of the wrong direction or kind are refused.
#[test]
fn adopting_a_descriptor_checks_packet_mode() {
    let (_r, w) = std::io::pipe().unwrap();
    let err = PacketWriter::try_from(OwnedFd::from(w)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("O_DIRECT"), "{err}");

    let (rx, tx) = packet_pipe().unwrap();
    let mut rx = PacketReader::try_from(OwnedFd::from(rx)).unwrap();
    let tx = PacketWriter::try_from(OwnedFd::from(tx)).unwrap();
    tx.write_frame(b"one").unwrap();
    tx.write_frame(b"two").unwrap();
    assert_eq!(rx.read_frame().unwrap().as_deref(), Some(&b"one"[..]));
    assert_eq!(rx.read_frame().unwrap().as_deref(), Some(&b"two"[..]));

    let (r, w) = packet_pipe().unwrap();
    let err = PacketReader::try_from(OwnedFd::from(w)).unwrap_err();
    assert!(err.to_string().contains("read end"), "{err}");
    let err = PacketWriter::try_from(OwnedFd::from(r)).unwrap_err();
    assert!(err.to_string().contains("write end"), "{err}");
    let (s, _) = std::os::unix::net::UnixStream::pair().unwrap();
    assert!(PacketReader::try_from(OwnedFd::from(s)).is_err());
}

#[test]
fn child_process_writes_packets_to_its_stdout() {
    let (mut rx, tx) = packet_pipe().unwrap();
    // The child's stdout is the packet pipe's write end; each os.write is one packet.
    let mut child = Command::new("python3")
        .arg("-c")
        .arg("import os\nfor n in (1, 100, 4096, 7, 10000):\n    os.write(1, bytes([n % 256]) * n)\n")
        .stdout(Stdio::from(OwnedFd::from(tx)))
        .spawn()
        .expect("python3 runs");
    let got: Vec<_> = rx.by_ref().collect::<Result<_, _>>().unwrap();
    assert!(child.wait().unwrap().success());
    assert!(rx.next().is_none(), "end of stream stays");
    let lens: Vec<_> = got.iter().map(|p| p.len()).collect();
    // A foreign write over PIPE_BUF is split by the kernel into page-sized packets.
    assert_eq!(lens, [1, 100, 4096, 7, 4096, 4096, 1808]);
    assert!(got[2].iter().all(|&b| b == 0));
    assert!(got[1].iter().all(|&b| b == 100));
}
