//! The system calls behind message mode: seqpacket sockets and packet pipes. Every flavour
//! (blocking, tokio, smol) calls these: the checks, the sizing and the error messages live
//! here once.
//!
//! Linux has both transports (`linux.rs`). Other Unixes get the same functions, each failing
//! with [`io::ErrorKind::Unsupported`] (`other.rs`), so the message types exist on every Unix
//! and no endpoint can be made where the kernel lacks the transport.
//!
//! The functions work on blocking and non-blocking descriptors alike: on a non-blocking one
//! they return [`io::ErrorKind::WouldBlock`] without having consumed or sent anything.

use std::io;
use std::path::Path;

use crate::message::PIPE_BUF;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;
#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
pub(crate) use other::*;

/// Where a seqpacket socket is bound or connected, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Name<'a> {
    Path(&'a Path),
    Abstract(&'a [u8]),
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Name::Path(p) => write!(f, "{}", p.display()),
            Name::Abstract(n) => write!(f, "@{}", n.escape_ascii()),
        }
    }
}

/// Checks a message before anything is sent: not empty, at most `max` bytes.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // the async flavours call it there
pub(crate) fn check_message(len: usize, max: usize) -> io::Result<()> {
    if len == 0 {
        return Err(crate::codec::EncodeError::EmptyFrame.into());
    }
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "message of {len} bytes exceeds the maximum of {max} bytes; nothing was sent \
                 (raise the limit with with_max_frame_len)"
            ),
        ));
    }
    Ok(())
}

/// Checks a packet before anything is written: not empty, at most [`PIPE_BUF`] bytes.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // the async flavours call it there
pub(crate) fn check_packet(len: usize) -> io::Result<()> {
    if len == 0 {
        return Err(crate::codec::EncodeError::EmptyFrame.into());
    }
    if len > PIPE_BUF {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "packet of {len} bytes exceeds PIPE_BUF ({PIPE_BUF} bytes), the most a packet \
                 pipe carries in one message; nothing was written"
            ),
        ));
    }
    Ok(())
}
