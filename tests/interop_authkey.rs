//! The authkey handshake (`pipeframe::authkey`) against CPython's own
//! `multiprocessing.connection` (`Listener(..., authkey=)` / `Client(..., authkey=)`, run by
//! `tests/peers/mp_auth.py`), in both roles, with the right key and a wrong one, blocking,
//! tokio and smol, against two Pythons:
//!
//! * the machine's `python3` (3.11): the legacy form only (a 20-byte challenge, bare
//!   HMAC-MD5 answers, also to our `{sha256}` challenges);
//! * CPython 3.13 (`tests/peers/.python-new/python3`, from Debian 13's packages, see
//!   `setup_python_new.sh`): `{sha256}` challenges and answers, and the legacy form when we
//!   send a legacy challenge.
//!
//! After each handshake a frame goes each way with `LengthPrefixed::python()`, and every
//! listener (Python's and ours) serves a good client after refusing a bad one.
#![cfg(unix)]

#[path = "peers/support.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{ChildStdout, Command, Stdio};
use std::sync::mpsc;

use pipeframe::authkey::{AuthError, AuthKey, Authenticated, Digest, Side};
use pipeframe::codec::LengthPrefixed;
use pipeframe::named::{Listener, PipeName};
use pipeframe::sync::FrameStream;
use support::{Peer, peer_file, require};

const KEY: &[u8] = b"the key \x00\xff shared by both";
const WRONG: &[u8] = b"not the key";

/// A Python to run the peer with, and which handshake form its multiprocessing speaks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Py {
    /// The machine's python3 (3.11): HMAC-MD5 only.
    Legacy,
    /// CPython 3.13: `{sha256}`.
    Modern,
}

impl Py {
    fn program(self) -> PathBuf {
        match self {
            Py::Legacy => PathBuf::from("python3"),
            Py::Modern => peer_file(".python-new/python3"),
        }
    }

    fn command(self) -> Command {
        let p = self.program();
        let check = match self {
            // 3.11's multiprocessing has no {digest} support: the legacy form only.
            Py::Legacy => {
                "import sys, multiprocessing.connection as c; assert sys.version_info < (3, 12); assert not hasattr(c, '_create_response')"
            }
            Py::Modern => {
                "import sys, multiprocessing.connection as c; assert sys.version_info >= (3, 12); c._create_response"
            }
        };
        require(
            p.to_str().unwrap(),
            &["-c", check],
            &format!("{self:?} python at {}", p.display()),
        );
        let mut cmd = Command::new(p);
        cmd.arg(peer_file("mp_auth.py"));
        cmd
    }

    /// The digest this Python answers a challenge of ours (`{sha256}` by default) with, and
    /// the digest of the challenges it sends.
    fn digest(self) -> Digest {
        match self {
            Py::Legacy => Digest::Md5,
            Py::Modern => Digest::Sha256,
        }
    }
}

fn hex(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Python peer whose stdout lines we read.
struct PyPeer {
    peer: Peer,
    out: BufReader<ChildStdout>,
}

impl PyPeer {
    fn spawn(py: Py, args: &[&str]) -> PyPeer {
        let mut cmd = py.command();
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped());
        let mut peer = Peer::spawn(&format!("mp_auth.py {args:?} ({py:?})"), cmd);
        let out = BufReader::new(peer.child.stdout.take().unwrap());
        PyPeer { peer, out }
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        self.out.read_line(&mut s).expect("read python's stdout");
        s.trim_end().to_owned()
    }
}

fn listen(py: Py, path: &Path, key: &[u8], count: usize) -> PyPeer {
    let mut p = PyPeer::spawn(
        py,
        &[
            "listen",
            path.to_str().unwrap(),
            &hex(key),
            &count.to_string(),
        ],
    );
    assert_eq!(p.line(), "ready");
    p
}

/// One python-framed frame each way after a handshake: ours, then Python's echo of it.
fn exchange(sock: UnixStream, frame: &[u8]) -> FrameStream<UnixStream, UnixStream, LengthPrefixed> {
    let mut s = FrameStream::new(sock, LengthPrefixed::python()).unwrap();
    s.write_frame(frame).unwrap();
    let echo = s.read_frame().unwrap().expect("python's echo");
    assert_eq!(&echo[..], [b"py:", frame].concat());
    s
}

fn auth_error(e: &std::io::Error) -> AuthError {
    AuthError::from_io(e)
        .unwrap_or_else(|| panic!("not an AuthError: {e:?}"))
        .clone()
}

