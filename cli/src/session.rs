//! `listen` and `connect`: frames between an endpoint and the terminal.

use std::io::{self, BufWriter, Stdout, Write};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use pipeframe::codec::{DEFAULT_MAX_FRAME_LEN, DecodeError};
use pipeframe::frame_io::{Mode, WriteFrame};

use crate::addr::Address;
use crate::auth::{self, Auth};
use crate::endpoint::{self, Conn, Listener};
use crate::escape::{Escape, write_frame_line};
use crate::explain::{self, Secs};
use crate::lines::{Line, Lines};
use crate::watch::Progress;
use crate::{Failure, FramingOpts, OutputOpts};

// What `listen` and `connect` share: the address, its framing, how frames print.
#[derive(Debug, Args)]
struct EndpointArgs {
    /// pipe:NAME, tcp:HOST:PORT or - (stdin and stdout) everywhere; unix:PATH, abstract:NAME,
    /// seqpacket:PATH, fifo:PATH and fd:N (an inherited descriptor) on Unix; handle:N on
    /// Windows (an inherited pipe handle, in decimal, as .NET's GetClientHandleAsString()
    /// gives it). On Windows pipe:NAME is \\.\pipe\NAME.
    #[arg(value_parser = parse_addr)]
    addr: Address,
    #[command(flatten)]
    framing: FramingOpts,
    #[command(flatten)]
    output: OutputOpts,
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

/// How long `connect` waits for more replies after stdin ended, on a connection with no
/// half-close (a Windows named pipe), unless `--linger`, `--count` or `--echo` says otherwise.
const DEFAULT_LINGER: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
#[command(after_long_help = CONNECT_END)]
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
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    timeout: Duration,
    /// After the end of stdin, stop once no frame has arrived for SECS seconds (see "When
    /// connect ends" in --help). Default: wait until the server closes the connection, except
    /// on a Windows named pipe, which has no half-close: 1 s there.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    linger: Option<Duration>,
}

/// The end of `connect --help`.
const CONNECT_END: &str = "\
When connect ends:
  Each stdin line goes out as one frame. At the end of stdin, connect ends its sending
  direction and keeps printing the frames that come back, until the server closes the
  connection, --count N frames have come, or (with --linger SECS) no frame has arrived for
  SECS seconds. Frames the server wrote before it read our last frame are always printed.
  Where the connection has a half-close (Unix sockets, TCP, seqpacket), the server sees the
  end of our frames and closes when it is done, so connect waits for that. A Windows named pipe
  has no half-close: there connect waits until the server has read every frame we sent, then
  for replies until 1 s passes without one (--linger SECS changes it), then closes.
  If frames were sent and none came back, connect says so on stderr. A frame cut short by our
  own close (part of it received when the quiet interval ended) is an error, exit status 1;
  so is a stdin line that could not be sent (too long, or a frame the framing cannot carry),
  which is reported by line number and skipped.";

fn parse_addr(s: &str) -> Result<Address, String> {
    s.parse()
}

