//! Measuring code shared by the criterion benches (`benches/transport.rs`) and the
//! `pipeframe bench` command, so both report the same thing.
//!
//! Every measurement sets up its endpoints and threads first, then times only the transfer:
//! `frames` frames of `size` bytes from a writer thread to a reader thread (throughput), or
//! `iters` round trips of one frame through an echoing thread (latency).
//!
//! "Raw" means the same in every flavour: plain `read`/`write` system calls on the same
//! transport, through no pipeframe type. The writer makes one `write` of `size` bytes per
//! frame; the reader reads into a 64 KiB buffer (at least `size`) and counts bytes on stream
//! transports, or makes one `read` per message on message transports; a round trip reads
//! exactly `size` bytes (stream) or one message. Each flavour reaches the descriptor its own
//! way: `std::fs::File` (blocking), tokio's pipe and socket types (readiness, then a plain
//! `read`), `async_io::Async<File>` (smol).
//!
//! "Framed" goes through the library: on stream transports the flavour's codec reader and
//! writer; on message transports message mode (blocking: [`pipeframe::frame_io`]; async: the
//! `pipeframe::message` types of the runtime). The measuring loops exist once, in `skel`
//! (compiled on every OS), generic over the flavour; `drive` puts the Unix flavours' ends
//! behind it, `windows` and `windows_tokio` the Windows ones.
//!
//! Two pipe transports: `pipe` is a pipe as pipeframe creates them (raised with
//! `F_SETPIPE_SZ` to `pipeframe::pipe::max_capacity`), `pipe-64k` one with the kernel's
//! default capacity; raw and framed rows of one transport use the same kind of pipe. The peer
//! flavours (`tokio-util`, `asynchronous-codec`, see `peers`) measure another crate's codec over
//! the tokio and smol flavours' own transport types; their baseline is that flavour's raw row.
//!
//! The writer thread is pinned to CPU 0 and the reader to CPU 1 when the machine has two or
//! more CPUs, so runs compare like with like.
//!
//! On Windows the transports are a named pipe in byte mode (`pipe`) and in message mode
//! (`pipe-message`), an anonymous pipe (`anon-pipe`) and TCP loopback (`tcp`), measured in the
//! blocking flavour (see `windows`) and the tokio flavour (`windows_tokio`; not `anon-pipe`,
//! which tokio has no type for on Windows); the other flavours are refused there with
//! [`io::ErrorKind::Unsupported`].

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::Duration;

use pipeframe::codec::Framing;

#[cfg(unix)]
mod blocking;
#[cfg(unix)]
mod drive;
#[cfg(unix)]
mod pair;
#[cfg(unix)]
mod peers;
mod skel;
#[cfg(unix)]
mod smol;
pub mod svg;
#[cfg(unix)]
mod tokio;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
mod windows_tokio;

#[cfg(unix)]
pub use pair::{DuplexPair, OneWayPair};

/// The capacity the `pipe` transport asks for; 0 means [`pipeframe::pipe::max_capacity`].
#[cfg(unix)]
static PIPE_CAPACITY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Makes the `pipe` transport ask `F_SETPIPE_SZ` for `bytes` (the kernel rounds it up to a
/// power-of-two number of pages) instead of the unprivileged maximum, for capacity sweeps
/// (`pipeframe bench --pipe-capacity`). `0` restores the default.
#[cfg(unix)]
pub fn set_pipe_capacity(bytes: usize) {
    PIPE_CAPACITY.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(unix)]
fn pipe_capacity() -> usize {
    match PIPE_CAPACITY.load(std::sync::atomic::Ordering::Relaxed) {
        0 => pipeframe::pipe::max_capacity(),
        n => n,
    }
}

/// A transport measured by the benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Unix: an anonymous pipe as pipeframe creates them: `pipe2`, then `F_SETPIPE_SZ` to the
    /// unprivileged maximum (`pipeframe::pipe::max_capacity`, 1 MiB by default). Windows: a
    /// named pipe in byte mode, made with `pipeframe::named`.
    Pipe,
    /// An anonymous pipe with the kernel's default capacity (64 KiB on Linux), like a pipe
    /// someone else made.
    #[cfg(unix)]
    Pipe64k,
    /// A Unix stream socket pair.
    #[cfg(unix)]
    Unix,
    /// A Unix `SOCK_SEQPACKET` socket pair (message transport).
    #[cfg(unix)]
    Seqpacket,
    /// An `O_DIRECT` packet pipe (message transport, at most 4096 bytes per message).
    #[cfg(unix)]
    PacketPipe,
    /// A Windows named pipe in message mode (`PIPE_TYPE_MESSAGE`; message transport).
    #[cfg(windows)]
    PipeMessage,
    /// A Windows anonymous pipe (`CreatePipe`, through `std::io::pipe`).
    #[cfg(windows)]
    AnonPipe,
    /// A TCP loopback connection (`127.0.0.1`, `TCP_NODELAY`).
    Tcp,
}

