//! Helpers shared by the integration tests: a seeded RNG, a hash, scripted I/O, and the
//! list of codec configurations.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};

use pipeframe::codec::{EncodeError, FRAMING_NAMES, FrameEncoder, Framing};

/// xorshift64*: small, seeded, reproducible.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed: distinct seeds give distinct states, never zero (a zero
        // state would stay zero).
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        XorShift((z ^ (z >> 31)).max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Fills `out` eight bytes at a time.
    pub fn fill(&mut self, out: &mut [u8]) {
        let mut chunks = out.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let last = self.next_u64().to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

/// FNV-1a, 64-bit, fed eight bytes per round for speed in debug builds (the word-wise
/// variant: each round xors a little-endian u64 word, then multiplies).
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn round(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::PRIME);
    }

    pub fn update(&mut self, data: &[u8]) {
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            self.round(u64::from_le_bytes(c.try_into().unwrap()));
        }
        for &b in chunks.remainder() {
            self.round(u64::from(b));
        }
    }

    /// Hashes one frame: its length, then its bytes (so frame boundaries count).
    pub fn frame(&mut self, data: &[u8]) {
        self.round(data.len() as u64 ^ 0xf00d_0000_0000_0000);
        self.update(data);
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// One step of a [`ScriptedReader`].
#[derive(Debug, Clone)]
pub enum Event {
    /// These bytes, handed out over as many reads as the caller's buffers need (never more
    /// than this chunk per read).
    Data(Vec<u8>),
    /// One read fails with `Interrupted`.
    Interrupted,
    /// One read fails with `WouldBlock`.
    WouldBlock,
    /// One read fails with this kind.
    Fail(io::ErrorKind),
    /// One read returns 0 (end of stream).
    Eof,
}

/// A reader that replays a script: exact chunk boundaries, errors, EOF. After the script
/// it returns 0 forever.
#[derive(Debug, Default)]
pub struct ScriptedReader {
    script: VecDeque<Event>,
    /// Number of `read` calls made.
    pub reads: usize,
}

impl ScriptedReader {
    pub fn new(script: impl IntoIterator<Item = Event>) -> Self {
        ScriptedReader {
            script: script.into_iter().collect(),
            reads: 0,
        }
    }

    /// Replays `data` cut at the given lengths (the rest as one last chunk).
    pub fn chunks(data: &[u8], cuts: &[usize]) -> Self {
        Self::new(split(data, cuts).into_iter().map(Event::Data))
    }

    pub fn remaining(&self) -> usize {
        self.script.len()
    }
}

impl Read for ScriptedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        loop {
            match self.script.pop_front() {
                None | Some(Event::Eof) => return Ok(0),
                Some(Event::Interrupted) => return Err(io::ErrorKind::Interrupted.into()),
                Some(Event::WouldBlock) => return Err(io::ErrorKind::WouldBlock.into()),
                Some(Event::Fail(kind)) => return Err(kind.into()),
                Some(Event::Data(d)) if d.is_empty() => continue,
                Some(Event::Data(mut d)) => {
                    let n = d.len().min(buf.len());
                    buf[..n].copy_from_slice(&d[..n]);
                    if n < d.len() {
                        d.drain(..n);
                        self.script.push_front(Event::Data(d));
                    }
                    return Ok(n);
                }
            }
        }
    }
}

/// Cuts `data` into chunks of the given lengths (taken modulo what is left, zero-length
/// cuts skipped); the rest is the last chunk.
pub fn split(mut data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for &c in cuts {
        if data.is_empty() {
            break;
        }
        let n = c % (data.len() + 1);
        if n == 0 {
            continue;
        }
        out.push(data[..n].to_vec());
        data = &data[n..];
    }
    if !data.is_empty() {
        out.push(data.to_vec());
    }
    out
}

