//! The tokio flavour: tokio-util `FramedRead`/`FramedWrite` over the codecs' `Decoder`/`Encoder`
//! impls, and the engine-based `AsyncFrameReader`/`AsyncFrameWriter`, with the same meaning
//! as the blocking flavour under any chunking, `Pending`s and 1-byte reads; cancellation
//! safety; backpressure; real full-duplex runs over tokio pipes and Unix sockets; the
//! examples' echo server and smol client talking to each other.
#![cfg(feature = "tokio")]

mod async_support;

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_support::*;
use bytes::Bytes;
use futures_core::Stream;
use futures_lite::StreamExt;
use futures_lite::future::{block_on, poll_once};
use futures_sink::Sink;
use pipeframe::codec::{Delimited, Framing, LengthPrefixed};
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter, Text};
use proptest::prelude::*;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::codec::{FramedRead, FramedWrite};

/// A tokio `AsyncRead` that replays `wire` in the chunk sizes of a plan, returning `Pending`
/// where the plan says, and `Ok(0)` only at the end (or `Pending` forever if `stall`).
struct ScriptedReader {
    data: VecDeque<u8>,
    plan: Plan,
    step: usize,
    pended: bool,
    stall: bool,
}

impl ScriptedReader {
    fn new(wire: &[u8], plan: Plan) -> Self {
        ScriptedReader {
            data: wire.iter().copied().collect(),
            plan,
            step: 0,
            pended: false,
            stall: false,
        }
    }
}

impl AsyncRead for ScriptedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.stall && self.data.is_empty() {
            return Poll::Pending;
        }
        let i = self.step;
        if self.plan.pending(i) && !self.pended {
            self.pended = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pended = false;
        self.step += 1;
        let n = self.plan.size(i).min(buf.remaining()).min(self.data.len());
        let chunk: Vec<u8> = self.data.drain(..n).collect();
        buf.put_slice(&chunk);
        Poll::Ready(Ok(()))
    }
}

/// A tokio `AsyncWrite` that accepts the plan's sizes (vectored), with `Pending`s, and
/// records the bytes; past `budget` bytes it stays `Pending` (a peer that does not read).
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
            return Poll::Pending;
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

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

async fn sink_send<S: Sink<I, Error = io::Error> + Unpin, I>(s: &mut S, item: I) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *s).poll_ready(cx)).await?;
    Pin::new(&mut *s).start_send(item)
}

async fn sink_close<S: Sink<I, Error = io::Error> + Unpin, I>(s: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *s).poll_close(cx)).await
}

/// Reads a stream of results until it ends (`FramedRead`: an error ends it too).
async fn stream_outcome<S: Stream<Item = io::Result<Bytes>> + Unpin>(
    mut s: S,
    limit: usize,
) -> Outcome {
    let mut out = Vec::new();
    for _ in 0..limit {
        match s.next().await {
            None => break,
            Some(res) => {
                if !record(&mut out, res.map(Some)) {
                    break;
                }
            }
        }
    }
    out
}

