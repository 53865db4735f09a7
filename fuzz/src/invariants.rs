//! The invariants every fuzz target asserts, in one copy.
//!
//! Used by the fuzz targets (`fuzz/fuzz_targets/*.rs`, through the `pipeframe-fuzz` library)
//! and by `tests/fuzz_regressions.rs` in the main crate, which replays every input committed
//! under `fuzz/regressions/` through these same functions. So this file depends on `pipeframe`,
//! `bytes` and `std` only, and reaches nothing else in its crate.
//!
//! # Input layout
//!
//! ```text
//! +------+------+-------+-------+-----+---------------------+-------------------------+
//! | cfg0 | cfg1 | flags | byte  | n   | script (n % 32 B)   | stream (the wire bytes) |
//! +------+------+-------+-------+-----+---------------------+-------------------------+
//! ```
//!
//! `cfg0` picks the variant (prefix width and byte order, delimiter family, ...), `cfg1` the
//! maximum frame length ([`max_from`]), `flags` the boolean options, `byte` a delimiter byte or
//! a header limit. The script chooses the chunk sizes (codec targets) or the reads of a
//! scripted reader (engine targets). `n / 32` (the [`shape`](Input::shape), 0 to 7) is read
//! by the engine targets only: bit 0 picks `DotnetLines` instead of the family `cfg0` names,
//! bits 1-2 how the codec is handed to the reader or writer ([`Handover`]).
//!
//! # Invariants
//!
//! * chunking equivalence: one piece, 1-byte pieces, and the scripted pieces (empty pieces
//!   included) give the same frames, the same errors and the same unconsumed remainder, both
//!   through `step`/`step_eof` and through `decode`/`decode_eof`;
//! * bytes conserved: consumed plus remaining equals the bytes fed, at every call; a frame is
//!   the exact input bytes at the position the decoder claims; the end of a stream is clean
//!   only when every byte was consumed;
//! * progress: a frame consumes at least one byte, and two errors never follow each other
//!   without bytes consumed in between (no endless loop);
//! * round trip: decoded frames re-encode, and the encoding decodes to the same frames;
//!   canonical encodings give back the input bytes themselves;
//! * bounded memory: through a [`MemProbe`], the peak allocation while decoding stays within
//!   [`MEM_FACTOR`] times the bytes fed plus a constant, whatever the headers claim.

use std::io::{self, Read};
use std::ops::Range;

use bytes::{Bytes, BytesMut};
use pipeframe::codec::{
    ContentLength, DEFAULT_MAX_FRAME_LEN, DecodeError, Delimited, DotnetLines, EncodeError, Endian,
    FrameDecoder, FrameEncoder, Framing, LengthPrefixed, Missing, Netstring, Parts, Prefix, Step,
    Width, check_utf8,
};
use pipeframe::sync::FrameReader;

/// Bytes before the script: four configuration bytes and the script length.
pub const HEAD: usize = 5;

/// A fuzz input split into its parts. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Configuration bytes.
    pub cfg: [u8; 4],
    /// `n / 32`: the engine targets' codec family and handover (see the module docs).
    pub shape: u8,
    /// Chunk sizes or read operations.
    pub script: &'a [u8],
    /// The bytes on the wire.
    pub stream: &'a [u8],
}

impl<'a> Input<'a> {
    /// Splits raw fuzz data; `None` if it is too short to hold the configuration.
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        if data.len() < HEAD {
            return None;
        }
        let n = (data[4] as usize % 32).min(data.len() - HEAD);
        Some(Input {
            cfg: [data[0], data[1], data[2], data[3]],
            shape: data[4] >> 5,
            script: &data[HEAD..HEAD + n],
            stream: &data[HEAD + n..],
        })
    }

    /// The inverse of [`parse`](Self::parse), for the seed generator (shape 0).
    pub fn build(cfg: [u8; 4], script: &[u8], stream: &[u8]) -> Vec<u8> {
        Self::build_shaped(cfg, 0, script, stream)
    }

    /// The inverse of [`parse`](Self::parse), with a [`shape`](Self::shape) (0 to 7).
    pub fn build_shaped(cfg: [u8; 4], shape: u8, script: &[u8], stream: &[u8]) -> Vec<u8> {
        assert!(script.len() < 32 && shape < 8);
        let mut v = cfg.to_vec();
        v.push(script.len() as u8 | shape << 5);
        v.extend_from_slice(script);
        v.extend_from_slice(stream);
        v
    }

    /// How an engine target hands its codec over: `shape` bits 1-2.
    pub fn handover(&self) -> Handover {
        match (self.shape >> 1) & 3 {
            0 => Handover::Owned,
            1 => Handover::MutRef,
            2 => Handover::Provided,
            _ => Handover::MutProvided,
        }
    }
}

/// `cfg1` as a maximum frame length: small values (so the limits are hit), the default,
/// `u32::MAX` and `usize::MAX` (so overflow paths run).
pub fn max_from(b: u8) -> usize {
    match b {
        0..200 => b as usize % 40,
        200..=253 => DEFAULT_MAX_FRAME_LEN,
        254 => u32::MAX as usize,
        255 => usize::MAX,
    }
}

