//! Windows named pipes through pipeframe's public API, run under Wine on Linux
//! (`. .ci/windows.sh` then `cargo test --target x86_64-pc-windows-gnu --all-features`):
//! byte mode with codec framing and native message mode in the blocking, tokio and futures-io
//! (smol) flavours; messages of 1 B, 4 KiB + 1, 100,000 B and 1 MiB arriving whole; 100
//! concurrent clients (blocking byte mode, tokio message mode, smol byte mode); connect timeout, a busy server and a client started before its server;
//! current-user-only.
//!
//! Ignored (Wine cannot run them faithfully): none here; the DACL and
//! `FILE_FLAG_FIRST_PIPE_INSTANCE` checks, which Wine 8 does not enforce, are ignored unit tests
//! in `src/sys/windows/tests.rs`.
#![cfg(windows)]

use std::io::ErrorKind;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pipeframe::codec::LengthPrefixed;
use pipeframe::message::MessagePipe;
use pipeframe::named::{ConnectOptions, ListenOptions, Listener, PipeName, connect_timeout};

const SIZES: [usize; 4] = [1, 4097, 100_000, 1 << 20];

fn unique(tag: &str) -> PipeName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    PipeName::new(&format!("pipeframe-test-{tag}-{}-{n}", std::process::id())).unwrap()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn pipe_name_maps_to_the_pipe_namespace() {
    assert_eq!(PipeName::new("svc").unwrap().pipe_path(), r"\\.\pipe\svc");
    assert_eq!(
        PipeName::new(r"\\.\pipe\full").unwrap().to_string(),
        r"\\.\pipe\full"
    );
    assert!(PipeName::new("").is_err());
    assert!(PipeName::new(r"a\b").is_err());
}

#[test]
fn blocking_byte_mode_frames_arrive_whole() {
    let name = unique("bbyte");
    let listener = Listener::bind(&name).unwrap();
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let mut c = connect_timeout(&name, Duration::from_secs(10))
                .unwrap()
                .framed(LengthPrefixed::u32_le())
                .unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                c.write_frame(&pattern(n, i as u8)).unwrap();
            }
            c.flush().unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                let f = c.read_frame().unwrap().unwrap();
                assert_eq!(f.as_ref(), &pattern(n, 100 + i as u8)[..]);
            }
        }
    });
    let stream = listener.accept().unwrap();
    assert_eq!(stream.peer_process_id().unwrap(), std::process::id());
    let mut s = stream.framed(LengthPrefixed::u32_le()).unwrap();
    for (i, &n) in SIZES.iter().enumerate() {
        let f = s.read_frame().unwrap().unwrap();
        assert_eq!(f.len(), n);
        assert_eq!(f.as_ref(), &pattern(n, i as u8)[..]);
    }
    for (i, &n) in SIZES.iter().enumerate() {
        s.write_frame(&pattern(n, 100 + i as u8)).unwrap();
    }
    s.flush().unwrap();
    client.join().unwrap();
}

#[test]
fn blocking_message_mode_messages_arrive_whole() {
    let name = unique("bmsg");
    let listener = ListenOptions::new().message(true).bind(&name).unwrap();
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let s = ConnectOptions::new()
                .timeout(Duration::from_secs(10))
                .message(true)
                .connect(&name)
                .unwrap();
            let mut m = MessagePipe::new(s).unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                m.write_frame(&pattern(n, i as u8)).unwrap();
            }
            for (i, &n) in SIZES.iter().enumerate() {
                let f = m.read_frame().unwrap().unwrap();
                assert_eq!(f.as_ref(), &pattern(n, 50 + i as u8)[..]);
            }
        }
    });
    let mut m = MessagePipe::new(listener.accept().unwrap()).unwrap();
    for (i, &n) in SIZES.iter().enumerate() {
        let f = m.read_frame().unwrap().unwrap();
        assert_eq!(f.len(), n, "one read, one whole message");
        assert_eq!(f.as_ref(), &pattern(n, i as u8)[..]);
    }
    for (i, &n) in SIZES.iter().enumerate() {
        m.write_frame(&pattern(n, 50 + i as u8)).unwrap();
    }
    client.join().unwrap();
    assert_eq!(
        m.read_frame().unwrap(),
        None,
        "end of stream after the client left"
    );
}

