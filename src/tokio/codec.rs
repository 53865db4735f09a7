use std::io;

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::codec::{
    ContentLength, Delimited, DotnetLines, FrameDecoder, FrameEncoder, Framing, LengthPrefixed,
    Netstring, check_utf8,
};

/// Appends one frame to `dst`, reserving its whole size once.
fn put_frame<E: FrameEncoder>(codec: &mut E, payload: &[u8], dst: &mut BytesMut) -> io::Result<()> {
    let parts = codec.encode_parts(payload)?;
    dst.reserve(parts.overhead() + payload.len());
    dst.put_slice(parts.header());
    dst.put_slice(payload);
    dst.put_slice(parts.trailer());
    Ok(())
}

/// `get_ref`, `get_mut` and `into_inner` of a wrapper whose one field `inner: C` is `what`.
macro_rules! inner_accessors {
    ($what:literal) => {
        #[doc = concat!("The ", $what, ".")]
        pub fn get_ref(&self) -> &C {
            &self.inner
        }

        #[doc = concat!("The ", $what, ", to change its configuration between frames.")]
        pub fn get_mut(&mut self) -> &mut C {
            &mut self.inner
        }

        #[doc = concat!("The ", $what, ".")]
        pub fn into_inner(self) -> C {
            self.inner
        }
    };
}

/// Any [`FrameDecoder`]/[`FrameEncoder`] as a tokio-util [`Decoder`] and [`Encoder`], so a
/// codec of your own works in `FramedRead`, `FramedWrite` and `Framed`.
///
/// The built-in codecs implement `Decoder`/`Encoder` themselves; `Codec` gives the same
/// behaviour to any codec: frames are [`Bytes`] split off tokio-util's read buffer without a
/// copy, `decode_eof` follows SPEC.md (a clean end is `None`, an end inside a frame is the
/// codec's [`DecodeError::Truncated`](crate::codec::DecodeError::Truncated), an
/// [`io::ErrorKind::UnexpectedEof`]), and errors are `io::Error`s whose inner error is the
/// codec's [`DecodeError`](crate::codec::DecodeError) or
/// [`EncodeError`](crate::codec::EncodeError). Items to encode: [`Bytes`], `&[u8]`, `Vec<u8>`.
///
/// `Framed` does its own buffering (tokio-util's), not pipeframe's engine: for borrowed
/// frames and vectored writes of large payloads use [`AsyncFrameReader`](super::AsyncFrameReader)
/// and [`AsyncFrameWriter`](super::AsyncFrameWriter), which take any codec too.
///
/// ```
/// use bytes::Bytes;
/// use futures_lite::StreamExt;
/// use pipeframe::codec::{DecodeError, EncodeError, FrameDecoder, FrameEncoder, Missing, Parts, Step};
/// use pipeframe::tokio::Codec;
/// use tokio_util::codec::Framed;
/// # use futures_sink::Sink;
/// # /// `futures::SinkExt::send`, written out (this crate's tests do not depend on `futures`).
/// # async fn send<S: Sink<Bytes, Error = std::io::Error> + Unpin>(s: &mut S, frame: Bytes) -> std::io::Result<()> {
/// #     use std::{future::poll_fn, pin::Pin};
/// #     poll_fn(|cx| Pin::new(&mut *s).poll_ready(cx)).await?;
/// #     Pin::new(&mut *s).start_send(frame)?;
/// #     poll_fn(|cx| Pin::new(&mut *s).poll_flush(cx)).await
/// # }
///
/// /// A codec of our own: a 1-byte length, then that many bytes.
/// #[derive(Debug, Default)]
/// struct Tiny;
///
/// impl FrameDecoder for Tiny {
///     fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
///         match buf.first() {
///             Some(&n) if buf.len() > n as usize => Ok(Step::frame(1 + n as usize, 1..1 + n as usize)),
///             _ => Ok(Step::NEED_MORE),
///         }
///     }
///     fn step_eof(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
///         let step = self.step(buf)?;
///         match buf.first() {
///             Some(&n) if step == Step::NEED_MORE => Err(DecodeError::Truncated {
///                 buffered: buf.len(),
///                 missing: Missing::Exactly((1 + n as usize - buf.len()) as u64),
///             }),
///             _ => Ok(step), // a frame, or the clean end
///         }
///     }
///     fn reset(&mut self) {}
/// }
///
/// impl FrameEncoder for Tiny {
///     fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
///         let len = payload.len();
///         let n = u8::try_from(len).map_err(|_| EncodeError::FrameTooLong { len, max: 255 })?;
///         Parts::new(&[n], &[])
///     }
/// }
///
/// futures_lite::future::block_on(async {
///     let (a, b) = tokio::io::duplex(64);
///     let mut a = Framed::new(a, Codec::new(Tiny));
///     let mut b = Framed::new(b, Codec::new(Tiny));
///     send(&mut a, Bytes::from_static(b"hi")).await?; // futures::SinkExt::send
///     assert_eq!(b.next().await.unwrap()?, &b"hi"[..]);
///     send(&mut b, Bytes::from_static(b"hello")).await?;
///     assert_eq!(a.next().await.unwrap()?, &b"hello"[..]);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Codec<C> {
    inner: C,
}