/// `cfg1` value that selects the default maximum (8 MiB).
pub const CFG_DEFAULT_MAX: u8 = 250;

/// Flag bits in `cfg[2]`.
pub mod flag {
    /// Fixed-width prefix is signed.
    pub const SIGNED: u8 = 1;
    /// The length counts the header.
    pub const INCLUDES_HEADER: u8 = 2;
    /// Delimited: the unterminated tail is a frame at EOF.
    pub const UNTERMINATED: u8 = 4;
    /// Content-Length: `cfg[3]` is the header block limit.
    pub const HEADER_LIMIT: u8 = 8;
}

/// Length-prefixed configuration: `cfg0 % 9` is one of the 8 fixed widths and byte orders,
/// or varint.
pub fn length_prefixed_config(cfg: [u8; 4]) -> LengthPrefixed {
    let k = cfg[0] % 9;
    let c = if k == 8 {
        LengthPrefixed::varint()
    } else {
        let width = [Width::W1, Width::W2, Width::W4, Width::W8][k as usize / 2];
        let endian = if k.is_multiple_of(2) {
            Endian::Big
        } else {
            Endian::Little
        };
        LengthPrefixed::new(Prefix::Fixed {
            width,
            endian,
            signed: cfg[2] & flag::SIGNED != 0,
        })
    };
    c.length_includes_header(cfg[2] & flag::INCLUDES_HEADER != 0)
        .with_max_frame_len(max_from(cfg[1]))
}

/// Python `multiprocessing.connection` configuration.
pub fn python_config(cfg: [u8; 4]) -> LengthPrefixed {
    LengthPrefixed::python()
        .length_includes_header(cfg[2] & flag::INCLUDES_HEADER != 0)
        .with_max_frame_len(max_from(cfg[1]))
}

/// Delimited configuration: lines, crlf, nul, or any delimiter byte `cfg3`.
pub fn delimited_config(cfg: [u8; 4]) -> Delimited {
    let d = match cfg[0] % 4 {
        0 => Delimited::lines(),
        1 => Delimited::crlf(),
        2 => Delimited::nul(),
        _ => Delimited::new(cfg[3]),
    };
    d.with_max_frame_len(max_from(cfg[1]))
        .accept_unterminated_at_eof(cfg[2] & flag::UNTERMINATED != 0)
}

/// Content-Length configuration, with an optional small header block limit.
pub fn content_length_config(cfg: [u8; 4]) -> ContentLength {
    let c = ContentLength::new().with_max_frame_len(max_from(cfg[1]));
    if cfg[2] & flag::HEADER_LIMIT != 0 {
        c.with_max_header_len(cfg[3] as usize)
    } else {
        c
    }
}

/// Netstring configuration.
pub fn netstring_config(cfg: [u8; 4]) -> Netstring {
    Netstring::new().with_max_frame_len(max_from(cfg[1]))
}

/// .NET `ReadLine` configuration: `cfg0 & 1` writes `\r\n`, `cfg1` the maximum, the
/// unterminated flag.
pub fn dotnet_lines_config(cfg: [u8; 4]) -> DotnetLines {
    let base = if cfg[0] & 1 == 1 {
        DotnetLines::crlf()
    } else {
        DotnetLines::new()
    };
    base.with_max_frame_len(max_from(cfg[1]))
        .accept_unterminated_at_eof(cfg[2] & flag::UNTERMINATED != 0)
}

/// Any codec, for the engine targets: `cfg0 % 5` picks the family, `cfg0 / 5` its variant.
pub fn framing_config(cfg: [u8; 4]) -> Framing {
    let inner = [cfg[0] / 5, cfg[1], cfg[2], cfg[3]];
    match cfg[0] % 5 {
        0 => length_prefixed_config(inner).into(),
        1 => python_config(inner).into(),
        2 => delimited_config(inner).into(),
        3 => content_length_config(inner).into(),
        _ => netstring_config(inner).into(),
    }
}

/// The codec of an engine target: [`framing_config`], or with `shape` bit 0
/// [`dotnet_lines_config`] (`cfg0 & 1` its variant). Handed over as [`Provided`], the codec
/// has no `accept_unterminated_at_eof` (the provided `step_eof` knows no such option).
pub fn engine_framing(input: &Input<'_>) -> Framing {
    let mut cfg = input.cfg;
    if matches!(input.handover(), Handover::Provided | Handover::MutProvided) {
        cfg[2] &= !flag::UNTERMINATED;
    }
    if input.shape & 1 != 0 {
        dotnet_lines_config(cfg).into()
    } else {
        framing_config(cfg)
    }
}

/// How an engine target hands its codec to the reader or writer (`shape` bits 1-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// The `Framing` itself.
    Owned,
    /// `&mut Framing`: the traits' `&mut T` impls.
    MutRef,
    /// [`Provided`]`<Framing>`: the traits' provided methods.
    Provided,
    /// `&mut Provided<Framing>`.
    MutProvided,
}

