use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sys::windows::server;

use super::{ListenOptions, PeerCredentials, PipeName, PipeStream};

/// What every flavour's listener shares: the name, the mode, the peer policy and the count
/// of refused peers.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) name: PipeName,
    pub(crate) message: bool,
    current_user_only: bool,
    rejected: AtomicU64,
}

impl Bound {
    pub(crate) fn new(name: &PipeName, opts: &ListenOptions) -> Bound {
        Bound {
            name: name.clone(),
            message: opts.opts.message,
            current_user_only: opts.current_user_only,
            rejected: AtomicU64::new(0),
        }
    }

    /// Whether the policy admits the client of the connected instance `pipe` (`false`: the
    /// caller drops it, which disconnects it). A client whose identity cannot be read (it
    /// left already) is not admitted either.
    pub(crate) fn admit(&self, h: &std::os::windows::io::OwnedHandle) -> bool {
        if !self.current_user_only {
            return true;
        }
        let ok = PeerCredentials::of(h, self.name.pipe_path(), true)
            .and_then(|p| p.is_current_user())
            .unwrap_or(false);
        if !ok {
            self.rejected.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    pub(crate) fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// The accessors every flavour's listener has, read from its `bound: Bound` field.
macro_rules! bound_accessors {
    () => {
        /// The name this listener was bound to.
        pub fn name(&self) -> &PipeName {
            &self.bound.name
        }

        /// How many clients [`current_user_only`](super::ListenOptions::current_user_only)
        /// refused.
        pub fn rejected(&self) -> u64 {
            self.bound.rejected()
        }
    };
}
// Used by the async listener, which the tokio and futures-io features build.
#[cfg_attr(
    not(any(feature = "tokio", feature = "futures-io")),
    allow(unused_imports)
)]
pub(crate) use bound_accessors;

/// A blocking named pipe server: always one instance waiting, the next created before a
/// connected one is handed out, so clients never find the name gone or every instance busy.
///
/// ```no_run
/// use pipeframe::codec::Delimited;
/// use pipeframe::named::{Listener, PipeName};
///
/// let listener = Listener::bind(&PipeName::new("echo")?)?;
/// listener.serve(|stream| {
///     let mut frames = stream.framed(Delimited::lines())?;
///     while let Some(line) = frames.read_frame()? {
///         frames.write_frame(&line)?;
///     }
///     frames.flush()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Listener {
    server: Mutex<server::Server>,
    bound: Bound,
}

impl Listener {
    /// Binds `name` with the default [`ListenOptions`].
    pub fn bind(name: &PipeName) -> io::Result<Listener> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Listener> {
        let mut o = opts.opts.clone();
        // Overlapped handles, so one thread can read while another writes on the same
        // connection (synchronous pipe I/O on one handle is serialized by the system).
        o.overlapped = true;
        Ok(Listener {
            server: Mutex::new(server::Server::bind(name.pipe_path(), o)?),
            bound: Bound::new(name, opts),
        })
    }

    /// Waits for the next client. A client that connected and left before it was accepted,
    /// or that [`current_user_only`](ListenOptions::current_user_only) refuses, is skipped.
    pub fn accept(&self) -> io::Result<PipeStream> {
        let mut s = self.server.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let p = s.accept()?;
            if self.bound.admit(p.handle()) {
                return Ok(PipeStream::new(p, self.bound.message, true));
            }
        }
    }

    /// An endless iterator of accepted clients.
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<PipeStream>> + '_ {
        std::iter::repeat_with(|| self.accept())
    }

    /// The accept loop: runs `handler` on its own thread for every client, forever. An error
    /// from a handler ends that client only. Returns only when `accept` fails for a reason
    /// that is not about one connection.
    pub fn serve<F>(&self, handler: F) -> io::Result<()>
    where
        F: Fn(PipeStream) -> io::Result<()> + Send + Sync + 'static,
    {
        crate::named::serve_threads(|| self.accept(), handler)
    }

    bound_accessors!();
}
