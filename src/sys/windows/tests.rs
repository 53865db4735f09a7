//! Named pipe tests across the pieces: servers and clients in byte and message mode, a peer
//! made of raw Win32 calls, limits, timeouts, busy servers, many clients, the async core.
//!
//! Ignored under Wine (they only mean something on real Windows, and do not count as
//! passed there): `first_instance_flag_refuses_a_taken_name` (Wine 8 does not enforce
//! `FILE_FLAG_FIRST_PIPE_INSTANCE`) and `dacl_denying_everyone_refuses_clients` (Wine does
//! not enforce pipe DACLs).

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    CloseHandle, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{CreateFileW, OPEN_EXISTING, ReadFile, WriteFile};
use windows_sys::Win32::System::Pipes::{PIPE_READMODE_MESSAGE, SetNamedPipeHandleState};

use super::client::{self, ClientOptions, Open};
use super::overlapped::{AsyncPipe, AsyncServer};
use super::pipe::PipeHandle;
use super::server::{Security, Server, ServerOptions, create_instance};
use super::wide;

/// A pipe name no other test (or test run) uses.
fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "pipeframe-test-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

const LONG: Duration = Duration::from_secs(20);

fn message_opts() -> ServerOptions {
    ServerOptions {
        message: true,
        ..ServerOptions::default()
    }
}

fn message_client() -> ClientOptions {
    ClientOptions {
        message: true,
        ..ClientOptions::default()
    }
}

/// A message whose bytes say where they are, so a split or a shift shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn byte_mode_round_trip() {
    let name = unique("bytes");
    let mut server = Server::bind(&name, ServerOptions::default()).unwrap();
    let n2 = name.clone();
    let client = thread::spawn(move || {
        let c = client::connect(&n2, &ClientOptions::default(), LONG).unwrap();
        (&c).write_all(b"hello over a named pipe").unwrap();
        let mut back = [0u8; 5];
        (&c).read_exact(&mut back).unwrap();
        back
    });
    let s = server.accept().unwrap();
    let mut got = [0u8; 23];
    (&s).read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello over a named pipe");
    (&s).write_all(b"thank").unwrap();
    assert_eq!(&client.join().unwrap(), b"thank");
}

#[test]
fn next_instance_exists_before_the_connected_one_is_handed_out() {
    let name = unique("next");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let path = server.path().to_owned();
    let _first = client::connect(&name, &message_client(), LONG).unwrap();
    let s = server.accept().unwrap();
    // No accept is running, yet a second client finds an instance waiting (not busy, not
    // missing), and that is the instance the next accept hands out.
    let second = match client::try_open(&path, &message_client()).unwrap() {
        Open::Pipe(p) => p,
        other => panic!("no instance waiting after accept: {other:?}"),
    };
    let s2 = server.accept().unwrap();
    second.write_message(b"two").unwrap();
    assert_eq!(s2.read_message(10).unwrap().unwrap(), b"two");
    drop(s);
}

#[test]
fn end_of_stream_when_the_client_closes() {
    let name = unique("eof");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    let s = server.accept().unwrap();
    c.write_message(b"last").unwrap();
    drop(c);
    assert_eq!(s.read_message(1 << 20).unwrap().unwrap(), b"last");
    assert_eq!(s.read_message(1 << 20).unwrap(), None);
    let mut buf = [0u8; 4];
    assert_eq!(s.read(&mut buf).unwrap(), 0);
}

#[test]
fn server_disconnect_is_end_of_stream_for_the_client() {
    let name = unique("disconnect");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    let s = server.accept().unwrap();
    s.write_message(b"bye").unwrap();
    assert_eq!(c.read_message(10).unwrap().unwrap(), b"bye");
    s.disconnect().unwrap();
    assert_eq!(c.read_message(10).unwrap(), None);
    let mut buf = [0u8; 1];
    assert_eq!(c.read(&mut buf).unwrap(), 0);
}

