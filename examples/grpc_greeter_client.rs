//! gRPC Greeter client (helloworld.proto) over a named pipe: calls `SayHello { name }` and
//! prints the reply's `message` on one line. The Rust side of the articles'
//! `SocketsHttpHandler { ConnectCallback = ... NamedPipeClientStream ... }`: the channel's URI
//! is a placeholder, the connector opens the pipe whatever its host says, and waits up to 5 s
//! for a server that is not up yet.
//!
//! ```text
//! cargo run --features tonic --example grpc_greeter_client -- pipe:grpc-pipe world
//! Hello world
//! ```
//!
//! `ADDRESS` is `pipe:NAME` (`$TMPDIR/CoreFxPipe_NAME` on Unix, `\\.\pipe\NAME` on Windows),
//! `unix:PATH` (Unix only) or `tcp:HOST:PORT`.

#[path = "common/address.rs"]
mod address;
#[path = "common/helloworld.rs"]
mod helloworld;

use address::Address;
use helloworld::HelloRequest;
use helloworld::greeter_client::GreeterClient;
use pipeframe::transport::PipeConnector;
use tonic::transport::Endpoint;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "grpc_greeter_client ADDRESS NAME";
    let (addr, rest) = Address::from_args(usage);
    let [name] = <[String; 1]>::try_from(rest).unwrap_or_else(|_| {
        eprintln!("usage: {usage}");
        std::process::exit(2)
    });
    let channel = match addr {
        Address::Pipe(pipe) => {
            Endpoint::from_static("http://localhost")
                .connect_with_connector(PipeConnector::new(pipe))
                .await?
        }
        Address::Tcp(host_port) => {
            Endpoint::from_shared(format!("http://{host_port}"))?
                .connect()
                .await?
        }
    };
    let reply = GreeterClient::new(channel)
        .say_hello(HelloRequest { name })
        .await?;
    println!("{}", reply.into_inner().message);
    Ok(())
}
