//! Differential checks against tokio-util, for the configurations it supports:
//! `LengthDelimitedCodec::new()` (u32 big-endian, 8 MiB) against `LengthPrefixed::u32_be()`,
//! and `LinesCodec` (with and without a maximum) against `Delimited::lines()`.
//!
//! Both decoders get the same bytes in the same chunks, driven the way tokio-util's
//! `FramedRead` drives a `Decoder` (`decode` until `None` after each read, `decode_eof` until
//! `None` at the end). Their results are normalized to [`Norm`] and must agree, except for the
//! intended differences listed in `fuzz/DIFFERENCES.md`: every place below that tolerates a
//! difference names its item there (`D1` ...). Nothing else is excused.
//!
//! Used by the `diff_*` fuzz targets and by `tests/fuzz_regressions.rs` (with the main
//! crate's `tokio` feature, which brings tokio-util).

use bytes::{Bytes, BytesMut};
use pipeframe::codec::{DecodeError, Delimited, FrameDecoder, LengthPrefixed, Missing, check_utf8};
use tokio_util::codec::{Decoder, LengthDelimitedCodec, LinesCodec, LinesCodecError};

use crate::invariants::{Input, chunks, flag, max_from};

/// A decoder result with the representation differences taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Norm {
    /// A frame (a line's bytes without its ending).
    Frame(Vec<u8>),
    /// Over the maximum length.
    TooLong,
    /// The stream ended inside a frame.
    Truncated,
    /// The stream ended right after a complete length prefix (ours only; see D6).
    TruncatedAfterHeader,
    /// A line was not UTF-8.
    BadUtf8,
    /// Anything else (never expected; kept as text for the failure message).
    Other(String),
}

/// Feeds `stream` in `chunks` to `dec` like `FramedRead` does and collects the normalized
/// results; `norm` says whether a result stops the stream.
fn framed<T, E>(
    stream: &[u8],
    chunks: &[usize],
    mut dec: impl FnMut(&mut BytesMut, bool) -> Result<Option<T>, E>,
    mut norm: impl FnMut(Result<T, E>) -> (Norm, bool),
) -> Vec<Norm> {
    let mut out = Vec::new();
    let mut src = BytesMut::new();
    let mut fed = 0;
    let pieces = chunks.iter().map(Some).chain(std::iter::once(None));
    for piece in pieces {
        let eof = piece.is_none();
        if let Some(&n) = piece {
            src.extend_from_slice(&stream[fed..fed + n]);
            fed += n;
        }
        loop {
            let r = match dec(&mut src, eof) {
                Ok(None) => break,
                Ok(Some(x)) => Ok(x),
                Err(e) => Err(e),
            };
            let (n, stop) = norm(r);
            out.push(n);
            if stop {
                return out;
            }
            assert!(out.len() <= stream.len() + 2, "decoder loops: {out:?}");
        }
    }
    out
}

fn norm_ours(r: Result<Bytes, DecodeError>, text: bool) -> (Norm, bool) {
    match r {
        // D1: tokio-util's LinesCodec yields `String`s; ours yields bytes, and text-mode
        // readers check them with `check_utf8`, as done here.
        Ok(f) if text && check_utf8(&f).is_err() => (Norm::BadUtf8, false),
        Ok(f) => (Norm::Frame(f.to_vec()), false),
        Err(DecodeError::FrameTooLong { .. }) => (Norm::TooLong, true),
        Err(DecodeError::DelimitedTooLong { .. }) => (Norm::TooLong, false),
        // D3/D5: ours reports truncation with counts (UnexpectedEof).
        Err(DecodeError::Truncated { .. }) => (Norm::Truncated, true),
        Err(e) => (Norm::Other(e.to_string()), true),
    }
}

/// `LengthPrefixed::u32_be()` against `LengthDelimitedCodec::new()`.
pub fn check_diff_length_delimited(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let c = chunks(input.script, input.stream.len());

    let mut ours = LengthPrefixed::u32_be();
    let a = framed(
        input.stream,
        &c,
        |src, eof| {
            if eof {
                ours.decode_frame_eof(src)
            } else {
                ours.decode_frame(src)
            }
        },
        |r| match r {
            Err(DecodeError::Truncated {
                buffered: 4,
                missing: Missing::Exactly(_),
            }) => (Norm::TruncatedAfterHeader, true),
            r => norm_ours(r, false),
        },
    );

    let mut theirs = LengthDelimitedCodec::new();
    let b = framed(
        input.stream,
        &c,
        |src, eof| {
            if eof {
                theirs.decode_eof(src)
            } else {
                theirs.decode(src)
            }
        },
        |r| match r {
            Ok(f) => (Norm::Frame(f.to_vec()), false),
            // D4: tokio-util's decoder stays callable after an error (it reports the same
            // one again); ours is fatal. Both streams stop at the first error.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => (Norm::TooLong, true),
            // D5: tokio-util's default `decode_eof` says "bytes remaining on stream"
            // (ErrorKind::Other) where ours says `Truncated` (UnexpectedEof).
            Err(e) if e.to_string() == "bytes remaining on stream" => (Norm::Truncated, true),
            Err(e) => (Norm::Other(e.to_string()), true),
        },
    );
    let a = match a.split_last() {
        // D6: tokio-util consumes a length prefix before its payload arrives, so a stream
        // ending right after a complete prefix ends cleanly there; ours reports `Truncated`.
        Some((Norm::TruncatedAfterHeader, rest)) => rest,
        _ => &a[..],
    };
    assert_eq!(
        a, b,
        "LengthPrefixed::u32_be() and LengthDelimitedCodec::new() disagree"
    );
}