#[test]
fn messages_arrive_whole_whatever_their_size() {
    let name = unique("sizes");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let sizes = [1usize, 4096, 4097, 65_536, 65_537, 100_000, 1 << 20];
    let n2 = name.clone();
    let writer = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        for (i, &len) in sizes.iter().enumerate() {
            c.write_message(&pattern(len, i as u8)).unwrap();
        }
        c
    });
    let s = server.accept().unwrap();
    for (i, &len) in sizes.iter().enumerate() {
        let m = s.read_message(2 << 20).unwrap().expect("a message");
        assert_eq!(m.len(), len);
        assert!(
            m == pattern(len, i as u8),
            "message {i} of {len} bytes differs"
        );
    }
    drop(writer.join().unwrap());
    assert_eq!(s.read_message(2 << 20).unwrap(), None);
}

#[test]
fn empty_message_is_a_message_not_the_end() {
    let name = unique("empty");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    let s = server.accept().unwrap();
    c.write_message(b"").unwrap();
    c.write_message(b"x").unwrap();
    assert_eq!(s.read_message(10).unwrap().unwrap(), b"");
    assert_eq!(s.read_message(10).unwrap().unwrap(), b"x");
}

#[test]
fn oversize_message_is_discarded_named_and_the_stream_goes_on() {
    let name = unique("oversize");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let n2 = name.clone();
    let writer = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        c.write_message(&pattern(150_000, 1)).unwrap();
        c.write_message(&pattern(1000, 2)).unwrap();
        c.write_message(&pattern(1001, 3)).unwrap();
        c.write_message(b"after").unwrap();
        c
    });
    let s = server.accept().unwrap();
    let e = s.read_message(1000).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert!(e.to_string().contains("150000 bytes"), "{e}");
    assert_eq!(s.read_message(1000).unwrap().unwrap(), pattern(1000, 2));
    let e = s.read_message(1000).unwrap_err();
    assert!(e.to_string().contains("1001 bytes"), "{e}");
    assert_eq!(s.read_message(1000).unwrap().unwrap(), b"after");
    drop(writer.join().unwrap());
}

/// A peer made of raw Win32 calls (not pipeframe): it writes 10,000- and 100,000-byte
/// messages with one `WriteFile` each, and reads pipeframe's messages back one `ReadFile`
/// each into a buffer larger than any of them.
#[test]
fn raw_win32_peer_messages_arrive_whole_both_ways() {
    let name = unique("raw");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let path = server.path().to_owned();
    let peer = spawn_raw_peer(path);
    let s = server.accept().unwrap();
    let a = s.read_message(1 << 20).unwrap().unwrap();
    assert_eq!(a.len(), 10_000);
    assert!(a == pattern(10_000, 7));
    let b = s.read_message(1 << 20).unwrap().unwrap();
    assert_eq!(b.len(), 100_000);
    assert!(b == pattern(100_000, 8));
    let ours = [pattern(3, 1), pattern(10_000, 2), pattern(100_000, 3)];
    for m in &ours {
        s.write_message(m).unwrap();
    }
    let got = peer.join().unwrap();
    assert_eq!(got.len(), 3);
    for (g, m) in got.iter().zip(&ours) {
        assert_eq!(g.len(), m.len());
        assert!(g == m);
    }
}

