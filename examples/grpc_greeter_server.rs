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
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the grpc_greeter_server example runs on Unix only");
}

#[cfg(unix)]
#[allow(unused_imports)]
use app::main;
#[cfg(unix)]
#[allow(unused_imports)]
pub(crate) use app::*;

#[cfg(unix)]
#[path = "common/address.rs"]
mod address;
#[cfg(unix)]
#[path = "common/greeter.rs"]
mod greeter;
#[cfg(unix)]
#[path = "common/helloworld.rs"]
mod helloworld;

#[cfg(unix)]
mod app {

    use super::address;
    use super::greeter;
    use super::helloworld;

    use address::Address;
    use helloworld::greeter_server::GreeterServer;
    use pipeframe::transport::Incoming;
    use tonic::transport::Server;

    async fn ctrl_c() {
        let _ = tokio::signal::ctrl_c().await;
    }

    #[tokio::main]
    pub(crate) async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
}
