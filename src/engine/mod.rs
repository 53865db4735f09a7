//! The private buffering engine every flavour calls: read-ahead and frame extraction
//! ([`ReadBuf`]), write batching and vectored writes ([`WriteBuf`] inside [`Outbox`], which also
//! keeps a large frame in flight and poisons itself after a write error). No I/O happens here:
//! the flavours pass closures that read or write once, the engine owns the bytes and the loops.
//! The blocking flavour passes closures that are always `Ready`.

mod outbox;
mod read;
mod write;

pub(crate) use outbox::{Mode, Outbox, Pushed, Until};

pub(crate) use read::ReadBuf;
use write::{Push, WriteBuf};

/// Default read buffer size and write batch threshold: 64 KiB, the Linux pipe capacity.
pub(crate) const DEFAULT_BUF: usize = 64 * 1024;