/// The raw Win32 peer: opens `path` with `CreateFileW`, switches to message read mode, writes
/// a 10,000- and a 100,000-byte message (one `WriteFile` each), then reads three messages (one
/// `ReadFile` each into a 200,000-byte buffer) and returns them.
fn spawn_raw_peer(path: String) -> thread::JoinHandle<Vec<Vec<u8>>> {
    thread::spawn(move || {
        let wpath = wide(&path);
        let h = loop {
            // SAFETY: `wpath` is NUL-terminated; a plain open of an existing pipe.
            let h = unsafe {
                CreateFileW(
                    wpath.as_ptr(),
                    GENERIC_READ | GENERIC_WRITE,
                    0,
                    std::ptr::null(),
                    OPEN_EXISTING,
                    0,
                    std::ptr::null_mut(),
                )
            };
            if h != INVALID_HANDLE_VALUE {
                break h;
            }
            thread::sleep(Duration::from_millis(5));
        };
        let mode = PIPE_READMODE_MESSAGE;
        // SAFETY: `h` is the open client handle; `mode` lives for the call.
        let ok = unsafe { SetNamedPipeHandleState(h, &mode, std::ptr::null(), std::ptr::null()) };
        assert_ne!(ok, 0);
        for (len, seed) in [(10_000usize, 7u8), (100_000, 8)] {
            let m = pattern(len, seed);
            let mut n = 0u32;
            // SAFETY: `m` is readable for its length; synchronous handle, no OVERLAPPED.
            let ok = unsafe { WriteFile(h, m.as_ptr(), len as u32, &mut n, std::ptr::null_mut()) };
            assert_ne!(ok, 0, "raw WriteFile: {}", io::Error::last_os_error());
            assert_eq!(n as usize, len);
        }
        let mut got = Vec::new();
        let mut buf = vec![0u8; 200_000];
        for _ in 0..3 {
            let mut n = 0u32;
            // SAFETY: `buf` is writable for its length; synchronous handle.
            let ok = unsafe {
                ReadFile(
                    h,
                    buf.as_mut_ptr(),
                    buf.len() as u32,
                    &mut n,
                    std::ptr::null_mut(),
                )
            };
            assert_ne!(ok, 0, "raw ReadFile: {}", io::Error::last_os_error());
            got.push(buf[..n as usize].to_vec());
        }
        // SAFETY: `h` is ours and closed once.
        unsafe { CloseHandle(h) };
        got
    })
}

/// What the raw peer must receive back, and checks of what it got.
fn ours() -> [Vec<u8>; 3] {
    [pattern(3, 1), pattern(10_000, 2), pattern(100_000, 3)]
}

fn check_raw_peer_got(got: Vec<Vec<u8>>) {
    assert_eq!(got.len(), 3);
    for (g, m) in got.iter().zip(&ours()) {
        assert_eq!(g.len(), m.len());
        assert!(g == m);
    }
}

/// The raw Win32 peer against pipeframe's public blocking message pipe
/// (`named::ListenOptions::message` + `message::MessagePipe`).
#[test]
fn raw_win32_peer_and_the_public_blocking_message_pipe() {
    let name = crate::named::PipeName::new(&unique("rawpub")).unwrap();
    let listener = crate::named::ListenOptions::new()
        .message(true)
        .bind(&name)
        .unwrap();
    let peer = spawn_raw_peer(name.pipe_path().to_owned());
    let mut m = crate::message::MessagePipe::new(listener.accept().unwrap()).unwrap();
    let a = m.read_frame().unwrap().unwrap();
    assert!(a.len() == 10_000 && a[..] == pattern(10_000, 7)[..]);
    let b = m.read_frame().unwrap().unwrap();
    assert!(b.len() == 100_000 && b[..] == pattern(100_000, 8)[..]);
    for msg in &ours() {
        m.write_frame(msg).unwrap();
    }
    check_raw_peer_got(peer.join().unwrap());
}

/// The raw Win32 peer against pipeframe's public tokio reader (`named::tokio::Listener`,
/// `AsyncPipeStream::read_frame` / `write_frame`).
#[cfg(feature = "tokio")]
#[test]
fn raw_win32_peer_and_the_public_tokio_reader() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let name = crate::named::PipeName::new(&unique("rawtok")).unwrap();
        let listener = crate::named::tokio::Listener::bind_with(
            &name,
            &crate::named::ListenOptions::new().message(true),
        )
        .unwrap();
        let peer = spawn_raw_peer(name.pipe_path().to_owned());
        let mut s = listener.accept().await.unwrap();
        let a = s.read_frame().await.unwrap().unwrap();
        assert!(a.len() == 10_000 && a[..] == pattern(10_000, 7)[..]);
        let b = s.read_frame().await.unwrap().unwrap();
        assert!(b.len() == 100_000 && b[..] == pattern(100_000, 8)[..]);
        for msg in &ours() {
            s.write_frame(msg).await.unwrap();
        }
        check_raw_peer_got(peer.join().unwrap());
    });
}

