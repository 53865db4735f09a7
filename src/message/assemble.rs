//! Reassembling native messages from reads that each return part of one (Windows message-mode
//! pipes: `ReadFile` fills its buffer and reports `ERROR_MORE_DATA` while the message goes
//! on), with a maximum: sans-IO, so the rules are written once for the blocking and the
//! overlapped reader and can be tested and fuzzed on any OS.
//!
//! The rules (SPEC.md §9.6):
//!
//! * A message is delivered whole or not at all: never split, never truncated.
//! * Memory grows with the bytes of the message read, never past the maximum: each read asks
//!   for at most the room left under it.
//! * A message longer than the maximum is read to its end, thrown away, and reported as
//!   [`DecodeError::MessageTooLong`] naming its length; the next read returns the next message.
//! * End of stream at a message boundary is the end (`None`); inside a message it is
//!   [`DecodeError::Truncated`] with [`Missing::RestOfMessage`].
//! * An empty message is a message (Windows tells it from the end of the stream).
// `pub` items in a private module: the fuzz target reaches them through `crate::__fuzzing`
// (compiled with `--cfg fuzzing` only); everywhere else they are crate-private in effect.
#![allow(unreachable_pub)]
// Off Windows only the tests and the fuzz target use it.
#![cfg_attr(not(windows), allow(dead_code))]

use std::io;
use std::task::{Context, Poll, ready};

use crate::error::{DecodeError, Missing};

/// How much a read asks for when the pipe does not say how much of the message is left.
pub const READ_CHUNK: usize = 64 * 1024;

/// What one read of a message pipe returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// `n` bytes of the message at the head of the pipe; `more`: the message goes on
    /// (`ERROR_MORE_DATA`), else this read ended it.
    Bytes {
        /// Bytes read.
        n: usize,
        /// Whether the message goes on past them.
        more: bool,
    },
    /// The other end closed: no more messages.
    Eof,
}

/// What the next read does with what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read up to this many bytes and keep them (they are part of the message).
    Keep(usize),
    /// Read up to this many bytes and throw them away (the message is over the maximum).
    Discard(usize),
}

/// What a read came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The message goes on: read again.
    Again,
    /// The message is whole: the kept bytes are it.
    Message,
    /// End of stream at a message boundary.
    End,
}

/// The state of one message being read: how many of its bytes have been read so far.
#[derive(Debug, Clone)]
pub struct Assembler {
    max: usize,
    seen: usize,
    started: bool,
}

impl Assembler {
    /// Messages of at most `max` bytes are kept.
    pub fn new(max: usize) -> Assembler {
        Assembler {
            max,
            seen: 0,
            started: false,
        }
    }

    /// The maximum message length.
    pub fn max_len(&self) -> usize {
        self.max
    }

    /// Whether the message being read is over the maximum (its rest is being thrown away).
    fn discarding(&self) -> bool {
        // `seen == max` with the message still going (it was read, and did not end) means it
        // is longer than the maximum; before the first read only `max == 0` says so (an empty
        // message is still allowed then, and a discarding read of it ends it).
        self.seen > self.max || (self.seen == self.max && (self.started || self.max == 0))
    }

    /// What the next read does, given what the pipe says is left of the message at its head
    /// (`PeekNamedPipe`), if it says. A kept read asks for at most the room left under the
    /// maximum and at most as much as was read so far (one chunk to begin with): memory grows
    /// with the bytes that arrived, never with a size announced, so a message costs at most
    /// twice its length plus a chunk whatever the pipe says is left.
    pub fn next(&self, left: Option<usize>) -> Next {
        let hint = left.filter(|&l| l > 0).unwrap_or(READ_CHUNK);
        if self.discarding() {
            Next::Discard(hint.clamp(1, READ_CHUNK))
        } else {
            let grown = self.seen.max(READ_CHUNK);
            Next::Keep(hint.min(self.max - self.seen).min(grown).max(1))
        }
    }

    /// Records what a read returned. An error ends the message (the kept bytes are to be
    /// dropped). When a message ends, either way, the assembler is ready for the next one.
    pub fn record(&mut self, piece: Piece) -> Result<Step, DecodeError> {
        match piece {
            Piece::Bytes { n, more } => {
                self.started = true;
                self.seen = self.seen.saturating_add(n);
                if more {
                    return Ok(Step::Again);
                }
                let len = std::mem::take(&mut self.seen);
                self.started = false;
                if len > self.max {
                    return Err(DecodeError::MessageTooLong { len, max: self.max });
                }
                Ok(Step::Message)
            }
            Piece::Eof if !self.started => Ok(Step::End),
            Piece::Eof => {
                let buffered = std::mem::take(&mut self.seen);
                self.started = false;
                Err(DecodeError::Truncated {
                    buffered,
                    missing: Missing::RestOfMessage,
                })
            }
        }
    }
}

