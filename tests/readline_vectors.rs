//! `readline` / `readline-crlf` (`codec::DotnetLines`, SPEC.md §4a): the `readline-vectors`
//! block of SPEC.md (the cases the §0 checks of tests/spec_vectors.rs cannot express: a stream
//! cut right after a `\r` or right after the byte order mark, `unterminated`), and the decoder
//! against a model of `StreamReader.ReadLine` on random input fed in random pieces.

use bytes::BytesMut;
use pipeframe::codec::{DecodeError, DotnetLines, FrameDecoder, FrameEncoder, Framing};
use pipeframe::sync::{FrameReader, FrameWriter};

fn spec_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SPEC.md")).unwrap()
}

/// Byte strings as SPEC.md §0 writes them: hex pairs, `XX*N`, `"quoted"` with escapes.
fn parse_bytes(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = s.trim().as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' => i += 1,
            b'"' => {
                i += 1;
                while b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                        out.push(match b[i] {
                            b'r' => b'\r',
                            b'n' => b'\n',
                            b't' => b'\t',
                            b'0' => 0,
                            b'x' => {
                                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                                i += 2;
                                u8::from_str_radix(h, 16).unwrap()
                            }
                            c => c,
                        });
                    } else {
                        out.push(b[i]);
                    }
                    i += 1;
                }
                i += 1;
            }
            _ => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b' ')
                    .map_or(b.len(), |p| i + p);
                let tok = std::str::from_utf8(&b[i..end]).unwrap();
                if let Some((hex, n)) = tok.split_once('*') {
                    let byte = u8::from_str_radix(hex, 16).unwrap();
                    out.extend(std::iter::repeat_n(byte, n.parse().unwrap()));
                } else {
                    for pair in tok.as_bytes().chunks(2) {
                        out.push(
                            u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap(),
                        );
                    }
                }
                i = end;
            }
        }
    }
    out
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect()
}

/// Decodes `input` in pieces of `chunk` bytes, then at EOF; events as SPEC.md writes them.
fn run(dec: &DotnetLines, input: &[u8], chunk: usize) -> Vec<String> {
    let mut dec = dec.clone();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match dec.decode_frame(&mut buf) {
                Ok(Some(f)) => events.push(format!("frame {f:?}")),
                Ok(None) => break,
                Err(e) => {
                    events.push(norm(&format!("error {e:?}")));
                    if !e.is_recoverable() {
                        return events;
                    }
                }
            }
        }
    }
    loop {
        match dec.decode_frame_eof(&mut buf) {
            Ok(Some(f)) => events.push(format!("frame {f:?}")),
            Ok(None) => {
                events.push("end".into());
                return events;
            }
            Err(e) => {
                events.push(norm(&format!("eof-error {e:?}")));
                if !e.is_recoverable() {
                    return events;
                }
            }
        }
    }
}

#[test]
fn readline_vectors_block_of_spec() {
    let spec = spec_text();
    let start = spec
        .find("```readline-vectors")
        .expect("SPEC.md has a readline-vectors block");
    let block = &spec[start..];
    let block = &block[block.find('\n').unwrap()..block[3..].find("```").unwrap() + 3];
    let mut count = 0;
    for line in block.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(" | ").collect();
        let mut head = fields[0].split_whitespace();
        assert_eq!(head.next(), Some("decode"), "{line}");
        let framing: Framing = head.next().unwrap().parse().unwrap();
        let Framing::DotnetLines(mut dec) = framing else {
            panic!("{line}: not a readline framing")
        };
        for opt in head {
            dec = match opt.split_once('=') {
                Some(("max", n)) => dec.with_max_frame_len(n.parse().unwrap()),
                None if opt == "unterminated" => dec.accept_unterminated_at_eof(true),
                _ => panic!("{line}: unknown option {opt}"),
            };
        }
        let input = parse_bytes(fields[1]);
        let want: Vec<String> = fields[2..]
            .iter()
            .map(|f| match f.split_once(' ') {
                Some(("frame", b)) => format!("frame {:?}", bytes::Bytes::from(parse_bytes(b))),
                _ => norm(f),
            })
            .collect();
        for chunk in 1..=input.len().max(1) {
            assert_eq!(run(&dec, &input, chunk), want, "{line} (pieces of {chunk})");
        }
        // And through the blocking reader.
        let mut r = FrameReader::new(&input[..], dec.clone());
        let mut got = Vec::new();
        loop {
            match r.read_frame() {
                Ok(Some(f)) => got.push(format!("frame {f:?}")),
                Ok(None) => {
                    got.push("end".into());
                    break;
                }
                Err(e) => {
                    let inner = e.get_ref().unwrap().downcast_ref::<DecodeError>().unwrap();
                    let word = if want.last().unwrap().starts_with("eof-error") {
                        "eof-error"
                    } else {
                        "error"
                    };
                    got.push(norm(&format!("{word} {inner:?}")));
                    if !inner.is_recoverable() {
                        break;
                    }
                }
            }
        }
        // The reader cannot tell an error at EOF from another: compare the words loosely.
        let loose = |v: &[String]| -> Vec<String> {
            v.iter().map(|s| s.replace("eof-error", "error")).collect()
        };
        assert_eq!(loose(&got), loose(&want), "{line} (FrameReader)");
        count += 1;
    }
    assert!(
        count >= 10,
        "the readline-vectors block holds {count} vectors"
    );
}

