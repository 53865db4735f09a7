//! Native message mode: transports whose reads and writes are already frames, with no codec
//! bytes on the wire. Windows calls this `PipeTransmissionMode.Message`; Linux offers two such
//! channels, and pipeframe makes them a framing choice like `lines` or `lp32le` (see
//! [`frame_io::Mode`](crate::frame_io::Mode)).
//!
//! | transport | a message is | size limit (default, how to raise) | empty message |
//! | --- | --- | --- | --- |
//! | `SeqpacketStream` (`AF_UNIX`, `SOCK_SEQPACKET`) | one `send` | `SO_SNDBUF - 32` = 212,960 bytes by default; `SeqpacketStream::try_with_max_frame_len` grows `SO_SNDBUF` up to `net.core.wmem_max` | refused (reads as end of stream) |
//! | `packet_pipe` (`pipe2(O_DIRECT)`, Linux 3.4+) | one `write` of at most `PIPE_BUF` bytes | 4096 bytes, fixed; the pipe holds as many packets as `fs.pipe-max-size` allows (256 by default; 16 where the kernel refuses), `PacketWriter::set_capacity` | refused (makes no packet) |
//!
//! Both kinds keep boundaries in the kernel: a read returns exactly one message, whole. What
//! pipeframe adds is that nothing is ever cut or split silently: a message is sized before it
//! is received, a frame that cannot be sent as one message is refused before any byte goes
//! out, and every limit is an error that names the size and the limit.
//!
//! The blocking types here implement [`ReadFrame`](crate::frame_io::ReadFrame) and
//! [`WriteFrame`](crate::frame_io::WriteFrame), like the codec flavour's readers and
//! writers. The async types (`tokio` and `futures_io` submodules) are
//! `Stream<Item = io::Result<Bytes>>` + `Sink<Bytes>`, like a codec-framed stream.
//!
//! # Platforms
//!
//! Seqpacket sockets and packet pipes are Unix concepts, so these types exist on every Unix
//! and on nothing else. They work on Linux; on other Unixes (macOS has no `AF_UNIX`
//! `SOCK_SEQPACKET`, and no platform but Linux has packet pipes) every constructor, and the
//! `TryFrom<OwnedFd>` adoptions, return [`io::ErrorKind::Unsupported`](std::io::ErrorKind::Unsupported)
//! with a message saying so. The async submodules follow the blocking types.
//!
//! # Example
//!
//! ```
//! # #[cfg(target_os = "linux")] {
//! use pipeframe::message::{SeqpacketStream, packet_pipe};
//!
//! let (mut a, mut b) = SeqpacketStream::pair()?;
//! a.write_frame(b"one")?;
//! a.write_frame(&vec![7; 100_000])?; // one message, received whole
//! assert_eq!(b.read_frame()?.as_deref(), Some(&b"one"[..]));
//! assert_eq!(b.read_frame()?.map(|m| m.len()), Some(100_000));
//! assert!(a.write_frame(b"").is_err()); // empty messages are refused
//! drop(a);
//! assert_eq!(b.read_frame()?, None); // the peer closed
//!
//! let (mut rx, tx) = packet_pipe()?;
//! tx.write_frame(b"packet")?;
//! assert!(tx.write_frame(&[0; 4097]).is_err()); // over PIPE_BUF: refused, nothing written
//! drop(tx);
//! assert_eq!(rx.read_frame()?.as_deref(), Some(&b"packet"[..]));
//! assert_eq!(rx.read_frame()?, None);
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```

// The reassembly rules of message pipes whose reads return parts of messages (Windows);
// compiled elsewhere too for its tests and the fuzz target.
#[cfg(any(windows, test, fuzzing))]
pub(crate) mod assemble;
#[cfg(unix)]
mod packet_pipe;
#[cfg(unix)]
mod seqpacket;
#[cfg(windows)]
mod windows;
#[cfg(all(windows, any(feature = "tokio", feature = "futures-io")))]
mod windows_runtime;
#[cfg(windows)]
pub use windows::{DEFAULT_MAX_MESSAGE, MessagePipe};
#[cfg(all(windows, any(feature = "tokio", feature = "futures-io")))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub use windows_runtime::AsyncMessagePipe;
// The OS layer these types call; it lives with every other system call, under `crate::sys`.
#[cfg(unix)]
pub(crate) use crate::sys::unix::message as sys;

#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures_io;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;

#[cfg(all(any(feature = "tokio", feature = "futures-io"), unix))]
mod runtime;
#[cfg(all(any(feature = "tokio", feature = "futures-io"), unix))]
#[cfg_attr(
    docsrs,
    doc(cfg(all(any(feature = "tokio", feature = "futures-io"), unix)))
)]
pub use runtime::{
    AsyncPacketReader, AsyncPacketWriter, AsyncSeqpacketListener, AsyncSeqpacketStream,
    async_packet_pipe,
};

#[cfg(unix)]
pub use packet_pipe::{PacketReader, PacketWriter, packet_pipe};
#[cfg(unix)]
pub use seqpacket::{SeqpacketListener, SeqpacketStream};

#[cfg(unix)]
pub use sys::PIPE_BUF;
