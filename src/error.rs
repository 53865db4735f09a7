//! The errors a caller may match on, in every mode, flavour and OS: the codec core's, the frame
//! readers' and writers', and native message mode's; and how each becomes an [`io::Error`] at
//! the `std::io` edge. Public as `crate::codec::*`, but for [`WrongEnd`] and [`PipeEnd`]
//! (an inherited pipe handle of the other direction), public as `crate::pipe::*`.
//!
//! This module imports nothing from the crate, so every layer may use it, `sys` included: an
//! error that the OS layer detects (an oversized message, a message cut short) is built there
//! as its typed value, not as text.
//!
//! The `io::ErrorKind` of each, and why, is the table under "Errors" in the
//! [`codec`](crate::codec#errors) module docs.

use std::borrow::Cow;
use std::fmt;
use std::io;

/// How many bytes were still missing when a stream ended inside a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The frame's length was known: exactly this many bytes were missing.
    Exactly(u64),
    /// The header was incomplete: at least this many bytes were missing.
    AtLeast(u64),
    /// The frame ends at a delimiter that never came.
    Delimiter,
    /// The frame is a native message (SPEC.md §9.6) whose length the receiver never learns:
    /// the peer closed inside it, so how much was missing is not known.
    RestOfMessage,
}

/// Why a byte stream could not be decoded into frames.
///
/// Every variant except [`DecodeError::Truncated`] maps to
/// [`io::ErrorKind::InvalidData`]; `Truncated` maps to [`io::ErrorKind::UnexpectedEof`].
/// Whether decoding can go on after the error is given by [`DecodeError::is_recoverable`].
/// After a fatal one, a reader answers every later call with a [`StreamFailed`] holding it.
///
/// ```
/// use pipeframe::codec::{DecodeError, LengthPrefixed, StreamFailed};
/// use pipeframe::sync::FrameReader;
///
/// let mut r = FrameReader::new(&b"\xff\xff\xff\xff"[..], LengthPrefixed::u32_le());
/// let first = r.read_frame().unwrap_err();
/// let e = *first.get_ref().unwrap().downcast_ref::<DecodeError>().unwrap();
/// assert!(matches!(e, DecodeError::FrameTooLong { declared: 0xffff_ffff, .. }));
///
/// let again = r.read_frame().unwrap_err();
/// assert_eq!(again.kind(), first.kind());
/// let failed = again.get_ref().unwrap().downcast_ref::<StreamFailed>().unwrap();
/// assert_eq!(failed.error(), e);
/// assert_eq!(DecodeError::from_io(&again), Some(e));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A header declared a payload longer than the configured maximum (fatal).
    FrameTooLong {
        /// The payload length the header declared.
        declared: u64,
        /// The configured maximum payload length.
        max: usize,
    },
    /// More than the maximum number of bytes arrived without a delimiter (recoverable:
    /// the decoder discards through the next delimiter and goes on).
    DelimitedTooLong {
        /// How many payload bytes the decoder had seen when it gave up: always `max + 1`
        /// (saturating); the frame is at least this long.
        seen: u64,
        /// The configured maximum payload length.
        max: usize,
    },
    /// A signed length prefix held a negative value (fatal).
    NegativeLength {
        /// The value read.
        value: i64,
    },
    /// The length counts the header, but was smaller than the header itself (fatal).
    LengthBelowHeader {
        /// The value read.
        value: u64,
        /// The header's own length in bytes.
        header_len: usize,
    },
    /// A varint used more bytes than needed, e.g. `80 00` for zero (fatal).
    VarintOverlong {
        /// How many bytes the varint used.
        len: usize,
    },
    /// A varint did not fit in 64 bits, or ran past 10 bytes (fatal).
    VarintOverflow,
    /// The header block (LSP) had no terminating empty line within the limit (fatal).
    HeaderTooLong {
        /// The configured header block limit in bytes.
        max: usize,
    },
    /// A header line had no `:` separator (fatal).
    MalformedHeader {
        /// Byte offset of the line within the header block.
        offset: usize,
    },
    /// A header line (LSP) ended with `\n` alone, not `\r\n` (fatal). Raised as soon as the
    /// `\n` arrives: the `\r\n\r\n` that ends a header block would never come.
    BareLineFeed {
        /// Byte offset of the `\n` within the header block.
        offset: usize,
    },
    /// The header block had no `Content-Length` (fatal).
    MissingContentLength,
    /// `Content-Length` was not a decimal number, or appeared twice with different values (fatal).
    InvalidContentLength {
        /// The offending value, as text (lossy, at most 32 bytes).
        value: HeaderValue,
    },
    /// A netstring length was not `0` or a decimal number without leading zeros (fatal).
    NetstringLength {
        /// Byte offset within the frame of the offending byte.
        offset: usize,
        /// The offending byte.
        byte: u8,
    },
    /// A netstring payload was not followed by `,` (fatal).
    NetstringMissingComma {
        /// The byte found instead.
        found: u8,
    },
    /// A frame was not valid UTF-8 in text mode (recoverable: the frame is skipped).
    InvalidUtf8 {
        /// Byte offset within the frame of the first invalid byte.
        offset: usize,
    },
    /// A message in native message mode (SPEC.md §9) was longer than the maximum
    /// (recoverable: the message was discarded whole, the next read returns the next message).
    /// No byte codec returns it.
    MessageTooLong {
        /// The message's length.
        len: usize,
        /// The configured maximum message length.
        max: usize,
    },
    /// A native message (SPEC.md §9) arrived shorter than the system said it was: it was
    /// sized, then received cut (another reader took part of the socket's queue in between).
    /// Recoverable: the cut message is dropped and the next read returns the next message.
    MessageCut {
        /// The length the system reported when sizing the message.
        len: usize,
        /// The bytes actually received.
        received: usize,
    },
    /// The stream ended inside a frame (fatal).
    Truncated {
        /// Bytes of the unfinished frame that had arrived.
        buffered: usize,
        /// How many more bytes the frame needed.
        missing: Missing,
    },
    /// A netstring length had more digits than the configured maximum allows (fatal): the
    /// length is at least `10^(digits - 1)`, more than `max`.
    NetstringLengthTooLong {
        /// How many digits had arrived when the decoder gave up.
        digits: usize,
        /// The configured maximum payload length.
        max: usize,
    },
    /// The decoder returned a [`Step`](crate::codec::Step) that breaks the step contract (fatal): it
    /// consumed more bytes than it was given, or its payload range does not lie within the
    /// bytes it consumed, or it returned a frame consuming nothing. This is a bug in the
    /// decoder; the reader refused the step instead of reading outside its buffer.
    BadStep {
        /// The step's `consumed`.
        consumed: usize,
        /// The step's payload range (`start`, `end`), if it returned a frame.
        payload: Option<(usize, usize)>,
        /// How many bytes the decoder was given.
        len: usize,
    },
    /// An error of the codec's own (a codec outside this crate: a bad checksum, an unknown
    /// message type, ...).
    ///
    /// It is `Copy`, like every `DecodeError`, so that a failed reader can repeat it on every
    /// later read ([`StreamFailed`]) and errors stay cheap: a number the codec defines and a
    /// static message, no allocation and no boxed source. A codec that needs to report more (the
    /// offending value, an error from another crate) keeps it in its own state and offers it
    /// through a method, read with the reader's `decoder()`; the `code` says there is one.
    ///
    /// `recoverable` is what [`is_recoverable`](DecodeError::is_recoverable) answers: set it
    /// only if the decoder will get past the bad bytes by itself on the next call (by
    /// [skipping](crate::codec::Step::skip) them).
    Custom {
        /// A number the codec defines, for programs to match on.
        code: u32,
        /// What went wrong, for people.
        msg: &'static str,
        /// Whether decoding may go on.
        recoverable: bool,
    },
}

