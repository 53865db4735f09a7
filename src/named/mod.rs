//! Named pipes: a server binds a [`PipeName`], many clients connect to it, each connection
//! is its own duplex [`PipeStream`].
//!
//! On Windows a named pipe is a Windows named pipe, `\\.\pipe\NAME` (what .NET's
//! `NamedPipeServerStream("NAME")` creates), in byte or message mode, with a DACL granting only
//! the current user unless `ListenOptions::security_descriptor` says otherwise; connections tell
//! the peer's process id (`PipeStream::peer_process_id`). Peer credentials, socket modes and
//! abstract names are Unix only. What follows describes Unix.
//!
//! On Unix a named pipe is a Unix domain stream socket, as in .NET: `PipeName::new` maps a
//! name to the same socket file .NET's `NamedPipeServerStream(name)` uses
//! (`$TMPDIR/CoreFxPipe_NAME`), so a pipeframe server and a .NET client, or the reverse, meet
//! by name. Explicit paths and Linux abstract names work too.
//!
//! # Server
//!
//! * [`Listener::bind`] / [`ListenOptions::bind`]; [`Listener::accept`],
//!   [`Listener::incoming`], and the accept loop [`Listener::serve`] (a thread per client).
//! * A socket file left by a crashed server (a `connect` to it is refused) is removed and the
//!   name bound again. A live server's name is never taken over: that bind fails with
//!   [`std::io::ErrorKind::AddrInUse`] naming the path. Neither is a file that is not a
//!   socket.
//! * The socket file is removed when the listener is dropped, if the path still names the
//!   file it bound (another server may have taken the name since).
//!
//! # Access control
//!
//! * The socket file gets `ListenOptions::mode` (default `0o600`: only the owner, and root,
//!   may connect) with no window where it is more open: the mode is set on the socket with
//!   `fchmod` before `bind`, and Linux creates the file with it (less the umask; bits the
//!   umask removed are then added back with `chmod`, which only widens up to the mode asked).
//!   Other Unix systems do not take the mode from the socket; there the socket is bound inside
//!   a new `0o700` directory beside the target, given its mode, and hard-linked into place
//!   (`link` never replaces an existing file), and the directory is removed.
//! * `ListenOptions::current_user_only`, like .NET's `PipeOptions.CurrentUserOnly`, closes
//!   peers whose effective uid differs from ours (`SO_PEERCRED`) before `accept` returns them.
//!   On the client side [`ConnectOptions::current_user_only`] refuses a server run by another
//!   user.
//! * Every connection tells the peer's `PeerCredentials` (pid, uid, gid):
//!   `PipeStream::peer_credentials` (the async flavours' streams have it too), or
//!   `peer_credentials` for any socket. (On Windows: `PipeStream::peer_process_id`.)
//!
//! # Client
//!
//! [`connect`] tries once; [`connect_timeout`] and [`ConnectOptions::timeout`] wait for a
//! server that is not up yet (the articles start the client first), and fail with
//! [`std::io::ErrorKind::TimedOut`] naming the endpoint.
//!
//! # Flavours
//!
//! Blocking here; [`tokio`] (feature `tokio`) and [`futures_io`] (feature `futures-io`, for
//! smol) have the same listener and connect functions returning a `PipeStream` with the
//! runtime's `AsyncRead`/`AsyncWrite`. Both are one implementation, [`AsyncListener`],
//! [`connect_async`] and [`AsyncPipeStream`], over the runtime seam of [`rt`](crate::rt).
//!
//! # A peer that is gone
//!
//! Writing to a peer that closed its end or exited fails with
//! [`std::io::ErrorKind::BrokenPipe`], in every flavour, and never raises `SIGPIPE`: the
//! streams send with `sendmsg(MSG_NOSIGNAL)` (Apple systems, which lack the flag: `writev` on
//! a socket with `SO_NOSIGPIPE`), so a process that has `SIGPIPE` at its default disposition
//! (a C host embedding Rust, a binary built with `-Zon-broken-pipe=kill`) is not killed
//! either. That holds for the streams pipeframe hands out; a raw `UnixStream` taken out of
//! one (`UnixStream::from(stream)`) writes with `write(2)` again.
//!
//! ```
//! # #[cfg(unix)]
//! # fn main() -> std::io::Result<()> {
//! use pipeframe::codec::LengthPrefixed;
//! use pipeframe::named::{Listener, PipeName, connect_timeout};
//! use std::time::Duration;
//!
//! let dir = tempfile::tempdir()?;
//! let name = PipeName::from_path(dir.path().join("demo.sock"));
//! let listener = Listener::bind(&name)?;
//! let client = std::thread::spawn({
//!     let name = name.clone();
//!     move || -> std::io::Result<()> {
//!         let mut c = connect_timeout(&name, Duration::from_secs(5))?.framed(LengthPrefixed::dotnet())?;
//!         c.write_frame(b"Hello server!")?;
//!         assert_eq!(c.read_frame()?.as_deref(), Some(&b"Message processed"[..]));
//!         Ok(())
//!     }
//! });
//! let stream = listener.accept()?;
//! assert_eq!(stream.peer_credentials()?.pid(), Some(std::process::id()));
//! let mut s = stream.framed(LengthPrefixed::dotnet())?;
//! assert_eq!(s.read_frame()?.as_deref(), Some(&b"Hello server!"[..]));
//! s.write_frame(b"Message processed")?;
//! s.flush()?;
//! client.join().unwrap()?;
//! # Ok(())
//! # }
//! # #[cfg(not(unix))]
//! # fn main() {}
//! ```

