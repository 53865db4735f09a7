//! The HMAC digests of the handshake, and how each one is named on the wire.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};

/// An HMAC digest of the handshake.
///
/// Python 3.12 and later name the digest in front of a challenge or an answer (`{sha256}`);
/// Python 3.11 and earlier know HMAC-MD5 only, with no name: a 20-byte challenge and a bare
/// 16-byte answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Digest {
    /// HMAC-MD5, the legacy form: a 20-byte challenge and a 16-byte answer, both without a
    /// name (Python 3.11 and earlier; later Pythons still accept it).
    Md5,
    /// HMAC-SHA256, `{sha256}`: what Python 3.12 and later send.
    Sha256,
    /// HMAC-SHA384, `{sha384}`: accepted by Python 3.12 and later.
    Sha384,
}

impl Digest {
    /// The name between the braces (`sha256`), as Python's `hmac.new` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Digest::Md5 => "md5",
            Digest::Sha256 => "sha256",
            Digest::Sha384 => "sha384",
        }
    }

    /// The digest called `name`, if implemented.
    pub(crate) fn from_name(name: &[u8]) -> Option<Digest> {
        match name {
            b"md5" => Some(Digest::Md5),
            b"sha256" => Some(Digest::Sha256),
            b"sha384" => Some(Digest::Sha384),
            _ => None,
        }
    }

    /// The length of the MAC in bytes.
    pub fn mac_len(self) -> usize {
        match self {
            Digest::Md5 => 16,
            Digest::Sha256 => 32,
            Digest::Sha384 => 48,
        }
    }

    /// `HMAC-<digest>(key, message)`.
    pub(crate) fn mac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
            let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }
        match self {
            Digest::Md5 => run::<Hmac<md5::Md5>>(key, message),
            Digest::Sha256 => run::<Hmac<sha2::Sha256>>(key, message),
            Digest::Sha384 => run::<Hmac<sha2::Sha384>>(key, message),
        }
    }

    /// Whether `mac` is `HMAC-<digest>(key, message)`, compared in constant time; a MAC of
    /// the wrong length is `false` at once (lengths are public).
    pub(crate) fn verify(self, key: &[u8], message: &[u8], mac: &[u8]) -> bool {
        let want = self.mac(key, message);
        want.len() == mac.len() && want.iter().zip(mac).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

impl fmt::Display for Digest {
    /// `HMAC-MD5`, `HMAC-SHA256`, `HMAC-SHA384`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Digest::Md5 => "HMAC-MD5",
            Digest::Sha256 => "HMAC-SHA256",
            Digest::Sha384 => "HMAC-SHA384",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Digest;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 2202 (HMAC-MD5) and RFC 4231 (HMAC-SHA256/384) test cases 1 and 2.
    #[test]
    fn rfc_vectors() {
        let k1 = [0x0bu8; 16];
        assert_eq!(
            Digest::Md5.mac(&k1, b"Hi There"),
            hex("9294727a3638bb1c13f48ef8158bfc9d")
        );
        assert_eq!(
            Digest::Md5.mac(b"Jefe", b"what do ya want for nothing?"),
            hex("750c783e6ab0b503eaa86e310a5db738")
        );
        let k1 = [0x0bu8; 20];
        assert_eq!(
            Digest::Sha256.mac(&k1, b"Hi There"),
            hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        assert_eq!(
            Digest::Sha256.mac(b"Jefe", b"what do ya want for nothing?"),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            Digest::Sha384.mac(b"Jefe", b"what do ya want for nothing?"),
            hex(
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                 8e2240ca5e69e2c78b3239ecfab21649"
            )
        );
        for d in [Digest::Md5, Digest::Sha256, Digest::Sha384] {
            let mac = d.mac(b"k", b"m");
            assert_eq!(mac.len(), d.mac_len());
            assert!(d.verify(b"k", b"m", &mac));
            assert!(!d.verify(b"k2", b"m", &mac));
            assert!(!d.verify(b"k", b"m", &mac[1..]));
            assert_eq!(Digest::from_name(d.name().as_bytes()), Some(d));
        }
    }
}
