//! Errors stay typed end to end: after a first fatal decode error, every later read fails with
//! an `io::Error` whose inner error is a `StreamFailed` holding the same `DecodeError` (same
//! variant, same fields), in the blocking, tokio and futures-io readers; a poisoned writer
//! answers with `WriteError::Poisoned` (kind `Other`) naming the first error's kind.

use std::io::{self, ErrorKind};
#[cfg(any(feature = "tokio", feature = "futures-io"))]
use std::pin::Pin;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
use std::task::{Context, Poll};

use pipeframe::codec::{
    ContentLength, DecodeError, Delimited, FrameDecoder, HeaderValue, LengthPrefixed, Missing,
    StreamFailed, WriteError,
};

/// One input that ends in a fatal decode error: a name, the input, a decoder maker, and the
/// error expected.
type Case = (
    &'static str,
    Vec<u8>,
    Box<dyn Fn() -> Box<dyn Dec>>,
    DecodeError,
);

fn fatal_cases() -> Vec<Case> {
    vec![
        (
            "oversize prefix",
            b"\x03\0\0\0abc\xff\xff\xff\x7f".to_vec(),
            Box::new(|| Box::new(LengthPrefixed::u32_le()) as Box<dyn Dec>),
            DecodeError::FrameTooLong {
                declared: 0x7fff_ffff,
                max: 8 * 1024 * 1024,
            },
        ),
        (
            "end inside a frame",
            b"\x05\0\0\0ab".to_vec(),
            Box::new(|| Box::new(LengthPrefixed::u32_le()) as Box<dyn Dec>),
            DecodeError::Truncated {
                buffered: 6,
                missing: Missing::Exactly(3),
            },
        ),
        (
            "bad Content-Length",
            b"Content-Length: 1 2\r\n\r\n".to_vec(),
            Box::new(|| Box::new(ContentLength::new()) as Box<dyn Dec>),
            DecodeError::InvalidContentLength {
                value: HeaderValue::new(b"1 2"),
            },
        ),
    ]
}

/// A decoder behind a box, so the cases can mix codecs.
trait Dec: FrameDecoder + Send + Unpin {}
impl<T: FrameDecoder + Send + Unpin> Dec for T {}

struct Boxed(Box<dyn Dec>);

impl FrameDecoder for Boxed {
    fn step(&mut self, buf: &[u8]) -> Result<pipeframe::codec::Step, DecodeError> {
        self.0.step(buf)
    }
    fn step_eof(&mut self, buf: &[u8]) -> Result<pipeframe::codec::Step, DecodeError> {
        self.0.step_eof(buf)
    }
    fn reset(&mut self) {
        self.0.reset()
    }
}

/// The first error is the `DecodeError` itself; the second and third are `StreamFailed`
/// holding it, with the same kind, and `DecodeError::from_io` sees through both.
fn check_sticky(name: &str, want: DecodeError, first: io::Error, later: [io::Error; 2]) {
    let got = *first
        .get_ref()
        .and_then(|e| e.downcast_ref::<DecodeError>())
        .unwrap_or_else(|| panic!("{name}: first error is not a DecodeError: {first:?}"));
    assert_eq!(got, want, "{name}");
    assert_eq!(first.kind(), want.kind(), "{name}");
    assert_eq!(DecodeError::from_io(&first), Some(want), "{name}");
    for again in later {
        assert_eq!(again.kind(), first.kind(), "{name}");
        let failed = again
            .get_ref()
            .and_then(|e| e.downcast_ref::<StreamFailed>())
            .unwrap_or_else(|| panic!("{name}: later error is not a StreamFailed: {again:?}"));
        assert_eq!(failed.error(), want, "{name}: same variant, same fields");
        assert_eq!(
            std::mem::discriminant(&failed.error()),
            std::mem::discriminant(&want),
            "{name}"
        );
        assert_eq!(DecodeError::from_io(&again), Some(want), "{name}");
        assert_eq!(
            again.to_string(),
            format!("stream unusable after an earlier error: {first}"),
            "{name}"
        );
        let source = std::error::Error::source(failed).expect("a source");
        assert_eq!(source.downcast_ref::<DecodeError>(), Some(&want), "{name}");
    }
}

