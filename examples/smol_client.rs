//! A smol client for examples/tokio_echo_server.rs: sends each argument as a frame, prints
//! the replies, one a line.
//!
//! ```sh
//! cargo run --example smol_client --features futures-io -- pipe:echo lines hello world
//! ```
//!
//! `ADDRESS` is `pipe:NAME` (a named pipe: `$TMPDIR/CoreFxPipe_NAME` on Unix,
//! `\\.\pipe\NAME` on Windows; the client waits up to 5 s for the server), `unix:PATH` (a Unix
//! socket file, Unix only) or `tcp:HOST:PORT`.
//!
//! Sending and receiving run at once over two halves of the connection, so a long run of
//! messages never deadlocks on full pipe buffers. The client reads as many replies as it sent
//! frames, then closes: it cannot tell the server it is done sending and go on reading,
//! because a Windows named pipe has no half-close.

#[path = "common/address.rs"]
mod address;

use std::io;
use std::time::Duration;

use address::Address;
use bytes::Bytes;
use futures_lite::{AsyncRead, AsyncWrite};
use pipeframe::codec::Framing;
use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};
use pipeframe::named::futures_io::connect_timeout;

fn main() {
    if let Err(e) = run() {
        eprintln!("smol_client: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let usage = "smol_client ADDRESS FRAMING MESSAGE...";
    let (addr, args) = Address::from_args(usage);
    let [framing, messages @ ..] = &args[..] else {
        eprintln!("usage: {usage}");
        std::process::exit(2);
    };
    let framing: Framing = framing
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let replies = smol::block_on(async {
        match addr {
            Address::Pipe(name) => {
                let (rd, wr) = connect_timeout(&name, Duration::from_secs(5))
                    .await?
                    .into_split();
                exchange(rd, wr, framing, messages).await
            }
            Address::Tcp(host_port) => {
                let stream = smol::net::TcpStream::connect(&host_port)
                    .await
                    .map_err(|e| {
                        io::Error::new(e.kind(), format!("cannot connect to {host_port}: {e}"))
                    })?;
                exchange(stream.clone(), stream, framing, messages).await
            }
        }
    })?;
    for reply in replies {
        println!("{}", String::from_utf8_lossy(&reply));
    }
    Ok(())
}

/// Sends `messages` as frames on `writer` while reading as many replies from `reader`.
pub(crate) async fn exchange<R, W>(
    reader: R,
    writer: W,
    framing: Framing,
    messages: &[String],
) -> io::Result<Vec<Bytes>>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut writer = AsyncFrameWriter::new(writer, framing.clone());
    let mut reader = AsyncFrameReader::new(reader, framing);
    let send = async {
        for m in messages {
            writer.write_frame(m.as_bytes()).await?;
        }
        writer.flush().await
    };
    let recv = async {
        let mut replies = Vec::with_capacity(messages.len());
        while replies.len() < messages.len() {
            match reader.read_frame().await? {
                Some(reply) => replies.push(reply),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the server closed after {} of {} replies",
                            replies.len(),
                            messages.len()
                        ),
                    ));
                }
            }
        }
        Ok(replies)
    };
    let (sent, replies) = futures_lite::future::zip(send, recv).await;
    sent?;
    replies
}