impl Transport {
    /// Every transport of this OS, in table order.
    #[cfg(unix)]
    pub const ALL: [Transport; 6] = [
        Transport::Pipe,
        Transport::Pipe64k,
        Transport::Unix,
        Transport::Seqpacket,
        Transport::PacketPipe,
        Transport::Tcp,
    ];

    /// Every transport of this OS, in table order.
    #[cfg(windows)]
    pub const ALL: [Transport; 4] = [
        Transport::Pipe,
        Transport::PipeMessage,
        Transport::AnonPipe,
        Transport::Tcp,
    ];

    /// The names of [`ALL`](Self::ALL), for error texts.
    #[cfg(unix)]
    pub const NAMES: &str = "pipe, pipe-64k, unix, seqpacket, packetpipe or tcp";

    /// The names of [`ALL`](Self::ALL), for error texts.
    #[cfg(windows)]
    pub const NAMES: &str = "pipe, pipe-message, anon-pipe or tcp";

    /// The transport's name in tables and JSON: `pipe`, `pipe-64k`, `unix`, `seqpacket`,
    /// `packetpipe`, `tcp` on Unix; `pipe`, `pipe-message`, `anon-pipe`, `tcp` on Windows.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Pipe => "pipe",
            #[cfg(unix)]
            Transport::Pipe64k => "pipe-64k",
            #[cfg(unix)]
            Transport::Unix => "unix",
            #[cfg(unix)]
            Transport::Seqpacket => "seqpacket",
            #[cfg(unix)]
            Transport::PacketPipe => "packetpipe",
            #[cfg(windows)]
            Transport::PipeMessage => "pipe-message",
            #[cfg(windows)]
            Transport::AnonPipe => "anon-pipe",
            Transport::Tcp => "tcp",
        }
    }

    /// Whether every write is one message (no byte codec applies).
    pub fn is_message(self) -> bool {
        #[cfg(unix)]
        return matches!(self, Transport::Seqpacket | Transport::PacketPipe);
        #[cfg(windows)]
        return matches!(self, Transport::PipeMessage);
    }

    /// The largest message the transport carries as one frame, if limited.
    pub fn max_message(self) -> Option<usize> {
        match self {
            #[cfg(unix)]
            Transport::PacketPipe => Some(4096),
            #[cfg(unix)]
            Transport::Seqpacket => Some(200 * 1024),
            _ => None,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Transport::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown transport {s:?} (expected {})", Transport::NAMES))
    }
}

/// What a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Payload bytes per second.
    BytesPerSec,
    /// Frames per second.
    MsgsPerSec,
    /// Median round-trip time of one frame, in nanoseconds.
    RttNs,
}

impl Metric {
    /// The metric's name in JSON (`bytes_per_s`, `msgs_per_s`, `rtt_ns`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::BytesPerSec => "bytes_per_s",
            Metric::MsgsPerSec => "msgs_per_s",
            Metric::RttNs => "rtt_ns",
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The transport.
    pub transport: Transport,
    /// `blocking`, `tokio` or `smol`.
    pub flavour: &'static str,
    /// The framing name, or `raw` for the unframed baseline.
    pub framing: String,
    /// Frame size in bytes.
    pub size: usize,
    /// What was measured.
    pub metric: Metric,
    /// The figure.
    pub value: f64,
}

impl Row {
    /// The row as a JSON object with the keys `transport`, `flavour`, `framing`, `size`,
    /// `metric`, `value`.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"transport\":\"{}\",\"flavour\":\"{}\",\"framing\":\"{}\",\"size\":{},\"metric\":\"{}\",\"value\":{}}}",
            self.transport,
            self.flavour,
            self.framing.replace('\\', "\\\\").replace('"', "\\\""),
            self.size,
            self.metric.name(),
            if self.value.is_finite() {
                self.value
            } else {
                0.0
            }
        )
    }
}

/// Pins the calling thread to one CPU, if the machine has it; errors are ignored (pinning
/// only reduces noise).
pub fn pin_to_cpu(cpu: usize) {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n >= 2 {
        let _ = core_affinity::set_for_current(core_affinity::CoreId { id: cpu % n });
    }
}