impl DecodeError {
    /// Whether decoding may go on after this error.
    ///
    /// Only an overlong delimited frame (the decoder resyncs at the next delimiter), invalid
    /// UTF-8 in text mode (the frame is skipped) and an overlong native message (it was
    /// discarded) are recoverable; every other error leaves the stream position unknown, and
    /// the decoder must not be called again.
    pub fn is_recoverable(&self) -> bool {
        match self {
            Self::DelimitedTooLong { .. }
            | Self::InvalidUtf8 { .. }
            | Self::MessageTooLong { .. }
            | Self::MessageCut { .. } => true,
            Self::Custom { recoverable, .. } => *recoverable,
            _ => false,
        }
    }

    /// The [`io::ErrorKind`] this error maps to.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Self::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        }
    }

    /// The decode error inside an `io::Error` from a reader: the error itself on the first
    /// call, or the one a [`StreamFailed`] repeats on later calls. `None` for other errors
    /// (I/O errors of the underlying reader).
    pub fn from_io(e: &io::Error) -> Option<DecodeError> {
        let inner = e.get_ref()?;
        inner.downcast_ref::<DecodeError>().copied().or_else(|| {
            inner
                .downcast_ref::<StreamFailed>()
                .map(StreamFailed::error)
        })
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrameTooLong { declared, max } => write!(
                f,
                "frame length {declared} exceeds the maximum of {}{RAISE}",
                ByteCount(*max as u64)
            ),
            Self::DelimitedTooLong { seen, max } => write!(
                f,
                "no delimiter within the maximum of {} ({} seen){RAISE}; the rest of the frame is \
                 discarded",
                ByteCount(*max as u64),
                ByteCount(*seen)
            ),
            Self::NegativeLength { value } => write!(f, "negative length prefix {value}"),
            Self::LengthBelowHeader { value, header_len } => write!(
                f,
                "length {value} counts the header but is smaller than the {header_len}-byte header"
            ),
            Self::VarintOverlong { len } => {
                write!(f, "overlong varint length prefix ({len} bytes)")
            }
            Self::VarintOverflow => write!(f, "varint length prefix overflows 64 bits"),
            Self::HeaderTooLong { max } => {
                write!(
                    f,
                    "header block exceeds the maximum of {max} bytes (raise it with with_max_header_len)"
                )
            }
            Self::MalformedHeader { offset } => {
                write!(f, "header line at offset {offset} has no ':'")
            }
            Self::BareLineFeed { offset } => write!(
                f,
                "header line ends with a bare \\n at offset {offset} of the header block: header \
                 lines end with \\r\\n, and the block with \\r\\n\\r\\n (SPEC.md §5)"
            ),
            Self::MissingContentLength => write!(f, "header block has no Content-Length"),
            Self::InvalidContentLength { value } => {
                write!(f, "invalid Content-Length value {value:?}")
            }
            Self::NetstringLength { offset, byte } => write!(
                f,
                "invalid netstring length: byte 0x{byte:02x} at offset {offset}"
            ),
            Self::NetstringMissingComma { found } => write!(
                f,
                "netstring payload not followed by ',' (found 0x{found:02x})"
            ),
            Self::InvalidUtf8 { offset } => {
                write!(f, "frame is not valid UTF-8 at byte offset {offset}")
            }
            Self::MessageTooLong { len, max } => write!(
                f,
                "message of {} exceeds the maximum of {}; it was discarded{RAISE}",
                ByteCount(*len as u64),
                ByteCount(*max as u64)
            ),
            Self::MessageCut { len, received } => write!(
                f,
                "message of {len} bytes was received cut to {received} bytes (is another reader \
                 using this socket?); it was discarded"
            ),
            Self::NetstringLengthTooLong { digits, max } => write!(
                f,
                "netstring length has at least {digits} digits: more digits than the maximum of {max} \
                 bytes allows{RAISE}"
            ),
            Self::BadStep {
                consumed,
                payload,
                len,
            } => {
                write!(f, "decoder bug: step consumed {consumed} bytes")?;
                if let Some((start, end)) = payload {
                    write!(f, " with payload {start}..{end}")?;
                }
                write!(
                    f,
                    " but was given {len} bytes (a step must satisfy start <= end <= consumed <= \
                     given, and a frame must consume at least 1 byte)"
                )
            }
            Self::Custom { code, msg, .. } => write!(f, "{msg} (codec error {code})"),
            Self::Truncated { buffered, missing } => {
                let buffered = ByteCount(*buffered as u64);
                match missing {
                    Missing::Exactly(n) => write!(
                        f,
                        "stream ended inside a frame: {buffered} received, {} missing",
                        ByteCount(*n)
                    ),
                    Missing::AtLeast(n) => write!(
                        f,
                        "stream ended inside a frame header: {buffered} received, at least {} missing",
                        ByteCount(*n)
                    ),
                    Missing::RestOfMessage => write!(
                        f,
                        "stream ended inside a message: {buffered} received, the peer closed \
                         before its end"
                    ),
                    Missing::Delimiter => write!(
                        f,
                        "stream ended inside a frame: {buffered} received, delimiter missing (to \
                         accept an unterminated last line, use accept_unterminated_at_eof(true))"
                    ),
                }
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A duration as every message of the crate prints it: seconds, with up to three decimals
/// and no trailing zeros (`5 s`, `0.3 s`, `0.05 s`).
pub(crate) fn seconds(d: std::time::Duration) -> impl fmt::Display {
    struct Secs(std::time::Duration);
    impl fmt::Display for Secs {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let ms = self
                .0
                .as_millis()
                .max(u128::from(self.0 > std::time::Duration::ZERO));
            let (s, frac) = (ms / 1000, ms % 1000);
            if frac == 0 {
                return write!(f, "{s} s");
            }
            let frac = format!("{frac:03}");
            write!(f, "{s}.{} s", frac.trim_end_matches('0'))
        }
    }
    Secs(d)
}

/// A number of bytes for a message: "1 byte", "2 bytes".
struct ByteCount(u64);

impl fmt::Display for ByteCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 byte"),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// The hint after a maximum: the method that changes it. (The `pipeframe` command rewrites it
/// to name its `--max-frame` flag.)
pub(crate) const RAISE: &str = " (raise it with with_max_frame_len)";

impl From<DecodeError> for io::Error {
    fn from(e: DecodeError) -> Self {
        io::Error::new(e.kind(), e)
    }
}

/// Up to 32 bytes of a header value, kept inline so that [`DecodeError`] stays `Copy`. Longer
/// values are cut at 32 bytes. It prints (`Debug` and `Display`) as the bytes read as UTF-8,
/// lossily.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderValue {
    bytes: [u8; HeaderValue::MAX_LEN],
    len: u8,
}

