//! Named pipes on Unix: Unix domain stream sockets at .NET's socket path
//! (`$TMPDIR/CoreFxPipe_NAME`), explicit paths or Linux abstract names, over `sys::unix`.

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod async_stream;
mod creds;
mod listener;
mod name;
mod options;
mod path_limit;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod runtime;
mod stream;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub use async_stream::AsyncPipeStream;
pub use creds::{PeerCredentials, peer_credentials};
pub use listener::Listener;
pub use name::{DOTNET_PREFIX, PipeName};
pub use options::ListenOptions;
pub use path_limit::SocketPathTooLong;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub use runtime::{AsyncListener, connect_async};
pub use stream::{PipeStream, connect, connect_timeout, connect_with};

pub(crate) use super::ConnectOptions;
