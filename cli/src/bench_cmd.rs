//! `bench`: framed throughput and round trips over every transport, next to the raw
//! transport, using the same measuring code as the criterion benches (`pipeframe_cli::bench`).

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::Args;
use pipeframe::codec::FrameEncoder;
use pipeframe::codec::Framing;
use pipeframe_cli::bench::{self, Cell, Flavour, Kind, Metric, Row, Transport};

use crate::{Failure, parse_size};

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Shorter repetitions: the default sizes on every transport in under a minute.
    #[arg(long)]
    quick: bool,
    /// Print one JSON array of rows instead of a table.
    #[arg(long)]
    json: bool,
    /// Frame sizes, comma separated (default 64,4k,16k,64k; suffixes k and m allowed).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_size)]
    sizes: Option<Vec<usize>>,
    /// Transports, comma separated (default: all of this OS), and the "transport" values in
    /// --json. Unix: pipe (an anonymous pipe raised to 1 MiB), pipe-64k (one of the default
    /// size), unix, seqpacket, packetpipe, tcp. Windows: pipe (a named pipe in byte mode),
    /// pipe-message (a named pipe in message mode), anon-pipe (an anonymous pipe), tcp.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_transport)]
    transports: Option<Vec<Transport>>,
    /// Flavours, comma separated: blocking, tokio, smol, and the peers tokio-util and
    /// asynchronous-codec (default all). On Windows anon-pipe is measured in the blocking
    /// flavour only (tokio has no anonymous pipe type there, async-io registers only sockets).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_flavour)]
    flavours: Option<Vec<Flavour>>,
    /// Also draw throughput against frame size into this SVG file, one panel per transport
    /// (sizes default to 64 B..1 MiB in steps of 4 with this option).
    #[arg(long, value_name = "FILE")]
    svg: Option<std::path::PathBuf>,
    /// The byte codec for stream transports (message transports use message mode).
    #[arg(long, value_name = "F", default_value = "lp32le")]
    framing: Framing,
    /// Unix: the capacity the `pipe` transport asks F_SETPIPE_SZ for (suffixes k and m; the
    /// kernel rounds up to a power of two pages), instead of the unprivileged maximum. For
    /// capacity sweeps; the rows keep the name `pipe`.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pipe_capacity: Option<usize>,
    /// Rounds: timed repetitions of every measurement, interleaved (default 15 with --quick, 9
    /// without). More rounds make the medians steadier and the run longer.
    #[arg(long, value_name = "N")]
    rounds: Option<usize>,
    /// The duration one timed repetition aims for, in milliseconds (default 12 with --quick,
    /// 60 without; round trips aim for half).
    #[arg(long, value_name = "MS")]
    rep_ms: Option<u64>,
}

fn parse_transport(s: &str) -> Result<Transport, String> {
    s.parse()
}

fn parse_flavour(s: &str) -> Result<Flavour, String> {
    s.parse()
}

