//! Two anonymous pipes to one child through one `spawn`: the parent sends requests on one, the
//! child answers on the other, and each side learns the end of the stream from the other.
//!
//! ```text
//! cargo run --example duplex_child
//! ```
//!
//! The example runs itself again as the child (`duplex_child child <read> <write>`), passing
//! the two handles as arguments (descriptor numbers on Unix, handle values on Windows), as
//! .NET passes `GetClientHandleAsString()`. `pipe::spawn` hands both ends over and closes the
//! parent's copies, so the parent's end of each pipe sees the end of the stream when the
//! child's side closes, and the other way round.

use std::io;
use std::process::Command;

use pipeframe::codec::LengthPrefixed;
use pipeframe::pipe::{self, ClientHandle};
use pipeframe::sync::{FrameReader, FrameWriter};

fn parent() -> io::Result<()> {
    let (requests, child_reads) = pipe::to_child()?; // parent writes, child reads
    let (answers, child_writes) = pipe::from_child()?; // child writes, parent reads
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args([
        "child",
        &child_reads.handle_string(),
        &child_writes.handle_string(),
    ]);
    let mut child = pipe::spawn(&mut cmd, [child_reads, child_writes])?;

    let mut w = FrameWriter::new(requests, LengthPrefixed::u32_le());
    for word in ["one", "two", "three"] {
        w.write_frame(word.as_bytes())?;
    }
    // Closing our end of the request pipe is the child's end of stream.
    w.finish()?;

    let mut r = FrameReader::new(answers, LengthPrefixed::u32_le());
    let mut got = Vec::new();
    while let Some(answer) = r.read_frame()? {
        println!("parent got: {}", String::from_utf8_lossy(&answer));
        got.push(answer);
    }
    // `None`: the child closed its end of the answer pipe (it exited).
    assert_eq!(got, ["ONE", "TWO", "THREE", "bye after 3 requests"]);
    let status = child.wait()?;
    assert!(status.success(), "child: {status}");
    println!("both directions done, child exited with {status}");
    Ok(())
}

fn child(read: &str, write: &str) -> io::Result<()> {
    let mut r = ClientHandle::parse(read)?.frame_reader(LengthPrefixed::u32_le())?;
    let mut w = ClientHandle::parse(write)?.frame_writer(LengthPrefixed::u32_le())?;
    let mut n = 0;
    while let Some(request) = r.read_frame()? {
        n += 1;
        w.write_frame(&request.to_ascii_uppercase())?;
        w.flush()?;
    }
    // The parent closed its end: say goodbye, then close ours (the parent's end of stream).
    w.write_frame(format!("bye after {n} requests").as_bytes())?;
    w.finish()?;
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("child") if args.len() == 4 => child(&args[2], &args[3]),
        _ => parent(),
    }
}
