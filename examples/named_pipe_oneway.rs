//! One-way named pipe, after "Using named pipes for interprocess communication in C#": the
//! server sends each console line to the client, which logs it.
//!
//! ```text
//! cargo run --example named_pipe_oneway -- client   # first, as in the article: it waits
//! cargo run --example named_pipe_oneway -- server   # then type lines; end of input ends
//! cargo run --example named_pipe_oneway             # both: the client runs as a child process
//! cargo run --example named_pipe_oneway -- --pipe other   # any of these on another pipe
//! ```
//!
//! The pipe is `PipeName::new("testpipe")`: `$TMPDIR/CoreFxPipe_testpipe` on Unix,
//! `\\.\pipe\testpipe` on Windows, where a .NET
//! `NamedPipeClientStream(".", "testpipe", PipeDirection.In)` reading with `StreamReader`
//! looks on each, so it can take the client's place. End of input is Ctrl-D on Unix, Ctrl-Z
//! then Enter on Windows.

#[path = "common/pipe_arg.rs"]
mod pipe_arg;

use std::io::{self, BufRead};
use std::process::Command;
use std::time::Duration;

use pipeframe::codec::Delimited;
use pipeframe::named::{self, Listener, PipeName};
use pipeframe::sync::{FrameReader, FrameWriter};

fn server(name: &PipeName) -> io::Result<()> {
    let listener = Listener::bind(name)?; // NamedPipeServerStream("testpipe", PipeDirection.Out)
    eprintln!("server: waiting for a client on {name}");
    let stream = listener.accept()?; // WaitForConnectionAsync
    // StreamWriter { AutoFlush = true } + WriteLine: a line frame, flushed each time.
    let mut w = FrameWriter::with_high_water(0, stream, Delimited::lines());
    for line in io::stdin().lock().lines() {
        w.write_frame(line?.as_bytes())?;
        w.flush()?;
    }
    w.finish()?; // dropped: the client reads end of stream
    Ok(())
}

fn client(name: &PipeName) -> io::Result<()> {
    // NamedPipeClientStream + Connect(): wait for the server to appear.
    let stream = named::connect_timeout(name, Duration::from_secs(60))?;
    let mut r = FrameReader::new(stream, Delimited::lines()); // StreamReader.ReadLine
    while let Some(line) = r.read_str()? {
        println!("Received from server: {line}");
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let (pipe, name) = pipe_arg::take_pipe_name(&mut args, "testpipe")?;
    match args.first().map(String::as_str) {
        Some("server") => server(&name),
        Some("client") => client(&name),
        _ => {
            let mut child = Command::new(std::env::current_exe()?)
                .args(["client", "--pipe", &pipe])
                .spawn()?;
            server(&name)?;
            let status = child.wait()?;
            if !status.success() {
                return Err(io::Error::other(format!("client: {status}")));
            }
            Ok(())
        }
    }
}
