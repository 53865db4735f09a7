//! An echo server on a Unix socket, on tokio: every frame a client sends comes back.
//!
//! ```sh
//! cargo run --example tokio_echo_server --features tokio -- /tmp/echo.sock lines
//! # in another shell (see examples/smol_client.rs):
//! cargo run --example smol_client --features futures-io -- /tmp/echo.sock lines hello world
//! ```
//!
//! The framing is chosen by name (`lines`, `lp32le`, `lsp`, `netstring`, ...; see
//! `pipeframe::codec::Framing`). Each connection reads and writes from its own split halves.
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the tokio_echo_server example runs on Unix only");
}

#[cfg(unix)]
#[allow(unused_imports)]
use app::main;
#[cfg(unix)]
#[allow(unused_imports)]
pub(crate) use app::*;

#[cfg(unix)]
mod app {

    use std::io;

    use pipeframe::codec::Framing;
    use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
    use tokio::net::{UnixListener, UnixStream};

    #[tokio::main]
    pub(crate) async fn main() {
        if let Err(e) = run().await {
            eprintln!("tokio_echo_server: {e}");
            std::process::exit(1);
        }
    }

    async fn run() -> io::Result<()> {
        let mut args = std::env::args().skip(1);
        let (Some(path), framing) = (args.next(), args.next()) else {
            eprintln!(
                "usage: tokio_echo_server SOCKET_PATH [FRAMING]  (FRAMING defaults to lines)"
            );
            std::process::exit(2);
        };
        let framing: Framing = framing
            .as_deref()
            .unwrap_or("lines")
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = UnixListener::bind(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {path}: {e}")))?;
        eprintln!("echo server on {path}, {framing} framing");
        serve(listener, framing).await
    }

    /// Accepts clients for ever, one task each.
    pub(crate) async fn serve(listener: UnixListener, framing: Framing) -> io::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let framing = framing.clone();
            tokio::spawn(async move {
                if let Err(e) = echo(stream, framing).await {
                    eprintln!("client: {e}");
                }
            });
        }
    }

    /// Sends every frame back until the client closes its side, then closes ours.
    pub(crate) async fn echo(stream: UnixStream, framing: Framing) -> io::Result<()> {
        let (rd, wr) = stream.into_split();
        let mut frames = AsyncFrameReader::new(rd, framing.clone());
        let mut replies = AsyncFrameWriter::new(wr, framing);
        // Borrowed frames: no allocation per frame on the way through.
        while let Some(frame) = frames.read_frame_ref().await? {
            replies.write_frame(frame).await?;
            replies.flush().await?;
        }
        replies.close().await
    }
}