impl HeaderValue {
    /// How many bytes of a value are kept.
    pub const MAX_LEN: usize = 32;

    /// The first [`MAX_LEN`](Self::MAX_LEN) bytes of `value`.
    pub fn new(value: &[u8]) -> Self {
        let len = value.len().min(Self::MAX_LEN);
        let mut bytes = [0; Self::MAX_LEN];
        bytes[..len].copy_from_slice(&value[..len]);
        HeaderValue {
            bytes,
            len: len as u8,
        }
    }

    /// The bytes kept.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The bytes kept, as UTF-8 text (invalid sequences become U+FFFD).
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.to_str_lossy(), f)
    }
}

impl fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

impl PartialEq<str> for HeaderValue {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for HeaderValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// What a reader returns on every call after a fatal [`DecodeError`]: the stream position is
/// unknown, so nothing more can be decoded. It holds the first error, and maps to the same
/// [`io::ErrorKind`]; its message is "stream unusable after an earlier error: " and the first
/// error's message. [`DecodeError::from_io`] finds the held error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamFailed {
    error: DecodeError,
}

impl StreamFailed {
    /// The answer after `error`.
    pub fn new(error: DecodeError) -> Self {
        StreamFailed { error }
    }

    /// The fatal error that ended the stream.
    pub fn error(&self) -> DecodeError {
        self.error
    }
}

