//! A multi-client named pipe server on tokio, after the "Pipes" article's
//! `ConcurrentNamedPipeServer`: one task per client, `Welcome, client #N!`, every line echoed
//! as `Echo: line` until `exit`, abrupt disconnects reported and survived.
//!
//! ```text
//! cargo run --example named_pipe_concurrent --features tokio -- server
//! cargo run --example named_pipe_concurrent --features tokio        # server + 3 demo clients
//! cargo run --example named_pipe_concurrent --features tokio -- --pipe other   # another pipe
//! ```
//!
//! The pipe is `PipeName::new("concurrent-pipe")`: `$TMPDIR/CoreFxPipe_concurrent-pipe` on
//! Unix, `\\.\pipe\concurrent-pipe` on Windows. Each client's pid and user (uid on Unix, SID
//! on Windows) are printed when it connects. Unlike .NET, where one `NamedPipeServerStream`
//! instance serves one client and a new one is created for each, one listener accepts them
//! all. The demo ends once the server has finished with all three clients.

#[path = "common/peer.rs"]
mod peer;
#[path = "common/pipe_arg.rs"]
mod pipe_arg;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pipeframe::named::PipeName;
use pipeframe::named::tokio::{Listener, PipeStream, connect_timeout};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

const DEMO_CLIENTS: usize = 3;

async fn handle_client(stream: PipeStream, id: usize) {
    println!("Handling client #{id}.");
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    let result: std::io::Result<()> = async {
        w.write_all(format!("Welcome, client #{id}!\n").as_bytes())
            .await?;
        while let Some(line) = lines.next_line().await? {
            println!("Client #{id} says: {line}");
            if line.eq_ignore_ascii_case("exit") {
                break;
            }
            w.write_all(format!("Echo: {line}\n").as_bytes()).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        println!("Client #{id} has disconnected abruptly ({e}).");
    }
    println!("Communication with client #{id} finished.");
}

/// Serves until an accept fails; each finished client's id goes to `finished` if given.
async fn server(
    listener: Listener,
    finished: Option<mpsc::UnboundedSender<usize>>,
) -> std::io::Result<()> {
    let next_id = Arc::new(AtomicUsize::new(0));
    println!("Waiting for client connections on {}...", listener.name());
    listener
        .serve(move |stream| {
            let id = next_id.fetch_add(1, Ordering::Relaxed) + 1;
            match stream.peer_credentials() {
                Ok(p) => println!("Client #{id} connected ({}).", peer::describe(&p)),
                Err(_) => println!("Client #{id} connected."),
            }
            let finished = finished.clone();
            async move {
                handle_client(stream, id).await;
                if let Some(finished) = finished {
                    let _ = finished.send(id);
                }
            }
        })
        .await
}

async fn demo_client(name: PipeName, n: usize, abrupt: bool) -> std::io::Result<()> {
    let stream = connect_timeout(&name, Duration::from_secs(10)).await?;
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    println!(
        "[client {n}] {}",
        lines.next_line().await?.unwrap_or_default()
    );
    for i in 0..3 {
        w.write_all(format!("message {i} from demo client {n}\n").as_bytes())
            .await?;
        if abrupt && i == 1 {
            // Vanish mid-conversation, perhaps with an answer unread: the server sees the
            // connection end (on Unix a reset if an answer was unread) and goes on.
            drop(w);
            drop(lines);
            return Ok(());
        }
        println!(
            "[client {n}] {}",
            lines.next_line().await?.unwrap_or_default()
        );
    }
    w.write_all(b"exit\n").await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let (_, name) = pipe_arg::take_pipe_name(&mut args, "concurrent-pipe")?;
    let listener = Listener::bind(&name)?;
    if args.first().map(String::as_str) == Some("server") {
        return server(listener, None).await;
    }
    let (finished_tx, mut finished) = mpsc::unbounded_channel();
    let srv = tokio::spawn(server(listener, Some(finished_tx)));
    let clients: Vec<_> = (1..=DEMO_CLIENTS)
        .map(|n| tokio::spawn(demo_client(name.clone(), n, n == 2)))
        .collect();
    for c in clients {
        c.await.expect("client task")?;
    }
    // Wait for the server's side of every conversation to end, so all of it is printed.
    for _ in 0..DEMO_CLIENTS {
        if finished.recv().await.is_none() {
            break; // the server stopped: its error comes from `srv` below
        }
    }
    if srv.is_finished() {
        return srv.await.expect("server task");
    }
    srv.abort(); // dropping the listener closes the pipe (on Unix, removes the socket file)
    Ok(())
}
