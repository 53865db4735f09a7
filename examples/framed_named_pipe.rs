//! A framed named-pipe server and many clients on tokio, speaking the .NET protocol of the
//! "Pipes" articles: every message is a `BinaryWriter.Write(int)` length (signed 32-bit
//! little-endian) then that many bytes of UTF-8, both ways. tokio-util's `Framed` with
//! `LengthPrefixed::dotnet()` does the framing; a .NET client with `BinaryReader`/`BinaryWriter`
//! on a `NamedPipeClientStream` talks to this server unchanged.
//!
//! ```text
//! cargo run --example framed_named_pipe --features tokio -- server   # serve until Ctrl-C
//! cargo run --example framed_named_pipe --features tokio             # server + 20 clients
//! cargo run --example framed_named_pipe --features tokio -- --pipe NAME   # on pipe NAME
//! ```
//!
//! The server listens on `PipeName::new("pipeframe-framed-demo")`
//! (`$TMPDIR/CoreFxPipe_pipeframe-framed-demo` on Unix, `\\.\pipe\pipeframe-framed-demo` on
//! Windows, where a .NET client's `NamedPipeClientStream("pipeframe-framed-demo")` looks); the
//! demo uses a name of its own with its process id in it, and `--pipe NAME` sets either. The
//! server greets each client, answers each request with `Echo: request`, and ends the
//! conversation on `exit`. `Framed::new` takes whatever `named::tokio` hands out (any tokio
//! `AsyncRead + AsyncWrite`).

#[path = "common/pipe_arg.rs"]
mod pipe_arg;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::StreamExt;
use futures_sink::Sink;
use pipeframe::bytes::Bytes;
use pipeframe::codec::LengthPrefixed;
use pipeframe::named::{PipeName, tokio::Listener, tokio::connect_timeout};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::Framed;

/// `futures::SinkExt::send`, written out (this example needs no `futures` crate).
async fn send<S>(sink: &mut S, frame: impl Into<Bytes>) -> io::Result<()>
where
    S: Sink<Bytes, Error = io::Error> + Unpin,
{
    let frame = frame.into();
    std::future::poll_fn(|cx| Pin::new(&mut *sink).poll_ready(cx)).await?;
    Pin::new(&mut *sink).start_send(frame)?;
    std::future::poll_fn(|cx| Pin::new(&mut *sink).poll_flush(cx)).await
}

/// One client's conversation on the server side.
async fn handle_client<S: AsyncRead + AsyncWrite + Unpin>(stream: S, id: usize) -> io::Result<()> {
    let mut framed = Framed::new(stream, LengthPrefixed::dotnet());
    send(&mut framed, format!("Welcome, client #{id}!")).await?;
    while let Some(request) = framed.next().await {
        let request = request?;
        let text = String::from_utf8_lossy(&request);
        if text == "exit" {
            break;
        }
        send(&mut framed, format!("Echo: {text}")).await?;
    }
    Ok(()) // dropping `framed` closes the connection: the client sees the end of the stream
}

async fn server(listener: Listener) -> io::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = listener.accept().await?;
        let id = next.fetch_add(1, Ordering::Relaxed) + 1;
        tokio::spawn(async move {
            if let Err(e) = handle_client(stream, id).await {
                eprintln!("client #{id}: {e}");
            }
        });
    }
}

/// A client: the greeting, three requests and their answers, `exit`, then the end of stream.
async fn client(name: PipeName, n: usize) -> io::Result<()> {
    let stream = connect_timeout(&name, Duration::from_secs(10)).await?;
    let mut framed = Framed::new(stream, LengthPrefixed::dotnet());
    let hello = framed.next().await.expect("a greeting")?;
    assert!(hello.starts_with(b"Welcome, client #"), "{hello:?}");
    for i in 0..3 {
        let request = format!("request {i} from client {n}");
        send(&mut framed, request.clone()).await?;
        let reply = framed.next().await.expect("a reply")?;
        assert_eq!(reply, format!("Echo: {request}").as_bytes());
    }
    send(&mut framed, "exit").await?;
    assert!(
        framed.next().await.is_none(),
        "the server closes after exit"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let pipe = pipe_arg::take_pipe_arg(&mut args)?;
    let serve_only = args.first().map(String::as_str) == Some("server");
    let name = PipeName::new(&pipe.unwrap_or_else(|| {
        if serve_only {
            "pipeframe-framed-demo".to_owned()
        } else {
            format!("pipeframe-framed-demo-{}", std::process::id())
        }
    }))?;
    let listener = Listener::bind(&name)?;
    println!("Serving framed .NET messages on {}", listener.name());
    if serve_only {
        return server(listener).await;
    }
    let server = tokio::spawn(server(listener));
    let clients: Vec<_> = (1..=20)
        .map(|n| tokio::spawn(client(name.clone(), n)))
        .collect();
    for c in clients {
        c.await.expect("client task")?;
    }
    println!("20 clients, 3 requests each: every answer came back framed");
    server.abort();
    Ok(())
}
