//! The drivers: the one [`Handshake`] over a byte stream with Python's length prefix
//! (blocking, and async over the runtime seam), or over a message transport.

use std::io::{self, Read, Write};

use super::handshake::{Action, Handshake, MAX_MESSAGE, Role};
use super::{AuthError, AuthKey, Authenticated};
use crate::frame_io::{ReadFrame, WriteFrame};

impl AuthKey {
    /// Authenticates as `multiprocessing.connection.Client(address, authkey=...)` does, over
    /// a byte stream with Python's framing (a Unix socket, a TCP stream, a pair of pipes): it
    /// answers the listener's challenge, then challenges the listener. Run it right after
    /// connecting, before framing the stream: it reads exactly the handshake's bytes, so the
    /// first frame after it is intact.
    ///
    /// A failure is an [`AuthError`] inside the `io::Error` (others are I/O errors); the
    /// connection is not authenticated and should be dropped.
    pub fn client(&self, stream: impl Read + Write) -> io::Result<Authenticated> {
        run_stream(self, Role::Client, stream)
    }

    /// Authenticates as `multiprocessing.connection.Listener(address, authkey=...)` does on
    /// each accepted connection: it challenges the client, then answers the client's
    /// challenge. Run it on each accepted stream (in the connection's own thread or task, so
    /// a slow client holds up no other), before framing it; see [`client`](Self::client).
    pub fn server(&self, stream: impl Read + Write) -> io::Result<Authenticated> {
        run_stream(self, Role::Server, stream)
    }

    /// [`client`](Self::client) over a transport of whole messages, each handshake message
    /// one frame: a Windows message-mode named pipe (`message::MessagePipe`, what Python's
    /// `multiprocessing.connection` uses on Windows, with no length prefix), a seqpacket
    /// socket, or an already framed stream with [`LengthPrefixed::python`](crate::codec::LengthPrefixed::python).
    pub fn client_frames<T: ReadFrame + WriteFrame + ?Sized>(
        &self,
        transport: &mut T,
    ) -> io::Result<Authenticated> {
        run_frames(self, Role::Client, transport)
    }

    /// [`server`](Self::server) over a transport of whole messages (see
    /// [`client_frames`](Self::client_frames)).
    pub fn server_frames<T: ReadFrame + WriteFrame + ?Sized>(
        &self,
        transport: &mut T,
    ) -> io::Result<Authenticated> {
        run_frames(self, Role::Server, transport)
    }
}

/// A handshake message with Python's 4-byte big-endian length in front (every handshake
/// message is far below the 2 GiB where Python switches to its 12-byte header).
fn framed(msg: &[u8]) -> Vec<u8> {
    let len = u32::try_from(msg.len()).expect("handshake messages are small");
    [&len.to_be_bytes()[..], msg].concat()
}

/// What a 4-byte header says: a length, or (`-1`) that a u64 length follows.
fn header_len(h: [u8; 4]) -> Option<u64> {
    match i32::from_be_bytes(h) {
        -1 => None,
        // What Python's unsigned reading of it would be; far over the limit either way.
        n if n < 0 => Some(u64::from(n as u32)),
        n => Some(n as u64),
    }
}

/// Refuses a declared length over [`MAX_MESSAGE`] before any of its bytes are read.
fn check_len(len: u64) -> Result<usize, AuthError> {
    if len > MAX_MESSAGE as u64 {
        return Err(AuthError::Oversized {
            len,
            max: MAX_MESSAGE,
        });
    }
    Ok(len as usize)
}

/// End of stream during the handshake is [`AuthError::Closed`].
fn closed(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        AuthError::Closed.into()
    } else {
        e
    }
}

/// Exactly one message from a byte stream: never a byte past it, so the stream goes on
/// with the first frame after the handshake.
fn read_message(s: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut h = [0u8; 4];
    s.read_exact(&mut h).map_err(closed)?;
    let len = match header_len(h) {
        Some(n) => n,
        None => {
            let mut l = [0u8; 8];
            s.read_exact(&mut l).map_err(closed)?;
            u64::from_be_bytes(l)
        }
    };
    let mut msg = vec![0u8; check_len(len)?];
    s.read_exact(&mut msg).map_err(closed)?;
    Ok(msg)
}

