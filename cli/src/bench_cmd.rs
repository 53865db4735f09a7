//! `bench`: framed throughput and round trips over every transport, next to the raw
//! transport, using the same measuring code as the criterion benches (`pipeframe_cli::bench`).

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use pipeframe::codec::Framing;
use pipeframe_cli::bench::{self, Flavour, Metric, Row, Transport};

use crate::{Failure, parse_size};

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Fewer, shorter runs: finishes in under 30 seconds.
    #[arg(long)]
    quick: bool,
    /// Print one JSON array of rows instead of a table.
    #[arg(long)]
    json: bool,
    /// Frame sizes, comma separated (default 64,64k; suffixes k and m allowed).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_size)]
    sizes: Option<Vec<usize>>,
    /// Transports, comma separated (default: all of this OS), and the "transport" values in
    /// --json. Unix: pipe (an anonymous pipe raised to 1 MiB), pipe-64k (one of the default
    /// size), unix, seqpacket, packetpipe, tcp. Windows: pipe (a named pipe in byte mode),
    /// pipe-message (a named pipe in message mode), anon-pipe (an anonymous pipe), tcp.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_transport)]
    transports: Option<Vec<Transport>>,
    /// Flavours, comma separated: blocking, tokio, smol, and the peers tokio-util and
    /// asynchronous-codec (default all). On Windows: blocking, and tokio on every transport
    /// but anon-pipe.
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
        vec![64, 64 * 1024]
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
        target: if args.quick {
            Duration::from_millis(60)
        } else {
            Duration::from_millis(400)
        },
        samples: if args.quick { 1 } else { 3 },
    };

    let mut jobs = Vec::new();
    for &t in &transports {
        // Asked for by name, a pair that is not measured here is reported as skipped.
        for &f in flavours
            .iter()
            .filter(|f| args.flavours.is_some() || f.measures(t))
        {
            for &size in &sizes {
                jobs.push((t, f, size));
            }
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut err = io::stderr();
    // On a terminal, progress rewrites one line; elsewhere (a pipe, a log file) it is one
    // plain line per measurement, with no control codes.
    let (start, end) = if err.is_terminal() {
        ("\r\x1b[2K", "")
    } else {
        ("", "\n")
    };
    for (i, &(t, f, size)) in jobs.iter().enumerate() {
        let _ = write!(
            err,
            "{start}[{}/{}] {t} {f} {size} B{end}",
            i + 1,
            jobs.len()
        );
        let _ = err.flush();
        match bench::measure(t, f, &args.framing, size, &plan) {
            Ok(mut r) => rows.append(&mut r),
            Err(e) => skipped.push(format!("{t} {f} {size} B: {e}")),
        }
    }
    let _ = writeln!(err, "{start}{} measurements done", jobs.len());
    for s in &skipped {
        let _ = writeln!(err, "skipped: {s}");
    }

    if let Some(path) = &args.svg {
        bench::svg::draw(path, &rows, &transports)
            .map_err(|e| Failure::Runtime(format!("{}: {e}", path.display())))?;
    }
    let mut out = io::stdout().lock();
    let res = if args.json {
        print_json(&mut out, &rows)
    } else {
        print_table(&mut out, &rows, &transports, &flavours, &sizes)
    };
    res.and_then(|_| out.flush()).map_err(Failure::stdout)
}

fn print_json(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    writeln!(out, "[")?;
    for (i, r) in rows.iter().enumerate() {
        let comma = if i + 1 < rows.len() { "," } else { "" };
        writeln!(out, "  {}{comma}", r.to_json())?;
    }
    writeln!(out, "]")
}

fn find(rows: &[Row], t: Transport, f: Flavour, raw: bool, size: usize, m: Metric) -> Option<f64> {
    rows.iter()
        .find(|r| {
            r.transport == t
                && r.flavour == f.name()
                && (r.framing == "raw") == raw
                && r.size == size
                && r.metric == m
        })
        .map(|r| r.value)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    }
}

fn fmt_rate(v: Option<f64>, unit: f64) -> String {
    v.map_or("-".into(), |v| format!("{:.1}", v / unit))
}

fn print_table(
    out: &mut impl Write,
    rows: &[Row],
    transports: &[Transport],
    flavours: &[Flavour],
    sizes: &[usize],
) -> io::Result<()> {
    writeln!(
        out,
        "{:<12} {:<18} {:>8} {:>11} {:>11} {:>7} {:>11} {:>7} {:>7} {:>10} {:>10} {:>7}",
        "transport",
        "flavour",
        "size",
        "raw MB/s",
        "framed MB/s",
        "f/raw",
        "framed kf/s",
        "f/tcp",
        "f/blk",
        "rtt raw us",
        "rtt fr us",
        "rtt f/r"
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
                writeln!(
                    out,
                    "{:<12} {:<18} {:>8} {:>11} {:>11} {:>7} {:>11} {:>7} {:>7} {:>10} {:>10} {:>7}",
                    t.name(),
                    f.name(),
                    size,
                    fmt_rate(raw, 1e6),
                    fmt_rate(fr, 1e6),
                    ratio(fr, raw),
                    fmt_rate(frm, 1e3),
                    ratio(fr, tcp),
                    ratio(fr, blk),
                    fmt_rate(rr, 1e3),
                    fmt_rate(rf, 1e3),
                    ratio(rf, rr),
                )?;
            }
        }
    }
    writeln!(
        out,
        "\nf/raw: framed over raw throughput; f/tcp: framed over framed TCP loopback; f/blk: \
         framed over framed blocking; rtt f/r: framed over raw round trip. On seqpacket, \
         packetpipe and pipe-message, framed is message mode. Peers: tokio-util (LengthDelimitedCodec, \
         4-byte header) on tokio's transports, asynchronous-codec (LengthCodec, 8-byte header) \
         on smol's; their raw columns are tokio's and smol's. Ratios are from this run only."
    )
}