/// Runs `$body` with `$c` bound to `$framing` handed over as `$how` says (a [`Handover`]):
/// the body is written once and compiled for each of the four codec types.
macro_rules! handover {
    ($how:expr, $framing:expr, |$c:ident| $body:expr) => {{
        let framing: ::pipeframe::codec::Framing = $framing;
        match $how {
            $crate::invariants::Handover::Owned => {
                let $c = framing;
                $body
            }
            $crate::invariants::Handover::MutRef => {
                let mut framing = framing;
                let $c = &mut framing;
                $body
            }
            $crate::invariants::Handover::Provided => {
                let $c = $crate::invariants::Provided(framing);
                $body
            }
            $crate::invariants::Handover::MutProvided => {
                let mut provided = $crate::invariants::Provided(framing);
                let $c = &mut provided;
                $body
            }
        }
    }};
}
// Used by the async engine targets, which tests/fuzz_regressions.rs builds only with the
// tokio and futures-io features.
#[allow(unused_imports)]
pub(crate) use handover;

/// A codec of the fuzz crate, as a user would write one: it implements only the required
/// methods (`step` and `reset`; `encode_parts`, building its [`Parts`] with `Parts::new`)
/// by asking the codec inside, so the traits' provided methods do the rest (`step_eof`,
/// `decode_frame`, `decode_frame_eof`, `encode_frame`, `encode_into_vec`).
///
/// The provided `step_eof` cannot say how many bytes were missing, nor accept an
/// unterminated frame: through it, a codec without that option must read exactly as it does
/// itself, but for every `Truncated` saying `Missing::AtLeast(1)` ([`provided_eof`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provided<C>(pub C);

impl<C: FrameDecoder> FrameDecoder for Provided<C> {
    fn step(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        self.0.step(buf)
    }

    fn reset(&mut self) {
        self.0.reset();
    }
}

impl<C: FrameEncoder> FrameEncoder for Provided<C> {
    fn encode_parts(&mut self, payload: &[u8]) -> Result<Parts, EncodeError> {
        let parts = self.0.encode_parts(payload)?;
        Parts::new(parts.header(), parts.trailer())
    }
}

/// What a codec read through [`Provided`] must give, from what it gives itself: every
/// `Truncated` says `Missing::AtLeast(1)`, nothing else changes.
pub fn provided_eof(mut t: Trace) -> Trace {
    for e in &mut t.events {
        if let Event::Error(DecodeError::Truncated { missing, .. }) = e {
            *missing = Missing::AtLeast(1);
        }
    }
    t
}

/// The `Framing` inside a codec as an engine target hands it over.
pub trait AsFraming {
    /// The framing.
    fn framing(&self) -> &Framing;
    /// The framing, to change its configuration.
    fn framing_mut(&mut self) -> &mut Framing;
}

impl AsFraming for Framing {
    fn framing(&self) -> &Framing {
        self
    }
    fn framing_mut(&mut self) -> &mut Framing {
        self
    }
}

impl AsFraming for Provided<Framing> {
    fn framing(&self) -> &Framing {
        &self.0
    }
    fn framing_mut(&mut self) -> &mut Framing {
        &mut self.0
    }
}

impl<T: AsFraming + ?Sized> AsFraming for &mut T {
    fn framing(&self) -> &Framing {
        (**self).framing()
    }
    fn framing_mut(&mut self) -> &mut Framing {
        (**self).framing_mut()
    }
}

/// Measures allocation. The fuzz crate's counting allocator implements it; the regression
/// test uses [`NoProbe`].
pub trait MemProbe {
    /// Starts a measurement.
    fn start(&self);
    /// Peak bytes allocated above the level at `start`, if measured.
    fn peak(&self) -> Option<usize>;
}

/// No measurement.
#[derive(Debug)]
pub struct NoProbe;

impl MemProbe for NoProbe {
    fn start(&self) {}
    fn peak(&self) -> Option<usize> {
        None
    }
}

/// Codec level: peak allocation may be this many times the bytes fed (the `BytesMut` the
/// bytes are fed into, which at most doubles)...
pub const MEM_FACTOR: usize = 4;
/// ...plus this constant.
pub const MEM_CONST: usize = 16 * 1024;
/// Engine level: the read buffer may grow to 16 times an unfinished frame's received bytes
/// (to amortize moving it), `BytesMut::reserve` may double that, and the old buffer lives
/// while the new one is filled.
pub const ENGINE_MEM_FACTOR: usize = 64;

/// Asserts the probe's peak is within `factor` x `fed` + [`MEM_CONST`] + `extra`.
pub fn check_mem(probe: &dyn MemProbe, factor: usize, fed: usize, extra: usize, what: &str) {
    if let Some(peak) = probe.peak() {
        let bound = factor * fed + MEM_CONST + extra;
        assert!(
            peak <= bound,
            "{what}: peak allocation {peak} bytes exceeds {factor} x {fed} bytes fed + {} bytes",
            MEM_CONST + extra
        );
    }
}

/// What decoding produced, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A frame's payload.
    Frame(Vec<u8>),
    /// An error (recoverable ones are followed by more events).
    Error(DecodeError),
}

