//! `encode` and `dump`: between lines and a framed byte stream, on a file or stdin.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use pipeframe::codec::Delimited;
use pipeframe::sync::{FrameReader, FrameWriter};

use crate::escape::{Escape, write_frame_line};
use crate::{DumpArgs, EncodeArgs, Failure, hint};

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
/// frame too.
pub(crate) fn encode(args: &EncodeArgs) -> Result<(), Failure> {
    let codec = args
        .framing
        .framing()
        .codec("stdout")
        .map_err(Failure::Usage)?;
    let (input, name) = open(args.input.as_deref())?;
    let max = codec.max_frame_len();
    let mut lines = FrameReader::new(
        input,
        Delimited::lines()
            .with_max_frame_len(max)
            .accept_unterminated_at_eof(true),
    );
    let mut out = FrameWriter::new(io::stdout().lock(), codec);
    let mut line_no = 0u64;
    while let Some(line) = lines
        .read_frame_ref()
        .map_err(|e| Failure::Runtime(format!("reading {name}: {}", hint(e))))?
    {
        line_no += 1;
        out.write_frame(line).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput => Failure::Runtime(format!("line {line_no}: {}", hint(e))),
            _ => Failure::stdout(e),
        })?;
    }
    drop(out.finish().map_err(Failure::stdout)?);
    Ok(())
}

/// A framed stream becomes one frame per line on stdout, escaped (see `DumpArgs`). A
/// malformed stream ends with the reason and the byte offset of the frame that failed, and
/// exit status 1.
pub(crate) fn dump(args: &DumpArgs) -> Result<(), Failure> {
    let codec = args
        .framing
        .framing()
        .codec("stdin")
        .map_err(Failure::Usage)?;
    let escape = match (args.raw, args.escape) {
        (true, _) => Escape::Raw,
        (false, true) => Escape::All,
        (false, false) => Escape::Text,
    };
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
                return Err(Failure::Runtime(format!(
                    "malformed stream{what} at byte offset {at}: {}",
                    hint(e)
                )));
            }
        }
    }
    out.flush().map_err(Failure::stdout)
}
