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
//! killed by the signal on a pipe write instead: pipes have no per-write way to suppress it
//! (`fault_sigpipe_kills_a_sig_dfl_process_on_pipes`). pipeframe's sockets, Unix stream
//! (named pipes) and seqpacket, are written with `MSG_NOSIGNAL`, so they never raise it, not
//! even at `SIG_DFL` (`fault_sigpipe_never_raised_on_unix_stream_sockets`).
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
/// The writes are 100 KiB frames, which go out as vectored writes.
///
/// Every write fails with `BrokenPipe`; pipes raise SIGPIPE (no way around it for pipes: a
/// process at `SIG_DFL` dies there, see [`fault_sigpipe_kills_a_sig_dfl_process_on_pipes`]; a
/// Rust program, which ignores it, gets the error); sockets never raise it: pipeframe's
/// stream sockets send with `sendmsg(MSG_NOSIGNAL)`, seqpacket sockets with
/// `send(MSG_NOSIGNAL)`.
#[test]
fn fault_sigpipe_on_pipes_and_seqpacket_and_broken_pipe_everywhere() {
    let report = within("sigpipe probe", LIMIT, fault::sigpipe_report);
    assert_eq!(report.len(), 9, "{report:?}");
    for (f, t, raised, kind) in &report {
        println!("SIGPIPE, {f} over {t}: raised {raised} times, write error {kind}");
        assert_eq!(kind, "BrokenPipe", "{f} over {t}");
        match t.as_str() {
            "Pipe" => assert!(*raised > 0, "{f} over a pipe: no SIGPIPE (kernel changed?)"),
            _ => assert_eq!(*raised, 0, "{f} over {t} raised SIGPIPE"),
        }
    }
}

/// The rule for sockets: never SIGPIPE, even at `SIG_DFL`. A child puts
/// SIGPIPE back to `SIG_DFL` (the harness ignores it, and `exec` keeps it ignored), then in
/// every flavour writes to a named pipe client whose server closed the connection, and to a
/// seqpacket socket whose peer is gone: it must live, having seen `BrokenPipe` each time. The
/// control, a raw std `UnixStream` vectored write (`writev`) in a child at `SIG_DFL`, must die
/// of the signal (so this test would see a socket write that raises it).
#[test]
fn fault_sigpipe_never_raised_on_unix_stream_sockets() {
    use std::os::unix::process::ExitStatusExt;
    let (status, lines) = within("sigdfl control", LIMIT, || {
        fault::sigdfl_child("sigdfl-raw-unix", None)
    });
    assert_eq!(
        status.signal(),
        Some(13),
        "the control (a raw socket write at SIG_DFL) must die of SIGPIPE: {status}, {lines:?}"
    );
    let (status, lines) = within("sigdfl sockets", LIMIT, || {
        fault::sigdfl_child("sigdfl-sockets", None)
    });
    assert_ne!(
        status.signal(),
        Some(13),
        "killed by SIGPIPE at SIG_DFL during `{}`",
        lines.last().map_or("(before any write)", |l| l.as_str())
    );
    assert!(
        status.success(),
        "sigdfl sockets child: {status}, {lines:?}"
    );
    let done: Vec<_> = lines.iter().filter(|l| l.starts_with("done ")).collect();
    assert_eq!(done.len(), 6, "{lines:?}");
    for l in done {
        println!("SIG_DFL: {l}");
        assert!(l.ends_with(" BrokenPipe"), "{l}");
    }
}

/// On pipes, what the module docs say: a write to a pipe whose reader is gone raises
/// SIGPIPE (pipes take no `MSG_NOSIGNAL`). Rust programs ignore it and get `BrokenPipe` (the
/// probe above); a process that has it at `SIG_DFL` is killed, in every flavour.
#[test]
fn fault_sigpipe_kills_a_sig_dfl_process_on_pipes() {
    use std::os::unix::process::ExitStatusExt;
    for f in FLAVOURS {
        let (status, lines) = within(&format!("sigdfl pipe {f:?}"), LIMIT, move || {
            fault::sigdfl_child("sigdfl-pipe", Some(f))
        });
        println!("SIG_DFL, {f:?} over a pipe: {status}");
        assert_eq!(
            status.signal(),
            Some(13),
            "{f:?}: a pipe write at SIG_DFL to a gone reader: {status}, {lines:?}"
        );
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
