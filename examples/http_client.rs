//! HTTP client over a named pipe: `GET PATH`, then prints the status line's code and reason
//! and the body. The URI's host is a placeholder: hyper-util's `Client` with pipeframe's
//! `PipeConnector` opens the pipe whatever it says, as .NET's `ConnectCallback` does.
//!
//! ```text
//! cargo run --features tower --example http_client -- pipe:my-pipe-name /
//! 200 OK
//! hello from pipeframe over HTTP/1.1
//! ```
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the http_client example runs on Unix only");
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
mod app {

    use super::address;

    use address::Address;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;
    use pipeframe::transport::PipeConnector;

    #[tokio::main]
    pub(crate) async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
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
}
