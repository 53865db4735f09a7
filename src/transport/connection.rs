//! One accepted or connected pipe, with who is at the other end.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::named::{PeerCredentials, PipeName};

type Io = crate::named::tokio::PipeStream;

/// What is known about a connection when it is made: the pipe's name and the peer.
///
/// Cheap to clone; tonic puts it in every request's extensions (feature `tonic`), hyper-util's
/// client in every response's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeConnectInfo {
    name: PipeName,
    peer: Option<PeerCredentials>,
}

impl PipeConnectInfo {
    /// The pipe's name (the listener's, or the one the client connected to).
    pub fn name(&self) -> &PipeName {
        &self.name
    }

    /// Who is at the other end: the client on the server side, the server on the client side
    /// (Unix: the pid, uid and gid the kernel recorded, `SO_PEERCRED`; Windows: the process id
    /// and the user SID of its token). `None` where the system did not report them.
    pub fn peer_credentials(&self) -> Option<PeerCredentials> {
        self.peer
    }
}

/// A connected named pipe: tokio `AsyncRead` + `AsyncWrite`, hyper-util's client
/// `Connection`, and tonic's `Connected` (feature `tonic`).
///
/// Wrap it in `hyper_util::rt::TokioIo` for hyper; [`PipeConnector`](super::PipeConnector)
/// hands it out wrapped already.
#[derive(Debug)]
pub struct PipeConnection {
    io: Io,
    info: PipeConnectInfo,
}

impl PipeConnection {
    pub(crate) fn new(io: Io, name: PipeName) -> Self {
        let peer = io.peer_credentials().ok();
        PipeConnection {
            io,
            info: PipeConnectInfo { name, peer },
        }
    }

    /// The name and the peer.
    pub fn connect_info(&self) -> &PipeConnectInfo {
        &self.info
    }

    /// The peer's credentials, read once when the connection was made.
    pub fn peer_credentials(&self) -> Option<PeerCredentials> {
        self.info.peer
    }

    /// The stream, a [`named::tokio::PipeStream`](crate::named::tokio::PipeStream).
    pub fn get_ref(&self) -> &crate::named::tokio::PipeStream {
        &self.io
    }

    /// The stream, mutably.
    pub fn get_mut(&mut self) -> &mut crate::named::tokio::PipeStream {
        &mut self.io
    }

    /// Gives the stream back.
    pub fn into_inner(self) -> crate::named::tokio::PipeStream {
        self.io
    }
}

impl AsyncRead for PipeConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for PipeConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for PipeConnection {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.as_fd()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsHandle for PipeConnection {
    fn as_handle(&self) -> std::os::windows::io::BorrowedHandle<'_> {
        self.io.as_handle()
    }
}

impl hyper_util::client::legacy::connect::Connection for PipeConnection {
    fn connected(&self) -> hyper_util::client::legacy::connect::Connected {
        hyper_util::client::legacy::connect::Connected::new().extra(self.info.clone())
    }
}

#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
impl tonic::transport::server::Connected for PipeConnection {
    type ConnectInfo = PipeConnectInfo;

    fn connect_info(&self) -> PipeConnectInfo {
        self.info.clone()
    }
}