pub(crate) fn run(args: &BenchArgs) -> Result<(), Failure> {
    let default_sizes = if args.svg.is_some() {
        (0..8).map(|i| 64usize << (2 * i)).collect()
    } else {
        vec![64, 4 * 1024, 16 * 1024, 64 * 1024]
    };
    let sizes = args.sizes.clone().unwrap_or(default_sizes);
    if let Some(cap) = args.pipe_capacity {
        #[cfg(unix)]
        {
            if cap == 0 || cap > pipeframe::pipe::max_capacity() {
                return Err(Failure::Usage(format!(
                    "--pipe-capacity {cap}: give 1 to {} bytes (fs.pipe-max-size)",
                    pipeframe::pipe::max_capacity()
                )));
            }
            bench::set_pipe_capacity(cap);
        }
        #[cfg(windows)]
        return Err(Failure::Usage(format!(
            "--pipe-capacity {cap}: Unix pipes only (Windows named pipes take their buffer size from ListenOptions)"
        )));
    }
    if sizes.is_empty() || sizes.contains(&0) {
        return Err(Failure::Usage(
            "--sizes needs sizes of at least 1 byte".into(),
        ));
    }
    let transports = args
        .transports
        .clone()
        .unwrap_or_else(|| Transport::ALL.to_vec());
    let flavours = args
        .flavours
        .clone()
        .unwrap_or_else(|| Flavour::HERE.to_vec());
    let plan = bench::Plan {
        target: Duration::from_millis(args.rep_ms.unwrap_or(if args.quick { 12 } else { 60 })),
        rounds: args.rounds.unwrap_or(if args.quick { 15 } else { 9 }),
    };
    if plan.rounds == 0 || plan.target.is_zero() {
        return Err(Failure::Usage(
            "--rounds and --rep-ms need at least 1".into(),
        ));
    }

    let mut cells = Vec::new();
    for &t in &transports {
        for &size in &sizes {
            // Asked for by name, a pair that is not measured here is reported as skipped.
            for &f in flavours
                .iter()
                .filter(|f| args.flavours.is_some() || f.measures(t))
            {
                cells.extend(bench::cells(t, f, size));
            }
            for c in floor_cells(t, &flavours, &args.framing, size) {
                if !cells.contains(&c) {
                    cells.push(c);
                }
            }
        }
    }
    let mut err = io::stderr();
    // On a terminal, progress rewrites one line; elsewhere (a pipe, a log file) it is one
    // plain line per measurement, with no control codes.
    let (start, end) = if err.is_terminal() {
        ("\r\x1b[2K", "")
    } else {
        ("", "\n")
    };
    let load_before = load_average();
    let began = Instant::now();
    let (rows, failed) = bench::run(&cells, &args.framing, &plan, |p| {
        let c = p.cell;
        let what = match (c.framed, c.kind) {
            (false, Kind::Throughput) => "raw throughput",
            (true, Kind::Throughput) => "framed throughput",
            (false, Kind::RoundTrip) => "raw round trip",
            (true, Kind::RoundTrip) => "framed round trip",
        };
        let stage = if p.round == 0 {
            "calibrating".to_string()
        } else {
            format!("round {}/{}", p.round, p.rounds)
        };
        let _ = write!(
            err,
            "{start}[{stage}, {}/{}] {} {} {} B {what}{end}",
            p.index, p.cells, c.transport, c.flavour, c.size
        );
        let _ = err.flush();
    });
    let load = match (load_before, load_average()) {
        (Some(a), Some(b)) => format!("; load average {a} before, {b} after"),
        _ => String::new(),
    };
    let _ = writeln!(
        err,
        "{start}{} cells, {} rounds done in {:.0} s{load}",
        cells.len(),
        plan.rounds,
        began.elapsed().as_secs_f64()
    );
    let mut skipped: Vec<String> = Vec::new();
    // The pairs a default run leaves out, once each (asked for by name, each cell says it).
    if args.flavours.is_none() {
        for &t in &transports {
            for &f in &flavours {
                if let Some(why) = f.skips(t) {
                    skipped.push(format!("{t} {f}: {why}"));
                }
            }
        }
    }
    for (c, e) in &failed {
        let s = format!("{} {} {} B: {e}", c.transport, c.flavour, c.size);
        if !skipped.contains(&s) {
            skipped.push(s);
        }
    }
    for s in &skipped {
        let _ = writeln!(err, "skipped: {s}");
    }

    if let Some(path) = &args.svg {
        let drawn: Vec<Row> = rows
            .iter()
            .filter(|r| sizes.contains(&r.size))
            .cloned()
            .collect();
        bench::svg::draw(path, &drawn, &transports)
            .map_err(|e| Failure::Runtime(format!("{}: {e}", path.display())))?;
    }
    let mut out = io::stdout().lock();
    let res = if args.json {
        print_json(&mut out, &rows)
    } else {
        print_table(&mut out, &rows, &transports, &flavours, &sizes, &plan)
    };
    res.and_then(|_| out.flush()).map_err(Failure::stdout)
}

/// The one-minute load average (Linux: /proc/loadavg), to say how busy the machine was: the
/// figures of a busy run are not worth comparing.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

/// The floors: for frames of 64 KiB and more on a stream transport, raw transfers of the
/// frame's size on the wire (payload plus `framing`'s header and trailer) in each pipeframe
/// flavour asked for. A target that runs into the transport (a 64 KiB frame is 65,540 bytes
/// with lp32le: a 17th page of a pipe) is shown against what raw writes of that many bytes
/// make in the same run.
fn floor_cells(t: Transport, flavours: &[Flavour], framing: &Framing, size: usize) -> Vec<Cell> {
    if t.is_message() || size < 64 * 1024 {
        return Vec::new();
    }
    let Ok(parts) = framing.clone().encode_parts(&vec![0; size]) else {
        return Vec::new();
    };
    let wire = size + parts.overhead();
    if wire == size {
        return Vec::new();
    }
    flavours
        .iter()
        .filter(|f| !f.is_peer() && f.measures(t))
        .flat_map(|&f| bench::cells(t, f, wire))
        .filter(|c| !c.framed)
        .collect()
}
fn print_json(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    writeln!(out, "[")?;
    for (i, r) in rows.iter().enumerate() {
        let comma = if i + 1 < rows.len() { "," } else { "" };
        writeln!(out, "  {}{comma}", r.to_json())?;
    }
    writeln!(out, "]")
}

