//! HTTP client over a named pipe: `GET PATH`, then prints the status line's code and reason
//! and the body. The URI's host is a placeholder: hyper-util's `Client` with pipeframe's
//! `PipeConnector` opens the pipe whatever it says, as .NET's `ConnectCallback` does.
//!
//! ```text
//! cargo run --features tower --example http_client -- pipe:my-pipe-name /
//! 200 OK
//! hello from pipeframe over HTTP/1.1
//! ```
//!
//! `ADDRESS` is `pipe:NAME` (`$TMPDIR/CoreFxPipe_NAME` on Unix, `\\.\pipe\NAME` on Windows),
//! `unix:PATH` (Unix only) or `tcp:HOST:PORT`; `http_server` or Kestrel on
//! `http://pipe:/NAME` answers. The connector waits up to 5 s for a server that is not up yet.

#[path = "common/address.rs"]
mod address;

use address::Address;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pipeframe::transport::PipeConnector;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let usage = "http_client ADDRESS PATH";
    let (addr, rest) = Address::from_args(usage);
    let [path] = <[String; 1]>::try_from(rest).unwrap_or_else(|_| {
        eprintln!("usage: {usage}");
        std::process::exit(2)
    });
    let builder = Client::builder(TokioExecutor::new());
    let response = match addr {
        Address::Pipe(pipe) => {
            let client = builder.build::<_, Empty<Bytes>>(PipeConnector::new(pipe));
            client
                .get(format!("http://localhost{path}").parse()?)
                .await?
        }
        Address::Tcp(host_port) => {
            let client = builder.build::<_, Empty<Bytes>>(HttpConnector::new());
            client
                .get(format!("http://{host_port}{path}").parse()?)
                .await?
        }
    };
    println!("{}", response.status());
    let body = response.into_body().collect().await?.to_bytes();
    print!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
