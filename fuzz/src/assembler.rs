//! The assembler target: the Windows message reassembly rules (`message/assemble.rs`:
//! `MessageReader` with its `Assembler`, reached through `pipeframe::__fuzzing`, which
//! exists under `--cfg fuzzing` only) against a model of a Windows message-mode pipe.
//!
//! # The model
//!
//! The pipe holds a script of messages. A read of `n` bytes returns `min(n, left)` bytes of
//! the message at its head, saying whether the message goes on (`ERROR_MORE_DATA`): in
//! message mode a read never returns fewer bytes than asked, except the message's end. The
//! pipe says how much of the head message is left (`PeekNamedPipe`) exactly, or not at all.
//! A read may be `Pending`: the read is then in flight with the size it was started with,
//! and the next call collects it, whatever size that call asks for (overlapped I/O). Kept
//! bytes are appended to the reader's buffer as the system's two readers do: by
//! `Vec::reserve(n)` and a fill (the blocking `ReadFile` into spare capacity) or by
//! `extend_from_slice` (the overlapped reader's copy out of its own buffer). After the last
//! message the pipe is closed (end of stream at a boundary); or, with the cut flag, it
//! closes inside the last message once a read has passed a given byte of it.
//!
//! # Input layout
//!
//! ```text
//! +-----+-------+-----+---+--------------------+--------------------------+
//! | max | flags | cut | n | reads (n % 32 B)   | messages (3 B each)      |
//! +-----+-------+-----+---+--------------------+--------------------------+
//! ```
//!
//! * `max`: the maximum message length ([`max_from`]): 0 to 47, `2048 k + 1`, around the
//!   64 KiB read chunk, twice it, the 16 MiB default, `u32::MAX`, `usize::MAX`.
//! * `flags`: bit 0 kept bytes are appended with `extend_from_slice` (else `reserve` and a
//!   fill); bit 1 blocking (`read_blocking`, no `Pending`); bit 2 the pipe closes inside the
//!   last message, after the read that passes its byte `len * cut / 256` (0: before its
//!   first byte, which is an end at a boundary).
//! * reads: per read, `b % 4 == 3` is `Pending` (then the next read collects it), bit 2
//!   `left_in_message` says nothing (else it is exact); after the script its hints repeat,
//!   without `Pending`s (exact hints if the script is empty).
//! * messages `[a, p, m]`: the length from `a % 8` and `p` ([`message_len`]: 0, up to 7,
//!   the maximum - 2 to + 2, `16 p`, the read chunk - 4 to + 3, `4096 p`, twice the maximum
//!   and a little, `p`), at most 2 MiB, 8 MiB in all; `a & 8`: the maximum is set to
//!   `max_from(m)` (`set_max_len`) before this message is read.
//!
//! # Invariants
//!
//! * every message within the maximum arrives exactly once, whole and in order;
//! * a longer one is `DecodeError::MessageTooLong { len, max }` with its exact length, and
//!   the next message is intact;
//! * end of stream at a boundary is `Ok(None)`, on every later call too; inside a message it
//!   is `DecodeError::Truncated { missing: RestOfMessage, buffered }` (`UnexpectedEof`),
//!   `buffered` the exact count of the message's bytes read, then `Ok(None)`;
//! * each read asks for at least one byte; a kept read asks for at most the room left under
//!   the maximum, and bytes are kept exactly while the message is within it; a read is
//!   thrown away only once the message is known to be over the maximum; a `Pending` read is
//!   collected by the very next read call, with the same keep-or-discard choice;
//! * the reader is `Pending` exactly when the pipe was;
//! * bounded memory: `MessageReader::capacity()` after every call, and the capacity of each
//!   message handed out, stay within the maximum plus one read chunk, and within twice the
//!   message's bytes read plus a chunk (memory grows with the bytes that came, never with
//!   the bytes a maximum allows); the counting allocator's peak, which also sees the buffer
//!   of a message discarded inside one call, stays within that plus 16 KiB.

/// The read size the reassembly rules use when the pipe gives no hint (`READ_CHUNK`, which
/// the check compares with this).
pub const READ_CHUNK: usize = 64 * 1024;

/// The Windows message pipes' default maximum (`message::DEFAULT_MAX_MESSAGE`).
pub const DEFAULT_MAX: usize = 16 * 1024 * 1024;

/// The longest message an input carries.
pub const MSG_MAX: usize = 2 << 20;

/// The message bytes of one input are capped at this (messages past it are left out).
pub const TOTAL_MAX: usize = 8 << 20;

/// Bytes before the read script.
pub const HEAD: usize = 4;

