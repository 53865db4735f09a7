//! HTTP server on a named pipe, the Rust side of Kestrel's `http://pipe:/NAME`: `GET /`
//! answers `200` and a short text, over HTTP/1.1 and over HTTP/2 with prior knowledge.
//!
//! ```text
//! cargo run --features tower --example http_server -- pipe:my-pipe-name
//! cargo run --features tower --example http_client -- pipe:my-pipe-name /
//! # Unix: the pipe is the socket file $TMPDIR/CoreFxPipe_my-pipe-name, so curl reaches it too
//! curl --unix-socket /tmp/CoreFxPipe_my-pipe-name http://localhost/
//! curl --http2-prior-knowledge --unix-socket /tmp/CoreFxPipe_my-pipe-name http://localhost/
//! ```
//!
//! `ADDRESS` is `pipe:NAME` (`$TMPDIR/CoreFxPipe_NAME` on Unix, `\\.\pipe\NAME` on Windows,
//! where Kestrel's `http://pipe:/NAME` listens), `unix:PATH` (Unix only) or `tcp:HOST:PORT`.
//! On Windows, `http_client` or .NET's `HttpClient` with a `NamedPipeClientStream`
//! `ConnectCallback` is the client. Prints `listening on ADDRESS` once the pipe exists.

#[path = "common/address.rs"]
mod address;
#[path = "common/hello_http.rs"]
mod hello_http;

use address::Address;
use pipeframe::transport::Incoming;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (addr, _) = Address::from_args("http_server ADDRESS");
    match addr {
        Address::Pipe(name) => {
            let mut incoming = Incoming::bind(&name)?;
            println!("listening on {name}");
            loop {
                tokio::select! {
                    accepted = incoming.accept() => match accepted {
                        Ok(conn) => {
                            tokio::spawn(hello_http::serve_connection(conn));
                        }
                        Err(e) => eprintln!("accept: {e}"),
                    },
                    // Ctrl-C: return, dropping the listener, which closes the pipe (on Unix,
                    // removes the socket file).
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                }
            }
        }
        Address::Tcp(host_port) => {
            let listener = tokio::net::TcpListener::bind(&host_port).await?;
            println!("listening on tcp:{}", listener.local_addr()?);
            loop {
                let (conn, _) = listener.accept().await?;
                tokio::spawn(hello_http::serve_connection(conn));
            }
        }
    }
}
