//! Named pipes: a server binds a [`PipeName`], many clients connect to it, each connection
//! is its own duplex [`PipeStream`]. The same types, functions and behaviour on Unix and
//! Windows; only what a name is, and who may connect, differs.
//!
//! | | Unix | Windows |
//! | --- | --- | --- |
//! | a named pipe is | a Unix domain stream socket | a Windows named pipe, byte or message mode |
//! | [`PipeName::new("NAME")`](PipeName::new) | `$TMPDIR/CoreFxPipe_NAME`, where .NET's `NamedPipeServerStream("NAME")` listens | `\\.\pipe\NAME`, where .NET's `NamedPipeServerStream("NAME")` listens |
//! | other names | explicit socket paths (`PipeName::from_path`), Linux abstract names | a full `\\.\pipe\...` path |
//! | who may connect by default | the owner (socket mode `0o600`) | the current user (a DACL granting only it) |
//! | [`PeerCredentials`] | pid, uid, gid (`SO_PEERCRED`) | pid, user SID |
//! | half-close (`shutdown_write`, tokio's `shutdown`, futures-io's `close`) | yes | no: a named pipe ends when every handle to it is closed |
//!
//! # Server
//!
//! * [`Listener::bind`] / [`ListenOptions::bind`]; [`Listener::accept`],
//!   [`Listener::incoming`], and the accept loop [`Listener::serve`] (a thread per client).
//!   The async flavours' [`AsyncListener`] has `accept` and `serve` (handlers run
//!   concurrently on the task awaiting it, on any runtime).
//! * Every accept loop goes on past errors that concern one client (it left before it was
//!   accepted, it was refused), pauses [`ACCEPT_ERROR_PAUSE`] after the system ran out of
//!   descriptors or memory, and returns only on any other error.
//! * Unix: a socket file left by a crashed server (a `connect` to it is refused) is removed
//!   and the name bound again. A live server's name is never taken over: that bind fails with
//!   [`std::io::ErrorKind::AddrInUse`] naming the path. Neither is a file that is not a
//!   socket. The socket file is removed when the listener is dropped, if the path still names
//!   the file it bound (another server may have taken the name since).
//! * Windows: one instance always waits for the next client, created before a connected one
//!   is handed out, so clients never find the name gone or every instance busy between two
//!   accepts. The first instance is made with `FILE_FLAG_FIRST_PIPE_INSTANCE`, so a name
//!   another server holds is refused with `AddrInUse`.
//!
//! # Access control
//!
//! * Unix: the socket file gets `ListenOptions::mode` (default `0o600`: only the owner, and
//!   root, may connect) with no window where it is more open: the mode is set on the socket
//!   with `fchmod` before `bind`, and Linux creates the file with it (less the umask; bits the
//!   umask removed are then added back with `chmod`, which only widens up to the mode asked).
//!   Other Unix systems do not take the mode from the socket; there the socket is bound
//!   inside a new `0o700` directory beside the target, given its mode, and hard-linked into
//!   place (`link` never replaces an existing file), and the directory is removed.
//! * Windows: the pipe's DACL grants only the current user unless
//!   `ListenOptions::security_descriptor` gives SDDL; remote clients are refused.
//! * `ListenOptions::current_user_only`, like .NET's `PipeOptions.CurrentUserOnly`, closes
//!   peers of another user before `accept` returns them (Unix: their effective uid; Windows:
//!   their token's user SID), and counts them (`Listener::rejected`). On the client side
//!   [`ConnectOptions::current_user_only`] refuses a server run by another user.
//! * Every connection tells who is at the other end: `peer_credentials()` on every flavour's
//!   stream and on its halves.
//!
//! # Client
//!
//! [`connect`] tries once; [`connect_timeout`] and [`ConnectOptions::timeout`] wait for a
//! server that is not up yet or busy (the articles start the client first), and fail with
//! [`std::io::ErrorKind::TimedOut`] naming the endpoint and the time waited.
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
//! [`std::io::ErrorKind::BrokenPipe`], in every flavour. On Unix it never raises `SIGPIPE`:
//! the streams send with `sendmsg(MSG_NOSIGNAL)` (Apple systems, which lack the flag: `writev`
//! on a socket with `SO_NOSIGPIPE`), so a process that has `SIGPIPE` at its default
//! disposition (a C host embedding Rust, a binary built with `-Zon-broken-pipe=kill`) is not
//! killed either. That holds for the streams pipeframe hands out; a raw `UnixStream` taken out
//! of one (`UnixStream::from(stream)`) writes with `write(2)` again.
//!
//! ```
//! use pipeframe::codec::LengthPrefixed;
//! use pipeframe::named::{Listener, PipeName, connect_timeout};
//! use std::time::Duration;
//!
//! let name = PipeName::new(&format!("pipeframe-doc-{}", std::process::id()))?;
//! let listener = Listener::bind(&name)?;
//! let client = std::thread::spawn({
//!     let name = name.clone();
//!     move || -> std::io::Result<()> {
//!         let mut c = connect_timeout(&name, Duration::from_secs(5))?.framed(LengthPrefixed::dotnet())?;
//!         c.write_frame(b"Hello server!")?;
//!         c.flush()?;
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
//! # Ok::<(), std::io::Error>(())
//! ```

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod async_stream;
mod options;
mod serve;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
use unix as os;
#[cfg(windows)]
use windows as os;

#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures_io;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub use async_stream::{AsyncPipeReadHalf, AsyncPipeWriteHalf};
pub use options::ConnectOptions;
#[cfg(windows)]
pub use os::Sid;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures-io"))))]
pub use os::{AsyncListener, AsyncPipeStream, connect_async};
#[cfg(unix)]
pub use os::{DOTNET_PREFIX, SocketPathTooLong, peer_credentials};
pub use os::{
    ListenOptions, Listener, PeerCredentials, PipeName, PipeStream, connect, connect_timeout,
    connect_with,
};
pub use serve::ACCEPT_ERROR_PAUSE;
// The Unix listener skips a client that failed its accept; `transport::Incoming` does too.
#[cfg(any(unix, feature = "tower"))]
pub(crate) use serve::AcceptError;
pub(crate) use serve::serve_threads;

/// The connect functions of a runtime's module (`named::tokio`, `named::futures_io`) on Unix
/// and Windows alike: `connect`, `connect_timeout` and `connect_with` over
/// [`connect_async`] on runtime `rt`, returning the module's `PipeStream`. `cancel` is added to
/// the doc of `connect`, and `context` to the doc of `connect_with`.
#[cfg(any(feature = "tokio", feature = "futures-io"))]
macro_rules! connect_fns {
    (runtime: $rt:ty, cancel: $cancel:literal, context: $context:literal $(,)?) => {
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

        #[doc = concat!("Connects as `opts` say (see [`connect_async`](super::connect_async)).", $context)]
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
