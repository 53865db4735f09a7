//! `--authkey-file FILE`: Python `multiprocessing.connection`'s authkey handshake on each
//! connection, before its first frame (the listener challenges first, as Python's does).

use std::io;
use std::path::{Path, PathBuf};

use pipeframe::authkey::{AuthError, AuthKey, Authenticated};
use pipeframe::codec::{Framing, LengthPrefixed};
use pipeframe::frame_io::{Mode, ReadFrame, WriteFrame};

use crate::addr::Address;
use crate::endpoint::Conn;
use crate::{Failure, FramingOpts};

/// A key read from a file, and what a person should hear when it does not match.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    key: AuthKey,
    path: PathBuf,
    ends_with_newline: bool,
}

impl Auth {
    /// The key in `path` (its bytes exactly; never the key on the command line).
    pub(crate) fn load(path: &Path) -> Result<Auth, Failure> {
        let key = AuthKey::from_file(path).map_err(|e| Failure::Usage(e.to_string()))?;
        let bytes = std::fs::read(path).map_err(|e| Failure::Usage(e.to_string()))?;
        Ok(Auth {
            key,
            path: path.to_owned(),
            ends_with_newline: bytes.ends_with(b"\n"),
        })
    }

    /// Runs the handshake on `conn` (`server`: as `Listener.accept` does it).
    pub(crate) fn run(&self, conn: &mut Conn, server: bool) -> io::Result<Authenticated> {
        let (Some(rx), Some(tx)) = (conn.rx.as_mut(), conn.tx.as_mut()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the authkey handshake needs a connection that goes both ways",
            ));
        };
        let mut both = Both {
            rx: &mut **rx,
            tx: &mut **tx,
        };
        let res = if server {
            self.key.server_frames(&mut both)
        } else {
            self.key.client_frames(&mut both)
        };
        res.map_err(|e| self.explain(e))
    }

    /// A wrong key read from a file that ends with a newline: say that it is part of the key.
    fn explain(&self, e: io::Error) -> io::Error {
        match AuthError::from_io(&e) {
            Some(AuthError::WrongKey { .. }) if self.ends_with_newline => io::Error::new(
                e.kind(),
                format!(
                    "{e} (the key file {} ends with a newline, which is part of the key: \
                     write it with printf '%s')",
                    self.path.display()
                ),
            ),
            _ => e,
        }
    }
}

/// The framing of a connection that authenticates: `python` unless `--framing` says
/// otherwise, and nothing but `python` or `message` (Python frames the handshake with its own
/// length prefix, or one pipe message per message on Windows).
pub(crate) fn framer(opts: &FramingOpts, addr: &Address) -> Result<Mode, Failure> {
    let python = Mode::Codec(Framing::LengthPrefixed(LengthPrefixed::python()));
    let opts = FramingOpts {
        framing: Some(opts.framing.clone().unwrap_or(if addr.is_message() {
            Mode::Message
        } else {
            python.clone()
        })),
        max_frame: opts.max_frame,
    };
    let mode = opts.framer(addr)?;
    if mode != Mode::Message && mode.to_string() != "python" {
        return Err(Failure::Usage(format!(
            "--authkey-file runs multiprocessing.connection's handshake, which is framed as \
             'python' (or 'message' on a message transport), not '{mode}'"
        )));
    }
    Ok(mode)
}

/// One connection's two directions as one frame transport, for the handshake.
struct Both<'a> {
    rx: &'a mut (dyn ReadFrame + Send),
    tx: &'a mut (dyn WriteFrame + Send),
}

impl ReadFrame for Both<'_> {
    fn read_frame(&mut self) -> io::Result<Option<pipeframe::bytes::Bytes>> {
        self.rx.read_frame()
    }
}

impl WriteFrame for Both<'_> {
    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.tx.write_frame(payload)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tx.flush()
    }
    fn close(&mut self) -> io::Result<()> {
        self.tx.close()
    }
}
