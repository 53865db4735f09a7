//! The blocking flavour against scripted I/O: exact chunk splits, `Interrupted`,
//! `WouldBlock`, EOF inside a frame; a recording writer that shows batching, vectored writes,
//! partial writes and errors.

mod common;

use std::io::{self, ErrorKind};

use common::{Behave, Event, RecordingWriter, ScriptedReader};
use pipeframe::codec::{ContentLength, Delimited, FrameEncoder, LengthPrefixed};
#[cfg(unix)]
use pipeframe::sync::FrameStream;
use pipeframe::sync::{FrameReader, FrameWriter};

fn lp(payloads: &[&[u8]]) -> Vec<u8> {
    let mut c = LengthPrefixed::u32_le();
    let mut wire = Vec::new();
    for p in payloads {
        c.encode_frame(p, &mut wire).unwrap();
    }
    wire
}

fn data(b: &[u8]) -> Event {
    Event::Data(b.to_vec())
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

#[test]
fn interrupted_reads_are_retried() {
    let wire = lp(&[b"hello", b"world"]);
    let script = [
        Event::Interrupted,
        data(&wire[..3]),
        Event::Interrupted,
        Event::Interrupted,
        data(&wire[3..11]),
        Event::Interrupted,
        data(&wire[11..]),
    ];
    let mut r = FrameReader::new(ScriptedReader::new(script), LengthPrefixed::u32_le());
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b"hello"[..]));
    assert_eq!(r.read_frame_ref().unwrap(), Some(&b"world"[..]));
    assert_eq!(r.read_frame().unwrap(), None);
    assert_eq!(r.get_ref().remaining(), 0);
}

#[test]
fn would_block_is_returned_and_buffered_bytes_kept() {
    let wire = lp(&[b"first frame", b"second"]);
    let script = [
        Event::WouldBlock,
        data(&wire[..6]),
        Event::WouldBlock,
        data(&wire[6..17]),
        Event::WouldBlock,
        data(&wire[17..]),
    ];
    let mut r = FrameReader::new(ScriptedReader::new(script), LengthPrefixed::u32_le());
    let e = r.read_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(r.buffered().is_empty());

    let e = r.read_frame_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(
        r.buffered(),
        &wire[..6],
        "bytes read before WouldBlock are kept"
    );

    // The retry continues where it stopped.
    assert_eq!(
        r.read_frame().unwrap().as_deref(),
        Some(&b"first frame"[..])
    );
    assert_eq!(r.position(), 15);
    let e = r.read_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(r.buffered(), &wire[15..17]);
    assert_eq!(r.read_frame_ref().unwrap(), Some(&b"second"[..]));
    assert_eq!(r.read_frame().unwrap(), None);
}

#[test]
fn other_read_errors_are_returned_and_reading_can_go_on() {
    let wire = lp(&[b"abc"]);
    let script = [
        data(&wire[..2]),
        Event::Fail(ErrorKind::TimedOut),
        data(&wire[2..]),
    ];
    let mut r = FrameReader::new(ScriptedReader::new(script), LengthPrefixed::u32_le());
    assert_eq!(r.read_frame().unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(r.buffered(), &wire[..2]);
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b"abc"[..]));
}

/// Reads until an error, returning the frames before it and the error.
fn read_to_error<D: pipeframe::codec::FrameDecoder>(
    r: &mut FrameReader<ScriptedReader, D>,
) -> (Vec<Vec<u8>>, io::Error) {
    let mut frames = Vec::new();
    loop {
        match r.read_frame() {
            Ok(Some(f)) => frames.push(f.to_vec()),
            Ok(None) => panic!("clean end, expected an error after {frames:?}"),
            Err(e) => return (frames, e),
        }
    }
}

