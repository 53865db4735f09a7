//! Write-side buffering: small frames copied into a batch, large payloads left where they are.

use crate::codec::{EncodeError, FrameEncoder, Parts};

/// Payloads at least this long are not copied into the batch buffer: they go out beside the
/// batch and their header in vectored writes (but for the under-a-page rest that a page-aligned
/// cut carries into the batch, see `Outbox::poll_write_out`).
pub(crate) const DIRECT_MIN: usize = 4 * 1024;

/// The first allocation of a batch buffer: one page. It doubles as frames arrive, up to what
/// the high-water mark needs, so a writer that sends little holds little.
const FIRST_ALLOC: usize = 4 * 1024;

/// The batch buffer and the encoder.
///
/// Bytes are addressed by their offset in the batch stream (every byte ever appended, counted
/// from 0), so that a large frame queued beside the batch can say which batch bytes go before
/// it on the wire however much of the batch has been written since.
#[derive(Debug)]
pub(crate) struct WriteBuf<E> {
    encoder: E,
    buf: Vec<u8>,
    /// Bytes of `buf` already written.
    head: usize,
    /// The batch-stream offset of `buf[0]`.
    base: u64,
    batch: usize,
}

/// What [`WriteBuf::push`] did with a frame.
#[derive(Debug)]
pub(crate) enum Push {
    /// Copied into the batch buffer.
    Buffered,
    /// Not copied: these parts go around the payload, after the batch bytes buffered so far.
    Direct(Parts),
}

impl<E: FrameEncoder> WriteBuf<E> {
    pub(crate) fn new(encoder: E, batch: usize) -> Self {
        WriteBuf {
            encoder,
            buf: Vec::new(),
            head: 0,
            base: 0,
            batch,
        }
    }

    /// Encodes one frame. Nothing is buffered if the encoder refuses the payload.
    #[inline]
    pub(crate) fn push(&mut self, payload: &[u8]) -> Result<Push, EncodeError> {
        if payload.len() >= DIRECT_MIN {
            return Ok(Push::Direct(self.encoder.encode_parts(payload)?));
        }
        self.push_small(payload)?;
        Ok(Push::Buffered)
    }

    /// Copies a frame shorter than [`DIRECT_MIN`] into the batch.
    #[inline]
    pub(crate) fn push_small(&mut self, payload: &[u8]) -> Result<(), EncodeError> {
        debug_assert!(payload.len() < DIRECT_MIN);
        // Room for any header and trailer, and the 16-byte copy of a short header (which
        // writes 16 bytes before it truncates): the encoder's own `reserve` then never grows
        // the buffer.
        let need = Parts::MAX_LEN + 16 + payload.len();
        if self.buf.capacity() - self.buf.len() < need {
            self.make_room(need);
        }
        self.encoder.encode_into_vec(payload, &mut self.buf)
    }

    /// Room for `need` more bytes: written bytes are dropped first, then the buffer doubles
    /// (from [`FIRST_ALLOC`]) until it holds the high-water mark and a frame.
    #[cold]
    fn make_room(&mut self, need: usize) {
        self.compact();
        if self.buf.capacity() - self.buf.len() >= need {
            return;
        }
        let want = self.buf.len() + need;
        let roomy = (self.buf.capacity() * 2)
            .max(FIRST_ALLOC)
            .min(self.batch.min(64 * 1024) + DIRECT_MIN + need);
        self.buf.reserve_exact(want.max(roomy) - self.buf.len());
    }
}

impl<E> WriteBuf<E> {
    /// The batched bytes not yet written.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// How many batched bytes are not yet written.
    #[inline]
    pub(crate) fn pending_len(&self) -> usize {
        self.buf.len() - self.head
    }

    /// The batch-stream offset of the first byte not yet written.
    pub(crate) fn front(&self) -> u64 {
        self.base + self.head as u64
    }

    /// The batch-stream offset after the last byte appended.
    pub(crate) fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// The unwritten batch bytes from offset `from` (at least [`front`](Self::front)) to `to`.
    pub(crate) fn range(&self, from: u64, to: u64) -> &[u8] {
        &self.buf[(from - self.base) as usize..(to - self.base) as usize]
    }

    /// Appends bytes already encoded (the rest of a large frame cut at a page boundary).
    pub(crate) fn extend_raw(&mut self, bytes: &[u8]) {
        if self.buf.capacity() - self.buf.len() < bytes.len() {
            self.compact();
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Drops the first `n` unwritten bytes, once written.
    pub(crate) fn consume(&mut self, n: usize) {
        self.head += n;
        debug_assert!(self.head <= self.buf.len());
        if self.head >= self.buf.len() {
            self.base += self.buf.len() as u64;
            self.buf.clear();
            self.head = 0;
        }
    }

    /// Moves the unwritten bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.head > 0 {
            self.buf.drain(..self.head);
            self.base += self.head as u64;
            self.head = 0;
        }
    }

    /// The buffer's allocation in bytes.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    pub(crate) fn encoder(&self) -> &E {
        &self.encoder
    }

    pub(crate) fn encoder_mut(&mut self) -> &mut E {
        &mut self.encoder
    }
}