/// A complete decoding run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Frames and errors in order.
    pub events: Vec<Event>,
    /// For each frame event: its payload's absolute range in the stream, the absolute end of
    /// the frame, and whether `step_eof` produced it.
    pub spans: Vec<(Range<usize>, usize, bool)>,
    /// Bytes consumed when the run stopped.
    pub consumed: usize,
    /// Whether a fatal error stopped the run.
    pub fatal: bool,
}

impl Trace {
    /// The frames, in order.
    pub fn frames(&self) -> Vec<&[u8]> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Frame(f) => Some(&f[..]),
                Event::Error(_) => None,
            })
            .collect()
    }
}

/// Chunk sizes from a script: each byte is a chunk size (0 = an empty chunk); the script
/// repeats; an empty script is one piece.
pub fn chunks(script: &[u8], total: usize) -> Vec<usize> {
    if script.is_empty() || script.iter().all(|&b| b == 0) {
        let mut v: Vec<usize> = script.iter().map(|&b| usize::from(b)).collect();
        v.push(total);
        return v;
    }
    let mut v = Vec::new();
    let mut left = total;
    let mut i = 0;
    while left > 0 {
        let n = (script[i % script.len()] as usize).min(left);
        v.push(n);
        left -= n;
        i += 1;
    }
    v
}

/// Decodes through `step`/`step_eof`, feeding `stream` in the given chunks (whatever they
/// leave out arrives with the end of the stream), checking the step contract and
/// conservation at every call, and that a truncation's counts are exact.
pub fn step_trace<D: FrameDecoder + Clone>(mut dec: D, stream: &[u8], chunks: &[usize]) -> Trace {
    let fresh = dec.clone();
    let mut t = Trace {
        events: Vec::new(),
        spans: Vec::new(),
        consumed: 0,
        fatal: false,
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    // Whether an error was reported with no byte consumed since (an endless loop guard).
    let mut err_pending = false;
    let pieces = chunks.iter().map(Some).chain(std::iter::once(None));
    for piece in pieces {
        let eof = piece.is_none();
        let n = piece.copied().unwrap_or(stream.len() - fed);
        buf.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            assert_eq!(t.consumed + buf.len(), fed, "bytes not conserved");
            let r = if eof {
                dec.step_eof(&buf)
            } else {
                dec.step(&buf)
            };
            match r {
                Ok(step) => {
                    let c = step.consumed();
                    assert!(c <= buf.len(), "consumed {c} of {} bytes", buf.len());
                    if let Some(r) = step.frame_range() {
                        assert!(r.start <= r.end && r.end <= c, "frame {r:?} outside {c}");
                        assert!(c > 0, "a frame that consumes nothing");
                        t.events.push(Event::Frame(buf[r.clone()].to_vec()));
                        t.spans.push((
                            t.consumed + r.start..t.consumed + r.end,
                            t.consumed + c,
                            eof,
                        ));
                    }
                    buf.drain(..c);
                    t.consumed += c;
                    if c > 0 {
                        err_pending = false;
                    }
                    if c == 0 {
                        if eof {
                            assert!(
                                buf.is_empty(),
                                "clean end with {} bytes unconsumed",
                                buf.len()
                            );
                        }
                        break;
                    }
                }
                Err(e) => {
                    assert!(!err_pending, "two errors without progress: {e}");
                    err_pending = true;
                    let fatal = !e.is_recoverable();
                    if let DecodeError::Truncated { buffered, missing } = &e {
                        assert!(eof && fatal, "truncation before the end");
                        check_missing(fresh.clone(), &buf, *buffered, *missing);
                    }
                    t.events.push(Event::Error(e));
                    if fatal {
                        t.fatal = true;
                        return t;
                    }
                }
            }
        }
    }
    assert_eq!(
        t.consumed,
        stream.len(),
        "clean end before the end of the input"
    );
    t
}

/// A truncation names the bytes it had and exactly what was missing: a fresh decoder given
/// those bytes plus `Exactly(n)` more completes a frame with the last of them, not before.
fn check_missing<D: FrameDecoder>(mut fresh: D, buf: &[u8], buffered: usize, missing: Missing) {
    assert_eq!(
        buffered,
        buf.len(),
        "Truncated.buffered is not the bytes left"
    );
    match missing {
        Missing::Exactly(n) => {
            assert!(n > 0, "truncated with nothing missing");
            if n > 1 << 16 {
                return;
            }
            // Commas: any payload byte will do, and they end a netstring.
            let mut more = buf.to_vec();
            more.resize(buf.len() + n as usize - 1, b',');
            let short = fresh.step(&more);
            assert!(
                matches!(&short, Ok(s) if s.frame_range().is_none() && s.consumed() == 0),
                "{n} bytes missing, but {} complete something: {short:?}",
                n - 1
            );
            fresh.reset();
            more.push(b',');
            let full = fresh.step(&more);
            assert!(
                matches!(&full, Ok(s) if s.frame_range().is_some() && s.consumed() == more.len()),
                "{n} bytes missing, but adding them gives {full:?}"
            );
        }
        Missing::AtLeast(n) => assert!(n > 0, "truncated with nothing missing"),
        Missing::Delimiter => {}
        Missing::RestOfMessage => {
            panic!("a byte codec reported the rest of a native message missing")
        }
    }
}

