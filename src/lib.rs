//! # pipeframe
//!
//! Message boundaries for pipes. A pipe (anonymous pipe, FIFO, Unix domain socket, Windows
//! named pipe, or TCP) moves bytes; programs want messages. pipeframe puts frames on the
//! bytes, wire-compatible with the peers people run: .NET `System.IO.Pipes` with
//! `BinaryWriter`, Python `multiprocessing.connection`, Node's IPC channel, Erlang ports,
//! LSP/JSON-RPC.
//!
//! * [`codec`]: the sans-IO codec core (length-prefixed, delimiter, `Content-Length`,
//!   netstring). No runtime; compiles with `--no-default-features`.
//! * [`sync`]: the blocking flavour over `std::io::Read` / `Write`.
//! * [`pipe`]: anonymous pipes handed to a child process (Unix and Windows).
//! * [`named`]: named pipe servers and clients, .NET-compatible names (Unix domain sockets
//!   on Unix, `\\.\pipe\NAME` on Windows).
//! * `fifo`: FIFOs made with `mkfifo` (Unix).
//! * `fds`: frames that carry open descriptors (`SCM_RIGHTS`, Unix), any codec, blocking,
//!   tokio and smol.
//! * [`message`]: native message mode (seqpacket sockets and packet pipes on Linux,
//!   `PIPE_TYPE_MESSAGE` named pipes on Windows): no codec bytes, the transport keeps the
//!   boundaries.
//! * `authkey` (feature `authkey`): Python `multiprocessing.connection`'s authkey handshake
//!   (HMAC-MD5 and `{sha256}` challenges), as listener and as client.
//! * [`frame_io`]: the frame-level API shared by every mode ([`frame_io::ReadFrame`],
//!   [`frame_io::WriteFrame`]) and [`frame_io::Mode`], the framing chosen by name.
//! * `tokio` (feature `tokio`): tokio-util `Decoder`/`Encoder` for every codec (so
//!   `FramedRead`, `FramedWrite` and `Framed` work on any tokio `AsyncRead`/`AsyncWrite`), and
//!   engine-based `AsyncFrameReader`/`AsyncFrameWriter` with borrowed reads; `tokio::Codec`
//!   puts any codec, a user's own included, into `Framed`.
//! * `futures_io` (feature `futures-io`): `AsyncFrameReader` (a `Stream`) and
//!   `AsyncFrameWriter` (a `Sink`) over futures-io, for smol and `async_io::Async<T>`; no
//!   tokio in its dependency tree.
//! * `rt` (feature `tokio` or `futures-io`): the runtime seam. Every async type (codec
//!   reader and writer, message-mode streams, named listener) is written once, generic over a
//!   runtime marker (`rt::Tokio`, `rt::AsyncIo`); the `tokio` and `futures_io` paths name it
//!   with a type alias, so the runtimes cannot drift apart.
//! * `transport` (feature `tower`): named pipes for hyper, hyper-util and tonic (an accept
//!   `Stream` and a `Service<Uri>` connector), as Kestrel and `ConnectCallback` do in .NET, on
//!   Unix and Windows alike.
//!
//! Every flavour frames with the same codec core, so framing, limits and EOF rules are the same
//! in each. The blocking `sync` types and the `AsyncFrameReader`/`AsyncFrameWriter` of `tokio`
//! and `futures_io` also share one private buffering engine (read-ahead, batching, vectored
//! writes of large payloads, poisoning); tokio-util's `FramedRead`/`FramedWrite`/`Framed` run on
//! tokio-util's own buffering instead.
//!
//! # Platforms
//!
//! An item exists where its concept exists on the OS family (Unix or Windows), and is absent
//! elsewhere rather than failing at run time. [`pipe`], [`named`], `transport`, the runtime
//! seam `rt` and the async named pipe types exist on both with the same names, generics and
//! behaviour (a `PipeName` is a `CoreFxPipe_` socket path on Unix and `\\.\pipe\NAME` on
//! Windows; a pipe handle string is a descriptor number or a handle value; `PeerCredentials`
//! holds pid, uid and gid on Unix, pid and user SID on Windows), and items only one family has
//! are absent on the other: `fifo`, descriptors with frames, the seqpacket and packet-pipe
//! types in [`message`], half-close, abstract names and socket modes are Unix-only;
//! `message::MessagePipe` / `AsyncMessagePipe` and the SDDL security descriptor option are
//! Windows-only. Inside a family, a feature that only some members have is present on all of
//! them and returns [`std::io::ErrorKind::Unsupported`], with a message naming what is
//! missing, where the system lacks it: seqpacket sockets, packet pipes, abstract socket names
//! and peer credentials work on Linux only, and `fifo::create` does not work on macOS. So
//! code written on Linux compiles on every Unix and fails, with a clear error, only where it
//! uses a Linux-only feature; CI compiles the library for FreeBSD and macOS to keep it so,
//! and builds and tests it for `x86_64-pc-windows-gnu` under Wine.
//!
//! The wire formats, limits and error behaviour are specified byte by byte in `SPEC.md`.
//!
//! ```
//! use pipeframe::codec::Delimited;
//! use pipeframe::sync::{FrameReader, FrameWriter};
//!
//! let mut wire = Vec::new();
//! let mut w = FrameWriter::new(&mut wire, Delimited::lines());
//! w.write_frame(b"one")?;
//! w.write_frame(b"two")?;
//! w.finish()?;
//! assert_eq!(wire, b"one\ntwo\n");
//!
//! let frames: Vec<_> = FrameReader::new(&wire[..], Delimited::lines()).collect::<Result<_, _>>()?;
//! assert_eq!(frames, [&b"one"[..], &b"two"[..]]);
//! # Ok::<(), std::io::Error>(())
//! ```
// `unsafe` is allowed in one module per OS family, `sys::unix` (and `sys::windows`), with a
// `// SAFETY:` comment on every block; `.ci/run` fails if any other file allows it.
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The [`bytes`](https://docs.rs/bytes) crate, whose `Bytes` and `BytesMut` this crate's API
/// takes and returns: use it from here to get the matching version.
///
/// ```
/// use pipeframe::bytes::{Bytes, BytesMut};
/// use pipeframe::codec::{FrameDecoder, LengthPrefixed};
///
/// let mut wire = BytesMut::from(&b"\x02hi"[..]);
/// let frame: Bytes = LengthPrefixed::u8().decode_frame(&mut wire).unwrap().unwrap();
/// assert_eq!(frame, &b"hi"[..]);
/// ```
pub use bytes;

#[cfg(feature = "authkey")]
#[cfg_attr(docsrs, doc(cfg(feature = "authkey")))]
pub mod authkey;
pub mod codec;
mod engine;
mod error;
#[cfg(unix)]
pub mod fds;
#[cfg(unix)]
pub mod fifo;
pub mod frame_io;
#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures_io;
pub mod message;
#[cfg(any(unix, windows))]
pub mod named;
#[cfg(any(unix, windows))]
pub mod pipe;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub mod rt;
pub mod sync;
mod sys;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod transport;

/// What the fuzz targets drive that is not public API (compiled with `--cfg fuzzing` only,
/// which cargo-fuzz sets).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod __fuzzing {
    pub use crate::message::assemble::{
        Assembler, MessageReader, Next, Piece, PieceSource, READ_CHUNK, Step,
    };
}

/// The README's examples, compiled and run as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
