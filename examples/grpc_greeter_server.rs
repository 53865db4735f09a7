//! gRPC Greeter server (helloworld.proto) on a named pipe, the Rust side of the articles'
//! `options.ListenNamedPipe("grpc-pipe", o => o.Protocols = HttpProtocols.Http2)`.
//!
//! ```text
//! cargo run --features tonic --example grpc_greeter_server -- pipe:grpc-pipe
//! cargo run --features tonic --example grpc_greeter_client -- pipe:grpc-pipe world
//! ```
//!
//! `ADDRESS` is `pipe:NAME`, `unix:PATH` or `tcp:HOST:PORT`. Prints `listening on ADDRESS` once
//! the pipe exists; each call's peer (pid, uid) goes to stderr. grpcio, tonic and .NET Greeter
//! clients answer too (a Unix client uses `unix:PATH`, the socket file of `pipe:NAME`).

#[path = "common/address.rs"]
mod address;
#[path = "common/greeter.rs"]
mod greeter;
#[path = "common/helloworld.rs"]
mod helloworld;

use address::Address;
use helloworld::greeter_server::GreeterServer;
use pipeframe::transport::Incoming;
use tonic::transport::Server;

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (addr, _) = Address::from_args("grpc_greeter_server ADDRESS");
    let service = GreeterServer::new(greeter::MyGreeter::default());
    let server = Server::builder().add_service(service);
    match addr {
        Address::Pipe(name) => {
            let incoming = Incoming::bind(&name)?;
            println!("listening on {name}");
            // Ctrl-C ends the server and drops the listener, which removes the socket file.
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
