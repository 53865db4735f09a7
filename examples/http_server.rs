//! HTTP server on a named pipe, the Rust side of Kestrel's `http://pipe:/NAME`: `GET /`
//! answers `200` and a short text, over HTTP/1.1 and over HTTP/2 with prior knowledge.
//!
//! ```text
//! cargo run --features tower --example http_server -- pipe:my-pipe-name
//! curl --unix-socket /tmp/CoreFxPipe_my-pipe-name http://localhost/
//! curl --http2-prior-knowledge --unix-socket /tmp/CoreFxPipe_my-pipe-name http://localhost/
//! ```
//!
//! Prints `listening on ADDRESS` once the pipe exists.
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the http_server example runs on Unix only");
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
#[path = "common/hello_http.rs"]
mod hello_http;

#[cfg(unix)]
mod app {

    use super::address;
    use super::hello_http;

    use address::Address;
    use pipeframe::transport::Incoming;

    #[tokio::main]
    pub(crate) async fn main() -> std::io::Result<()> {
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
                        // Ctrl-C: return, dropping the listener, which removes the socket file.
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
}
