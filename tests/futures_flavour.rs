//! The futures-io flavour (smol / async-io): the same meaning as the blocking flavour under any
//! chunking, `Pending`s and 1-byte reads; cancellation safety; backpressure; real full-duplex
//! runs on smol over anonymous pipes and Unix sockets.
#![cfg(feature = "futures-io")]

mod async_support;

use std::collections::VecDeque;
use std::io::{self, IoSlice};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_support::*;
use bytes::Bytes;
use futures_lite::future::{block_on, poll_once};
use futures_lite::{AsyncRead, AsyncWrite, StreamExt};
use futures_sink::Sink;
use pipeframe::codec::{Delimited, Framing, LengthPrefixed};
use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};
use proptest::prelude::*;

/// An `AsyncRead` that replays `wire` in the chunk sizes of a plan, returning `Pending` where
/// the plan says, and `Ok(0)` only at the end.
struct ScriptedReader {
    data: VecDeque<u8>,
    plan: Plan,
    step: usize,
    pended: bool,
}

impl ScriptedReader {
    fn new(wire: &[u8], plan: Plan) -> Self {
        ScriptedReader {
            data: wire.iter().copied().collect(),
            plan,
            step: 0,
            pended: false,
        }
    }

    /// Appends bytes (for tests that deliver a frame in two parts).
    fn push(&mut self, more: &[u8]) {
        self.data.extend(more);
    }
}

impl AsyncRead for ScriptedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let i = self.step;
        if self.plan.pending(i) && !self.pended {
            self.pended = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pended = false;
        self.step += 1;
        let n = self.plan.size(i).min(buf.len()).min(self.data.len());
        for (dst, src) in buf.iter_mut().zip(self.data.drain(..n)) {
            *dst = src;
        }
        Poll::Ready(Ok(n))
    }
}

/// A reader that, once its bytes are gone, stays `Pending` (a peer that has not written yet).
struct Stalling(ScriptedReader);

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.0.data.is_empty() {
            return Poll::Pending;
        }
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

/// An `AsyncWrite` that accepts the plan's sizes (vectored), with `Pending`s, and records the
/// bytes. `budget` caps the total it accepts; past it every write is `Pending` (a peer that
/// does not read).
struct ScriptedWriter {
    out: Vec<u8>,
    plan: Plan,
    step: usize,
    pended: bool,
    budget: Arc<Mutex<usize>>,
    vectored_calls: usize,
}

impl ScriptedWriter {
    fn new(plan: Plan) -> Self {
        ScriptedWriter {
            out: Vec::new(),
            plan,
            step: 0,
            pended: false,
            budget: Arc::new(Mutex::new(usize::MAX)),
            vectored_calls: 0,
        }
    }
}

