//! The tokio flavour: the scenarios every flavour runs (`tests/async_support/scenarios.rs`:
//! the same meaning as the blocking flavour under any chunking, `Pending`s and 1-byte reads;
//! cancellation safety; backpressure) on the engine-based `AsyncFrameReader`/`AsyncFrameWriter`,
//! and what only tokio has: tokio-util `FramedRead`/`FramedWrite` over the codecs'
//! `Decoder`/`Encoder` impls, held to the same reference; real full-duplex runs over tokio
//! pipes and Unix sockets; the examples' echo server and smol client talking to each other.
#![cfg(feature = "tokio")]

mod async_support;

#[cfg(unix)]
use std::future::poll_fn;
use std::io;
#[cfg(unix)]
use std::pin::Pin;

#[cfg(unix)]
use async_support::scenarios::Spawned;
use async_support::scenarios::{self, Feed, sink_close, sink_send, stream_outcome};
use async_support::*;
use bytes::Bytes;
use futures_lite::StreamExt;
use futures_lite::future::block_on;
#[cfg(unix)]
use futures_sink::Sink;
use pipeframe::codec::{Delimited, Framing, LengthPrefixed};
use pipeframe::rt::Tokio;
use pipeframe::tokio::Text;
use proptest::prelude::*;
#[cfg(unix)]
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{FramedRead, FramedWrite};

// The scenarios every flavour runs, each a test of its own here.
scenarios::run_every_scenario_in!(Tokio);

/// tokio-util's `FramedRead` ends the stream after the first error: the blocking outcome up
/// to and including its first error.
fn until_first_error(mut o: Outcome) -> Outcome {
    if let Some(i) = o.iter().position(Result::is_err) {
        o.truncate(i + 1);
    }
    o
}

/// The bytes tokio-util's `FramedWrite` over the codec writes for `frames`.
async fn framed_write_encode(
    f: &Framing,
    frames: &[Vec<u8>],
    plan: Plan,
    high_water: usize,
) -> Vec<u8> {
    let mut w = FramedWrite::new(ScriptedWriter::new(plan), f.clone());
    w.set_backpressure_boundary(high_water.max(1));
    for p in frames {
        sink_send(&mut w, Bytes::from(p.clone())).await.unwrap();
    }
    sink_close::<_, Bytes>(&mut w).await.unwrap();
    w.into_inner().out
}

#[test]
fn vectors_decode_through_framed_read() {
    for v in vectors() {
        let f = framing(v.name);
        let r = FramedRead::new(ScriptedReader::new(&v.wire, Plan::bytewise()), f);
        assert_eq!(
            block_on(stream_outcome(r, read_limit(&v.wire))),
            frames_outcome(&v.frames),
            "FramedRead {}",
            v.name
        );
    }
}

#[test]
fn vectors_encode_through_framed_write() {
    for v in vectors().into_iter().filter(|v| v.canonical) {
        let f = framing(v.name);
        for hw in [0, 3, 64 * 1024] {
            let wire = block_on(framed_write_encode(&f, &v.frames, Plan::bytewise(), hw));
            assert_eq!(wire, v.wire, "{} FramedWrite high_water={hw}", v.name);
        }
    }
}

#[test]
fn framed_read_eof_inside_a_frame_is_unexpected_eof_and_a_clean_end_is_none() {
    let mut r = FramedRead::new(
        ScriptedReader::new(b"\x05\0\0\0hel", Plan::bytewise()),
        LengthPrefixed::u32_le(),
    );
    let e = block_on(r.next()).unwrap().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        e.to_string(),
        "stream ended inside a frame: 7 bytes received, 2 bytes missing"
    );
    assert!(block_on(r.next()).is_none());

    let mut r = FramedRead::new(
        ScriptedReader::new(b"Content-Length: 3\r\n", Plan::bytewise()),
        Framing::from(pipeframe::codec::ContentLength::new()),
    );
    let e = block_on(r.next()).unwrap().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert!(
        e.to_string()
            .starts_with("stream ended inside a frame header: 19 bytes received"),
        "{e}"
    );

    let mut r = FramedRead::new(
        ScriptedReader::new(b"a\nb\n", Plan::bytewise()),
        Delimited::lines(),
    );
    assert_eq!(block_on(r.next()).unwrap().unwrap(), &b"a"[..]);
    assert_eq!(block_on(r.next()).unwrap().unwrap(), &b"b"[..]);
    assert!(
        block_on(r.next()).is_none(),
        "clean end at a frame boundary"
    );
}
#[test]
fn text_decoder_reports_invalid_utf8_and_goes_on() {
    let wire = b"ok\n\xffx\nyes\n";
    let mut r = FramedRead::new(
        ScriptedReader::new(wire, Plan::bytewise()),
        Text::new(Delimited::lines()),
    );
    block_on(async {
        assert_eq!(r.next().await.unwrap().unwrap(), "ok");
        let e = r.next().await.unwrap().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "frame is not valid UTF-8 at byte offset 0");
        // tokio-util ends the stream after an error; polling again resumes.
        assert!(r.next().await.is_none());
        assert_eq!(r.next().await.unwrap().unwrap(), "yes");
        assert!(r.next().await.is_none());
    });
    let mut w = FramedWrite::new(
        ScriptedWriter::new(Plan::bytewise()),
        Text::new(Delimited::crlf()),
    );
    block_on(async {
        sink_send(&mut w, "héllo").await.unwrap();
        sink_send(&mut w, String::from("x")).await.unwrap();
        sink_close::<_, &str>(&mut w).await.unwrap();
    });
    assert_eq!(w.get_ref().out, "héllo\r\nx\r\n".as_bytes());
}

