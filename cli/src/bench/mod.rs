//! Measuring code shared by the criterion benches (`benches/transport.rs`) and the
//! `pipeframe bench` command, so both report the same thing.
//!
//! Every measurement sets up its endpoints and threads first, then times only the transfer:
//! `frames` frames of `size` bytes from a writer thread to a reader thread (throughput), or
//! `iters` round trips of one frame through an echoing thread (latency). [`run`] times a list
//! of [`Cell`]s in interleaved rounds, every cell once a round, and returns rows with one
//! sample per round; [`paired`] works a ratio out round by round (see `rounds`).
//!
//! "Raw" means the same in every flavour and on both OSes: plain `read`/`write` calls on the
//! same transport, through no pipeframe codec. The writer makes one `write` of `size` bytes
//! per frame; the reader reads into a 64 KiB buffer (at least `size`), filling it before
//! reusing it, and counts bytes on stream transports, or makes one `read` per message on
//! message transports; a round trip reads exactly `size` bytes (stream) or one message. Each
//! flavour reaches the transport its own way: `std::fs::File` (blocking, Unix), tokio's pipe
//! and socket types (readiness, then a plain `read`), `async_io::Async<File>` (smol, Unix); on
//! Windows the named pipe is pipeframe's own type in every flavour (`named::PipeStream`,
//! `named::tokio::PipeStream`, `named::futures_io::PipeStream`: overlapped `ReadFile` and
//! `WriteFile`), beside std's anonymous pipe ends and tokio's and async-io's sockets.
//!
//! "Framed" goes through the library: on stream transports the flavour's codec reader and
//! writer; on message transports message mode (blocking: [`pipeframe::frame_io`]; async: the
//! `pipeframe::message` types of the runtime). The measuring loops exist once, in `skel`, and
//! the flavours' ends once, in `drive`, both compiled on every OS; `pair` (`pair_unix`,
//! `pair_windows`) is what differs per OS: how ends are made and paired, how a writer ends
//! its stream, and the async message-mode ends.
//!
//! Two Unix pipe transports: `pipe` is a pipe as pipeframe creates them (raised with
//! `F_SETPIPE_SZ` to `pipeframe::pipe::max_capacity`), `pipe-64k` one with the kernel's
//! default capacity; raw and framed rows of one transport use the same kind of pipe. The peer
//! flavours (`tokio-util`, `asynchronous-codec`, see `peers`) measure another crate's codec over
//! the tokio and smol flavours' own transport types; their baseline is that flavour's raw row.
//!
//! The writer thread is pinned to CPU 0 and the reader to CPU 1 when the machine has two or
//! more CPUs, so runs compare like with like.
//!
//! On Windows the transports are a named pipe in byte mode (`pipe`) and in message mode
//! (`pipe-message`), an anonymous pipe (`anon-pipe`) and TCP loopback (`tcp`), measured in
//! every flavour but for `anon-pipe`, which only the blocking flavour measures: tokio has no
//! anonymous pipe type there, and async-io registers sockets only (see
//! [`Flavour::skips`]). A round trip there runs over two connections, one each way.

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::Duration;

use pipeframe::codec::Framing;

mod blocking;
mod drive;
#[cfg(unix)]
mod pair_unix;
#[cfg(windows)]
mod pair_windows;
mod peers;
mod rounds;
mod skel;
mod smol;
pub mod svg;
mod tokio;

#[cfg(unix)]
use pair_unix as pair;
#[cfg(windows)]
use pair_windows as pair;

#[cfg(unix)]
pub use pair::{DuplexPair, OneWayPair};
pub use rounds::{Cell, Kind, Plan, Progress, cells, run};

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

/// One measured figure: its median over the run's rounds and every round's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The transport.
    pub transport: Transport,
    /// `blocking`, `tokio` or `smol`, or a peer's name.
    pub flavour: &'static str,
    /// The framing name, or `raw` for the unframed baseline.
    pub framing: String,
    /// Frame size in bytes.
    pub size: usize,
    /// What was measured.
    pub metric: Metric,
    /// The median of [`samples`](Self::samples).
    pub value: f64,
    /// One figure per round, in round order: index `i` of two rows of one run was measured in
    /// the same round, minutes apart at most, which is what [`paired`] pairs.
    pub samples: Vec<f64>,
}

