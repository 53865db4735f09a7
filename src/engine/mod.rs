//! The private buffering engine every flavour calls: read-ahead and frame extraction
//! ([`ReadBuf`]), write batching and vectored writes ([`WriteBuf`]). No I/O happens here: the
//! flavours own the reads and writes, the engine owns the bytes.

mod read;
mod write;

pub(crate) use read::ReadBuf;
#[allow(unused_imports)]
pub(crate) use write::{Push, WriteBuf};

/// Default read buffer size and write batch threshold: 64 KiB, the Linux pipe capacity.
pub(crate) const DEFAULT_BUF: usize = 64 * 1024;