impl fmt::Display for StreamFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream unusable after an earlier error: {}", self.error)
    }
}

impl std::error::Error for StreamFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<StreamFailed> for io::Error {
    fn from(e: StreamFailed) -> Self {
        io::Error::new(e.error.kind(), e)
    }
}

/// Why a payload could not be encoded as a frame. Nothing is written when encoding fails.
///
/// Maps to [`io::ErrorKind::InvalidInput`]: the caller handed over a frame the format cannot carry.
/// Native message mode uses [`FrameTooLong`](Self::FrameTooLong) (over the configured
/// maximum), [`TransportLimit`](Self::TransportLimit) (over what the transport can ever carry)
/// and [`EmptyFrame`](Self::EmptyFrame) for messages it cannot send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The payload is longer than the maximum (configured, or what the prefix width can express).
    FrameTooLong {
        /// The payload length.
        len: usize,
        /// The effective maximum.
        max: u64,
    },
    /// The payload is longer than the transport can ever carry in one message (a packet pipe's
    /// `PIPE_BUF`, one Windows pipe write's 4 GiB - 1): unlike
    /// [`FrameTooLong`](Self::FrameTooLong) no setting raises it.
    TransportLimit {
        /// The payload length.
        len: usize,
        /// The most the transport carries in one message.
        max: u64,
    },
    /// The payload contains the delimiter, which would split it in two on the wire.
    ContainsDelimiter {
        /// Offset of the first delimiter byte in the payload.
        offset: usize,
        /// The delimiter byte.
        delimiter: u8,
    },
    /// The payload ends in `\r` and lines are written with `\n`: a reader that strips `\r`
    /// would lose it. Write with `\r\n` endings, or drop the `\r`.
    TrailingCr,
    /// The transport cannot carry an empty frame (native message mode).
    EmptyFrame,
    /// A codec's header and trailer do not fit in [`Parts`](crate::codec::Parts) (at most
    /// [`Parts::MAX_LEN`](crate::codec::Parts::MAX_LEN) bytes together).
    PartsTooLong {
        /// The header's length.
        header: usize,
        /// The trailer's length.
        trailer: usize,
        /// The most bytes header and trailer may hold together.
        max: usize,
    },
    /// An error of the codec's own (a codec outside this crate), `Copy` like
    /// [`DecodeError::Custom`] and for the same reasons.
    Custom {
        /// A number the codec defines, for programs to match on.
        code: u32,
        /// What went wrong, for people.
        msg: &'static str,
    },
}