async fn engine_outcome<R: AsyncRead + Unpin>(
    f: &Framing,
    r: R,
    limit: usize,
    borrowed: bool,
) -> Outcome {
    let mut r = AsyncFrameReader::with_capacity(16, r, f.clone());
    let mut out = Vec::new();
    for _ in 0..limit {
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

/// tokio-util's `FramedRead` ends the stream after the first error: the blocking outcome up
/// to and including its first error.
fn until_first_error(mut o: Outcome) -> Outcome {
    if let Some(i) = o.iter().position(Result::is_err) {
        o.truncate(i + 1);
    }
    o
}

#[derive(Debug, Clone, Copy)]
enum Writer {
    FramedWrite,
    WriteFrame,
    Sink,
}

async fn encode_with(
    how: Writer,
    f: &Framing,
    frames: &[Vec<u8>],
    plan: Plan,
    high_water: usize,
) -> Vec<u8> {
    match how {
        Writer::FramedWrite => {
            let mut w = FramedWrite::new(ScriptedWriter::new(plan), f.clone());
            w.set_backpressure_boundary(high_water.max(1));
            for p in frames {
                sink_send(&mut w, Bytes::from(p.clone())).await.unwrap();
            }
            sink_close::<_, Bytes>(&mut w).await.unwrap();
            w.into_inner().out
        }
        Writer::WriteFrame | Writer::Sink => {
            let mut w =
                AsyncFrameWriter::with_high_water(high_water, ScriptedWriter::new(plan), f.clone());
            for p in frames {
                if let Writer::Sink = how {
                    sink_send(&mut w, Bytes::from(p.clone())).await.unwrap();
                } else {
                    w.write_frame(p).await.unwrap();
                }
            }
            w.close().await.unwrap();
            assert_eq!(w.buffered(), 0);
            w.into_inner().out
        }
    }
}

#[test]
fn vectors_decode_through_framed_read_and_the_engine_reader() {
    for v in vectors() {
        let f = framing(v.name);
        let want = frames_outcome(&v.frames);
        let limit = read_limit(&v.wire);
        let r = FramedRead::new(ScriptedReader::new(&v.wire, Plan::bytewise()), f.clone());
        assert_eq!(
            block_on(stream_outcome(r, limit)),
            want,
            "FramedRead {}",
            v.name
        );
        for borrowed in [false, true] {
            let r = ScriptedReader::new(&v.wire, Plan::bytewise());
            assert_eq!(
                block_on(engine_outcome(&f, r, limit, borrowed)),
                want,
                "engine {}",
                v.name
            );
        }
        let r = AsyncFrameReader::new(ScriptedReader::new(&v.wire, Plan::bytewise()), f.clone());
        assert_eq!(
            block_on(stream_outcome(r, limit)),
            want,
            "engine Stream {}",
            v.name
        );
    }
}

#[test]
fn vectors_encode_through_framed_write_write_frame_and_sink() {
    for v in vectors().into_iter().filter(|v| v.canonical) {
        let f = framing(v.name);
        for how in [Writer::FramedWrite, Writer::WriteFrame, Writer::Sink] {
            for hw in [0, 3, 64 * 1024] {
                let wire = block_on(encode_with(how, &f, &v.frames, Plan::bytewise(), hw));
                assert_eq!(wire, v.wire, "{} {how:?} high_water={hw}", v.name);
            }
        }
    }
}

#[test]
fn framed_read_eof_inside_a_frame_is_unexpected_eof_and_a_clean_end_is_none() {
    let mut r = FramedRead::new(
        ScriptedReader::new(b"\x05\0\0\0hel", Plan::bytewise()),
        LengthPrefixed::u32_le(),
    );
    let e = block_on(r.next()).unwrap().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        e.to_string(),
        "stream ended inside a frame: 7 bytes received, 2 bytes missing"
    );
    assert!(block_on(r.next()).is_none());

    let mut r = FramedRead::new(
        ScriptedReader::new(b"Content-Length: 3\r\n", Plan::bytewise()),
        Framing::from(pipeframe::codec::ContentLength::new()),
    );
    let e = block_on(r.next()).unwrap().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert!(
        e.to_string()
            .starts_with("stream ended inside a frame header: 19 bytes received"),
        "{e}"
    );

    let mut r = FramedRead::new(
        ScriptedReader::new(b"a\nb\n", Plan::bytewise()),
        Delimited::lines(),
    );
    assert_eq!(block_on(r.next()).unwrap().unwrap(), &b"a"[..]);
    assert_eq!(block_on(r.next()).unwrap().unwrap(), &b"b"[..]);
    assert!(
        block_on(r.next()).is_none(),
        "clean end at a frame boundary"
    );
}

#[test]
fn text_decoder_reports_invalid_utf8_and_goes_on() {
    let wire = b"ok\n\xffx\nyes\n";
    let mut r = FramedRead::new(
        ScriptedReader::new(wire, Plan::bytewise()),
        Text::new(Delimited::lines()),
    );
    block_on(async {
        assert_eq!(r.next().await.unwrap().unwrap(), "ok");
        let e = r.next().await.unwrap().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "frame is not valid UTF-8 at byte offset 0");
        // tokio-util ends the stream after an error; polling again resumes.
        assert!(r.next().await.is_none());
        assert_eq!(r.next().await.unwrap().unwrap(), "yes");
        assert!(r.next().await.is_none());
    });
    let mut w = FramedWrite::new(
        ScriptedWriter::new(Plan::bytewise()),
        Text::new(Delimited::crlf()),
    );
    block_on(async {
        sink_send(&mut w, "héllo").await.unwrap();
        sink_send(&mut w, String::from("x")).await.unwrap();
        sink_close::<_, &str>(&mut w).await.unwrap();
    });
    assert_eq!(w.get_ref().out, "héllo\r\nx\r\n".as_bytes());
}

