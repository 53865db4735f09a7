//! `listen` and `connect`: frames between an endpoint and the terminal.

use std::io::{self, BufWriter, Stdout, Write};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clap::Args;
use pipeframe::codec::{DEFAULT_MAX_FRAME_LEN, DecodeError, Delimited};
use pipeframe::frame_io::{Mode, WriteFrame};
use pipeframe::sync::FrameReader;

use crate::addr::Address;
use crate::auth::{self, Auth};
use crate::endpoint::{self, Conn, Listener};
use crate::escape::{Escape, write_frame_line};
use crate::{Failure, FramingOpts, hint};

// What `listen` and `connect` share: the address, its framing, how frames print.
#[derive(Debug, Args)]
struct EndpointArgs {
    /// pipe:NAME, tcp:HOST:PORT or - (stdin and stdout) everywhere; unix:PATH, abstract:NAME,
    /// seqpacket:PATH, fifo:PATH and fd:N (an inherited descriptor) on Unix; handle:N on
    /// Windows (an inherited pipe handle, in decimal, as .NET's GetClientHandleAsString()
    /// gives it). On Windows pipe:NAME is \\.\pipe\NAME; a named pipe has no half-close, so
    /// at the end of stdin connect waits until the server has read everything, then closes
    /// the connection (use --count N to wait for N frames back first).
    #[arg(value_parser = parse_addr)]
    addr: Address,
    #[command(flatten)]
    framing: FramingOpts,
    /// Print non-printable bytes (and '\') as \xNN.
    #[arg(long)]
    escape: bool,
    /// Authenticate each connection as Python's multiprocessing.connection does with
    /// authkey= (HMAC challenges both ways, {sha256} or legacy HMAC-MD5), with the key in
    /// FILE: its bytes exactly, a trailing newline included. Framing python by default.
    #[arg(long, value_name = "FILE")]
    authkey_file: Option<std::path::PathBuf>,
}

impl EndpointArgs {
    /// The framing, and the key when connections authenticate.
    fn framer(&self) -> Result<(Mode, Option<Auth>), Failure> {
        match &self.authkey_file {
            None => Ok((self.framing.framer(&self.addr)?, None)),
            Some(path) => Ok((
                auth::framer(&self.framing, &self.addr)?,
                Some(Auth::load(path)?),
            )),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    #[command(flatten)]
    end: EndpointArgs,
    /// Send each frame back to its sender.
    #[arg(long)]
    echo: bool,
    /// Exit after the first client disconnects (serves one client).
    #[arg(long)]
    once: bool,
    /// Exit after N frames in total.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    #[command(flatten)]
    end: EndpointArgs,
    /// Send each received frame back.
    #[arg(long)]
    echo: bool,
    /// Exit after N frames received.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Seconds to wait for the server to appear.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_secs)]
    timeout: f64,
}

fn parse_addr(s: &str) -> Result<Address, String> {
    s.parse()
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "invalid timeout {s:?}: expected seconds, like 5 or 0.5"
        )),
    }
}

/// Prints frames, one per line, from any number of threads; counts them and ends the program
/// when the count is reached.
struct Printer {
    out: Mutex<BufWriter<Stdout>>,
    /// Files the program made and removes when it ends (socket files, a FIFO).
    cleanup: Mutex<Vec<endpoint::OwnedPath>>,
    escape: Escape,
    seen: AtomicU64,
    limit: Option<u64>,
}

impl Printer {
    fn new(escape: bool, limit: Option<u64>) -> Arc<Printer> {
        Arc::new(Printer {
            out: Mutex::new(BufWriter::new(io::stdout())),
            cleanup: Mutex::new(Vec::new()),
            escape: Escape::all_if(escape),
            seen: AtomicU64::new(0),
            limit,
        })
    }

    /// Prints one frame; exits quietly if stdout is gone. Returns whether the count is reached.
    fn print(&self, frame: &[u8]) -> bool {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if write_frame_line(&mut *out, frame, self.escape)
            .and_then(|_| out.flush())
            .is_err()
        {
            // A closed stdout (`| head`) ends the program without a word.
            process::exit(0);
        }
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        self.limit.is_some_and(|l| n >= l)
    }