/// Seconds, like 5 or 0.5.
fn parse_secs(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!(
            "invalid duration {s:?}: expected seconds, like 5 or 0.5"
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
    /// Stdin lines that could not be sent: the exit status is 1 at the end.
    unsent: AtomicU64,
}

impl Printer {
    fn new(escape: Escape, limit: Option<u64>) -> Arc<Printer> {
        Arc::new(Printer {
            out: Mutex::new(BufWriter::new(io::stdout())),
            cleanup: Mutex::new(Vec::new()),
            escape,
            seen: AtomicU64::new(0),
            limit,
            unsent: AtomicU64::new(0),
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
            drop(out);
            exit(0);
        }
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        self.limit.is_some_and(|l| n >= l)
    }

    /// Frames printed so far.
    fn printed(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }

    /// Flushes, removes the files this program made, and exits (from any thread): 0, or 1
    /// if some stdin lines were not sent (saying how many).
    fn done(&self) -> ! {
        self.finish();
        match self.unsent.load(Ordering::SeqCst) {
            0 => exit(0),
            n => self.fail(format_args!(
                "{} of stdin not sent",
                explain::count(n, "line")
            )),
        }
    }

    /// Flushes, removes the files this program made, says `msg` and exits 1.
    fn fail(&self, msg: std::fmt::Arguments<'_>) -> ! {
        self.finish();
        warn(msg);
        exit(1)
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

/// Ends the program with `code`. The reading and the sending thread may both end it; the
/// first one does, and any other waits here until the process is gone (`exit` must not run in
/// two threads at once).
fn exit(code: i32) -> ! {
    static ENDING: Mutex<()> = Mutex::new(());
    let guard = ENDING.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::forget(guard);
    process::exit(code)
}

/// Sends one frame now: written and flushed.
fn send(tx: &mut dyn WriteFrame, frame: &[u8]) -> io::Result<()> {
    tx.write_frame(frame)?;
    tx.flush()
}

/// The sending side of a connection, shared by the stdin thread and the echo.
type SharedTx = Arc<Mutex<Option<Box<dyn WriteFrame + Send>>>>;

/// Says `msg` on stderr, after the program's name.
pub(crate) fn warn(msg: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr(), "pipeframe: {msg}");
}

/// The frames received on one connection: printed, and in message mode checked once for the
/// sign of a peer that writes a byte framing into a message transport.
struct Received<'a> {
    printer: &'a Printer,
    peer: &'a str,
    mode: &'a Mode,
    warned: bool,
}

impl<'a> Received<'a> {
    fn new(printer: &'a Printer, peer: &'a str, mode: &'a Mode) -> Self {
        Received {
            printer,
            peer,
            mode,
            warned: false,
        }
    }

    /// Prints `frame`; whether the count is reached.
    fn frame(&mut self, frame: &[u8]) -> bool {
        if self.mode.is_message()
            && !self.warned
            && let Some(name) = explain::looks_length_prefixed(frame)
        {
            self.warned = true;
            warn(format_args!(
                "{}: a message of {} is a {name} length and exactly the payload it declares: \
                 the peer seems to write --framing {name}, while this side reads --framing \
                 message; both sides need the same --framing",
                self.peer,
                explain::Bytes(frame.len() as u64)
            ));
        }
        self.printer.print(frame)
    }
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
    let printer = Printer::new(args.end.output.escape(), args.count);
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
            serve(conn, &printer, args.echo, &framer, auth.as_ref());
            printer.done();
        }
        let printer = Arc::clone(&printer);
        let echo = args.echo;
        let framer = framer.clone();
        let auth = auth.clone();
        clients.retain(|c| !c.is_finished());
        clients.push(thread::spawn(move || {
            serve(conn, &printer, echo, &framer, auth.as_ref())
        }));
    }
}

/// One client: print its frames (and echo them) until it closes. A recoverable error (an
/// overlong line, which the reader skips) is reported and reading goes on; a fatal one (the
/// stream position is lost) closes this client only, and so does a failed authentication.
fn serve(mut conn: Conn, printer: &Printer, echo: bool, mode: &Mode, auth: Option<&Auth>) {
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
    let mut received = Received::new(printer, &peer, mode);
    loop {
        match rx.read_frame() {
            Ok(Some(frame)) => {
                if received.frame(&frame) {
                    printer.done();
                }
                if let (true, Some(tx)) = (echo, tx.as_mut())
                    && let Err(e) = send(tx.as_mut(), &frame)
                {
                    warn(format_args!(
                        "{peer}: echo failed: {}",
                        explain::io(&e, mode)
                    ));
                    return;
                }
            }
            Ok(None) => return,
            Err(e) if DecodeError::from_io(&e).is_some_and(|d| d.is_recoverable()) => {
                warn(format_args!("{peer}: {}; going on", explain::io(&e, mode)));
            }
            Err(e) => {
                warn(format_args!("{peer}: closing: {}", explain::io(&e, mode)));
                return;
            }
        }
    }
}