/// A pipe whose reads return parts of messages: what [`MessageReader`] reads from.
pub trait PieceSource {
    /// Reads up to `n` bytes of the message at the head of the pipe and appends them to
    /// `keep`, or throws them away when `keep` is `None`. A read that returned `Pending`
    /// must be continued by the next call (whose `n` may differ: the read already started
    /// counts), so that nothing is lost when a caller stops polling.
    fn poll_piece(
        &mut self,
        cx: &mut Context<'_>,
        n: usize,
        keep: Option<&mut Vec<u8>>,
    ) -> Poll<io::Result<Piece>>;

    /// How many bytes of the message at the head of the pipe are left, if the system says.
    fn left_in_message(&self) -> Option<usize>;
}

/// Reads whole messages from a [`PieceSource`] with an [`Assembler`]'s rules. It keeps the
/// message being read between polls, so a caller that stops polling loses nothing.
#[derive(Debug, Clone)]
pub struct MessageReader {
    asm: Assembler,
    msg: Vec<u8>,
    eof: bool,
}

impl MessageReader {
    /// Messages of at most `max` bytes are delivered.
    pub fn new(max: usize) -> MessageReader {
        MessageReader {
            asm: Assembler::new(max),
            msg: Vec::new(),
            eof: false,
        }
    }

    /// The maximum message length.
    pub fn max_len(&self) -> usize {
        self.asm.max_len()
    }

    /// Sets the maximum (a message being read is held to it from its next read on).
    pub fn set_max_len(&mut self, max: usize) {
        self.asm.max = max;
    }

    /// The capacity held for the message being read.
    #[cfg(any(test, fuzzing))]
    pub fn capacity(&self) -> usize {
        self.msg.capacity()
    }

    /// The next whole message; `Ok(None)` at end of stream (and on every call after it).
    pub fn poll_read<S: PieceSource + ?Sized>(
        &mut self,
        src: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        if self.eof {
            return Poll::Ready(Ok(None));
        }
        loop {
            let piece = match self.asm.next(src.left_in_message()) {
                Next::Keep(n) => {
                    self.reserve(n);
                    ready!(src.poll_piece(cx, n, Some(&mut self.msg)))
                }
                Next::Discard(n) => ready!(src.poll_piece(cx, n, None)),
            };
            let piece = match piece {
                Ok(p) => p,
                Err(e) => {
                    // The read failed: the message's position is unknown; start afresh.
                    self.msg = Vec::new();
                    self.asm = Assembler::new(self.asm.max);
                    return Poll::Ready(Err(e));
                }
            };
            match self.asm.record(piece) {
                Ok(Step::Again) => {}
                Ok(Step::Message) => return Poll::Ready(Ok(Some(std::mem::take(&mut self.msg)))),
                Ok(Step::End) => {
                    self.eof = true;
                    return Poll::Ready(Ok(None));
                }
                Err(e) => {
                    if matches!(e, DecodeError::Truncated { .. }) {
                        self.eof = true;
                    }
                    self.msg = Vec::new();
                    return Poll::Ready(Err(e.into()));
                }
            }
        }
    }

    /// Makes room for a kept read of `n` bytes after the first, exactly: a kept read asks
    /// for at most the room under the maximum and at most what was read so far
    /// (`Assembler::next`), so these reservations grow the buffer geometrically by
    /// themselves, while the source's own append would grow it by doubling, past the
    /// maximum. A read left in flight by an earlier poll was reserved for then, and capacity
    /// never shrinks, so its bytes fit too.
    fn reserve(&mut self, n: usize) {
        // Nothing held yet: the source allocates for the first piece as it reads it, so a
        // reader waiting for a message holds nothing.
        if !self.msg.is_empty() && self.msg.capacity() < self.msg.len() + n {
            self.msg.reserve_exact(n);
        }
    }