#[test]
fn connect_times_out_naming_the_pipe() {
    let name = unique("nobody");
    let e =
        client::connect(&name, &ClientOptions::default(), Duration::from_millis(100)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert!(e.to_string().contains(&name), "{e}");
    assert!(e.to_string().contains("no server"), "{e}");
}

#[test]
fn client_started_before_its_server_connects_once_it_is_up() {
    let name = unique("early");
    let n2 = name.clone();
    let client = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        c.write_message(b"I was first").unwrap();
        c
    });
    thread::sleep(Duration::from_millis(100));
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let s = server.accept().unwrap();
    assert_eq!(s.read_message(100).unwrap().unwrap(), b"I was first");
    drop(client.join().unwrap());
}

#[test]
fn busy_server_times_out_then_admits_a_waiting_client() {
    let name = unique("busy");
    let path = super::name::pipe_path(&name).unwrap();
    let opts = ServerOptions {
        max_instances: 1,
        ..message_opts()
    };
    let sd = opts.descriptor().unwrap();
    let inst = PipeHandle::new(
        create_instance(&path, &opts, &sd, true).unwrap(),
        false,
        path.clone(),
    );
    let first = client::connect(&name, &message_client(), LONG).unwrap();
    super::server::connect_blocking(inst.handle(), false, &path).unwrap();
    // The only instance is taken: a second client is told so.
    assert!(matches!(
        client::try_open(&path, &message_client()).unwrap(),
        Open::Busy
    ));
    let e = client::connect(&name, &message_client(), Duration::from_millis(100)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert!(e.to_string().contains("busy"), "{e}");
    // A client waiting (WaitNamedPipeW) gets in once the instance is free again.
    let n2 = name.clone();
    let second = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        c.write_message(b"second").unwrap();
        c
    });
    drop(first);
    inst.disconnect().unwrap();
    super::server::connect_blocking(inst.handle(), false, &path).unwrap();
    assert_eq!(inst.read_message(100).unwrap().unwrap(), b"second");
    drop(second.join().unwrap());
}

