//! The one limit of a Unix named pipe that .NET users run into most: the socket path must fit
//! `sockaddr_un.sun_path`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::sys::unix::socket::MAX_PATH;

/// `sun_path`'s size on this system: 108 bytes on Linux, 104 on macOS and the BSDs. A path
/// takes one byte less (the terminating NUL).
const SUN_PATH: usize = MAX_PATH + 1;

/// A pipe name whose socket path does not fit in `sockaddr_un.sun_path`: binding or
/// connecting it fails with this inside an [`io::ErrorKind::InvalidInput`] error, before any
/// socket is made. For a .NET name (`$TMPDIR/CoreFxPipe_NAME`) the message names both fixes:
/// a shorter name, or a shorter `TMPDIR`, which .NET reads too, so a pipeframe end and a .NET
/// end still meet.
///
/// ```
/// # #[cfg(unix)] {
/// use pipeframe::named::{Listener, PipeName, SocketPathTooLong};
///
/// let name = PipeName::from_path(format!("/tmp/{}", "x".repeat(200)));
/// let err = Listener::bind(&name).unwrap_err();
/// let too_long = SocketPathTooLong::from_io(&err).unwrap();
/// assert_eq!(too_long.len(), 205);
/// assert!(err.to_string().contains("use a shorter path"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketPathTooLong {
    path: PathBuf,
    dotnet_name: Option<String>,
}

impl SocketPathTooLong {
    /// `Err` when `path` (made from `dotnet_name`, for a .NET name) is too long.
    pub(crate) fn check(path: &Path, dotnet_name: Option<&str>) -> Result<(), SocketPathTooLong> {
        if path.as_os_str().len() <= MAX_PATH {
            return Ok(());
        }
        Err(SocketPathTooLong {
            path: path.to_owned(),
            dotnet_name: dotnet_name.map(str::to_owned),
        })
    }

    /// The socket path that does not fit.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.path.as_os_str().len()
    }

    /// Always `false`: a path that does not fit is never empty (for clippy's `len` rule).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The longest socket path this system takes, in bytes: 107 on Linux, 103 on macOS and
    /// the BSDs (`sun_path` less its NUL).
    pub fn max(&self) -> usize {
        MAX_PATH
    }

    /// The `SocketPathTooLong` inside `e`, if it holds one.
    pub fn from_io(e: &io::Error) -> Option<&SocketPathTooLong> {
        e.get_ref()
            .and_then(|e| e.downcast_ref::<SocketPathTooLong>())
    }
}

impl fmt::Display for SocketPathTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (len, over) = (self.len(), self.len() - MAX_PATH);
        let bytes = if over == 1 { "byte" } else { "bytes" };
        let limit = format!(
            "a unix socket path holds at most {MAX_PATH} bytes here (sun_path is {SUN_PATH} \
             bytes with its NUL; 108 on Linux, 104 on macOS and the BSDs)"
        );
        match &self.dotnet_name {
            Some(name) => {
                let dir = self
                    .path
                    .parent()
                    .map_or_else(String::new, |d| d.display().to_string());
                write!(
                    f,
                    "pipe name {name:?} makes the socket path {}, {len} bytes; {limit}: use a \
                     pipe name at least {over} {bytes} shorter, or a shorter TMPDIR (now {dir}; \
                     .NET puts its pipes in TMPDIR too, so both ends still meet)",
                    self.path.display()
                )
            }
            None => write!(
                f,
                "socket path {} is {len} bytes; {limit}: use a shorter path (at least {over} \
                 {bytes} shorter)",
                self.path.display()
            ),
        }
    }
}

impl std::error::Error for SocketPathTooLong {}

impl From<SocketPathTooLong> for io::Error {
    fn from(e: SocketPathTooLong) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}
