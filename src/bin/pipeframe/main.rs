//! `pipeframe`: framed messages over any pipe, from a shell.
//!
//! Exit status: 0 on success, 1 on a runtime failure (connection refused or timed out, a
//! malformed stream), 2 on a usage error (a bad address, framing or option).

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pipeframe::codec::Framing;

mod bench_cmd;
mod codec_cmds;
mod escape;

/// Framed messages over any pipe: named pipes, Unix sockets, FIFOs, TCP, inherited descriptors.
#[derive(Debug, Parser)]
#[command(name = "pipeframe", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Stdin lines to a framed byte stream on stdout.
    Encode(FramingOpts),
    /// A framed byte stream on stdin to one frame per line on stdout.
    Dump(DumpArgs),
    /// Framed throughput and round trips over every transport, next to the raw transport.
    Bench(bench_cmd::BenchArgs),
}

/// How frames are delimited on the wire.
#[derive(Debug, Clone, Args)]
pub(crate) struct FramingOpts {
    /// lp8, lp16be, lp16le, lp32be, lp32le, lp64be, lp64le, varint, lines, crlf, nul, lsp,
    /// netstring, message; aliases: dotnet, python, erlang, node.
    #[arg(long, value_name = "F", default_value = "lines", value_parser = parse_mode)]
    pub(crate) framing: Mode,
    /// Maximum frame payload in bytes (default 8 MiB); suffixes k, m, g allowed.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub(crate) max_frame: Option<usize>,
}

#[derive(Debug, Args)]
struct DumpArgs {
    #[command(flatten)]
    framing: FramingOpts,
    /// Print non-printable bytes (and '\') as \xNN.
    #[arg(long)]
    escape: bool,
}

/// A framing choice: a byte codec, or native message mode.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    Codec(Framing),
    Message,
}

impl FramingOpts {
    /// The byte codec, with `--max-frame` applied; an error for `message` on a byte stream.
    pub(crate) fn codec(&self, on: &str) -> Result<Framing, String> {
        match &self.framing {
            Mode::Codec(f) => Ok(match self.max_frame {
                Some(max) => f.clone().max_frame_len(max),
                None => f.clone(),
            }),
            Mode::Message => Err(format!(
                "framing 'message' needs a message transport (seqpacket:PATH), not {on}"
            )),
        }
    }
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    if s == "message" {
        return Ok(Mode::Message);
    }
    s.parse::<Framing>()
        .map(Mode::Codec)
        .map_err(|e| e.to_string())
}

/// Parses `4096`, `64k`, `1m`, `1g` (binary multiples).
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase();
    let (digits, mult) = match t.as_bytes().last() {
        Some(b'k') => (&t[..t.len() - 1], 1usize << 10),
        Some(b'm') => (&t[..t.len() - 1], 1 << 20),
        Some(b'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (&t[..], 1),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| {
            format!("invalid size {s:?}: expected a number of bytes like 4096, 64k or 1m")
        })
}

/// A failure that ends the program: a message for stderr and an exit status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Exit 2: the command line asked for something impossible.
    Usage(String),
    /// Exit 1: something failed while running.
    Runtime(String),
    /// Exit 0 without a word: stdout was closed under us (e.g. `| head`).
    Quiet,
}

impl Failure {
    /// Maps an I/O error on stdout: a closed pipe ends the program quietly.
    pub(crate) fn stdout(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Quiet
        } else {
            Failure::Runtime(format!("writing to stdout: {e}"))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.cmd {
        Cmd::Encode(opts) => codec_cmds::encode(&opts),
        Cmd::Dump(args) => codec_cmds::dump(&args.framing, args.escape),
        Cmd::Bench(args) => bench_cmd::run(&args),
    };
    match res {
        Ok(()) | Err(Failure::Quiet) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            let _ = writeln!(io::stderr(), "pipeframe: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(msg)) => {
            let _ = writeln!(io::stderr(), "pipeframe: {msg}");
            ExitCode::from(1)
        }
    }
}
