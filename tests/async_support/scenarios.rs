//! The scenarios every async flavour must pass, written once, generic over the runtime marker
//! (`pipeframe::rt::Tokio`, `pipeframe::rt::AsyncIo`): tests/tokio_flavour.rs and
//! tests/futures_flavour.rs run each one in their flavour, beside what only their runtime has.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_lite::StreamExt;
use futures_lite::future::{block_on, poll_once};
use futures_sink::Sink;
use pipeframe::codec::{Delimited, Framing, LengthPrefixed};
use pipeframe::rt::{AsyncFrameReader, AsyncFrameWriter, ReadIo, WriteIo};
use proptest::prelude::*;

use super::*;

/// A runtime marker whose flavour these scenarios drive: it polls the scripted reader and
/// writer, and byte slices.
pub(crate) trait Flavour:
    ReadIo<ScriptedReader> + WriteIo<ScriptedWriter> + for<'a> ReadIo<&'a [u8]>
{
}

impl<Rt> Flavour for Rt where
    Rt: ReadIo<ScriptedReader> + WriteIo<ScriptedWriter> + for<'a> ReadIo<&'a [u8]>
{
}

pub(crate) async fn sink_send<S: Sink<I, Error = io::Error> + Unpin, I>(
    s: &mut S,
    item: I,
) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *s).poll_ready(cx)).await?;
    Pin::new(&mut *s).start_send(item)
}

pub(crate) async fn sink_close<S: Sink<I, Error = io::Error> + Unpin, I>(
    s: &mut S,
) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *s).poll_close(cx)).await
}

