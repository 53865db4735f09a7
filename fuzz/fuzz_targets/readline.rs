#![no_main]
//! Fuzz target `readline`: `DotnetLines` (SPEC.md §4a, .NET `StreamReader.ReadLine`).
//!
//! Input layout as the other codec targets (fuzz/README.md): `cfg0` bit 0 writes `\r\n`,
//! `cfg1` the maximum (`invariants::max_from`), `cfg2` bit 2 unterminated-at-EOF; then the
//! chunk script and the stream.
//!
//! The shared `check_codec` compares step-level spans across chunkings, which this decoder
//! does not keep alike on purpose (a `\r` at the end of a read ends its line at once and the
//! `\n` after it is dropped by the next step), so the checks are spelled out here:
//!
//! * the step contract and conservation at every call (`step_trace`), in one piece, byte by
//!   byte, by the script and all at EOF, with the same frames and errors every time;
//! * `decode_frame` / `decode_frame_eof` and the blocking `FrameReader` give the same events;
//! * with a maximum no line reaches, the frames are exactly those of a model of `ReadLine`;
//! * decoded frames re-encode (both newline styles) and decode back to themselves;
//! * allocation stays within a constant factor of the bytes fed.
use libfuzzer_sys::fuzz_target;
use pipeframe::codec::{DecodeError, DotnetLines, FrameEncoder, Missing};
use pipeframe::sync::FrameReader;
use pipeframe_fuzz::PROBE;
use pipeframe_fuzz::invariants::{
    Event, Input, MEM_FACTOR, MemProbe, check_mem, chunks, decode_measured, decode_trace,
    dotnet_lines_config, flag, max_from, step_trace,
};

fn readline_model(stream: &[u8], unterminated: bool) -> Vec<Event> {
    let mut s = stream.strip_prefix(b"\xef\xbb\xbf").unwrap_or(stream);
    let mut out = Vec::new();
    while !s.is_empty() {
        match s.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                out.push(Event::Frame(s[..i].to_vec()));
                let crlf = s[i] == b'\r' && s.get(i + 1) == Some(&b'\n');
                s = &s[i + 1 + usize::from(crlf)..];
            }
            None if unterminated => {
                out.push(Event::Frame(s.to_vec()));
                s = &[];
            }
            None => {
                out.push(Event::Error(DecodeError::Truncated {
                    buffered: s.len(),
                    missing: Missing::Delimiter,
                }));
                s = &[];
            }
        }
    }
    out
}

fn check(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let stream = input.stream;
    let max = max_from(input.cfg[1]);
    let unterminated = input.cfg[2] & flag::UNTERMINATED != 0;
    let dec = dotnet_lines_config(input.cfg);

    let one = [stream.len()];
    let reference = step_trace(dec.clone(), stream, &one);
    let bytes1 = vec![1; stream.len()];
    let scripted = chunks(input.script, stream.len());
    for (name, c) in [
        ("1-byte", &bytes1[..]),
        ("scripted", &scripted[..]),
        ("at EOF", &[][..]),
    ] {
        let t = step_trace(dec.clone(), stream, c);
        assert_eq!(t.events, reference.events, "step level, {name} chunks");
        assert_eq!(
            t.consumed, reference.consumed,
            "step level, {name}: consumed"
        );
        assert_eq!(t.fatal, reference.fatal, "step level, {name}: fatal");
    }
    for (name, c) in [
        ("one piece", &one[..]),
        ("1-byte", &bytes1[..]),
        ("scripted", &scripted[..]),
    ] {
        let (events, consumed) = decode_trace(dec.clone(), stream, c);
        assert_eq!(events, reference.events, "decode level, {name}");
        assert_eq!(
            consumed, reference.consumed,
            "decode level, {name}: consumed"
        );
    }

    // The blocking reader (the engine's buffering) agrees.
    let mut r = FrameReader::new(stream, dec.clone());
    let mut events = Vec::new();
    loop {
        match r.read_frame() {
            Ok(Some(f)) => events.push(Event::Frame(f.to_vec())),
            Ok(None) => break,
            Err(e) => {
                let inner = *e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<DecodeError>())
                    .expect("a DecodeError inside");
                let fatal = !inner.is_recoverable();
                events.push(Event::Error(inner));
                if fatal {
                    break;
                }
            }
        }
    }
    assert_eq!(events, reference.events, "FrameReader");

    // ReadLine's own rule, when the maximum is out of reach.
    if max >= stream.len() {
        assert_eq!(
            reference.events,
            readline_model(stream, unterminated),
            "differs from the ReadLine model"
        );
    }

    // Frames re-encode and read back (a first frame starting with a BOM would lose it).
    let frames = reference.frames();
    if !frames
        .first()
        .is_some_and(|f| f.starts_with(b"\xef\xbb\xbf"))
    {
        for enc in [DotnetLines::new(), DotnetLines::crlf()] {
            let mut enc = enc.with_max_frame_len(max);
            let mut wire = Vec::new();
            for f in &frames {
                enc.encode_frame(f, &mut wire)
                    .unwrap_or_else(|e| panic!("decoded frame {f:?} does not re-encode: {e}"));
            }
            let back = step_trace(enc.clone(), &wire, &[wire.len()]);
            assert_eq!(
                back.frames(),
                frames,
                "re-encoded frames decode differently"
            );
            assert!(!back.fatal);
        }
    }

    // Bounded memory: the decoder and its buffer, nothing stored. (Keeping the events here
    // broke the bound: an input of `\r` bytes is one empty line, one stored `Event`, a byte.)
    probe.start();
    decode_measured(dec, stream, &scripted, &reference.events);
    check_mem(probe, MEM_FACTOR, stream.len(), 0, "decode");
}

fuzz_target!(|data: &[u8]| check(data, &PROBE));