fn find(rows: &[Row], t: Transport, f: Flavour, raw: bool, size: usize, m: Metric) -> Option<&Row> {
    rows.iter().find(|r| {
        r.transport == t
            && r.flavour == f.name()
            && (r.framing == "raw") == raw
            && r.size == size
            && r.metric == m
    })
}

/// A paired ratio as `median` and `spread%` cells.
fn ratio_cells(a: Option<&Row>, b: Option<&Row>) -> (String, String) {
    match a.zip(b).and_then(|(a, b)| bench::paired(a, b)) {
        Some(r) => (format!("{:.2}", r.median), pct(r.spread())),
        None => ("-".into(), "".into()),
    }
}

fn pct(spread: f64) -> String {
    format!("{:.0}%", spread * 100.0)
}

/// A row's median in `unit`s and its spread.
fn rate_cells(r: Option<&Row>, unit: f64) -> (String, String) {
    match r {
        Some(r) => (format!("{:.1}", r.value / unit), pct(r.spread())),
        None => ("-".into(), "".into()),
    }
}

fn print_table(
    out: &mut impl Write,
    rows: &[Row],
    transports: &[Transport],
    flavours: &[Flavour],
    sizes: &[usize],
    plan: &bench::Plan,
) -> io::Result<()> {
    writeln!(
        out,
        "{:<12} {:<18} {:>7} {:>9} {:>4} {:>9} {:>4} {:>6} {:>4} {:>9} {:>5} {:>5} {:>8} {:>8} {:>6} {:>4}",
        "transport",
        "flavour",
        "size",
        "raw MB/s",
        "±",
        "fr MB/s",
        "±",
        "f/raw",
        "±",
        "fr kf/s",
        "f/tcp",
        "f/blk",
        "rtt raw",
        "rtt fr",
        "rtt fr",
        "±"
    )?;
    for &t in transports {
        for &f in flavours {
            for &size in sizes {
                let raw = find(rows, t, f.base(), true, size, Metric::BytesPerSec);
                let fr = find(rows, t, f, false, size, Metric::BytesPerSec);
                let frm = find(rows, t, f, false, size, Metric::MsgsPerSec);
                let tcp = find(rows, Transport::Tcp, f, false, size, Metric::BytesPerSec);
                let blk = find(rows, t, Flavour::Blocking, false, size, Metric::BytesPerSec);
                let rr = find(rows, t, f.base(), true, size, Metric::RttNs);
                let rf = find(rows, t, f, false, size, Metric::RttNs);
                if (raw.is_none() && fr.is_none() && rr.is_none()) || (f.is_peer() && fr.is_none())
                {
                    continue;
                }
                let (raw_v, raw_s) = rate_cells(raw, 1e6);
                let (fr_v, fr_s) = rate_cells(fr, 1e6);
                let (fraw, fraw_s) = ratio_cells(fr, raw);
                let (rtt_r, _) = rate_cells(rr, 1e3);
                let (rtt_f, _) = rate_cells(rf, 1e3);
                let (rtt, rtt_s) = ratio_cells(rf, rr);
                writeln!(
                    out,
                    "{:<12} {:<18} {:>7} {:>9} {:>4} {:>9} {:>4} {:>6} {:>4} {:>9} {:>5} {:>5} {:>8} {:>8} {:>6} {:>4}",
                    t.name(),
                    f.name(),
                    size,
                    raw_v,
                    raw_s,
                    fr_v,
                    fr_s,
                    fraw,
                    fraw_s,
                    rate_cells(frm, 1e3).0,
                    ratio_cells(fr, tcp).0,
                    ratio_cells(fr, blk).0,
                    rtt_r,
                    rtt_f,
                    rtt,
                    rtt_s,
                )?;
            }
        }
    }
    writeln!(
        out,
        "\nMedians of {} interleaved rounds; ±: the spread of the rounds (largest over smallest, \
         minus one). Ratios are worked out round by round (each round's framed figure over the \
         same round's raw one) and their median shown. f/raw: framed over raw throughput; \
         f/tcp: framed over framed TCP loopback; f/blk: framed over framed blocking; rtt: round \
         trip in us, raw and framed, then framed over raw. On seqpacket, packetpipe and \
         pipe-message, framed is message mode. Peers: tokio-util (LengthDelimitedCodec, 4-byte \
         header) on tokio's transports, asynchronous-codec (LengthCodec, 8-byte header) on \
         smol's; their raw columns are tokio's and smol's.",
        plan.rounds
    )
}