    /// Flushes, removes the files this program made, and exits 0 (from any thread).
    fn done(&self) -> ! {
        self.finish();
        process::exit(0)
    }

    /// Flushes and removes the files this program made.
    fn finish(&self) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.flush();
        for p in self
            .cleanup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            p.remove();
        }
    }
}

/// Sends one frame now: written and flushed.
fn send(tx: &mut dyn WriteFrame, frame: &[u8]) -> io::Result<()> {
    tx.write_frame(frame)?;
    tx.flush()
}

/// The sending side of a connection, shared by the stdin thread and the echo.
type SharedTx = Arc<Mutex<Option<Box<dyn WriteFrame + Send>>>>;

fn warn(msg: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr(), "pipeframe: {msg}");
}

pub(crate) fn listen(args: &ListenArgs) -> Result<(), Failure> {
    let (framer, auth) = args.end.framer()?;
    if args.echo
        && matches!(
            args.end.addr,
            Address::Fifo(_) | Address::Handle(_) | Address::Stdio
        )
    {
        return Err(Failure::Usage(format!(
            "--echo needs a duplex endpoint; {} is one-way",
            args.end.addr
        )));
    }
    if args.count == Some(0) {
        return Ok(());
    }
    let mut listener = Listener::bind(&args.end.addr, &framer, args.end.framing.max_frame)?;
    let printer = Printer::new(args.end.escape, args.count);
    printer
        .cleanup
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(listener.owned_path());
    let mut clients: Vec<thread::JoinHandle<()>> = Vec::new();
    loop {
        let conn = match listener.accept(&framer) {
            Ok(Some(c)) => c,
            Ok(None) => {
                // No more clients will come (an inherited descriptor, stdin): finish the ones
                // being served.
                for c in clients {
                    let _ = c.join();
                }
                printer.finish();
                return Ok(());
            }
            Err(e) => {
                // A failed accept (a peer rejected by access control, a reset) ends only that
                // client.
                warn(format_args!("accepting on {}: {e}", args.end.addr));
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if args.once {
            serve(conn, &printer, args.echo, auth.as_ref());
            printer.done();
        }
        let printer = Arc::clone(&printer);
        let echo = args.echo;
        let auth = auth.clone();
        clients.retain(|c| !c.is_finished());
        clients.push(thread::spawn(move || {
            serve(conn, &printer, echo, auth.as_ref())
        }));
    }
}

/// One client: print its frames (and echo them) until it closes. A recoverable error (an
/// overlong line, which the reader skips) is reported and reading goes on; a fatal one (the
/// stream position is lost) closes this client only, and so does a failed authentication.
fn serve(mut conn: Conn, printer: &Printer, echo: bool, auth: Option<&Auth>) {
    if let Some(auth) = auth
        && let Err(e) = auth.run(&mut conn, true)
    {
        warn(format_args!("{}: closing: {e}", conn.peer));
        return;
    }
    let Conn {
        peer, rx, mut tx, ..
    } = conn;
    let Some(mut rx) = rx else { return };
    loop {
        match rx.read_frame() {
            Ok(Some(frame)) => {
                if printer.print(&frame) {
                    printer.done();
                }
                if let (true, Some(tx)) = (echo, tx.as_mut())
                    && let Err(e) = send(tx.as_mut(), &frame)
                {
                    warn(format_args!("{peer}: echo failed: {}", hint(&e)));
                    return;
                }
            }
            Ok(None) => return,
            Err(e) if DecodeError::from_io(&e).is_some_and(|d| d.is_recoverable()) => {
                warn(format_args!("{peer}: {}; going on", hint(&e)));
            }
            Err(e) => {
                warn(format_args!("{peer}: closing: {}", hint(&e)));
                return;
            }
        }
    }
}

pub(crate) fn connect(args: &ConnectArgs) -> Result<(), Failure> {
    let (framer, auth) = args.end.framer()?;
    let printer = Printer::new(args.end.escape, args.count);
    if args.count == Some(0) {
        return Ok(());
    }
    let mut conn = endpoint::connect(
        &args.end.addr,
        &framer,
        args.end.framing.max_frame,
        Duration::from_secs_f64(args.timeout),
    )?;
    if let Some(auth) = &auth {
        auth.run(&mut conn, false)
            .map_err(|e| Failure::Runtime(format!("{}: {e}", conn.peer)))?;
    }
    let Conn {
        peer,
        rx,
        tx,
        drain,
    } = conn;
    let tx: SharedTx = Arc::new(Mutex::new(tx));
    let stdio = matches!(args.end.addr, Address::Stdio);

    // Stdin lines go out as frames (unless stdin is the connection itself).
    let sender = (!stdio).then(|| {
        let tx = Arc::clone(&tx);
        let peer_name = peer.clone();
        let max = match &framer {
            Mode::Codec(f) => f.max_frame_len(),
            Mode::Message => args.end.framing.max_frame.unwrap_or(DEFAULT_MAX_FRAME_LEN),
        };
        let keep_open = args.echo;
        // No half-close (a Windows named pipe): the end of stdin ends the connection, once
        // the server has read everything, unless --count or --echo keep it open.
        let end = drain
            .filter(|_| !keep_open && args.count.is_none())
            .map(|drain| (drain, Arc::clone(&printer)));
        thread::spawn(move || {
            send_stdin(&tx, max, keep_open)?;
            if let Some((drain, printer)) = end {
                match drain() {
                    // A server that is gone already read all it will.
                    Err(e)
                        if !matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::NotConnected
                        ) =>
                    {
                        warn(format_args!("waiting for {peer_name} to read: {e}"));
                    }
                    _ => {}
                }
                printer.done();
            }
            Ok(())
        })
    });

    let Some(mut rx) = rx else {
        // One-way (a FIFO or a pipe's write end): done when stdin is.
        return match sender.map(|s| s.join()) {
            Some(Ok(r)) => r,
            _ => Ok(()),
        };
    };
    let mut received = 0u64;
    loop {
        match rx.read_frame() {
            Ok(Some(frame)) => {
                received += 1;
                if printer.print(&frame) {
                    printer.done();
                }
                if args.echo {
                    let mut tx = tx.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(t) = tx.as_mut() {
                        send(t.as_mut(), &frame).map_err(|e| {
                            Failure::Runtime(format!("{peer}: sending: {}", hint(e)))
                        })?;
                    }
                }
            }
            Ok(None) => {
                if received == 0 {
                    // Often a server that refused what we sent: say so (the status stays 0, a
                    // close at a frame boundary is a clean end).
                    printer.finish();
                    warn(format_args!(
                        "{peer} closed the connection before sending any frame"
                    ));
                }
                printer.done();
            }
            Err(e) if DecodeError::from_io(&e).is_some_and(|d| d.is_recoverable()) => {
                warn(format_args!("{peer}: {}; going on", hint(&e)));
            }
            Err(e) => {
                let why = match DecodeError::from_io(&e) {
                    Some(DecodeError::Truncated { .. }) => "closed the connection inside a frame: ",
                    _ => "",
                };
                return Err(Failure::Runtime(format!("{peer}: {why}{}", hint(&e))));
            }
        }
    }
}

/// Sends each stdin line as one frame; at the end of stdin, closes the sending direction
/// (unless echoing, which still needs it).
fn send_stdin(
    tx: &Mutex<Option<Box<dyn WriteFrame + Send>>>,
    max: usize,
    keep_open: bool,
) -> Result<(), Failure> {
    let mut lines = FrameReader::new(
        io::stdin().lock(),
        Delimited::lines()
            .with_max_frame_len(max)
            .accept_unterminated_at_eof(true),
    );
    loop {
        let line = match lines.read_frame() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                warn(format_args!("reading stdin: {e}"));
                break;
            }
        };
        let mut guard = tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = guard.as_mut() else { break };
        if let Err(e) = send(t.as_mut(), &line) {
            warn(format_args!("sending: {e}"));
            process::exit(1);
        }
    }
    if !keep_open {
        let mut guard = tx.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut t) = guard.take()
            && let Err(e) = t.close()
        {
            warn(format_args!("closing the sending side: {e}"));
        }
    }
    Ok(())
}
