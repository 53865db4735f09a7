//! SPEC.md §10: the `authkey-vectors` block, answers and checks of the
//! `multiprocessing.connection` authkey handshake (made with Python 3.13's own code), and the
//! client's bytes on the wire; plus the handshake against scripted peers that break the
//! protocol.
#![cfg(feature = "authkey")]

mod spec_support;

use std::io::{self, Read, Write};

use pipeframe::authkey::{AuthError, AuthKey, Digest, MAX_MESSAGE};

/// A stream that reads from a script and records what is written.
struct Scripted {
    input: io::Cursor<Vec<u8>>,
    output: Vec<u8>,
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn scripted(input: Vec<u8>) -> Scripted {
    Scripted {
        input: io::Cursor::new(input),
        output: Vec::new(),
    }
}

fn key_of(field: &str) -> AuthKey {
    AuthKey::new(spec_support::bytes(field))
}

#[test]
fn authkey_vectors_block_of_spec() {
    let lines = spec_support::block("authkey-vectors");
    let mut counts = [0usize; 3];
    for (n, line) in &lines {
        let f = spec_support::fields(line);
        let (verb, key) = f[0].split_once(' ').unwrap();
        let at = format!("SPEC.md:{n}: {line}");
        match verb {
            "answer" => {
                let key = key_of(key);
                let (m, a) = (spec_support::bytes(f[1]), spec_support::bytes(f[2]));
                let (ours, digest) = key.answer(&m).expect(&at);
                assert_eq!(ours, a, "{at}");
                assert_eq!(key.verify(&m, &a), Ok(digest), "{at}");
                counts[0] += 1;
            }
            "verify" => {
                let key = key_of(key);
                let (m, a) = (spec_support::bytes(f[1]), spec_support::bytes(f[2]));
                let got = match key.verify(&m, &a) {
                    Ok(d) => format!("{d:?}"),
                    Err(e) => format!("error {e:?}"),
                };
                assert_eq!(got.replace(' ', ""), f[3].replace(' ', ""), "{at}");
                counts[1] += 1;
            }
            "wire" => {
                let (role, key) = key.split_once(' ').unwrap();
                assert_eq!(role, "client", "{at}");
                let key = key_of(key);
                let mut input = spec_support::bytes(f[1]);
                input.extend_from_slice(b"\x00\x00\x00\x09#WELCOME#");
                let mut s = scripted(input);
                // The listener never answers our challenge: the script ends there.
                let err = key.client(&mut s).unwrap_err();
                assert_eq!(AuthError::from_io(&err), Some(&AuthError::Closed), "{at}");
                let want = spec_support::bytes(f[2]);
                assert_eq!(&s.output[..want.len()], &want[..], "{at}");
                let ours = &s.output[want.len()..];
                assert_eq!(ours.len(), 4 + 11 + 8 + 40, "{at}: our challenge frame");
                assert_eq!(&ours[..23], b"\x00\x00\x00\x3b#CHALLENGE#{sha256}", "{at}");
                counts[2] += 1;
            }
            _ => panic!("{at}: unknown vector kind {verb}"),
        }
    }
    assert!(
        counts[0] >= 3 && counts[1] >= 7 && counts[2] >= 2,
        "vectors read: {counts:?}"
    );
}

/// A listener's bytes: each message framed with Python's 4-byte length.
fn frames(msgs: &[&[u8]]) -> Vec<u8> {
    msgs.iter()
        .flat_map(|m| [&(m.len() as u32).to_be_bytes()[..], m].concat())
        .collect()
}

fn client_error(input: Vec<u8>) -> (AuthError, Vec<u8>) {
    let mut s = scripted(input);
    let e = AuthKey::new(*b"k").client(&mut s).unwrap_err();
    (
        AuthError::from_io(&e)
            .unwrap_or_else(|| panic!("{e:?}"))
            .clone(),
        s.output,
    )
}

#[test]
fn malformed_challenges_are_refused() {
    let (e, out) = client_error(frames(&[b"#CHALLENGE#short"]));
    assert_eq!(e, AuthError::ChallengeTooShort { len: 5 });
    assert!(out.is_empty(), "nothing answered to a bad challenge");
    let (e, _) = client_error(frames(&[b"hello, not a challenge"]));
    assert_eq!(e, AuthError::NotAChallenge { len: 22 });
    let (e, _) = client_error(frames(&[
        &[b"#CHALLENGE#{sha3_384}", &[0u8; 40][..]].concat()
    ]));
    assert_eq!(
        e,
        AuthError::UnsupportedDigest {
            name: "sha3_384".into()
        }
    );
    let (e, _) = client_error(frames(&[&[b"#CHALLENGE#{sha256", &[0u8; 40][..]].concat()]));
    assert_eq!(e, AuthError::MissingDigestName { len: 47 });
    let (e, _) = client_error(frames(&[
        &[b"#CHALLENGE#", &[7u8; 20][..]].concat(),
        b"#HUH#",
    ]));
    assert_eq!(e, AuthError::UnexpectedReply { len: 5 });
    let (e, _) = client_error(frames(&[
        &[b"#CHALLENGE#", &[7u8; 20][..]].concat(),
        b"#FAILURE#",
    ]));
    assert_eq!(
        e,
        AuthError::WrongKey {
            refused_by: pipeframe::authkey::Side::Peer,
            digest: Digest::Md5
        }
    );
    // Closed halfway through a header.
    let (e, _) = client_error(vec![0, 0]);
    assert_eq!(e, AuthError::Closed);
    assert!(e.to_string().starts_with("authentication failed: "), "{e}");
}

#[test]
fn oversized_messages_are_refused_unread() {
    // Only the header arrives: a reader that waited for the 1 MiB payload would hang on
    // the scripted end of stream and report Closed instead.
    for header in [
        &1_048_576u32.to_be_bytes()[..],
        &[0xff; 4][..],
        &[0x80, 0, 0, 0][..],
    ] {
        let mut input = header.to_vec();
        if header == [0xff; 4] {
            input.extend_from_slice(&(u64::MAX).to_be_bytes());
        }
        let (e, _) = client_error(input);
        assert!(
            matches!(
                e,
                AuthError::Oversized {
                    max: MAX_MESSAGE,
                    ..
                }
            ),
            "{e:?}"
        );
    }
    // The largest allowed message is read.
    let (e, _) = client_error(frames(&[&[b'x'; 256][..]]));
    assert_eq!(e, AuthError::NotAChallenge { len: 256 });
    let (e, _) = client_error(frames(&[&[b'x'; 257][..]]));
    assert_eq!(e, AuthError::Oversized { len: 257, max: 256 });
}

#[test]
fn a_server_refuses_bad_answers_with_failure() {
    // A client that answers our challenge with garbage: we send #FAILURE#.
    let mut s = scripted(frames(&[&[0u8; 16][..]]));
    let e = AuthKey::new(*b"k").server(&mut s).unwrap_err();
    assert_eq!(
        AuthError::from_io(&e),
        Some(&AuthError::WrongKey {
            refused_by: pipeframe::authkey::Side::Local,
            digest: Digest::Md5
        })
    );
    assert!(
        s.output.ends_with(b"\x00\x00\x00\x09#FAILURE#"),
        "{:?}",
        s.output
    );
    let mut s = scripted(frames(&[&[0u8; 300][..]]));
    let e = AuthKey::new(*b"k").server(&mut s).unwrap_err();
    assert_eq!(
        AuthError::from_io(&e),
        Some(&AuthError::Oversized { len: 300, max: 256 })
    );
    // Refusing legacy MD5.
    let mut s = scripted(frames(&[&[0u8; 16][..]]));
    let e = AuthKey::new(*b"k")
        .accept_legacy_md5(false)
        .server(&mut s)
        .unwrap_err();
    assert_eq!(AuthError::from_io(&e), Some(&AuthError::LegacyRefused));
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    // Configurations that cannot work are refused before anything is sent.
    let mut s = scripted(Vec::new());
    let e = AuthKey::new(*b"k")
        .challenge_digest(Digest::Md5)
        .accept_legacy_md5(false)
        .server(&mut s)
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    let e = AuthKey::new(Vec::new()).server(&mut s).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(s.output.is_empty());
}

#[cfg(unix)]
#[test]
fn our_listener_goes_on_after_hostile_clients() {
    use pipeframe::named::{Listener, PipeName};
    use std::os::unix::net::UnixStream;
    let dir = tempfile::tempdir().unwrap();
    let name = PipeName::from_path(dir.path().join("l.sock"));
    let listener = Listener::bind(&name).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        listener
            .serve(move |s| {
                let res = AuthKey::new(*b"key").server(&s);
                tx.send(
                    res.as_ref()
                        .map(|_| ())
                        .map_err(|e| AuthError::from_io(e).cloned()),
                )
                .unwrap();
                res.map(drop)
            })
            .unwrap();
    });
    let path = name.socket_path().unwrap();
    // An oversized answer header, a client that hangs up, garbage: each refused alone.
    for junk in [
        &u32::MAX.to_be_bytes()[..],
        b"",
        &frames(&[b"not an answer at all"])[..],
    ] {
        let mut c = UnixStream::connect(&path).unwrap();
        let mut challenge = [0u8; 4 + 59];
        c.read_exact(&mut challenge).unwrap();
        c.write_all(junk).unwrap();
        drop(c);
        assert!(rx.recv().unwrap().is_err());
    }
    // A good client still gets in.
    let c = UnixStream::connect(&path).unwrap();
    AuthKey::new(*b"key").client(&c).unwrap();
    assert_eq!(rx.recv().unwrap(), Ok(()));
}

