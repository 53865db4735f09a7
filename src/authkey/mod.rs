//! Python `multiprocessing.connection`'s authkey handshake (feature `authkey`), in both
//! roles: what `Listener(address, authkey=b'...')` and `Client(address, authkey=b'...')` run
//! before the first message, and what `multiprocessing.managers` always runs.
//!
//! Both sides prove they hold the same key without sending it: the listener challenges the
//! client, then the client challenges the listener. A challenge is `#CHALLENGE#` and random
//! bytes; the answer is an HMAC of them with the key; the challenger answers `#WELCOME#` or
//! `#FAILURE#`. Every message goes with Python's framing (a 4-byte big-endian length on a
//! byte stream, [`LengthPrefixed::python`](crate::codec::LengthPrefixed::python); one pipe
//! message on Windows). SPEC.md §10 has the bytes and test vectors.
//!
//! | Python | challenge (after `#CHALLENGE#`) | answer |
//! | --- | --- | --- |
//! | 3.12 and later | `{sha256}` and 40 random bytes | `{sha256}` and HMAC-SHA256 of the whole challenge |
//! | 3.11 and earlier | 20 random bytes | the bare 16-byte HMAC-MD5 of them |
//!
//! Current Pythons accept both; so does [`AuthKey`], which sends `{sha256}` challenges by
//! default ([`AuthKey::challenge_digest`] picks another, [`Digest::Md5`] the legacy form)
//! and answers whichever form the peer sends. Digests are compared in constant time; the
//! challenges' random bytes come from the operating system ([`getrandom`](https://docs.rs/getrandom)).
//!
//! ```
//! use pipeframe::authkey::{AuthError, AuthKey, Digest, Side};
//! use pipeframe::codec::LengthPrefixed;
//! use pipeframe::sync::FrameStream;
//! # #[cfg(unix)] {
//! use std::os::unix::net::UnixStream;
//!
//! let (a, b) = UnixStream::pair()?;
//! let server = std::thread::spawn(move || -> std::io::Result<()> {
//!     AuthKey::new(*b"secret").server(&b)?; // what Listener.accept() does
//!     let mut s = FrameStream::new(b, LengthPrefixed::python())?;
//!     s.write_frame(b"welcome in")?;
//!     s.flush()
//! });
//! let done = AuthKey::new(*b"secret").client(&a)?; // what Client(..., authkey=) does
//! assert_eq!(done.verified, Digest::Sha256);
//! let mut s = FrameStream::new(a, LengthPrefixed::python())?;
//! assert_eq!(s.read_frame()?.as_deref(), Some(&b"welcome in"[..]));
//! server.join().unwrap()?;
//!
//! // A wrong key: the listener refuses our answer.
//! let (a, b) = UnixStream::pair()?;
//! let server = std::thread::spawn(move || AuthKey::new(*b"secret").server(&b));
//! let err = AuthKey::new(*b"guess").client(&a).unwrap_err();
//! let auth = AuthError::from_io(&err).unwrap();
//! assert_eq!(auth.refused_by(), Side::Peer);
//! assert_eq!(auth.digest(), Some(Digest::Sha256));
//! assert!(err.to_string().starts_with("authentication failed: "));
//! assert_eq!(AuthError::from_io(&server.join().unwrap().unwrap_err()).unwrap().refused_by(), Side::Local);
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Where it runs
//!
//! * Blocking, over a byte stream: [`AuthKey::client`] / [`AuthKey::server`] take any
//!   `Read + Write` (`&UnixStream`, `&named::PipeStream`, `&TcpStream`, a pair of pipes
//!   joined by the caller). They read exactly the handshake's bytes, so frame the stream
//!   after them.
//! * Blocking, over whole messages: [`AuthKey::client_frames`] / [`AuthKey::server_frames`]
//!   over any [`ReadFrame`](crate::frame_io::ReadFrame) + [`WriteFrame`](crate::frame_io::WriteFrame).
//!   On Windows Python's `multiprocessing.connection` uses message-mode named pipes with no
//!   length prefix (`PIPE_TYPE_MESSAGE`, `\\.\pipe\NAME`): `message::MessagePipe` meets it,
//!   as `pipeframe listen pipe:NAME --framing message --authkey-file FILE` does.
//! * Async: `authkey::tokio::{client, server}` and `authkey::futures_io::{client, server}`
//!   over the runtime's `AsyncRead + AsyncWrite` (one implementation over the runtime seam).
//!
//! A listener that authenticates each connection in the connection's own thread or task
//! (as `named::Listener::serve` runs handlers) goes on serving others when one fails: the
//! failed one is refused (`#FAILURE#` where the protocol has a place for it) and dropped.
//! A handshake message longer than 256 bytes (Python's limit there) is refused before its
//! bytes are read.

mod digest;
mod error;
mod handshake;
mod io;
mod key;

pub use digest::Digest;
pub use error::{AuthError, Side};
pub use handshake::{Authenticated, CHALLENGE, FAILURE, MAX_MESSAGE, WELCOME};
pub use key::AuthKey;

/// The async handshake on one runtime: `client` and `server` over [`io::run_async`].
#[cfg(any(feature = "tokio", feature = "futures-io"))]
macro_rules! async_fns {
    ($rt:ty, $read:path, $write:path, $what:literal) => {
        #[doc = concat!("[`AuthKey::client`](super::AuthKey::client) over ", $what, ".")]
        pub async fn client<S>(
            key: &super::AuthKey,
            stream: &mut S,
        ) -> ::std::io::Result<super::Authenticated>
        where
            S: $read + $write + Unpin + ?Sized,
        {
            super::io::run_async::<$rt, S>(key, super::handshake::Role::Client, stream).await
        }

        #[doc = concat!("[`AuthKey::server`](super::AuthKey::server) over ", $what, ".")]
        pub async fn server<S>(
            key: &super::AuthKey,
            stream: &mut S,
        ) -> ::std::io::Result<super::Authenticated>
        where
            S: $read + $write + Unpin + ?Sized,
        {
            super::io::run_async::<$rt, S>(key, super::handshake::Role::Server, stream).await
        }
    };
}

/// The handshake on tokio (feature `tokio`): over any tokio `AsyncRead + AsyncWrite`
/// (`tokio::net::UnixStream`, `named::tokio::PipeStream`, `TcpStream`). Not cancellation
/// safe: a handshake dropped halfway leaves the connection unusable (drop it too).
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio {
    async_fns!(
        crate::rt::Tokio,
        ::tokio::io::AsyncRead,
        ::tokio::io::AsyncWrite,
        "a tokio `AsyncRead + AsyncWrite`"
    );
}

/// The handshake on futures-io (feature `futures-io`: smol, async-io): over any futures-io
/// `AsyncRead + AsyncWrite` (`async_io::Async<UnixStream>`, `named::futures_io::PipeStream`).
/// Not cancellation safe: a handshake dropped halfway leaves the connection unusable.
#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures_io {
    async_fns!(
        crate::rt::AsyncIo,
        ::futures_io::AsyncRead,
        ::futures_io::AsyncWrite,
        "a futures-io `AsyncRead + AsyncWrite`"
    );
}
