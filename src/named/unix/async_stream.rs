//! One named pipe connection on an async runtime on Unix (a Unix stream socket), written once
//! over the runtime seam ([`crate::rt`]).
//!
//! Its writes are `sendmsg(MSG_NOSIGNAL)` (Apple: `writev` on a socket with `SO_NOSIGPIPE`),
//! not the `writev` that `tokio::net::UnixStream` and `Async<UnixStream>` do: a peer that is
//! gone is [`io::ErrorKind::BrokenPipe`], never a `SIGPIPE`, even in a process that has the
//! signal at its default disposition (which would kill it).

use std::fmt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::task::{Context, Poll};

use crate::rt::Reactor;
use crate::sys::unix::socket;

use super::PeerCredentials;

/// A connected named pipe (a Unix stream socket) on runtime `Rt`, either side: what
/// [`AsyncListener::accept`](super::AsyncListener::accept) and
/// [`connect_async`](super::connect_async) return. Use the aliases `named::tokio::PipeStream`
/// (tokio's `AsyncRead` + `AsyncWrite`) and `named::futures_io::PipeStream` (futures-io's).
///
/// * Writes never raise `SIGPIPE`: a peer that is gone is `BrokenPipe`.
/// * Shutting the writer down (tokio's `shutdown`, futures-io's `close`) half-closes: the
///   peer reads end of stream and can still reply, and we can still read it.
/// * `&PipeStream` reads and writes too, so one task can read while another writes on a
///   shared reference; [`into_split`](Self::into_split) gives owned halves for tasks that
///   must own theirs.
pub struct AsyncPipeStream<Rt: Reactor> {
    io: Rt::Io<UnixStream>,
}

impl<Rt: Reactor> fmt::Debug for AsyncPipeStream<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncPipeStream")
            .field("runtime", &Rt::NAME)
            .field("io", &self.io)
            .finish()
    }
}

impl<Rt: Reactor> AsyncPipeStream<Rt> {
    /// Registers a connected stream (blocking or not) with the runtime.
    pub(crate) fn new(stream: UnixStream) -> io::Result<Self> {
        socket::no_sigpipe(&stream)?;
        Ok(AsyncPipeStream {
            io: Rt::register(stream)?,
        })
    }

    /// Wraps a connected std stream (from `UnixStream::pair`, a socket handed down by a
    /// parent, ...): it is made non-blocking and registered with the runtime (on tokio this
    /// must be called inside a runtime).
    pub fn from_std(stream: UnixStream) -> io::Result<Self> {
        Rt::check_context()?;
        Self::new(stream)
    }

    /// A connected pair of streams, each the other's peer (`socketpair`).
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = UnixStream::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    /// Who is at the other end (see [`PeerCredentials`]).
    pub fn peer_credentials(&self) -> io::Result<PeerCredentials> {
        super::peer_credentials(self.get_ref())
    }

    /// Ends our sending direction now: the peer reads end of stream, and can still reply.
    /// What tokio's `shutdown` and futures-io's `close` do.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.get_ref().shutdown(Shutdown::Write)
    }

    /// The std stream inside (non-blocking, registered: do not read or write it directly,
    /// and do not change its blocking mode).
    pub fn get_ref(&self) -> &UnixStream {
        Rt::get_ref(&self.io)
    }

    /// Frames that carry descriptors both ways over this connection (see
    /// [`fds::AsyncFdStream`](crate::fds::AsyncFdStream)).
    pub fn framed_with_fds<C>(self, codec: C) -> crate::fds::AsyncFdStream<Rt, C>
    where
        Rt: crate::rt::ReadIo<crate::fds::FdSource<Rt>>
            + crate::rt::WriteIo<crate::fds::FdSink<Rt>>,
        C: crate::codec::FrameDecoder + crate::codec::FrameEncoder + Clone,
    {
        crate::fds::AsyncFdStream::from_registered(self.io, codec)
    }

    /// One read (`read(2)`), waiting for readability; `Ok(0)` is the end of the stream.
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Rt::poll_read_with(&self.io, cx, |s| socket::recv(s, &mut *buf))
    }

    /// One vectored send that never raises `SIGPIPE`, waiting for writability.
    pub(crate) fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Rt::poll_write_with(&self.io, cx, |s| socket::send_vectored_nosignal(s, bufs))
    }

    /// One send that never raises `SIGPIPE`, waiting for writability.
    pub(crate) fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Rt::poll_write_with(&self.io, cx, |s| socket::send_nosignal(s, buf))
    }

    /// Flushing: a socket holds no buffer of ours, so there is nothing to wait for.
    pub(crate) fn poll_flush_out(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Ending the stream for the peer: a half-close (`shutdown(SHUT_WR)`).
    pub(crate) fn poll_close_out(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_write())
    }
}

impl<Rt: Reactor> AsFd for AsyncPipeStream<Rt> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "tokio")]
    #[test]
    fn tokio_stream_half_closes_and_reports_a_gone_peer_as_broken_pipe() {
        use crate::named::tokio::PipeStream;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut a, b) = PipeStream::pair().unwrap();
            assert_eq!(
                a.peer_credentials().unwrap().pid(),
                Some(std::process::id())
            );
            a.write_all(b"ping").await.unwrap();
            a.shutdown().await.unwrap();
            let (mut r, mut w) = b.into_split();
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"ping");
            // Half-closed, not closed: the reply still arrives.
            w.write_all(b"pong").await.unwrap();
            let mut reply = [0; 4];
            a.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"pong");
            drop((a, r));
            let e = loop {
                if let Err(e) = w.write_all(&[0; 4096]).await {
                    break e;
                }
            };
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
        });
    }

    #[cfg(feature = "futures-io")]
    #[test]
    fn futures_io_close_half_closes() {
        use crate::named::futures_io::PipeStream;
        use futures_lite::{AsyncReadExt, AsyncWriteExt};
        futures_lite::future::block_on(async {
            let (mut a, b) = PipeStream::pair().unwrap();
            a.write_all(b"ping").await.unwrap();
            a.close().await.unwrap();
            let mut got = Vec::new();
            (&b).read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"ping");
            // Half-closed, not closed: the reply still arrives.
            (&b).write_all(b"pong").await.unwrap();
            (&b).close().await.unwrap();
            let mut reply = Vec::new();
            a.read_to_end(&mut reply).await.unwrap();
            assert_eq!(reply, b"pong");
        });
    }
}
