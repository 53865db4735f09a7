//! A smol client for examples/tokio_echo_server.rs: sends each argument as a frame, prints
//! the replies.
//!
//! ```sh
//! cargo run --example smol_client --features futures-io -- /tmp/echo.sock lines hello world
//! ```
//!
//! Sending and receiving run at once over two halves of one socket (`&Async<UnixStream>`
//! reads and writes), so a long run of messages never deadlocks on full socket buffers.
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the smol_client example runs on Unix only");
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
    use std::net::Shutdown;
    use std::os::unix::net::UnixStream;

    use async_io::Async;
    use bytes::Bytes;
    use pipeframe::codec::Framing;
    use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};

    pub(crate) fn main() {
        if let Err(e) = run() {
            eprintln!("smol_client: {e}");
            std::process::exit(1);
        }
    }

    fn run() -> io::Result<()> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [path, framing, messages @ ..] = &args[..] else {
            eprintln!("usage: smol_client SOCKET_PATH FRAMING MESSAGE...");
            std::process::exit(2);
        };
        let framing: Framing = framing
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        smol::block_on(async {
            let stream = Async::<UnixStream>::connect(path)
                .await
                .map_err(|e| io::Error::new(e.kind(), format!("cannot connect to {path}: {e}")))?;
            for reply in exchange(&stream, framing, messages).await? {
                println!("{}", String::from_utf8_lossy(&reply));
            }
            Ok(())
        })
    }

    /// Sends `messages` as frames while reading the replies, until the server closes.
    pub(crate) async fn exchange(
        stream: &Async<UnixStream>,
        framing: Framing,
        messages: &[String],
    ) -> io::Result<Vec<Bytes>> {
        let mut writer = AsyncFrameWriter::new(stream, framing.clone());
        let mut reader = AsyncFrameReader::new(stream, framing);
        let send = async {
            for m in messages {
                writer.write_frame(m.as_bytes()).await?;
            }
            writer.flush().await?;
            // The server sees the end of our frames, echoes the rest, then closes.
            stream.get_ref().shutdown(Shutdown::Write)
        };
        let recv = async {
            let mut replies = Vec::new();
            while let Some(reply) = reader.read_frame().await? {
                replies.push(reply);
            }
            io::Result::Ok(replies)
        };
        let (sent, replies) = futures_lite::future::zip(send, recv).await;
        sent?;
        replies
    }
}
