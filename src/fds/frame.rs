//! One frame that carries descriptors, on its way out: checked before anything is written,
//! then its bytes with the descriptors attached to the first of them.

use std::io::IoSlice;
use std::os::fd::BorrowedFd;

use super::FdError;
use crate::codec::{FrameEncoder, Parts};

/// An encoded frame whose bytes go out in their own `sendmsg` calls.
#[derive(Debug)]
pub(crate) struct FdFrame<'a> {
    parts: Parts,
    payload: &'a [u8],
}

impl<'a> FdFrame<'a> {
    /// Checks that the transport can carry `fds` (`unsupported` says what it is otherwise)
    /// and how many there are, then encodes the frame; nothing is written on an error.
    pub(crate) fn new<E: FrameEncoder>(
        encoder: &mut E,
        payload: &'a [u8],
        fds: &[BorrowedFd<'_>],
        unsupported: Option<&'static str>,
    ) -> std::io::Result<FdFrame<'a>> {
        if let Some(transport) = unsupported {
            return Err(FdError::Unsupported { transport }.into());
        }
        super::check_send_count(fds.len())?;
        Ok(FdFrame {
            parts: encoder.encode_parts(payload)?,
            payload,
        })
    }

    /// Header, payload and trailer in bytes.
    pub(crate) fn total(&self) -> usize {
        self.parts.overhead() + self.payload.len()
    }

    /// The bytes after the first `sent`.
    pub(crate) fn rest(&self, sent: usize) -> [IoSlice<'_>; 3] {
        let mut skip = sent;
        let mut out = [self.parts.header(), self.payload, self.parts.trailer()];
        for s in &mut out {
            let k = skip.min(s.len());
            *s = &s[k..];
            skip -= k;
        }
        out.map(IoSlice::new)
    }

    /// The bytes after the first `sent`, copied (what an async writer keeps to finish later).
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) fn rest_vec(&self, sent: usize) -> Vec<u8> {
        self.rest(sent)
            .iter()
            .flat_map(|s| s.iter().copied())
            .collect()
    }
}