#[test]
fn framed_write_refuses_what_the_codec_cannot_carry() {
    let mut w = FramedWrite::new(ScriptedWriter::new(Plan::bytewise()), Delimited::lines());
    let e = block_on(sink_send(&mut w, &b"a\nb"[..])).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(
        e.to_string(),
        "frame contains the delimiter 0x0a at offset 1"
    );
}

/// Who writes in the writing property: tokio-util's `FramedWrite`, or the engine writer.
#[derive(Debug, Clone, Copy)]
enum Writer {
    FramedWrite,
    Engine(Feed),
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any chunking, any `Pending`s: FramedRead and the engine reader return what the
    /// blocking reader returns for the same bytes (valid, truncated or arbitrary).
    #[test]
    fn reading_matches_the_blocking_flavour(case in read_case()) {
        let (f, wire, want) = scenarios::reading_case(&case)?;
        let framed = FramedRead::new(ScriptedReader::new(&wire, case.plan.clone()), f);
        prop_assert_eq!(
            block_on(stream_outcome(framed, read_limit(&wire))),
            until_first_error(want)
        );
        scenarios::reading_matches_the_blocking_flavour::<Tokio>(&case)?;
    }

    /// Any write sizes, any `Pending`s, any high-water mark: FramedWrite, write_frame and the
    /// Sink write exactly the blocking writer's bytes.
    #[test]
    fn writing_matches_the_blocking_flavour(
        case in write_case(),
        how in prop::sample::select(vec![
            Writer::FramedWrite,
            Writer::Engine(Feed::WriteFrame),
            Writer::Engine(Feed::Sink),
        ]),
    ) {
        match how {
            Writer::FramedWrite => {
                let f = framing(case.name);
                let want = sync_encode(&f, &case.frames);
                let got = block_on(framed_write_encode(&f, &case.frames, case.plan, case.high_water));
                prop_assert_eq!(got, want);
            }
            Writer::Engine(feed) => scenarios::writing_matches_the_blocking_flavour::<Tokio>(&case, feed)?,
        }
    }
}

/// `Framed` (one object, both directions) over a Unix socket and a TCP connection: requests
/// and replies in LSP framing.
#[cfg(unix)]
#[test]
fn framed_request_reply_over_unix_and_tcp_sockets() {
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(s: S) -> io::Result<()> {
        let mut framed = tokio_util::codec::Framed::new(
            s,
            Framing::from(pipeframe::codec::ContentLength::new()),
        );
        while let Some(req) = framed.next().await {
            let mut reply = b"re: ".to_vec();
            reply.extend_from_slice(&req?);
            sink_send(&mut framed, reply).await?;
            poll_fn(|cx| Sink::<Bytes>::poll_flush(Pin::new(&mut framed), cx)).await?;
        }
        sink_close::<_, Bytes>(&mut framed).await
    }
    async fn client<S: AsyncRead + AsyncWrite + Unpin>(s: S) -> io::Result<()> {
        let mut framed = tokio_util::codec::Framed::new(
            s,
            Framing::from(pipeframe::codec::ContentLength::new()),
        );
        for i in 0..50 {
            let req = format!("{{\"id\":{i}}}");
            sink_send(&mut framed, req.as_bytes()).await?;
            poll_fn(|cx| Sink::<&[u8]>::poll_flush(Pin::new(&mut framed), cx)).await?;
            let reply = framed.next().await.expect("a reply")?;
            assert_eq!(reply, format!("re: {req}").as_bytes());
        }
        Ok(())
    }
    rt().block_on(async {
        let (a, b) = tokio::net::UnixStream::pair().unwrap();
        let server = tokio::spawn(serve(a));
        client(b).await.unwrap();
        server.await.unwrap().unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { serve(listener.accept().await?.0).await });
        client(tokio::net::TcpStream::connect(addr).await.unwrap())
            .await
            .unwrap();
        server.await.unwrap().unwrap();
    });
}

#[cfg(any(unix, feature = "futures-io"))]
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn tokio_pipe_whose_reader_never_reads_bounds_the_writer() {
    rt().block_on(async {
        let (tx, rx) = tokio::net::unix::pipe::pipe().unwrap();
        scenarios::pipe_whose_reader_never_reads_bounds_the_writer::<Tokio, _>(tx, false).await;
        drop(rx);
    });
}