#[test]
fn eof_inside_a_frame_says_how_many_bytes_were_missing() {
    // Length-prefixed: the header says 10, 4 payload bytes arrive.
    let mut wire = lp(&[b"ok"]);
    wire.extend_from_slice(&10u32.to_le_bytes());
    wire.extend_from_slice(b"abcd");
    let script = [data(&wire[..7]), data(&wire[7..]), Event::Eof];
    let mut r = FrameReader::new(ScriptedReader::new(script), LengthPrefixed::u32_le());
    let (frames, e) = read_to_error(&mut r);
    assert_eq!(frames, [b"ok".to_vec()]);
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
    let msg = e.to_string();
    assert!(msg.contains("6 bytes missing"), "{msg}");
    assert!(msg.contains("8 bytes received"), "{msg}");

    // Inside the header: at least this many.
    let script = [data(&[3, 0]), Event::Eof];
    let mut r = FrameReader::new(ScriptedReader::new(script), LengthPrefixed::u32_le());
    let (_, e) = read_to_error(&mut r);
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
    assert!(e.to_string().contains("at least 2 bytes missing"), "{e}");

    // LSP: header parsed, 3 of 5 payload bytes.
    let script = [data(b"Content-Length: 5\r\n\r\nabc"), Event::Eof];
    let mut r = FrameReader::new(ScriptedReader::new(script), ContentLength::new());
    let (_, e) = read_to_error(&mut r);
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
    assert!(e.to_string().contains("2 bytes missing"), "{e}");

    // Lines: the newline never came.
    let script = [data(b"one\ntw"), Event::Eof];
    let mut r = FrameReader::new(ScriptedReader::new(script), Delimited::lines());
    let (frames, e) = read_to_error(&mut r);
    assert_eq!(frames, [b"one".to_vec()]);
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
    assert!(e.to_string().contains("delimiter missing"), "{e}");
    assert!(e.to_string().contains("2 bytes received"), "{e}");
}

#[test]
fn clean_eof_is_none_and_stays_none() {
    let wire = lp(&[b"", b"x"]);
    let mut r = FrameReader::new(
        ScriptedReader::chunks(&wire, &[1, 1, 1, 1, 1]),
        LengthPrefixed::u32_le(),
    );
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b""[..]));
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b"x"[..]));
    assert_eq!(r.read_frame().unwrap(), None);
    assert_eq!(r.read_frame_ref().unwrap(), None);
    assert_eq!(r.read_frame().unwrap(), None);
}

#[test]
fn iterator_ends_after_a_fatal_error() {
    // "ok", then a frame declaring more than the 5-byte maximum, then a valid frame that must
    // not be delivered (the stream position is lost after a fatal error).
    let mut wire = lp(&[b"ok"]);
    wire.extend_from_slice(&100u32.to_le_bytes());
    wire.extend_from_slice(&lp(&[b"never"]));
    let codec = LengthPrefixed::u32_le().with_max_frame_len(5);
    let mut it = FrameReader::new(ScriptedReader::chunks(&wire, &[3, 5]), codec);
    assert_eq!(it.next().unwrap().unwrap(), &b"ok"[..]);
    let e = it.next().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.to_string().contains("100"), "{e}");
    assert!(it.next().is_none());
    assert!(it.next().is_none());
    // Direct reads keep failing, naming the first error.
    let e = it.read_frame().unwrap_err();
    assert!(e.to_string().contains("earlier error"), "{e}");

    // The same for an EOF inside a frame.
    let wire = [&lp(&[b"a"])[..], b"\x09\x00\x00\x00abc"].concat();
    let frames: Vec<io::Result<bytes::Bytes>> =
        FrameReader::new(&wire[..], LengthPrefixed::u32_le()).collect();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].as_ref().unwrap(), &b"a"[..]);
    assert_eq!(
        frames[1].as_ref().unwrap_err().kind(),
        ErrorKind::UnexpectedEof
    );
}

#[test]
fn overlong_line_is_recoverable_through_the_iterator() {
    let wire = b"ok\nthis line is far too long\nnext\n";
    let codec = Delimited::lines().with_max_frame_len(8);
    let out: Vec<io::Result<bytes::Bytes>> =
        FrameReader::new(ScriptedReader::chunks(wire, &[4, 4, 4]), codec).collect();
    assert_eq!(out.len(), 3, "{out:?}");
    assert_eq!(out[0].as_ref().unwrap(), &b"ok"[..]);
    assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::InvalidData);
    assert_eq!(out[2].as_ref().unwrap(), &b"next"[..]);
}