#[cfg(all(unix, any(feature = "tokio", feature = "futures-io")))]
mod async_stream;
#[cfg(unix)]
mod creds;
#[cfg(unix)]
mod listener;
#[cfg(unix)]
mod name;
mod options;
#[cfg(unix)]
mod path_limit;
#[cfg(all(unix, any(feature = "tokio", feature = "futures-io")))]
mod runtime;
#[cfg(unix)]
mod stream;
// Windows: `\\.\pipe\NAME` named pipes on `sys::windows`, the same public names.
#[cfg(windows)]
mod windows;

#[cfg(all(unix, feature = "futures-io"))]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures_io;
#[cfg(all(windows, feature = "futures-io"))]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
#[path = "windows/futures_io.rs"]
pub mod futures_io;
#[cfg(all(unix, feature = "tokio"))]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
#[cfg(all(windows, feature = "tokio"))]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[path = "windows/tokio.rs"]
pub mod tokio;

#[cfg(all(unix, any(feature = "tokio", feature = "futures-io")))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub use async_stream::{AsyncPipeReadHalf, AsyncPipeStream, AsyncPipeWriteHalf};
#[cfg(unix)]
pub use creds::{PeerCredentials, peer_credentials};
#[cfg(unix)]
pub use listener::Listener;
#[cfg(unix)]
pub use name::{DOTNET_PREFIX, PipeName};
pub use options::ConnectOptions;
#[cfg(unix)]
pub use options::ListenOptions;
#[cfg(unix)]
pub use path_limit::SocketPathTooLong;
#[cfg(all(unix, any(feature = "tokio", feature = "futures-io")))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub use runtime::{AsyncListener, connect_async};
#[cfg(unix)]
pub use stream::{PipeStream, connect, connect_timeout, connect_with};
#[cfg(all(windows, any(feature = "tokio", feature = "futures-io")))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub use windows::async_pipe::{AsyncListener, AsyncPipeStream, connect_async};
#[cfg(windows)]
pub(crate) use windows::check_len as windows_check_len;
#[cfg(windows)]
pub use windows::{
    ListenOptions, Listener, PipeName, PipeStream, connect, connect_timeout, connect_with,
};

/// The blocking accept loop of every OS's `Listener::serve`: runs `handler` on its own thread
/// for every client `accept` returns, forever; an error from a handler ends that client only.
/// An `accept` error that `skip` says concerns one connection is passed over, any other ends
/// the loop.
fn serve_threads<S, F>(
    accept: impl Fn() -> std::io::Result<S>,
    skip: impl Fn(&std::io::Error) -> bool,
    handler: F,
) -> std::io::Result<()>
where
    S: Send + 'static,
    F: Fn(S) -> std::io::Result<()> + Send + Sync + 'static,
{
    let handler = std::sync::Arc::new(handler);
    loop {
        match accept() {
            Ok(stream) => {
                let h = std::sync::Arc::clone(&handler);
                std::thread::spawn(move || {
                    let _ = h(stream);
                });
            }
            Err(e) if skip(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The connect functions of a runtime's module (`named::tokio`, `named::futures_io`) on Unix
/// and Windows alike: `connect`, `connect_timeout` and `connect_with` over
/// [`connect_async`] on runtime `rt`, returning the module's `PipeStream`. `cancel` is added to
/// the doc of `connect`, `timer` names the runtime whose timer a waiting client sleeps on, and
/// `context` is added to the doc of `connect_with`.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
macro_rules! connect_fns {
    (runtime: $rt:ty, cancel: $cancel:literal, timer: $timer:literal, context: $context:literal $(,)?) => {
        #[doc = concat!("Connects once (see [`super::connect`]).", $cancel)]
        pub async fn connect(name: &$crate::named::PipeName) -> ::std::io::Result<PipeStream> {
            connect_with(name, &$crate::named::ConnectOptions::new()).await
        }

        /// Connects, waiting up to `timeout` for the server (see [`super::connect_timeout`]).
        pub async fn connect_timeout(
            name: &$crate::named::PipeName,
            timeout: ::std::time::Duration,
        ) -> ::std::io::Result<PipeStream> {
            connect_with(name, &$crate::named::ConnectOptions::new().timeout(timeout)).await
        }

        #[doc = concat!("Connects as `opts` say; waiting sleeps on ", $timer, "'s timer.", $context)]
        pub async fn connect_with(
            name: &$crate::named::PipeName,
            opts: &$crate::named::ConnectOptions,
        ) -> ::std::io::Result<PipeStream> {
            $crate::named::connect_async::<$rt>(name, opts).await
        }
    };
}
#[cfg(any(feature = "tokio", feature = "futures-io"))]
use connect_fns;
