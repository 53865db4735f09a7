//! Measuring code shared by the criterion benches (`benches/transport.rs`) and the
//! `pipeframe bench` command, so both report the same thing.
//!
//! Every measurement sets up its endpoints and threads first, then times only the transfer:
//! `frames` frames of `size` bytes from a writer thread to a reader thread (throughput), or
//! `iters` round trips of one frame through an echoing thread (latency). The raw baseline makes
//! the same syscalls without framing: one `write` per frame, reads into a 64 KiB buffer (stream
//! transports) or one `recv` per message (message transports).
//!
//! The writer thread is pinned to CPU 0 and the reader to CPU 1 when the machine has two or
//! more CPUs, so runs compare like with like.

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::Duration;

mod blocking;
mod pair;

pub use blocking::{round_trip as blocking_round_trip, throughput as blocking_throughput};
pub use pair::{DuplexPair, OneWayPair};

/// A transport measured by the benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// An anonymous pipe (`pipe2`).
    Pipe,
    /// A Unix stream socket pair.
    Unix,
    /// A Unix `SOCK_SEQPACKET` socket pair (message transport).
    Seqpacket,
    /// An `O_DIRECT` packet pipe (message transport, at most 4096 bytes per message).
    PacketPipe,
    /// A TCP loopback connection (`127.0.0.1`, `TCP_NODELAY`).
    Tcp,
}

impl Transport {
    /// Every transport, in table order.
    pub const ALL: [Transport; 5] = [
        Transport::Pipe,
        Transport::Unix,
        Transport::Seqpacket,
        Transport::PacketPipe,
        Transport::Tcp,
    ];

    /// The transport's name in tables and JSON (`pipe`, `unix`, `seqpacket`, `packetpipe`, `tcp`).
    pub fn name(self) -> &'static str {
        match self {
            Transport::Pipe => "pipe",
            Transport::Unix => "unix",
            Transport::Seqpacket => "seqpacket",
            Transport::PacketPipe => "packetpipe",
            Transport::Tcp => "tcp",
        }
    }

    /// Whether every write is one message (no byte codec applies).
    pub fn is_message(self) -> bool {
        matches!(self, Transport::Seqpacket | Transport::PacketPipe)
    }

    /// The largest message the transport carries as one frame, if limited.
    pub fn max_message(self) -> Option<usize> {
        match self {
            Transport::PacketPipe => Some(4096),
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
            .ok_or_else(|| {
                format!(
                    "unknown transport {s:?} (expected pipe, unix, seqpacket, packetpipe or tcp)"
                )
            })
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
    #[cfg(target_os = "linux")]
    {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        if n >= 2 {
            let mut set = rustix::thread::CpuSet::new();
            set.set(cpu % n);
            let _ = rustix::thread::sched_setaffinity(None, &set);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
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

fn unsupported(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, what)
}
