//! Interleaved measurement. Every [`Cell`] (a transport, a flavour, raw or framed, a size,
//! throughput or round trip) is calibrated once, then timed once per round, round after
//! round: raw and framed repetitions alternate (A B A B ...) and every figure of a run has one
//! sample per round. A ratio is then worked out round by round ([`super::paired`]) from
//! repetitions made moments apart, so a slow stretch of a shared machine slows both sides of
//! it instead of one.
//!
//! Odd rounds visit the cells in reverse order, so that neither side of a pair always runs
//! first, and no cell always runs just after a round trip or a large transfer.

use std::io;
use std::time::Duration;

use pipeframe::codec::Framing;

use super::{Flavour, Metric, Row, Transport, median, rates};

/// What a cell times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Frames from a writer thread to a reader thread ([`Flavour::throughput`]).
    Throughput,
    /// One frame to an echoing thread and back ([`Flavour::round_trip`]).
    RoundTrip,
}

/// One thing a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell {
    /// The transport.
    pub transport: Transport,
    /// The flavour (a peer's cells are framed only).
    pub flavour: Flavour,
    /// Through the library (or the peer's codec); `false` is the raw baseline.
    pub framed: bool,
    /// Frame size in bytes.
    pub size: usize,
    /// Throughput or round trip.
    pub kind: Kind,
}

/// How long to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The duration one timed repetition of a throughput cell aims for (round trips: half of
    /// it). The unit count is calibrated to it once per cell and kept for every round.
    pub target: Duration,
    /// Rounds: timed repetitions of every cell, interleaved.
    pub rounds: usize,
}

/// Where a run is, for a progress line.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// 0 while calibrating, then 1 to `rounds`.
    pub round: usize,
    /// Rounds in the run.
    pub rounds: usize,
    /// The cell's place in its round, from 1.
    pub index: usize,
    /// Cells in a round.
    pub cells: usize,
    /// The cell about to be timed.
    pub cell: &'a Cell,
}

/// The cells of one transport, flavour and size, in the order a round visits them: raw then
/// framed throughput, raw then framed round trip. A peer ([`Flavour::is_peer`]) has framed
/// cells only (its baseline is its [base](Flavour::base) flavour's raw cells) and none on a
/// message transport, where there is nothing for a byte codec to do.
pub fn cells(transport: Transport, flavour: Flavour, size: usize) -> Vec<Cell> {
    if flavour.is_peer() && transport.is_message() {
        return Vec::new();
    }
    let kinds: &[bool] = if flavour.is_peer() {
        &[true]
    } else {
        &[false, true]
    };
    let mut out = Vec::new();
    for kind in [Kind::Throughput, Kind::RoundTrip] {
        for &framed in kinds {
            out.push(Cell {
                transport,
                flavour,
                framed,
                size,
                kind,
            });
        }
    }
    out
}

impl Cell {
    /// Times `n` units: frames through, or round trips.
    fn time(&self, framing: &Framing, n: u64) -> io::Result<Duration> {
        let f = self.framed.then_some(framing);
        match self.kind {
            Kind::Throughput => self.flavour.throughput(self.transport, f, self.size, n),
            Kind::RoundTrip => self.flavour.round_trip(self.transport, f, self.size, n),
        }
    }

    /// The name in the rows' `framing` field.
    fn framing_name(&self, framing: &Framing) -> String {
        match (self.flavour, self.framed) {
            (Flavour::TokioUtil, _) => "length-delimited".into(),
            (Flavour::AsynchronousCodec, _) => "length-u64".into(),
            (_, false) => "raw".into(),
            _ if self.transport.is_message() => "message".into(),
            _ => framing.to_string(),
        }
    }

    /// Finds the unit count whose run takes about `target`: runs with growing counts until
    /// one takes a quarter of it, then scales. The runs also warm the cell up.
    fn calibrate(&self, framing: &Framing, target: Duration) -> io::Result<u64> {
        let mut n = match self.kind {
            Kind::Throughput => (256 * 1024 / self.size.max(1)).max(1) as u64,
            Kind::RoundTrip => 64,
        };
        loop {
            let t = self.time(framing, n)?;
            if t >= target / 4 || n >= 1 << 36 {
                let scale = target.as_secs_f64() / t.as_secs_f64().max(1e-9);
                return Ok(((n as f64 * scale) as u64).max(1));
            }
            n *= 4;
        }
    }

    /// This cell's rows from its per-round times for `n` units.
    fn rows(&self, framing: &Framing, n: u64, times: &[Duration]) -> Vec<Row> {
        let row = |metric, samples: Vec<f64>| Row {
            transport: self.transport,
            flavour: self.flavour.name(),
            framing: self.framing_name(framing),
            size: self.size,
            metric,
            value: median(&samples),
            samples,
        };
        match self.kind {
            Kind::Throughput => {
                let (bps, mps): (Vec<f64>, Vec<f64>) =
                    times.iter().map(|&t| rates(self.size, n, t)).unzip();
                vec![row(Metric::BytesPerSec, bps), row(Metric::MsgsPerSec, mps)]
            }
            Kind::RoundTrip => {
                let ns = times
                    .iter()
                    .map(|t| t.as_nanos() as f64 / n as f64)
                    .collect();
                vec![row(Metric::RttNs, ns)]
            }
        }
    }
}

/// Measures `cells`: a calibration pass, then `plan.rounds` rounds that time every cell once
/// (even rounds in the order given, odd rounds in reverse). Stream transports are framed with
/// `framing`, message transports with message mode. A cell that fails (an unsupported kernel
/// feature, a size over a transport's limit) is dropped from the run and returned with its
/// error; the others' rows come back in the order of `cells`, each with one sample per round.
pub fn run(
    cells: &[Cell],
    framing: &Framing,
    plan: &Plan,
    mut progress: impl FnMut(Progress<'_>),
) -> (Vec<Row>, Vec<(Cell, io::Error)>) {
    let rounds = plan.rounds.max(1);
    let mut units: Vec<Option<u64>> = Vec::with_capacity(cells.len());
    let mut failed = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        progress(Progress {
            round: 0,
            rounds,
            index: i + 1,
            cells: cells.len(),
            cell: c,
        });
        let target = match c.kind {
            Kind::Throughput => plan.target,
            Kind::RoundTrip => plan.target / 2,
        };
        match c.calibrate(framing, target) {
            Ok(n) => units.push(Some(n)),
            Err(e) => {
                units.push(None);
                failed.push((*c, e));
            }
        }
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); cells.len()];
    for round in 0..rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..cells.len()).collect()
        } else {
            (0..cells.len()).rev().collect()
        };
        for (k, &i) in order.iter().enumerate() {
            let Some(n) = units[i] else { continue };
            progress(Progress {
                round: round + 1,
                rounds,
                index: k + 1,
                cells: cells.len(),
                cell: &cells[i],
            });
            match cells[i].time(framing, n) {
                Ok(t) => times[i].push(t),
                Err(e) => {
                    units[i] = None;
                    failed.push((cells[i], e));
                }
            }
        }
    }
    let mut rows = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        if let Some(n) = units[i] {
            rows.extend(c.rows(framing, n, &times[i]));
        }
    }
    (rows, failed)
}