#[test]
fn read_str_reports_the_invalid_byte_offset_and_goes_on() {
    let wire = b"ok\nab\xffcd\nh\xc3\xa9\n\xc3\n";
    let mut r = FrameReader::new(
        ScriptedReader::chunks(wire, &[2, 3, 1, 4]),
        Delimited::lines(),
    );
    assert_eq!(r.read_str().unwrap(), Some("ok"));
    let e = r.read_str().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.to_string().contains("byte offset 2"), "{e}");
    assert_eq!(r.read_str().unwrap(), Some("hé"));
    // A truncated sequence at the end of the frame: offset 0.
    let e = r.read_str().unwrap_err();
    assert!(e.to_string().contains("byte offset 0"), "{e}");
    assert_eq!(r.read_str().unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

#[test]
fn small_frames_are_batched() {
    let payload = [7u8; 10]; // 14 bytes on the wire
    let mut w = FrameWriter::new(RecordingWriter::new(), LengthPrefixed::u32_le());
    for _ in 0..1000 {
        w.write_frame(&payload).unwrap();
    }
    assert!(w.get_ref().calls.is_empty(), "written before the threshold");
    assert_eq!(w.buffered(), 14_000);
    let rec = w.finish().unwrap();
    assert_eq!(rec.calls.len(), 1, "{:?}", rec.calls.len());
    assert_eq!(rec.calls[0].accepted, 14_000);
    assert_eq!(rec.data, lp(&vec![&payload[..]; 1000]));

    // A 1000-byte threshold: one write per 72 frames (1008 bytes), nothing before.
    let mut w =
        FrameWriter::with_high_water(1000, RecordingWriter::new(), LengthPrefixed::u32_le());
    for i in 1..=1000 {
        w.write_frame(&payload).unwrap();
        assert_eq!(w.get_ref().calls.len(), i / 72, "after frame {i}");
    }
    let rec = w.finish().unwrap();
    assert_eq!(rec.calls.len(), 14);
    assert!(rec.calls[..13].iter().all(|c| c.accepted == 1008));
    assert_eq!(rec.data, lp(&vec![&payload[..]; 1000]));

    // High water 0: one write per frame.
    let mut w = FrameWriter::with_high_water(0, RecordingWriter::new(), LengthPrefixed::u32_le());
    for i in 1..=5 {
        w.write_frame(b"x").unwrap();
        assert_eq!(w.get_ref().calls.len(), i);
    }
}

/// `write_frames` (a stream, flushed at its end) ends each write of a large frame on a 4 KiB
/// page boundary of the stream; the payloads still go out from the caller's buffers, and the
/// rest of a frame's last page goes with the next frame or the final flush.
#[test]
fn write_frames_ends_large_writes_on_page_boundaries() {
    let a: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let b: Vec<u8> = (0..70_000u32).map(|i| (i * 7) as u8).collect();
    // A 16 KiB mark: a stream gathers four marks of large frames (64 KiB) before writing, so
    // each of the two large frames fills a write of its own.
    let mut w =
        FrameWriter::with_high_water(16 * 1024, RecordingWriter::new(), LengthPrefixed::u32_le());
    w.write_frames([&b"ab"[..], &a, &b, &b"cd"[..]]).unwrap();
    assert_eq!(w.buffered(), 0, "flushed at the end");
    let rec = w.finish().unwrap();
    assert_eq!(rec.data, lp(&[b"ab", &a, &b, b"cd"]));
    let mut at = 0;
    for (i, c) in rec.calls.iter().enumerate() {
        at += c.accepted;
        if i + 1 < rec.calls.len() {
            assert_eq!(at % 4096, 0, "call {i} ends at {at}: {:?}", rec.calls);
        }
    }
    // The first large write: the batch ("ab"), the header, then `a` itself, cut.
    let first = &rec.calls[0];
    assert_eq!(first.slices[0].1, 6);
    assert_eq!(first.slices[1].1, 4);
    assert_eq!(
        first.slices[2].0,
        a.as_ptr() as usize,
        "the payload was copied"
    );
    assert_eq!(
        rec.calls.len(),
        3,
        "two cut writes and the flush: {:?}",
        rec.calls
    );
}

/// `write_frames` gathers frames of a few KiB (not copied: each payload goes out from the
/// caller's buffer) into writes of sixteen frames (the most gathered at once; four high-water
/// marks for larger frames), instead of a write per frame.
#[test]
fn write_frames_gathers_mid_size_frames_into_few_writes() {
    let frames: Vec<Vec<u8>> = (0..100u32).map(|i| vec![i as u8; 6000]).collect();
    let mut w = FrameWriter::new(RecordingWriter::new(), LengthPrefixed::u32_le());
    w.write_frames(frames.iter().map(|f| &f[..])).unwrap();
    let rec = w.finish().unwrap();
    let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
    assert_eq!(rec.data, lp(&refs));
    // 100 frames: six writes of sixteen, and the flush.
    assert_eq!(rec.calls.len(), 7, "{:?}", rec.calls.len());
    let own: std::collections::HashSet<usize> =
        frames.iter().map(|f| f.as_ptr() as usize).collect();
    let from_caller = rec.calls[0]
        .slices
        .iter()
        .filter(|(p, _)| own.contains(p))
        .count();
    assert_eq!(from_caller, 16, "payloads written in place");
}

#[test]
fn large_payload_goes_out_beside_its_header_without_a_copy() {
    let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let mut w = FrameWriter::new(RecordingWriter::new(), LengthPrefixed::u32_le());
    w.write_frame(b"ab").unwrap();
    w.write_frame(b"cd").unwrap();
    assert!(w.get_ref().calls.is_empty());
    w.write_frame(&big).unwrap();
    assert_eq!(w.buffered(), 0);
    let rec = w.finish().unwrap();
    assert_eq!(rec.calls.len(), 1, "{:?}", rec.calls);
    let call = &rec.calls[0];
    assert!(call.vectored);
    // Batch (two small frames), header, then the caller's own payload buffer.
    assert_eq!(call.slices.len(), 3, "{:?}", call.slices);
    assert_eq!(call.slices[0].1, 12);
    assert_eq!(call.slices[1].1, 4);
    assert_eq!(
        call.slices[2],
        (big.as_ptr() as usize, big.len()),
        "the payload was copied"
    );
    assert_eq!(rec.data, lp(&[b"ab", b"cd", &big]));

    // A trailer goes in the same call (netstring: "100000:" payload ",").
    let mut w = FrameWriter::new(RecordingWriter::new(), pipeframe::codec::Netstring::new());
    w.write_frame(&big).unwrap();
    let rec = w.finish().unwrap();
    assert_eq!(rec.calls.len(), 1);
    assert_eq!(rec.calls[0].slices.len(), 3);
    assert_eq!(rec.calls[0].slices[1], (big.as_ptr() as usize, big.len()));
    assert_eq!(rec.calls[0].slices[2].1, 1);
}

#[test]
fn partial_writes_are_completed() {
    let big = vec![0x5au8; 10_000];
    let small: Vec<&[u8]> = vec![b"one", b"two", b"three"];
    for limit in [1usize, 3, 7, 13, 4099] {
        let mut rec = RecordingWriter::new();
        rec.limit = Some(limit);
        let mut w = FrameWriter::new(rec, LengthPrefixed::u32_le());
        for p in &small {
            w.write_frame(p).unwrap();
        }
        w.write_frame(&big).unwrap();
        w.write_frame(b"tail").unwrap();
        let rec = w.finish().unwrap();
        assert_eq!(
            rec.data,
            lp(&[b"one", b"two", b"three", &big, b"tail"]),
            "limit {limit}"
        );
        // Some vectored call was cut short while several slices were offered.
        assert!(
            rec.calls
                .iter()
                .any(|c| c.vectored && c.slices.len() > 1 && c.accepted < limit + 1),
            "limit {limit}"
        );
    }

    // Cuts exactly inside the header, then inside the payload, then at the trailer.
    let mut rec = RecordingWriter::with_script([
        Behave::Accept(5),
        Behave::Accept(4),
        Behave::Accept(9000),
        Behave::Accept(997),
    ]);
    rec.limit = Some(1);
    let mut w = FrameWriter::new(rec, pipeframe::codec::Netstring::new());
    w.write_frame(&big).unwrap();
    let rec = w.finish().unwrap();
    let mut want = b"10000:".to_vec();
    want.extend_from_slice(&big);
    want.push(b',');
    assert_eq!(rec.data, want);
    let accepted: Vec<usize> = rec.calls.iter().map(|c| c.accepted).collect();
    assert_eq!(accepted, [5, 4, 9000, 997, 1]);
}

#[test]
fn write_zero_is_an_error_and_poisons_the_writer() {
    // Batch path.
    let mut w = FrameWriter::new(
        RecordingWriter::with_script([Behave::Zero]),
        LengthPrefixed::u32_le(),
    );
    w.write_frame(b"abc").unwrap();
    assert_eq!(w.flush().unwrap_err().kind(), ErrorKind::WriteZero);
    assert!(w.write_frame(b"more").is_err());
    assert!(w.flush().is_err());

    // Vectored path, after part of the frame went out.
    let mut w = FrameWriter::new(
        RecordingWriter::with_script([Behave::Accept(100), Behave::Zero]),
        LengthPrefixed::u32_le(),
    );
    let e = w.write_frame(&[1u8; 5000]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WriteZero);
    let e = w.write_frame(b"x").unwrap_err();
    assert!(e.to_string().contains("unusable"), "{e}");
}

#[test]
fn interrupted_writes_are_retried() {
    let script = [
        Behave::Fail(ErrorKind::Interrupted),
        Behave::Accept(2),
        Behave::Fail(ErrorKind::Interrupted),
    ];
    let mut w = FrameWriter::new(RecordingWriter::with_script(script), Delimited::lines());
    w.write_frame(b"hello").unwrap();
    w.flush().unwrap();
    w.write_frame(&vec![b'z'; 8192]).unwrap();
    let rec = w.finish().unwrap();
    let mut want = b"hello\n".to_vec();
    want.extend_from_slice(&[b'z'; 8192]);
    want.push(b'\n');
    assert_eq!(rec.data, want);
    assert_eq!(rec.calls.len(), 5, "{:?}", rec.calls);
}

#[test]
fn drop_flushes_buffered_frames() {
    let mut rec = RecordingWriter::new();
    {
        let mut w = FrameWriter::new(&mut rec, Delimited::lines());
        w.write_frame(b"a").unwrap();
        w.write_frame(b"b").unwrap();
        assert!(w.get_ref().data.is_empty());
    }
    assert_eq!(rec.data, b"a\nb\n");
    assert_eq!(rec.flushes, 1);
}

#[test]
fn finish_flushes_and_returns_the_writer() {
    let mut w = FrameWriter::new(RecordingWriter::new(), Delimited::nul());
    w.write_frame(b"x").unwrap();
    let rec = w.finish().unwrap();
    assert_eq!(rec.data, b"x\0");
    assert_eq!(rec.flushes, 1);
    assert_eq!(rec.calls.len(), 1);
}

#[test]
fn writer_refuses_frames_after_an_io_error() {
    let mut rec = RecordingWriter::with_script([Behave::Fail(ErrorKind::BrokenPipe)]);
    {
        let mut w = FrameWriter::new(&mut rec, LengthPrefixed::u32_le());
        w.write_frame(b"lost").unwrap();
        assert_eq!(w.flush().unwrap_err().kind(), ErrorKind::BrokenPipe);
        let e = w.write_frame(b"later").unwrap_err();
        assert!(e.to_string().contains("unusable"), "{e}");
        assert!(w.flush().is_err());
        // Dropped here: a poisoned writer writes nothing more.
    }
    assert!(rec.data.is_empty());
    assert_eq!(rec.calls.len(), 1);
    assert_eq!(rec.flushes, 0);
}

#[test]
fn encode_error_writes_nothing() {
    let mut w = FrameWriter::new(RecordingWriter::new(), Delimited::lines());
    w.write_frame(b"fine").unwrap();
    let e = w.write_frame(b"a\nb").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("offset 1"), "{e}");
    let e = w.write_frame(&[b'\n'; 5000]).unwrap_err(); // would take the vectored path
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(w.buffered(), 5);
    assert!(w.get_ref().calls.is_empty());
    // Not poisoned: the next frame goes on.
    w.write_frame(b"after").unwrap();
    let rec = w.finish().unwrap();
    assert_eq!(rec.data, b"fine\nafter\n");

    let mut w = FrameWriter::new(RecordingWriter::new(), LengthPrefixed::u8());
    let e = w.write_frame(&[0u8; 300]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("300"), "{e}");
    let rec = w.finish().unwrap();
    assert!(rec.data.is_empty() && rec.calls.is_empty());
}

