//! Named pipes as a transport for the tower ecosystem (feature `tower`; `tonic` adds
//! tonic's `Connected`): the Rust side of the articles' "Kestrel on `http://pipe:/NAME`" and
//! "gRPC over a named pipe".
//!
//! * Server: [`Incoming`], a `Stream` of accepted [`PipeConnection`]s. tonic's
//!   `Server::serve_with_incoming` takes it as it is (feature `tonic`), and a hyper-util serve
//!   loop wraps each connection in `hyper_util::rt::TokioIo`. Each connection carries its
//!   [`PipeConnectInfo`] (the pipe's name and the peer's [`PeerCredentials`]): from
//!   [`PipeConnection::connect_info`], and inside tonic handlers from the request's
//!   extensions.
//! * Client: [`PipeConnector`], a `tower_service::Service<Uri>` that opens one pipe
//!   whatever the URI's host, as .NET's `SocketsHttpHandler.ConnectCallback` does. It plugs
//!   into hyper-util's legacy `Client` and tonic's `Endpoint::connect_with_connector`, and
//!   waits for a pipe that is busy (full backlog) or not created yet up to a deadline
//!   ([`PipeConnector::with_timeout`], 5 s by default). The response's extensions carry the
//!   server's [`PipeConnectInfo`] (hyper-util's `Connected::extra`).
//!
//! The IO type is [`PipeConnection`] on every system (a Unix domain socket here; a Windows
//! named pipe instance there), so code written against this module does not change with the
//! OS.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use pipeframe::named::PipeName;
//! use pipeframe::transport::PipeConnector;
//!
//! // Any host: the connector always opens the pipe `svc`.
//! let connector = PipeConnector::new(PipeName::new("svc")?);
//! let client: Client<_, String> = Client::builder(TokioExecutor::new()).build(connector);
//! let response = client.get("http://localhost/".parse()?).await?;
//! println!("{}", response.status());
//! # Ok(())
//! # }
//! ```
//!
//! [`PeerCredentials`]: crate::named::PeerCredentials

mod connection;
mod connector;
mod incoming;

pub use crate::named::ACCEPT_ERROR_PAUSE;
pub use connection::{PipeConnectInfo, PipeConnection};
pub use connector::{Connecting, DEFAULT_CONNECT_TIMEOUT, PipeConnector};
pub use incoming::Incoming;
