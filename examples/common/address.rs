//! The examples' `ADDRESS` argument, in pipeframe's syntax:
//!
//! * `pipe:NAME`: a named pipe by .NET's name, `$TMPDIR/CoreFxPipe_NAME` (a Unix socket file)
//!   on Unix, `\\.\pipe\NAME` on Windows: where .NET's `NamedPipeServerStream("NAME")` listens
//!   on each;
//! * `unix:PATH` (Unix only): an explicit Unix socket file, which is what a named pipe is
//!   there; Windows has no such name for a pipe, so there it is refused with a message saying
//!   to use `pipe:NAME`;
//! * `tcp:HOST:PORT`.
#![allow(dead_code, unreachable_pub)]

use pipeframe::named::PipeName;

/// Where to listen or connect.
#[derive(Debug, Clone)]
pub enum Address {
    /// A named pipe (`pipe:NAME`, or on Unix `unix:PATH` for an explicit socket file).
    Pipe(PipeName),
    /// TCP `HOST:PORT`.
    Tcp(String),
}

impl Address {
    /// Parses `pipe:NAME`, `unix:PATH` (Unix only) or `tcp:HOST:PORT`.
    pub fn parse(s: &str) -> Result<Address, String> {
        let bad = || {
            format!(
                "invalid address {s:?}: expected pipe:NAME, tcp:HOST:PORT or (on Unix) unix:PATH"
            )
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(bad)?;
        match scheme {
            _ if rest.is_empty() => Err(bad()),
            "pipe" => PipeName::new(rest)
                .map(Address::Pipe)
                .map_err(|e| e.to_string()),
            #[cfg(unix)]
            "unix" => Ok(Address::Pipe(PipeName::from_path(rest))),
            #[cfg(not(unix))]
            "unix" => Err(format!(
                "invalid address {s:?}: unix:PATH names a Unix socket file and exists on Unix \
                 only; on Windows use pipe:NAME (the pipe \\\\.\\pipe\\NAME)"
            )),
            "tcp" => match rest.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Ok(Address::Tcp(rest.to_owned()))
                }
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }

    /// The first command-line argument, or a usage message and exit code 2.
    pub fn from_args(usage: &str) -> (Address, Vec<String>) {
        let mut args = std::env::args().skip(1);
        let Some(first) = args.next() else {
            eprintln!("usage: {usage}");
            std::process::exit(2);
        };
        match Address::parse(&first) {
            Ok(a) => (a, args.collect()),
            Err(e) => {
                eprintln!("{e}\nusage: {usage}");
                std::process::exit(2);
            }
        }
    }
}