impl EncodeError {
    /// `Ok` for a payload of `len` bytes under a configured maximum of `max`,
    /// [`FrameTooLong`](Self::FrameTooLong) over it.
    pub(crate) fn check_len(len: usize, max: usize) -> Result<(), EncodeError> {
        if len > max {
            return Err(EncodeError::FrameTooLong {
                len,
                max: max as u64,
            });
        }
        Ok(())
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrameTooLong { len, max } => {
                write!(
                    f,
                    "frame of {} exceeds the maximum of {}",
                    ByteCount(*len as u64),
                    ByteCount(*max)
                )?;
                if *max < u64::MAX {
                    f.write_str(RAISE)?;
                }
                Ok(())
            }
            Self::TransportLimit { len, max } => write!(
                f,
                "frame of {len} bytes exceeds the {max} bytes this transport carries in one \
                 message; nothing was sent"
            ),
            Self::ContainsDelimiter { offset, delimiter } => write!(
                f,
                "frame contains the delimiter 0x{delimiter:02x} at offset {offset}"
            ),
            Self::TrailingCr => write!(
                f,
                "frame ends in '\\r', which a reader stripping '\\r\\n' would lose"
            ),
            Self::EmptyFrame => write!(f, "this transport cannot carry an empty frame"),
            Self::PartsTooLong {
                header,
                trailer,
                max,
            } => write!(
                f,
                "codec bug: header of {header} and trailer of {trailer} bytes exceed the {max} bytes a Parts holds"
            ),
            Self::Custom { code, msg } => write!(f, "{msg} (codec error {code})"),
        }
    }
}

impl std::error::Error for EncodeError {}

impl From<EncodeError> for io::Error {
    fn from(e: EncodeError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// Why a frame writer refused a call, other than a refused payload ([`EncodeError`]) or an I/O
/// error of the underlying writer (returned as it came). Every variant maps to
/// [`io::ErrorKind::Other`]; the [`codec`](crate::codec#errors) module docs say why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// An earlier write failed or wrote 0 bytes, so part of a frame may be on the wire and the
    /// peer's view of the stream is unknown: the writer refuses every later call.
    Poisoned {
        /// The kind of the error that poisoned the writer (`WriteZero` for a write of 0 bytes).
        cause: io::ErrorKind,
    },
    /// A frame was pushed while a large frame was still being written (`Sink::start_send`
    /// without `poll_ready` first). Nothing was queued.
    NotReady,
    /// The future writing a large borrowed payload was leaked (`mem::forget`) before the frame
    /// was written: the rest of the frame cannot be sent, and the writer is poisoned.
    PayloadLost,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Poisoned { cause } => write!(
                f,
                "frame writer unusable after an earlier write error ({cause})"
            ),
            Self::NotReady => write!(
                f,
                "frame pushed before the previous large frame was written (poll_ready first)"
            ),
            Self::PayloadLost => write!(
                f,
                "a large frame's write future was leaked before it finished"
            ),
        }
    }
}

