//! Input lines for `connect` and `encode`: numbered, and a line over the maximum reported and
//! skipped (the reader resumes after its newline), never the end of all input.

use std::io::{self, Read};

use pipeframe::codec::{DecodeError, Delimited};
use pipeframe::sync::FrameReader;

use crate::explain::Bytes;

/// The lines of an input (`\n` or `\r\n` ends one; a last line without it counts too).
pub(crate) struct Lines<R> {
    frames: FrameReader<R, Delimited>,
    number: u64,
    max: usize,
}

/// One line of input.
pub(crate) enum Line<'a> {
    /// Line `number` (from 1), without its line end.
    Text(u64, &'a [u8]),
    /// Line `number` is longer than the maximum; it was skipped.
    TooLong(u64),
}

impl<R: Read> Lines<R> {
    /// The lines of `input`, each at most `max` bytes.
    pub(crate) fn new(input: R, max: usize) -> Self {
        Lines {
            frames: FrameReader::new(
                input,
                Delimited::lines()
                    .with_max_frame_len(max)
                    .accept_unterminated_at_eof(true),
            ),
            number: 0,
            max,
        }
    }

    /// The next line; `None` at the end of the input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.number += 1;
        match self.frames.read_frame_ref() {
            Ok(Some(line)) => Ok(Some(Line::Text(self.number, line))),
            Ok(None) => Ok(None),
            Err(e)
                if matches!(
                    DecodeError::from_io(&e),
                    Some(DecodeError::DelimitedTooLong { .. })
                ) =>
            {
                Ok(Some(Line::TooLong(self.number)))
            }
            Err(e) => Err(e),
        }
    }

    /// What to say about a line that was too long.
    pub(crate) fn too_long(&self, number: u64, input: &str) -> String {
        format!(
            "line {number} of {input} is longer than the maximum of {} (raise it with \
             --max-frame); skipped",
            Bytes(self.max as u64)
        )
    }
}