#[test]
fn blocking_client_to_python_listeners() {
    for py in [Py::Legacy, Py::Modern] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mp.sock");
        let mut python = listen(py, &path, KEY, 4);

        // The right key: Python's challenge and its answer to ours in its own form.
        let sock = UnixStream::connect(&path).unwrap();
        let done = AuthKey::new(KEY).client(&sock).unwrap();
        assert_eq!(
            done,
            Authenticated {
                answered: py.digest(),
                verified: py.digest()
            },
            "{py:?}"
        );
        assert_eq!(python.line(), "ok");
        drop(exchange(sock, b"after the handshake"));

        // A wrong key: Python checks our answer first and refuses it.
        let sock = UnixStream::connect(&path).unwrap();
        let err = AuthKey::new(WRONG).client(&sock).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
        assert_eq!(
            auth_error(&err),
            AuthError::WrongKey {
                refused_by: Side::Peer,
                digest: py.digest()
            },
            "{py:?}: {err}"
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with("authentication failed: the peer refused our"),
            "{msg}"
        );
        assert!(msg.contains(&py.digest().to_string()), "{msg}");
        let refused = python.line();
        assert!(
            refused.starts_with("refused: AuthenticationError"),
            "{refused}"
        );
        drop(sock);

        // The legacy challenge form from us (20 bytes, HMAC-MD5), which every Python answers.
        let sock = UnixStream::connect(&path).unwrap();
        let done = AuthKey::new(KEY)
            .challenge_digest(Digest::Md5)
            .client(&sock)
            .unwrap();
        assert_eq!(
            done,
            Authenticated {
                answered: py.digest(),
                verified: Digest::Md5
            }
        );
        assert_eq!(python.line(), "ok");
        drop(exchange(sock, b"legacy"));

        // Refusing MD5 meets only the modern Python.
        let sock = UnixStream::connect(&path).unwrap();
        let strict = AuthKey::new(KEY).accept_legacy_md5(false).client(&sock);
        match py {
            Py::Legacy => {
                let err = strict.unwrap_err();
                assert_eq!(auth_error(&err), AuthError::LegacyRefused, "{err}");
                // Python waits for an answer we never send; closing ends its accept.
                drop(sock);
                let refused = python.line();
                assert!(refused.starts_with("refused:"), "{refused}");
            }
            Py::Modern => {
                assert_eq!(strict.unwrap().verified, Digest::Sha256);
                assert_eq!(python.line(), "ok");
                drop(exchange(sock, b"strict"));
            }
        }
        python.peer.finish();
    }
}

/// Our listener: accepts `n` connections, authenticates each in its own thread (as `serve`
/// runs handlers) and reports each outcome; an authenticated client gets its first frame
/// answered with `rs:` in front.
fn our_listener(
    path: &Path,
    key: AuthKey,
    n: usize,
) -> mpsc::Receiver<std::io::Result<Authenticated>> {
    let listener = Listener::bind(&PipeName::from_path(path)).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..n {
            let stream = listener.accept().unwrap();
            let key = key.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                let res = key.server(&stream);
                let ok = res.is_ok();
                tx.send(res).unwrap();
                if ok {
                    let mut s = stream.framed(LengthPrefixed::python()).unwrap();
                    let hello = s.read_frame().unwrap().unwrap();
                    s.write_frame(&[b"rs:", &hello[..]].concat()).unwrap();
                    s.flush().unwrap();
                }
            });
        }
    });
    rx
}

#[test]
fn python_clients_to_our_blocking_listener() {
    for py in [Py::Legacy, Py::Modern] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ours.sock");
        let outcomes = our_listener(&path, AuthKey::new(KEY), 2);

        // A wrong key first: we refuse Python's answer to our challenge.
        let mut bad = PyPeer::spawn(py, &["connect", path.to_str().unwrap(), &hex(WRONG)]);
        let err = outcomes.recv().unwrap().unwrap_err();
        assert_eq!(
            auth_error(&err),
            AuthError::WrongKey {
                refused_by: Side::Local,
                digest: py.digest()
            },
            "{py:?}: {err}"
        );
        assert!(err.to_string().contains("so we refused it"), "{err}");
        let refused = bad.line();
        assert!(
            refused.starts_with("refused: AuthenticationError"),
            "{refused}"
        );
        let (status, _) = bad.peer.wait();
        assert_eq!(status.code(), Some(3));

        // The listener goes on: the right key gets in.
        let mut good = PyPeer::spawn(py, &["connect", path.to_str().unwrap(), &hex(KEY)]);
        let done = outcomes.recv().unwrap().unwrap();
        assert_eq!(
            done,
            Authenticated {
                answered: py.digest(),
                verified: py.digest()
            },
            "{py:?}"
        );
        assert_eq!(good.line(), "ok");
        assert_eq!(good.line(), "rs:hello from python");
        good.peer.finish();
    }
}

