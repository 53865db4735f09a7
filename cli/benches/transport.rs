//! Transport benchmarks: framed throughput and ping-pong round trips over anonymous pipes,
//! Unix stream sockets, seqpacket sockets, packet pipes and TCP loopback, in the blocking,
//! tokio and smol flavours, each next to the raw transport (the same syscalls, no framing), and
//! the peers tokio-util (on tokio's transports) and asynchronous-codec (on smol's), framed
//! only and on stream transports only (their raw ends are tokio's and smol's).
//!
//! The measuring code is `pipeframe_cli::bench`, the same that `pipeframe bench` runs; criterion
//! supplies the iteration counts and statistics. Each measurement builds its endpoints and
//! threads first and times only the transfer (`iter_custom`). On message transports "framed"
//! is message mode. One group per frame size, `Throughput::Bytes` of payload per frame.
//!
//! On Windows: the Windows transports (named pipe in byte and message mode, anonymous pipe,
//! TCP) in the same flavours and peers, but for the anonymous pipe, which only the blocking
//! flavour measures there (`Flavour::measures`).

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pipeframe::codec::Framing;
use pipeframe_cli::bench::{Flavour, Transport};

const SIZES: [usize; 2] = [64, 64 * 1024];

fn fits(t: Transport, size: usize) -> bool {
    t.max_message().is_none_or(|max| size <= max)
}

/// The (label, framing) rows a flavour measures on `t`: raw and framed, or framed only for a
/// peer (nothing on a message transport).
fn kinds(t: Transport, f: Flavour, framing: &Framing) -> Vec<(&'static str, Option<&Framing>)> {
    match (f.is_peer(), t.is_message()) {
        (true, true) => vec![],
        (true, false) => vec![("framed", Some(framing))],
        _ => vec![("raw", None), ("framed", Some(framing))],
    }
}

fn throughput(c: &mut Criterion) {
    let framing: Framing = "lp32le".parse().unwrap();
    for size in SIZES {
        let mut g = c.benchmark_group(format!("throughput/{size}"));
        g.throughput(Throughput::Bytes(size as u64));
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(1));
        g.sample_size(10);
        for t in Transport::ALL.into_iter().filter(|&t| fits(t, size)) {
            for &f in Flavour::HERE.iter().filter(|f| f.measures(t)) {
                for (label, framing) in kinds(t, f, &framing) {
                    g.bench_function(format!("{t}/{f}/{label}"), |b| {
                        b.iter_custom(|iters| f.throughput(t, framing, size, iters).unwrap())
                    });
                }
            }
        }
        g.finish();
    }
}

fn round_trip(c: &mut Criterion) {
    let framing: Framing = "lp32le".parse().unwrap();
    for size in SIZES {
        let mut g = c.benchmark_group(format!("round-trip/{size}"));
        g.throughput(Throughput::Bytes(size as u64));
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(1));
        g.sample_size(10);
        for t in Transport::ALL.into_iter().filter(|&t| fits(t, size)) {
            for &f in Flavour::HERE.iter().filter(|f| f.measures(t)) {
                for (label, framing) in kinds(t, f, &framing) {
                    g.bench_function(format!("{t}/{f}/{label}"), |b| {
                        b.iter_custom(|iters| f.round_trip(t, framing, size, iters).unwrap())
                    });
                }
            }
        }
        g.finish();
    }
}

criterion_group!(benches, throughput, round_trip);
criterion_main!(benches);
