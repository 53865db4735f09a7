//! The client side: a `Service<Uri>` that opens a named pipe.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Uri;
use hyper_util::rt::TokioIo;

use crate::named::{ConnectOptions, PipeName};

use super::PipeConnection;

/// How long [`PipeConnector`] waits by default for a pipe that is busy or not created yet.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A `tower_service::Service<Uri>` that connects to one named pipe whatever the URI says, as
/// .NET's `SocketsHttpHandler.ConnectCallback` opening a `NamedPipeClientStream` does: the
/// URI's scheme, host and port only reach the HTTP layer (the `Host` header, `:authority`).
///
/// Its response is `TokioIo<`[`PipeConnection`]`>`, which is what hyper-util's legacy
/// `Client::builder(..).build(connector)` and tonic's `Endpoint::connect_with_connector`
/// need. Each call waits for the server up to the timeout (a full backlog, no socket file,
/// nobody listening yet), retrying every 1 to 50 ms; then it fails with
/// [`io::ErrorKind::TimedOut`] naming the pipe.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use pipeframe::named::PipeName;
/// use pipeframe::transport::PipeConnector;
/// use std::time::Duration;
///
/// let connector = PipeConnector::new(PipeName::new("grpc-pipe")?).with_timeout(Duration::from_secs(2));
/// // The URI is a placeholder, as in .NET's `GrpcChannel.ForAddress("http://localhost")`.
/// let channel = tonic::transport::Endpoint::from_static("http://localhost")
///     .connect_with_connector(connector)
///     .await?;
/// # drop(channel);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PipeConnector {
    name: PipeName,
    opts: ConnectOptions,
}

impl PipeConnector {
    /// Connects to `name`, waiting up to [`DEFAULT_CONNECT_TIMEOUT`] for it.
    pub fn new(name: PipeName) -> Self {
        PipeConnector {
            name,
            opts: ConnectOptions::new().timeout(DEFAULT_CONNECT_TIMEOUT),
        }
    }

    /// Connects as `opts` say (their timeout is the deadline; without one, only a full
    /// backlog is waited for).
    pub fn with_options(mut self, opts: ConnectOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Waits up to `timeout` for the server on each connection.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.opts = self.opts.timeout(timeout);
        self
    }

    /// The pipe every connection goes to.
    pub fn name(&self) -> &PipeName {
        &self.name
    }

    /// Connects once, now (what `call` does, without a URI).
    pub async fn connect(&self) -> io::Result<PipeConnection> {
        let stream = crate::named::tokio::connect_with(&self.name, &self.opts).await?;
        Ok(PipeConnection::new(stream, self.name.clone()))
    }
}

/// The future of [`PipeConnector`]'s `call`.
pub struct Connecting {
    inner: Pin<Box<dyn Future<Output = io::Result<TokioIo<PipeConnection>>> + Send>>,
}

impl fmt::Debug for Connecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connecting").finish_non_exhaustive()
    }
}

impl Future for Connecting {
    type Output = io::Result<TokioIo<PipeConnection>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl tower_service::Service<Uri> for PipeConnector {
    type Response = TokioIo<PipeConnection>;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Connecting {
        let this = self.clone();
        Connecting {
            inner: Box::pin(async move { this.connect().await.map(TokioIo::new) }),
        }
    }
}