#[test]
fn encoder_refuses_what_the_codec_cannot_carry() {
    let mut w = FramedWrite::new(ScriptedWriter::new(Plan::bytewise()), Delimited::lines());
    let e = block_on(sink_send(&mut w, &b"a\nb"[..])).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(
        e.to_string(),
        "frame contains the delimiter 0x0a at offset 1"
    );
    let mut w = AsyncFrameWriter::new(ScriptedWriter::new(Plan::bytewise()), LengthPrefixed::u8());
    let e = block_on(w.write_frame(&[0; 256])).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(w.buffered(), 0, "nothing queued for a refused frame");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any chunking, any `Pending`s: FramedRead and the engine reader return what the
    /// blocking reader returns for the same bytes (valid, truncated or arbitrary).
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
        let limit = read_limit(&wire);
        let framed = FramedRead::new(ScriptedReader::new(&wire, plan.clone()), f.clone());
        prop_assert_eq!(block_on(stream_outcome(framed, limit)), until_first_error(want.clone()));
        let got = block_on(engine_outcome(&f, ScriptedReader::new(&wire, plan), limit, borrowed));
        prop_assert_eq!(got, want);
    }

    /// Any write sizes, any `Pending`s, any high-water mark: FramedWrite, write_frame and the
    /// Sink write exactly the blocking writer's bytes.
    #[test]
    fn writing_matches_the_blocking_flavour(
        (name, frames) in framing_and_frames(),
        plan in plan(),
        high_water in prop_oneof![Just(0usize), 1usize..100, Just(65536)],
        how in prop::sample::select(vec![Writer::FramedWrite, Writer::WriteFrame, Writer::Sink]),
    ) {
        let f = framing(name);
        let want = sync_encode(&f, &frames);
        prop_assert_eq!(block_on(encode_with(how, &f, &frames, plan, high_water)), want);
    }
}

#[test]
fn large_payload_goes_out_vectored_beside_the_batch() {
    let big = pattern(100_000, 3);
    let plan = Plan {
        sizes: vec![1 << 20],
        pending: vec![false],
    };
    let mut w = AsyncFrameWriter::new(ScriptedWriter::new(plan), LengthPrefixed::u32_le());
    block_on(async {
        w.write_frame(b"small").await.unwrap();
        w.write_frame(&big).await.unwrap();
        w.flush().await.unwrap();
    });
    let sw = w.into_inner();
    assert_eq!(
        sw.vectored_calls, 1,
        "batch, header and payload in one vectored write"
    );
    let mut want = b"\x05\0\0\0small".to_vec();
    want.extend_from_slice(&(big.len() as u32).to_le_bytes());
    want.extend_from_slice(&big);
    assert_eq!(sw.out, want);
}

/// Items sent through the `Sink` are delivered on flush, so a large one may be written up to
/// the last 4 KiB page boundary of the stream, the rest of its last page waiting in the batch;
/// `write_frame` never does that (see `large_payload_goes_out_vectored_beside_the_batch`).
#[test]
fn sink_items_are_cut_at_page_boundaries() {
    let plan = Plan {
        sizes: vec![1 << 20],
        pending: vec![false],
    };
    let frames: Vec<Vec<u8>> = vec![b"small".to_vec(), pattern(100_000, 3), pattern(70_000, 5)];
    let mut w = AsyncFrameWriter::new(ScriptedWriter::new(plan), LengthPrefixed::u32_le());
    block_on(async {
        for f in &frames {
            sink_send(&mut w, Bytes::from(f.clone())).await.unwrap();
        }
        // `poll_ready` writes the large item in flight, cut: whole pages on the wire.
        poll_fn(|cx| Pin::new(&mut w).poll_ready(cx)).await.unwrap();
        let written = w.get_ref().out.len();
        assert_eq!(written % 4096, 0, "{written} bytes written");
        assert_eq!(written + w.buffered(), 9 + 100_004 + 70_004);
        assert!(w.buffered() > 0 && w.buffered() < 4096);
        sink_close::<_, Bytes>(&mut w).await.unwrap();
    });
    let sw = w.into_inner();
    let mut want = Vec::new();
    for f in &frames {
        want.extend_from_slice(&(f.len() as u32).to_le_bytes());
        want.extend_from_slice(f);
    }
    assert_eq!(sw.out, want);
}

