//! `LengthPrefixed::erlang(W1 | W2 | W4)` against a real Erlang port with `{packet, N}`: an
//! escript child opens `open_port({fd, 0, 1}, [{packet, N}, binary, eof])` on its own
//! stdin/stdout (`tests/peers/erl_port.escript`), sends packets of its own, then answers every
//! packet with `<<Len:32, Crc32:32>>` and the packet itself.
//!
//! The Erlang runtime's own stdio driver also watches fd 0 until the port takes it over, so
//! nothing is written to the child before its first packet has arrived (the port is open by
//! then). The escript runs with `-noinput -kernel logger_level none`: the runtime logs the
//! takeover, and its log would land on stdout, in the middle of the packets.
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

#[path = "peers/support.rs"]
mod support;

use std::process::{Command, Stdio};
use std::thread;

use pipeframe::codec::{EncodeError, LengthPrefixed, Width};
use pipeframe::sync::{FrameReader, FrameWriter};
use support::{Peer, crc32, pattern, peer_file, peer_pattern, require};

const MIB: usize = 1024 * 1024;

fn erlang_port(width: Width, theirs: &[usize], ours: &[usize]) {
    require(
        "erl",
        &["-noshell", "-eval", "halt()."],
        "erlang (erl, escript)",
    );
    let n = width.bytes().to_string();
    let mut cmd = Command::new("escript");
    cmd.arg(peer_file("erl_port.escript"))
        .arg(&n)
        .args(theirs.iter().map(|s| s.to_string()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut peer = Peer::spawn(&format!("erl_port.escript {n}"), cmd);
    let stdin = peer.child.stdin.take().unwrap();
    let stdout = peer.child.stdout.take().unwrap();
    let codec = LengthPrefixed::erlang(width);
    let mut reader = FrameReader::new(stdout, codec);

    for (k, &len) in theirs.iter().enumerate() {
        let frame = reader
            .read_frame()
            .unwrap()
            .unwrap_or_else(|| panic!("erlang's packet {k}"));
        assert_eq!(frame.len(), len, "length of erlang's packet {k}");
        assert!(
            frame[..] == peer_pattern(len, k)[..],
            "content of erlang's packet {k}"
        );
    }

    let payloads: Vec<Vec<u8>> = ours
        .iter()
        .enumerate()
        .map(|(i, &len)| pattern(len, i as u8))
        .collect();
    let to_send = payloads.clone();
    let writer = thread::spawn(move || {
        let mut w = FrameWriter::new(stdin, codec);
        for p in &to_send {
            w.write_frame(p).unwrap();
        }
        w.finish().unwrap()
    });
    for (i, p) in payloads.iter().enumerate() {
        let answer = reader.read_frame().unwrap().expect("erlang's answer");
        assert_eq!(answer.len(), 8, "erlang's answer to packet {i}");
        let len = u32::from_be_bytes(answer[..4].try_into().unwrap());
        let crc = u32::from_be_bytes(answer[4..].try_into().unwrap());
        assert_eq!(
            len as usize,
            p.len(),
            "length erlang received for packet {i}"
        );
        assert_eq!(crc, crc32(p), "crc32 erlang computed for packet {i}");
        let echo = reader.read_frame().unwrap().expect("erlang's echo");
        assert!(echo[..] == p[..], "echo of packet {i} ({} bytes)", p.len());
    }
    drop(writer.join().unwrap()); // end of input: the port gets eof and the escript halts
    assert_eq!(reader.read_frame().unwrap(), None);
    peer.finish();
}

#[test]
fn erlang_port_packet_1() {
    erlang_port(Width::W1, &[0, 1, 200, 255], &[0, 1, 100, 255]);
}

#[test]
fn erlang_port_packet_2() {
    erlang_port(Width::W2, &[0, 1, 256, 65_535], &[0, 1, 256, 65_535]);
}

#[test]
fn erlang_port_packet_4() {
    erlang_port(
        Width::W4,
        &[0, 1, 65_536, 3 * MIB + 3],
        &[0, 1, 100, 65_536, 3 * MIB + 7],
    );
}

#[test]
fn erlang_packet_limits_are_refused_before_writing() {
    // {packet, 1} carries at most 255 bytes, {packet, 2} 65 535: one more is an encode error
    // and nothing reaches the port.
    for (width, max) in [(Width::W1, 255u64), (Width::W2, 65_535)] {
        let mut w = FrameWriter::new(Vec::new(), LengthPrefixed::erlang(width));
        let err = w.write_frame(&vec![0u8; max as usize + 1]).unwrap_err();
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<EncodeError>());
        assert_eq!(
            inner,
            Some(&EncodeError::FrameTooLong {
                len: max as usize + 1,
                max
            })
        );
        assert!(w.finish().unwrap().is_empty());
    }
}
