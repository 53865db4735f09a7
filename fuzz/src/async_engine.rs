//! The async engine targets: `pipeframe::tokio::AsyncFrameReader` and
//! `pipeframe::futures_io::AsyncFrameReader` over a scripted source whose reads return data
//! (1 to 32 bytes, or all that fits), `Interrupted`, or `Pending` (the script's `WouldBlock`
//! too: an async source never returns it), polled by hand with a no-op waker.
//!
//! Checked as for the blocking engine (see [`EngineCheck`]): every read equals the one-piece
//! decoding, `position() + buffered()` equals the bytes read at every call, a clean end stays
//! the end, a fatal error stays fatal. Besides, the `CANCEL` flag drops every read future
//! that returned `Pending` and starts a new one (cancellation safety: nothing may be lost),
//! and one read kind in four goes through the `Stream` impl.
//!
//! Used by the `tokio_reader` and `futures_reader` targets and by `tests/fuzz_regressions.rs`
//! (with the main crate's `tokio` and `futures-io` features).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use pipeframe::codec::FrameDecoder;

use crate::invariants::{
    AsFraming, ENGINE_MEM_FACTOR, EngineCheck, Input, MemProbe, ReadKind, ReadOp, ScriptedSource,
    check_decoder_returned, check_mem, engine_capacity, engine_framing, handover, read_kind,
};

/// Flag bit (in `cfg[3]`'s top bit, which the buffer size ignores): drop pending futures.
pub const CANCEL: u8 = 0x80;

/// A [`ScriptedSource`] as an async reader of both kinds.
#[derive(Debug)]
pub struct ScriptedAsync<'a> {
    src: ScriptedSource<'a>,
}

impl<'a> ScriptedAsync<'a> {
    /// An async source over `stream` following `script`.
    pub fn new(stream: &'a [u8], script: &[u8]) -> Self {
        ScriptedAsync {
            src: ScriptedSource::new(stream, script),
        }
    }

    /// Bytes handed out so far.
    pub fn pos(&self) -> usize {
        self.src.pos
    }

    /// `Pending`s returned so far.
    pub fn stalls(&self) -> usize {
        self.src.stalls
    }