#[test]
fn tokio_both_roles_with_python() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for py in [Py::Legacy, Py::Modern] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mp.sock");
        let mut python = listen(py, &path, KEY, 2);
        rt.block_on(async {
            let mut sock = tokio::net::UnixStream::connect(&path).await.unwrap();
            let done = pipeframe::authkey::tokio::client(&AuthKey::new(KEY), &mut sock)
                .await
                .unwrap();
            assert_eq!(done.verified, py.digest());
            assert_eq!(python.line(), "ok");
            let sock = sock.into_std().unwrap();
            sock.set_nonblocking(false).unwrap();
            drop(exchange(sock, b"tokio"));

            let mut sock = tokio::net::UnixStream::connect(&path).await.unwrap();
            let err = pipeframe::authkey::tokio::client(&AuthKey::new(WRONG), &mut sock)
                .await
                .unwrap_err();
            assert_eq!(auth_error(&err).refused_by(), Side::Peer);
        });
        assert!(python.line().starts_with("refused:"));
        python.peer.finish();

        // Our tokio listener side.
        let path = dir.path().join("ours.sock");
        let listener = rt
            .block_on(async {
                pipeframe::named::tokio::Listener::bind(&PipeName::from_path(&path))
            })
            .unwrap();
        let mut client = PyPeer::spawn(py, &["connect", path.to_str().unwrap(), &hex(KEY)]);
        let done = rt.block_on(async {
            let mut s = listener.accept().await.unwrap();
            let done = pipeframe::authkey::tokio::server(&AuthKey::new(KEY), &mut s)
                .await
                .unwrap();
            use futures_lite::StreamExt;
            let (r, w) = s.into_split();
            let mut r = pipeframe::tokio::AsyncFrameReader::new(r, LengthPrefixed::python());
            let hello = r.next().await.unwrap().unwrap();
            let mut w = pipeframe::tokio::AsyncFrameWriter::new(w, LengthPrefixed::python());
            w.write_frame(&[b"rs:", &hello[..]].concat()).await.unwrap();
            w.flush().await.unwrap();
            done
        });
        assert_eq!(
            done,
            Authenticated {
                answered: py.digest(),
                verified: py.digest()
            }
        );
        assert_eq!(client.line(), "ok");
        assert_eq!(client.line(), "rs:hello from python");
        client.peer.finish();
    }
}

#[test]
fn smol_both_roles_with_python() {
    for py in [Py::Legacy, Py::Modern] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mp.sock");
        let mut python = listen(py, &path, KEY, 2);
        smol::block_on(async {
            let mut sock = smol::Async::<UnixStream>::connect(&path).await.unwrap();
            let done = pipeframe::authkey::futures_io::client(&AuthKey::new(KEY), &mut sock)
                .await
                .unwrap();
            assert_eq!(done.verified, py.digest());
            assert_eq!(python.line(), "ok");
            let sock = sock.into_inner().unwrap();
            sock.set_nonblocking(false).unwrap();
            drop(exchange(sock, b"smol"));

            let mut sock = smol::Async::<UnixStream>::connect(&path).await.unwrap();
            let err = pipeframe::authkey::futures_io::client(&AuthKey::new(WRONG), &mut sock)
                .await
                .unwrap_err();
            assert_eq!(auth_error(&err).refused_by(), Side::Peer);
        });
        assert!(python.line().starts_with("refused:"));
        python.peer.finish();

        let path = dir.path().join("ours.sock");
        let listener =
            pipeframe::named::futures_io::Listener::bind(&PipeName::from_path(&path)).unwrap();
        let mut bad = PyPeer::spawn(py, &["connect", path.to_str().unwrap(), &hex(WRONG)]);
        let good = smol::block_on(async {
            let mut s = listener.accept().await.unwrap();
            let err = pipeframe::authkey::futures_io::server(&AuthKey::new(KEY), &mut s)
                .await
                .unwrap_err();
            assert_eq!(
                auth_error(&err),
                AuthError::WrongKey {
                    refused_by: Side::Local,
                    digest: py.digest()
                }
            );
            drop(s);
            assert!(bad.line().starts_with("refused:"));
            // The listener goes on with the next client.
            let mut good = PyPeer::spawn(py, &["connect", path.to_str().unwrap(), &hex(KEY)]);
            let mut s = listener.accept().await.unwrap();
            let done = pipeframe::authkey::futures_io::server(&AuthKey::new(KEY), &mut s)
                .await
                .unwrap();
            assert_eq!(
                done,
                Authenticated {
                    answered: py.digest(),
                    verified: py.digest()
                }
            );
            assert_eq!(good.line(), "ok");
            use futures_lite::StreamExt;
            let (r, w) = s.into_split();
            let mut r = pipeframe::futures_io::AsyncFrameReader::new(r, LengthPrefixed::python());
            let hello = r.next().await.unwrap().unwrap();
            let mut w = pipeframe::futures_io::AsyncFrameWriter::new(w, LengthPrefixed::python());
            w.write_frame(&[b"rs:", &hello[..]].concat()).await.unwrap();
            w.flush().await.unwrap();
            good
        });
        let mut good = good;
        assert_eq!(good.line(), "rs:hello from python");
        good.peer.finish();
        let (status, _) = bad.peer.wait();
        assert_eq!(status.code(), Some(3));
    }
}
