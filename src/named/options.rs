use std::io;
use std::time::Duration;

#[cfg(unix)]
use super::Listener;
use super::{PipeName, PipeStream};

/// How a server binds its name. Defaults: mode `0o600` (owner only), any peer uid admitted,
/// stale socket files reclaimed, backlog 1024.
///
/// ```no_run
/// use pipeframe::named::{ListenOptions, PipeName};
///
/// let listener = ListenOptions::new()
///     .mode(0o660)
///     .current_user_only(true)
///     .bind(&PipeName::new("svc")?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(unix)]
#[derive(Debug, Clone)]
pub struct ListenOptions {
    pub(crate) mode: u32,
    pub(crate) current_user_only: bool,
    pub(crate) reclaim_stale: bool,
    pub(crate) backlog: u32,
}

#[cfg(unix)]
impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            mode: 0o600,
            current_user_only: false,
            reclaim_stale: true,
            backlog: 1024,
        }
    }
}

#[cfg(unix)]
impl ListenOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Permission bits of the socket file (`0o600` by default; connecting needs write
    /// permission). The file never has more bits than these, not even for an instant: they are
    /// set on the socket before it is bound. Only the `0o777` bits are allowed.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Like .NET's `PipeOptions.CurrentUserOnly`: accepted peers whose effective uid is not
    /// this process's are closed at once and never returned by `accept` (they are counted in
    /// [`Listener::rejected`]).
    pub fn current_user_only(mut self, yes: bool) -> Self {
        self.current_user_only = yes;
        self
    }

    /// Whether a socket file left by a crashed server (nobody accepts on it) is removed and
    /// bound again (default on). A live server's name is never taken over.
    pub fn reclaim_stale(mut self, yes: bool) -> Self {
        self.reclaim_stale = yes;
        self
    }

    /// The `listen` backlog (the kernel caps it at `net.core.somaxconn`).
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    pub(crate) fn check(&self) -> io::Result<()> {
        if self.mode & !0o777 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("socket mode {:o} has bits outside 0o777", self.mode),
            ));
        }
        Ok(())
    }

    /// Binds a blocking [`Listener`].
    pub fn bind(&self, name: &PipeName) -> io::Result<Listener> {
        Listener::bind_with(name, self)
    }
}

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