impl std::error::Error for WriteError {}

impl From<WriteError> for io::Error {
    fn from(e: WriteError) -> Self {
        io::Error::other(e)
    }
}

/// One end of an anonymous pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipeEnd {
    /// The end that reads.
    Read,
    /// The end that writes.
    Write,
}

impl PipeEnd {
    /// The other end.
    pub fn other(self) -> PipeEnd {
        match self {
            PipeEnd::Read => PipeEnd::Write,
            PipeEnd::Write => PipeEnd::Read,
        }
    }
}

impl fmt::Display for PipeEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PipeEnd::Read => "read end",
            PipeEnd::Write => "write end",
        })
    }
}

/// An inherited pipe handle that is the other end than the one asked for: a write end given to
/// [`ClientHandle::open_reader`](crate::pipe::ClientHandle::open_reader), or a read end to
/// [`open_writer`](crate::pipe::ClientHandle::open_writer).
///
/// It comes as an [`io::ErrorKind::InvalidInput`] error; [`WrongEnd::from_io`] gets it back.
/// Nothing was adopted, so the handle can still be opened as the end it is: a program that
/// takes either end (the `pipeframe` command's `fd:N`, say) tries one and, on this error, the
/// other.
///
/// ```no_run
/// use pipeframe::pipe::{ClientHandle, PipeEnd, WrongEnd};
///
/// let h = ClientHandle::from_env("PIPE_HANDLE")?;
/// match h.open_writer() {
///     Ok(w) => { /* write frames */ }
///     Err(e) if WrongEnd::from_io(&e).is_some_and(|w| w.is == PipeEnd::Read) => {
///         let r = h.open_reader()?; // read frames
///     }
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongEnd {
    /// The handle's value (a descriptor number on Unix, a handle value on Windows).
    pub handle: i64,
    /// The end the handle is; the caller asked for the other.
    pub is: PipeEnd,
}

impl WrongEnd {
    /// The `WrongEnd` inside `e`, if that is what `e` is.
    pub fn from_io(e: &io::Error) -> Option<&WrongEnd> {
        e.get_ref()?.downcast_ref()
    }
}

impl fmt::Display for WrongEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pipe handle {} is the {} of a pipe; expected a {}",
            self.handle,
            self.is,
            self.is.other()
        )
    }
}

impl std::error::Error for WrongEnd {}

impl From<WrongEnd> for io::Error {
    fn from(e: WrongEnd) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn seconds_print_one_way() {
        let s = |ms| super::seconds(Duration::from_millis(ms)).to_string();
        assert_eq!(s(5000), "5 s");
        assert_eq!(s(300), "0.3 s");
        assert_eq!(s(50), "0.05 s");
        assert_eq!(s(1234), "1.234 s");
        assert_eq!(
            super::seconds(Duration::from_micros(10)).to_string(),
            "0.001 s"
        );
        assert_eq!(super::seconds(Duration::ZERO).to_string(), "0 s");
    }

    #[test]
    fn byte_counts_agree_in_number() {
        let e = DecodeError::Truncated {
            buffered: 1,
            missing: Missing::Exactly(1),
        };
        assert_eq!(
            e.to_string(),
            "stream ended inside a frame: 1 byte received, 1 byte missing"
        );
        let e = DecodeError::Truncated {
            buffered: 2,
            missing: Missing::AtLeast(3),
        };
        assert!(
            e.to_string()
                .contains("2 bytes received, at least 3 bytes missing"),
            "{e}"
        );
        let e = DecodeError::DelimitedTooLong { seen: 1, max: 0 };
        assert!(
            e.to_string().contains("maximum of 0 bytes (1 byte seen)"),
            "{e}"
        );
        let e = EncodeError::FrameTooLong { len: 2, max: 1 };
        assert!(
            e.to_string()
                .starts_with("frame of 2 bytes exceeds the maximum of 1 byte"),
            "{e}"
        );
    }
}