/// Reads a stream of results until it ends (or a second error, or `limit` items).
pub(crate) async fn stream_outcome<S: futures_core::Stream<Item = io::Result<Bytes>> + Unpin>(
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

/// What the engine reader of `Rt` makes of `r`, owned or borrowed frames.
pub(crate) async fn engine_outcome<Rt: Flavour>(
    f: &Framing,
    r: ScriptedReader,
    limit: usize,
    borrowed: bool,
) -> Outcome {
    let mut r = AsyncFrameReader::<_, _, Rt>::with_capacity(16, r, f.clone());
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

/// How the engine writer is fed: `write_frame`, or the `Sink` (closed through the `Sink`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Feed {
    WriteFrame,
    Sink,
}

/// The bytes the engine writer of `Rt` writes for `frames`.
pub(crate) async fn engine_encode<Rt: Flavour>(
    how: Feed,
    f: &Framing,
    frames: &[Vec<u8>],
    plan: Plan,
    high_water: usize,
) -> Vec<u8> {
    let mut w = AsyncFrameWriter::<_, _, Rt>::with_high_water(
        high_water,
        ScriptedWriter::new(plan),
        f.clone(),
    );
    for p in frames {
        match how {
            Feed::Sink => sink_send(&mut w, Bytes::from(p.clone())).await.unwrap(),
            Feed::WriteFrame => w.write_frame(p).await.unwrap(),
        }
    }
    match how {
        Feed::Sink => sink_close::<_, Bytes>(&mut w).await.unwrap(),
        Feed::WriteFrame => w.close().await.unwrap(),
    }
    assert_eq!(w.buffered(), 0);
    w.into_inner().out
}

pub(crate) fn vectors_decode_with_pending_and_one_byte_reads<Rt: Flavour>() {
    for v in vectors() {
        let f = framing(v.name);
        let want = frames_outcome(&v.frames);
        let limit = read_limit(&v.wire);
        for borrowed in [false, true] {
            let r = ScriptedReader::new(&v.wire, Plan::bytewise());
            assert_eq!(
                block_on(engine_outcome::<Rt>(&f, r, limit, borrowed)),
                want,
                "{} {:?} borrowed={borrowed}",
                v.name,
                v.wire
            );
        }
        // As a Stream, over the same script and over the bytes read in one go.
        let r = AsyncFrameReader::<_, _, Rt>::new(
            ScriptedReader::new(&v.wire, Plan::bytewise()),
            f.clone(),
        );
        assert_eq!(
            block_on(stream_outcome(r, limit)),
            want,
            "Stream {}",
            v.name
        );
        let r = AsyncFrameReader::<_, _, Rt>::new(&v.wire[..], f.clone());
        let got: Vec<Bytes> = block_on(r.try_collect()).unwrap();
        assert_eq!(got, v.frames, "{}", v.name);
    }
}

pub(crate) fn vectors_encode_through_write_frame_and_sink<Rt: Flavour>() {
    for v in vectors().into_iter().filter(|v| v.canonical) {
        let f = framing(v.name);
        for how in [Feed::WriteFrame, Feed::Sink] {
            for hw in [0, 3, 64 * 1024] {
                let wire = block_on(engine_encode::<Rt>(
                    how,
                    &f,
                    &v.frames,
                    Plan::bytewise(),
                    hw,
                ));
                assert_eq!(wire, v.wire, "{} {how:?} high_water={hw}", v.name);
            }
        }
    }
}

pub(crate) fn eof_inside_a_frame_is_unexpected_eof_and_a_clean_end_is_none<Rt: Flavour>() {
    let f = framing("lp32le");
    let r = ScriptedReader::new(b"\x05\0\0\0hel", Plan::bytewise());
    let got = block_on(engine_outcome::<Rt>(&f, r, 8, false));
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
    let mut r =
        AsyncFrameReader::<_, _, Rt>::new(ScriptedReader::new(b"a\nb", Plan::bytewise()), f);
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
    let mut r = AsyncFrameReader::<_, _, Rt>::new(&b"a\n"[..], Delimited::lines());
    assert!(block_on(r.read_frame()).unwrap().is_some());
    assert!(block_on(r.read_frame()).unwrap().is_none());
    assert!(block_on(r.read_frame()).unwrap().is_none(), "stays ended");
}

pub(crate) fn invalid_utf8_is_skipped_by_read_str<Rt: Flavour>() {
    let mut r = AsyncFrameReader::<_, _, Rt>::new(
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

/// What a reading case feeds and what the blocking reader makes of it: the framing (with
/// the reading side's maximum), the bytes, the blocking outcome. A valid stream read without a
/// smaller maximum must give back its frames.
pub(crate) fn reading_case(case: &ReadCase) -> Result<(Framing, Vec<u8>, Outcome), TestCaseError> {
    let f = framing(case.name);
    let wire = wire_for(&f, &case.frames, case.mode, case.cut, &case.junk);
    // A smaller maximum on the reading side: oversize errors (fatal, or recoverable for
    // delimiters) must come out the same way too.
    let f = match case.max {
        Some(m) => f.with_max_frame_len(m),
        None => f,
    };
    let want = sync_outcome(&f, &wire);
    if case.mode % 4 < 2 && case.max.is_none() {
        prop_assert_eq!(&want, &frames_outcome(&case.frames));
    }
    Ok((f, wire, want))
}

/// Any chunking, any `Pending`s: the engine reader of `Rt` returns exactly what the blocking
/// reader returns for the same bytes (frames, errors and their messages), for valid,
/// truncated and arbitrary input.
pub(crate) fn reading_matches_the_blocking_flavour<Rt: Flavour>(
    case: &ReadCase,
) -> Result<(), TestCaseError> {
    let (f, wire, want) = reading_case(case)?;
    let r = ScriptedReader::new(&wire, case.plan.clone());
    let got = block_on(engine_outcome::<Rt>(
        &f,
        r,
        read_limit(&wire),
        case.borrowed,
    ));
    prop_assert_eq!(got, want);
    Ok(())
}

/// Any write sizes, any `Pending`s, any high-water mark: the engine writer of `Rt` writes the
/// blocking writer's bytes.
pub(crate) fn writing_matches_the_blocking_flavour<Rt: Flavour>(
    case: &WriteCase,
    how: Feed,
) -> Result<(), TestCaseError> {
    let f = framing(case.name);
    let want = sync_encode(&f, &case.frames);
    let got = block_on(engine_encode::<Rt>(
        how,
        &f,
        &case.frames,
        case.plan.clone(),
        case.high_water,
    ));
    prop_assert_eq!(got, want);
    Ok(())
}

/// One vectored write carries the batch, the header and the payload, whether the payload is
/// borrowed (`write_frame`) or handed over (`write_frame_bytes`).
pub(crate) fn large_payload_goes_out_vectored_beside_the_batch<Rt: Flavour>() {
    let big = pattern(100_000, 3);
    for owned in [false, true] {
        let plan = Plan {
            sizes: vec![1 << 20],
            pending: vec![false],
        };
        let mut w =
            AsyncFrameWriter::<_, _, Rt>::new(ScriptedWriter::new(plan), LengthPrefixed::u32_le());
        block_on(async {
            w.write_frame(b"small").await.unwrap();
            if owned {
                w.write_frame_bytes(Bytes::from(big.clone())).await.unwrap();
            } else {
                w.write_frame(&big).await.unwrap();
            }
            w.flush().await.unwrap();
        });
        let sw = w.into_inner();
        assert_eq!(
            sw.vectored_calls, 1,
            "batch, header and payload in one vectored write (owned={owned})"
        );
        let mut want = b"\x05\0\0\0small".to_vec();
        want.extend_from_slice(&(big.len() as u32).to_le_bytes());
        want.extend_from_slice(&big);
        assert_eq!(sw.out, want);
    }
}

/// Items sent through the `Sink` are delivered on flush, so a large one may be written up to
/// the last 4 KiB page boundary of the stream, the rest of its last page waiting in the batch;
/// `write_frame` never does that (see [`large_payload_goes_out_vectored_beside_the_batch`]).
pub(crate) fn sink_items_are_cut_at_page_boundaries<Rt: Flavour>() {
    let plan = Plan {
        sizes: vec![1 << 20],
        pending: vec![false],
    };
    let frames: Vec<Vec<u8>> = vec![b"small".to_vec(), pattern(100_000, 3), pattern(70_000, 5)];
    // A 16 KiB mark: a stream gathers four marks (64 KiB) of large items before writing, so
    // each large item here is written when the next is offered.
    let mut w = AsyncFrameWriter::<_, _, Rt>::with_high_water(
        16 * 1024,
        ScriptedWriter::new(plan),
        LengthPrefixed::u32_le(),
    );
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

/// The future reads half the frame, then the peer stalls: it is dropped, and the next read
/// gets the whole frame, owned or borrowed.
pub(crate) fn dropping_a_read_future_mid_frame_loses_nothing<Rt: Flavour>() {
    for borrowed in [false, true] {
        let plan = Plan {
            sizes: vec![4096],
            pending: vec![false],
        };
        let mut script = ScriptedReader::new(b"\x0a\0\0\0hello", plan);
        script.stall = true;
        let mut r = AsyncFrameReader::<_, _, Rt>::new(script, LengthPrefixed::u32_le());
        if borrowed {
            assert!(block_on(poll_once(r.read_frame_ref())).is_none());
        } else {
            assert!(block_on(poll_once(r.read_frame())).is_none());
        }
        assert_eq!(r.buffered(), b"\x0a\0\0\0hello");
        r.get_mut().push(b"world\x01\0\0\0!");
        assert_eq!(
            block_on(r.read_frame()).unwrap().as_deref(),
            Some(&b"helloworld"[..])
        );
        assert_eq!(block_on(r.read_frame_ref()).unwrap(), Some(&b"!"[..]));
    }
}

/// A frame accepted and partly written goes out whole although its future was dropped; a
/// frame whose future is dropped while waiting for room is not sent at all. The later frames
/// go through `write_frame` or `write_frame_bytes`.
pub(crate) fn dropping_a_write_future_mid_frame_still_sends_the_whole_frame<Rt: Flavour>() {
    for owned in [false, true] {
        let sw = ScriptedWriter::new(Plan {
            sizes: vec![100],
            pending: vec![false],
        });
        let budget = sw.budget.clone();
        *budget.lock().unwrap() = 150;
        let mut w = AsyncFrameWriter::<_, _, Rt>::new(sw, LengthPrefixed::u32_le());
        let big = pattern(10_000, 7);
        {
            let payload = big.clone();
            // Accepted and partly written (150 bytes), then the peer stops reading: drop it.
            assert!(block_on(poll_once(w.write_frame(&payload))).is_none());
            drop(payload); // the writer kept its own copy of the unsent frame
        }
        assert_eq!(w.get_ref().out.len(), 150);
        assert_eq!(w.buffered(), 4 + 10_000 - 150);
        if owned {
            let never = w.write_frame_bytes(Bytes::from_static(b"never"));
            assert!(block_on(poll_once(never)).is_none());
        } else {
            assert!(block_on(poll_once(w.write_frame(b"never"))).is_none());
        }
        *budget.lock().unwrap() = usize::MAX;
        if owned {
            block_on(w.write_frame_bytes(Bytes::from_static(b"after"))).unwrap();
        } else {
            block_on(w.write_frame(b"after")).unwrap();
        }
        block_on(w.flush()).unwrap();
        let mut want = 10_000u32.to_le_bytes().to_vec();
        want.extend_from_slice(&big);
        want.extend_from_slice(b"\x05\0\0\0after");
        assert_eq!(w.get_ref().out, want, "owned={owned}");
    }
}

pub(crate) fn sink_stops_accepting_at_the_high_water_mark_when_the_peer_does_not_read<
    Rt: Flavour,
>() {
    let sw = ScriptedWriter::new(Plan {
        sizes: vec![4096],
        pending: vec![false],
    });
    *sw.budget.lock().unwrap() = 0;
    let hw = 16 * 1024;
    let mut w = AsyncFrameWriter::<_, _, Rt>::with_high_water(hw, sw, LengthPrefixed::u32_le());
    let frame = Bytes::from(pattern(1000, 1));
    let mut accepted = 0;
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
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

pub(crate) fn write_frame_refuses_what_the_codec_cannot_carry<Rt: Flavour>() {
    let mut w = AsyncFrameWriter::<_, _, Rt>::new(
        ScriptedWriter::new(Plan::bytewise()),
        LengthPrefixed::u8(),
    );
    let e = block_on(w.write_frame(&[0; 256])).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(w.buffered(), 0, "nothing queued for a refused frame");
}

/// A real pipe `tx` whose reader never reads: the writer of `Rt` pushes back once it holds
/// the high-water mark, and holds no more than that plus one frame. Run inside the runtime
/// that `tx` belongs to.
pub(crate) async fn pipe_whose_reader_never_reads_bounds_the_writer<Rt, W>(tx: W, owned: bool)
where
    Rt: WriteIo<W>,
    W: Unpin,
{
    let hw = 8 * 1024;
    let mut w = AsyncFrameWriter::<_, _, Rt>::with_high_water(hw, tx, LengthPrefixed::u32_le());
    let frame = pattern(512, 5);
    let mut sent = 0usize;
    // Stop at the first send that cannot complete at once.
    loop {
        let done = if owned {
            poll_once(w.write_frame_bytes(Bytes::from(frame.clone())))
                .await
                .is_some()
        } else {
            poll_once(w.write_frame(&frame)).await.is_some()
        };
        if !done {
            break;
        }
        sent += 1;
        assert!(sent < 1_000_000, "the writer never pushed back");
    }
    assert!(w.buffered() < hw + 516, "buffered {}", w.buffered());
    assert!(sent * 516 >= hw, "accepted only {sent} frames");
}

/// Frames up to 200 KiB (more than a pipe or socket buffer holds), sent by both ends at once.
pub(crate) fn duplex_frames(seed: u8) -> Vec<Vec<u8>> {
    (0..40usize)
        .map(|i| pattern([0, 1, 100, 5000, 200_000][i % 5] + i, seed))
        .collect()
}

/// Sends [`duplex_frames`]`(seed)` through the engine writer of `Rt`, then closes.
pub(crate) async fn engine_send<Rt: WriteIo<W>, W: Unpin>(w: W, seed: u8) -> io::Result<()> {
    let mut w = AsyncFrameWriter::<_, _, Rt>::new(w, LengthPrefixed::u32_le());
    for f in duplex_frames(seed) {
        w.write_frame(&f).await?;
    }
    w.close().await
}

/// Reads frames through the engine reader of `Rt` until the end; they must be
/// [`duplex_frames`]`(seed)`.
pub(crate) async fn engine_recv<Rt: ReadIo<R>, R: Unpin>(
    r: R,
    seed: u8,
    borrowed: bool,
) -> io::Result<()> {
    let mut r = AsyncFrameReader::<_, _, Rt>::new(r, LengthPrefixed::u32_le());
    let mut got = Vec::new();
    if borrowed {
        while let Some(f) = r.read_frame_ref().await? {
            got.push(f.to_vec());
        }
    } else {
        while let Some(f) = r.read_frame().await? {
            got.push(f.to_vec());
        }
    }
    assert_eq!(got, duplex_frames(seed));
    Ok(())
}

/// A future on its own task, joined: how a flavour spawns.
pub(crate) type Spawned = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// One end of a full-duplex run: `send` and `recv` on tasks of their own (`spawn`), both at
/// once, so a writer that stalled its own reader would deadlock.
pub(crate) async fn talk(
    send: impl Future<Output = io::Result<()>> + Send + 'static,
    recv: impl Future<Output = io::Result<()>> + Send + 'static,
    spawn: fn(Spawned) -> Spawned,
) -> io::Result<()> {
    let writer = spawn(Box::pin(send));
    let reader = spawn(Box::pin(recv));
    writer.await?;
    reader.await
}

/// [`talk`] through the engine writer and reader of `Rt`, owned or borrowed frames.
pub(crate) async fn engine_talk<Rt, R, W>(
    r: R,
    w: W,
    (send_seed, recv_seed): (u8, u8),
    borrowed: bool,
    spawn: fn(Spawned) -> Spawned,
) -> io::Result<()>
where
    Rt: ReadIo<R> + WriteIo<W>,
    R: Unpin + Send + 'static,
    W: Unpin + Send + 'static,
{
    talk(
        engine_send::<Rt, _>(w, send_seed),
        engine_recv::<Rt, _>(r, recv_seed, borrowed),
        spawn,
    )
    .await
}

/// One `#[test]` per scenario of this module, each under the scenario's name, run in flavour
/// `$rt`: every flavour runs every one of them (the properties, which take proptest inputs,
/// each flavour runs in its own `proptest!`).
macro_rules! run_every_scenario_in {
    ($rt:ty) => {
        crate::async_support::scenarios::run_every_scenario_in!(
            $rt:
            vectors_decode_with_pending_and_one_byte_reads,
            vectors_encode_through_write_frame_and_sink,
            eof_inside_a_frame_is_unexpected_eof_and_a_clean_end_is_none,
            invalid_utf8_is_skipped_by_read_str,
            large_payload_goes_out_vectored_beside_the_batch,
            sink_items_are_cut_at_page_boundaries,
            dropping_a_read_future_mid_frame_loses_nothing,
            dropping_a_write_future_mid_frame_still_sends_the_whole_frame,
            sink_stops_accepting_at_the_high_water_mark_when_the_peer_does_not_read,
            write_frame_refuses_what_the_codec_cannot_carry,
        );
    };
    ($rt:ty: $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                crate::async_support::scenarios::$name::<$rt>();
            }
        )*
    };
}
pub(crate) use run_every_scenario_in;