/// `Delimited::lines()` against `LinesCodec`: `cfg1` picks the maximum ([`max_from`]; the
/// default and larger mean `LinesCodec::new()`, unlimited, against `usize::MAX`), the
/// `UNTERMINATED` flag ours' `accept_unterminated_at_eof`.
pub fn check_diff_lines(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let stream = input.stream;
    let c = chunks(input.script, stream.len());
    let max = match max_from(input.cfg[1]) {
        m if m < 40 => Some(m),
        _ => None,
    };
    let unterminated = input.cfg[2] & flag::UNTERMINATED != 0;

    let mut ours = Delimited::lines()
        .with_max_frame_len(max.unwrap_or(usize::MAX))
        .accept_unterminated_at_eof(unterminated);
    let a = framed(
        stream,
        &c,
        |src, eof| {
            if eof {
                ours.decode_frame_eof(src)
            } else {
                ours.decode_frame(src)
            }
        },
        |r| norm_ours(r, true),
    );

    let mut theirs = match max {
        Some(m) => LinesCodec::new_with_max_length(m),
        None => LinesCodec::new(),
    };
    let b = framed(
        stream,
        &c,
        |src, eof| {
            if eof {
                theirs.decode_eof(src)
            } else {
                theirs.decode(src)
            }
        },
        |r| match r {
            Ok(s) => (Norm::Frame(s.into_bytes()), false),
            Err(LinesCodecError::MaxLineLengthExceeded) => (Norm::TooLong, false),
            // D1: invalid UTF-8 is an InvalidData error for that line, which is consumed.
            Err(LinesCodecError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                (Norm::BadUtf8, false)
            }
            Err(e) => (Norm::Other(e.to_string()), true),
        },
    );

    // Both give exactly one result per `\n`-terminated line (a frame, or an error for an
    // overlong or non-UTF-8 line, after which both skip through that line's `\n`), then at
    // most one for the unterminated tail.
    let segments: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    let (tail, lines) = segments
        .split_last()
        .expect("split yields at least one segment");
    let n = lines.len();
    assert!(
        a.len() >= n && b.len() >= n,
        "fewer results than lines: ours {a:?}, tokio-util {b:?}"
    );
    for (i, line) in lines.iter().enumerate() {
        let d2 = max.is_some_and(|m| line.len() == m + 1 && line.ends_with(b"\r"));
        if d2 {
            // D2: tokio-util counts the `\r` of a `\r\n` ending toward the maximum; ours
            // counts payload only. A line of exactly max payload bytes + `\r\n` is a frame
            // for us, too long for tokio-util.
            assert!(
                matches!(a[i], Norm::Frame(_) | Norm::BadUtf8) && b[i] == Norm::TooLong,
                "line {i} ({line:?}): D2 expected, got ours {:?}, tokio-util {:?}",
                a[i],
                b[i]
            );
        } else {
            assert_eq!(a[i], b[i], "line {i} ({line:?}) differs");
        }
    }
    let (a_tail, b_tail) = (&a[n..], &b[n..]);
    if tail.is_empty() {
        assert!(
            a_tail.is_empty() && b_tail.is_empty(),
            "results after the last line: ours {a_tail:?}, tokio-util {b_tail:?}"
        );
        return;
    }
    assert!(
        a_tail.len() == 1 && b_tail.len() <= 1,
        "tail results: ours {a_tail:?}, tokio-util {b_tail:?}"
    );
    if a_tail[0] == Norm::Truncated {
        // D3: an unterminated last line is `Truncated` for us by default; tokio-util
        // returns it as a line (or reports it too long).
        assert!(!unterminated, "Truncated with accept_unterminated_at_eof");
        return;
    }
    // D3: with accept_unterminated_at_eof, ours returns the tail as it is; tokio-util strips
    // one trailing `\r` from it, and a lone `\r` is no line at all.
    let expect_theirs: Vec<Norm> = match (&a_tail[0], tail.strip_suffix(b"\r")) {
        (Norm::Frame(_) | Norm::BadUtf8, Some([])) => vec![],
        (Norm::Frame(_) | Norm::BadUtf8, Some(stripped)) => {
            vec![match std::str::from_utf8(stripped) {
                Ok(_) => Norm::Frame(stripped.to_vec()),
                Err(_) => Norm::BadUtf8,
            }]
        }
        (x, _) => vec![x.clone()],
    };
    assert_eq!(
        b_tail,
        &expect_theirs[..],
        "unterminated tail {tail:?} differs"
    );
}
