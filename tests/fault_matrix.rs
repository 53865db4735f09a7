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
//! Seqpacket sockets are written with `MSG_NOSIGNAL`, so they never raise it. Unix stream
//! sockets do raise it today, in every flavour, when a frame goes out as a vectored write
//! (`writev` takes no flags): see `fault_sigpipe_never_raised_on_unix_stream_sockets`.
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

/// What SIGPIPE does, per flavour and transport, measured in a child that counts the signals
/// instead of ignoring them (a raised signal kills a process whose SIGPIPE is at `SIG_DFL`).
/// The writes are 100 KiB frames, which go out as vectored writes (`writev`).
///
/// Today: every write fails with `BrokenPipe`; pipes raise SIGPIPE (no way around it for
/// pipes: a process at `SIG_DFL` dies there, a Rust program, which ignores it, gets the
/// error); seqpacket sockets never raise it (`MSG_NOSIGNAL`). Unix stream sockets raise it in
/// every flavour, because `writev` has no `MSG_NOSIGNAL`: that is
/// [`fault_sigpipe_never_raised_on_unix_stream_sockets`], ignored until the writes go
/// through `sendmsg(MSG_NOSIGNAL)`.
#[test]
fn fault_sigpipe_on_pipes_and_seqpacket_and_broken_pipe_everywhere() {
    let report = within("sigpipe probe", LIMIT, fault::sigpipe_report);
    assert_eq!(report.len(), 9, "{report:?}");
    for (f, t, raised, kind) in &report {
        println!("SIGPIPE, {f} over {t}: raised {raised} times, write error {kind}");
        assert_eq!(kind, "BrokenPipe", "{f} over {t}");
        match t.as_str() {
            "Pipe" => assert!(*raised > 0, "{f} over a pipe: no SIGPIPE (kernel changed?)"),
            "Seqpacket" => assert_eq!(*raised, 0, "{f} over seqpacket raised SIGPIPE"),
            _ => {}
        }
    }
}

/// The requirement for sockets: never SIGPIPE, even at `SIG_DFL`. Fails today for
/// Unix stream sockets in all three flavours (vectored writes are `writev`, which cannot take
/// `MSG_NOSIGNAL`); run it with `--ignored` once the socket writes use `sendmsg`.
#[test]
#[ignore = "Unix stream socket writes use writev, which raises SIGPIPE; needs sendmsg(MSG_NOSIGNAL) in the socket write path"]
fn fault_sigpipe_never_raised_on_unix_stream_sockets() {
    let report = within("sigpipe probe", LIMIT, fault::sigpipe_report);
    let raised: Vec<_> = report.iter().filter(|r| r.1 != "Pipe" && r.2 > 0).collect();
    assert!(
        raised.is_empty(),
        "SIGPIPE raised on sockets (a process with SIGPIPE at SIG_DFL would die): {raised:?}"
    );
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