#[test]
fn hundred_concurrent_clients_each_get_their_frames() {
    const CLIENTS: usize = 100;
    let name = unique("many");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let acceptor = thread::spawn(move || {
        let mut workers = Vec::new();
        for _ in 0..CLIENTS {
            let s = server.accept().unwrap();
            workers.push(thread::spawn(move || {
                // Echo each message back, reversed, until the client closes.
                while let Some(mut m) = s.read_message(1 << 16).unwrap() {
                    m.reverse();
                    s.write_message(&m).unwrap();
                }
            }));
        }
        for w in workers {
            w.join().unwrap();
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let n = name.clone();
            thread::spawn(move || {
                let c = client::connect(&n, &message_client(), LONG).unwrap();
                for j in 0..3 {
                    let m = format!("client {i} frame {j} {}", "x".repeat(i * 40));
                    c.write_message(m.as_bytes()).unwrap();
                    let mut back = c.read_message(1 << 16).unwrap().unwrap();
                    back.reverse();
                    assert_eq!(back, m.as_bytes());
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    acceptor.join().unwrap();
}

#[test]
fn peer_process_ids_are_ours_in_process() {
    let name = unique("pid");
    let mut server = Server::bind(&name, ServerOptions::default()).unwrap();
    let c = client::connect(&name, &ClientOptions::default(), LONG).unwrap();
    let s = server.accept().unwrap();
    let me = std::process::id();
    assert_eq!(s.client_process_id().unwrap(), me);
    assert_eq!(c.server_process_id().unwrap(), me);
    assert_eq!(c.client_process_id().unwrap(), me);
}

#[test]
fn current_user_only_client_accepts_our_own_server() {
    let name = unique("owner");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let opts = ClientOptions {
        current_user_only: true,
        ..message_client()
    };
    let c = client::connect(&name, &opts, LONG).unwrap();
    let s = server.accept().unwrap();
    c.write_message(b"checked").unwrap();
    assert_eq!(s.read_message(100).unwrap().unwrap(), b"checked");
    let owner = super::security::owner_of(c.handle()).unwrap();
    assert_eq!(owner, super::security::current_owner().unwrap());
}

#[test]
fn sddl_given_by_the_caller_is_used() {
    let name = unique("sddl");
    let opts = ServerOptions {
        security: Security::Sddl("D:P(A;;GA;;;WD)".into()),
        ..message_opts()
    };
    let mut server = Server::bind(&name, opts).unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    let s = server.accept().unwrap();
    s.write_message(b"open to everyone").unwrap();
    assert_eq!(c.read_message(100).unwrap().unwrap(), b"open to everyone");
}

#[test]
#[ignore = "Wine 8 does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE; run on real Windows"]
fn first_instance_flag_refuses_a_taken_name() {
    let name = unique("taken");
    let _first = Server::bind(&name, ServerOptions::default()).unwrap();
    let e = Server::bind(&name, ServerOptions::default()).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
    assert!(e.to_string().contains(&name), "{e}");
}

#[test]
#[ignore = "Wine does not enforce pipe DACLs; run on real Windows"]
fn dacl_denying_everyone_refuses_clients() {
    let name = unique("denied");
    let opts = ServerOptions {
        security: Security::Sddl("D:P".into()),
        ..ServerOptions::default()
    };
    let _server = Server::bind(&name, opts).unwrap();
    let e = client::connect(&name, &ClientOptions::default(), LONG).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
}

// ---- the async core ----

fn overlapped_client() -> ClientOptions {
    ClientOptions {
        overlapped: true,
        ..message_client()
    }
}

#[test]
fn async_read_resolves_when_the_overlapped_read_completes() {
    let name = unique("async-wake");
    let mut server = Server::bind(
        &name,
        ServerOptions {
            overlapped: true,
            ..message_opts()
        },
    )
    .unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    let s = AsyncPipe::new(server.accept().unwrap()).unwrap();
    let mut s = s;
    // Nothing written yet: the first poll must be Pending, so the wake path is exercised.
    let polls = std::cell::Cell::new(0);
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        c.write_message(b"late").unwrap();
        c
    });
    let m = futures_lite::future::block_on(std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        s.poll_read_message(cx, 100)
    }))
    .unwrap()
    .unwrap();
    assert_eq!(m, b"late");
    assert!(polls.get() >= 2, "resolved without ever waiting");
    drop(writer.join().unwrap());
}

#[test]
fn async_messages_arrive_whole_both_ways() {
    let name = unique("async-sizes");
    let mut server = AsyncServer::bind(&name, message_opts()).unwrap();
    let sizes = [1usize, 4097, 10_000, 100_000, 1 << 20];
    let n2 = name.clone();
    let peer = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        for (i, &len) in sizes.iter().enumerate() {
            c.write_message(&pattern(len, i as u8)).unwrap();
        }
        let mut back = Vec::new();
        for _ in sizes {
            back.push(c.read_message(2 << 20).unwrap().unwrap().len());
        }
        back
    });
    futures_lite::future::block_on(async {
        let mut s = server.accept().await.unwrap();
        for (i, &len) in sizes.iter().enumerate() {
            let m = s.read_message(2 << 20).await.unwrap().unwrap();
            assert_eq!(m.len(), len);
            assert!(m == pattern(len, i as u8), "message {i} differs");
        }
        for &len in &sizes {
            s.write_message(&pattern(len, 0)).await.unwrap();
        }
        s.flush().await.unwrap();
    });
    assert_eq!(peer.join().unwrap(), sizes);
}

