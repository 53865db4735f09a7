//! Named pipes through the public API, written once and run on every OS (Unix domain sockets
//! on Unix, `\\.\pipe\` under Wine on Windows) and in every flavour: many clients through
//! each flavour's `serve`, frames of every size arriving whole, who is at the other end,
//! connect timeouts, a client started before its server, current-user-only on both sides,
//! owned halves. What only one OS has is in `unix_named.rs` and `windows_named.rs`.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pipeframe::codec::LengthPrefixed;
use pipeframe::named::{self, ConnectOptions, ListenOptions, Listener, PipeName, PipeStream};

/// A name no other test (or run) uses: `$TMPDIR/CoreFxPipe_...` on Unix, `\\.\pipe\...` on
/// Windows.
fn unique(tag: &str) -> PipeName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    PipeName::new(&format!("pipeframe-named-{tag}-{}-{n}", std::process::id())).unwrap()
}

/// Bytes that say where they are, so a split, a shift or a mix-up shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

const SIZES: [usize; 6] = [0, 1, 4097, 65_536, 100_000, 1 << 20];
const WAIT: Duration = Duration::from_secs(30);

fn echo(stream: PipeStream) -> io::Result<()> {
    let mut s = stream.framed(LengthPrefixed::u32_le())?;
    while let Some(f) = s.read_frame()? {
        s.write_frame(&f)?;
        s.flush()?;
    }
    Ok(())
}

/// What each client sends: `frames` frames, their sizes and bytes depending on the client.
fn client_frames(c: usize, frames: usize) -> Vec<Vec<u8>> {
    (0..frames)
        .map(|i| {
            let mut f = format!("client {c} frame {i} ").into_bytes();
            f.extend(pattern((c * 131 + i * 977) % 5000, (c + i) as u8));
            f
        })
        .collect()
}

