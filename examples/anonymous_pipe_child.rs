//! A parent and a child over an anonymous pipe, after the "Pipes" article's
//! `AnonymousPipeServerStream` example: the parent passes the child's handle as an argument,
//! sends it console lines, and `exit` ends the child.
//!
//! ```text
//! cargo run --example anonymous_pipe_child          # type lines; `exit` or end of input ends
//! printf 'hello\nworld\nexit\n' | cargo run --example anonymous_pipe_child
//! ```
//!
//! The example runs itself again as the child (`anonymous_pipe_child child <handle>`), on Unix
//! and Windows alike: the handle string is a descriptor number on Unix and a handle value on
//! Windows, what .NET's `GetClientHandleAsString()` gives there. There is no
//! `DisposeLocalCopyOfClientHandle` to forget: spawning closes the parent's copy. End of input
//! is Ctrl-D on Unix, Ctrl-Z then Enter on Windows.

use std::io::{self, BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pipeframe::codec::Delimited;
use pipeframe::pipe::{self, ClientHandle};
use pipeframe::sync::FrameWriter;

fn parent() -> io::Result<()> {
    // AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable)
    let (tx, child_end) = pipe::to_child()?;
    let handle = child_end.handle_string(); // GetClientHandleAsString()
    println!("Server initialized with Client Handle: {handle}");
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["child", &handle])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = child_end.spawn(&mut cmd)?; // and the parent's copy is closed
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let relays = [
        std::thread::spawn(move || relay(out, "[CLIENT OUT]")),
        std::thread::spawn(move || relay(err, "[CLIENT ERR]")),
    ];

    let mut w = FrameWriter::with_high_water(0, tx, Delimited::lines()); // AutoFlush
    let mut lines = io::stdin().lock().lines();
    loop {
        let message = lines.next().transpose()?.unwrap_or_else(|| "exit".into());
        w.write_frame(message.as_bytes())?;
        w.flush()?;
        if message == "exit" {
            break;
        }
    }
    drop(w);
    println!("Server finished");

    let deadline = Instant::now() + Duration::from_secs(3);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            println!("Forcing client to close");
            child.kill()?;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait()?;
    for r in relays {
        let _ = r.join();
    }
    Ok(())
}

fn relay(from: impl io::Read, tag: &str) {
    for line in BufReader::new(from).lines().map_while(Result::ok) {
        if !line.is_empty() {
            println!("{tag}: {line}");
        }
    }
}

fn child(handle: &str) -> io::Result<()> {
    println!("Client handle: {handle}");
    // AnonymousPipeClientStream(PipeDirection.In, handle)
    let mut r = ClientHandle::parse(handle)?.frame_reader(Delimited::lines())?;
    println!("Client initialized");
    while let Some(line) = r.read_str()? {
        if line == "exit" {
            println!("Connection closed");
            break;
        }
        println!("The server says: {line}");
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("child") => child(args.get(2).map(String::as_str).unwrap_or("")).inspect_err(|e| {
            eprintln!("{e}");
        }),
        _ => parent(),
    }
}