#[test]
fn async_oversize_is_discarded_and_the_stream_goes_on() {
    let name = unique("async-over");
    let mut server = AsyncServer::bind(&name, message_opts()).unwrap();
    let n2 = name.clone();
    let peer = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        c.write_message(&pattern(200_000, 1)).unwrap();
        c.write_message(b"next").unwrap();
        c
    });
    futures_lite::future::block_on(async {
        let mut s = server.accept().await.unwrap();
        let e = s.read_message(1000).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("200000 bytes"), "{e}");
        assert_eq!(s.read_message(1000).await.unwrap().unwrap(), b"next");
        drop(peer.join().unwrap());
        assert_eq!(s.read_message(1000).await.unwrap(), None);
    });
}

#[test]
fn async_read_dropped_mid_flight_loses_nothing() {
    let name = unique("async-cancel");
    let mut server = AsyncServer::bind(&name, message_opts()).unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    futures_lite::future::block_on(async {
        let mut s = server.accept().await.unwrap();
        // Start a read and abandon it while it is pending.
        let first = futures_lite::future::poll_once(s.read_message(1 << 20)).await;
        assert!(first.is_none());
        c.write_message(&pattern(70_000, 5)).unwrap();
        let m = s.read_message(1 << 20).await.unwrap().unwrap();
        assert!(m == pattern(70_000, 5));
    });
}

#[test]
fn async_client_and_byte_mode() {
    let name = unique("async-bytes");
    let mut server = AsyncServer::bind(&name, ServerOptions::default()).unwrap();
    let opts = ClientOptions {
        overlapped: true,
        ..ClientOptions::default()
    };
    let c = client::connect(&name, &opts, LONG).unwrap();
    let mut c = AsyncPipe::new(c).unwrap();
    futures_lite::future::block_on(async {
        let mut s = server.accept().await.unwrap();
        let data = pattern(300_000, 9);
        let w = async {
            let mut off = 0;
            while off < data.len() {
                off += std::future::poll_fn(|cx| c.poll_write(cx, &data[off..]))
                    .await
                    .unwrap();
            }
            std::future::poll_fn(|cx| c.poll_flush(cx)).await.unwrap();
            drop(c);
        };
        let r = async {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 7000];
            loop {
                let n = std::future::poll_fn(|cx| s.poll_read(cx, &mut buf))
                    .await
                    .unwrap();
                if n == 0 {
                    break got;
                }
                got.extend_from_slice(&buf[..n]);
            }
        };
        let ((), got) = futures_lite::future::zip(w, r).await;
        assert!(got == data, "byte stream differs ({} bytes)", got.len());
    });
}

/// The same implementation under tokio's and smol's executors.
#[test]
fn async_core_runs_under_tokio_and_smol() {
    for rt in ["tokio", "smol"] {
        let name = unique(rt);
        let mut server = AsyncServer::bind(&name, message_opts()).unwrap();
        let n2 = name.clone();
        let peer = thread::spawn(move || {
            let c = client::connect(&n2, &overlapped_client(), LONG).unwrap();
            let mut c = AsyncPipe::new(c).unwrap();
            futures_lite::future::block_on(async {
                c.write_message(&pattern(10_000, 1)).await.unwrap();
                c.write_message(&pattern(100_000, 2)).await.unwrap();
                c.flush().await.unwrap();
                c.read_message(16).await.unwrap().unwrap()
            })
        });
        let work = async move {
            let mut s = server.accept().await.unwrap();
            let a = s.read_message(1 << 20).await.unwrap().unwrap();
            let b = s.read_message(1 << 20).await.unwrap().unwrap();
            s.write_message(b"done").await.unwrap();
            s.flush().await.unwrap();
            (a, b)
        };
        let (a, b) = if rt == "tokio" {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(work)
        } else {
            smol::block_on(work)
        };
        assert!(a == pattern(10_000, 1) && b == pattern(100_000, 2), "{rt}");
        assert_eq!(peer.join().unwrap(), b"done", "{rt}");
    }
}