/// Decodes through `decode`/`decode_eof` on a `BytesMut`, in the given chunks. Returns the
/// events and how many bytes were consumed (fed minus what is left in the buffer).
pub fn decode_trace<D: FrameDecoder>(
    mut dec: D,
    stream: &[u8],
    chunks: &[usize],
) -> (Vec<Event>, usize) {
    let mut events = Vec::new();
    let mut src = BytesMut::new();
    let mut fed = 0;
    for &n in chunks {
        src.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            match dec.decode_frame(&mut src) {
                Ok(Some(f)) => events.push(Event::Frame(f.to_vec())),
                Ok(None) => break,
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    events.push(Event::Error(e));
                    if fatal {
                        return (events, fed - src.len());
                    }
                }
            }
        }
    }
    loop {
        match dec.decode_frame_eof(&mut src) {
            Ok(Some(f)) => events.push(Event::Frame(f.to_vec())),
            Ok(None) => {
                assert!(src.is_empty(), "clean end with {} bytes left", src.len());
                break;
            }
            Err(e) => {
                let fatal = !e.is_recoverable();
                events.push(Event::Error(e));
                if fatal {
                    break;
                }
            }
        }
    }
    (events, fed - src.len())
}

/// Like [`decode_trace`], comparing with `expect` as it goes and storing nothing, so that
/// the allocation measured is the decoder's and the buffer's own.
pub fn decode_measured<D: FrameDecoder>(
    mut dec: D,
    stream: &[u8],
    chunks: &[usize],
    expect: &[Event],
) {
    let mut src = BytesMut::new();
    let mut fed = 0;
    let mut k = 0;
    let mut seen = |r: Result<Bytes, DecodeError>| -> bool {
        let ok = match (&r, expect.get(k)) {
            (Ok(f), Some(Event::Frame(e))) => f[..] == e[..],
            (Err(x), Some(Event::Error(e))) => x == e,
            _ => false,
        };
        assert!(ok, "event {k}: {r:?}, expected {:?}", expect.get(k));
        k += 1;
        matches!(r, Err(e) if !e.is_recoverable())
    };
    for &n in chunks {
        src.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            match dec.decode_frame(&mut src) {
                Ok(Some(f)) => {
                    seen(Ok(f));
                }
                Ok(None) => break,
                Err(e) => {
                    if seen(Err(e)) {
                        return;
                    }
                }
            }
        }
    }
    loop {
        match dec.decode_frame_eof(&mut src) {
            Ok(Some(f)) => {
                seen(Ok(f));
            }
            Ok(None) => break,
            Err(e) => {
                if seen(Err(e)) {
                    return;
                }
            }
        }
    }
    assert_eq!(k, expect.len(), "fewer events than in one piece");
}

/// Whether re-encoding decoded frames must reproduce the input bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundTrip {
    /// Each frame has exactly one encoding: re-encoding the frames gives back the input bytes
    /// they came from.
    Canonical,
    /// Several encodings decode alike (`\r\n` or `\n`, header spellings): the re-encoding
    /// decodes to the same frames, and re-encoding that gives the same bytes again.
    Idempotent,
}

/// Checks every codec-level invariant for one input.
///
/// `dec` decodes the input, `enc` re-encodes its frames, `redec` decodes the re-encoding
/// (the same configuration, except where the writer's own output needs a wider limit).
pub fn check_codec<D, E, R>(
    dec: D,
    enc: E,
    redec: R,
    mode: RoundTrip,
    input: &Input<'_>,
    probe: &dyn MemProbe,
) where
    D: FrameDecoder + Clone,
    E: FrameEncoder + Clone,
    R: FrameDecoder + Clone,
{
    let stream = input.stream;
    let one = [stream.len()];
    let reference = step_trace(dec.clone(), stream, &one);
    check_spans(&reference, stream);

    // Chunking equivalence, step level; "at EOF" hands over every byte with the end of the
    // stream, so only `step_eof` sees them.
    let bytes1 = vec![1; stream.len()];
    let scripted = chunks(input.script, stream.len());
    for (name, c) in [
        ("1-byte", &bytes1),
        ("scripted", &scripted),
        ("at EOF", &vec![]),
    ] {
        let mut t = step_trace(dec.clone(), stream, c);
        let mut r = reference.clone();
        if c.is_empty() {
            // Every frame comes from `step_eof` here.
            t.spans.iter_mut().for_each(|s| s.2 = false);
            r.spans.iter_mut().for_each(|s| s.2 = false);
        }
        assert_eq!(t, r, "step level, {name} chunks differ from one piece");
    }

    // The decode level agrees with the step level, in every chunking.
    for (name, c) in [
        ("one piece", &one[..]),
        ("1-byte", &bytes1),
        ("scripted", &scripted),
    ] {
        let (events, consumed) = decode_trace(dec.clone(), stream, c);
        assert_eq!(events, reference.events, "decode level, {name}");
        assert_eq!(
            consumed, reference.consumed,
            "decode level, {name}: bytes consumed"
        );
    }

    // Bounded memory: the decoder and its buffer, nothing stored.
    probe.start();
    decode_measured(dec.clone(), stream, &scripted, &reference.events);
    check_mem(probe, MEM_FACTOR, stream.len(), 0, "decode");

    round_trip(&reference, stream, enc, redec, mode);
}