/// Throughput figures from a transfer: (bytes per second, frames per second).
pub fn rates(size: usize, frames: u64, elapsed: Duration) -> (f64, f64) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    (size as f64 * frames as f64 / secs, frames as f64 / secs)
}

/// The median of some durations.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// The API flavour a measurement runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// `std::io`, one thread per side.
    Blocking,
    /// tokio, a current-thread runtime per side.
    Tokio,
    /// smol (futures-io over async-io), an executor per side.
    Smol,
    /// A peer: tokio-util's `FramedRead`/`FramedWrite` with `LengthDelimitedCodec` (4-byte
    /// header) over the tokio flavour's transports. Stream transports only.
    TokioUtil,
    /// A peer: asynchronous-codec's `Framed` with `LengthCodec` (8-byte header) over the smol
    /// flavour's transports. Stream transports only.
    AsynchronousCodec,
}

impl Flavour {
    /// Every flavour, pipeframe's then the peers.
    pub const ALL: [Flavour; 5] = [
        Flavour::Blocking,
        Flavour::Tokio,
        Flavour::Smol,
        Flavour::TokioUtil,
        Flavour::AsynchronousCodec,
    ];

    /// The flavours measured on this OS: every one on Unix, blocking and tokio on Windows.
    #[cfg(unix)]
    pub const HERE: &[Flavour] = &Flavour::ALL;

    /// The flavours measured on this OS: every one on Unix, blocking and tokio on Windows.
    #[cfg(windows)]
    pub const HERE: &[Flavour] = &[Flavour::Blocking, Flavour::Tokio];

    /// Whether this flavour measures `t` on this OS: on Windows the blocking flavour
    /// measures every transport and tokio all but `anon-pipe` (tokio has no anonymous pipe
    /// type there); on Unix every flavour measures every transport (a peer measures nothing
    /// on a message transport, see [`measure`]).
    pub fn measures(self, t: Transport) -> bool {
        #[cfg(windows)]
        return match self {
            Flavour::Blocking => true,
            Flavour::Tokio => t != Transport::AnonPipe,
            _ => false,
        };
        #[cfg(unix)]
        {
            let _ = t;
            true
        }
    }

    /// Whether this is a peer (another crate's codec), not pipeframe.
    pub fn is_peer(self) -> bool {
        matches!(self, Flavour::TokioUtil | Flavour::AsynchronousCodec)
    }

    /// The pipeframe flavour a peer runs on (its runtime and transport types): tokio for
    /// tokio-util, smol for asynchronous-codec; a pipeframe flavour itself.
    pub fn base(self) -> Flavour {
        match self {
            Flavour::TokioUtil => Flavour::Tokio,
            Flavour::AsynchronousCodec => Flavour::Smol,
            f => f,
        }
    }

    /// The flavour's name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Blocking => "blocking",
            Flavour::Tokio => "tokio",
            Flavour::Smol => "smol",
            Flavour::TokioUtil => "tokio-util",
            Flavour::AsynchronousCodec => "asynchronous-codec",
        }
    }

    /// Sends `frames` frames of `size` bytes over a new `transport` pair and returns the time
    /// from the first write to the reader's receipt of the last frame. `framing: None` is the
    /// raw baseline (one `write` per frame).
    pub fn throughput(
        self,
        transport: Transport,
        framing: Option<&Framing>,
        size: usize,
        frames: u64,
    ) -> io::Result<Duration> {
        #[cfg(unix)]
        let run = match self {
            Flavour::Blocking => skel::throughput::<blocking::Blocking>,
            Flavour::Tokio => skel::throughput::<tokio::Tokio>,
            Flavour::Smol => skel::throughput::<smol::Smol>,
            Flavour::TokioUtil => skel::throughput::<peers::TokioUtil>,
            Flavour::AsynchronousCodec => skel::throughput::<peers::AsynchronousCodec>,
        };
        #[cfg(windows)]
        let run = match self {
            Flavour::Blocking => skel::throughput::<windows::Blocking>,
            Flavour::Tokio => skel::throughput::<windows_tokio::Tokio>,
            _ => return Err(self.not_here()),
        };
        run(transport, framing, size, frames)
    }

    /// Times `iters` round trips of one `size`-byte frame to an echoing thread over a new
    /// `transport` pair; returns the total time (divide by `iters` for one round trip).
    /// `framing: None` is the raw baseline.
    pub fn round_trip(
        self,
        transport: Transport,
        framing: Option<&Framing>,
        size: usize,
        iters: u64,
    ) -> io::Result<Duration> {
        #[cfg(unix)]
        let run = match self {
            Flavour::Blocking => skel::round_trip::<blocking::Blocking>,
            Flavour::Tokio => skel::round_trip::<tokio::Tokio>,
            Flavour::Smol => skel::round_trip::<smol::Smol>,
            Flavour::TokioUtil => skel::round_trip::<peers::TokioUtil>,
            Flavour::AsynchronousCodec => skel::round_trip::<peers::AsynchronousCodec>,
        };
        #[cfg(windows)]
        let run = match self {
            Flavour::Blocking => skel::round_trip::<windows::Blocking>,
            Flavour::Tokio => skel::round_trip::<windows_tokio::Tokio>,
            _ => return Err(self.not_here()),
        };
        run(transport, framing, size, iters)
    }

    /// The error for a flavour not measured on Windows.
    #[cfg(windows)]
    fn not_here(self) -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            format!("the {self} flavour is not measured on Windows (blocking and tokio are)"),
        )
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Flavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Flavour::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown flavour {s:?} (expected blocking, tokio, smol, tokio-util or \
                     asynchronous-codec)"
                )
            })
    }
}