pub(crate) fn connect(args: &ConnectArgs) -> Result<(), Failure> {
    let (framer, auth) = args.end.framer()?;
    let printer = Printer::new(args.end.output.escape(), args.count);
    if args.count == Some(0) {
        return Ok(());
    }
    let mut conn = endpoint::connect(
        &args.end.addr,
        &framer,
        args.end.framing.max_frame,
        args.timeout,
    )?;
    if let Some(auth) = &auth {
        auth.run(&mut conn, false)
            .map_err(|e| Failure::Runtime(format!("{}: {e}", conn.peer)))?;
    }
    let Conn {
        peer,
        rx,
        progress,
        tx,
        drain,
    } = conn;
    let tx: SharedTx = Arc::new(Mutex::new(tx));
    let stdio = matches!(args.end.addr, Address::Stdio);
    // Where the server cannot see the end of our frames (no half-close), replies are waited
    // for until the connection is quiet, unless --count or --echo keep it open.
    let linger = args.linger.or_else(|| {
        (drain.is_some() && !args.echo && args.count.is_none()).then_some(DEFAULT_LINGER)
    });

    // Stdin lines go out as frames (unless stdin is the connection itself).
    let sender = (!stdio).then(|| {
        let tx = Arc::clone(&tx);
        let peer = peer.clone();
        let max = match &framer {
            Mode::Codec(f) => f.max_frame_len(),
            Mode::Message => args.end.framing.max_frame.unwrap_or(DEFAULT_MAX_FRAME_LEN),
        };
        let keep_open = args.echo;
        let printer = Arc::clone(&printer);
        let framer = framer.clone();
        let reading = rx.is_some();
        thread::spawn(move || {
            let sent = send_stdin(&tx, max, keep_open, &framer, &printer);
            if let (Some(linger), true) = (linger, reading) {
                if let Some(drain) = drain {
                    wait_for_reader(drain, &peer);
                }
                end_when_quiet(&progress, linger, sent, &printer, &peer);
            }
        })
    });

    let Some(mut rx) = rx else {
        // One-way (a FIFO or a pipe's write end): done when stdin is.
        if let Some(s) = sender {
            let _ = s.join();
        }
        printer.done();
    };
    let mut received = Received::new(&printer, &peer, &framer);
    loop {
        match rx.read_frame() {
            Ok(Some(frame)) => {
                if received.frame(&frame) {
                    printer.done();
                }
                if args.echo {
                    let mut tx = tx.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(t) = tx.as_mut() {
                        send(t.as_mut(), &frame).map_err(|e| {
                            Failure::Runtime(format!(
                                "{peer}: sending: {}",
                                explain::io(&e, &framer)
                            ))
                        })?;
                    }
                }
            }
            Ok(None) => {
                if printer.printed() == 0 {
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
                warn(format_args!(
                    "{peer}: {}; going on",
                    explain::io(&e, &framer)
                ));
            }
            Err(e) => {
                let why = match DecodeError::from_io(&e) {
                    Some(DecodeError::Truncated { .. }) => "closed the connection inside a frame: ",
                    _ => "",
                };
                printer.fail(format_args!("{peer}: {why}{}", explain::io(&e, &framer)));
            }
        }
    }
}

/// On a connection without half-close: waits until the server has read every frame sent.
/// Whatever it wrote before that is then in our receive buffer.
fn wait_for_reader(drain: Box<dyn FnOnce() -> io::Result<()> + Send>, peer: &str) {
    match drain() {
        // A server that is gone already read all it will.
        Err(e)
            if !matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::NotConnected
            ) =>
        {
            warn(format_args!("waiting for {peer} to read: {e}"));
        }
        _ => {}
    }
}

/// After stdin ended: once no frame has come for `linger`, ends the program, which closes the
/// connection. Part of a frame received by then is an error (exit 1): closing cuts it short.
/// Frames sent and none received is said on stderr.
fn end_when_quiet(progress: &Progress, linger: Duration, sent: u64, printer: &Printer, peer: &str) {
    let held = progress.wait_quiet(Instant::now(), linger);
    let quiet = Secs(linger);
    if held > 0 {
        printer.fail(format_args!(
            "{peer}: closing inside a frame: {} of it had arrived and nothing more for {quiet} \
             (--linger SECS waits longer)",
            explain::Bytes(held)
        ));
    }
    if sent > 0 && printer.printed() == 0 {
        printer.finish();
        warn(format_args!(
            "{peer}: sent {}, and none came back within {quiet} of quiet; closing (--linger \
             SECS waits longer)",
            explain::count(sent, "frame")
        ));
    }
    printer.done();
}

/// Sends each stdin line as one frame; at the end of stdin, closes the sending direction
/// (unless echoing, which still needs it). A line that cannot go out (longer than the
/// maximum, or a frame the framing refuses) is reported by number and skipped, and counted in
/// `printer.unsent`. Returns how many frames went out.
fn send_stdin(
    tx: &Mutex<Option<Box<dyn WriteFrame + Send>>>,
    max: usize,
    keep_open: bool,
    mode: &Mode,
    printer: &Printer,
) -> u64 {
    let mut lines = Lines::new(io::stdin().lock(), max);
    let mut sent = 0;
    loop {
        let line = match lines.next_line() {
            Ok(Some(Line::Text(n, line))) => (n, line),
            Ok(Some(Line::TooLong(n))) => {
                warn(format_args!("{}", lines.too_long(n, "stdin")));
                printer.unsent.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            Ok(None) => break,
            Err(e) => printer.fail(format_args!("reading stdin: {e}")),
        };
        let mut guard = tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = guard.as_mut() else { break };
        match send(t.as_mut(), line.1) {
            Ok(()) => sent += 1,
            // Refused before anything was written: the stream goes on.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                warn(format_args!(
                    "line {} of stdin: {}; skipped",
                    line.0,
                    explain::io(&e, mode)
                ));
                printer.unsent.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => printer.fail(format_args!("sending: {}", explain::io(&e, mode))),
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
    sent
}
