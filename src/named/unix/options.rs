use std::io;

use super::{Listener, PipeName};

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
#[derive(Debug, Clone)]
pub struct ListenOptions {
    pub(crate) mode: u32,
    pub(crate) current_user_only: bool,
    pub(crate) reclaim_stale: bool,
    pub(crate) backlog: u32,
}

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