#[test]
fn blocking_serve_echoes_a_hundred_clients_in_order() {
    let name = unique("bserve");
    let listener = Listener::bind(&name).unwrap();
    std::thread::spawn(move || listener.serve(echo));
    let clients: Vec<_> = (0..100)
        .map(|c| {
            let name = name.clone();
            std::thread::spawn(move || -> io::Result<()> {
                let mut s = named::connect_timeout(&name, WAIT)?.framed(LengthPrefixed::u32_le())?;
                for f in client_frames(c, 50) {
                    s.write_frame(&f)?;
                    s.flush()?;
                    assert_eq!(s.read_frame()?.as_deref(), Some(&f[..]), "client {c}");
                }
                Ok(())
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap().unwrap();
    }
}

#[test]
fn blocking_frames_of_every_size_arrive_whole() {
    let name = unique("bsizes");
    let listener = Listener::bind(&name).unwrap();
    let client = std::thread::spawn({
        let name = name.clone();
        move || {
            let mut c = named::connect_timeout(&name, WAIT)
                .unwrap()
                .framed(LengthPrefixed::u32_le())
                .unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                c.write_frame(&pattern(n, i as u8)).unwrap();
            }
            c.flush().unwrap();
            for (i, &n) in SIZES.iter().enumerate() {
                let f = c.read_frame().unwrap().unwrap();
                assert!(f[..] == pattern(n, 100 + i as u8)[..], "reply {i}");
            }
        }
    });
    let mut s = listener
        .accept()
        .unwrap()
        .framed(LengthPrefixed::u32_le())
        .unwrap();
    for (i, &n) in SIZES.iter().enumerate() {
        let f = s.read_frame().unwrap().unwrap();
        assert_eq!(f.len(), n);
        assert!(f[..] == pattern(n, i as u8)[..], "frame {i}");
    }
    for (i, &n) in SIZES.iter().enumerate() {
        s.write_frame(&pattern(n, 100 + i as u8)).unwrap();
    }
    s.flush().unwrap();
    client.join().unwrap();
    assert_eq!(
        s.read_frame().unwrap(),
        None,
        "end of stream once the client left"
    );
}

/// Who is at the other end, on both sides: this process. Unix: its uid; Windows: its user
/// SID, the same seen from either side.
#[test]
fn peer_credentials_on_both_sides() {
    let name = unique("creds");
    let listener = Listener::bind(&name).unwrap();
    let c = ConnectOptions::new()
        .timeout(WAIT)
        .current_user_only(true)
        .connect(&name)
        .unwrap();
    let s = listener.accept().unwrap();
    let (server_sees, client_sees) = (s.peer_credentials().unwrap(), c.peer_credentials().unwrap());
    let me = std::process::id();
    assert_eq!(server_sees.pid(), Some(me));
    assert_eq!(client_sees.pid(), Some(me));
    #[cfg(unix)]
    assert_eq!(server_sees.uid(), client_sees.uid());
    #[cfg(windows)]
    {
        assert_eq!(server_sees.sid(), client_sees.sid());
        assert!(
            server_sees.sid().to_string().starts_with("S-1-5-"),
            "{}",
            server_sees.sid()
        );
    }
}

#[test]
fn current_user_only_listener_admits_our_own_clients() {
    let name = unique("cuo");
    let listener = ListenOptions::new()
        .current_user_only(true)
        .bind(&name)
        .unwrap();
    let client = std::thread::spawn({
        let name = name.clone();
        move || {
            let mut c = named::connect_timeout(&name, WAIT)
                .unwrap()
                .framed(LengthPrefixed::u32_le())
                .unwrap();
            c.write_frame(b"me").unwrap();
            c.flush().unwrap();
            c.read_frame().unwrap()
        }
    });
    let mut s = listener
        .accept()
        .unwrap()
        .framed(LengthPrefixed::u32_le())
        .unwrap();
    assert_eq!(s.read_frame().unwrap().as_deref(), Some(&b"me"[..]));
    s.write_frame(b"you").unwrap();
    s.flush().unwrap();
    assert_eq!(client.join().unwrap().as_deref(), Some(&b"you"[..]));
    assert_eq!(listener.rejected(), 0);
}

#[test]
fn connect_times_out_naming_the_pipe() {
    let name = unique("nobody");
    let shown = name.to_string();
    let e = named::connect_timeout(&name, Duration::from_millis(100)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert!(e.to_string().contains(&shown), "{e}");
    let e = named::connect(&name).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains(&shown), "{e}");
    #[cfg(feature = "tokio")]
    {
        let e = tokio_rt()
            .block_on(named::tokio::connect_timeout(
                &name,
                Duration::from_millis(100),
            ))
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains(&shown), "{e}");
    }
    #[cfg(feature = "futures-io")]
    {
        let e = smol::block_on(named::futures_io::connect_timeout(
            &name,
            Duration::from_millis(100),
        ))
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains(&shown), "{e}");
    }
}

/// The client's first attempt finds no server (it says so), then it waits; the server comes
/// up after that and the client gets in.
#[test]
fn blocking_client_started_before_its_server_connects() {
    let name = unique("early");
    let (tried, first_try) = mpsc::channel();
    let client = std::thread::spawn({
        let name = name.clone();
        move || {
            let e = named::connect(&name).unwrap_err();
            tried.send(e.kind()).unwrap();
            let mut c = named::connect_timeout(&name, WAIT)
                .unwrap()
                .framed(LengthPrefixed::u32_le())
                .unwrap();
            c.write_frame(b"I was first").unwrap();
            c.flush().unwrap();
            c.read_frame().unwrap()
        }
    });
    assert_eq!(first_try.recv().unwrap(), io::ErrorKind::NotFound);
    let listener = Listener::bind(&name).unwrap();
    let mut s = listener
        .accept()
        .unwrap()
        .framed(LengthPrefixed::u32_le())
        .unwrap();
    assert_eq!(
        s.read_frame().unwrap().as_deref(),
        Some(&b"I was first"[..])
    );
    s.write_frame(b"seen").unwrap();
    s.flush().unwrap();
    assert_eq!(client.join().unwrap().as_deref(), Some(&b"seen"[..]));
}