#[test]
fn message_over_the_maximum_is_discarded_and_the_stream_goes_on() {
    let name = unique("oversize");
    let listener = ListenOptions::new().message(true).bind(&name).unwrap();
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let s = ConnectOptions::new()
                .timeout(Duration::from_secs(10))
                .message(true)
                .connect(&name)
                .unwrap();
            let m = MessagePipe::new(s).unwrap();
            m.write_frame(b"before").unwrap();
            m.write_frame(&pattern(10_000, 1)).unwrap();
            m.write_frame(b"after").unwrap();
            // Stay connected until the server has read everything.
            m.get_ref().flush_to_peer().unwrap();
        }
    });
    let mut m = MessagePipe::new(listener.accept().unwrap())
        .unwrap()
        .with_max_frame_len(4096);
    assert_eq!(m.read_frame().unwrap().unwrap().as_ref(), b"before");
    let err = m.read_frame().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("10000"), "{err}");
    assert_eq!(m.read_frame().unwrap().unwrap().as_ref(), b"after");
    let too_big = m.write_frame(&[0; 4097]).unwrap_err();
    assert_eq!(too_big.kind(), ErrorKind::InvalidInput);
    client.join().unwrap();
}

#[test]
fn message_pipe_refuses_a_byte_mode_pipe() {
    let name = unique("notmsg");
    let listener = Listener::bind(&name).unwrap();
    let c = connect_timeout(&name, Duration::from_secs(10)).unwrap();
    let s = listener.accept().unwrap();
    assert_eq!(
        MessagePipe::new(s).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    drop(c);
}

#[test]
fn frame_io_mode_message_on_a_message_pipe() {
    use pipeframe::frame_io::Mode;
    let name = unique("mode");
    let listener = ListenOptions::new().message(true).bind(&name).unwrap();
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let s = ConnectOptions::new()
                .timeout(Duration::from_secs(10))
                .message(true)
                .connect(&name)
                .unwrap();
            let mut w = Mode::Message
                .writer(MessagePipe::new(s).unwrap().into())
                .unwrap();
            w.write_frame(&pattern(10_000, 3)).unwrap();
            w.write_frame(b"").unwrap();
            w.close().unwrap();
        }
    });
    let mut r = Mode::Message
        .reader(MessagePipe::new(listener.accept().unwrap()).unwrap().into())
        .unwrap();
    assert_eq!(
        r.read_frame().unwrap().unwrap().as_ref(),
        &pattern(10_000, 3)[..]
    );
    assert_eq!(r.read_frame().unwrap().unwrap().as_ref(), b"");
    client.join().unwrap();
    assert_eq!(r.read_frame().unwrap(), None);
}