/// How long to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The duration one timed run aims for (the frame count is calibrated to it).
    pub target: Duration,
    /// Timed runs per figure; the median is reported.
    pub samples: usize,
}

/// Runs `run(n)` with growing `n` until it takes a quarter of `target`, then scales `n` to
/// `target`.
fn calibrate(
    start: u64,
    target: Duration,
    mut run: impl FnMut(u64) -> io::Result<Duration>,
) -> io::Result<u64> {
    let mut n = start.max(1);
    loop {
        let t = run(n)?;
        if t >= target / 4 || n >= 1 << 36 {
            let scale = target.as_secs_f64() / t.as_secs_f64().max(1e-9);
            return Ok(((n as f64 * scale) as u64).max(1));
        }
        n *= 4;
    }
}

/// Median of `samples` timed runs of `n` units.
fn sample(
    n: u64,
    samples: usize,
    mut run: impl FnMut(u64) -> io::Result<Duration>,
) -> io::Result<Duration> {
    let mut v = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        v.push(run(n)?);
    }
    Ok(median(v))
}

/// Measures one transport, flavour and size: throughput (bytes/s and frames/s) and round-trip
/// time, raw and framed. Stream transports are framed with `framing`; on message transports
/// "framed" is message mode (`pipeframe::message`). A figure that cannot be measured here
/// (an unsupported kernel feature, a size over a transport's limit) is left out; the error is
/// returned only if nothing could be measured.
///
/// A peer flavour ([`Flavour::is_peer`]) measures its framed rows only (its raw ends are its
/// [base](Flavour::base) flavour's, whose raw rows are the baseline), and nothing on message
/// transports.
pub fn measure(
    transport: Transport,
    flavour: Flavour,
    framing: &Framing,
    size: usize,
    plan: &Plan,
) -> io::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut last_err = None;
    let framed_name = if transport.is_message() {
        "message".to_string()
    } else {
        framing.to_string()
    };
    if flavour.is_peer() && transport.is_message() {
        return Ok(rows);
    }
    let kinds: &[bool] = if flavour.is_peer() {
        &[true]
    } else {
        &[false, true]
    };
    for &framed in kinds {
        let f = framed.then_some(framing);
        let name = if flavour == Flavour::TokioUtil {
            "length-delimited".to_string()
        } else if flavour == Flavour::AsynchronousCodec {
            "length-u64".to_string()
        } else if framed {
            framed_name.clone()
        } else {
            "raw".into()
        };
        let row = |metric, value| Row {
            transport,
            flavour: flavour.name(),
            framing: name.clone(),
            size,
            metric,
            value,
        };
        let tp = |n: u64| flavour.throughput(transport, f, size, n);
        let res = calibrate((256 * 1024 / size.max(1)) as u64, plan.target, tp)
            .and_then(|n| Ok((n, sample(n, plan.samples, tp)?)));
        match res {
            Ok((n, t)) => {
                let (bps, mps) = rates(size, n, t);
                rows.push(row(Metric::BytesPerSec, bps));
                rows.push(row(Metric::MsgsPerSec, mps));
            }
            Err(e) => last_err = Some(e),
        }
        let rt = |n: u64| flavour.round_trip(transport, f, size, n);
        let res =
            calibrate(64, plan.target / 2, rt).and_then(|n| Ok((n, sample(n, plan.samples, rt)?)));
        match res {
            Ok((n, t)) => rows.push(row(Metric::RttNs, t.as_nanos() as f64 / n as f64)),
            Err(e) => last_err = Some(e),
        }
    }
    match (rows.is_empty(), last_err) {
        (true, Some(e)) => Err(e),
        _ => Ok(rows),
    }
}