#[test]
fn dropping_a_read_future_mid_frame_loses_nothing() {
    let plan = Plan {
        sizes: vec![4096],
        pending: vec![false],
    };
    let mut script = ScriptedReader::new(b"\x0a\0\0\0hello", plan);
    script.stall = true;
    let mut r = AsyncFrameReader::new(script, LengthPrefixed::u32_le());
    assert!(block_on(poll_once(r.read_frame_ref())).is_none());
    assert_eq!(r.buffered(), b"\x0a\0\0\0hello");
    r.get_mut().data.extend(b"world\x01\0\0\0!");
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
        assert!(block_on(poll_once(w.write_frame(&payload))).is_none());
        drop(payload);
    }
    assert_eq!(w.get_ref().out.len(), 150);
    assert!(block_on(poll_once(w.write_frame_bytes(Bytes::from_static(b"never")))).is_none());
    *budget.lock().unwrap() = usize::MAX;
    block_on(w.write_frame_bytes(Bytes::from_static(b"after"))).unwrap();
    block_on(w.flush()).unwrap();
    let mut want = 10_000u32.to_le_bytes().to_vec();
    want.extend_from_slice(&big);
    want.extend_from_slice(b"\x05\0\0\0after");
    assert_eq!(w.get_ref().out, want);
}

/// `Framed` (one object, both directions) over a Unix socket and a TCP connection: requests
/// and replies in LSP framing.
#[cfg(unix)]
#[test]
fn framed_request_reply_over_unix_and_tcp_sockets() {
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(s: S) -> io::Result<()> {
        let mut framed = tokio_util::codec::Framed::new(
            s,
            Framing::from(pipeframe::codec::ContentLength::new()),
        );
        while let Some(req) = framed.next().await {
            let mut reply = b"re: ".to_vec();
            reply.extend_from_slice(&req?);
            sink_send(&mut framed, reply).await?;
            poll_fn(|cx| Sink::<Bytes>::poll_flush(Pin::new(&mut framed), cx)).await?;
        }
        sink_close::<_, Bytes>(&mut framed).await
    }
    async fn client<S: AsyncRead + AsyncWrite + Unpin>(s: S) -> io::Result<()> {
        let mut framed = tokio_util::codec::Framed::new(
            s,
            Framing::from(pipeframe::codec::ContentLength::new()),
        );
        for i in 0..50 {
            let req = format!("{{\"id\":{i}}}");
            sink_send(&mut framed, req.as_bytes()).await?;
            poll_fn(|cx| Sink::<&[u8]>::poll_flush(Pin::new(&mut framed), cx)).await?;
            let reply = framed.next().await.expect("a reply")?;
            assert_eq!(reply, format!("re: {req}").as_bytes());
        }
        Ok(())
    }
    rt().block_on(async {
        let (a, b) = tokio::net::UnixStream::pair().unwrap();
        let server = tokio::spawn(serve(a));
        client(b).await.unwrap();
        server.await.unwrap().unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { serve(listener.accept().await?.0).await });
        client(tokio::net::TcpStream::connect(addr).await.unwrap())
            .await
            .unwrap();
        server.await.unwrap().unwrap();
    });
}

#[cfg(any(unix, feature = "futures-io"))]
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn tokio_pipe_whose_reader_never_reads_bounds_the_writer() {
    rt().block_on(async {
        let (tx, rx) = tokio::net::unix::pipe::pipe().unwrap();
        let hw = 8 * 1024;
        let mut w = AsyncFrameWriter::with_high_water(hw, tx, LengthPrefixed::u32_le());
        let frame = pattern(512, 5);
        let mut sent = 0usize;
        while poll_once(w.write_frame(&frame)).await.is_some() {
            sent += 1;
            assert!(sent < 1_000_000, "the writer never pushed back");
        }
        assert!(w.buffered() < hw + 516, "buffered {}", w.buffered());
        assert!(sent * 516 >= hw, "accepted only {sent} frames");
        drop(rx);
    });
}

/// Frames up to 200 KiB (more than a pipe or socket buffer holds), sent by both ends at once.
#[cfg(unix)]
fn duplex_frames(seed: u8) -> Vec<Vec<u8>> {
    (0..40usize)
        .map(|i| pattern([0, 1, 100, 5000, 200_000][i % 5] + i, seed))
        .collect()
}

