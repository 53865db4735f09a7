//! The key and the two computations of the handshake: answering a challenge, checking an
//! answer.

use std::fmt;
use std::io;
use std::path::Path;

use super::{AuthError, Digest, Side};

/// Random bytes in a challenge: Python 3.12+ sends 40 after the `{digest}` name, Python 3.11
/// and earlier 20 with no name.
const MODERN_RANDOM: usize = 40;
const LEGACY_CHALLENGE: usize = 20;
/// The bare HMAC-MD5 answer of the legacy form.
const LEGACY_ANSWER: usize = 16;
/// The longest digest name Python accepts (`sha3_384`): the `}` must come within it.
const MAX_NAME: usize = 8;

/// A `multiprocessing.connection` authkey, and how this side runs the handshake.
///
/// By default our challenges are `{sha256}` (what Python 3.12 and later send), and legacy
/// HMAC-MD5 from the peer is accepted, as every current Python accepts it: a Python 3.11
/// peer answers a `{sha256}` challenge with a bare HMAC-MD5 of all of it, and challenges
/// with 20 bytes of its own.
///
/// `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    key: Vec<u8>,
    digest: Digest,
    accept_md5: bool,
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("key", &format_args!("<{} bytes>", self.key.len()))
            .field("digest", &self.digest)
            .field("accept_md5", &self.accept_md5)
            .finish()
    }
}

impl AuthKey {
    /// The key `key` (Python's `authkey=b'...'`), with `{sha256}` challenges.
    pub fn new(key: impl Into<Vec<u8>>) -> AuthKey {
        AuthKey {
            key: key.into(),
            digest: Digest::Sha256,
            accept_md5: true,
        }
    }