/// `StreamReader.ReadLine` as documented, on a whole stream: the BOM dropped once at the
/// start, then lines ended by `\n`, `\r\n` or `\r`; the unterminated rest is the last line.
fn readline_model(input: &[u8]) -> Vec<Vec<u8>> {
    let mut s = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    let mut lines = Vec::new();
    while !s.is_empty() {
        match s.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                lines.push(s[..i].to_vec());
                let crlf = s[i] == b'\r' && s.get(i + 1) == Some(&b'\n');
                s = &s[i + 1 + usize::from(crlf)..];
            }
            None => {
                lines.push(s.to_vec());
                s = &[];
            }
        }
    }
    lines
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn readline_decoder_agrees_with_the_readline_model_in_any_pieces() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let alphabet = [b'a', b'b', b'\r', b'\n', 0xef, 0xbb, 0xbf];
    for round in 0..3000 {
        let len = rng.below(40) as usize;
        let mut input: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        if round % 3 == 0 {
            input.splice(0..0, *b"\xef\xbb\xbf");
        }
        let want = readline_model(&input);
        let dec = DotnetLines::new().accept_unterminated_at_eof(true);
        let chunk = 1 + rng.below(8) as usize;
        let got = run(&dec, &input, chunk);
        let mut expect: Vec<String> = want
            .iter()
            .map(|l| format!("frame {:?}", bytes::Bytes::from(l.clone())))
            .collect();
        expect.push("end".into());
        assert_eq!(got, expect, "input {input:02x?} in pieces of {chunk}");

        // Without `unterminated`: the same lines while the stream ends with a line ending.
        if matches!(input.last(), Some(b'\n' | b'\r')) {
            let strict = run(&DotnetLines::new(), &input, chunk);
            assert_eq!(strict, expect, "input {input:02x?} (strict)");
        }
    }
}

#[test]
fn readline_encoder_output_reads_back_and_refuses_line_breaks() {
    for (codec, nl) in [
        (DotnetLines::new(), &b"\n"[..]),
        (DotnetLines::crlf(), &b"\r\n"[..]),
    ] {
        let lines: [&[u8]; 4] = [b"first", b"", "h\u{e9}llo".as_bytes(), b"last"];
        let mut w = FrameWriter::new(Vec::new(), codec.clone());
        for l in lines {
            w.write_frame(l).unwrap();
        }
        let wire = w.finish().unwrap();
        let mut want = Vec::new();
        for l in lines {
            want.extend_from_slice(l);
            want.extend_from_slice(nl);
        }
        assert_eq!(wire, want);
        assert_eq!(readline_model(&wire), lines.map(<[u8]>::to_vec));
        let back: Vec<_> = FrameReader::new(&wire[..], codec.clone())
            .map(|f| f.unwrap().to_vec())
            .collect();
        assert_eq!(back, lines.map(<[u8]>::to_vec));
        let mut c = codec.clone();
        assert!(c.encode_parts(b"a\rb").is_err());
        assert!(c.encode_parts(b"a\nb").is_err());
    }
    let platform = DotnetLines::platform();
    assert_eq!(platform.writes_crlf(), cfg!(windows));
}
