//! A user-defined codec in tokio-util's `Framed`, `FramedRead` and `FramedWrite` through
//! `pipeframe::tokio::Codec`: frames both ways, refused payloads, the end of the stream.
#![cfg(feature = "tokio")]

use std::future::poll_fn;
use std::io::{self, ErrorKind};
use std::pin::Pin;

use bytes::Bytes;
use futures_lite::StreamExt;
use futures_sink::Sink;
use pipeframe::codec::{
    DecodeError, EncodeError, FrameDecoder, FrameEncoder, LengthPrefixed, Missing, Parts, Step,
};
use pipeframe::tokio::Codec;
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{Framed, FramedRead, FramedWrite};

/// The user's codec: a 1-byte length, then that many bytes. It counts its frames, to show
/// that `Framed` drives this very value.
#[derive(Debug, Default)]
struct Tiny {
    decoded: usize,
}

impl FrameDecoder for Tiny {
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        match buf.first() {
            Some(&n) if buf.len() > n as usize => {
                self.decoded += 1;
                Ok(Step::frame(1 + n as usize, 1..1 + n as usize))
            }
            _ => Ok(Step::NEED_MORE),
        }
    }

    fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        let step = self.step(buf)?;
        match buf.first() {
            Some(&n) if step == Step::NEED_MORE => Err(DecodeError::Truncated {
                buffered: buf.len(),
                missing: Missing::Exactly((1 + n as usize - buf.len()) as u64),
            }),
            _ => Ok(step),
        }
    }

    fn reset(&mut self) {}
}

impl FrameEncoder for Tiny {
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        let len = payload.len();
        let n = u8::try_from(len).map_err(|_| EncodeError::FrameTooLong { len, max: 255 })?;
        Parts::new(&[n], &[])
    }
}

async fn send<S, I>(s: &mut S, item: I) -> io::Result<()>
where
    S: Sink<I, Error = io::Error> + Unpin,
{
    poll_fn(|cx| Pin::new(&mut *s).poll_ready(cx)).await?;
    Pin::new(&mut *s).start_send(item)?;
    poll_fn(|cx| Pin::new(&mut *s).poll_flush(cx)).await
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn user_codec_in_framed_both_ways() {
    rt().block_on(async {
        let (a, b) = tokio::io::duplex(16);
        let mut a = Framed::new(a, Codec::new(Tiny::default()));
        let mut b = Framed::new(b, Codec::new(Tiny::default()));

        let big = vec![0xabu8; 255];
        let writer = async {
            send(&mut a, Bytes::from_static(b"hello")).await?;
            send(&mut a, &b""[..]).await?;
            send(&mut a, big.clone()).await?;
            io::Result::Ok(a)
        };
        let reader = async {
            let mut got = Vec::new();
            for _ in 0..3 {
                got.push(b.next().await.expect("a frame")?);
            }
            io::Result::Ok((b, got))
        };
        let (a, read) = futures_lite::future::zip(writer, reader).await;
        let mut a = a.unwrap();
        let (mut b, got) = read.unwrap();
        assert_eq!(got, [&b"hello"[..], &b""[..], &big[..]]);
        assert_eq!(
            b.codec().get_ref().decoded,
            3,
            "the user's codec decoded them"
        );

        // The other way.
        send(&mut b, Bytes::from_static(b"back")).await.unwrap();
        assert_eq!(a.next().await.unwrap().unwrap(), &b"back"[..]);

        // A payload the codec refuses: the codec's own EncodeError, nothing written.
        let e = send(&mut a, vec![0u8; 256]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            e.get_ref().and_then(|i| i.downcast_ref::<EncodeError>()),
            Some(&EncodeError::FrameTooLong { len: 256, max: 255 })
        );
        send(&mut a, Bytes::from_static(b"still fine"))
            .await
            .unwrap();
        assert_eq!(b.next().await.unwrap().unwrap(), &b"still fine"[..]);

        // A clean end is None.
        drop(a);
        assert!(b.next().await.is_none());
    });
}

#[test]
fn user_codec_end_inside_a_frame_is_truncated() {
    rt().block_on(async {
        let (mut tx, rx) = tokio::io::duplex(64);
        let mut r = FramedRead::new(rx, Codec::new(Tiny::default()));
        tx.write_all(b"\x02ok\x05abc").await.unwrap();
        drop(tx);
        assert_eq!(r.next().await.unwrap().unwrap(), &b"ok"[..]);
        let e = r.next().await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(
            DecodeError::from_io(&e),
            Some(DecodeError::Truncated {
                buffered: 4,
                missing: Missing::Exactly(2),
            })
        );
    });
}

#[test]
fn built_in_codec_through_the_adapter_matches_its_own_impl() {
    rt().block_on(async {
        let frames: Vec<Bytes> = [&b"a"[..], b"", &[7u8; 5000][..]]
            .iter()
            .map(|f| Bytes::copy_from_slice(f))
            .collect();
        let mut wire = [Vec::new(), Vec::new()];
        for (i, out) in wire.iter_mut().enumerate() {
            if i == 0 {
                let mut w = FramedWrite::new(out, Codec::new(LengthPrefixed::varint()));
                for f in &frames {
                    send(&mut w, f.clone()).await.unwrap();
                }
            } else {
                let mut w = FramedWrite::new(out, LengthPrefixed::varint());
                for f in &frames {
                    send(&mut w, f.clone()).await.unwrap();
                }
            }
        }
        assert_eq!(wire[0], wire[1]);
        let got: Vec<Bytes> = FramedRead::new(&wire[0][..], Codec::from(LengthPrefixed::varint()))
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(got, frames);
    });
}