impl Row {
    /// The smallest figure of the rounds.
    pub fn min(&self) -> f64 {
        self.samples.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The largest figure of the rounds.
    pub fn max(&self) -> f64 {
        self.samples
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The spread of the rounds: largest over smallest, minus one (0.05 is 5%).
    pub fn spread(&self) -> f64 {
        spread(&self.samples)
    }

    /// The row as a JSON object with the keys `transport`, `flavour`, `framing`, `size`,
    /// `metric`, `value` (the median), `min`, `max` and `samples` (every round's figure, in
    /// round order).
    pub fn to_json(&self) -> String {
        let num = |v: f64| if v.is_finite() { v } else { 0.0 };
        let samples: Vec<String> = self.samples.iter().map(|&v| num(v).to_string()).collect();
        format!(
            "{{\"transport\":\"{}\",\"flavour\":\"{}\",\"framing\":\"{}\",\"size\":{},\"metric\":\"{}\",\"value\":{},\"min\":{},\"max\":{},\"samples\":[{}]}}",
            self.transport,
            self.flavour,
            self.framing.replace('\\', "\\\\").replace('"', "\\\""),
            self.size,
            self.metric.name(),
            num(self.value),
            num(self.min()),
            num(self.max()),
            samples.join(",")
        )
    }
}

/// A ratio of two rows worked out round by round: the median of `a[i] / b[i]`, and the
/// smallest and largest of those per-round ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    /// The median of the per-round ratios.
    pub median: f64,
    /// The smallest per-round ratio.
    pub min: f64,
    /// The largest per-round ratio.
    pub max: f64,
}

impl Ratio {
    /// Largest over smallest per-round ratio, minus one.
    pub fn spread(&self) -> f64 {
        self.max / self.min - 1.0
    }
}

/// `a` over `b` from paired rounds (rows of one run): each round's figure of `a` divided by
/// the same round's figure of `b`, so that a slow round (a busy machine) slows both. `None`
/// if the rows share no round.
pub fn paired(a: &Row, b: &Row) -> Option<Ratio> {
    let ratios: Vec<f64> = a
        .samples
        .iter()
        .zip(&b.samples)
        .filter(|&(_, &y)| y > 0.0)
        .map(|(&x, &y)| x / y)
        .collect();
    if ratios.is_empty() {
        return None;
    }
    Some(Ratio {
        median: median(&ratios),
        min: ratios.iter().copied().fold(f64::INFINITY, f64::min),
        max: ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// The median of some figures (the mean of the middle two for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Largest over smallest, minus one; 0 for fewer than two figures.
pub fn spread(values: &[f64]) -> f64 {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.len() < 2 || lo <= 0.0 {
        0.0
    } else {
        hi / lo - 1.0
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

    /// The flavours measured on this OS: every one, on Unix and on Windows.
    pub const HERE: &[Flavour] = &Flavour::ALL;

    /// Whether this flavour measures `t` on this OS (see [`skips`](Self::skips); a peer
    /// measures nothing on a message transport either, see [`cells`]).
    pub fn measures(self, t: Transport) -> bool {
        self.skips(t).is_none()
    }

    /// Why this flavour does not measure `t` on this OS, or `None` where it does. On Unix
    /// every flavour measures every transport. On Windows every flavour but blocking skips
    /// `anon-pipe`: tokio has no anonymous pipe type there, and async-io (smol) waits on
    /// sockets only; the peers run on those two flavours' types.
    pub fn skips(self, t: Transport) -> Option<&'static str> {
        #[cfg(windows)]
        if t == Transport::AnonPipe {
            return match self {
                Flavour::Blocking => None,
                Flavour::Tokio => Some("tokio has no anonymous pipe type on Windows"),
                Flavour::TokioUtil => Some(
                    "it runs on tokio's types, and tokio has no anonymous pipe type on Windows",
                ),
                Flavour::Smol => {
                    Some("async-io registers only sockets on Windows, not an anonymous pipe")
                }
                Flavour::AsynchronousCodec => {
                    Some("it runs on smol's types, and async-io registers only sockets on Windows")
                }
            };
        }
        let _ = t;
        None
    }

    /// The error of a measurement [`skips`](Self::skips) names.
    pub(crate) fn refused(self, t: Transport) -> io::Error {
        let why = self.skips(t).unwrap_or("not measured on this OS");
        io::Error::new(io::ErrorKind::Unsupported, why)
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
        if !self.measures(transport) {
            return Err(self.refused(transport));
        }
        let run = match self {
            Flavour::Blocking => skel::throughput::<blocking::Blocking>,
            Flavour::Tokio => skel::throughput::<tokio::Tokio>,
            Flavour::Smol => skel::throughput::<smol::Smol>,
            Flavour::TokioUtil => skel::throughput::<peers::TokioUtil>,
            Flavour::AsynchronousCodec => skel::throughput::<peers::AsynchronousCodec>,
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
        if !self.measures(transport) {
            return Err(self.refused(transport));
        }
        let run = match self {
            Flavour::Blocking => skel::round_trip::<blocking::Blocking>,
            Flavour::Tokio => skel::round_trip::<tokio::Tokio>,
            Flavour::Smol => skel::round_trip::<smol::Smol>,
            Flavour::TokioUtil => skel::round_trip::<peers::TokioUtil>,
            Flavour::AsynchronousCodec => skel::round_trip::<peers::AsynchronousCodec>,
        };
        run(transport, framing, size, iters)
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
