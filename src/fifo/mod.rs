//! FIFOs (named pipes in the file system, `mkfifo`): one-way, one stream shared by every
//! process that opens them.
//!
//! [`create`] makes one; [`open_reader`] and [`open_writer`] open it, and the result goes
//! straight into a [`FrameReader`](crate::sync::FrameReader) or
//! [`FrameWriter`](crate::sync::FrameWriter).
//!
//! # Opening blocks until the other side opens
//!
//! That is how FIFOs work: opening for reading waits until some process opens for writing, and
//! the reverse. [`Wait`] chooses what to do instead:
//!
//! | [`Wait`] | reader | writer |
//! | --- | --- | --- |
//! | `Block` | waits for a writer | waits for a reader |
//! | `Timeout(t)` | waits up to `t` for a writer's first bytes (or for a writer to come and go), then [`TimedOut`](std::io::ErrorKind::TimedOut) | retries up to `t` while no reader exists, then [`TimedOut`](std::io::ErrorKind::TimedOut) |
//! | `NonBlocking` | returns at once; the file stays non-blocking (for event loops) | [`NotConnected`](std::io::ErrorKind::NotConnected) if no reader exists; else non-blocking |
//!
//! A reader cannot see a writer that opened the FIFO and wrote nothing yet, hence the reader's
//! `Timeout` waits for bytes. Files from `Block` and `Timeout` are in blocking mode.
//!
//! Once open, a read returns end of stream when every writer has closed; writing when every
//! reader has closed fails with [`BrokenPipe`](std::io::ErrorKind::BrokenPipe) (Rust ignores
//! `SIGPIPE`). Frames from several writers can interleave: writes up to `PIPE_BUF` (4096 bytes
//! on Linux) are atomic, so one writer per FIFO, or small frames written in one `write` each,
//! keep frames whole.
//!
//! Async runtimes: open with [`Wait::NonBlocking`] (or `Timeout`, then set the file
//! non-blocking) and hand the [`File`] to `async_io::Async::new` (smol), or use tokio's own
//! `tokio::net::unix::pipe::OpenOptions`, which opens FIFOs without blocking.
//!
//! ```
//! use pipeframe::codec::Delimited;
//! use pipeframe::fifo::{self, Wait};
//! use pipeframe::sync::{FrameReader, FrameWriter};
//! use std::time::Duration;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("events");
//! fifo::create(&path, 0o600)?;
//! let writer = std::thread::spawn({
//!     let path = path.clone();
//!     move || -> std::io::Result<()> {
//!         let file = fifo::open_writer(&path, Wait::Timeout(Duration::from_secs(5)))?;
//!         let mut w = FrameWriter::new(file, Delimited::lines());
//!         w.write_frame(b"started")?;
//!         w.finish()?;
//!         Ok(())
//!     }
//! });
//! let mut r = FrameReader::new(fifo::open_reader(&path, Wait::Block)?, Delimited::lines());
//! assert_eq!(r.read_frame()?.as_deref(), Some(&b"started"[..]));
//! assert_eq!(r.read_frame()?, None);
//! writer.join().unwrap()?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::Duration;

use crate::sys::unix::fifo as sys;

/// How opening a FIFO waits for the other side (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Wait as long as it takes (the plain `open`).
    Block,
    /// Wait up to this long, then fail with [`io::ErrorKind::TimedOut`] naming the path.
    Timeout(Duration),
    /// Do not wait; the file is left in non-blocking mode.
    NonBlocking,
}

impl Wait {
    fn sys(self) -> sys::Wait {
        match self {
            Wait::Block => sys::Wait::Block,
            Wait::Timeout(t) => sys::Wait::Timeout(t),
            Wait::NonBlocking => sys::Wait::NonBlocking,
        }
    }
}

/// Creates a FIFO at `path` with permission bits `mode` (less the umask).
/// [`io::ErrorKind::AlreadyExists`] if the path exists. On macOS and the other Apple systems
/// this is [`io::ErrorKind::Unsupported`] (make the FIFO with `mkfifo(1)`; opening works).
pub fn create(path: impl AsRef<Path>, mode: u32) -> io::Result<()> {
    sys::create(path.as_ref(), mode)
}

/// Opens the FIFO at `path` for reading. A path that is not a FIFO is refused before any
/// waiting.
pub fn open_reader(path: impl AsRef<Path>, wait: Wait) -> io::Result<File> {
    sys::open_read(path.as_ref(), wait.sys())
}

/// Opens the FIFO at `path` for writing. A path that is not a FIFO is refused before any
/// waiting.
pub fn open_writer(path: impl AsRef<Path>, wait: Wait) -> io::Result<File> {
    sys::open_write(path.as_ref(), wait.sys())
}
