//! What only Windows named pipes have, through pipeframe's public API, under Wine
//! (`. .ci/windows.sh` then `cargo test --target x86_64-pc-windows-gnu --all-features`):
//! the name rules, native message mode (blocking `MessagePipe`, and `AsyncMessagePipe` as a
//! `Stream`/`Sink` on tokio and smol) with messages from 0 B to 1 MiB arriving whole, the
//! maximum as a typed error after which reading goes on, a peer made of raw Win32 calls, a
//! busy server, a client that leaves before it is accepted, security descriptors and owners.
//! The scenarios both OSes share are in `named.rs`.
//!
//! Ignored, with the reason: `first_instance_flag_refuses_a_taken_name` (Wine 8 does not
//! enforce `FILE_FLAG_FIRST_PIPE_INSTANCE`) and `dacl_denying_everyone_refuses_clients` (Wine
//! does not enforce pipe DACLs). They only mean something on real Windows.
#![cfg(windows)]

#[path = "win32/mod.rs"]
mod win32;

use std::io::ErrorKind;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use pipeframe::codec::{DecodeError, EncodeError};
use pipeframe::message::MessagePipe;
use pipeframe::named::{
    self, ConnectOptions, ListenOptions, Listener, PipeName, PipeStream, connect_timeout,
};
use win32::RawPipe;

const SIZES: [usize; 7] = [0, 1, 4096, 4097, 65_537, 100_000, 1 << 20];
const WAIT: Duration = Duration::from_secs(30);

fn unique(tag: &str) -> PipeName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    PipeName::new(&format!("pipeframe-win-{tag}-{}-{n}", std::process::id())).unwrap()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn message_client(name: &PipeName) -> PipeStream {
    ConnectOptions::new()
        .timeout(WAIT)
        .message(true)
        .connect(name)
        .unwrap()
}

fn message_listener(name: &PipeName) -> Listener {
    ListenOptions::new().message(true).bind(name).unwrap()
}

fn encode_error(e: &std::io::Error) -> Option<EncodeError> {
    e.get_ref()?.downcast_ref::<EncodeError>().copied()
}

#[test]
fn pipe_names_follow_the_system_rules_and_errors_name_them() {
    assert_eq!(PipeName::new("svc").unwrap().pipe_path(), r"\\.\pipe\svc");
    // A full path is kept, its namespace prefix in the system's spelling.
    assert_eq!(
        PipeName::new(r"\\.\PIPE\full\path").unwrap().to_string(),
        r"\\.\pipe\full\path"
    );
    for (bad, rule) in [
        ("", "is empty"),
        (r"a\b", "backslash"),
        ("nul\0inside", "nul"),
        ("anonymous", "reserved"),
    ] {
        let e = PipeName::new(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert!(e.to_string().contains(rule), "{bad:?}: {e}");
    }
    let long = "x".repeat(256 - r"\\.\pipe\".len());
    assert!(PipeName::new(&long).is_ok(), "exactly 256 characters");
    let e = PipeName::new(&format!("{long}x")).unwrap_err();
    assert!(e.to_string().contains("at most 256"), "{e}");
}

#[test]
fn blocking_messages_of_every_size_arrive_whole_both_ways() {
    let name = unique("bmsg");
    let listener = message_listener(&name);
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let mut m = MessagePipe::new(message_client(&name)).unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                m.write_frame(&pattern(n, i as u8)).unwrap();
            }
            for (i, &n) in SIZES.iter().enumerate() {
                let f = m.read_frame().unwrap().unwrap();
                assert!(f[..] == pattern(n, 50 + i as u8)[..], "reply {i}");
            }
        }
    });
    let mut m = MessagePipe::new(listener.accept().unwrap()).unwrap();
    for (i, &n) in SIZES.iter().enumerate() {
        let f = m.read_frame().unwrap().unwrap();
        assert_eq!(f.len(), n, "one read, one whole message");
        assert!(f[..] == pattern(n, i as u8)[..], "message {i}");
    }
    for (i, &n) in SIZES.iter().enumerate() {
        m.write_frame(&pattern(n, 50 + i as u8)).unwrap();
    }
    client.join().unwrap();
    assert_eq!(
        m.read_frame().unwrap(),
        None,
        "end of stream once the client left"
    );
    assert_eq!(m.read_frame().unwrap(), None);
}