impl AsyncWrite for ScriptedWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let i = self.step;
        if self.plan.pending(i) && !self.pended {
            self.pended = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let budget = *self.budget.lock().unwrap();
        if budget == 0 {
            return Poll::Pending; // woken by nobody: the peer never reads
        }
        self.pended = false;
        self.step += 1;
        self.vectored_calls += 1;
        let mut left = self.plan.size(i).min(budget);
        let mut n = 0;
        for b in bufs {
            let k = left.min(b.len());
            self.out.extend_from_slice(&b[..k]);
            left -= k;
            n += k;
        }
        *self.budget.lock().unwrap() = budget.saturating_sub(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

async fn async_outcome<R: AsyncRead + Unpin>(
    f: &Framing,
    r: R,
    wire_len: usize,
    borrowed: bool,
) -> Outcome {
    let mut r = AsyncFrameReader::with_capacity(16, r, f.clone());
    let mut out = Vec::new();
    for _ in 0..wire_len + 8 {
        let go = if borrowed {
            let res = r.read_frame_ref().await;
            record(&mut out, res)
        } else {
            record(&mut out, r.read_frame().await)
        };
        if !go {
            break;
        }
    }
    out
}

async fn async_encode(
    f: &Framing,
    frames: &[Vec<u8>],
    plan: Plan,
    high_water: usize,
    sink: bool,
) -> Vec<u8> {
    let mut w = AsyncFrameWriter::with_high_water(high_water, ScriptedWriter::new(plan), f.clone());
    for p in frames {
        if sink {
            std::future::poll_fn(|cx| Pin::new(&mut w).poll_ready(cx))
                .await
                .unwrap();
            Pin::new(&mut w).start_send(Bytes::from(p.clone())).unwrap();
        } else {
            w.write_frame(p).await.unwrap();
        }
    }
    if sink {
        std::future::poll_fn(|cx| Pin::new(&mut w).poll_close(cx))
            .await
            .unwrap();
    } else {
        w.close().await.unwrap();
    }
    assert_eq!(w.buffered(), 0);
    w.into_inner().out
}

#[test]
fn vectors_decode_with_pending_and_one_byte_reads() {
    for v in vectors() {
        let f = framing(v.name);
        for borrowed in [false, true] {
            let got = block_on(async_outcome(
                &f,
                ScriptedReader::new(&v.wire, Plan::bytewise()),
                v.wire.len(),
                borrowed,
            ));
            assert_eq!(got, frames_outcome(&v.frames), "{} {:?}", v.name, v.wire);
        }
        // As a Stream, read in one go.
        let r = AsyncFrameReader::new(&v.wire[..], f.clone());
        let got: Vec<Bytes> = block_on(r.try_collect()).unwrap();
        assert_eq!(got, v.frames, "{}", v.name);
    }
}

#[test]
fn vectors_encode_through_write_frame_and_sink() {
    for v in vectors().into_iter().filter(|v| v.canonical) {
        let f = framing(v.name);
        for sink in [false, true] {
            for hw in [0, 3, 64 * 1024] {
                let wire = block_on(async_encode(&f, &v.frames, Plan::bytewise(), hw, sink));
                assert_eq!(wire, v.wire, "{} sink={sink} high_water={hw}", v.name);
            }
        }
    }
}

#[test]
fn eof_inside_a_frame_is_unexpected_eof_and_a_clean_end_is_none() {
    let f = framing("lp32le");
    let got = block_on(async_outcome(
        &f,
        ScriptedReader::new(b"\x05\0\0\0hel", Plan::bytewise()),
        8,
        false,
    ));
    let msg = "stream ended inside a frame: 7 bytes received, 2 bytes missing";
    assert_eq!(
        got,
        vec![
            Err((io::ErrorKind::UnexpectedEof, msg.to_owned())),
            // Fatal: later calls fail too, naming the first error.
            Err((
                io::ErrorKind::UnexpectedEof,
                format!("stream unusable after an earlier error: {msg}")
            )),
        ]
    );
    let f = framing("lines");
    let mut r = AsyncFrameReader::new(ScriptedReader::new(b"a\nb", Plan::bytewise()), f);
    assert_eq!(
        block_on(r.read_frame()).unwrap().as_deref(),
        Some(&b"a"[..])
    );
    let e = block_on(r.read_frame()).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        e.to_string(),
        "stream ended inside a frame: 1 byte received, delimiter missing (to accept an \
         unterminated last line, use accept_unterminated_at_eof(true))"
    );
    let mut r = AsyncFrameReader::new(&b"a\n"[..], Delimited::lines());
    assert!(block_on(r.read_frame()).unwrap().is_some());
    assert!(block_on(r.read_frame()).unwrap().is_none());
    assert!(block_on(r.read_frame()).unwrap().is_none(), "stays ended");
}

#[test]
fn invalid_utf8_is_skipped_by_read_str() {
    let mut r = AsyncFrameReader::new(
        ScriptedReader::new(b"ok\n\xff\nyes\n", Plan::bytewise()),
        Delimited::lines(),
    );
    block_on(async {
        assert_eq!(r.read_str().await.unwrap(), Some("ok"));
        let e = r.read_str().await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "frame is not valid UTF-8 at byte offset 0");
        assert_eq!(r.read_str().await.unwrap(), Some("yes"));
        assert_eq!(r.read_str().await.unwrap(), None);
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Any chunking, any `Pending`s: the async reader returns exactly what the blocking
    /// reader returns for the same bytes (frames, errors and their messages), for valid,
    /// truncated and arbitrary input.
    #[test]
    fn reading_matches_the_blocking_flavour(
        (name, frames) in framing_and_frames(),
        plan in plan(),
        mode in any::<u8>(),
        cut in any::<usize>(),
        junk in prop::collection::vec(any::<u8>(), 0..64),
        borrowed in any::<bool>(),
        max in prop_oneof![3 => Just(None), 1 => Just(Some(16usize)), 1 => Just(Some(5000usize))],
    ) {
        let f = framing(name);
        let wire = wire_for(&f, &frames, mode, cut, &junk);
        // A smaller maximum on the reading side: oversize errors (fatal, or recoverable for
        // delimiters) must come out the same way too.
        let f = match max {
            Some(m) => f.with_max_frame_len(m),
            None => f,
        };
        let want = sync_outcome(&f, &wire);
        if mode % 4 < 2 && max.is_none() {
            prop_assert_eq!(&want, &frames_outcome(&frames));
        }
        let got = block_on(async_outcome(&f, ScriptedReader::new(&wire, plan), wire.len(), borrowed));
        prop_assert_eq!(got, want);
    }

    /// Any write sizes, any `Pending`s, any high-water mark: the bytes written are those of
    /// the blocking writer.
    #[test]
    fn writing_matches_the_blocking_flavour(
        (name, frames) in framing_and_frames(),
        plan in plan(),
        high_water in prop_oneof![Just(0usize), 1usize..100, Just(65536)],
        sink in any::<bool>(),
    ) {
        let f = framing(name);
        let want = sync_encode(&f, &frames);
        let got = block_on(async_encode(&f, &frames, plan, high_water, sink));
        prop_assert_eq!(got, want);
    }
}

#[test]
fn large_payload_goes_out_vectored_beside_the_batch() {
    let big = pattern(100_000, 3);
    let mut w = AsyncFrameWriter::new(
        ScriptedWriter::new(Plan {
            sizes: vec![1 << 20],
            pending: vec![false],
        }),
        LengthPrefixed::u32_le(),
    );
    block_on(async {
        w.write_frame(b"small").await.unwrap();
        w.write_frame_bytes(Bytes::from(big.clone())).await.unwrap();
        w.flush().await.unwrap();
    });
    let sw = w.into_inner();
    // One vectored write carried the batch, the header and the payload.
    assert_eq!(sw.vectored_calls, 1);
    let mut want = b"\x05\0\0\0small".to_vec();
    want.extend_from_slice(&(big.len() as u32).to_le_bytes());
    want.extend_from_slice(&big);
    assert_eq!(sw.out, want);
}

#[test]
fn dropping_a_read_future_mid_frame_loses_nothing() {
    let mut script = ScriptedReader::new(
        b"\x0a\0\0\0hello",
        Plan {
            sizes: vec![4096],
            pending: vec![false],
        },
    );
    script.push(b"");
    let mut r = AsyncFrameReader::new(Stalling(script), LengthPrefixed::u32_le());
    // The future reads half the frame, then the peer stalls: drop it.
    assert!(block_on(poll_once(r.read_frame())).is_none());
    assert_eq!(r.buffered(), b"\x0a\0\0\0hello");
    r.get_mut().0.push(b"world\x01\0\0\0!");
    assert_eq!(
        block_on(r.read_frame()).unwrap().as_deref(),
        Some(&b"helloworld"[..])
    );
    assert_eq!(block_on(r.read_frame_ref()).unwrap(), Some(&b"!"[..]));
}

#[test]
fn dropping_a_write_future_mid_frame_still_sends_the_whole_frame() {
    let sw = ScriptedWriter::new(Plan {
        sizes: vec![100],
        pending: vec![false],
    });
    let budget = sw.budget.clone();
    *budget.lock().unwrap() = 150;
    let mut w = AsyncFrameWriter::new(sw, LengthPrefixed::u32_le());
    let big = pattern(10_000, 7);
    {
        let payload = big.clone();
        // Accepted and partly written (150 bytes), then the peer stops reading: drop it.
        assert!(block_on(poll_once(w.write_frame(&payload))).is_none());
        drop(payload); // the writer kept its own copy of the unsent frame
    }
    assert_eq!(w.get_ref().out.len(), 150);
    assert_eq!(w.buffered(), 4 + 10_000 - 150);
    // A frame whose future is dropped while waiting for room is not sent at all.
    assert!(block_on(poll_once(w.write_frame(b"never"))).is_none());
    *budget.lock().unwrap() = usize::MAX;
    block_on(w.write_frame(b"after")).unwrap();
    block_on(w.flush()).unwrap();
    let mut want = 10_000u32.to_le_bytes().to_vec();
    want.extend_from_slice(&big);
    want.extend_from_slice(b"\x05\0\0\0after");
    assert_eq!(w.get_ref().out, want);
}

#[test]
fn sink_stops_accepting_at_the_high_water_mark_when_the_peer_does_not_read() {
    let sw = ScriptedWriter::new(Plan {
        sizes: vec![4096],
        pending: vec![false],
    });
    *sw.budget.lock().unwrap() = 0;
    let hw = 16 * 1024;
    let mut w = AsyncFrameWriter::with_high_water(hw, sw, LengthPrefixed::u32_le());
    let frame = Bytes::from(pattern(1000, 1));
    let mut accepted = 0;
    let waker =
        futures_lite::future::block_on(std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())));
    let mut cx = Context::from_waker(&waker);
    for _ in 0..10_000 {
        match Pin::new(&mut w).poll_ready(&mut cx) {
            Poll::Ready(r) => r.unwrap(),
            Poll::Pending => break,
        }
        Pin::new(&mut w).start_send(frame.clone()).unwrap();
        accepted += 1;
    }
    // 1004-byte frames: the 17th passes 16 KiB; then poll_ready stays Pending.
    assert_eq!(accepted, hw.div_ceil(1004));
    assert!(w.buffered() < hw + 1004, "buffered {}", w.buffered());
    assert!(Pin::new(&mut w).poll_ready(&mut cx).is_pending());
}