impl<C> Codec<C> {
    /// `codec` as a tokio-util codec.
    pub fn new(codec: C) -> Self {
        Codec { inner: codec }
    }

    inner_accessors!("codec");
}

impl<C> From<C> for Codec<C> {
    fn from(codec: C) -> Self {
        Codec::new(codec)
    }
}

impl<C: FrameDecoder> Decoder for Codec<C> {
    type Item = Bytes;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        self.inner.decode_frame(src).map_err(Into::into)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        self.inner.decode_frame_eof(src).map_err(Into::into)
    }
}

impl<C: FrameEncoder> Encoder<Bytes> for Codec<C> {
    type Error = io::Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        put_frame(&mut self.inner, &item, dst)
    }
}

impl<C: FrameEncoder> Encoder<&[u8]> for Codec<C> {
    type Error = io::Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        put_frame(&mut self.inner, item, dst)
    }
}

impl<C: FrameEncoder> Encoder<Vec<u8>> for Codec<C> {
    type Error = io::Error;

    fn encode(&mut self, item: Vec<u8>, dst: &mut BytesMut) -> io::Result<()> {
        put_frame(&mut self.inner, &item, dst)
    }
}

macro_rules! tokio_codec {
    ($($codec:ty),* $(,)?) => {$(
        /// Frames out of a tokio-util read buffer, by the codec core (SPEC.md rules). At EOF,
        /// bytes of an unfinished frame are [`io::ErrorKind::UnexpectedEof`]; a clean end is
        /// `None`.
        impl Decoder for $codec {
            type Item = Bytes;
            type Error = io::Error;

            fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
                FrameDecoder::decode_frame(self, src).map_err(Into::into)
            }

            fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
                FrameDecoder::decode_frame_eof(self, src).map_err(Into::into)
            }
        }

        /// Frames an owned payload. A refused payload is [`io::ErrorKind::InvalidInput`].
        impl Encoder<Bytes> for $codec {
            type Error = io::Error;

            fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> io::Result<()> {
                put_frame(self, &item, dst)
            }
        }

        /// Frames a borrowed payload. A refused payload is [`io::ErrorKind::InvalidInput`].
        impl Encoder<&[u8]> for $codec {
            type Error = io::Error;

            fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> io::Result<()> {
                put_frame(self, item, dst)
            }
        }

        /// Frames an owned payload. A refused payload is [`io::ErrorKind::InvalidInput`].
        impl Encoder<Vec<u8>> for $codec {
            type Error = io::Error;

            fn encode(&mut self, item: Vec<u8>, dst: &mut BytesMut) -> io::Result<()> {
                put_frame(self, &item, dst)
            }
        }
    )*};
}

tokio_codec!(
    LengthPrefixed,
    Delimited,
    ContentLength,
    Netstring,
    DotnetLines,
    Framing
);

/// UTF-8 text frames over any codec: a tokio-util [`Decoder`] with `Item = String` and an
/// [`Encoder`] for `&str` and `String`.
///
/// A frame that is not UTF-8 is an [`io::ErrorKind::InvalidData`] error naming the byte
/// offset; the frame is consumed, so decoding can go on (tokio-util's `FramedRead` ends the
/// stream with `None` after any error; polling it again resumes with the next frame).
///
/// ```
/// use pipeframe::codec::Delimited;
/// use pipeframe::tokio::Text;
/// use tokio_util::codec::Decoder;
///
/// let mut text = Text::new(Delimited::lines());
/// let mut buf = bytes::BytesMut::from(&b"h\xc3\xa9\n\xff\nok\n"[..]);
/// assert_eq!(text.decode(&mut buf).unwrap().as_deref(), Some("hé"));
/// let err = text.decode(&mut buf).unwrap_err();
/// assert_eq!(err.to_string(), "frame is not valid UTF-8 at byte offset 0");
/// assert_eq!(text.decode(&mut buf).unwrap().as_deref(), Some("ok"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<C> {
    inner: C,
}

impl<C> Text<C> {
    /// Text frames over `codec`.
    pub fn new(codec: C) -> Self {
        Text { inner: codec }
    }

    inner_accessors!("byte codec");
}

impl<C: FrameDecoder> Decoder for Text<C> {
    type Item = String;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<String>> {
        to_text(self.inner.decode_frame(src)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<String>> {
        to_text(self.inner.decode_frame_eof(src)?)
    }
}

fn to_text(frame: Option<Bytes>) -> io::Result<Option<String>> {
    match frame {
        Some(f) => Ok(Some(check_utf8(&f)?.to_owned())),
        None => Ok(None),
    }
}

impl<C: FrameEncoder> Encoder<&str> for Text<C> {
    type Error = io::Error;

    fn encode(&mut self, item: &str, dst: &mut BytesMut) -> io::Result<()> {
        put_frame(&mut self.inner, item.as_bytes(), dst)
    }
}

impl<C: FrameEncoder> Encoder<String> for Text<C> {
    type Error = io::Error;

    fn encode(&mut self, item: String, dst: &mut BytesMut) -> io::Result<()> {
        put_frame(&mut self.inner, item.as_bytes(), dst)
    }
}
