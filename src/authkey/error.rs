//! Why a handshake failed, as a typed value inside `io::Error`.

use std::fmt;
use std::io;

use super::Digest;

/// Which side of the connection refused the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// This process: it checked what the peer sent and refused it.
    Local,
    /// The other process: it answered `#FAILURE#` to what this process sent.
    Peer,
}

/// Why the authkey handshake failed. Every variant means the same to the caller: the
/// connection is not authenticated and must be closed (dropping it closes it); a listener
/// goes on accepting others.
///
/// It travels inside an [`io::Error`] ([`AuthError::from_io`] gets it back); the kinds are
/// [`io::ErrorKind::PermissionDenied`] for a wrong key or a refused digest,
/// [`io::ErrorKind::UnexpectedEof`] for a peer that closed during the handshake, and
/// [`io::ErrorKind::InvalidData`] for a peer that broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The digest did not match: the two keys differ. `refused_by` is the side that compared
    /// it: [`Side::Local`] when the peer's answer to our challenge was wrong (we then sent
    /// `#FAILURE#`), [`Side::Peer`] when the peer answered our answer with `#FAILURE#`.
    WrongKey {
        /// Who compared the digest and refused it.
        refused_by: Side,
        /// The digest of that challenge and answer.
        digest: Digest,
    },
    /// The peer's first message was not a challenge (it does not start with `#CHALLENGE#`):
    /// it is not an authenticating `multiprocessing` listener, or it uses no authkey.
    NotAChallenge {
        /// The message's length in bytes.
        len: usize,
    },
    /// The peer's challenge is shorter than 20 bytes after `#CHALLENGE#`.
    ChallengeTooShort {
        /// Its length after the prefix.
        len: usize,
    },
    /// A challenge or answer longer than the legacy 16 or 20 bytes without a `{digest}` name
    /// in front.
    MissingDigestName {
        /// Its length in bytes.
        len: usize,
    },
    /// The peer named a digest this side does not implement (`sha3_256`, `sha3_384`, or an
    /// unknown one).
    UnsupportedDigest {
        /// The name between the braces, lossily decoded.
        name: String,
    },
    /// The peer's answer is not as long as the digest it names.
    AnswerLength {
        /// The digest the answer names (or HMAC-MD5 for a bare answer).
        digest: Digest,
        /// The digest's length.
        expected: usize,
        /// The answer's length.
        got: usize,
    },
    /// After our answer the peer sent neither `#WELCOME#` nor `#FAILURE#`.
    UnexpectedReply {
        /// The reply's length in bytes.
        len: usize,
    },
    /// A handshake message longer than 256 bytes, the most `multiprocessing.connection`
    /// accepts there: refused before its bytes were read.
    Oversized {
        /// The length its header declared.
        len: u64,
        /// The limit, 256.
        max: usize,
    },
    /// The peer used HMAC-MD5 (a legacy challenge or a bare 16-byte answer) and this key
    /// refuses it ([`AuthKey::accept_legacy_md5`](super::AuthKey::accept_legacy_md5)).
    LegacyRefused,
    /// The peer closed the connection during the handshake.
    Closed,
}

impl AuthError {
    /// Which side refused: the peer for a `#FAILURE#` answer, this process for everything
    /// else (it found the peer's digest wrong or its message malformed).
    pub fn refused_by(&self) -> Side {
        match self {
            AuthError::WrongKey { refused_by, .. } => *refused_by,
            _ => Side::Local,
        }
    }

    /// The digest involved, where one was settled.
    pub fn digest(&self) -> Option<Digest> {
        match self {
            AuthError::WrongKey { digest, .. } | AuthError::AnswerLength { digest, .. } => {
                Some(*digest)
            }
            AuthError::LegacyRefused => Some(Digest::Md5),
            _ => None,
        }
    }

    /// The `AuthError` inside `e`, if it holds one.
    pub fn from_io(e: &io::Error) -> Option<&AuthError> {
        e.get_ref().and_then(|e| e.downcast_ref::<AuthError>())
    }

    fn kind(&self) -> io::ErrorKind {
        match self {
            AuthError::WrongKey { .. } | AuthError::LegacyRefused => {
                io::ErrorKind::PermissionDenied
            }
            AuthError::Closed => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("authentication failed: ")?;
        match self {
            AuthError::WrongKey {
                refused_by: Side::Local,
                digest,
            } => write!(
                f,
                "the peer's {digest} answer to our challenge is wrong, so we refused it (the \
                 authkeys differ)"
            ),
            AuthError::WrongKey {
                refused_by: Side::Peer,
                digest,
            } => write!(
                f,
                "the peer refused our {digest} answer to its challenge (the authkeys differ)"
            ),
            AuthError::NotAChallenge { len } => write!(
                f,
                "the peer's first message ({len} bytes) is not a #CHALLENGE#, so we refused \
                 it (does the peer use an authkey?)"
            ),
            AuthError::ChallengeTooShort { len } => write!(
                f,
                "the peer's challenge is {len} bytes, under the 20 a challenge holds, so we \
                 refused it"
            ),
            AuthError::MissingDigestName { len } => write!(
                f,
                "the peer's {len}-byte message has no {{digest}} name in front (only 16- and \
                 20-byte legacy HMAC-MD5 messages go without), so we refused it"
            ),
            AuthError::UnsupportedDigest { name } => write!(
                f,
                "the peer asks for digest {{{name}}}, which is not implemented here (md5, \
                 sha256 and sha384 are), so we refused it"
            ),
            AuthError::AnswerLength {
                digest,
                expected,
                got,
            } => write!(
                f,
                "the peer's {digest} answer is {got} bytes, not {expected}, so we refused it"
            ),
            AuthError::UnexpectedReply { len } => write!(
                f,
                "after our answer the peer sent a {len}-byte message that is neither \
                 #WELCOME# nor #FAILURE#"
            ),
            AuthError::Oversized { len, max } => write!(
                f,
                "the peer's handshake message is {len} bytes, over the {max} bytes \
                 multiprocessing.connection allows, so we refused it unread"
            ),
            AuthError::LegacyRefused => f.write_str(
                "the peer uses legacy HMAC-MD5 and this authkey refuses it \
                 (accept_legacy_md5(false))",
            ),
            AuthError::Closed => f.write_str("the peer closed the connection during the handshake"),
        }
    }
}

impl std::error::Error for AuthError {}

impl From<AuthError> for io::Error {
    fn from(e: AuthError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}