    /// The next operation: `Ready(Ok(n))` a read of up to `n` bytes.
    fn op(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        match self.src.next_op() {
            ReadOp::Data(n) => Poll::Ready(Ok(n)),
            ReadOp::Interrupted => Poll::Ready(Err(io::ErrorKind::Interrupted.into())),
            ReadOp::WouldBlock | ReadOp::Pending => {
                self.src.stalls += 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

impl tokio::io::AsyncRead for ScriptedAsync<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.op(cx) {
            Poll::Ready(Ok(n)) => {
                let k = this.src.take(n, buf.initialize_unfilled());
                buf.advance(k);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl futures_io::AsyncRead for ScriptedAsync<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.op(cx) {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(this.src.take(n, buf))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Polls the future `make` builds until it is ready; with `cancel`, a future that returned
/// `Pending` is dropped and a new one built. Counts the polls that were `Pending`. With a
/// fifth argument, that expression runs after each drop and may end the loop with its
/// `Some` value instead (the writer target: a dropped write future that queued its frame).
macro_rules! drive {
    ($cx:expr, $cancel:expr, $pending:expr, $make:expr) => {
        drive!($cx, $cancel, $pending, $make, None)
    };
    ($cx:expr, $cancel:expr, $pending:expr, $make:expr, $dropped:expr) => {
        loop {
            let out = {
                let mut fut = ::std::pin::pin!($make);
                loop {
                    match ::std::future::Future::poll(fut.as_mut(), $cx) {
                        ::std::task::Poll::Ready(x) => break Some(x),
                        ::std::task::Poll::Pending => {
                            $pending += 1;
                            if $cancel {
                                break None;
                            }
                        }
                    }
                }
            };
            match out {
                Some(x) => break x,
                None => {
                    if let Some(x) = $dropped {
                        break x;
                    }
                }
            }
        }
    };
}
pub(crate) use drive;

/// The async read kinds: the blocking ones, plus `Stream::poll_next` for kind 3.
fn async_kind(flags: u8, i: usize) -> (ReadKind, bool) {
    let stream = (flags >> (2 * (i % 4))) & 3 == 3;
    (read_kind(flags, i), stream)
}

macro_rules! check_async_reader {
    ($name:ident, $run:ident, $reader:ident) => {
        /// Checks one input against this async flavour's reader, the codec handed over as the
        /// input's `Handover` says.
        pub fn $name(data: &[u8], probe: &dyn MemProbe) {
            let Some(input) = Input::parse(data) else {
                return;
            };
            let framing = engine_framing(&input);
            let check = EngineCheck::for_input(&input, &framing);
            handover!(input.handover(), framing, |codec| $run(
                &input, check, codec, probe
            ));
        }

        fn $run<D: FrameDecoder + AsFraming + Unpin>(
            input: &Input<'_>,
            mut check: EngineCheck,
            codec: D,
            probe: &dyn MemProbe,
        ) {
            let fresh = codec.framing().clone();
            let cap = engine_capacity(input.cfg);
            let cancel = input.cfg[3] & CANCEL != 0;
            let mut cx = Context::from_waker(Waker::noop());
            let mut pending = 0usize;
            probe.start();
            let source = ScriptedAsync::new(input.stream, input.script);
            let mut r = <$reader<'_, D>>::with_capacity(cap, source, codec);
            let mut i = 0;
            loop {
                let (kind, via_stream) = async_kind(input.cfg[2], i);
                i += 1;
                let got: io::Result<Option<Vec<u8>>> = if via_stream {
                    let item = drive!(
                        &mut cx,
                        cancel,
                        pending,
                        std::future::poll_fn(|cx| Pin::new(&mut r).poll_next(cx))
                    );
                    item.transpose().map(|f| f.map(|f| f.to_vec()))
                } else {
                    match kind {
                        ReadKind::Owned => drive!(&mut cx, cancel, pending, r.read_frame())
                            .map(|f| f.map(|f| f.to_vec())),
                        ReadKind::Borrowed => {
                            drive!(&mut cx, cancel, pending, async {
                                r.read_frame_ref().await.map(|f| f.map(<[u8]>::to_vec))
                            })
                        }
                        ReadKind::Text => drive!(&mut cx, cancel, pending, async {
                            r.read_str().await.map(|s| s.map(|s| s.as_bytes().to_vec()))
                        }),
                    }
                };
                assert_eq!(
                    r.position() as usize + r.buffered().len(),
                    r.get_ref().pos(),
                    "consumed + buffered != bytes read"
                );
                if let Err(e) = &got {
                    assert_ne!(
                        e.kind(),
                        io::ErrorKind::Interrupted,
                        "Interrupted not retried"
                    );
                }
                if check.next(got, kind) {
                    break;
                }
                assert!(
                    i + pending <= 8 * input.stream.len() + 256,
                    "no progress ({i} reads, {pending} pending polls)"
                );
            }
            if check.ended_fatally() {
                let again = drive!(&mut cx, false, pending, r.read_frame());
                assert!(again.is_err(), "read after a fatal error succeeded");
                let next = drive!(
                    &mut cx,
                    false,
                    pending,
                    std::future::poll_fn(|cx| Pin::new(&mut r).poll_next(cx))
                );
                assert!(next.is_none(), "stream goes on after a fatal error");
            } else {
                let end = drive!(&mut cx, false, pending, r.read_frame());
                assert_eq!(end.unwrap(), None, "a clean end did not stay the end");
                assert_eq!(r.position() as usize, input.stream.len());
            }
            assert_eq!(
                r.position() as usize,
                check.consumed(),
                "position differs from one piece"
            );
            // The reader is `Pending` exactly when its source was: never spuriously (which
            // would hang a task, no waker being registered by anyone).
            assert_eq!(
                pending,
                r.get_ref().stalls(),
                "Pending polls != source stalls"
            );
            check_decoder_returned(r.decoder_mut(), &fresh);
            let (_, codec) = r.into_parts();
            assert_eq!(codec.framing(), &fresh, "into_parts gave another decoder");
            check_mem(
                probe,
                ENGINE_MEM_FACTOR,
                input.stream.len(),
                3 * cap,
                stringify!($reader),
            );
        }
    };
}

/// The tokio reader over the scripted source.
type TokioReader<'a, D> = pipeframe::tokio::AsyncFrameReader<ScriptedAsync<'a>, D>;
/// The futures-io reader over the scripted source.
type FuturesReader<'a, D> = pipeframe::futures_io::AsyncFrameReader<ScriptedAsync<'a>, D>;

check_async_reader!(check_tokio_reader, tokio_reader, TokioReader);
check_async_reader!(check_futures_reader, futures_reader, FuturesReader);
