//! An echo server on tokio: every frame a client sends comes back.
//!
//! ```sh
//! cargo run --example tokio_echo_server --features tokio -- pipe:echo lines
//! # in another shell (see examples/smol_client.rs):
//! cargo run --example smol_client --features futures-io -- pipe:echo lines hello world
//! ```
//!
//! `ADDRESS` is `pipe:NAME` (a named pipe: `$TMPDIR/CoreFxPipe_NAME` on Unix,
//! `\\.\pipe\NAME` on Windows), `unix:PATH` (a Unix socket file, Unix only) or
//! `tcp:HOST:PORT`. The framing is chosen by name (`lines`, `lp32le`, `lsp`, `netstring`, ...;
//! see `pipeframe::codec::Framing`). Each connection reads and writes from its own halves.
//! Prints `listening on ADDRESS, FRAMING framing` once clients can connect.

#[path = "common/address.rs"]
mod address;

use std::io;

use address::Address;
use pipeframe::codec::Framing;
use pipeframe::named::tokio::Listener;
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
use tokio::io::{AsyncRead, AsyncWrite};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("tokio_echo_server: {e}");
        std::process::exit(1);
    }
}

async fn run() -> io::Result<()> {
    let usage = "tokio_echo_server ADDRESS [FRAMING]  (FRAMING defaults to lines)";
    let (addr, rest) = Address::from_args(usage);
    let framing: Framing = match rest.as_slice() {
        [] => "lines",
        [framing] => framing.as_str(),
        _ => {
            eprintln!("usage: {usage}");
            std::process::exit(2);
        }
    }
    .parse()
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    match addr {
        Address::Pipe(name) => {
            let listener = Listener::bind(&name)?;
            println!("listening on {name}, {framing} framing");
            serve_pipe(listener, framing).await
        }
        Address::Tcp(host_port) => {
            let listener = tokio::net::TcpListener::bind(&host_port).await?;
            println!(
                "listening on tcp:{}, {framing} framing",
                listener.local_addr()?
            );
            loop {
                let (stream, _) = listener.accept().await?;
                tokio::spawn(echo_reporting(stream, framing.clone()));
            }
        }
    }
}

/// Accepts pipe clients for ever, echoing to each concurrently.
pub(crate) async fn serve_pipe(listener: Listener, framing: Framing) -> io::Result<()> {
    listener
        .serve(|stream| echo_reporting(stream, framing.clone()))
        .await
}

async fn echo_reporting<S: AsyncRead + AsyncWrite>(stream: S, framing: Framing) {
    if let Err(e) = echo(stream, framing).await {
        eprintln!("client: {e}");
    }
}

/// Sends every frame back until the client closes its side, then closes ours.
pub(crate) async fn echo<S: AsyncRead + AsyncWrite>(stream: S, framing: Framing) -> io::Result<()> {
    let (rd, wr) = tokio::io::split(stream);
    let mut frames = AsyncFrameReader::new(rd, framing.clone());
    let mut replies = AsyncFrameWriter::new(wr, framing);
    // Borrowed frames: no allocation per frame on the way through.
    while let Some(frame) = frames.read_frame_ref().await? {
        replies.write_frame(frame).await?;
        replies.flush().await?;
    }
    replies.close().await
}
