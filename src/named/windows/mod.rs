//! Named pipes on Windows: `\\.\pipe\NAME` in byte or message mode, over `sys::windows`, with
//! the same public names as the Unix side.

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod async_stream;
mod creds;
mod listener;
mod name;
mod options;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod runtime;
mod stream;

#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub use async_stream::AsyncPipeStream;
pub use creds::{PeerCredentials, Sid};
pub use listener::Listener;
pub use name::PipeName;
pub use options::ListenOptions;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
pub use runtime::{AsyncListener, connect_async};
pub use stream::{PipeStream, connect, connect_timeout, connect_with};

pub(crate) use super::ConnectOptions;
