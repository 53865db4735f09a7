//! The articles' StreamJsonRpc calculator server (`JsonRpc.Attach(pipeServer, new
//! CalculatorService())`): JSON-RPC 2.0 method `Add(a, b)` over header-delimited framing
//! (`Content-Length: N\r\n\r\n`), one task per client. A StreamJsonRpc client
//! (`jsonRpc.Attach<ICalculator>().Add(5, 3)`), vscode-jsonrpc's `sendRequest("Add", 5, 3)` or
//! `jsonrpc_calculator_client` gets `8`.
//!
//! ```text
//! cargo run --features tokio --example jsonrpc_calculator_server -- pipe:jsonrpc-pipe
//! ```
//!
//! Prints `listening on ADDRESS` once the pipe exists.
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the jsonrpc_calculator_server example runs on Unix only");
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
#[path = "common/calculator.rs"]
mod calculator;

#[cfg(unix)]
mod app {

    use super::address;
    use super::calculator;

    use address::Address;
    use pipeframe::named::tokio::Listener;

    #[tokio::main]
    pub(crate) async fn main() -> std::io::Result<()> {
        let (addr, _) = Address::from_args("jsonrpc_calculator_server ADDRESS");
        let report = |r: std::io::Result<()>| {
            if let Err(e) = r {
                eprintln!("connection: {e}");
            }
        };
        match addr {
            Address::Pipe(name) => {
                let listener = Listener::bind(&name)?;
                println!("listening on {name}");
                let serve = listener.serve(move |conn| async move {
                    report(calculator::serve_connection(conn).await)
                });
                // Ctrl-C: return, dropping the listener, which removes the socket file.
                tokio::select! {
                    r = serve => r,
                    _ = tokio::signal::ctrl_c() => Ok(()),
                }
            }
            Address::Tcp(host_port) => {
                let listener = tokio::net::TcpListener::bind(&host_port).await?;
                println!("listening on tcp:{}", listener.local_addr()?);
                loop {
                    let (conn, _) = listener.accept().await?;
                    tokio::spawn(async move { report(calculator::serve_connection(conn).await) });
                }
            }
        }
    }
}