/// Runs the handshake over a byte stream (`Connection` on a socket or pipes).
pub(crate) fn run_stream(
    key: &AuthKey,
    role: Role,
    mut s: impl Read + Write,
) -> io::Result<Authenticated> {
    let mut hs = Handshake::new(key, role)?;
    loop {
        match hs.action() {
            Action::Send => {
                s.write_all(&framed(hs.outgoing()))?;
                s.flush()?;
                hs.sent();
            }
            Action::Receive => hs.received(&read_message(&mut s)?)?,
            Action::Refuse(e) => {
                let _ = s.write_all(&framed(hs.outgoing())).and_then(|()| s.flush());
                return Err(e.into());
            }
            Action::Done(a) => return Ok(a),
        }
    }
}

/// Runs the handshake over whole frames (a message-mode transport, or a framed stream).
pub(crate) fn run_frames<T: ReadFrame + WriteFrame + ?Sized>(
    key: &AuthKey,
    role: Role,
    t: &mut T,
) -> io::Result<Authenticated> {
    let mut hs = Handshake::new(key, role)?;
    loop {
        match hs.action() {
            Action::Send => {
                t.write_frame(hs.outgoing())?;
                t.flush()?;
                hs.sent();
            }
            Action::Receive => {
                let msg = t.read_frame().map_err(closed)?.ok_or(AuthError::Closed)?;
                check_len(msg.len() as u64)?;
                hs.received(&msg)?;
            }
            Action::Refuse(e) => {
                let _ = t.write_frame(hs.outgoing()).and_then(|()| t.flush());
                return Err(e.into());
            }
            Action::Done(a) => return Ok(a),
        }
    }
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) use self::not_blocking::run_async;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod not_blocking {
    use std::future::poll_fn;
    use std::io::{self, IoSlice};
    use std::pin::Pin;
    use std::task::Poll;

    use super::{Action, AuthKey, Authenticated, Handshake, Role, check_len, closed, framed};
    use crate::rt::{ReadIo, WriteIo};

    async fn read_exact<Rt: ReadIo<S>, S: Unpin + ?Sized>(
        s: &mut S,
        buf: &mut [u8],
    ) -> io::Result<()> {
        let mut filled = 0;
        poll_fn(|cx| {
            while filled < buf.len() {
                match std::task::ready!(Rt::poll_read(Pin::new(&mut *s), cx, &mut buf[filled..])) {
                    Ok(0) => return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into())),
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            Poll::Ready(Ok(()))
        })
        .await
        .map_err(closed)
    }

    async fn write_all<Rt: WriteIo<S>, S: Unpin + ?Sized>(s: &mut S, buf: &[u8]) -> io::Result<()> {
        let mut sent = 0;
        poll_fn(|cx| {
            while sent < buf.len() {
                let slice = [IoSlice::new(&buf[sent..])];
                match std::task::ready!(Rt::poll_write_vectored(Pin::new(&mut *s), cx, &slice)) {
                    Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            Rt::poll_flush(Pin::new(&mut *s), cx)
        })
        .await
    }

    async fn read_message<Rt: ReadIo<S>, S: Unpin + ?Sized>(s: &mut S) -> io::Result<Vec<u8>> {
        let mut h = [0u8; 4];
        read_exact::<Rt, S>(s, &mut h).await?;
        let len = match super::header_len(h) {
            Some(n) => n,
            None => {
                let mut l = [0u8; 8];
                read_exact::<Rt, S>(s, &mut l).await?;
                u64::from_be_bytes(l)
            }
        };
        let mut msg = vec![0u8; check_len(len)?];
        read_exact::<Rt, S>(s, &mut msg).await?;
        Ok(msg)
    }

    /// [`super::run_stream`] on runtime `Rt`.
    pub(crate) async fn run_async<Rt, S>(
        key: &AuthKey,
        role: Role,
        s: &mut S,
    ) -> io::Result<Authenticated>
    where
        Rt: ReadIo<S> + WriteIo<S>,
        S: Unpin + ?Sized,
    {
        let mut hs = Handshake::new(key, role)?;
        loop {
            match hs.action() {
                Action::Send => {
                    write_all::<Rt, S>(s, &framed(hs.outgoing())).await?;
                    hs.sent();
                }
                Action::Receive => {
                    let msg = read_message::<Rt, S>(s).await?;
                    hs.received(&msg)?;
                }
                Action::Refuse(e) => {
                    let _ = write_all::<Rt, S>(s, &framed(hs.outgoing())).await;
                    return Err(e.into());
                }
                Action::Done(a) => return Ok(a),
            }
        }
    }
}
