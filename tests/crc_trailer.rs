//! Room for a codec's own trailer and errors: a CRC32 trailer (4 bytes) through
//! `Parts`, a checksum mismatch as the codec's own recoverable `DecodeError::Custom`, and an
//! oversize header or trailer as an `EncodeError`, never a panic.

use std::io::ErrorKind;

use pipeframe::codec::{DecodeError, EncodeError, FrameDecoder, FrameEncoder, Parts, Step};
use pipeframe::sync::{FrameReader, FrameWriter};

/// CRC-32 (IEEE, reflected, as zlib's `crc32`), bitwise.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

const BAD_CRC: u32 = 7;

/// `u16` big-endian length, payload, CRC32 of the payload (big-endian). A frame with a wrong
/// checksum is reported once (recoverable) and skipped on the next call.
#[derive(Debug, Default)]
struct Crc {
    skip: usize,
}

impl FrameDecoder for Crc {
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        if self.skip > 0 {
            let n = std::mem::take(&mut self.skip);
            return Ok(Step::skip(n));
        }
        let [hi, lo, ..] = *buf else {
            return Ok(Step::NEED_MORE);
        };
        let len = u16::from_be_bytes([hi, lo]) as usize;
        let total = 2 + len + 4;
        if buf.len() < total {
            return Ok(Step::NEED_MORE);
        }
        let payload = &buf[2..2 + len];
        let sent = u32::from_be_bytes(buf[2 + len..total].try_into().unwrap());
        if sent != crc32(payload) {
            self.skip = total; // get past the bad frame on the next call
            return Err(DecodeError::Custom {
                code: BAD_CRC,
                msg: "CRC32 mismatch",
                recoverable: true,
            });
        }
        Ok(Step::frame(total, 2..2 + len))
    }
    fn reset(&mut self) {
        self.skip = 0;
    }
}

impl FrameEncoder for Crc {
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        let len = u16::try_from(payload.len()).map_err(|_| EncodeError::Custom {
            code: 1,
            msg: "frames carry at most 65535 bytes",
        })?;
        Parts::new(&len.to_be_bytes(), &crc32(payload).to_be_bytes())
    }
}

#[test]
fn crc32_is_zlibs() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn crc32_trailer_round_trip() {
    let mut wire = Vec::new();
    let mut w = FrameWriter::new(&mut wire, Crc::default());
    for f in [&b"hello"[..], b"", &[0xAB; 300][..]] {
        w.write_frame(f).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    assert_eq!(&wire[..11], b"\x00\x05hello\x36\x10\xa6\x86");

    let mut r = FrameReader::new(&wire[..], Crc::default());
    assert_eq!(r.read_frame().unwrap().unwrap(), &b"hello"[..]);
    assert_eq!(r.read_frame().unwrap().unwrap(), &b""[..]);
    assert_eq!(r.read_frame().unwrap().unwrap(), &[0xAB; 300][..]);
    assert_eq!(r.read_frame().unwrap(), None);
}

#[test]
fn codec_error_is_reported_and_recoverable() {
    let mut wire = Vec::new();
    let mut c = Crc::default();
    c.encode_frame(b"one", &mut wire).unwrap();
    c.encode_frame(b"two", &mut wire).unwrap();
    c.encode_frame(b"six", &mut wire).unwrap();
    wire[11] ^= 1; // the second frame's first payload byte

    let mut r = FrameReader::new(&wire[..], Crc::default());
    assert_eq!(r.read_frame().unwrap().unwrap(), &b"one"[..]);
    let e = r.read_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    let de = DecodeError::from_io(&e).unwrap();
    assert!(
        matches!(de, DecodeError::Custom { code: BAD_CRC, .. }),
        "{de:?}"
    );
    assert!(de.is_recoverable());
    assert_eq!(e.to_string(), "CRC32 mismatch (codec error 7)");
    assert_eq!(
        r.read_frame().unwrap().unwrap(),
        &b"six"[..],
        "the reader goes on"
    );
    assert_eq!(r.read_frame().unwrap(), None);

    let fatal = DecodeError::Custom {
        code: 2,
        msg: "unknown",
        recoverable: false,
    };
    assert!(!fatal.is_recoverable());
}

#[test]
fn oversize_parts_are_an_error_not_a_panic() {
    assert!(Parts::new(&[1; 60], &[2; 4]).is_ok());
    let p = Parts::new(&[1; 40], &[2; 24]).unwrap();
    assert_eq!((p.header(), p.trailer()), (&[1; 40][..], &[2; 24][..]));
    assert_eq!(p.overhead(), 64);
    assert_eq!(
        Parts::new(&[1; 61], &[2; 4]).unwrap_err(),
        EncodeError::PartsTooLong {
            header: 61,
            trailer: 4,
            max: Parts::MAX_LEN
        }
    );
    assert!(Parts::new(&[0; 1000], &[]).is_err());

    // Through a writer: the refusal is an InvalidInput error, and nothing is written.
    struct Huge;
    impl FrameEncoder for Huge {
        fn encode_parts(&mut self, _: &[u8]) -> Result<Parts, EncodeError> {
            Parts::new(&[0; 100], &[])
        }
    }
    let mut out = Vec::new();
    let mut w = FrameWriter::new(&mut out, Huge);
    let e = w.write_frame(b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    w.flush().unwrap();
    drop(w);
    assert!(out.is_empty());

    let e = EncodeError::Custom {
        code: 1,
        msg: "nope",
    };
    assert_eq!(e.to_string(), "nope (codec error 1)");
}