#[cfg(unix)]
/// tokio's spawn, joined.
fn spawn(f: Spawned) -> Spawned {
    let task = tokio::spawn(f);
    Box::pin(async move { task.await.unwrap() })
}

#[cfg(unix)]
/// Sends `duplex_frames(seed)` through tokio-util's `FramedWrite`, then closes.
async fn framed_send<W: AsyncWrite + Unpin>(w: W, seed: u8) -> io::Result<()> {
    let mut w = FramedWrite::new(w, LengthPrefixed::u32_le());
    for f in scenarios::duplex_frames(seed) {
        sink_send(&mut w, Bytes::from(f)).await?;
    }
    sink_close::<_, Bytes>(&mut w).await
}

#[cfg(unix)]
/// Reads through tokio-util's `FramedRead` until the end; the frames must be
/// `duplex_frames(seed)`.
async fn framed_recv<R: AsyncRead + Unpin>(r: R, seed: u8) -> io::Result<()> {
    let mut r = FramedRead::new(r, LengthPrefixed::u32_le());
    let mut got = Vec::new();
    while let Some(f) = r.next().await {
        got.push(f?.to_vec());
    }
    assert_eq!(got, scenarios::duplex_frames(seed));
    Ok(())
}

/// One end of a full-duplex run; `framed` picks tokio-util's FramedRead/FramedWrite over the
/// codec impls instead of the engine reader/writer (borrowed frames).
#[cfg(unix)]
async fn talk<R, W>(r: R, w: W, send_seed: u8, recv_seed: u8, framed: bool) -> io::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    if framed {
        scenarios::talk(framed_send(w, send_seed), framed_recv(r, recv_seed), spawn).await
    } else {
        scenarios::engine_talk::<Tokio, _, _>(r, w, (send_seed, recv_seed), true, spawn).await
    }
}

#[cfg(unix)]
#[test]
fn tokio_full_duplex_over_two_anonymous_pipes() {
    for framed in [false, true] {
        rt().block_on(async {
            let (a_tx, b_rx) = tokio::net::unix::pipe::pipe().unwrap();
            let (b_tx, a_rx) = tokio::net::unix::pipe::pipe().unwrap();
            let ta = tokio::spawn(talk(a_rx, a_tx, 1, 2, framed));
            let tb = tokio::spawn(talk(b_rx, b_tx, 2, 1, !framed));
            ta.await.unwrap().unwrap();
            tb.await.unwrap().unwrap();
        });
    }
}

#[cfg(unix)]
#[test]
fn tokio_full_duplex_over_a_unix_socket_pair() {
    for framed in [false, true] {
        rt().block_on(async {
            let (a, b) = tokio::net::UnixStream::pair().unwrap();
            let (ar, aw) = a.into_split();
            let (br, bw) = b.into_split();
            let ta = tokio::spawn(talk(ar, aw, 3, 4, framed));
            let tb = tokio::spawn(talk(br, bw, 4, 3, framed));
            ta.await.unwrap().unwrap();
            tb.await.unwrap().unwrap();
        });
    }
}

/// The examples' own code (included as modules): the tokio echo server and the smol client
/// talk over a named pipe, small lines and, with `lp32le`, frames larger than the pipe
/// buffers while both directions are busy.
#[cfg(feature = "futures-io")]
#[allow(dead_code)]
#[path = "../examples/tokio_echo_server.rs"]
mod echo_server;

// Both examples include examples/common/address.rs, each for its own `main`.
#[cfg(feature = "futures-io")]
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../examples/smol_client.rs"]
mod smol_client;

#[cfg(feature = "futures-io")]
#[test]
fn example_tokio_echo_server_and_smol_client_talk() {
    use pipeframe::named::PipeName;
    use std::time::Duration;

    let rt = rt();
    let cases: [(&str, Vec<String>); 3] = [
        ("lines", (0..2000).map(|i| format!("message {i}")).collect()),
        ("lp32le", (0..12).map(|i| "x".repeat(i * 40_000)).collect()),
        (
            "lsp",
            vec![r#"{"jsonrpc":"2.0","id":1}"#.to_owned(), String::new()],
        ),
    ];
    for (name, messages) in cases {
        let pipe = PipeName::new(&format!("pf-echo-{name}-{}", std::process::id())).unwrap();
        let listener = rt
            .block_on(async { pipeframe::named::tokio::Listener::bind(&pipe) })
            .unwrap();
        let server = rt.spawn(echo_server::serve_pipe(listener, framing(name)));
        let replies = smol::block_on(async {
            let (rd, wr) =
                pipeframe::named::futures_io::connect_timeout(&pipe, Duration::from_secs(10))
                    .await?
                    .into_split();
            smol_client::exchange(rd, wr, framing(name), &messages).await
        })
        .unwrap();
        assert_eq!(replies.len(), messages.len(), "{name}");
        assert!(
            replies
                .iter()
                .zip(&messages)
                .all(|(r, m)| r == m.as_bytes()),
            "{name}"
        );
        server.abort();
    }
}