/// Flag bits.
pub mod flag {
    /// Kept bytes are appended with `extend_from_slice` (the overlapped reader).
    pub const EXTEND: u8 = 1;
    /// Blocking reads (`read_blocking`), no `Pending`.
    pub const BLOCKING: u8 = 2;
    /// The pipe closes inside the last message.
    pub const CUT: u8 = 4;
}

/// A read-script byte: `Pending`.
pub const PENDING: u8 = 3;
/// A read-script bit: `left_in_message` says nothing.
pub const NO_HINT: u8 = 4;
/// A message flag (in `a`): set the maximum first.
pub const SET_MAX: u8 = 8;

/// The maximum a byte stands for (see the module docs).
pub fn max_from(b: u8) -> usize {
    match b {
        0..=127 => b as usize % 48,
        128..=191 => (b as usize - 128) * 2048 + 1,
        192..=250 => READ_CHUNK - 29 + (b as usize - 192),
        251 => 2 * READ_CHUNK,
        252 => 2 * READ_CHUNK + 1,
        253 => DEFAULT_MAX,
        254 => u32::MAX as usize,
        255 => usize::MAX,
    }
}

/// A message's length from its class `a % 8`, parameter `p` and the maximum in force.
pub fn message_len(a: u8, p: u8, max: usize) -> usize {
    let p = p as usize;
    let len = match a % 8 {
        0 => 0,
        1 => p % 8,
        2 => max.saturating_add(p % 5).saturating_sub(2),
        3 => p * 16,
        4 => READ_CHUNK + p % 8 - 4,
        5 => p * 4096,
        6 => max.saturating_mul(2).saturating_add(p % 3),
        _ => p,
    };
    len.min(MSG_MAX)
}

/// Builds an assembler input (for the seed generator).
pub fn build(max: u8, flags: u8, cut: u8, reads: &[u8], msgs: &[[u8; 3]]) -> Vec<u8> {
    assert!(reads.len() < 32);
    let mut v = vec![max, flags, cut, reads.len() as u8];
    v.extend_from_slice(reads);
    for m in msgs {
        v.extend_from_slice(m);
    }
    v
}

#[cfg(fuzzing)]
pub use model::check_assembler;

#[cfg(fuzzing)]
mod model {
    use std::io;
    use std::ops::Range;
    use std::task::{Context, Poll, Waker};

    use pipeframe::__fuzzing::{MessageReader, Piece, PieceSource};
    use pipeframe::codec::{DecodeError, Missing};

    use super::*;
    use crate::invariants::{MemProbe, check_mem};

    /// One message of the script.
    #[derive(Debug)]
    struct Msg {
        range: Range<usize>,
        /// The maximum to set before reading it.
        set_max: Option<usize>,
    }

