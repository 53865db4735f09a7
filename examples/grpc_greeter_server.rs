//! gRPC Greeter server (helloworld.proto) on a named pipe, the Rust side of the articles'
//! `options.ListenNamedPipe("grpc-pipe", o => o.Protocols = HttpProtocols.Http2)`.
//!
//! ```text
//! cargo run --features tonic --example grpc_greeter_server -- pipe:grpc-pipe
//! cargo run --features tonic --example grpc_greeter_client -- pipe:grpc-pipe world
//! ```
//!
//! `ADDRESS` is `pipe:NAME` (`$TMPDIR/CoreFxPipe_NAME` on Unix, `\\.\pipe\NAME` on Windows,
//! where .NET's `ListenNamedPipe("NAME")` listens), `unix:PATH` (Unix only) or
//! `tcp:HOST:PORT`. Prints `listening on ADDRESS` once the pipe exists; each call's peer goes
//! to stderr (`peer: pid P, uid U` on Unix, `peer: pid P, user SID` on Windows). tonic and
//! .NET Greeter clients call it too, and grpcio on Unix (with `unix:PATH`, the socket file of
//! `pipe:NAME`).

#[path = "common/address.rs"]
mod address;
#[path = "common/greeter.rs"]
mod greeter;
#[path = "common/helloworld.rs"]
mod helloworld;
#[path = "common/peer.rs"]
mod peer;

use address::Address;
use helloworld::greeter_server::GreeterServer;
use pipeframe::transport::{Incoming, PipeConnectInfo};
use tonic::transport::Server;
use tonic::{Request, Status};

/// Prints each call's peer on stderr: over a pipe, tonic puts the connection's
/// `PipeConnectInfo` in every request (a TCP call has none, and prints nothing).
fn log_peer(request: Request<()>) -> Result<Request<()>, Status> {
    let info = request.extensions().get::<PipeConnectInfo>();
    if let Some(p) = info.and_then(PipeConnectInfo::peer_credentials) {
        eprintln!("peer: {}", peer::describe(&p));
    }
    Ok(request)
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (addr, _) = Address::from_args("grpc_greeter_server ADDRESS");
    let service = GreeterServer::with_interceptor(greeter::MyGreeter::default(), log_peer);
    let server = Server::builder().add_service(service);
    match addr {
        Address::Pipe(name) => {
            let incoming = Incoming::bind(&name)?;
            println!("listening on {name}");
            // Ctrl-C ends the server and drops the listener, which closes the pipe (on Unix,
            // removes the socket file).
            server
                .serve_with_incoming_shutdown(incoming, ctrl_c())
                .await?;
        }
        Address::Tcp(host_port) => {
            let listener = tokio::net::TcpListener::bind(&host_port).await?;
            println!("listening on tcp:{}", listener.local_addr()?);
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            server
                .serve_with_incoming_shutdown(incoming, ctrl_c())
                .await?;
        }
    }
    Ok(())
}