#[test]
fn hundred_concurrent_clients_frames_checked() {
    let name = unique("hundred");
    let listener = Listener::bind(&name).unwrap();
    let server = thread::spawn(move || {
        for _ in 0..100 {
            let s = listener.accept().unwrap();
            thread::spawn(move || {
                let mut s = s.framed(LengthPrefixed::u32_le()).unwrap();
                while let Some(f) = s.read_frame().unwrap() {
                    let mut reply = f.to_vec();
                    reply.reverse();
                    s.write_frame(&reply).unwrap();
                    s.flush().unwrap();
                }
            });
        }
    });
    let clients: Vec<_> = (0..100u32)
        .map(|i| {
            let name = name.clone();
            thread::spawn(move || {
                let mut c = connect_timeout(&name, Duration::from_secs(30))
                    .unwrap()
                    .framed(LengthPrefixed::u32_le())
                    .unwrap();
                for j in 0..5u32 {
                    let msg = pattern(((i * 7 + j * 13) % 3000) as usize + 1, (i + j) as u8);
                    c.write_frame(&msg).unwrap();
                    c.flush().unwrap();
                    let mut want = msg.clone();
                    want.reverse();
                    assert_eq!(c.read_frame().unwrap().unwrap().as_ref(), &want[..]);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.join().unwrap();
}

#[test]
fn connect_times_out_naming_the_pipe() {
    let name = unique("nobody");
    let start = Instant::now();
    let err = connect_timeout(&name, Duration::from_millis(200)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert!(err.to_string().contains(name.pipe_path()), "{err}");
    assert!(start.elapsed() >= Duration::from_millis(200));
    let once = pipeframe::named::connect(&name).unwrap_err();
    assert_eq!(once.kind(), ErrorKind::NotFound);
}

#[test]
fn client_started_before_its_server_connects() {
    let name = unique("early");
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let mut c = connect_timeout(&name, Duration::from_secs(20))
                .unwrap()
                .framed(LengthPrefixed::u32_le())
                .unwrap();
            c.write_frame(b"hello").unwrap();
            c.flush().unwrap();
            // Kept until the server answers: a client that leaves before the server accepts
            // it is skipped by `accept`.
            assert_eq!(c.read_frame().unwrap().unwrap().as_ref(), b"seen");
        }
    });
    thread::sleep(Duration::from_millis(300));
    let listener = Listener::bind(&name).unwrap();
    let mut s = listener
        .accept()
        .unwrap()
        .framed(LengthPrefixed::u32_le())
        .unwrap();
    assert_eq!(s.read_frame().unwrap().unwrap().as_ref(), b"hello");
    s.write_frame(b"seen").unwrap();
    s.flush().unwrap();
    client.join().unwrap();
}

#[test]
fn busy_server_client_waits_for_the_next_instance() {
    // Every instance is busy until the server accepts: the first client holds the one
    // waiting instance, then a second client must wait (ERROR_PIPE_BUSY) for the next.
    let name = unique("busy");
    let listener = Listener::bind(&name).unwrap();
    let first = connect_timeout(&name, Duration::from_secs(10)).unwrap();
    let second = thread::spawn({
        let name = name.clone();
        // The stream is kept (returned): a client that leaves before the server accepts it
        // is skipped by `accept`, which would then wait for another one.
        move || connect_timeout(&name, Duration::from_secs(20))
    });
    thread::sleep(Duration::from_millis(200));
    let a = listener.accept().unwrap();
    // The second accept runs on its own thread (Wine lets the waiting client in only once the
    // server listens on the next instance), so a connect that fails fails the test instead
    // of leaving the accept waiting forever.
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(listener.accept().map(drop));
    });
    let second = second.join().unwrap().unwrap();
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the second client connected, yet no accept returned")
        .unwrap();
    drop((first, a, second));
}

#[test]
fn current_user_only_client_accepts_our_own_server() {
    let name = unique("cuo");
    let listener = Listener::bind(&name).unwrap();
    let c = ConnectOptions::new()
        .timeout(Duration::from_secs(10))
        .current_user_only(true)
        .connect(&name)
        .unwrap();
    let s = listener.accept().unwrap();
    assert_eq!(c.peer_process_id().unwrap(), std::process::id());
    drop((c, s));
}

#[test]
fn a_bad_security_descriptor_is_refused_at_bind() {
    let err = ListenOptions::new()
        .security_descriptor("not sddl")
        .bind(&unique("sddl"))
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::TimedOut);
    // Everyone may connect with this one.
    let l = ListenOptions::new()
        .security_descriptor("D:(A;;GA;;;WD)")
        .bind(&unique("sddl-ok"))
        .unwrap();
    drop(l);
}