#[cfg(feature = "tokio")]
fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(feature = "tokio")]
mod tokio_flavour {
    use super::*;
    use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// `serve` runs every client's handler concurrently on its own task; 100 clients each
    /// echo their frames back in order.
    #[test]
    fn serve_echoes_a_hundred_clients_in_order() {
        tokio_rt().block_on(async {
            let name = unique("tserve");
            let listener = named::tokio::Listener::bind(&name).unwrap();
            let server = tokio::spawn(async move {
                listener
                    .serve(|stream| async move {
                        assert_eq!(
                            stream.peer_credentials().unwrap().pid(),
                            Some(std::process::id())
                        );
                        let (r, w) = stream.into_split();
                        let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
                        let mut w = AsyncFrameWriter::new(w, LengthPrefixed::u32_le());
                        while let Some(f) = r.read_frame().await.unwrap() {
                            w.write_frame(&f).await.unwrap();
                            w.flush().await.unwrap();
                        }
                    })
                    .await
            });
            let clients: Vec<_> = (0..100)
                .map(|c| {
                    let name = name.clone();
                    tokio::spawn(async move {
                        let s = named::tokio::connect_timeout(&name, WAIT).await.unwrap();
                        let (r, w) = s.into_split();
                        let mut r = AsyncFrameReader::new(r, LengthPrefixed::u32_le());
                        let mut w = AsyncFrameWriter::new(w, LengthPrefixed::u32_le());
                        let frames = client_frames(c, 50);
                        for f in &frames {
                            w.write_frame(f).await.unwrap();
                        }
                        w.flush().await.unwrap();
                        for f in &frames {
                            let got = r.read_frame().await.unwrap().expect("echo ended early");
                            assert!(got[..] == f[..], "client {c}: lost or reordered");
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

    #[test]
    fn frames_of_every_size_arrive_whole() {
        tokio_rt().block_on(async {
            let name = unique("tsizes");
            let listener = named::tokio::Listener::bind(&name).unwrap();
            let client = tokio::spawn({
                let name = name.clone();
                async move {
                    let c = named::tokio::connect_timeout(&name, WAIT).await.unwrap();
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
                assert_eq!(f.len(), n);
                assert!(f[..] == pattern(n, i as u8)[..], "frame {i}");
            }
            drop(client.await.unwrap());
            assert!(r.read_frame().await.unwrap().is_none());
        });
    }

    /// The first poll of the connect tries once, finds no server, and waits; the server is
    /// bound after that.
    #[test]
    fn client_started_before_its_server_connects() {
        tokio_rt().block_on(async {
            let name = unique("tearly");
            let mut connect = Box::pin(named::tokio::connect_timeout(&name, WAIT));
            assert!(
                futures_lite::future::poll_once(&mut connect)
                    .await
                    .is_none()
            );
            let listener = named::tokio::Listener::bind(&name).unwrap();
            let (c, s) = tokio::join!(connect, listener.accept());
            let (mut c, mut s) = (c.unwrap(), s.unwrap());
            c.write_all(b"early").await.unwrap();
            c.flush().await.unwrap();
            let mut got = [0; 5];
            s.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"early");
        });
    }

    /// One task reads while another writes, through `&PipeStream` and through owned halves.
    #[test]
    fn reads_and_writes_go_on_at_once() {
        tokio_rt().block_on(async {
            let (a, b) = named::tokio::PipeStream::pair().unwrap();
            let data = pattern(300_000, 9);
            let (mut ra, mut wa) = a.into_split();
            let b = std::sync::Arc::new(b);
            let b2 = std::sync::Arc::clone(&b);
            let echo = tokio::spawn(async move {
                let mut buf = vec![0; 7000];
                let mut left = 300_000;
                while left > 0 {
                    let n = (&*b2).read(&mut buf).await.unwrap();
                    assert!(n > 0);
                    (&*b2).write_all(&buf[..n]).await.unwrap();
                    left -= n;
                }
                (&*b2).flush().await.unwrap();
            });
            let writer = {
                let data = data.clone();
                tokio::spawn(async move {
                    wa.write_all(&data).await.unwrap();
                    wa.flush().await.unwrap();
                    wa
                })
            };
            let mut got = vec![0; data.len()];
            ra.read_exact(&mut got).await.unwrap();
            assert!(got == data, "echo differs");
            echo.await.unwrap();
            drop(writer.await.unwrap());
            drop(b);
        });
    }
}

#[cfg(feature = "futures-io")]
mod smol_flavour {
    use super::*;
    use pipeframe::futures_io::{AsyncFrameReader, AsyncFrameWriter};

    /// `serve` on a futures-io runtime: handlers run on the serving task itself, no spawner.
    #[test]
    fn serve_echoes_clients_in_order() {
        smol::block_on(async {
            let name = unique("sserve");
            let listener = named::futures_io::Listener::bind(&name).unwrap();
            let server = smol::spawn(async move {
                listener
                    .serve(|stream| async move {
                        let mut r = AsyncFrameReader::new(&stream, LengthPrefixed::u32_le());
                        let mut w = AsyncFrameWriter::new(&stream, LengthPrefixed::u32_le());
                        while let Some(f) = r.read_frame().await.unwrap() {
                            w.write_frame(&f).await.unwrap();
                            w.flush().await.unwrap();
                        }
                    })
                    .await
            });
            let clients: Vec<_> = (0..50)
                .map(|c| {
                    let name = name.clone();
                    smol::spawn(async move {
                        let s = named::futures_io::connect_timeout(&name, WAIT)
                            .await
                            .unwrap();
                        let mut r = AsyncFrameReader::new(&s, LengthPrefixed::u32_le());
                        let mut w = AsyncFrameWriter::new(&s, LengthPrefixed::u32_le());
                        for f in client_frames(c, 30) {
                            w.write_frame(&f).await.unwrap();
                            w.flush().await.unwrap();
                            let got = r.read_frame().await.unwrap().expect("echo ended early");
                            assert!(got[..] == f[..], "client {c}");
                        }
                    })
                })
                .collect();
            for c in clients {
                c.await;
            }
            drop(server);
        });
    }

    #[test]
    fn frames_of_every_size_arrive_whole() {
        smol::block_on(async {
            let name = unique("ssizes");
            let listener = named::futures_io::Listener::bind(&name).unwrap();
            let client = smol::spawn({
                let name = name.clone();
                async move {
                    let c = named::futures_io::connect_timeout(&name, WAIT)
                        .await
                        .unwrap();
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
                assert_eq!(f.len(), n);
                assert!(f[..] == pattern(n, i as u8)[..], "frame {i}");
            }
            drop(client.await);
            assert!(r.read_frame().await.unwrap().is_none());
        });
    }

    #[test]
    fn client_started_before_its_server_connects() {
        smol::block_on(async {
            let name = unique("searly");
            let mut connect = Box::pin(named::futures_io::connect_timeout(&name, WAIT));
            assert!(
                futures_lite::future::poll_once(&mut connect)
                    .await
                    .is_none()
            );
            let listener = named::futures_io::Listener::bind(&name).unwrap();
            let (c, s) = futures_lite::future::zip(connect, listener.accept()).await;
            let (c, s) = (c.unwrap(), s.unwrap());
            assert_eq!(
                c.peer_credentials().unwrap().pid(),
                Some(std::process::id())
            );
            assert_eq!(
                s.peer_credentials().unwrap().pid(),
                Some(std::process::id())
            );
        });
    }
}
