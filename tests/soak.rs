//! The soak: every fault scenario of `tests/fault/` mixed and run side by side, over and over,
//! for `PIPEFRAME_SOAK_SECS` seconds (`.ci/run` sets 30). Without the variable the test does
//! nothing and says so. Each round runs, at once: a killed peer, a peer that is gone and a
//! slow reader in a random flavour over a random transport, and a load round (a random
//! flavour's listener with 50 to 150 clients of 100 random frames and hostile clients mixed
//! in). Every round is checked as in the fault matrix, under a watchdog that fails instead of
//! hanging; the totals are printed at the end.
#![cfg(all(target_os = "linux", feature = "tokio", feature = "futures-io"))]

mod fault;

use std::time::{Duration, Instant};

use fault::{FLAVOURS, TRANSPORTS, within};

/// Not a test of its own: the entry point of the child processes the scenarios start.
#[test]
fn child_entry_point() {
    fault::child_main();
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn join<T>(h: std::thread::JoinHandle<T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

#[test]
fn soak_mixed_faults_and_load() {
    let Some(secs) = std::env::var("PIPEFRAME_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        println!("soak: PIPEFRAME_SOAK_SECS is not set; nothing to do");
        return;
    };
    let seed = std::env::var("PIPEFRAME_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64 ^ u64::from(std::process::id()));
    println!("soak: {secs} s, seed {seed} (PIPEFRAME_SOAK_SEED repeats a run)");
    let mut rng = Rng(seed | 1);
    let end = Instant::now() + Duration::from_secs(secs);
    let limit = Duration::from_secs(120);
    let (mut rounds, mut kills, mut gone, mut slow) = (0u64, 0u64, 0u64, 0u64);
    let (mut clients, mut frames, mut bytes, mut peak_rss) = (0u64, 0u64, 0u64, 0u64);
    let mut worst_latency = Duration::ZERO;
    while Instant::now() < end {
        let pick = |rng: &mut Rng| (FLAVOURS[rng.below(3)], TRANSPORTS[rng.below(3)]);
        let (kf, kt) = pick(&mut rng);
        let (gf, gt) = pick(&mut rng);
        let (sf, st) = pick(&mut rng);
        let lf = FLAVOURS[rng.below(3)];
        let n = 50 + rng.below(101);
        let what = format!(
            "round {rounds}: killed {kf:?}/{kt:?}, gone {gf:?}/{gt:?}, slow {sf:?}/{st:?}, load {lf:?} x{n}"
        );
        let killed = std::thread::spawn(move || fault::killed_peer(kf, kt));
        let gone_t = std::thread::spawn(move || fault::peer_gone(gf, gt));
        let slow_t = std::thread::spawn(move || fault::slow_reader_bounded(sf, st));
        let load_t = std::thread::spawn(move || fault::load::run(lf, n, 1));
        let (latency, fig) = within(&what, limit, move || {
            let latency = join(killed);
            join(gone_t);
            let _peak = join(slow_t);
            (latency, join(load_t))
        });
        worst_latency = worst_latency.max(latency);
        rounds += 1;
        kills += 1;
        gone += 1;
        slow += 1;
        clients += fig.clients as u64;
        frames += fig.frames;
        bytes += fig.bytes;
        peak_rss = peak_rss.max(fig.server_peak_rss_kib);
    }
    println!(
        "soak: {rounds} rounds in {secs} s: {kills} killed peers (slowest noticed after {worst_latency:?}), \
         {gone} gone peers, {slow} slow readers, {clients} load clients, {frames} frames, {:.1} MiB, \
         largest server peak RSS {:.1} MiB",
        bytes as f64 / 1048576.0,
        peak_rss as f64 / 1024.0
    );
    assert!(rounds > 0);
}
