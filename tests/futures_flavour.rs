//! The futures-io flavour (smol / async-io): the scenarios every flavour runs
//! (`tests/async_support/scenarios.rs`: the same meaning as the blocking flavour under any
//! chunking, `Pending`s and 1-byte reads; cancellation safety; backpressure), then real
//! full-duplex runs on smol over anonymous pipes and Unix sockets.
#![cfg(feature = "futures-io")]

mod async_support;

#[cfg(unix)]
use std::io::{self, IoSlice};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::pin::Pin;
#[cfg(unix)]
use std::sync::Arc;
#[cfg(unix)]
use std::task::{Context, Poll};

#[cfg(unix)]
use async_support::scenarios::Spawned;
use async_support::scenarios::{self, Feed};
use async_support::*;
#[cfg(unix)]
use futures_lite::{AsyncRead, AsyncWrite};
use pipeframe::rt::AsyncIo;
use proptest::prelude::*;

// The scenarios every flavour runs, each a test of its own here.
scenarios::run_every_scenario_in!(AsyncIo);

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// See the scenarios of the same names.
    #[test]
    fn reading_matches_the_blocking_flavour(case in read_case()) {
        scenarios::reading_matches_the_blocking_flavour::<AsyncIo>(&case)?;
    }

    #[test]
    fn writing_matches_the_blocking_flavour(case in write_case(), sink in any::<bool>()) {
        let how = if sink { Feed::Sink } else { Feed::WriteFrame };
        scenarios::writing_matches_the_blocking_flavour::<AsyncIo>(&case, how)?;
    }
}

#[cfg(unix)]
#[test]
fn real_pipe_whose_reader_never_reads_bounds_the_writer() {
    let (rx, tx) = std::io::pipe().unwrap();
    let tx = async_io::Async::new(tx).unwrap();
    smol::block_on(
        scenarios::pipe_whose_reader_never_reads_bounds_the_writer::<AsyncIo, _>(tx, true),
    );
    drop(rx);
}

#[cfg(unix)]
/// smol's spawn, joined.
fn spawn(f: Spawned) -> Spawned {
    Box::pin(smol::spawn(f))
}

#[cfg(unix)]
/// One end of a full-duplex run: frames `send_seed` out through `w`, frames `recv_seed` in
/// through `r`, owned frames.
async fn talk<R, W>(r: R, w: W, send_seed: u8, recv_seed: u8) -> io::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    scenarios::engine_talk::<AsyncIo, _, _>(r, w, (send_seed, recv_seed), false, spawn).await
}

#[cfg(unix)]
#[test]
fn smol_full_duplex_over_two_anonymous_pipes() {
    let (a_rx, b_tx) = std::io::pipe().unwrap();
    let (b_rx, a_tx) = std::io::pipe().unwrap();
    let a = (
        async_io::Async::new(a_rx).unwrap(),
        async_io::Async::new(a_tx).unwrap(),
    );
    let b = (
        async_io::Async::new(b_rx).unwrap(),
        async_io::Async::new(b_tx).unwrap(),
    );
    smol::block_on(async {
        let ta = smol::spawn(talk(a.0, a.1, 1, 2));
        let tb = smol::spawn(talk(b.0, b.1, 2, 1));
        ta.await.unwrap();
        tb.await.unwrap();
    });
}

/// One half of a shared `Async<UnixStream>`: `&Async<T>` reads and writes, so two tasks can
/// each hold one. Closing shuts down the write direction, so the peer sees the end.
#[cfg(unix)]
struct Half(Arc<async_io::Async<UnixStream>>);

#[cfg(unix)]
impl AsyncRead for Half {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_read(cx, buf)
    }
}

#[cfg(unix)]
impl AsyncWrite for Half {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

#[cfg(unix)]
fn halves(s: async_io::Async<UnixStream>) -> (Half, Half) {
    let s = Arc::new(s);
    (Half(s.clone()), Half(s))
}

#[cfg(unix)]
#[test]
fn smol_full_duplex_over_a_unix_socket_pair() {
    let (a, b) = async_io::Async::<UnixStream>::pair().unwrap();
    smol::block_on(async {
        let (ar, aw) = halves(a);
        let (br, bw) = halves(b);
        let ta = smol::spawn(talk(ar, aw, 3, 4));
        let tb = smol::spawn(talk(br, bw, 4, 3));
        ta.await.unwrap();
        tb.await.unwrap();
    });
}
