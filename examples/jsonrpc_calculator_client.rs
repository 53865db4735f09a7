//! The articles' StreamJsonRpc calculator client (`jsonRpc.Attach<ICalculator>()` then
//! `calculator.Add(5, 3)`): sends JSON-RPC 2.0 `{"method": "Add", "params": [5, 3]}` over
//! header-delimited framing and prints the result. Waits up to 5 s for the server.
//!
//! ```text
//! cargo run --features tokio --example jsonrpc_calculator_client -- pipe:jsonrpc-pipe
//! Result of the RPC call: 5 + 3 = 8
//! ```
//!
//! `jsonrpc_calculator_client ADDRESS [A B]` adds other numbers. `ADDRESS` is `pipe:NAME`
//! (`$TMPDIR/CoreFxPipe_NAME` on Unix, `\\.\pipe\NAME` on Windows), `unix:PATH` (Unix only)
//! or `tcp:HOST:PORT`.

#[path = "common/address.rs"]
mod address;
#[path = "common/calculator.rs"]
mod calculator;

use std::time::Duration;

use address::Address;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let usage = "jsonrpc_calculator_client ADDRESS [A B]";
    let (addr, rest) = Address::from_args(usage);
    let (a, b) = match rest.as_slice() {
        [] => (5, 3),
        [a, b] => match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                eprintln!("A and B must be 32-bit integers\nusage: {usage}");
                std::process::exit(2)
            }
        },
        _ => {
            eprintln!("usage: {usage}");
            std::process::exit(2)
        }
    };
    let result = match addr {
        Address::Pipe(name) => {
            let conn =
                pipeframe::named::tokio::connect_timeout(&name, Duration::from_secs(5)).await?;
            calculator::add(conn, a, b).await?
        }
        Address::Tcp(host_port) => {
            calculator::add(tokio::net::TcpStream::connect(host_port).await?, a, b).await?
        }
    };
    println!("Result of the RPC call: {a} + {b} = {result}");
    Ok(())
}
