//! The private buffering engine every flavour calls: read-ahead and frame extraction
//! ([`ReadBuf`]), write batching and vectored writes ([`WriteBuf`]). No I/O happens here: the
//! flavours own the reads and writes, the engine owns the bytes.

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod outbox;
mod read;
mod write;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) use outbox::{Outbox, Until};

pub(crate) use read::ReadBuf;
pub(crate) use write::{Push, WriteBuf};

/// Default read buffer size and write batch threshold: 64 KiB, the Linux pipe capacity.
pub(crate) const DEFAULT_BUF: usize = 64 * 1024;
