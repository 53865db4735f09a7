//! The fault matrix: blocking, tokio and smol over an anonymous pipe, a Unix stream socket
//! and a seqpacket socket, against a peer killed mid-frame, a peer that is gone, a slow
//! reader, and a load of concurrent clients with hostile ones mixed in. Scenarios and what
//! each asserts are in `tests/fault/mod.rs` and `tests/fault/load.rs`. Every scenario runs
//! under a watchdog that fails the test instead of hanging.
//!
//! What happens on pipes when the reader is gone, documented and tested here: the write
//! fails with `EPIPE`, which is `io::ErrorKind::BrokenPipe`, in every flavour, because Rust
//! programs start with `SIGPIPE` ignored. A process that has `SIGPIPE` at its default
//! disposition (a C host embedding Rust, or a binary built with `-Zon-broken-pipe=kill`) is
//! killed by the signal on a pipe write instead: pipes have no per-write way to suppress it.
//! Seqpacket sockets are written with `MSG_NOSIGNAL`, so they never raise it.
#![cfg(all(target_os = "linux", feature = "tokio", feature = "futures-io"))]

mod fault;

use std::time::Duration;

use fault::{FLAVOURS, Flavour, TRANSPORTS, within};

const LIMIT: Duration = Duration::from_secs(60);

/// Not a test of its own: the entry point of the child processes the scenarios start.
#[test]
fn child_entry_point() {
    fault::child_main();
}

fn killed_peer(flavour: Flavour) {
    for t in TRANSPORTS {
        let latency = within(
            &format!("killed peer {flavour:?}/{t:?}"),
            LIMIT,
            move || fault::killed_peer(flavour, t),
        );
        println!("killed peer, {flavour:?} over {t:?}: noticed {latency:?} after the death");
    }
}

#[test]
fn fault_killed_peer_mid_frame_blocking() {
    killed_peer(Flavour::Blocking);
}

#[test]
fn fault_killed_peer_mid_frame_tokio() {
    killed_peer(Flavour::Tokio);
}

#[test]
fn fault_killed_peer_mid_frame_smol() {
    killed_peer(Flavour::Smol);
}

#[test]
fn fault_peer_gone_is_broken_pipe_in_every_flavour_and_transport() {
    for f in FLAVOURS {
        for t in TRANSPORTS {
            within(&format!("peer gone {f:?}/{t:?}"), LIMIT, move || {
                fault::peer_gone(f, t)
            });
        }
    }
}

#[test]
fn fault_slow_reader_keeps_writer_memory_under_the_high_water_mark() {
    for f in FLAVOURS {
        for t in TRANSPORTS {
            let peak = within(&format!("slow reader {f:?}/{t:?}"), LIMIT, move || {
                fault::slow_reader_bounded(f, t)
            });
            println!(
                "slow reader, {f:?} over {t:?}: writer held at most {peak} bytes (high-water mark {})",
                fault::HIGH_WATER
            );
        }
    }
}

fn load(flavour: Flavour, clients: usize) {
    let fig = within(
        &format!("load {flavour:?}"),
        Duration::from_secs(180),
        move || fault::load::run(flavour, clients, 3),
    );
    println!(
        "load, {:?}: {} clients + {} hostile, {} frames, {:.1} MiB, {:.2} s, server peak RSS {:.1} MiB",
        fig.flavour,
        fig.clients,
        fig.hostile,
        fig.frames,
        fig.bytes as f64 / 1048576.0,
        fig.seconds,
        fig.server_peak_rss_kib as f64 / 1024.0
    );
}

#[test]
fn fault_load_1000_tokio_clients_with_hostile_ones() {
    load(Flavour::Tokio, 1000);
}

#[test]
fn fault_load_200_blocking_clients_with_hostile_ones() {
    load(Flavour::Blocking, 200);
}

#[test]
fn fault_load_200_smol_clients_with_hostile_ones() {
    load(Flavour::Smol, 200);
}
