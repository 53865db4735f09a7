//! The authkey handshake over a Windows message-mode named pipe, as Python's
//! `multiprocessing.connection` runs it on Windows (`PIPE_TYPE_MESSAGE`, `\\.\pipe\NAME`, one
//! pipe message per handshake message and no length prefix): `AuthKey::server_frames` /
//! `client_frames` over `message::MessagePipe`, the right key and a wrong one; the listener
//! goes on after the refused client. Runs under Wine (no Windows Python here).
#![cfg(windows)]

use std::thread;
use std::time::Duration;

use pipeframe::authkey::{AuthError, AuthKey, Digest, Side};
use pipeframe::message::MessagePipe;
use pipeframe::named::{ConnectOptions, ListenOptions, PipeName};

fn client(name: &PipeName, key: &'static [u8]) -> thread::JoinHandle<std::io::Result<Vec<u8>>> {
    let name = name.clone();
    thread::spawn(move || {
        let s = ConnectOptions::new()
            .timeout(Duration::from_secs(10))
            .message(true)
            .connect(&name)?;
        let mut m = MessagePipe::new(s)?;
        let done = AuthKey::new(key).client_frames(&mut m)?;
        assert_eq!(done.answered, Digest::Sha256);
        m.write_frame(b"first message after the handshake")?;
        Ok(m.read_frame()?.unwrap().to_vec())
    })
}

#[test]
fn authkey_over_a_message_mode_pipe() {
    let name = PipeName::new(&format!("pipeframe-test-authkey-{}", std::process::id())).unwrap();
    let listener = ListenOptions::new().message(true).bind(&name).unwrap();

    let bad = client(&name, b"wrong");
    let mut m = MessagePipe::new(listener.accept().unwrap()).unwrap();
    let e = AuthKey::new(*b"right").server_frames(&mut m).unwrap_err();
    assert_eq!(
        AuthError::from_io(&e),
        Some(&AuthError::WrongKey {
            refused_by: Side::Local,
            digest: Digest::Sha256
        })
    );
    drop(m);
    let e = bad.join().unwrap().unwrap_err();
    assert_eq!(
        AuthError::from_io(&e).map(AuthError::refused_by),
        Some(Side::Peer),
        "{e}"
    );

    let good = client(&name, b"right");
    let mut m = MessagePipe::new(listener.accept().unwrap()).unwrap();
    let done = AuthKey::new(*b"right").server_frames(&mut m).unwrap();
    assert_eq!(done.verified, Digest::Sha256);
    assert_eq!(
        &m.read_frame().unwrap().unwrap()[..],
        b"first message after the handshake"
    );
    m.write_frame(b"welcome").unwrap();
    assert_eq!(good.join().unwrap().unwrap(), b"welcome");
}
