//! Endpoint addresses: `pipe:NAME`, `unix:PATH`, `abstract:NAME`, `seqpacket:PATH`,
//! `fifo:PATH`, `tcp:HOST:PORT`, `fd:N`, `-`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where to listen or connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    /// A named pipe: the socket path .NET uses on Unix.
    Pipe(String),
    /// A Unix stream socket at a path.
    Unix(PathBuf),
    /// A Linux abstract-namespace stream socket.
    Abstract(String),
    /// A SOCK_SEQPACKET socket at a path (native message mode).
    Seqpacket(PathBuf),
    /// A FIFO at a path.
    Fifo(PathBuf),
    /// TCP `host:port`.
    Tcp(String),
    /// An inherited descriptor.
    Fd(String),
    /// Standard input and output.
    Stdio,
}

impl Address {
    /// Whether every read and write on this endpoint is already one message.
    pub(crate) fn is_message(&self) -> bool {
        matches!(self, Address::Seqpacket(_))
    }
}

const EXPECTED: &str = "expected pipe:NAME, unix:PATH, abstract:NAME, seqpacket:PATH, fifo:PATH, tcp:HOST:PORT, fd:N or -";

impl FromStr for Address {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "-" {
            return Ok(Address::Stdio);
        }
        let bad = |why: &str| format!("invalid address {s:?}: {why}");
        let (scheme, rest) = s.split_once(':').ok_or_else(|| bad(EXPECTED))?;
        if rest.is_empty() {
            return Err(bad("nothing after the scheme"));
        }
        Ok(match scheme {
            "pipe" => Address::Pipe(rest.to_owned()),
            "unix" => Address::Unix(rest.into()),
            "abstract" => Address::Abstract(rest.to_owned()),
            "seqpacket" => Address::Seqpacket(rest.into()),
            "fifo" => Address::Fifo(rest.into()),
            "tcp" => {
                let (host, port) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| bad("expected tcp:HOST:PORT"))?;
                if host.is_empty() || port.parse::<u16>().is_err() {
                    return Err(bad("expected tcp:HOST:PORT with a port from 0 to 65535"));
                }
                Address::Tcp(rest.to_owned())
            }
            "fd" => {
                if rest.parse::<u32>().is_err() {
                    return Err(bad("expected fd:N with a decimal descriptor number"));
                }
                Address::Fd(rest.to_owned())
            }
            _ => return Err(bad(EXPECTED)),
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Pipe(n) => write!(f, "pipe:{n}"),
            Address::Unix(p) => write!(f, "unix:{}", p.display()),
            Address::Abstract(n) => write!(f, "abstract:{n}"),
            Address::Seqpacket(p) => write!(f, "seqpacket:{}", p.display()),
            Address::Fifo(p) => write!(f, "fifo:{}", p.display()),
            Address::Tcp(a) => write!(f, "tcp:{a}"),
            Address::Fd(n) => write!(f, "fd:{n}"),
            Address::Stdio => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme_and_rejects_junk() {
        for ok in [
            "pipe:x",
            "unix:/tmp/s",
            "abstract:a",
            "seqpacket:/tmp/q",
            "fifo:/tmp/f",
            "tcp:127.0.0.1:9",
            "tcp:[::1]:80",
            "fd:3",
            "-",
        ] {
            let a: Address = ok.parse().unwrap();
            assert_eq!(a.to_string(), ok);
        }
        for bad in ["x", "pipe:", "tcp:host", "tcp:h:99999", "fd:x", "udp:1"] {
            assert!(bad.parse::<Address>().is_err(), "{bad}");
        }
    }
}