/// Frames are the input bytes where the decoder says they are, in order, without overlap.
fn check_spans(t: &Trace, stream: &[u8]) {
    let mut last_end = 0;
    let frames = t.frames();
    assert_eq!(frames.len(), t.spans.len());
    for (f, (payload, end, _)) in frames.iter().zip(&t.spans) {
        assert!(last_end <= payload.start && payload.end <= *end);
        assert_eq!(*f, &stream[payload.clone()]);
        last_end = *end;
    }
    assert!(last_end <= t.consumed && t.consumed <= stream.len());
}

fn encode_all<E: FrameEncoder>(enc: &mut E, frames: &[&[u8]]) -> Vec<u8> {
    let mut wire = Vec::new();
    for f in frames {
        match enc.encode_frame(f, &mut wire) {
            Ok(()) => {}
            Err(e) => panic!("a decoded frame does not re-encode: {e} ({f:?})"),
        }
    }
    wire
}

fn round_trip<E: FrameEncoder + Clone, R: FrameDecoder + Clone>(
    reference: &Trace,
    stream: &[u8],
    mut enc: E,
    redec: R,
    mode: RoundTrip,
) {
    let frames = reference.frames();
    let wire = encode_all(&mut enc.clone(), &frames);
    let back = step_trace(redec.clone(), &wire, &[wire.len()]);
    assert!(
        !back.events.iter().any(|e| matches!(e, Event::Error(_))),
        "re-encoded frames fail to decode: {:?}",
        back.events
    );
    assert_eq!(
        back.frames(),
        frames,
        "re-encoded frames decode differently"
    );
    match mode {
        RoundTrip::Canonical => {
            // The frames before the first error, not completed by EOF, are contiguous from
            // the start: their encoding is exactly the bytes they came from.
            let mut n = 0;
            let mut end = 0;
            for e in &reference.events {
                match e {
                    Event::Frame(_) if !reference.spans[n].2 => {
                        end = reference.spans[n].1;
                        n += 1;
                    }
                    _ => break,
                }
            }
            let again = encode_all(&mut enc, &frames[..n]);
            assert_eq!(
                again,
                &stream[..end],
                "canonical input does not re-encode to itself"
            );
        }
        RoundTrip::Idempotent => {
            let again = encode_all(&mut enc, &back.frames());
            assert_eq!(again, wire, "encoding is not idempotent");
        }
    }
}

/// Length-prefixed target.
pub fn check_length_prefixed(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let c = length_prefixed_config(input.cfg);
    // With a varint counting its own bytes, some lengths have two valid prefixes
    // (126 payload bytes: `7f` or `80 01`); every other prefix is unique.
    let mode = if c.prefix() == Prefix::Varint && input.cfg[2] & flag::INCLUDES_HEADER != 0 {
        RoundTrip::Idempotent
    } else {
        RoundTrip::Canonical
    };
    check_codec(c, c, c, mode, &input, probe);
}

/// Python preset target. `ff ff ff ff` + u64 may carry a short length, which the writer
/// sends in four bytes: not canonical.
pub fn check_python(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let c = python_config(input.cfg);
    check_codec(c, c, c, RoundTrip::Idempotent, &input, probe);
}

/// Lines and any-delimiter target.
pub fn check_delimited(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let d = delimited_config(input.cfg);
    if d.strips_cr() {
        // Read `\n` or `\r\n`; written with `\r\n` so that a frame ending in `\r` survives.
        let enc = Delimited::crlf().with_max_frame_len(d.max_frame_len());
        check_codec(d.clone(), enc, d, RoundTrip::Idempotent, &input, probe);
    } else {
        check_codec(d.clone(), d.clone(), d, RoundTrip::Canonical, &input, probe);
    }
}

/// Header-delimited (`Content-Length`) target.
pub fn check_content_length(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let c = content_length_config(input.cfg);
    // The writer's header ("Content-Length: N\r\n\r\n") may be longer than the one read; the
    // re-decoder has the default header limit.
    let redec = ContentLength::new().with_max_frame_len(c.max_frame_len());
    check_codec(c.clone(), c, redec, RoundTrip::Idempotent, &input, probe);
}

/// Netstring target.
pub fn check_netstring(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let c = netstring_config(input.cfg);
    check_codec(c, c, c, RoundTrip::Canonical, &input, probe);
}

/// One operation of a scripted reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOp {
    /// Return up to this many bytes (at least one, unless at the end).
    Data(usize),
    /// Return `Interrupted` (the reader retries by itself).
    Interrupted,
    /// Return `WouldBlock` (the caller retries).
    WouldBlock,
    /// Return `Pending` (async readers only; a blocking reader sees `WouldBlock`).
    Pending,
}

