//! Windows named pipes on futures-io runtimes (smol, async-io): [`Listener`] and the connect
//! functions return [`AsyncPipeStream`], which is `futures_io::AsyncRead + AsyncWrite` (and
//! reads whole messages in message mode). The same implementation as `named::tokio`.

use std::io;
use std::time::Duration;

use crate::rt::AsyncIo;

use super::{AsyncPipeStream, ConnectOptions, PipeName};

/// One connection, either side (the same name as on Unix).
pub type PipeStream = super::AsyncPipeStream;

/// A named pipe server on a futures-io runtime.
pub type Listener = super::AsyncListener<AsyncIo>;

/// Connects once.
pub async fn connect(name: &PipeName) -> io::Result<AsyncPipeStream> {
    connect_with(name, &ConnectOptions::new()).await
}

/// Connects, waiting up to `timeout` for a server.
pub async fn connect_timeout(name: &PipeName, timeout: Duration) -> io::Result<AsyncPipeStream> {
    connect_with(name, &ConnectOptions::new().timeout(timeout)).await
}

/// Connects as `opts` say.
pub async fn connect_with(name: &PipeName, opts: &ConnectOptions) -> io::Result<AsyncPipeStream> {
    super::connect_async::<AsyncIo>(name, opts).await
}