/// Every codec configuration the property tests cover: every name [`Framing`] parses,
/// length-prefixed codecs whose length counts the header, and small maximum frame lengths.
pub fn all_configs() -> Vec<(String, Framing)> {
    use pipeframe::codec::LengthPrefixed as L;
    let mut out: Vec<(String, Framing)> = Vec::new();
    for name in FRAMING_NAMES {
        let f: Framing = name.parse().expect("listed names parse");
        out.push((name.to_string(), f.clone()));
        for max in [0usize, 1, 5, 17] {
            out.push((
                format!("{name} max {max}"),
                f.clone().with_max_frame_len(max),
            ));
        }
    }
    let lps = [
        ("lp8", L::u8()),
        ("lp16be", L::u16_be()),
        ("lp16le", L::u16_le()),
        ("lp32be", L::u32_be()),
        ("lp32le", L::u32_le()),
        ("lp64be", L::u64_be()),
        ("lp64le", L::u64_le()),
        ("varint", L::varint()),
        ("dotnet", L::dotnet()),
        ("python", L::python()),
    ];
    for (name, c) in lps {
        let c = c.length_includes_header(true);
        out.push((format!("{name} incl"), c.into()));
        out.push((format!("{name} incl max 5"), c.with_max_frame_len(5).into()));
    }
    out.push((
        "lines unterminated at eof".into(),
        pipeframe::codec::Delimited::lines()
            .accept_unterminated_at_eof(true)
            .into(),
    ));
    out.push((
        "delimiter | max 5".into(),
        pipeframe::codec::Delimited::new(b'|')
            .with_max_frame_len(5)
            .into(),
    ));
    out.push((
        "lsp header max 30".into(),
        pipeframe::codec::ContentLength::new()
            .with_max_header_len(30)
            .into(),
    ));
    out.push((
        "lines unlimited".into(),
        Framing::from(pipeframe::codec::Delimited::lines()).with_max_frame_len(usize::MAX),
    ));
    out.push((
        "lp32le unlimited".into(),
        Framing::from(L::u32_le()).with_max_frame_len(usize::MAX),
    ));
    out
}

/// Adjusts `payload` until the codec accepts it: delimiter bytes replaced, a trailing `\r`
/// dropped, a too-long payload cut to the maximum.
pub fn sanitize<E: FrameEncoder>(codec: &mut E, mut payload: Vec<u8>) -> Vec<u8> {
    loop {
        match codec.encode_parts(&payload) {
            Ok(_) => return payload,
            Err(EncodeError::ContainsDelimiter { offset, delimiter }) => {
                payload[offset] = delimiter.wrapping_add(1);
            }
            Err(EncodeError::TrailingCr) => {
                payload.pop();
            }
            Err(EncodeError::FrameTooLong { max, .. }) => payload.truncate(max as usize),
            Err(e) => panic!("unexpected encode error {e}"),
        }
    }
}

/// Encodes `payloads` back to back.
pub fn encode_all<E: FrameEncoder>(codec: &mut E, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for p in payloads {
        codec
            .encode_frame(p, &mut wire)
            .expect("sanitized payload encodes");
    }
    wire
}

/// One call a [`RecordingWriter`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Whether it was `write_vectored`.
    pub vectored: bool,
    /// Each non-empty slice offered: (address, length).
    pub slices: Vec<(usize, usize)>,
    /// Bytes accepted.
    pub accepted: usize,
}

/// What a [`RecordingWriter`] does on one call.
#[derive(Debug, Clone, Copy)]
pub enum Behave {
    /// Accept at most this many bytes.
    Accept(usize),
    /// Return `Ok(0)`.
    Zero,
    /// Fail with this kind.
    Fail(io::ErrorKind),
}

/// A writer that records every call and follows a script of behaviours (then accepts
/// everything, or at most `limit` bytes per call).
#[derive(Debug, Default)]
pub struct RecordingWriter {
    pub data: Vec<u8>,
    pub calls: Vec<Call>,
    pub flushes: usize,
    pub script: VecDeque<Behave>,
    pub limit: Option<usize>,
}

impl RecordingWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_script(script: impl IntoIterator<Item = Behave>) -> Self {
        RecordingWriter {
            script: script.into_iter().collect(),
            ..Self::default()
        }
    }

    fn behave(&mut self) -> Behave {
        self.script
            .pop_front()
            .unwrap_or(Behave::Accept(self.limit.unwrap_or(usize::MAX)))
    }

    fn take(&mut self, slices: &[&[u8]], vectored: bool) -> io::Result<usize> {
        let call_slices = slices
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| (s.as_ptr() as usize, s.len()))
            .collect();
        let mut call = Call {
            vectored,
            slices: call_slices,
            accepted: 0,
        };
        let res = match self.behave() {
            Behave::Zero => Ok(0),
            Behave::Fail(kind) => Err(io::Error::from(kind)),
            Behave::Accept(mut n) => {
                let mut total = 0;
                for s in slices {
                    let k = s.len().min(n);
                    self.data.extend_from_slice(&s[..k]);
                    total += k;
                    n -= k;
                    if n == 0 {
                        break;
                    }
                }
                Ok(total)
            }
        };
        if let Ok(n) = res {
            call.accepted = n;
        }
        self.calls.push(call);
        res
    }
}

impl Write for RecordingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.take(&[buf], false)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let slices: Vec<&[u8]> = bufs.iter().map(|s| &s[..]).collect();
        self.take(&slices, true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}