/// The read operations a script byte stands for: `b % 8` 0 is `Interrupted`, 1 `WouldBlock`,
/// 2 `Pending`, else a read of `b / 8 + 1` bytes (1 to 32), or all that fits for `0xff`.
pub fn read_op(b: u8) -> ReadOp {
    match b % 8 {
        0 => ReadOp::Interrupted,
        1 => ReadOp::WouldBlock,
        2 => ReadOp::Pending,
        _ if b == 0xff => ReadOp::Data(usize::MAX),
        _ => ReadOp::Data(b as usize / 8 + 1),
    }
}

/// A scripted source: plays the script's operations once, then repeats its reads forever
/// (whole reads if it has none). After the stream's end every read returns 0.
#[derive(Debug)]
pub struct ScriptedSource<'a> {
    stream: &'a [u8],
    ops: Vec<ReadOp>,
    reads: Vec<usize>,
    next: usize,
    /// Bytes handed out so far.
    pub pos: usize,
    /// Stalls (`WouldBlock`/`Pending`) handed out so far.
    pub stalls: usize,
}

impl<'a> ScriptedSource<'a> {
    /// A source over `stream` following `script`.
    pub fn new(stream: &'a [u8], script: &[u8]) -> Self {
        let ops: Vec<ReadOp> = script.iter().map(|&b| read_op(b)).collect();
        let mut reads: Vec<usize> = ops
            .iter()
            .filter_map(|op| match op {
                ReadOp::Data(n) => Some(*n),
                _ => None,
            })
            .collect();
        if reads.is_empty() {
            reads.push(usize::MAX);
        }
        ScriptedSource {
            stream,
            ops,
            reads,
            next: 0,
            pos: 0,
            stalls: 0,
        }
    }

    /// The next operation.
    pub fn next_op(&mut self) -> ReadOp {
        let op = if self.next < self.ops.len() {
            self.ops[self.next]
        } else {
            ReadOp::Data(self.reads[(self.next - self.ops.len()) % self.reads.len()])
        };
        self.next += 1;
        op
    }

    /// Copies up to `n` bytes into `out`, returning how many (0 at the end).
    pub fn take(&mut self, n: usize, out: &mut [u8]) -> usize {
        let n = n.min(out.len()).min(self.stream.len() - self.pos);
        out[..n].copy_from_slice(&self.stream[self.pos..self.pos + n]);
        self.pos += n;
        n
    }
}

impl Read for ScriptedSource<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self.next_op() {
            ReadOp::Data(n) => Ok(self.take(n, out)),
            ReadOp::Interrupted => Err(io::ErrorKind::Interrupted.into()),
            ReadOp::WouldBlock | ReadOp::Pending => {
                self.stalls += 1;
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
    }
}

/// Buffer capacity for an engine target: `cfg3` selects 0 (the 4 KiB minimum) to 63 KiB.
pub fn engine_capacity(cfg: [u8; 4]) -> usize {
    (cfg[3] as usize % 64) * 1024
}

/// How a frame is read from an engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    /// Owned `Bytes`.
    Owned,
    /// Borrowed from the buffer.
    Borrowed,
    /// As UTF-8 text.
    Text,
}

/// The read method of call `i`: two bits of `flags` per call, four calls a cycle (3 is
/// owned too, through the `Iterator` or `Stream` impl).
pub fn read_kind(flags: u8, i: usize) -> ReadKind {
    match (flags >> (2 * (i % 4))) & 3 {
        0 | 3 => ReadKind::Owned,
        1 => ReadKind::Borrowed,
        _ => ReadKind::Text,
    }
}

/// The outcome an engine must report for a reference event when read as `kind`.
pub fn expected_outcome(e: &Event, kind: ReadKind) -> Result<Vec<u8>, (io::ErrorKind, String)> {
    match e {
        Event::Frame(f) if kind == ReadKind::Text => match check_utf8(f) {
            Ok(_) => Ok(f.clone()),
            Err(e) => Err((e.kind(), e.to_string())),
        },
        Event::Frame(f) => Ok(f.clone()),
        Event::Error(e) => Err((e.kind(), e.to_string())),
    }
}

/// Compares what an engine reported, read by read, with the one-piece reference. Shared by
/// the blocking and async engine targets.
#[derive(Debug)]
pub struct EngineCheck {
    reference: Trace,
    k: usize,
    done: bool,
}

impl EngineCheck {
    /// A check against the one-piece decoding of `stream` by `dec`.
    pub fn new<D: FrameDecoder + Clone>(dec: D, stream: &[u8]) -> Self {
        Self::from_trace(step_trace(dec, stream, &[stream.len()]))
    }

    /// A check of an engine target's input: against the one-piece decoding by `framing`, as
    /// [`provided_eof`] turns it when the codec is handed over as [`Provided`] (and checked
    /// to be what `Provided` gives in one piece).
    pub fn for_input(input: &Input<'_>, framing: &Framing) -> Self {
        let one = [input.stream.len()];
        let reference = step_trace(framing.clone(), input.stream, &one);
        match input.handover() {
            Handover::Owned | Handover::MutRef => Self::from_trace(reference),
            Handover::Provided | Handover::MutProvided => {
                let expect = provided_eof(reference);
                let got = step_trace(Provided(framing.clone()), input.stream, &one);
                assert_eq!(
                    got, expect,
                    "the provided step_eof differs from the codec's own beyond the bytes missing"
                );
                Self::from_trace(expect)
            }
        }
    }