/// What the reassembly relies on, checked on the system itself: a message longer than the
/// read buffer comes as `ERROR_MORE_DATA` with the buffer full, `PeekNamedPipe` says how much
/// of it is left, and the next read returns the rest (Windows does this; so does Wine 8).
#[test]
fn system_reports_more_data_and_the_rest_of_the_message() {
    use super::pipe::Read as R;
    let name = unique("more-data");
    let mut server = Server::bind(&name, message_opts()).unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    let s = server.accept().unwrap();
    c.write_message(&pattern(10_000, 4)).unwrap();
    let mut buf = vec![0u8; 4096];
    assert_eq!(s.read_once(&mut buf).unwrap(), R::More(4096));
    assert_eq!(s.left_this_message(), Some(10_000 - 4096));
    let mut rest = vec![0u8; 10_000];
    assert_eq!(s.read_once(&mut rest).unwrap(), R::Done(10_000 - 4096));
    buf.extend_from_slice(&rest[..10_000 - 4096]);
    assert!(buf == pattern(10_000, 4));
}

#[test]
fn owner_named_in_the_sddl_owns_the_pipe() {
    let user = super::security::current_user().unwrap();
    let name = unique("owner-sddl");
    let opts = ServerOptions {
        security: Security::Sddl(format!("O:{}D:P(A;;GA;;;WD)", user.to_sddl().unwrap())),
        ..message_opts()
    };
    let _server = Server::bind(&name, opts).unwrap();
    let c = client::connect(&name, &message_client(), LONG).unwrap();
    assert_eq!(super::security::owner_of(c.handle()).unwrap(), user);
}

/// On real Windows, making a pipe owned by LocalSystem needs SeRestorePrivilege (run
/// elevated); Wine stores any owner, so there it runs as is.
#[test]
fn current_user_only_refuses_a_pipe_owned_by_someone_else() {
    let name = unique("foreign");
    let opts = ServerOptions {
        security: Security::Sddl("O:SYD:P(A;;GA;;;WD)".into()),
        ..message_opts()
    };
    let mut server = Server::bind(&name, opts).unwrap();
    let checked = ClientOptions {
        current_user_only: true,
        ..message_client()
    };
    let e = client::connect(&name, &checked, LONG).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert!(e.to_string().contains("S-1-5-18"), "{e}");
    // The refused client took the instance and left (ERROR_NO_DATA): the server drops it and
    // waits for the next client on the same instance.
    let n2 = name.clone();
    let next = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        c.write_message(b"next").unwrap();
        c
    });
    let s = server.accept().unwrap();
    assert_eq!(s.read_message(10).unwrap().unwrap(), b"next");
    drop(next.join().unwrap());
    assert!(e.to_string().contains(&name), "{e}");
}

#[test]
fn async_accept_skips_a_client_that_already_left() {
    let name = unique("async-left");
    let mut server = AsyncServer::bind(&name, message_opts()).unwrap();
    drop(client::connect(&name, &message_client(), LONG).unwrap());
    let n2 = name.clone();
    let next = thread::spawn(move || {
        let c = client::connect(&n2, &message_client(), LONG).unwrap();
        c.write_message(b"stayed").unwrap();
        c
    });
    futures_lite::future::block_on(async {
        let mut s = server.accept().await.unwrap();
        assert_eq!(s.read_message(10).await.unwrap().unwrap(), b"stayed");
        assert_eq!(s.client_process_id().unwrap(), std::process::id());
        assert_eq!(s.server_process_id().unwrap(), std::process::id());
    });
    drop(next.join().unwrap());
}