#[test]
fn blocking_reader_keeps_the_decode_error() {
    use pipeframe::sync::FrameReader;

    for (name, input, dec, want) in fatal_cases() {
        let mut r = FrameReader::new(&input[..], Boxed(dec()));
        let first = loop {
            match r.read_frame() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{name}: clean end, no error"),
                Err(e) => break e,
            }
        };
        let second = r.read_frame().unwrap_err();
        let third = r.read_frame_ref().unwrap_err();
        check_sticky(name, want, first, [second, third]);
        assert!(
            r.next().is_none(),
            "{name}: the iterator ends after a fatal error"
        );
    }
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_reader_keeps_the_decode_error() {
    use pipeframe::tokio::AsyncFrameReader;

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (name, input, dec, want) in fatal_cases() {
        rt.block_on(async {
            let mut r = AsyncFrameReader::new(&input[..], Boxed(dec()));
            let first = loop {
                match r.read_frame().await {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("{name}: clean end, no error"),
                    Err(e) => break e,
                }
            };
            let second = r.read_frame().await.unwrap_err();
            let third = r.read_frame_ref().await.unwrap_err();
            check_sticky(name, want, first, [second, third]);
        });
    }
}

#[cfg(feature = "futures-io")]
#[test]
fn futures_io_reader_keeps_the_decode_error() {
    use pipeframe::futures_io::AsyncFrameReader;

    for (name, input, dec, want) in fatal_cases() {
        futures_lite::future::block_on(async {
            let mut r = AsyncFrameReader::new(&input[..], Boxed(dec()));
            let first = loop {
                match r.read_frame().await {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("{name}: clean end, no error"),
                    Err(e) => break e,
                }
            };
            let second = r.read_frame().await.unwrap_err();
            let third = r.read_frame_ref().await.unwrap_err();
            check_sticky(name, want, first, [second, third]);
        });
    }
}

#[test]
fn recoverable_errors_do_not_stick() {
    use pipeframe::sync::FrameReader;

    let input = b"toolong\nok\n";
    let mut r = FrameReader::new(&input[..], Delimited::lines().with_max_frame_len(3));
    let e = r.read_frame().unwrap_err();
    assert!(matches!(
        DecodeError::from_io(&e),
        Some(DecodeError::DelimitedTooLong { max: 3, .. })
    ));
    assert!(
        e.get_ref().unwrap().is::<DecodeError>(),
        "not a StreamFailed"
    );
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b"ok"[..]));
}

#[test]
fn io_errors_are_not_decode_errors() {
    let e = io::Error::from(ErrorKind::BrokenPipe);
    assert_eq!(DecodeError::from_io(&e), None);
    let e = io::Error::other("text");
    assert_eq!(DecodeError::from_io(&e), None);
}

// ---------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------

/// The poisoned answer: `Other`, a `WriteError::Poisoned` naming the first error's kind.
fn check_poisoned(e: &io::Error, cause: ErrorKind) {
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<WriteError>())
        .unwrap_or_else(|| panic!("not a WriteError: {e:?}"));
    assert_eq!(*inner, WriteError::Poisoned { cause });
    assert!(e.to_string().contains("unusable"), "{e}");
}

/// A writer that fails every call with `kind`.
struct Failing(ErrorKind);