#[cfg(feature = "tokio")]
mod tokio_flavour {
    use super::*;
    use pipeframe::named::tokio::{Listener, connect_with};
    use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn tokio_message_mode_messages_arrive_whole() {
        rt().block_on(async {
            let name = unique("tmsg");
            let listener = Listener::bind_with(&name, &ListenOptions::new().message(true)).unwrap();
            let client = tokio::spawn({
                let name = name.clone();
                async move {
                    let opts = ConnectOptions::new()
                        .timeout(Duration::from_secs(10))
                        .message(true);
                    let mut c = connect_with(&name, &opts).await.unwrap();
                    for (i, &n) in SIZES.iter().enumerate() {
                        c.write_frame(&pattern(n, i as u8)).await.unwrap();
                    }
                    let back = c.read_frame().await.unwrap().unwrap();
                    assert_eq!(back.as_ref(), b"done");
                }
            });
            let mut s = listener.accept().await.unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                let f = s.read_frame().await.unwrap().unwrap();
                assert_eq!(f.len(), n);
                assert_eq!(f.as_ref(), &pattern(n, i as u8)[..]);
            }
            s.write_frame(b"done").await.unwrap();
            client.await.unwrap();
            assert_eq!(s.read_frame().await.unwrap(), None);
        });
    }

    #[test]
    fn tokio_byte_mode_codec_frames_arrive_whole() {
        rt().block_on(async {
            let name = unique("tbyte");
            let listener = Listener::bind(&name).unwrap();
            let client = tokio::spawn({
                let name = name.clone();
                async move {
                    let opts = ConnectOptions::new().timeout(Duration::from_secs(10));
                    let c = connect_with(&name, &opts).await.unwrap();
                    let mut w = AsyncFrameWriter::new(c, LengthPrefixed::u32_le());
                    for (i, &n) in SIZES.iter().enumerate() {
                        w.write_frame(&pattern(n, i as u8)).await.unwrap();
                    }
                    w.flush().await.unwrap();
                    w
                }
            });
            let s = listener.accept().await.unwrap();
            let mut r = AsyncFrameReader::new(s, LengthPrefixed::u32_le());
            for (i, &n) in SIZES.iter().enumerate() {
                let f = r.read_frame().await.unwrap().unwrap();
                assert_eq!(f.as_ref(), &pattern(n, i as u8)[..]);
            }
            drop(client.await.unwrap());
            assert!(r.read_frame().await.unwrap().is_none());
        });
    }

    /// 100 clients at once on one listener in message mode, each message checked: the
    /// listener keeps an instance waiting, so none sees "all pipe instances are busy".
    #[test]
    fn tokio_hundred_concurrent_message_clients() {
        rt().block_on(async {
            let name = unique("thundred");
            let listener = Listener::bind_with(&name, &ListenOptions::new().message(true)).unwrap();
            let server = tokio::spawn(async move {
                let mut conns = Vec::new();
                for _ in 0..100 {
                    let mut s = listener.accept().await.unwrap();
                    conns.push(tokio::spawn(async move {
                        while let Some(f) = s.read_frame().await.unwrap() {
                            let mut reply = f.to_vec();
                            reply.reverse();
                            s.write_frame(&reply).await.unwrap();
                        }
                    }));
                }
                for c in conns {
                    c.await.unwrap();
                }
            });
            let clients: Vec<_> = (0..100u32)
                .map(|i| {
                    let name = name.clone();
                    tokio::spawn(async move {
                        let opts = ConnectOptions::new()
                            .timeout(Duration::from_secs(30))
                            .message(true);
                        let mut c = connect_with(&name, &opts).await.unwrap();
                        for j in 0..3u32 {
                            let n = ((i * 97 + j * 4099) % 9000) as usize + 1;
                            let msg = pattern(n, (i + j) as u8);
                            c.write_frame(&msg).await.unwrap();
                            let mut want = msg;
                            want.reverse();
                            let got = c.read_frame().await.unwrap().unwrap();
                            assert_eq!(got.as_ref(), &want[..], "client {i} message {j}");
                        }
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            tokio::time::timeout(Duration::from_secs(60), server)
                .await
                .expect("server did not finish")
                .unwrap();
        });
    }

    #[test]
    fn tokio_client_before_server_and_timeout() {
        rt().block_on(async {
            let name = unique("tearly");
            let err = connect_with(
                &name,
                &ConnectOptions::new().timeout(Duration::from_millis(100)),
            )
            .await
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            let client = tokio::spawn({
                let name = name.clone();
                async move {
                    let opts = ConnectOptions::new()
                        .timeout(Duration::from_secs(20))
                        .message(true);
                    // Kept until the server read its frame: a client that leaves before the
                    // server accepts it is skipped by `accept`.
                    let mut c = connect_with(&name, &opts).await.unwrap();
                    c.write_frame(b"early").await.unwrap();
                    c.read_frame().await.unwrap()
                }
            });
            tokio::time::sleep(Duration::from_millis(200)).await;
            let listener = Listener::bind_with(&name, &ListenOptions::new().message(true)).unwrap();
            let mut s = listener.accept().await.unwrap();
            assert_eq!(s.read_frame().await.unwrap().unwrap().as_ref(), b"early");
            s.write_frame(b"seen").await.unwrap();
            let back = client.await.unwrap().unwrap();
            assert_eq!(back.as_ref(), b"seen");
        });
    }
}

#[cfg(feature = "futures-io")]
mod smol_flavour {
    use super::*;
    use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};
    use pipeframe::named::futures_io::{Listener, connect_with};

    #[test]
    fn smol_message_mode_messages_arrive_whole() {
        smol::block_on(async {
            let name = unique("smsg");
            let listener = Listener::bind_with(&name, &ListenOptions::new().message(true)).unwrap();
            let client = smol::spawn({
                let name = name.clone();
                async move {
                    let opts = ConnectOptions::new()
                        .timeout(Duration::from_secs(10))
                        .message(true);
                    let mut c = connect_with(&name, &opts).await.unwrap();
                    for (i, &n) in SIZES.iter().enumerate() {
                        c.write_frame(&pattern(n, i as u8)).await.unwrap();
                    }
                    c
                }
            });
            let mut s = listener.accept().await.unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                let f = s.read_frame().await.unwrap().unwrap();
                assert_eq!(f.len(), n);
                assert_eq!(f.as_ref(), &pattern(n, i as u8)[..]);
            }
            drop(client.await);
            assert_eq!(s.read_frame().await.unwrap(), None);
        });
    }

    /// 100 clients at once on one listener in byte mode with a codec, frames checked.
    #[test]
    fn smol_hundred_concurrent_byte_clients() {
        smol::block_on(async {
            let name = unique("shundred");
            let listener = Listener::bind(&name).unwrap();
            let server = smol::spawn(async move {
                let mut conns = Vec::new();
                for _ in 0..100 {
                    let s = listener.accept().await.unwrap();
                    conns.push(smol::spawn(async move {
                        let (r, w) = futures_lite::io::split(s);
                        let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
                        let mut w = AsyncFrameWriter::new(w, LengthPrefixed::u32_le());
                        while let Some(f) = r.read_frame().await.unwrap() {
                            let mut reply = f.to_vec();
                            reply.reverse();
                            w.write_frame(&reply).await.unwrap();
                            w.flush().await.unwrap();
                        }
                    }));
                }
                for c in conns {
                    c.await;
                }
            });
            let clients: Vec<_> = (0..100u32)
                .map(|i| {
                    let name = name.clone();
                    smol::spawn(async move {
                        let opts = ConnectOptions::new().timeout(Duration::from_secs(30));
                        let c = connect_with(&name, &opts).await.unwrap();
                        let (r, w) = futures_lite::io::split(c);
                        let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
                        let mut w = AsyncFrameWriter::new(w, LengthPrefixed::u32_le());
                        for j in 0..3u32 {
                            let n = ((i * 97 + j * 4099) % 9000) as usize + 1;
                            let msg = pattern(n, (i + j) as u8);
                            w.write_frame(&msg).await.unwrap();
                            w.flush().await.unwrap();
                            let mut want = msg;
                            want.reverse();
                            let got = r.read_frame().await.unwrap().unwrap();
                            assert_eq!(got.as_ref(), &want[..], "client {i} frame {j}");
                        }
                    })
                })
                .collect();
            for c in clients {
                c.await;
            }
            server.await;
        });
    }

    #[test]
    fn smol_byte_mode_codec_frames_arrive_whole() {
        smol::block_on(async {
            let name = unique("sbyte");
            let listener = Listener::bind(&name).unwrap();
            let client = smol::spawn({
                let name = name.clone();
                async move {
                    let opts = ConnectOptions::new().timeout(Duration::from_secs(10));
                    let c = connect_with(&name, &opts).await.unwrap();
                    let mut w = AsyncFrameWriter::new(c, LengthPrefixed::u32_le());
                    for (i, &n) in SIZES.iter().enumerate() {
                        w.write_frame(&pattern(n, i as u8)).await.unwrap();
                    }
                    w.flush().await.unwrap();
                    w
                }
            });
            let s = listener.accept().await.unwrap();
            let mut r = AsyncFrameReader::new(s, LengthPrefixed::u32_le());
            for (i, &n) in SIZES.iter().enumerate() {
                let f = r.read_frame().await.unwrap().unwrap();
                assert_eq!(f.as_ref(), &pattern(n, i as u8)[..]);
            }
            drop(client.await);
            assert!(r.read_frame().await.unwrap().is_none());
        });
    }
}