#[test]
fn blocking_oversize_message_is_a_typed_error_and_reading_goes_on() {
    let name = unique("boversize");
    let listener = message_listener(&name);
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let m = MessagePipe::new(message_client(&name)).unwrap();
            m.write_frame(b"before").unwrap();
            m.write_frame(&pattern(150_000, 1)).unwrap();
            m.write_frame(&pattern(4096, 2)).unwrap();
            m.write_frame(&pattern(4097, 3)).unwrap();
            m.write_frame(b"after").unwrap();
            // Stay connected until the server has read everything.
            m.get_ref().flush_to_peer().unwrap();
        }
    });
    let mut m = MessagePipe::new(listener.accept().unwrap())
        .unwrap()
        .with_max_frame_len(4096);
    assert_eq!(m.read_frame().unwrap().as_deref(), Some(&b"before"[..]));
    let e = m.read_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert_eq!(
        DecodeError::from_io(&e),
        Some(DecodeError::MessageTooLong {
            len: 150_000,
            max: 4096
        }),
        "{e}"
    );
    assert!(m.read_frame().unwrap().unwrap()[..] == pattern(4096, 2)[..]);
    let e = m.read_frame().unwrap_err();
    assert_eq!(
        DecodeError::from_io(&e),
        Some(DecodeError::MessageTooLong {
            len: 4097,
            max: 4096
        })
    );
    assert_eq!(m.read_frame().unwrap().as_deref(), Some(&b"after"[..]));
    let e = m.write_frame(&[0; 4097]).unwrap_err();
    assert_eq!(
        encode_error(&e),
        Some(EncodeError::FrameTooLong {
            len: 4097,
            max: 4096
        })
    );
    client.join().unwrap();
}

#[test]
fn message_pipe_refuses_a_byte_mode_pipe() {
    let name = unique("notmsg");
    let listener = Listener::bind(&name).unwrap();
    let _c = connect_timeout(&name, WAIT).unwrap();
    let e = MessagePipe::new(listener.accept().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("byte mode"), "{e}");
}

#[test]
fn frame_io_mode_message_on_a_message_pipe() {
    use pipeframe::frame_io::Mode;
    let name = unique("mode");
    let listener = message_listener(&name);
    let client = thread::spawn({
        let name = name.clone();
        move || {
            let mut w = Mode::Message
                .writer(MessagePipe::new(message_client(&name)).unwrap().into())
                .unwrap();
            w.write_frame(&pattern(10_000, 3)).unwrap();
            w.write_frame(b"").unwrap();
            w.close().unwrap();
        }
    });
    let mut r = Mode::Message
        .reader(MessagePipe::new(listener.accept().unwrap()).unwrap().into())
        .unwrap();
    assert!(r.read_frame().unwrap().unwrap()[..] == pattern(10_000, 3)[..]);
    assert_eq!(r.read_frame().unwrap().as_deref(), Some(&b""[..]));
    client.join().unwrap();
    assert_eq!(r.read_frame().unwrap(), None);
}

/// The raw Win32 client writes 10,000- and 100,000-byte messages with one `WriteFile` each
/// and reads ours back with one `ReadFile` each into a buffer larger than any of them.
#[test]
fn raw_win32_peer_and_the_blocking_message_pipe() {
    let name = unique("raw");
    let listener = message_listener(&name);
    let path = name.pipe_path().to_owned();
    let peer = thread::spawn(move || {
        let p = RawPipe::open(&path, true, WAIT).unwrap();
        assert_eq!(p.write(&pattern(10_000, 7)).unwrap(), 10_000);
        assert_eq!(p.write(&pattern(100_000, 8)).unwrap(), 100_000);
        let mut buf = vec![0u8; 200_000];
        (0..3)
            .map(|_| {
                let (n, more) = p.read(&mut buf).unwrap();
                assert!(!more, "one ReadFile, one whole message");
                buf[..n].to_vec()
            })
            .collect::<Vec<_>>()
    });
    let mut m = MessagePipe::new(listener.accept().unwrap()).unwrap();
    assert!(m.read_frame().unwrap().unwrap()[..] == pattern(10_000, 7)[..]);
    assert!(m.read_frame().unwrap().unwrap()[..] == pattern(100_000, 8)[..]);
    let ours = [pattern(3, 1), pattern(10_000, 2), pattern(100_000, 3)];
    for msg in &ours {
        m.write_frame(msg).unwrap();
    }
    assert_eq!(peer.join().unwrap(), ours);
}

/// With no accept running, the next client still finds an instance waiting (neither busy
/// nor missing): the listener made it before handing out the connected one.
#[test]
fn an_instance_waits_for_the_next_client_between_accepts() {
    let name = unique("next");
    let listener = Listener::bind(&name).unwrap();
    let _first = connect_timeout(&name, WAIT).unwrap();
    let _s = listener.accept().unwrap();
    let second = named::connect(&name).expect("an instance was waiting");
    let s2 = listener.accept().unwrap();
    drop((second, s2));
}