#[cfg(unix)]
#[test]
fn real_pipe_whose_reader_never_reads_bounds_the_writer() {
    let (rx, tx) = std::io::pipe().unwrap();
    let tx = async_io::Async::new(tx).unwrap();
    let hw = 8 * 1024;
    let mut w = AsyncFrameWriter::with_high_water(hw, tx, LengthPrefixed::u32_le());
    let frame = Bytes::from(pattern(512, 5));
    let mut sent = 0usize;
    block_on(async {
        // Stop at the first send that cannot complete at once.
        while poll_once(w.write_frame_bytes(frame.clone()))
            .await
            .is_some()
        {
            sent += 1;
            assert!(sent < 1_000_000, "the writer never pushed back");
        }
    });
    assert!(w.buffered() < hw + 516, "buffered {}", w.buffered());
    assert!(sent * 516 >= hw, "accepted only {sent} frames");
    drop(rx);
}

/// Both ends send `count` frames (sizes up to 200 KiB, more than a pipe holds) while reading
/// the other's: a writer that stalled its own reader would deadlock.
#[cfg(unix)]
fn duplex_frames(seed: u8) -> Vec<Vec<u8>> {
    (0..40usize)
        .map(|i| pattern([0, 1, 100, 5000, 200_000][i % 5] + i, seed))
        .collect()
}

#[cfg(unix)]
async fn talk<R, W>(r: R, w: W, send_seed: u8, recv_seed: u8) -> io::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let writer = smol::spawn(async move {
        let mut w = AsyncFrameWriter::new(w, LengthPrefixed::u32_le());
        for f in duplex_frames(send_seed) {
            w.write_frame(&f).await?;
        }
        w.close().await
    });
    let reader = smol::spawn(async move {
        let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
        let mut got = Vec::new();
        while let Some(f) = r.read_frame().await? {
            got.push(f.to_vec());
        }
        assert_eq!(got, duplex_frames(recv_seed));
        io::Result::Ok(())
    });
    writer.await?;
    reader.await
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
