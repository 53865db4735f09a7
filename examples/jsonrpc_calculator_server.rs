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
//! `ADDRESS` is `pipe:NAME` (`$TMPDIR/CoreFxPipe_NAME` on Unix, `\\.\pipe\NAME` on Windows,
//! where .NET's `NamedPipeServerStream("NAME")` listens), `unix:PATH` (Unix only) or
//! `tcp:HOST:PORT`. Prints `listening on ADDRESS` once the pipe exists.

#[path = "common/address.rs"]
mod address;
#[path = "common/calculator.rs"]
mod calculator;

use address::Address;
use pipeframe::named::tokio::Listener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
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
            let serve = listener
                .serve(move |conn| async move { report(calculator::serve_connection(conn).await) });
            // Ctrl-C: return, dropping the listener, which closes the pipe (on Unix, removes
            // the socket file).
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
