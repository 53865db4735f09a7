//! `encode` and `dump`: between stdin lines and a framed byte stream.

use std::io::{self, BufWriter, Write};

use pipeframe::codec::Delimited;
use pipeframe::sync::{FrameReader, FrameWriter};

use crate::escape::write_frame_line;
use crate::{Failure, FramingOpts};

/// Stdin lines (without `\n` or `\r\n`) become frames on stdout. A last line without a newline
/// is a frame too.
pub(crate) fn encode(opts: &FramingOpts) -> Result<(), Failure> {
    let codec = opts.codec("stdout").map_err(Failure::Usage)?;
    let max = codec.max_frame_len();
    let mut lines = FrameReader::new(
        io::stdin().lock(),
        Delimited::lines()
            .with_max_frame_len(max)
            .accept_unterminated_at_eof(true),
    );
    let mut out = FrameWriter::new(io::stdout().lock(), codec);
    let mut line_no = 0u64;
    while let Some(line) = lines
        .read_frame_ref()
        .map_err(|e| Failure::Runtime(format!("reading stdin: {e}")))?
    {
        line_no += 1;
        out.write_frame(line).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput => Failure::Runtime(format!("line {line_no}: {e}")),
            _ => Failure::stdout(e),
        })?;
    }
    drop(out.finish().map_err(Failure::stdout)?);
    Ok(())
}

/// A framed stream on stdin becomes one frame per line on stdout. A malformed stream ends
/// with the reason and the byte offset of the frame that failed, and exit status 1.
pub(crate) fn dump(opts: &FramingOpts, escape: bool) -> Result<(), Failure> {
    let codec = opts.codec("stdin").map_err(Failure::Usage)?;
    let mut frames = FrameReader::new(io::stdin().lock(), codec);
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
                return Err(Failure::Runtime(format!(
                    "malformed stream at byte offset {at}: {e}"
                )));
            }
        }
    }
    out.flush().map_err(Failure::stdout)
}
