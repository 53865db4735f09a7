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

    /// The byte codec.
    pub fn get_ref(&self) -> &C {
        &self.inner
    }

    /// The byte codec, to change its configuration.
    pub fn get_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The byte codec.
    pub fn into_inner(self) -> C {
        self.inner
    }
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