/// Every instance is busy until the server accepts: the first client holds the one waiting
/// instance, a second one is told so at once (`WouldBlock`), then waits and gets in when the
/// server accepts the first and makes the next instance.
#[test]
fn busy_server_client_waits_for_the_next_instance() {
    let name = unique("busy");
    let listener = Listener::bind(&name).unwrap();
    let first = connect_timeout(&name, WAIT).unwrap();
    let (told, busy) = mpsc::channel();
    let second = thread::spawn({
        let name = name.clone();
        move || {
            told.send(named::connect(&name).map(drop).map_err(|e| e.kind()))
                .unwrap();
            connect_timeout(&name, WAIT)
        }
    });
    assert_eq!(busy.recv().unwrap(), Err(ErrorKind::WouldBlock));
    let a = listener.accept().unwrap();
    let second = second.join().unwrap().unwrap();
    let b = listener.accept().unwrap();
    drop((first, a, second, b));
}

/// A client that connects and leaves before the server accepts it is passed over: accept
/// returns the next client, in the blocking and async listeners alike.
#[test]
fn accept_skips_a_client_that_already_left() {
    let name = unique("left");
    let listener = Listener::bind(&name).unwrap();
    drop(connect_timeout(&name, WAIT).unwrap());
    let stayed = thread::spawn({
        let name = name.clone();
        move || {
            let mut c = connect_timeout(&name, WAIT)
                .unwrap()
                .framed(pipeframe::codec::Delimited::lines())
                .unwrap();
            c.write_frame(b"stayed").unwrap();
            c.flush().unwrap();
            c.read_frame().unwrap()
        }
    });
    let mut s = listener
        .accept()
        .unwrap()
        .framed(pipeframe::codec::Delimited::lines())
        .unwrap();
    assert_eq!(s.read_frame().unwrap().as_deref(), Some(&b"stayed"[..]));
    s.write_frame(b"ok").unwrap();
    s.flush().unwrap();
    assert_eq!(stayed.join().unwrap().as_deref(), Some(&b"ok"[..]));
}

