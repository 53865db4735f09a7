//! A buggy decoder cannot corrupt the stream: every reader checks each `Step`
//! before applying it, and a step that breaks the contract is a fatal `DecodeError::BadStep`,
//! in every flavour, never a read outside the buffer or a panic (debug or release).

use std::io::{self, ErrorKind};
use std::ops::Range;

use bytes::BytesMut;
use pipeframe::codec::Step;
use pipeframe::codec::{DecodeError, FrameDecoder, StreamFailed};
use pipeframe::sync::FrameReader;

/// Returns one fixed step as soon as any byte is buffered.
#[derive(Debug, Clone)]
struct Broken {
    consumed: usize,
    /// `None`: a skip step.
    payload: Option<Range<usize>>,
}

impl FrameDecoder for Broken {
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        if buf.is_empty() {
            return Ok(Step::NEED_MORE);
        }
        Ok(match &self.payload {
            Some(r) => Step::frame(self.consumed, r.clone()),
            None => Step::skip(self.consumed),
        })
    }
    fn reset(&mut self) {}
}

const WIRE: &[u8] = b"abcdef";

/// Each mistake, and the `BadStep` it must produce over `WIRE` (6 bytes, read at once).
fn cases() -> Vec<(Broken, DecodeError)> {
    let (two, one) = (2usize, 1usize);
    vec![
        // Consumes more than it was given (a skip).
        (
            Broken {
                consumed: 10,
                payload: None,
            },
            DecodeError::BadStep {
                consumed: 10,
                payload: None,
                len: 6,
            },
        ),
        // Consumes more than it was given (a frame).
        (
            Broken {
                consumed: 7,
                payload: Some(0..7),
            },
            DecodeError::BadStep {
                consumed: 7,
                payload: Some((0, 7)),
                len: 6,
            },
        ),
        // The payload ends past the consumed bytes.
        (
            Broken {
                consumed: 1,
                payload: Some(0..5),
            },
            DecodeError::BadStep {
                consumed: 1,
                payload: Some((0, 5)),
                len: 6,
            },
        ),
        // The payload range is inverted.
        (
            Broken {
                consumed: 3,
                payload: Some(two..one),
            },
            DecodeError::BadStep {
                consumed: 3,
                payload: Some((2, 1)),
                len: 6,
            },
        ),
        // A frame that consumes nothing would be returned forever.
        (
            Broken {
                consumed: 0,
                payload: Some(0..0),
            },
            DecodeError::BadStep {
                consumed: 0,
                payload: Some((0, 0)),
                len: 6,
            },
        ),
    ]
}

/// The first error is the `BadStep`, `InvalidData`; the next says the stream failed.
fn check_first(e: &io::Error, want: DecodeError) {
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    let got = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<DecodeError>())
        .copied();
    assert_eq!(got, Some(want), "{e}");
    assert!(!want.is_recoverable());
    assert!(e.to_string().contains("decoder bug"), "{e}");
}

fn check_again(e: &io::Error, want: DecodeError) {
    let failed = e.get_ref().and_then(|i| i.downcast_ref::<StreamFailed>());
    assert_eq!(failed.map(StreamFailed::error), Some(want), "{e}");
}

#[test]
fn blocking_reader_refuses_bad_steps() {
    for (dec, want) in cases() {
        let mut r = FrameReader::new(WIRE, dec.clone());
        check_first(&r.read_frame().unwrap_err(), want);
        check_again(&r.read_frame().unwrap_err(), want);
        let mut r = FrameReader::new(WIRE, dec);
        check_first(&r.read_frame_ref().unwrap_err(), want);
        check_again(&r.read_frame_ref().unwrap_err(), want);
    }
}

#[test]
fn blocking_reader_refuses_bad_steps_at_eof() {
    // The same mistakes from `step_eof` (the default calls `step`): one byte at a time, the
    // decoder sees a shorter buffer, so the step is checked against what it was given.
    struct OneByte(&'static [u8]);
    impl io::Read for OneByte {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut r = FrameReader::new(
        OneByte(b"x"),
        Broken {
            consumed: 2,
            payload: Some(0..2),
        },
    );
    let want = DecodeError::BadStep {
        consumed: 2,
        payload: Some((0, 2)),
        len: 1,
    };
    check_first(&r.read_frame().unwrap_err(), want);
}

#[test]
fn decode_frame_refuses_bad_steps() {
    for (mut dec, want) in cases() {
        let mut buf = BytesMut::from(WIRE);
        assert_eq!(dec.decode_frame(&mut buf), Err(want));
        assert_eq!(&buf[..], WIRE, "a refused step consumes nothing");
        assert_eq!(dec.decode_frame_eof(&mut buf), Err(want));
    }
}

#[test]
fn good_steps_still_pass() {
    // The edges of the contract are allowed: a payload ending at `consumed`, an empty payload,
    // consuming the whole buffer, skipping.
    for dec in [
        Broken {
            consumed: 6,
            payload: Some(0..6),
        },
        Broken {
            consumed: 6,
            payload: Some(6..6),
        },
        Broken {
            consumed: 1,
            payload: Some(1..1),
        },
    ] {
        let mut r = FrameReader::new(WIRE, dec.clone());
        let frame = r.read_frame().unwrap().unwrap();
        let r2 = dec.payload.clone().unwrap();
        assert_eq!(frame, WIRE[r2]);
    }
    let mut r = FrameReader::new(
        WIRE,
        Broken {
            consumed: 1,
            payload: None,
        },
    );
    assert_eq!(
        r.read_frame().unwrap(),
        None,
        "skipping every byte is a clean end"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_readers_refuse_bad_steps() {
    use futures_lite::StreamExt;
    use tokio_util::codec::FramedRead;
    futures_lite::future::block_on(async {
        for (dec, want) in cases() {
            let mut r = pipeframe::tokio::AsyncFrameReader::new(WIRE, dec.clone());
            check_first(&r.read_frame().await.unwrap_err(), want);
            check_again(&r.read_frame().await.unwrap_err(), want);
            let mut r = pipeframe::tokio::AsyncFrameReader::new(WIRE, dec.clone());
            check_first(&r.read_frame_ref().await.unwrap_err(), want);

            // tokio-util's own buffering, through the generic adapter.
            let mut f = FramedRead::new(WIRE, pipeframe::tokio::Codec::new(dec));
            let e = f.next().await.unwrap().unwrap_err();
            check_first(&e, want);
        }
    });
}

#[cfg(feature = "futures-io")]
#[test]
fn futures_io_reader_refuses_bad_steps() {
    futures_lite::future::block_on(async {
        for (dec, want) in cases() {
            let io = futures_lite::io::Cursor::new(WIRE);
            let mut r = pipeframe::futures_io::AsyncFrameReader::new(io, dec);
            check_first(&r.read_frame().await.unwrap_err(), want);
            check_again(&r.read_frame().await.unwrap_err(), want);
        }
    });
}
