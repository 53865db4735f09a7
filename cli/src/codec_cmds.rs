//! `encode` and `dump`: between lines and a framed byte stream, on a file or stdin.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use pipeframe::frame_io::Mode;
use pipeframe::sync::{FrameReader, FrameWriter};

use crate::escape::write_frame_line;
use crate::lines::{Line, Lines};
use crate::{DumpArgs, EncodeArgs, Failure, explain};

/// The input: the file named, or stdin (no name, or `-`). Also what error messages call it.
fn open(input: Option<&Path>) -> Result<(Box<dyn Read>, String), Failure> {
    match input {
        None => Ok((Box::new(io::stdin().lock()), "stdin".into())),
        Some(p) if p == Path::new("-") => Ok((Box::new(io::stdin().lock()), "stdin".into())),
        Some(p) => File::open(p)
            .map(|f| (Box::new(f) as Box<dyn Read>, p.display().to_string()))
            .map_err(|e| Failure::Runtime(format!("cannot open {}: {e}", p.display()))),
    }
}

/// Lines (without `\n` or `\r\n`) become frames on stdout. A last line without a newline is a
/// frame too. A line the framing cannot carry (longer than `--max-frame`, or than the format
/// allows) is reported by number and skipped; the rest are encoded, and the exit status is 1.
pub(crate) fn encode(args: &EncodeArgs) -> Result<(), Failure> {
    let codec = args
        .framing
        .framing()
        .codec("stdout")
        .map_err(Failure::Usage)?;
    let mode = Mode::Codec(codec.clone());
    let (input, name) = open(args.input.as_deref())?;
    let mut lines = Lines::new(input, codec.max_frame_len());
    let mut out = FrameWriter::new(io::stdout().lock(), codec);
    let mut skipped = 0u64;
    loop {
        let line = lines
            .next_line()
            .map_err(|e| Failure::Runtime(format!("reading {name}: {e}")))?;
        match line {
            None => break,
            Some(Line::Text(n, line)) => match out.write_frame(line) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                    crate::session::warn(format_args!(
                        "line {n} of {name}: {}; skipped",
                        explain::io(&e, &mode)
                    ));
                    skipped += 1;
                }
                Err(e) => return Err(Failure::stdout(e)),
            },
            Some(Line::TooLong(n)) => {
                let msg = lines.too_long(n, &name);
                crate::session::warn(format_args!("{msg}"));
                skipped += 1;
            }
        }
    }
    drop(out.finish().map_err(Failure::stdout)?);
    if skipped > 0 {
        return Err(Failure::Runtime(format!(
            "{} of {name} not encoded",
            explain::count(skipped, "line")
        )));
    }
    Ok(())
}

/// A framed stream becomes one frame per line on stdout, escaped (see `OutputOpts`). A
/// malformed stream ends with the reason and the byte offset of the frame that failed, and
/// exit status 1.
pub(crate) fn dump(args: &DumpArgs) -> Result<(), Failure> {
    let codec = args
        .framing
        .framing()
        .codec("stdin")
        .map_err(Failure::Usage)?;
    let escape = args.output.escape();
    let mode = Mode::Codec(codec.clone());
    let (input, name) = open(args.input.as_deref())?;
    let mut frames = FrameReader::new(input, codec);
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    loop {
        let at = frames.position();
        match frames.read_frame_ref() {
            Ok(Some(frame)) => {
                write_frame_line(&mut out, frame, escape).map_err(Failure::stdout)?
            }
            Ok(None) => break,
            Err(e) => {
                out.flush().map_err(Failure::stdout)?;
                let what = if name == "stdin" {
                    String::new()
                } else {
                    format!(" in {name}")
                };
                let why = explain::io(&e, &mode);
                return Err(Failure::Runtime(format!(
                    "malformed stream{what} at byte offset {at}: {why}"
                )));
            }
        }
    }
    out.flush().map_err(Failure::stdout)
}
