//! Write-side buffering: small frames batched, large payloads sent beside their header.

use crate::codec::{EncodeError, FrameEncoder, Parts};

/// Payloads at least this long are not copied into the batch buffer: they go out in one
/// vectored write beside the batch and their header (but for the under-a-page rest that a
/// page-aligned cut carries into the batch, see `Outbox::poll_write_out`).
pub(crate) const DIRECT_MIN: usize = 4 * 1024;

/// The batch buffer and the encoder.
#[derive(Debug)]
pub(crate) struct WriteBuf<E> {
    encoder: E,
    buf: Vec<u8>,
    batch: usize,
}

/// What [`WriteBuf::push`] did with a frame.
#[derive(Debug)]
pub(crate) enum Push {
    /// Copied into the batch buffer, which is still under the threshold.
    Buffered,
    /// Copied into the batch buffer, which has reached the threshold: write it out.
    Full,
    /// Not copied: write the batch buffer, then these parts around the payload, in one
    /// vectored write.
    Direct(Parts),
}

impl<E: FrameEncoder> WriteBuf<E> {
    pub(crate) fn new(encoder: E, batch: usize) -> Self {
        WriteBuf {
            encoder,
            buf: Vec::new(),
            batch,
        }
    }

    /// Encodes one frame. Nothing is buffered if the encoder refuses the payload.
    #[inline]
    pub(crate) fn push(&mut self, payload: &[u8]) -> Result<Push, EncodeError> {
        if payload.len() >= DIRECT_MIN {
            return Ok(Push::Direct(self.encoder.encode_parts(payload)?));
        }
        // Room for any header and trailer, and the 16-byte copy of a short header (which
        // writes 16 bytes before it truncates): the encoder's own `reserve` then never grows
        // the buffer, and the first reservation is the batch's.
        let need = Parts::MAX_LEN + 16 + payload.len();
        if self.buf.capacity() - self.buf.len() < need {
            self.make_room(need);
        }
        self.encoder.encode_into_vec(payload, &mut self.buf)?;
        Ok(if self.buf.len() >= self.batch {
            Push::Full
        } else {
            Push::Buffered
        })
    }

    /// Room for `need` more bytes: the first time, the batch threshold's worth (at most
    /// 64 KiB), so a run of small frames does not grow the buffer step by step.
    #[cold]
    fn make_room(&mut self, need: usize) {
        if self.buf.capacity() == 0 {
            self.buf.reserve(self.batch.min(64 * 1024).max(need));
        } else {
            self.buf.reserve(need);
        }
    }
}

impl<E> WriteBuf<E> {
    /// The batched bytes not yet written.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Appends bytes already encoded (the rest of a large frame cut at a page boundary).
    pub(crate) fn extend_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Drops the first `n` batched bytes, once written.
    pub(crate) fn consume(&mut self, n: usize) {
        if n >= self.buf.len() {
            self.buf.clear();
        } else {
            self.buf.drain(..n);
        }
    }

    pub(crate) fn encoder(&self) -> &E {
        &self.encoder
    }

    pub(crate) fn encoder_mut(&mut self) -> &mut E {
        &mut self.encoder
    }
}