/// The handshake over whole messages (what Python does on Windows' message-mode pipes, one
/// pipe message per handshake message): here seqpacket, then a `python`-framed stream.
#[cfg(target_os = "linux")]
#[test]
fn handshake_over_frames_both_roles() {
    use pipeframe::codec::LengthPrefixed;
    use pipeframe::message::SeqpacketStream;
    use pipeframe::sync::FrameStream;
    let (mut a, mut b) = SeqpacketStream::pair().unwrap();
    let server = std::thread::spawn(move || {
        let done = AuthKey::new(*b"k").server_frames(&mut b).unwrap();
        b.write_frame(b"after").unwrap();
        done
    });
    let done = AuthKey::new(*b"k").client_frames(&mut a).unwrap();
    assert_eq!(done.verified, Digest::Sha256);
    assert_eq!(server.join().unwrap().answered, Digest::Sha256);
    assert_eq!(&a.read_frame().unwrap().unwrap()[..], b"after");

    // A wrong key over a framed stream; and an oversized message refused by length.
    let (x, y) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut x = FrameStream::new(x, LengthPrefixed::python()).unwrap();
    let mut y = FrameStream::new(y, LengthPrefixed::python()).unwrap();
    let server = std::thread::spawn(move || AuthKey::new(*b"k").server_frames(&mut y).unwrap_err());
    let e = AuthKey::new(*b"other").client_frames(&mut x).unwrap_err();
    assert_eq!(
        AuthError::from_io(&e).unwrap().refused_by(),
        pipeframe::authkey::Side::Peer
    );
    let e = server.join().unwrap();
    assert_eq!(
        AuthError::from_io(&e).unwrap().refused_by(),
        pipeframe::authkey::Side::Local
    );
    let (mut c, d) = SeqpacketStream::pair().unwrap();
    d.write_frame(&[b'#'; 300]).unwrap();
    let e = AuthKey::new(*b"k").client_frames(&mut c).unwrap_err();
    assert_eq!(
        AuthError::from_io(&e),
        Some(&AuthError::Oversized { len: 300, max: 256 })
    );
}