#[test]
fn security_descriptors_are_checked_and_used() {
    let e = ListenOptions::new()
        .security_descriptor("not sddl")
        .bind(&unique("sddl"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("not sddl"), "{e}");
    // Everyone may connect with this one.
    let name = unique("sddl-ok");
    let l = ListenOptions::new()
        .security_descriptor("D:(A;;GA;;;WD)")
        .bind(&name)
        .unwrap();
    let c = connect_timeout(&name, WAIT).unwrap();
    drop((l.accept().unwrap(), c));
}

/// A server whose pipe is owned by LocalSystem (on real Windows that needs
/// SeRestorePrivilege, so run elevated; Wine stores any owner): a `current_user_only` client
/// refuses it, naming the owner, before any byte is sent; a plain client gets in after it.
#[test]
fn current_user_only_client_refuses_a_pipe_owned_by_someone_else() {
    let name = unique("foreign");
    let listener = ListenOptions::new()
        .security_descriptor("O:SYD:P(A;;GA;;;WD)")
        .bind(&name)
        .unwrap();
    let e = ConnectOptions::new()
        .timeout(WAIT)
        .current_user_only(true)
        .connect(&name)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert!(e.to_string().contains("S-1-5-18"), "{e}");
    assert!(e.to_string().contains(name.pipe_path()), "{e}");
    // The refused client took the waiting instance and left, so the next client waits until
    // accept passes over the refused one and listens again.
    let next = thread::spawn({
        let name = name.clone();
        move || connect_timeout(&name, WAIT)
    });
    let s = listener.accept().unwrap();
    assert_eq!(
        s.peer_credentials().unwrap().pid(),
        Some(std::process::id())
    );
    drop((next.join().unwrap().unwrap(), s));
}

#[test]
#[ignore = "Wine 8 does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE; run on real Windows"]
fn first_instance_flag_refuses_a_taken_name() {
    let name = unique("taken");
    let _first = Listener::bind(&name).unwrap();
    let e = Listener::bind(&name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse);
    assert!(e.to_string().contains(name.pipe_path()), "{e}");
}

#[test]
#[ignore = "Wine does not enforce pipe DACLs; run on real Windows"]
fn dacl_denying_everyone_refuses_clients() {
    let name = unique("denied");
    let _l = ListenOptions::new()
        .security_descriptor("D:P")
        .bind(&name)
        .unwrap();
    let e = connect_timeout(&name, WAIT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod async_message {
    //! `AsyncMessagePipe` is one implementation for every runtime: each test runs on tokio
    //! and on smol.
    use super::*;
    use bytes::Bytes;
    use futures_lite::StreamExt;
    use pipeframe::message::AsyncMessagePipe;
    use pipeframe::named::{AsyncListener, connect_async};
    use pipeframe::rt::Reactor;

    /// Runs `f` on tokio and on smol (whichever are enabled).
    fn on_every_runtime<F, Fut>(f: F)
    where
        F: Fn(&'static str) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        #[cfg(feature = "tokio")]
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(f("tokio"));
        #[cfg(feature = "futures-io")]
        smol::block_on(f("smol"));
    }

    async fn pair<Rt: Reactor>(tag: &str) -> (AsyncMessagePipe<Rt>, AsyncMessagePipe<Rt>) {
        let name = unique(tag);
        let listener =
            AsyncListener::<Rt>::bind_with(&name, &ListenOptions::new().message(true)).unwrap();
        let opts = ConnectOptions::new().timeout(WAIT).message(true);
        let (s, c) =
            futures_lite::future::zip(listener.accept(), connect_async::<Rt>(&name, &opts)).await;
        (
            AsyncMessagePipe::new(s.unwrap()).unwrap(),
            AsyncMessagePipe::new(c.unwrap()).unwrap(),
        )
    }

    async fn sizes_both_ways<Rt: Reactor>(rt: &str) {
        use futures_sink::Sink;
        let (mut s, mut c) = pair::<Rt>(rt).await;
        let writer = async {
            for (i, &n) in SIZES.iter().enumerate() {
                futures_lite::future::poll_fn(|cx| std::pin::Pin::new(&mut c).poll_ready(cx))
                    .await
                    .unwrap();
                std::pin::Pin::new(&mut c)
                    .start_send(Bytes::from(pattern(n, i as u8)))
                    .unwrap();
            }
            futures_lite::future::poll_fn(|cx| std::pin::Pin::new(&mut c).poll_flush(cx))
                .await
                .unwrap();
        };
        let reader = async {
            for (i, &n) in SIZES.iter().enumerate() {
                let f = s.next().await.unwrap().unwrap();
                assert_eq!(f.len(), n, "{rt}: message {i}");
                assert!(f[..] == pattern(n, i as u8)[..], "{rt}: message {i}");
            }
        };
        futures_lite::future::zip(writer, reader).await;
        for (i, &n) in SIZES.iter().enumerate() {
            s.write_frame(&pattern(n, 9 + i as u8)).await.unwrap();
            let f = c.read_frame().await.unwrap().unwrap();
            assert!(f[..] == pattern(n, 9 + i as u8)[..], "{rt}: reply {i}");
        }
        drop(c);
        assert!(s.next().await.is_none(), "{rt}: end of stream");
    }

    #[test]
    fn messages_of_every_size_arrive_whole_as_stream_and_sink() {
        on_every_runtime(|rt| async move {
            match rt {
                #[cfg(feature = "tokio")]
                "tokio" => sizes_both_ways::<pipeframe::rt::Tokio>(rt).await,
                #[cfg(feature = "futures-io")]
                _ => sizes_both_ways::<pipeframe::rt::AsyncIo>(rt).await,
                #[cfg(not(feature = "futures-io"))]
                _ => unreachable!(),
            }
        });
    }

    async fn oversize<Rt: Reactor>(rt: &str) {
        let (s, mut c) = pair::<Rt>(rt).await;
        let mut s = s.with_max_frame_len(1000);
        // The second write waits for the first to be taken, which the reader does: both go on
        // at once.
        let writer = async {
            c.write_frame(&pattern(200_000, 1)).await.unwrap();
            c.write_frame(b"next").await.unwrap();
            c.flush().await.unwrap();
        };
        let reader = async {
            let e = s.read_frame().await.unwrap_err();
            assert_eq!(
                DecodeError::from_io(&e),
                Some(DecodeError::MessageTooLong {
                    len: 200_000,
                    max: 1000
                }),
                "{rt}: {e}"
            );
            assert_eq!(s.read_frame().await.unwrap().as_deref(), Some(&b"next"[..]));
        };
        futures_lite::future::zip(writer, reader).await;
        let e = s.write_frame(&[0; 1001]).await.unwrap_err();
        assert_eq!(
            encode_error(&e),
            Some(EncodeError::FrameTooLong {
                len: 1001,
                max: 1000
            })
        );
    }

    #[test]
    fn oversize_message_is_a_typed_error_and_reading_goes_on() {
        on_every_runtime(|rt| async move {
            match rt {
                #[cfg(feature = "tokio")]
                "tokio" => oversize::<pipeframe::rt::Tokio>(rt).await,
                #[cfg(feature = "futures-io")]
                _ => oversize::<pipeframe::rt::AsyncIo>(rt).await,
                #[cfg(not(feature = "futures-io"))]
                _ => unreachable!(),
            }
        });
    }

    /// A read abandoned while its `ReadFile` is in flight loses nothing: the next read
    /// collects the same operation and returns the whole message.
    async fn cancelled_read<Rt: Reactor>(rt: &str) {
        let (mut s, mut c) = pair::<Rt>(rt).await;
        assert!(
            futures_lite::future::poll_once(s.read_frame())
                .await
                .is_none(),
            "{rt}: nothing was written yet"
        );
        c.write_frame(&pattern(170_000, 5)).await.unwrap();
        let m = s.read_frame().await.unwrap().unwrap();
        assert!(m[..] == pattern(170_000, 5)[..], "{rt}");
    }

    #[test]
    fn a_read_dropped_in_flight_loses_nothing() {
        on_every_runtime(|rt| async move {
            match rt {
                #[cfg(feature = "tokio")]
                "tokio" => cancelled_read::<pipeframe::rt::Tokio>(rt).await,
                #[cfg(feature = "futures-io")]
                _ => cancelled_read::<pipeframe::rt::AsyncIo>(rt).await,
                #[cfg(not(feature = "futures-io"))]
                _ => unreachable!(),
            }
        });
    }

    /// The raw Win32 client against the async message pipe.
    #[cfg(feature = "tokio")]
    #[test]
    fn raw_win32_peer_and_the_tokio_message_pipe() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let name = unique("rawtok");
                let listener =
                    named::tokio::Listener::bind_with(&name, &ListenOptions::new().message(true))
                        .unwrap();
                let path = name.pipe_path().to_owned();
                let peer = thread::spawn(move || {
                    let p = RawPipe::open(&path, true, WAIT).unwrap();
                    p.write(&pattern(100_000, 8)).unwrap();
                    let mut buf = vec![0u8; 200_000];
                    let (n, more) = p.read(&mut buf).unwrap();
                    assert!(!more);
                    buf[..n].to_vec()
                });
                let mut m =
                    pipeframe::message::tokio::MessagePipe::new(listener.accept().await.unwrap())
                        .unwrap();
                let got = m.next().await.unwrap().unwrap();
                assert!(got[..] == pattern(100_000, 8)[..]);
                m.write_frame(&pattern(150_000, 2)).await.unwrap();
                assert!(peer.join().unwrap() == pattern(150_000, 2));
            });
    }

    /// 100 clients at once on one listener in message mode: the listener keeps an instance
    /// waiting, so none sees "all pipe instances are busy", and every message comes back.
    #[cfg(feature = "tokio")]
    #[test]
    fn tokio_hundred_concurrent_message_clients() {
        use pipeframe::named::tokio::{Listener, connect_with};
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let name = unique("thundred");
                let listener =
                    Listener::bind_with(&name, &ListenOptions::new().message(true)).unwrap();
                let server = tokio::spawn(async move {
                    listener
                        .serve(|s| async move {
                            let mut m = AsyncMessagePipe::new(s).unwrap();
                            while let Some(f) = m.read_frame().await.unwrap() {
                                let mut reply = f.to_vec();
                                reply.reverse();
                                m.write_frame(&reply).await.unwrap();
                            }
                        })
                        .await
                });
                let clients: Vec<_> = (0..100u32)
                    .map(|i| {
                        let name = name.clone();
                        tokio::spawn(async move {
                            let opts = ConnectOptions::new().timeout(WAIT).message(true);
                            let c = connect_with(&name, &opts).await.unwrap();
                            let mut c = AsyncMessagePipe::new(c).unwrap();
                            for j in 0..3u32 {
                                let n = ((i * 97 + j * 4099) % 9000) as usize + 1;
                                let msg = pattern(n, (i + j) as u8);
                                c.write_frame(&msg).await.unwrap();
                                let mut want = msg;
                                want.reverse();
                                let got = c.read_frame().await.unwrap().unwrap();
                                assert!(got[..] == want[..], "client {i} message {j}");
                            }
                        })
                    })
                    .collect();
                for c in clients {
                    c.await.unwrap();
                }
                server.abort();
            });
    }
}