    /// A check against a reference decoding.
    pub fn from_trace(reference: Trace) -> Self {
        EngineCheck {
            reference,
            k: 0,
            done: false,
        }
    }

    /// Records one read's result (`Ok(None)` is the end); returns whether the stream is over.
    pub fn next(&mut self, got: io::Result<Option<Vec<u8>>>, kind: ReadKind) -> bool {
        assert!(!self.done, "read after the end");
        let expect = self.reference.events.get(self.k);
        match (got, expect) {
            (Ok(None), None) => {
                assert!(!self.reference.fatal);
                self.done = true;
            }
            (Ok(Some(f)), Some(e)) => {
                assert_eq!(Ok(f), expected_outcome(e, kind), "read {}", self.k);
                self.k += 1;
            }
            (Err(err), Some(e)) => {
                let got = (err.kind(), err.to_string());
                assert_eq!(Err(got), expected_outcome(e, kind), "read {}", self.k);
                self.k += 1;
                if matches!(e, Event::Error(e) if !e.is_recoverable()) {
                    self.done = true;
                }
            }
            (got, e) => panic!("read {}: {got:?}, expected {e:?}", self.k),
        }
        self.done
    }

    /// Whether the last event was a fatal error.
    pub fn ended_fatally(&self) -> bool {
        self.reference.fatal && self.done
    }

    /// Bytes the reference consumed before it stopped.
    pub fn consumed(&self) -> usize {
        self.reference.consumed
    }
}

/// Blocking engine target: `FrameReader` over a [`ScriptedSource`], the codec handed over as
/// the input's [`Handover`] says.
pub fn check_sync_reader(data: &[u8], probe: &dyn MemProbe) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let framing = engine_framing(&input);
    let check = EngineCheck::for_input(&input, &framing);
    handover!(input.handover(), framing, |codec| sync_reader(
        &input, check, codec, probe
    ));
}

fn sync_reader<D: FrameDecoder + AsFraming>(
    input: &Input<'_>,
    mut check: EngineCheck,
    codec: D,
    probe: &dyn MemProbe,
) {
    let fresh = codec.framing().clone();
    let cap = engine_capacity(input.cfg);
    probe.start();
    let source = ScriptedSource::new(input.stream, input.script);
    let mut r = FrameReader::with_capacity(cap, source, codec);
    let mut i = 0;
    loop {
        let kind = read_kind(input.cfg[2], i);
        // Kind 3 goes through the `Iterator` impl.
        let via_iter = (input.cfg[2] >> (2 * (i % 4))) & 3 == 3;
        i += 1;
        let got = match kind {
            _ if via_iter => match r.next() {
                None => Ok(None),
                Some(f) => f.map(|f| Some(f.to_vec())),
            },
            ReadKind::Owned => r.read_frame().map(|f| f.map(|f| f.to_vec())),
            ReadKind::Borrowed => r.read_frame_ref().map(|f| f.map(<[u8]>::to_vec)),
            ReadKind::Text => r.read_str().map(|f| f.map(|s| s.as_bytes().to_vec())),
        };
        let handed = r.get_ref().pos;
        assert_eq!(
            r.position() as usize + r.buffered().len(),
            handed,
            "consumed + buffered != bytes read"
        );
        if let Err(e) = &got {
            assert_ne!(
                e.kind(),
                io::ErrorKind::Interrupted,
                "Interrupted not retried"
            );
            if e.kind() == io::ErrorKind::WouldBlock {
                continue; // the source stalled: call again
            }
        }
        if check.next(got, kind) {
            break;
        }
        assert!(i <= 4 * input.stream.len() + 64, "no progress");
    }
    if check.ended_fatally() {
        let again = r
            .read_frame()
            .expect_err("read after a fatal error succeeded");
        assert_ne!(again.kind(), io::ErrorKind::WouldBlock);
        assert!(r.next().is_none(), "iterator goes on after a fatal error");
    } else {
        // A clean end stays the end; every byte was consumed.
        assert_eq!(r.read_frame().unwrap(), None);
        assert_eq!(r.position() as usize, input.stream.len());
    }
    assert_eq!(
        r.position() as usize,
        check.consumed(),
        "position differs from one piece"
    );
    check_decoder_returned(r.decoder_mut(), &fresh);
    let (_, codec) = r.into_parts();
    assert_eq!(codec.framing(), &fresh, "into_parts gave another decoder");
    check_mem(
        probe,
        ENGINE_MEM_FACTOR,
        input.stream.len(),
        3 * cap,
        "FrameReader",
    );
}

/// The decoder a reader holds at the end, whatever the stream did to it: its configuration
/// is the one it was given, and `reset` makes it as new (equal to `fresh`).
pub fn check_decoder_returned<D: FrameDecoder + AsFraming>(dec: &mut D, fresh: &Framing) {
    assert_eq!(
        dec.framing().max_frame_len(),
        fresh.max_frame_len(),
        "the reader's decoder has another maximum"
    );
    dec.reset();
    assert_eq!(
        dec.framing(),
        fresh,
        "reset does not make the decoder as new"
    );
}
