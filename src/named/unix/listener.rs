use std::io;
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sys::unix::socket::{self, SocketFile};

use super::{ListenOptions, PeerCredentials, PipeName, PipeStream};
use crate::named::AcceptError;

/// What every flavour's listener shares: the bound name, the socket file to remove on drop,
/// the peer policy and the count of refused peers.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) name: PipeName,
    file: Option<SocketFile>,
    current_user_only: bool,
    rejected: AtomicU64,
}

impl Bound {
    /// Binds `name` as `opts` say; returns the std listener (blocking) and the shared state.
    pub(crate) fn bind(name: &PipeName, opts: &ListenOptions) -> io::Result<(UnixListener, Bound)> {
        opts.check()?;
        name.check()?;
        if opts.current_user_only && !socket::PEER_CRED {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "cannot bind {name} with current_user_only: peer credentials are not \
                     available on this system yet"
                ),
            ));
        }
        let backlog = i32::try_from(opts.backlog).unwrap_or(i32::MAX);
        let (listener, file) = socket::bind(&name.addr(), opts.mode, opts.reclaim_stale, backlog)?;
        Ok((
            listener,
            Bound {
                name: name.clone(),
                file,
                current_user_only: opts.current_user_only,
                rejected: AtomicU64::new(0),
            },
        ))
    }

    /// Whether the policy admits the peer (`false`: the caller drops it).
    pub(crate) fn admit(&self, stream: impl AsFd) -> io::Result<bool> {
        if !self.current_user_only {
            return Ok(true);
        }
        let peer = PeerCredentials::from(socket::peer_cred(stream)?);
        if peer.uid() != socket::current_uid() {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return Ok(false);
        }
        Ok(true)
    }

    /// An accepted stream the policy admits; `None` for one to skip (refused, or gone before
    /// it could be asked who it is). Every flavour's accept loop calls this.
    pub(crate) fn screen<S: AsFd>(&self, stream: S) -> io::Result<Option<S>> {
        match self.admit(&stream) {
            Ok(true) => {
                socket::no_sigpipe(&stream)?;
                Ok(Some(stream))
            }
            Ok(false) => Ok(None),
            Err(e) if AcceptError::of(&e) == AcceptError::OneClient => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    pub(crate) fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path())
    }
}

/// The accessors every flavour's listener has, read from its `bound: Bound` field.
macro_rules! bound_accessors {
    () => {
        /// The name this listener was bound to.
        pub fn name(&self) -> &PipeName {
            &self.bound.name
        }

        /// The socket file (`None` for an abstract name).
        pub fn socket_path(&self) -> Option<&Path> {
            self.bound.path()
        }

        /// How many peers [`current_user_only`](ListenOptions::current_user_only) refused.
        pub fn rejected(&self) -> u64 {
            self.bound.rejected()
        }
    };
}
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub(crate) use bound_accessors;

/// A blocking named pipe server: many clients, each its own [`PipeStream`].
///
/// Unlike .NET's `NamedPipeServerStream`, which is one connection and is created again for
/// every client, one `Listener` accepts any number of clients. Dropping it removes the socket
/// file (if the path still names the file it bound).
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
    inner: UnixListener,
    bound: Bound,
}

impl Listener {
    /// Binds `name` with the default [`ListenOptions`] (mode `0o600`, stale files reclaimed).
    pub fn bind(name: &PipeName) -> io::Result<Listener> {
        Self::bind_with(name, &ListenOptions::default())
    }

    /// Binds `name` as `opts` say.
    pub fn bind_with(name: &PipeName, opts: &ListenOptions) -> io::Result<Listener> {
        let (inner, bound) = Bound::bind(name, opts)?;
        Ok(Listener { inner, bound })
    }

    /// Waits for the next client. Peers refused by
    /// [`current_user_only`](ListenOptions::current_user_only) are closed and skipped.
    pub fn accept(&self) -> io::Result<PipeStream> {
        loop {
            let (stream, _) = self.inner.accept()?;
            if let Some(stream) = self.bound.screen(stream)? {
                return Ok(PipeStream::new(stream));
            }
        }
    }

    /// An endless iterator of accepted clients.
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<PipeStream>> + '_ {
        std::iter::repeat_with(|| self.accept())
    }

    /// The accept loop: runs `handler` on its own thread for every client, forever. An error
    /// from a handler (a client gone abruptly, a malformed frame) ends that client only.
    /// Returns only when `accept` fails for a reason that is not about one connection (out of
    /// descriptors, the listener broken).
    pub fn serve<F>(&self, handler: F) -> io::Result<()>
    where
        F: Fn(PipeStream) -> io::Result<()> + Send + Sync + 'static,
    {
        crate::named::serve_threads(|| self.accept(), handler)
    }

    bound_accessors!();
}