    /// The parsed input.
    #[derive(Debug)]
    struct Plan<'a> {
        max: usize,
        extend: bool,
        blocking: bool,
        /// The byte of the last message the pipe closes after (see the module docs).
        cut: Option<usize>,
        reads: &'a [u8],
        msgs: Vec<Msg>,
        data: Vec<u8>,
    }

    impl<'a> Plan<'a> {
        fn parse(input: &'a [u8]) -> Option<Plan<'a>> {
            if input.len() < HEAD {
                return None;
            }
            let n = (input[3] as usize % 32).min(input.len() - HEAD);
            let reads = &input[HEAD..HEAD + n];
            let mut plan = Plan {
                max: max_from(input[0]),
                extend: input[1] & flag::EXTEND != 0,
                blocking: input[1] & flag::BLOCKING != 0,
                cut: None,
                reads,
                msgs: Vec::new(),
                data: Vec::new(),
            };
            let mut max = plan.max;
            for m in input[HEAD + n..].chunks_exact(3) {
                let set_max = (m[0] & SET_MAX != 0).then(|| max_from(m[2]));
                max = set_max.unwrap_or(max);
                let len = message_len(m[0], m[1], max);
                if plan.data.len() + len > TOTAL_MAX {
                    break;
                }
                let i = plan.msgs.len();
                let start = plan.data.len();
                // Message `i`: its index in the first bytes, then a pattern shifted by it.
                let mut id = i;
                for _ in 0..len.min(3) {
                    plan.data.push((id % 251) as u8);
                    id /= 251;
                }
                let mut j = 3;
                while j < len {
                    let off = (i * 31 + j) % 256;
                    let k = (256 - off).min(len - j);
                    plan.data.extend((off..off + k).map(|b| b as u8));
                    j += k;
                }
                plan.msgs.push(Msg {
                    range: start..plan.data.len(),
                    set_max,
                });
            }
            if input[1] & flag::CUT != 0 {
                let last = plan.msgs.last()?;
                plan.cut = Some(last.range.len() * input[2] as usize / 256);
            }
            Some(plan)
        }
    }

    /// The fake message pipe.
    #[derive(Debug)]
    struct Pipe<'a> {
        plan: &'a Plan<'a>,
        /// The message at the head.
        head: usize,
        /// Bytes of it read so far.
        pos: usize,
        /// The maximum the reader was given for the head message.
        max: usize,
        /// The next read-script operation.
        next: usize,
        /// A read in flight: the size it was started with and whether it keeps its bytes.
        in_flight: Option<(usize, bool)>,
        /// The pipe closed inside the last message.
        closed: bool,
        /// Bytes of the last message read when the pipe closed inside it.
        truncated_at: Option<usize>,
        /// `Pending`s returned.
        stalls: usize,
        /// Read calls.
        calls: usize,
    }

    impl Pipe<'_> {
        fn op(&self) -> u8 {
            let reads = self.plan.reads;
            match reads.get(self.next) {
                Some(&b) if !self.plan.blocking => b,
                Some(&b) => b & NO_HINT,
                None if reads.is_empty() => 0,
                None => reads[(self.next - reads.len()) % reads.len()] & NO_HINT,
            }
        }

        fn head_len(&self) -> Option<usize> {
            if self.closed {
                return None;
            }
            self.plan.msgs.get(self.head).map(|m| m.range.len())
        }
    }

    impl PieceSource for Pipe<'_> {
        fn poll_piece(
            &mut self,
            cx: &mut Context<'_>,
            n: usize,
            keep: Option<&mut Vec<u8>>,
        ) -> Poll<io::Result<Piece>> {
            self.calls += 1;
            let op = self.op();
            self.next += 1;
            if let Some((_, kept)) = self.in_flight {
                assert_eq!(
                    kept,
                    keep.is_some(),
                    "a Pending read was resumed with the other keep-or-discard choice"
                );
            } else {
                assert!(n >= 1, "a read of 0 bytes (message mode would loop)");
            }
            if op % 4 == PENDING {
                assert!(!self.plan.blocking);
                self.in_flight.get_or_insert((n, keep.is_some()));
                self.stalls += 1;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            // The read in flight completes with the size it was started with.
            let n = self.in_flight.take().map_or(n, |(n, _)| n);
            let Some(len) = self.head_len() else {
                if self.closed && self.pos > 0 && self.truncated_at.is_none() {
                    self.truncated_at = Some(self.pos);
                }
                return Poll::Ready(Ok(Piece::Eof));
            };
            let msg = &self.plan.msgs[self.head];
            match &keep {
                Some(k) => {
                    assert_eq!(k.len(), self.pos, "bytes of the message were not kept");
                    assert!(
                        self.pos + n <= self.max,
                        "a kept read of {n} bytes at {} asks past the maximum of {}",
                        self.pos,
                        self.max
                    );
                }
                None => assert!(
                    self.pos >= self.max,
                    "bytes thrown away at {} of a message with a maximum of {}",
                    self.pos,
                    self.max
                ),
            }
            let take = n.min(len - self.pos);
            let bytes = &self.plan.data[msg.range.start + self.pos..][..take];
            if let Some(k) = keep {
                if self.plan.extend {
                    k.extend_from_slice(bytes);
                } else {
                    k.reserve(n);
                    k.extend_from_slice(bytes);
                }
            }
            self.pos += take;
            let more = self.pos < len;
            let last = self.head + 1 == self.plan.msgs.len();
            if more {
                if let (true, Some(c)) = (last, self.plan.cut)
                    && self.pos > c
                {
                    self.closed = true;
                }
            } else {
                self.head += 1;
                self.pos = 0;
            }
            Poll::Ready(Ok(Piece::Bytes { n: take, more }))
        }

        fn left_in_message(&self) -> Option<usize> {
            if self.op() & NO_HINT != 0 {
                return None;
            }
            // Exact (0 for an empty message); `PeekNamedPipe` fails on a closed pipe.
            self.head_len().map(|len| len - self.pos)
        }
    }

    /// The memory a message of which `read` bytes are read may hold: about the maximum plus
    /// one read chunk, and never more than twice its bytes read plus a chunk (room to grow
    /// a buffer geometrically, but only with the bytes that came).
    fn room(max: usize, read: usize) -> usize {
        let grown = read.saturating_add(READ_CHUNK).saturating_mul(2);
        max.saturating_add(READ_CHUNK).min(grown)
    }

    /// One `poll_read` (or `read_blocking`) to completion, checking the memory held after
    /// every call and counting `Pending`s.
    fn read(
        r: &mut MessageReader,
        pipe: &mut Pipe<'_>,
        pending: &mut usize,
    ) -> io::Result<Option<Vec<u8>>> {
        if pipe.plan.blocking {
            let got = r.read_blocking(pipe);
            check_capacity(r, pipe);
            return got;
        }
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            let p = r.poll_read(pipe, &mut cx);
            check_capacity(r, pipe);
            match p {
                Poll::Ready(got) => return got,
                Poll::Pending => {
                    *pending += 1;
                    assert!(
                        *pending <= pipe.stalls,
                        "the reader is Pending, its pipe was not"
                    );
                }
            }
        }
    }

    fn check_capacity(r: &MessageReader, pipe: &Pipe<'_>) {
        let bound = room(pipe.max, pipe.pos);
        assert!(
            r.capacity() <= bound,
            "the reader holds {} bytes for a message of which {} are read (maximum {}): over {bound}",
            r.capacity(),
            pipe.pos,
            pipe.max
        );
    }

    /// Checks one input against the model (see the module docs).
    pub fn check_assembler(data: &[u8], probe: &dyn MemProbe) {
        assert_eq!(READ_CHUNK, pipeframe::__fuzzing::READ_CHUNK);
        let Some(plan) = Plan::parse(data) else {
            return;
        };
        let mut pipe = Pipe {
            plan: &plan,
            head: 0,
            pos: 0,
            max: plan.max,
            next: 0,
            in_flight: None,
            closed: false,
            truncated_at: None,
            stalls: 0,
            calls: 0,
        };
        // The largest room any message may need, for the allocator's bound.
        let mut peak_room = 0;
        let mut max = plan.max;
        for m in &plan.msgs {
            max = m.set_max.unwrap_or(max);
            peak_room = peak_room.max(room(max, m.range.len()));
        }
        let mut pending = 0;
        probe.start();
        let mut r = MessageReader::new(plan.max);
        assert_eq!(r.max_len(), plan.max);
        for (i, m) in plan.msgs.iter().enumerate() {
            if let Some(max) = m.set_max {
                r.set_max_len(max);
                pipe.max = max;
            }
            let last = i + 1 == plan.msgs.len();
            if last && plan.cut == Some(0) {
                // The pipe closed before the last message: an end at a boundary.
                pipe.closed = true;
                break;
            }
            let len = m.range.len();
            let got = read(&mut r, &mut pipe, &mut pending);
            if let Some(buffered) = pipe.truncated_at {
                assert!(last);
                let e = got.expect_err("the pipe closed inside a message: not an error");
                assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
                assert_eq!(
                    DecodeError::from_io(&e),
                    Some(DecodeError::Truncated {
                        buffered,
                        missing: Missing::RestOfMessage
                    }),
                    "message {i} ({len} bytes) cut after {buffered}: {e}"
                );
                break;
            }
            if len <= pipe.max {
                let msg = match got {
                    Ok(Some(msg)) => msg,
                    other => panic!("message {i} ({len} bytes, maximum {}): {other:?}", pipe.max),
                };
                assert!(
                    msg[..] == plan.data[m.range.clone()],
                    "message {i} ({len} bytes) is not the message sent ({} bytes)",
                    msg.len()
                );
                let bound = room(pipe.max, len);
                assert!(
                    msg.capacity() <= bound,
                    "message {i} ({len} bytes, maximum {}) holds {} bytes: over {bound}",
                    pipe.max,
                    msg.capacity()
                );
            } else {
                let e = match got {
                    Err(e) => e,
                    Ok(m) => panic!(
                        "message {i} of {len} bytes over the maximum {}: {:?}",
                        pipe.max,
                        m.map(|m| m.len())
                    ),
                };
                assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
                assert_eq!(
                    DecodeError::from_io(&e),
                    Some(DecodeError::MessageTooLong { len, max: pipe.max }),
                    "message {i}: {e}"
                );
            }
            assert_eq!(pipe.head, i + 1, "message {i} was not read to its end");
            assert_eq!(pipe.pos, 0);
        }
        // The end, and it stays the end.
        for k in 0..2 {
            let got = read(&mut r, &mut pipe, &mut pending);
            assert!(
                matches!(got, Ok(None)),
                "call {k} after the end: {:?}",
                got.map(|m| m.map(|m| m.len()))
            );
        }
        assert_eq!(pending, pipe.stalls, "Pending polls != the pipe's Pendings");
        assert!(
            pipe.in_flight.is_none(),
            "a Pending read was never collected"
        );
        drop(r);
        check_mem(probe, 0, 0, peak_room, "MessageReader");
    }
}
