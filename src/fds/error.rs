//! Why descriptors could not travel with a frame.

use std::fmt;
use std::io;

/// Why descriptors could not go with a frame, or be taken from one: a typed value inside an
/// [`io::Error`] ([`FdError::from_io`] gets it back). When receiving, every descriptor that
/// did arrive with the frame has been closed, and the frame itself is consumed: the next
/// read returns the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FdError {
    /// A frame came with more descriptors than the reader's per-frame maximum
    /// ([`with_max_fds`](super::FdReader::with_max_fds)); they were all closed
    /// ([`io::ErrorKind::InvalidData`]).
    TooMany {
        /// How many arrived.
        received: usize,
        /// The per-frame maximum.
        max: usize,
    },
    /// The kernel truncated the control message (`MSG_CTRUNC`): the sender passed more than
    /// one message holds, or this process's descriptor table is full (`RLIMIT_NOFILE`). The
    /// descriptors that arrived were closed and the kernel closed the rest
    /// ([`io::ErrorKind::InvalidData`]).
    Truncated {
        /// How many arrived before the truncation.
        received: usize,
    },
    /// The transport cannot carry descriptors (a pipe, a FIFO, a TCP socket): only `AF_UNIX`
    /// sockets can. Nothing was written ([`io::ErrorKind::Unsupported`]).
    Unsupported {
        /// What the transport is ("a pipe", "an IPv4 socket", ...).
        transport: &'static str,
    },
    /// More descriptors than one message can carry (253, Linux's `SCM_MAX_FD`). Nothing was
    /// written ([`io::ErrorKind::InvalidInput`]).
    TooManyToSend {
        /// How many were given.
        count: usize,
        /// The most one message carries.
        max: usize,
    },
    /// The reader stopped at an earlier decode error: after a frame it could not decode it
    /// cannot tell which frame later descriptors belong to, so it reads no further
    /// ([`io::ErrorKind::InvalidData`]).
    Stopped,
}

impl FdError {
    /// The `FdError` inside `e`, if it holds one.
    pub fn from_io(e: &io::Error) -> Option<FdError> {
        e.get_ref()
            .and_then(|e| e.downcast_ref::<FdError>())
            .copied()
    }

    fn kind(self) -> io::ErrorKind {
        match self {
            FdError::Unsupported { .. } => io::ErrorKind::Unsupported,
            FdError::TooManyToSend { .. } => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        }
    }
}

impl fmt::Display for FdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdError::TooMany { received, max } => write!(
                f,
                "a frame came with {received} descriptors, over the maximum of {max}; all \
                 were closed and the frame dropped (raise it with with_max_fds)"
            ),
            FdError::Truncated { received } => write!(
                f,
                "the descriptors sent with a frame were truncated (MSG_CTRUNC: more than one \
                 message holds, or this process's descriptor limit is reached); the \
                 {received} that arrived were closed and the frame dropped"
            ),
            FdError::Unsupported { transport } => write!(
                f,
                "descriptors cannot be sent over {transport}, only over unix domain sockets; \
                 nothing was written"
            ),
            FdError::TooManyToSend { count, max } => write!(
                f,
                "{count} descriptors is more than one message carries ({max}); nothing was \
                 written"
            ),
            FdError::Stopped => f.write_str(
                "the frame reader stopped at an earlier decode error: it can no longer tell \
                 which frame a descriptor belongs to",
            ),
        }
    }
}

impl std::error::Error for FdError {}

impl From<FdError> for io::Error {
    fn from(e: FdError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}
