//! Which frame received descriptors belong to.
//!
//! A conforming sender (ours) starts a frame that carries descriptors with a `sendmsg` of
//! its own, `SCM_RIGHTS` attached to the frame's first byte, and holding no byte of any
//! other frame. Linux never lets one `recvmsg` on a stream socket go past the chunk that
//! carries descriptors (it returns right after it, or inside it when the buffer is full).
//! So the read that brings a frame's descriptors contains the frame's first byte and ends at
//! or before the frame's last byte: its end, as an offset in the stream, lies inside the
//! frame. The inbox keeps each read's descriptors with the stream offset where that read
//! ended, and a decoded frame spanning `(start, end]` takes the batches whose offset is in
//! that span.

use std::collections::VecDeque;
use std::os::fd::OwnedFd;

use super::FdError;
use crate::sys::unix::fds::Received;

/// The descriptors of one whole message (seqpacket): all of them, or an error with every
/// one closed (a truncated control message, or more than `max`).
pub(crate) fn whole(r: Received, max: usize) -> Result<Vec<OwnedFd>, FdError> {
    if r.truncated {
        return Err(FdError::Truncated {
            received: r.fds.len(),
        });
    }
    if r.fds.len() > max {
        return Err(FdError::TooMany {
            received: r.fds.len(),
            max,
        });
    }
    Ok(r.fds)
}

/// Descriptors received and not yet given to a frame.
#[derive(Debug)]
pub(crate) struct Inbox {
    /// Bytes received so far: the stream offset of the end of the last read.
    read: u64,
    batches: VecDeque<Batch>,
    /// Descriptors held in `batches`.
    held: usize,
    max: usize,
}

#[derive(Debug)]
struct Batch {
    /// The stream offset where the read that brought them ended.
    end: u64,
    fds: Vec<OwnedFd>,
    /// Refused on arrival (their descriptors closed at once).
    problem: Option<FdError>,
}

impl Inbox {
    pub(crate) fn new(max: usize) -> Inbox {
        Inbox {
            read: 0,
            batches: VecDeque::new(),
            held: 0,
            max,
        }
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    pub(crate) fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// Records one read: `r.len` bytes, and the descriptors that came with them. Refused
    /// descriptors are closed here, at once: more than the maximum, a truncated control
    /// message, or more held than two frames' worth (a sender attaching descriptors to many
    /// pieces of one frame).
    pub(crate) fn received(&mut self, r: Received) {
        self.read += r.len as u64;
        if r.fds.is_empty() && !r.truncated {
            return;
        }
        let n = r.fds.len();
        let problem = if r.truncated {
            Some(FdError::Truncated { received: n })
        } else if n > self.max {
            Some(FdError::TooMany {
                received: n,
                max: self.max,
            })
        } else {
            None
        };
        let fds = if problem.is_some() { Vec::new() } else { r.fds };
        self.held += fds.len();
        self.batches.push_back(Batch {
            end: self.read,
            fds,
            problem,
        });
        if self.held > 2 * self.max {
            let received = self.held;
            for b in &mut self.batches {
                b.fds.clear();
                b.problem.get_or_insert(FdError::TooMany {
                    received,
                    max: self.max,
                });
            }
            self.held = 0;
        }
    }

    /// The descriptors of the frame that ends at stream offset `end` (the frames before it
    /// took theirs): every batch that arrived with a read ending at or before `end`. An
    /// error if one was refused, or if they are more than the maximum together; every
    /// descriptor is closed then.
    pub(crate) fn take(&mut self, end: u64) -> Result<Vec<OwnedFd>, FdError> {
        let mut fds = Vec::new();
        let mut problem = None;
        while let Some(b) = self.batches.front() {
            if b.end > end {
                break;
            }
            let b = self.batches.pop_front().expect("front exists");
            self.held -= b.fds.len();
            problem = problem.or(b.problem);
            fds.extend(b.fds);
        }
        if let Some(p) = problem {
            return Err(p);
        }
        if fds.len() > self.max {
            return Err(FdError::TooMany {
                received: fds.len(),
                max: self.max,
            });
        }
        Ok(fds)
    }

    /// Closes every descriptor held (the stream ended or failed).
    pub(crate) fn clear(&mut self) {
        self.batches.clear();
        self.held = 0;
    }
}

impl Inbox {
    /// What a frame read comes to once its descriptors are settled: the frame and the
    /// descriptors whose reads ended inside it (`end` is the stream offset after it). A
    /// decode error closes every descriptor held and stops the reader (`failed`): after a
    /// frame it could not decode, it can no longer tell where later descriptors belong.
    pub(crate) fn settle(
        &mut self,
        failed: &mut bool,
        res: std::io::Result<Option<bytes::Bytes>>,
        end: u64,
    ) -> std::io::Result<Option<(bytes::Bytes, Vec<OwnedFd>)>> {
        match res {
            Ok(Some(frame)) => Ok(Some((frame, self.take(end)?))),
            Ok(None) => {
                self.clear();
                Ok(None)
            }
            Err(e) => {
                if crate::codec::DecodeError::from_io(&e).is_some() {
                    self.clear();
                    *failed = true;
                }
                Err(e)
            }
        }
    }
}
