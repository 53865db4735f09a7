//! One-way named pipe, after "Using named pipes for interprocess communication in C#": the
//! server sends each console line to the client, which logs it.
//!
//! ```text
//! cargo run --example named_pipe_oneway -- client   # first, as in the article: it waits
//! cargo run --example named_pipe_oneway -- server   # then type lines; Ctrl-D ends
//! cargo run --example named_pipe_oneway             # both: the client runs as a child process
//! ```
//!
//! The pipe is `PipeName::new("testpipe")`, i.e. `/tmp/CoreFxPipe_testpipe`: a .NET
//! `NamedPipeClientStream(".", "testpipe", PipeDirection.In)` reading with `StreamReader`
//! can take the client's place.
// The example runs on Unix (its transports are Unix sockets and pipes); on other systems it
// only says so.
#[cfg(not(unix))]
fn main() {
    eprintln!("the named_pipe_oneway example runs on Unix only");
}

#[cfg(unix)]
#[allow(unused_imports)]
use app::main;
#[cfg(unix)]
#[allow(unused_imports)]
pub(crate) use app::*;

#[cfg(unix)]
mod app {

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

    pub(crate) fn main() -> io::Result<()> {
        let name = PipeName::new("testpipe")?;
        match std::env::args().nth(1).as_deref() {
            Some("server") => server(&name),
            Some("client") => client(&name),
            _ => {
                let mut child = Command::new(std::env::current_exe()?)
                    .arg("client")
                    .spawn()?;
                server(&name)?;
                child.wait()?;
                Ok(())
            }
        }
    }
}