impl io::Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(self.0.into())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for Failing {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(self.0.into()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "futures-io")]
impl futures_lite::AsyncWrite for Failing {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(self.0.into()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn blocking_writer_poisoned_error_is_typed() {
    use pipeframe::sync::FrameWriter;

    let mut w = FrameWriter::new(Failing(ErrorKind::BrokenPipe), LengthPrefixed::u32_le());
    w.write_frame(b"queued").unwrap();
    let first = w.flush().unwrap_err();
    assert_eq!(
        first.kind(),
        ErrorKind::BrokenPipe,
        "the first error as it came"
    );
    check_poisoned(&w.write_frame(b"later").unwrap_err(), ErrorKind::BrokenPipe);
    check_poisoned(
        &w.write_frame(&[0; 10_000]).unwrap_err(),
        ErrorKind::BrokenPipe,
    );
    check_poisoned(&w.flush().unwrap_err(), ErrorKind::BrokenPipe);

    // A large frame: poisoned inside write_frame.
    let mut w = FrameWriter::new(Failing(ErrorKind::StorageFull), LengthPrefixed::u32_le());
    assert_eq!(
        w.write_frame(&[1; 10_000]).unwrap_err().kind(),
        ErrorKind::StorageFull
    );
    check_poisoned(&w.write_frame(b"x").unwrap_err(), ErrorKind::StorageFull);
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_writer_poisoned_error_is_typed() {
    use pipeframe::tokio::AsyncFrameWriter;

    futures_lite::future::block_on(async {
        let mut w = AsyncFrameWriter::new(Failing(ErrorKind::BrokenPipe), LengthPrefixed::u32_le());
        w.write_frame(b"queued").await.unwrap();
        let first = w.flush().await.unwrap_err();
        assert_eq!(first.kind(), ErrorKind::BrokenPipe);
        check_poisoned(
            &w.write_frame(b"later").await.unwrap_err(),
            ErrorKind::BrokenPipe,
        );
        check_poisoned(&w.flush().await.unwrap_err(), ErrorKind::BrokenPipe);
    });
}

#[cfg(feature = "futures-io")]
#[test]
fn futures_io_writer_poisoned_error_is_typed() {
    use pipeframe::futures_io::AsyncFrameWriter;

    futures_lite::future::block_on(async {
        let mut w = AsyncFrameWriter::new(Failing(ErrorKind::BrokenPipe), LengthPrefixed::u32_le());
        w.write_frame(b"queued").await.unwrap();
        let first = w.flush().await.unwrap_err();
        assert_eq!(first.kind(), ErrorKind::BrokenPipe);
        check_poisoned(
            &w.write_frame(b"later").await.unwrap_err(),
            ErrorKind::BrokenPipe,
        );
        check_poisoned(&w.flush().await.unwrap_err(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn encode_errors_are_typed_and_do_not_poison() {
    use pipeframe::codec::EncodeError;
    use pipeframe::sync::FrameWriter;

    let mut w = FrameWriter::new(Vec::new(), LengthPrefixed::u8());
    let e = w.write_frame(&[0; 300]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        e.get_ref().and_then(|i| i.downcast_ref::<EncodeError>()),
        Some(&EncodeError::FrameTooLong { len: 300, max: 255 })
    );
    w.write_frame(b"fine").unwrap();
    assert_eq!(w.finish().unwrap(), b"\x04fine");
}

/// The encode error inside `e`, if any.
#[cfg(target_os = "linux")]
fn encode_error(e: &io::Error) -> Option<pipeframe::codec::EncodeError> {
    e.get_ref()?
        .downcast_ref::<pipeframe::codec::EncodeError>()
        .copied()
}

/// Native message mode reports its limits as typed values, read from a real transport: an
/// oversize message received is `DecodeError::MessageTooLong` (recoverable: the next message
/// is read), one sent is `EncodeError::FrameTooLong`, a packet over `PIPE_BUF` is
/// `EncodeError::TransportLimit`; blocking, tokio and smol alike.
#[cfg(target_os = "linux")]
#[test]
fn message_mode_limits_are_typed_in_every_flavour() {
    use pipeframe::codec::EncodeError;
    use pipeframe::message::{SeqpacketStream, packet_pipe};

    let (mut a, mut b) = SeqpacketStream::pair().unwrap();
    a.set_max_frame_len(2000).unwrap();
    b.set_max_frame_len(1000).unwrap();
    a.write_frame(&[1; 1500]).unwrap();
    a.write_frame(b"next").unwrap();
    let e = b.read_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    let got = DecodeError::from_io(&e);
    assert_eq!(
        got,
        Some(DecodeError::MessageTooLong {
            len: 1500,
            max: 1000
        }),
        "{e}"
    );
    assert!(got.unwrap().is_recoverable());
    assert_eq!(b.read_frame().unwrap().as_deref(), Some(&b"next"[..]));
    let e = b.write_frame(&[1; 1001]).unwrap_err();
    assert_eq!(
        encode_error(&e),
        Some(EncodeError::FrameTooLong {
            len: 1001,
            max: 1000
        }),
        "{e}"
    );
    let (_r, w) = packet_pipe().unwrap();
    let e = w.write_frame(&[0; 4097]).unwrap_err();
    assert_eq!(
        encode_error(&e),
        Some(EncodeError::TransportLimit {
            len: 4097,
            max: 4096
        }),
        "{e}"
    );

    #[cfg(feature = "tokio")]
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let (a, b) = pipeframe::message::tokio::SeqpacketStream::pair().unwrap();
            let mut b = b.try_with_max_frame_len(100).unwrap();
            a.write_frame(&[2; 300]).await.unwrap();
            let e = b.read_frame().await.unwrap_err();
            assert_eq!(
                DecodeError::from_io(&e),
                Some(DecodeError::MessageTooLong { len: 300, max: 100 })
            );
        });
    #[cfg(feature = "futures-io")]
    futures_lite::future::block_on(async {
        let (a, b) = pipeframe::message::futures_io::SeqpacketStream::pair().unwrap();
        let mut b = b.try_with_max_frame_len(100).unwrap();
        a.write_frame(&[2; 300]).await.unwrap();
        let e = b.read_frame().await.unwrap_err();
        assert_eq!(
            DecodeError::from_io(&e),
            Some(DecodeError::MessageTooLong { len: 300, max: 100 })
        );
    });
}