// ---------------------------------------------------------------------------------------
// Duplex
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn frame_stream_over_a_unix_stream_pair() {
    use std::os::unix::net::UnixStream;

    let (a, b) = UnixStream::pair().unwrap();
    let server = std::thread::spawn(move || -> io::Result<usize> {
        let mut s = FrameStream::new(b, LengthPrefixed::varint())?;
        let mut n = 0;
        while let Some(req) = s.read_frame()? {
            let mut reply = req.to_vec();
            reply.reverse();
            s.write_frame(&reply)?;
            n += 1;
        }
        Ok(n)
    });
    let mut c = FrameStream::new(a, LengthPrefixed::varint()).unwrap();
    c.write_frame(b"abc").unwrap();
    assert_eq!(c.read_frame().unwrap().as_deref(), Some(&b"cba"[..]));
    // Queued, not flushed: read_frame flushes them first, so the replies come.
    c.write_frame(b"12").unwrap();
    c.write_frame(&[9u8; 70_000]).unwrap();
    c.write_frame(b"").unwrap();
    assert_eq!(c.read_frame_ref().unwrap(), Some(&b"21"[..]));
    assert_eq!(c.read_frame().unwrap().unwrap(), vec![9u8; 70_000]);
    assert_eq!(c.read_frame().unwrap().as_deref(), Some(&b""[..]));

    let (mut r, w) = c.into_split();
    drop(w.finish().unwrap());
    // The reader half still holds a handle: shut the socket down to end the server.
    r.get_ref().shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(server.join().unwrap().unwrap(), 4);
    assert_eq!(r.read_frame().unwrap(), None);
}

