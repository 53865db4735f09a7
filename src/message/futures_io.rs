//! Message mode on smol / async-io (feature `futures-io`): seqpacket sockets and packet
//! pipes (Linux), and message-mode named pipes (Windows), as
//! [`Stream`](futures_core::Stream)`<Item = io::Result<Bytes>>` +
//! [`Sink`](futures_sink::Sink)`<Bytes>`, the same shape as the codec flavour's framed
//! streams, so async code does not change when the framing does. No tokio involved.
//!
//! On Unix the descriptors are set non-blocking and registered with async-io's reactor
//! (`async_io::Async`), so they work under any executor (smol,
//! `futures_lite::future::block_on`). On Windows the pipes use overlapped I/O.
//!
//! # Cancellation safety
//!
//! On Unix every operation is one system call (receiving: sizing, then receiving, within one poll),
//! so dropping a future or stopping to poll never leaves half a message behind:
//!
//! * `SeqpacketStream::read_frame` / `PacketReader::read_frame` and `Stream::poll_next` are
//!   cancellation safe: a message is either returned or still queued in the kernel, never
//!   half consumed.
//! * `SeqpacketStream::write_frame` / `PacketWriter::write_frame` are cancellation safe: a message is
//!   sent whole or not at all.
//! * As a `Sink`, an item accepted by `start_send` waits in a one-message slot until
//!   `poll_ready`, `poll_flush` or `poll_close` sends it (whole); dropping the sink with an
//!   item in the slot drops that item unsent, as with any buffered sink.
//!
//! On Windows `MessagePipe` keeps a message being read (the read in flight and the bytes so
//! far) between polls, so its reads are cancellation safe too; see
//! `message::AsyncMessagePipe`.
//!
//! ```
//! # #[cfg(target_os = "linux")] {
//! use futures_lite::StreamExt;
//! use pipeframe::message::futures_io::SeqpacketStream;
//!
//! futures_lite::future::block_on(async {
//!     let (mut a, mut b) = SeqpacketStream::pair()?;
//!     a.write_frame(b"ping").await?;
//!     assert_eq!(b.next().await.transpose()?.as_deref(), Some(&b"ping"[..]));
//!     drop(a);
//!     assert!(b.next().await.is_none()); // the peer closed: end of stream
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! These are the runtime-generic types of [`message`](super) (written once, see
//! [`rt`](crate::rt)) on async-io.

#[cfg(unix)]
use std::io;

use crate::rt::AsyncIo;

#[cfg(unix)]
/// A listening seqpacket socket on async-io; see [`super::SeqpacketListener`].
pub type SeqpacketListener = super::AsyncSeqpacketListener<AsyncIo>;

#[cfg(unix)]
/// One end of a seqpacket connection on async-io: a `Stream` of whole messages and a `Sink` of
/// messages; see [`super::AsyncSeqpacketStream`].
pub type SeqpacketStream = super::AsyncSeqpacketStream<AsyncIo>;

#[cfg(unix)]
/// The read end of a packet pipe on async-io: a `Stream` of whole packets.
pub type PacketReader = super::AsyncPacketReader<AsyncIo>;

#[cfg(unix)]
/// The write end of a packet pipe on async-io: a `Sink` of packets of 1 to
/// [`PIPE_BUF`](super::PIPE_BUF) bytes.
pub type PacketWriter = super::AsyncPacketWriter<AsyncIo>;

#[cfg(unix)]
/// Creates a [packet pipe](super::packet_pipe) registered with async-io.
pub fn packet_pipe() -> io::Result<(PacketReader, PacketWriter)> {
    super::async_packet_pipe::<AsyncIo>()
}

/// A message-mode named pipe connection on async-io (Windows): a `Stream` of whole messages and a
/// `Sink` of messages; see [`super::AsyncMessagePipe`].
#[cfg(windows)]
pub type MessagePipe = super::AsyncMessagePipe<AsyncIo>;
