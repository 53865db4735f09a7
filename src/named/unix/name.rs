use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::SocketPathTooLong;
use crate::sys::unix::socket::Addr;

/// The prefix .NET puts before a pipe name to make the socket file name on Unix.
pub const DOTNET_PREFIX: &str = "CoreFxPipe_";

/// The name of a pipe endpoint: what a server binds and a client connects to.
///
/// | constructor | endpoint on Unix | meets |
/// | --- | --- | --- |
/// | [`PipeName::new("NAME")`](PipeName::new) | `$TMPDIR/CoreFxPipe_NAME` (`/tmp/...` without `TMPDIR`) | .NET `NamedPipeServerStream("NAME")` / `NamedPipeClientStream("NAME")` |
/// | [`PipeName::from_path`] | that socket file | any Unix socket peer (Python, Node `net`, socat) |
/// | [`PipeName::abstract_name`] | `@name` in Linux's abstract namespace (no file) | Linux peers using the same abstract name |
///
/// The .NET rule is copied exactly, so a pipeframe server and a .NET client (or the
/// reverse) meet by name: a name that is an absolute path is used as it is; otherwise the
/// name must not contain `/` or NUL, must not be empty, and `anonymous` is reserved. The
/// temp directory is read when the name is used (bound or connected), as .NET reads it
/// when the pipe is created.
///
/// [`FromStr`] reads the forms a command line gives: `@name` is abstract, anything with a
/// `/` is a path, anything else a .NET name.
///
/// ```
/// use pipeframe::named::PipeName;
///
/// let name = PipeName::new("testpipe")?;
/// let tmp = std::env::var("TMPDIR").ok().filter(|t| !t.is_empty()).unwrap_or("/tmp".into());
/// let expected = format!("{}/CoreFxPipe_testpipe", tmp.trim_end_matches('/'));
/// assert_eq!(name.socket_path().unwrap().to_str(), Some(expected.as_str()));
///
/// let explicit: PipeName = "./app.sock".parse()?;
/// assert_eq!(explicit.socket_path().unwrap(), std::path::Path::new("./app.sock"));
/// assert!(PipeName::new("a/b").is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PipeName {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    DotNet(String),
    Path(PathBuf),
    Abstract(Vec<u8>),
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl PipeName {
    /// A pipe name as .NET's `NamedPipeServerStream(name)` takes it (see the type docs).
    pub fn new(name: &str) -> io::Result<PipeName> {
        if name.is_empty() {
            return Err(invalid("pipe name is empty".into()));
        }
        if name.contains('\0') {
            return Err(invalid(format!("pipe name {name:?} contains a nul byte")));
        }
        if name.eq_ignore_ascii_case("anonymous") {
            return Err(invalid(format!(
                "pipe name {name:?} is reserved (.NET uses it for anonymous pipes)"
            )));
        }
        if name.starts_with('/') {
            if name.ends_with('/') {
                return Err(invalid(format!("pipe name {name:?} ends with '/'")));
            }
            return Ok(PipeName::from_path(name));
        }
        if name.contains('/') {
            return Err(invalid(format!(
                "pipe name {name:?} contains '/': use an absolute path or PipeName::from_path"
            )));
        }
        Ok(PipeName {
            kind: Kind::DotNet(name.to_owned()),
        })
    }

    /// An explicit socket file path.
    pub fn from_path(path: impl Into<PathBuf>) -> PipeName {
        PipeName {
            kind: Kind::Path(path.into()),
        }
    }

    /// A name in Linux's abstract socket namespace (no file; removed with the last socket; no
    /// file mode applies, so use [`current_user_only`](super::ListenOptions::current_user_only)
    /// for access control). Binding or connecting fails with
    /// [`io::ErrorKind::Unsupported`] on other systems.
    pub fn abstract_name(name: impl AsRef<[u8]>) -> io::Result<PipeName> {
        let name = name.as_ref();
        if name.len() > crate::sys::unix::socket::MAX_PATH {
            return Err(invalid(format!(
                "abstract socket name is {} bytes; the limit is {}",
                name.len(),
                crate::sys::unix::socket::MAX_PATH
            )));
        }
        Ok(PipeName {
            kind: Kind::Abstract(name.to_vec()),
        })
    }

    /// The socket file this name stands for now (`None` for an abstract name). For a .NET
    /// name this reads `TMPDIR`.
    pub fn socket_path(&self) -> Option<PathBuf> {
        match &self.kind {
            Kind::DotNet(name) => Some(dotnet_path(name)),
            Kind::Path(p) => Some(p.clone()),
            Kind::Abstract(_) => None,
        }
    }

    /// Checks that the socket path this name stands for now fits `sockaddr_un` (107 bytes on
    /// Linux, 103 on macOS and the BSDs): binding and connecting check it too, and fail with
    /// the same [`SocketPathTooLong`](super::SocketPathTooLong) error, which for a .NET name
    /// names the fixes (a shorter name, a shorter `TMPDIR`).
    pub fn check(&self) -> io::Result<()> {
        Ok(self.fits()?)
    }

    /// [`check`](Self::check) with the typed error.
    pub(crate) fn fits(&self) -> Result<(), SocketPathTooLong> {
        match &self.kind {
            Kind::DotNet(name) => SocketPathTooLong::check(&dotnet_path(name), Some(name)),
            Kind::Path(p) => SocketPathTooLong::check(p, None),
            Kind::Abstract(_) => Ok(()),
        }
    }

    /// Whether this is an abstract-namespace name.
    pub fn is_abstract(&self) -> bool {
        matches!(self.kind, Kind::Abstract(_))
    }

    pub(crate) fn addr(&self) -> Addr {
        match &self.kind {
            Kind::Abstract(n) => Addr::Abstract(n.clone()),
            _ => Addr::Path(self.socket_path().unwrap_or_default()),
        }
    }
}

/// .NET's `GetPipePath`: `Path.GetTempPath()` (`$TMPDIR` with a trailing `/`, else `/tmp/`)
/// followed by `CoreFxPipe_` and the name.
fn dotnet_path(name: &str) -> PathBuf {
    let mut tmp: OsString = match std::env::var_os("TMPDIR") {
        Some(t) if !t.is_empty() => t,
        _ => "/tmp/".into(),
    };
    if !tmp.as_encoded_bytes().ends_with(b"/") {
        tmp.push("/");
    }
    tmp.push(DOTNET_PREFIX);
    tmp.push(name);
    PathBuf::from(tmp)
}

impl fmt::Display for PipeName {
    /// The endpoint: the socket path, or `@name` for an abstract name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.addr(), f)
    }
}

impl FromStr for PipeName {
    type Err = io::Error;

    /// `@name`: abstract; contains `/`: a path; otherwise a .NET name.
    fn from_str(s: &str) -> io::Result<PipeName> {
        if let Some(rest) = s.strip_prefix('@') {
            PipeName::abstract_name(rest)
        } else if s.contains('/') {
            Ok(PipeName::from_path(s))
        } else {
            PipeName::new(s)
        }
    }
}

impl From<&Path> for PipeName {
    fn from(p: &Path) -> PipeName {
        PipeName::from_path(p)
    }
}

impl From<PathBuf> for PipeName {
    fn from(p: PathBuf) -> PipeName {
        PipeName::from_path(p)
    }
}
