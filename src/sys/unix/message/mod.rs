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

use crate::error::EncodeError;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;
#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
pub(crate) use other::*;

/// The most a packet pipe carries in one packet: Linux's `PIPE_BUF`, 4096 bytes. Writes of at
/// most this many bytes are atomic.
pub const PIPE_BUF: usize = 4096;

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
        return Err(EncodeError::EmptyFrame.into());
    }
    Ok(EncodeError::check_len(len, max)?)
}

/// Checks a packet before anything is written: not empty, at most [`PIPE_BUF`] bytes.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // the async flavours call it there
pub(crate) fn check_packet(len: usize) -> io::Result<()> {
    if len == 0 {
        return Err(EncodeError::EmptyFrame.into());
    }
    if len > PIPE_BUF {
        return Err(EncodeError::TransportLimit {
            len,
            max: PIPE_BUF as u64,
        }
        .into());
    }
    Ok(())
}
