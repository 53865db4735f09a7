//! The futures-io flavour (feature `futures-io`): framed reading and writing over any
//! [`futures_io::AsyncRead`] / [`futures_io::AsyncWrite`], for smol and
//! [`async_io::Async`]`<T>` (pipes, Unix sockets, TCP). This feature never pulls in tokio.
//!
//! * [`AsyncFrameReader`]: a [`futures_core::Stream`] of `io::Result<Bytes>`, plus
//!   `read_frame().await`, `read_frame_ref().await` (borrowed) and `read_str().await`.
//! * [`AsyncFrameWriter`]: a [`futures_sink::Sink`]`<Bytes>`, plus `write_frame(&[u8]).await`,
//!   `write_frame_bytes(Bytes).await`, `flush().await`, `close().await`, with a documented high-water mark.
//!
//! Both are the runtime-generic types of [`rt`](crate::rt) on futures-io, and call the same
//! private buffering engine as the blocking [`sync`](crate::sync) flavour,
//! so framing, batching, limits and EOF rules are identical. Each type documents its
//! cancellation safety. For reading and writing one socket from two tasks, give each its own
//! half (`futures_lite::io::split`, or `&Async<T>` from an `Arc`).
//!
//! ```
//! use pipeframe::codec::Delimited;
//! use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};
//!
//! futures_lite::future::block_on(async {
//!     let mut wire = Vec::new();
//!     let mut w = AsyncFrameWriter::new(&mut wire, Delimited::lines());
//!     w.write_frame(b"one").await?;
//!     w.write_frame(b"two").await?;
//!     w.flush().await?;
//!     assert_eq!(wire, b"one\ntwo\n");
//!
//!     let mut r = AsyncFrameReader::new(&wire[..], Delimited::lines());
//!     assert_eq!(r.read_frame_ref().await?, Some(&b"one"[..]));
//!     assert_eq!(r.read_frame().await?.as_deref(), Some(&b"two"[..]));
//!     assert_eq!(r.read_frame().await?, None); // clean end at a frame boundary
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

/// Reads frames from a [`futures_io::AsyncRead`]: the runtime-generic
/// [`rt::AsyncFrameReader`](crate::rt::AsyncFrameReader) on futures-io. See its docs.
pub type AsyncFrameReader<R, D> = crate::rt::AsyncFrameReader<R, D, crate::rt::AsyncIo>;

/// Writes frames to a [`futures_io::AsyncWrite`]: the runtime-generic
/// [`rt::AsyncFrameWriter`](crate::rt::AsyncFrameWriter) on futures-io. See its docs.
pub type AsyncFrameWriter<W, E> = crate::rt::AsyncFrameWriter<W, E, crate::rt::AsyncIo>;

/// The future of [`AsyncFrameWriter::write_frame`] on futures-io.
pub type WriteFrameFuture<'a, W, E> = crate::rt::WriteFrameFuture<'a, W, E, crate::rt::AsyncIo>;

/// The future of [`AsyncFrameWriter::write_frames`] on futures-io.
pub type WriteFramesFuture<'a, W, E, I> =
    crate::rt::WriteFramesFuture<'a, W, E, crate::rt::AsyncIo, I>;
