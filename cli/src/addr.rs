//! Endpoint addresses: `pipe:NAME`, `unix:PATH`, `abstract:NAME`, `seqpacket:PATH`,
//! `fifo:PATH`, `tcp:HOST:PORT`, `fd:N` (Unix), `handle:N` (Windows), `-`.
//!
//! Parsing is the same code on every OS ([`Address::parse_for`] takes the OS), so the Unix
//! unit tests check the Windows error texts too: a scheme the running OS does not have is a
//! usage error that says which OS family has it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where to listen or connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    /// A named pipe: the socket path .NET uses on Unix, `\\.\pipe\NAME` on Windows.
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
    /// An inherited descriptor (Unix).
    Fd(String),
    /// An inherited handle, by its decimal value (Windows).
    Handle(String),
    /// Standard input and output.
    Stdio,
}

/// The OS family an address is parsed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Os {
    Unix,
    Windows,
}

impl Os {
    /// The OS family this program runs on.
    pub(crate) const HERE: Os = if cfg!(windows) { Os::Windows } else { Os::Unix };

    /// The addresses that exist on this OS family, for help and error texts.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Os::Unix => {
                "pipe:NAME, unix:PATH, abstract:NAME, seqpacket:PATH, fifo:PATH, tcp:HOST:PORT, fd:N or -"
            }
            Os::Windows => "pipe:NAME, tcp:HOST:PORT, handle:N or -",
        }
    }
}

impl Address {
    /// Whether every read and write on this endpoint is already one message, whatever the
    /// framing asked for (a seqpacket socket). A Windows `pipe:` is in message mode only when
    /// `--framing message` asks for it.
    pub(crate) fn is_message(&self) -> bool {
        matches!(self, Address::Seqpacket(_))
    }

    /// Whether `--framing message` applies to this address on this OS: a message transport,
    /// or a Windows named pipe (created in message mode, `PIPE_TYPE_MESSAGE`).
    pub(crate) fn takes_message(&self) -> bool {
        self.is_message() || (Os::HERE == Os::Windows && matches!(self, Address::Pipe(_)))
    }

    /// Parses `s` as an address for `os`: an address of the other OS family is an error
    /// saying so.
    pub(crate) fn parse_for(s: &str, os: Os) -> Result<Address, String> {
        if s == "-" {
            return Ok(Address::Stdio);
        }
        let bad = |why: &str| format!("invalid address {s:?}: {why}");
        let Some((scheme, rest)) = s
            .split_once(':')
            .filter(|(scheme, _)| os == Os::Unix || scheme.len() > 1)
        else {
            // No scheme (on Windows a drive letter is none either): say which one it needs.
            return Err(bad(&format!(
                "{}; {}",
                Address::guess(s, os),
                os.expected()
            )));
        };
        let only = |family: &str, what: &str| {
            format!(
                "invalid address {s:?}: the {scheme}: scheme ({what}) is {family}-only; on \
                 this system use {}",
                os.expected()
            )
        };
        match (scheme, os) {
            ("unix", Os::Windows) => return Err(only("Unix", "Unix domain sockets")),
            ("abstract", Os::Windows) => return Err(only("Unix", "Linux abstract sockets")),
            ("seqpacket", Os::Windows) => return Err(only("Unix", "seqpacket sockets")),
            ("fifo", Os::Windows) => return Err(only("Unix", "FIFOs")),
            ("fd", Os::Windows) => return Err(only("Unix", "an inherited descriptor")),
            ("handle", Os::Unix) => return Err(only("Windows", "an inherited handle")),
            _ => {}
        }
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
            "handle" => {
                if rest.parse::<u64>().is_err() {
                    return Err(bad(
                        "expected handle:N with a decimal handle value (what .NET's \
                         GetClientHandleAsString() gives)",
                    ));
                }
                Address::Handle(rest.to_owned())
            }
            _ => return Err(bad(os.expected())),
        })
    }
}

impl Address {
    /// What an address without a scheme most likely meant, as a suggestion.
    fn guess(s: &str, os: Os) -> String {
        let pipe_prefix = r"\\.\pipe\";
        match os {
            Os::Windows
                if s.len() > pipe_prefix.len()
                    && s[..pipe_prefix.len()].eq_ignore_ascii_case(pipe_prefix) =>
            {
                format!("a named pipe is pipe:{}", &s[pipe_prefix.len()..])
            }
            Os::Unix if s.contains('/') => format!(
                "a path needs a scheme: unix:{s} for a socket (fifo:{s} for a FIFO, \
                 seqpacket:{s} for a seqpacket socket)"
            ),
            _ if !s.is_empty() && !s.contains(['/', '\\', ':']) => {
                format!("for a named pipe, write pipe:{s}")
            }
            _ => "expected a scheme".to_string(),
        }
    }
}

impl FromStr for Address {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Address::parse_for(s, Os::HERE)
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
            Address::Handle(n) => write!(f, "handle:{n}"),
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
            let a = Address::parse_for(ok, Os::Unix).unwrap();
            assert_eq!(a.to_string(), ok);
        }
        for ok in ["pipe:x", "tcp:127.0.0.1:9", "handle:1234", "-"] {
            let a = Address::parse_for(ok, Os::Windows).unwrap();
            assert_eq!(a.to_string(), ok);
        }
        for bad in ["x", "pipe:", "tcp:host", "tcp:h:99999", "fd:x", "udp:1"] {
            assert!(Address::parse_for(bad, Os::Unix).is_err(), "{bad}");
        }
        for bad in ["x", "pipe:", "tcp:host", "handle:x", "handle:", "handle:-1"] {
            assert!(Address::parse_for(bad, Os::Windows).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_address_without_a_scheme_gets_a_suggestion() {
        let e = Address::parse_for("/tmp/x.sock", Os::Unix).unwrap_err();
        assert!(e.contains("unix:/tmp/x.sock"), "{e}");
        let e = Address::parse_for("demo", Os::Unix).unwrap_err();
        assert!(e.contains("pipe:demo"), "{e}");
        let e = Address::parse_for(r"\\.\pipe\demo", Os::Windows).unwrap_err();
        assert!(e.contains("pipe:demo"), "{e}");
        let e = Address::parse_for(r"C:\x", Os::Windows).unwrap_err();
        assert!(e.contains("handle:N"), "{e}");
    }

    #[test]
    fn schemes_of_the_other_os_family_say_which_family_has_them() {
        for (addr, what) in [
            ("unix:/tmp/s", "Unix domain sockets"),
            ("abstract:a", "abstract"),
            ("seqpacket:/tmp/q", "seqpacket"),
            ("fifo:/tmp/f", "FIFO"),
            ("fd:3", "inherited descriptor"),
            // Even without anything after the scheme, the scheme is what is wrong.
            ("unix:", "Unix domain sockets"),
        ] {
            let e = Address::parse_for(addr, Os::Windows).unwrap_err();
            assert!(e.contains("is Unix-only"), "{addr}: {e}");
            assert!(e.contains(what), "{addr}: {e}");
            assert!(e.contains("pipe:NAME, tcp:HOST:PORT, handle:N or -"), "{e}");
        }
        let e = Address::parse_for("handle:1234", Os::Unix).unwrap_err();
        assert!(e.contains("is Windows-only"), "{e}");
        assert!(e.contains("fd:N"), "{e}");
        let e = Address::parse_for("udp:1", Os::Windows).unwrap_err();
        assert!(!e.contains("unix:PATH"), "{e}");
        assert!(e.contains("handle:N"), "{e}");
    }
}
