//! Frames that carry open descriptors (Unix): a frame written with
//! [`write_frame_with_fds`](FdWriter::write_frame_with_fds) arrives at the peer with its
//! descriptors, read back by [`read_frame_with_fds`](FdReader::read_frame_with_fds) as the
//! frame and a `Vec<OwnedFd>` (duplicates of the sender's, made by the kernel: the sender's
//! stay open). Any codec frames the bytes; the transport is a Unix domain socket: stream
//! sockets here ([`FdStream`] over `UnixStream` or a named pipe's
//! [`PipeStream`](crate::named::PipeStream)), `SOCK_SEQPACKET` messages in
//! [`message::SeqpacketStream`](crate::message::SeqpacketStream). Blocking here, tokio in
//! `fds::tokio` and smol in `fds::futures_io` (one implementation, [`AsyncFdStream`]).
//!
//! # The rule (SPEC.md §11)
//!
//! Descriptors go as one `SCM_RIGHTS` control message with the frame's first byte. The
//! writer sends the frames batched before such a frame first, then the frame alone in
//! `sendmsg` calls of its own, the descriptors with the first: so whatever the codec's
//! batching does, no other frame's bytes share that send. Linux never lets one `recvmsg` on
//! a stream socket read past the chunk that carries descriptors, so the read that brings
//! them ends inside their frame; the reader keeps each read's descriptors with the stream
//! offset where the read ended and gives them to the frame that offset falls in. On a
//! seqpacket socket a message is a frame, and its descriptors are simply its own.
//!
//! # Limits and errors
//!
//! * Received descriptors are close-on-exec (`MSG_CMSG_CLOEXEC`), so children spawned later
//!   do not inherit them unless handed over on purpose.
//! * A frame may bring at most [`FdReader::max_fds`] descriptors (32 by default,
//!   [`FdReader::with_max_fds`]). More, or a control message the kernel truncated
//!   (`MSG_CTRUNC`: more than fits, or the descriptor table full), is an [`FdError`] for that
//!   frame: every descriptor that arrived with it is closed at once, the frame is dropped,
//!   and the next read returns the next frame.
//! * A frame with descriptors written to a transport that cannot carry them (a pipe, a FIFO,
//!   TCP) is [`FdError::Unsupported`] before anything is written; more than one message can
//!   carry (253) is [`FdError::TooManyToSend`].
//! * Frames read with plain `read_frame` have their descriptors closed.
//!
//! # Windows
//!
//! Not there. A Windows handle is passed by `DuplicateHandle` into the peer's process,
//! which makes a handle value that is only meaningful there and must then travel in the
//! payload; nothing in the pipe carries it, so the frame and its handles are not tied
//! together by the transport as they are here. Worse, the sender must hold a handle to the
//! peer process with `PROCESS_DUP_HANDLE` (which gives it the run of that process), and a
//! handle duplicated into a peer that never reads the frame leaks there, with no way for
//! the reader to refuse it as `MSG_CTRUNC` or a maximum does here. That design belongs in
//! the payload's protocol (as .NET's `GetClientHandleAsString` leaves it), not in framing.
//!
//! ```
//! use pipeframe::codec::Delimited;
//! use pipeframe::fds::{FdError, FdStream, FdWriter};
//! use std::os::fd::AsFd;
//! use std::os::unix::net::UnixStream;
//!
//! let (a, b) = UnixStream::pair()?;
//! let mut a = FdStream::new(a, Delimited::lines())?;
//! let mut b = FdStream::new(b, Delimited::lines())?.with_max_fds(1);
//! let (r, w) = std::io::pipe()?;
//! a.write_frame(b"no descriptors")?;
//! a.write_frame_with_fds(b"two", &[r.as_fd(), w.as_fd()])?; // over b's maximum
//! a.write_frame_with_fds(b"one", &[r.as_fd()])?;
//! assert_eq!(b.read_frame_with_fds()?.unwrap().1.len(), 0);
//! let e = b.read_frame_with_fds().unwrap_err();
//! assert_eq!(FdError::from_io(&e), Some(FdError::TooMany { received: 2, max: 1 }));
//! let (frame, fds) = b.read_frame_with_fds()?.unwrap();
//! assert_eq!((&frame[..], fds.len()), (&b"one"[..], 1));
//!
//! // A pipe cannot carry descriptors: refused before anything is written.
//! let (_keep, tx) = std::io::pipe()?;
//! let mut w = FdWriter::new(tx, Delimited::lines());
//! let e = w.write_frame_with_fds(b"x", &[r.as_fd()]).unwrap_err();
//! assert_eq!(FdError::from_io(&e), Some(FdError::Unsupported { transport: "a pipe" }));
//! # Ok::<(), std::io::Error>(())
//! ```

mod error;
mod frame;
pub(crate) mod inbox;
mod reader;
mod stream;
mod writer;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod runtime;

pub use error::FdError;
pub use reader::FdReader;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub use runtime::{AsyncFdStream, FdSink, FdSource};
pub use stream::FdStream;
pub use writer::FdWriter;

/// The most descriptors a frame may bring unless configured: far more than protocols pass
/// (one to three), few enough that a peer cannot fill the descriptor table quickly.
pub const DEFAULT_MAX_FDS: usize = 32;

/// The most descriptors one message carries on Linux (`SCM_MAX_FD`).
pub const MAX_FDS_PER_MESSAGE: usize = crate::sys::unix::fds::SCM_MAX_FD;

/// Refuses more descriptors than one message carries, before anything is sent.
pub(crate) fn check_send_count(n: usize) -> std::io::Result<()> {
    if n > MAX_FDS_PER_MESSAGE {
        return Err(FdError::TooManyToSend {
            count: n,
            max: MAX_FDS_PER_MESSAGE,
        }
        .into());
    }
    Ok(())
}

/// Frames with descriptors on tokio (feature `tokio`).
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio {
    /// [`AsyncFdStream`](super::AsyncFdStream) on tokio.
    pub type FdStream<C> = super::AsyncFdStream<crate::rt::Tokio, C>;
}

/// Frames with descriptors on futures-io runtimes (feature `futures-io`: smol, async-io).
#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures_io {
    /// [`AsyncFdStream`](super::AsyncFdStream) on async-io (smol).
    pub type FdStream<C> = super::AsyncFdStream<crate::rt::AsyncIo, C>;
}