/// Sends one side's frames and reads the other's from two tasks; `framed` picks tokio-util's
/// FramedRead/FramedWrite over the codec impls instead of the engine reader/writer.
#[cfg(unix)]
async fn talk<R, W>(r: R, w: W, send_seed: u8, recv_seed: u8, framed: bool) -> io::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let writer = tokio::spawn(async move {
        if framed {
            let mut w = FramedWrite::new(w, LengthPrefixed::u32_le());
            for f in duplex_frames(send_seed) {
                sink_send(&mut w, Bytes::from(f)).await?;
            }
            sink_close::<_, Bytes>(&mut w).await
        } else {
            let mut w = AsyncFrameWriter::new(w, LengthPrefixed::u32_le());
            for f in duplex_frames(send_seed) {
                w.write_frame(&f).await?;
            }
            w.close().await
        }
    });
    let reader = tokio::spawn(async move {
        let got: Vec<Vec<u8>> = if framed {
            let mut r = FramedRead::new(r, LengthPrefixed::u32_le());
            let mut got = Vec::new();
            while let Some(f) = r.next().await {
                got.push(f?.to_vec());
            }
            got
        } else {
            let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
            let mut got = Vec::new();
            while let Some(f) = r.read_frame_ref().await? {
                got.push(f.to_vec());
            }
            got
        };
        assert_eq!(got, duplex_frames(recv_seed));
        io::Result::Ok(())
    });
    writer.await.unwrap()?;
    reader.await.unwrap()
}

#[cfg(unix)]
#[test]
fn tokio_full_duplex_over_two_anonymous_pipes() {
    for framed in [false, true] {
        rt().block_on(async {
            let (a_tx, b_rx) = tokio::net::unix::pipe::pipe().unwrap();
            let (b_tx, a_rx) = tokio::net::unix::pipe::pipe().unwrap();
            let ta = tokio::spawn(talk(a_rx, a_tx, 1, 2, framed));
            let tb = tokio::spawn(talk(b_rx, b_tx, 2, 1, !framed));
            ta.await.unwrap().unwrap();
            tb.await.unwrap().unwrap();
        });
    }
}

#[cfg(unix)]
#[test]
fn tokio_full_duplex_over_a_unix_socket_pair() {
    for framed in [false, true] {
        rt().block_on(async {
            let (a, b) = tokio::net::UnixStream::pair().unwrap();
            let (ar, aw) = a.into_split();
            let (br, bw) = b.into_split();
            let ta = tokio::spawn(talk(ar, aw, 3, 4, framed));
            let tb = tokio::spawn(talk(br, bw, 4, 3, framed));
            ta.await.unwrap().unwrap();
            tb.await.unwrap().unwrap();
        });
    }
}

/// The examples' own code (included as modules): the tokio echo server and the smol client
/// talk over a named pipe, small lines and, with `lp32le`, frames larger than the pipe
/// buffers while both directions are busy.
#[cfg(feature = "futures-io")]
#[allow(dead_code)]
#[path = "../examples/tokio_echo_server.rs"]
mod echo_server;

// Both examples include examples/common/address.rs, each for its own `main`.
#[cfg(feature = "futures-io")]
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../examples/smol_client.rs"]
mod smol_client;

#[cfg(feature = "futures-io")]
#[test]
fn example_tokio_echo_server_and_smol_client_talk() {
    use pipeframe::named::PipeName;
    use std::time::Duration;

    let rt = rt();
    let cases: [(&str, Vec<String>); 3] = [
        ("lines", (0..2000).map(|i| format!("message {i}")).collect()),
        ("lp32le", (0..12).map(|i| "x".repeat(i * 40_000)).collect()),
        (
            "lsp",
            vec![r#"{"jsonrpc":"2.0","id":1}"#.to_owned(), String::new()],
        ),
    ];
    for (name, messages) in cases {
        let pipe = PipeName::new(&format!("pf-echo-{name}-{}", std::process::id())).unwrap();
        let listener = rt
            .block_on(async { pipeframe::named::tokio::Listener::bind(&pipe) })
            .unwrap();
        let server = rt.spawn(echo_server::serve_pipe(listener, framing(name)));
        let replies = smol::block_on(async {
            let (rd, wr) =
                pipeframe::named::futures_io::connect_timeout(&pipe, Duration::from_secs(10))
                    .await?
                    .into_split();
            smol_client::exchange(rd, wr, framing(name), &messages).await
        })
        .unwrap();
        assert_eq!(replies.len(), messages.len(), "{name}");
        assert!(
            replies
                .iter()
                .zip(&messages)
                .all(|(r, m)| r == m.as_bytes()),
            "{name}"
        );
        server.abort();
    }
}
