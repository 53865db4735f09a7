//! The articles' StreamJsonRpc calculator client (`jsonRpc.Attach<ICalculator>()` then
//! `calculator.Add(5, 3)`): sends JSON-RPC 2.0 `{"method": "Add", "params": [5, 3]}` over
//! header-delimited framing and prints the result. Waits up to 5 s for the server.
//!
//! ```text
//! cargo run --features tokio --example jsonrpc_calculator_client -- pipe:jsonrpc-pipe
//! Result of the RPC call: 5 + 3 = 8
//! ```
//!
//! `jsonrpc_calculator_client ADDRESS [A B]` adds other numbers.
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the jsonrpc_calculator_client example runs on Unix only");
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

    use std::time::Duration;

    use address::Address;

    #[tokio::main]
    pub(crate) async fn main() -> std::io::Result<()> {
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
}