    /// [`poll_read`](Self::poll_read) on a source that never returns `Pending` (blocking reads).
    pub fn read_blocking<S: PieceSource + ?Sized>(
        &mut self,
        src: &mut S,
    ) -> io::Result<Option<Vec<u8>>> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.poll_read(src, &mut cx) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::Error::other(
                "a blocking message read returned Pending (a bug in pipeframe)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message pipe in memory: messages, read as a Windows message pipe reads them.
    struct Script {
        msgs: std::collections::VecDeque<Vec<u8>>,
        pos: usize,
        closed_inside: bool,
    }

    impl Script {
        fn new(msgs: &[&[u8]]) -> Script {
            Script {
                msgs: msgs.iter().map(|m| m.to_vec()).collect(),
                pos: 0,
                closed_inside: false,
            }
        }
    }

    impl PieceSource for Script {
        fn poll_piece(
            &mut self,
            _cx: &mut Context<'_>,
            n: usize,
            keep: Option<&mut Vec<u8>>,
        ) -> Poll<io::Result<Piece>> {
            let Some(m) = self.msgs.front() else {
                return Poll::Ready(Ok(Piece::Eof));
            };
            let take = n.min(m.len() - self.pos);
            if let Some(k) = keep {
                k.extend_from_slice(&m[self.pos..self.pos + take]);
            }
            self.pos += take;
            let more = self.pos < m.len();
            if !more {
                self.msgs.pop_front();
                self.pos = 0;
            } else if self.closed_inside && self.msgs.len() == 1 {
                self.msgs.clear();
            }
            Poll::Ready(Ok(Piece::Bytes { n: take, more }))
        }

        fn left_in_message(&self) -> Option<usize> {
            None
        }
    }

    #[test]
    fn asks_for_at_most_the_room_left() {
        let a = Assembler::new(10);
        assert_eq!(a.next(None), Next::Keep(10));
        assert_eq!(a.next(Some(3)), Next::Keep(3));
        let a = Assembler::new(1 << 30);
        assert_eq!(a.next(None), Next::Keep(READ_CHUNK));
        // An announced size is not reserved before the bytes come: a chunk first, then at
        // most what was read so far.
        assert_eq!(a.next(Some(100_000)), Next::Keep(READ_CHUNK));
        assert_eq!(a.next(Some(1000)), Next::Keep(1000));
        let mut a = Assembler::new(1 << 30);
        a.record(Piece::Bytes {
            n: 300_000,
            more: true,
        })
        .unwrap();
        assert_eq!(a.next(Some(10 << 20)), Next::Keep(300_000));
        assert_eq!(Assembler::new(0).next(None), Next::Discard(READ_CHUNK));
    }

    #[test]
    fn oversize_is_discarded_typed_and_the_next_message_is_whole() {
        let big = vec![7; 10];
        let mut src = Script::new(&[&big, b"ok", b"", b"1234"]);
        let mut r = MessageReader::new(4);
        let e = r.read_blocking(&mut src).unwrap_err();
        assert_eq!(
            DecodeError::from_io(&e),
            Some(DecodeError::MessageTooLong { len: 10, max: 4 })
        );
        assert!(r.capacity() <= 4, "{}", r.capacity());
        assert_eq!(r.read_blocking(&mut src).unwrap().unwrap(), b"ok");
        assert_eq!(r.read_blocking(&mut src).unwrap().unwrap(), b"");
        assert_eq!(r.read_blocking(&mut src).unwrap().unwrap(), b"1234");
        assert_eq!(r.read_blocking(&mut src).unwrap(), None);
        assert_eq!(r.read_blocking(&mut src).unwrap(), None);
    }

    /// Found by the fuzz target: a message read in pieces of unknown size grew the buffer by
    /// doubling past the maximum (128 KiB + 1 read as 64 KiB + 64 KiB + 1 held 256 KiB).
    #[test]
    fn pieces_of_unknown_size_hold_at_most_the_maximum() {
        let max = 128 * 1024 + 1;
        let big = vec![3; max];
        let mut src = Script::new(&[&big, b"after"]);
        let mut r = MessageReader::new(max);
        let m = r.read_blocking(&mut src).unwrap().unwrap();
        assert_eq!(m.len(), max);
        assert!(m.capacity() <= max, "{} > {max}", m.capacity());
        assert_eq!(r.read_blocking(&mut src).unwrap().unwrap(), b"after");
    }

    #[test]
    fn end_inside_a_message_is_truncated() {
        let mut src = Script::new(&[b"whole", &[1; 100]]);
        src.closed_inside = true;
        let mut r = MessageReader::new(40);
        assert_eq!(r.read_blocking(&mut src).unwrap().unwrap(), b"whole");
        let e = r.read_blocking(&mut src).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(
            DecodeError::from_io(&e),
            Some(DecodeError::Truncated {
                buffered: 40,
                missing: Missing::RestOfMessage
            })
        );
        assert_eq!(r.read_blocking(&mut src).unwrap(), None);
    }

    #[test]
    fn max_zero_carries_only_empty_messages() {
        let mut src = Script::new(&[b"", b"x", b""]);
        let mut r = MessageReader::new(0);
        assert_eq!(r.read_blocking(&mut src).unwrap().unwrap(), b"");
        let e = r.read_blocking(&mut src).unwrap_err();
        assert_eq!(
            DecodeError::from_io(&e),
            Some(DecodeError::MessageTooLong { len: 1, max: 0 })
        );
        assert_eq!(r.read_blocking(&mut src).unwrap().unwrap(), b"");
    }
}
