//! A multi-client named pipe server on tokio, after the "Pipes" article's
//! `ConcurrentNamedPipeServer`: one task per client, `Welcome, client #N!`, every line echoed
//! as `Echo: line` until `exit`, abrupt disconnects reported and survived.
//!
//! ```text
//! cargo run --example named_pipe_concurrent --features tokio -- server
//! cargo run --example named_pipe_concurrent --features tokio        # server + 3 demo clients
//! ```
//!
//! Unlike .NET, where one `NamedPipeServerStream` instance serves one client and a new one is
//! created for each, one listener accepts them all.
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the named_pipe_concurrent example runs on Unix only");
}

#[cfg(unix)]
#[allow(unused_imports)]
use app::main;
#[cfg(unix)]
#[allow(unused_imports)]
pub(crate) use app::*;

#[cfg(unix)]
mod app {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use pipeframe::named::PipeName;
    use pipeframe::named::tokio::{Listener, PipeStream, connect_timeout};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

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

    async fn server(listener: Listener) -> std::io::Result<()> {
        let next_id = Arc::new(AtomicUsize::new(0));
        println!("Waiting for client connections on {}...", listener.name());
        listener
            .serve(move |stream| {
                let id = next_id.fetch_add(1, Ordering::Relaxed) + 1;
                match stream.peer_credentials() {
                    Ok(p) => println!(
                        "Client #{id} connected (pid {:?}, uid {}).",
                        p.pid(),
                        p.uid()
                    ),
                    Err(_) => println!("Client #{id} connected."),
                }
                handle_client(stream, id)
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
                // Vanish mid-conversation, unread data in flight: the server sees a reset.
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
    pub(crate) async fn main() -> std::io::Result<()> {
        let name = PipeName::new("concurrent-pipe")?;
        let listener = Listener::bind(&name)?;
        if std::env::args().nth(1).as_deref() == Some("server") {
            return server(listener).await;
        }
        let srv = tokio::spawn(server(listener));
        let clients: Vec<_> = (1..=3)
            .map(|n| tokio::spawn(demo_client(name.clone(), n, n == 2)))
            .collect();
        for c in clients {
            c.await.expect("client task")?;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // let the server log the endings
        srv.abort(); // dropping the listener removes the socket file
        Ok(())
    }
}