#[cfg(unix)]
#[test]
fn nonblocking_socket_would_block_then_resumes() {
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    let (a, mut b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let mut r = FrameReader::new(a, LengthPrefixed::u16_be());
    assert_eq!(r.read_frame().unwrap_err().kind(), ErrorKind::WouldBlock);
    b.write_all(b"\x00\x05he").unwrap();
    assert_eq!(r.read_frame().unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(r.buffered(), b"\x00\x05he");
    b.write_all(b"llo\x00").unwrap();
    assert_eq!(r.read_frame_ref().unwrap(), Some(&b"hello"[..]));
    assert_eq!(r.read_frame().unwrap_err().kind(), ErrorKind::WouldBlock);
    drop(b);
    assert_eq!(r.read_frame().unwrap_err().kind(), ErrorKind::UnexpectedEof);
}

#[test]
fn owned_frames_are_split_off_the_read_buffer_without_a_copy() {
    let wire = lp(&[b"first", b"second", b"third"]);
    let mut r = FrameReader::new(&wire[..], LengthPrefixed::u32_le());
    let a = r.read_frame().unwrap().unwrap();
    let b = r.read_frame().unwrap().unwrap();
    let c = r.read_frame().unwrap().unwrap();
    assert_eq!(
        (&a[..], &b[..], &c[..]),
        (&b"first"[..], &b"second"[..], &b"third"[..])
    );
    // One read filled the buffer; the frames point into it, 4 header bytes apart.
    assert_eq!(b.as_ptr() as usize, a.as_ptr() as usize + a.len() + 4);
    assert_eq!(c.as_ptr() as usize, b.as_ptr() as usize + b.len() + 4);
    assert_eq!(r.position(), wire.len() as u64);
}

#[test]
fn decoder_can_change_between_frames() {
    // A 2-byte length, then (after a protocol switch) lines.
    let mut r = FrameReader::new(
        ScriptedReader::chunks(b"\x00\x05helloswitched\nrest\n", &[3, 9]),
        pipeframe::codec::Framing::from(LengthPrefixed::u16_be()),
    );
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b"hello"[..]));
    assert_eq!(r.position(), 7);
    *r.decoder_mut() = Delimited::lines().into();
    assert_eq!(r.read_frame_ref().unwrap(), Some(&b"switched"[..]));
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b"rest"[..]));
    assert_eq!(r.read_frame().unwrap(), None);
    let (src, decoder) = r.into_parts();
    assert_eq!(src.remaining(), 0);
    assert_eq!(decoder.to_string(), "lines");
}
