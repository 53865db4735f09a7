//! `pipeframe`: framed messages over any pipe, from a shell.
//!
//! Exit status: 0 on success, 1 on a runtime failure (connection refused or timed out, a
//! malformed stream, a peer that closed the connection inside a frame, a frame cut short by
//! our own close, an input line that could not be sent or encoded), 2 on a usage error (a bad
//! address, framing or option). A peer that closes at a frame boundary is a success, even
//! before it sent any frame (`connect` says so on stderr). Nothing is dropped without a word
//! on stderr.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pipeframe::codec::{Delimited, Framing};
use pipeframe::frame_io::Mode;

mod addr;
mod auth;
mod bench_cmd;
mod codec_cmds;
mod endpoint;
mod escape;
mod explain;
mod lines;
mod names;
mod session;
mod watch;

use addr::Address;
use escape::Escape;

/// Send and receive framed messages from a shell: one line of input is one frame, one frame
/// received is one line of output, over named pipes, Unix sockets, FIFOs, TCP and inherited
/// pipe ends, in the framing a peer speaks (length prefixes, lines, LSP headers, native pipe
/// messages, ...).
#[derive(Debug, Parser)]
#[command(
    name = "pipeframe",
    version,
    about = "Send and receive framed messages over pipes, sockets and TCP, from a shell",
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create the endpoint, accept clients concurrently, print every frame received.
    Listen(session::ListenArgs),
    /// Connect, send each stdin line as a frame, print every frame received.
    Connect(session::ConnectArgs),
    /// Lines of FILE (or stdin) to a framed byte stream on stdout.
    Encode(EncodeArgs),
    /// A framed byte stream in FILE (or on stdin) to one frame per line on stdout.
    Dump(DumpArgs),
    /// Framed throughput and round trips over every transport, next to the raw transport.
    Bench(bench_cmd::BenchArgs),
}

/// How frames are delimited on the wire.
#[derive(Debug, Clone, Args)]
pub(crate) struct FramingOpts {
    #[arg(
        long,
        value_name = "F",
        value_parser = parse_mode,
        help = "How frames are marked (default: lines): lp32le, lines, lsp, message, ... \
                (--help lists every name and what it means)",
        long_help = names::endpoint_help()
    )]
    pub(crate) framing: Option<Mode>,
    /// Maximum frame payload in bytes (default 8 MiB); suffixes k, m, g allowed.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub(crate) max_frame: Option<usize>,
}

/// How a byte stream on a file or stdin is framed (`encode`, `dump`).
#[derive(Debug, Clone, Args)]
pub(crate) struct StreamOpts {
    #[arg(
        long,
        value_name = "F",
        value_parser = parse_mode,
        help = "How frames are marked (default: lines): lp32le, lines, lsp, ... (--help lists \
                every name and what it means)",
        long_help = names::stream_help()
    )]
    pub(crate) framing: Option<Mode>,
    /// Maximum frame payload in bytes (default 8 MiB); suffixes k, m, g allowed.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub(crate) max_frame: Option<usize>,
}

impl StreamOpts {
    pub(crate) fn framing(&self) -> FramingOpts {
        FramingOpts {
            framing: self.framing.clone(),
            max_frame: self.max_frame,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct EncodeArgs {
    #[command(flatten)]
    pub(crate) framing: StreamOpts,
    /// The lines to encode (default: stdin; `-` is stdin too).
    #[arg(value_name = "FILE")]
    pub(crate) input: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DumpArgs {
    #[command(flatten)]
    pub(crate) framing: StreamOpts,
    /// The framed stream to read (default: stdin; `-` is stdin too).
    #[arg(value_name = "FILE")]
    pub(crate) input: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputOpts,
}

/// How received frames are printed (`listen`, `connect`, `dump`): one frame a line, escaped so
/// that a frame cannot break the line or send control codes to the terminal.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutputOpts {
    /// Print every byte outside printable ASCII (and '\') as \xNN. By default only control
    /// bytes (a newline inside a frame, an escape sequence, ...), '\' and bytes that are not
    /// UTF-8 are escaped, so each output line is exactly one frame and safe for a terminal.
    #[arg(long, conflicts_with = "raw")]
    pub(crate) escape: bool,
    /// Print frames as they are, unescaped (a frame holding a newline then looks like two).
    #[arg(long)]
    pub(crate) raw: bool,
}

impl OutputOpts {
    pub(crate) fn escape(&self) -> Escape {
        match (self.raw, self.escape) {
            (true, _) => Escape::Raw,
            (false, true) => Escape::All,
            (false, false) => Escape::Text,
        }
    }
}

impl FramingOpts {
    /// The framing asked for; `lines` if none was.
    fn mode(&self) -> Mode {
        self.framing
            .clone()
            .unwrap_or(Mode::Codec(Framing::Delimited(Delimited::lines())))
    }

    /// The byte codec, with `--max-frame` applied; an error for `message` on a byte stream.
    pub(crate) fn codec(&self, on: &str) -> Result<Framing, String> {
        match self.mode() {
            Mode::Codec(f) => Ok(match self.max_frame {
                Some(max) => f.with_max_frame_len(max),
                None => f,
            }),
            Mode::Message => Err(format!(
                "framing 'message' needs a message transport ({}), not {on}",
                if cfg!(windows) {
                    "pipe:NAME, a message-mode named pipe"
                } else {
                    "seqpacket:PATH"
                }
            )),
        }
    }

    /// The framing for an endpoint: a byte codec (with `--max-frame`) on byte streams,
    /// messages on message transports (the default there; `--max-frame` then applies to the
    /// socket); the other combinations are usage errors, refused before anything opens.
    pub(crate) fn framer(&self, addr: &Address) -> Result<Mode, Failure> {
        // A Windows named pipe is in message mode when asked for (`PIPE_TYPE_MESSAGE`).
        if addr.takes_message() && !addr.is_message() && self.framing == Some(Mode::Message) {
            return Ok(Mode::Message);
        }
        if addr.is_message() {
            return match &self.framing {
                None | Some(Mode::Message) => Ok(Mode::Message),
                Some(Mode::Codec(f)) => Err(Failure::Usage(format!(
                    "framing '{f}' does not apply to {addr}: a message transport keeps message \
                     boundaries itself (use --framing message)"
                ))),
            };
        }
        self.codec(&addr.to_string())
            .map(Mode::Codec)
            .map_err(Failure::Usage)
    }
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse::<Mode>().map_err(|e| e.to_string())
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
        Cmd::Listen(args) => session::listen(&args),
        Cmd::Connect(args) => session::connect(&args),
        Cmd::Encode(args) => codec_cmds::encode(&args),
        Cmd::Dump(args) => codec_cmds::dump(&args),
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