    /// The key in the file at `path`: all of its bytes, exactly (a trailing newline is part
    /// of the key; write the file with `printf '%s'`, or from Python with
    /// `open(path, 'wb').write(key)`). An empty file is an [`io::ErrorKind::InvalidInput`]
    /// error: Python's `Listener` takes an empty key for no authentication at all.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<AuthKey> {
        let path = path.as_ref();
        let key = std::fs::read(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read the authkey file {}: {e}", path.display()),
            )
        })?;
        if key.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the authkey file {} is empty: an empty key means no authentication to \
                     Python, so it is refused",
                    path.display()
                ),
            ));
        }
        Ok(AuthKey::new(key))
    }

    /// The digest our challenges ask for: [`Digest::Sha256`] (the default, `{sha256}` and 40
    /// random bytes, as Python 3.12+ sends), [`Digest::Sha384`], or [`Digest::Md5`], the
    /// legacy form (20 random bytes, no name, as Python 3.11 and earlier send).
    pub fn challenge_digest(mut self, digest: Digest) -> AuthKey {
        self.digest = digest;
        self
    }

    /// Whether the peer may use HMAC-MD5: a legacy 20-byte challenge, a bare 16-byte answer,
    /// or `{md5}` (default `true`, as in Python). With `false` those are
    /// [`AuthError::LegacyRefused`]; Python 3.11 and earlier peers then cannot connect.
    pub fn accept_legacy_md5(mut self, accept: bool) -> AuthKey {
        self.accept_md5 = accept;
        self
    }

    /// The digest our challenges ask for.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Whether the peer may use HMAC-MD5 (see [`accept_legacy_md5`](Self::accept_legacy_md5)).
    pub fn accepts_legacy_md5(&self) -> bool {
        self.accept_md5
    }

    /// Fails for a configuration that could never authenticate (legacy challenges while MD5
    /// answers are refused) or an empty key.
    pub(crate) fn check(&self) -> io::Result<()> {
        if self.key.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the authkey is empty: an empty key means no authentication to Python",
            ));
        }
        if self.digest == Digest::Md5 && !self.accept_md5 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "challenge_digest(Digest::Md5) asks for MD5 answers, which \
                 accept_legacy_md5(false) refuses",
            ));
        }
        Ok(())
    }

    /// A fresh challenge, the bytes after `#CHALLENGE#`: the digest's `{name}` and 40 random
    /// bytes, or 20 random bytes for [`Digest::Md5`]. The random bytes come from the
    /// operating system's generator.
    pub fn new_challenge(&self) -> io::Result<Vec<u8>> {
        let mut random = [0u8; MODERN_RANDOM];
        let random = match self.digest {
            Digest::Md5 => &mut random[..LEGACY_CHALLENGE],
            _ => &mut random[..],
        };
        getrandom::fill(random).map_err(|e| {
            io::Error::other(format!("cannot get random bytes for a challenge: {e}"))
        })?;
        Ok(match self.digest {
            Digest::Md5 => random.to_vec(),
            d => [b"{", d.name().as_bytes(), b"}", &*random].concat(),
        })
    }

    /// Our answer to the peer's `challenge` (the bytes after `#CHALLENGE#`) and its digest:
    /// the bare HMAC-MD5 of a legacy 20-byte challenge, or `{name}` and the HMAC of the whole
    /// challenge, its name included, with the digest it names.
    pub fn answer(&self, challenge: &[u8]) -> Result<(Vec<u8>, Digest), AuthError> {
        if challenge.len() < LEGACY_CHALLENGE {
            return Err(AuthError::ChallengeTooShort {
                len: challenge.len(),
            });
        }
        match named_digest(challenge)? {
            None => {
                if !self.accept_md5 {
                    return Err(AuthError::LegacyRefused);
                }
                Ok((Digest::Md5.mac(&self.key, challenge), Digest::Md5))
            }
            Some(d) => {
                if d == Digest::Md5 && !self.accept_md5 {
                    return Err(AuthError::LegacyRefused);
                }
                let mac = d.mac(&self.key, challenge);
                Ok(([b"{", d.name().as_bytes(), b"}", &mac].concat(), d))
            }
        }
    }

    /// Checks the peer's `answer` to our `challenge` (the bytes after `#CHALLENGE#`); the
    /// digest it used. The MAC is compared in constant time. A bare 16-byte answer is legacy
    /// HMAC-MD5 (accepted unless [`accept_legacy_md5(false)`](Self::accept_legacy_md5)); any
    /// other names its digest, as Python 3.12+ checks it.
    pub fn verify(&self, challenge: &[u8], answer: &[u8]) -> Result<Digest, AuthError> {
        let (digest, mac) = match named_digest(answer)? {
            None => (Digest::Md5, answer),
            Some(d) => (d, &answer[d.name().len() + 2..]),
        };
        if digest == Digest::Md5 && !self.accept_md5 {
            return Err(AuthError::LegacyRefused);
        }
        if mac.len() != digest.mac_len() {
            return Err(AuthError::AnswerLength {
                digest,
                expected: digest.mac_len(),
                got: mac.len(),
            });
        }
        if !digest.verify(&self.key, challenge, mac) {
            return Err(AuthError::WrongKey {
                refused_by: Side::Local,
                digest,
            });
        }
        Ok(digest)
    }
}

/// The digest a challenge or answer names: `None` for the legacy 16- and 20-byte forms,
/// which name none (HMAC-MD5); an error for a longer message without an implemented
/// `{name}`.
fn named_digest(message: &[u8]) -> Result<Option<Digest>, AuthError> {
    if message.len() == LEGACY_CHALLENGE || message.len() == LEGACY_ANSWER {
        return Ok(None);
    }
    let name = message
        .strip_prefix(b"{")
        .and_then(|rest| {
            let end = rest.len().min(MAX_NAME + 1);
            rest[..end]
                .iter()
                .position(|&b| b == b'}')
                .map(|i| &rest[..i])
        })
        .filter(|n| !n.is_empty());
    let Some(name) = name else {
        return Err(AuthError::MissingDigestName { len: message.len() });
    };
    match Digest::from_name(name) {
        Some(d) => Ok(Some(d)),
        None => Err(AuthError::UnsupportedDigest {
            name: String::from_utf8_lossy(name).into_owned(),
        }),
    }
}
