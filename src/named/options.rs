use std::io;
use std::time::Duration;

use super::{PipeName, PipeStream};

/// How a client connects. Defaults: no waiting (a missing server is an error at once), any
/// server accepted (on Windows: byte read mode).
///
/// ```no_run
/// use pipeframe::named::{ConnectOptions, PipeName};
/// use std::time::Duration;
///
/// // Start before the server: wait up to 5 s for it to appear.
/// let stream = ConnectOptions::new()
///     .timeout(Duration::from_secs(5))
///     .connect(&PipeName::new("svc")?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) current_user_only: bool,
    #[cfg(windows)]
    pub(crate) message: bool,
}

impl ConnectOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wait up to `timeout` for a server that is not up yet (Unix: no socket file, nobody
    /// listening, or a full backlog, retried every 1 to 50 ms; Windows: no pipe of that name,
    /// or every instance busy). When it runs out the error is [`io::ErrorKind::TimedOut`] and
    /// names the endpoint.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Like .NET's `PipeOptions.CurrentUserOnly` on a client: refuse a server run by another
    /// user ([`io::ErrorKind::PermissionDenied`]). Unix: a server whose effective uid is not
    /// ours; Windows: a pipe the current user does not own, refused before any byte is sent.
    pub fn current_user_only(mut self, yes: bool) -> Self {
        self.current_user_only = yes;
        self
    }

    /// Switches the client end to message read mode (`PIPE_READMODE_MESSAGE`); the server must
    /// be in message mode ([`ListenOptions::message`](super::ListenOptions::message)).
    #[cfg(windows)]
    pub fn message(mut self, yes: bool) -> Self {
        self.message = yes;
        self
    }

    /// Connects a blocking [`PipeStream`].
    pub fn connect(&self, name: &PipeName) -> io::Result<PipeStream> {
        super::connect_with(name, self)
    }
}
