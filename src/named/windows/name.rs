use std::fmt;
use std::io;
use std::str::FromStr;

use crate::sys::windows::name;

/// The name of a named pipe. [`PipeName::new`] maps a bare `NAME` to `\\.\pipe\NAME`, where
/// .NET's `NamedPipeServerStream("NAME")` listens; a full `\\.\pipe\...` path is kept as it
/// is.
///
/// A name the system would refuse is refused here, with an error naming the rule: empty, a
/// NUL, a backslash in a bare name, the reserved name `anonymous`, or a path over 256
/// characters.
///
/// ```
/// use pipeframe::named::PipeName;
///
/// assert_eq!(PipeName::new("svc")?.pipe_path(), r"\\.\pipe\svc");
/// assert_eq!(PipeName::new(r"\\.\pipe\a\b")?.pipe_path(), r"\\.\pipe\a\b");
/// assert!(PipeName::new("").is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PipeName {
    path: String,
}

impl PipeName {
    /// `NAME` -> `\\.\pipe\NAME` (a full pipe path is kept).
    pub fn new(name: &str) -> io::Result<PipeName> {
        Ok(PipeName {
            path: name::pipe_path(name)?,
        })
    }

    /// The pipe path, `\\.\pipe\NAME`.
    pub fn pipe_path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for PipeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

impl FromStr for PipeName {
    type Err = io::Error;
    fn from_str(s: &str) -> io::Result<PipeName> {
        PipeName::new(s)
    }
}
