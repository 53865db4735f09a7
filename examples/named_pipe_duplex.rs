//! Duplex request/reply over a named pipe, after the "Pipes" article (`NamedPipe`, InOut): the
//! client says `READY`, the server answers `Welcome`; then every console line goes to the
//! server, which answers `Message received`, until `exit` (answered with a goodbye).
//!
//! ```text
//! cargo run --example named_pipe_duplex -- server
//! cargo run --example named_pipe_duplex -- client        # type lines, `exit` ends
//! cargo run --example named_pipe_duplex -- --binary ...  # BinaryWriter framing instead
//! cargo run --example named_pipe_duplex -- --pipe other ...   # another pipe than NamedPipe
//! printf 'hi\nexit\n' | cargo run --example named_pipe_duplex  # both, server as a child
//! ```
//!
//! The pipe is `PipeName::new("NamedPipe")`: `$TMPDIR/CoreFxPipe_NamedPipe` on Unix,
//! `\\.\pipe\NamedPipe` on Windows, where the article's .NET client looks on each.
//! Lines by default (`StreamReader`/`StreamWriter`); with `--binary`, the article's byte-mode
//! protocol: `BinaryWriter.Write(int)` (4-byte little-endian length) then the bytes.

#[path = "common/pipe_arg.rs"]
mod pipe_arg;

use std::io::{self, BufRead};
use std::process::{Command, Stdio};
use std::time::Duration;

use pipeframe::codec::{Delimited, Framing, LengthPrefixed};
use pipeframe::named::{self, Listener, PipeName};

fn codec(binary: bool) -> Framing {
    if binary {
        LengthPrefixed::dotnet().into()
    } else {
        Delimited::lines().into()
    }
}

fn server(name: &PipeName, binary: bool) -> io::Result<()> {
    let listener = Listener::bind(name)?;
    println!("Server started");
    let stream = listener.accept()?;
    println!("Connection with the client established");
    let mut s = stream.framed(codec(binary))?;
    if s.read_frame()?.as_deref() == Some(b"READY") {
        s.write_frame(b"Welcome")?;
    }
    while let Some(msg) = s.read_frame()? {
        if &msg[..] == b"exit" {
            s.write_frame(b"Thank you for the connection. Bye!")?;
            println!("Closing the connection");
            break;
        }
        println!("{}", String::from_utf8_lossy(&msg));
        s.write_frame(b"Message received")?;
    }
    Ok(())
}

fn client(name: &PipeName, binary: bool) -> io::Result<()> {
    let stream = named::connect_timeout(name, Duration::from_secs(60))?;
    println!("Client connected to the server");
    let mut s = stream.framed(codec(binary))?;
    s.write_frame(b"READY")?;
    let first = s.read_frame()?.unwrap_or_default();
    println!(
        "Connected with the message: {}",
        String::from_utf8_lossy(&first)
    );
    let mut lines = io::stdin().lock().lines();
    loop {
        let message = lines.next().transpose()?.unwrap_or_else(|| "exit".into());
        s.write_frame(message.as_bytes())?;
        let Some(reply) = s.read_frame()? else { break };
        println!("The server replies: {}", String::from_utf8_lossy(&reply));
        if message == "exit" {
            break;
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let (pipe, name) = pipe_arg::take_pipe_name(&mut args, "NamedPipe")?;
    let binary = args.iter().any(|a| a == "--binary");
    let role = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str);
    match role {
        Some("server") => server(&name, binary),
        Some("client") => client(&name, binary),
        _ => {
            let mut cmd = Command::new(std::env::current_exe()?);
            cmd.args(["server", "--pipe", &pipe]);
            if binary {
                cmd.arg("--binary");
            }
            let mut srv = cmd.stdin(Stdio::null()).spawn()?;
            client(&name, binary)?;
            let status = srv.wait()?;
            if !status.success() {
                return Err(io::Error::other(format!("server: {status}")));
            }
            Ok(())
        }
    }
}
