//! What the reading side of a connection is doing, so that `connect` can tell when a
//! connection has gone quiet after stdin ended (`--linger`), and whether ending it then would
//! cut a frame short.
//!
//! The reader reports every read it begins and what each brought; a connection is quiet once
//! the reader has waited in one read, with nothing arriving, for the whole interval. A read
//! that waits means everything that had arrived before it began was consumed, and its
//! frames printed: so frames the peer wrote before it read our last frame (which are in our
//! receive buffer once it has read it) are always printed before a quiet end.

use std::io::{self, Read};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipeframe::codec::Framing;
use pipeframe::frame_io::ReadFrame;
use pipeframe::sync::FrameReader;

/// The reading side's progress, shared between the reader and whoever waits for quiet.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// When the read the reader waits in began; `None` while it is not in one.
    reading: Option<Instant>,
    /// When bytes or a message last arrived.
    last: Option<Instant>,
    /// Bytes received from a byte stream so far.
    received: u64,
    /// Bytes of that stream that complete frames (and skipped bytes) used, as of the last
    /// frame returned.
    consumed: u64,
}

impl Progress {
    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()));
        self.changed.notify_all();
    }

    fn read_begins(&self) {
        self.update(|s| s.reading = Some(Instant::now()));
    }

    /// A read returned `got` bytes (or a message, counted as 1), or failed.
    fn read_ends(&self, got: Option<u64>, bytes: bool) {
        self.update(|s| {
            s.reading = None;
            if let Some(n) = got.filter(|&n| n > 0) {
                s.last = Some(Instant::now());
                if bytes {
                    s.received += n;
                }
            }
        });
    }

    /// Waits until the connection has been quiet for `linger`, counted from `since` at the
    /// earliest: the reader waiting in a read and nothing arriving for that long. Returns how
    /// many bytes of an unfinished frame the reader holds then (0 on a message transport).
    pub(crate) fn wait_quiet(&self, since: Instant, linger: Duration) -> u64 {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let wait = match s.reading {
                Some(began) => {
                    let from = [Some(since), Some(began), s.last]
                        .into_iter()
                        .flatten()
                        .max()
                        .unwrap_or(since);
                    let left = (from + linger).saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return s.received.saturating_sub(s.consumed);
                    }
                    left
                }
                // Not in a read: frames are being printed; check again when it waits.
                None => linger.max(Duration::from_millis(10)),
            };
            s = self
                .changed
                .wait_timeout(s, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// A byte stream that reports its reads to a [`Progress`].
pub(crate) struct Watched<R> {
    inner: R,
    progress: std::sync::Arc<Progress>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.progress.read_begins();
        let r = self.inner.read(buf);
        self.progress
            .read_ends(r.as_ref().ok().map(|&n| n as u64), true);
        r
    }
}

/// A codec frame reader over a byte stream, reporting to a [`Progress`].
pub(crate) struct WatchedFrames<R> {
    reader: FrameReader<Watched<R>, Framing>,
    progress: std::sync::Arc<Progress>,
}

impl<R: Read> WatchedFrames<R> {
    pub(crate) fn new(inner: R, framing: Framing, progress: std::sync::Arc<Progress>) -> Self {
        WatchedFrames {
            reader: FrameReader::new(
                Watched {
                    inner,
                    progress: progress.clone(),
                },
                framing,
            ),
            progress,
        }
    }
}

impl<R: Read> ReadFrame for WatchedFrames<R> {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        let r = self.reader.read_frame();
        let at = self.reader.position();
        self.progress.update(|s| s.consumed = at);
        r
    }
}

/// A message transport's frame reader, reporting each message to a [`Progress`].
pub(crate) struct WatchedMessages {
    inner: Box<dyn ReadFrame + Send>,
    progress: std::sync::Arc<Progress>,
}

impl WatchedMessages {
    pub(crate) fn new(
        inner: Box<dyn ReadFrame + Send>,
        progress: std::sync::Arc<Progress>,
    ) -> Self {
        WatchedMessages { inner, progress }
    }
}

impl ReadFrame for WatchedMessages {
    fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        self.progress.read_begins();
        let r = self.inner.read_frame();
        self.progress
            .read_ends(matches!(r, Ok(Some(_))).then_some(1), false);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    /// A reader that waits in a read with part of a frame received is quiet after the
    /// interval, and says how much of the frame it holds.
    #[test]
    fn quiet_inside_a_frame_reports_the_bytes_held() {
        let progress = Arc::new(Progress::default());
        let (rx, mut tx) = std::io::pipe().unwrap();
        let mut frames =
            WatchedFrames::new(rx, "lp32le".parse::<Framing>().unwrap(), progress.clone());
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            loop {
                match frames.read_frame() {
                    Ok(Some(f)) => got.push(f),
                    Ok(None) => return (got, None),
                    Err(e) => return (got, Some(e.kind())),
                }
            }
        });
        io::Write::write_all(&mut tx, b"\x02\0\0\0ok\x0a\0\0\0abc").unwrap();
        let held = progress.wait_quiet(Instant::now(), Duration::from_millis(50));
        assert_eq!(held, 7, "the second frame's header and 3 payload bytes");
        drop(tx);
        let (got, end) = reader.join().unwrap();
        assert_eq!(got, [&b"ok"[..]]);
        assert_eq!(end, Some(io::ErrorKind::UnexpectedEof));
    }
}
