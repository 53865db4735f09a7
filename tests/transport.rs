//! `pipeframe::transport` on every OS (Unix domain sockets on Unix, `\\.\pipe\` under Wine on
//! Windows), with Rust peers on both ends, as the articles run Kestrel and gRPC over a named
//! pipe: hyper HTTP/1.1 and HTTP/2 servers on `Incoming` with hyper-util's `Client` on
//! `PipeConnector`; a tonic Greeter server (`serve_with_incoming`, the peer in every request)
//! with a tonic client (`connect_with_connector`); the JSON-RPC calculator; a client that sends
//! garbage losing only its own connection; a connector that gives up naming the pipe and the
//! deadline; a server that exits mid-response. On Windows also a raw Win32 HTTP client.

#[path = "../examples/common/calculator.rs"]
mod calculator;
#[path = "../examples/common/greeter.rs"]
mod greeter;
#[path = "../examples/common/hello_http.rs"]
mod hello_http;
#[path = "../examples/common/helloworld.rs"]
mod helloworld;
#[cfg(windows)]
#[path = "win32/mod.rs"]
mod win32;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use pipeframe::named::PipeName;
use pipeframe::transport::{Incoming, PipeConnectInfo, PipeConnector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(30);

fn unique(tag: &str) -> PipeName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    PipeName::new(&format!("pipeframe-tx-{tag}-{}-{n}", std::process::id())).unwrap()
}

/// Serves the examples' HTTP service (HTTP/1.1 and HTTP/2) on `name` until aborted.
fn serve_http(name: &PipeName) -> tokio::task::JoinHandle<()> {
    let mut incoming = Incoming::bind(name).unwrap();
    tokio::spawn(async move {
        loop {
            let conn = incoming.accept().await.unwrap();
            tokio::spawn(hello_http::serve_connection(conn));
        }
    })
}

async fn get(
    client: &Client<PipeConnector, Empty<Bytes>>,
) -> (StatusCode, String, PipeConnectInfo) {
    let response = client
        .get("http://localhost/".parse().unwrap())
        .await
        .unwrap();
    let info = response
        .extensions()
        .get::<PipeConnectInfo>()
        .expect("the response carries the pipe's connect info")
        .clone();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap(), info)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_http1_server_and_client() {
    let name = unique("h1");
    let server = serve_http(&name);
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .build(PipeConnector::new(name.clone()).with_timeout(WAIT));
    for _ in 0..3 {
        let (status, body, info) = get(&client).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, format!("{} HTTP/1.1\n", hello_http::GREETING));
        assert_eq!(info.name(), &name);
        let peer = info.peer_credentials().expect("the server's credentials");
        assert_eq!(peer.pid(), Some(std::process::id()));
    }
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_http2_server_and_client() {
    let name = unique("h2");
    let server = serve_http(&name);
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build(PipeConnector::new(name.clone()).with_timeout(WAIT));
    // Several requests at once, multiplexed on one HTTP/2 connection.
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get(&client).await })
        })
        .collect();
    for c in calls {
        let (status, body, _) = c.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, format!("{} HTTP/2.0\n", hello_http::GREETING));
    }
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tonic_greeter_server_and_client_see_each_other() {
    use helloworld::HelloRequest;
    use helloworld::greeter_client::GreeterClient;
    use helloworld::greeter_server::GreeterServer;

    let name = unique("grpc");
    let greeter = greeter::MyGreeter::default();
    let last_peer = greeter.last_peer.clone();
    let incoming = Incoming::bind(&name).unwrap();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(GreeterServer::new(greeter))
            .serve_with_incoming(incoming),
    );
    let channel = tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(PipeConnector::new(name.clone()).with_timeout(WAIT))
        .await
        .unwrap();
    let mut client = GreeterClient::new(channel);
    for who in ["pipeframe", "ünïcødé", ""] {
        let reply = client
            .say_hello(HelloRequest { name: who.into() })
            .await
            .unwrap();
        assert_eq!(reply.into_inner().message, format!("Hello {who}"));
    }
    let info = last_peer
        .lock()
        .unwrap()
        .clone()
        .expect("the handler saw the pipe peer");
    assert_eq!(info.name(), &name);
    assert_eq!(
        info.peer_credentials().and_then(|c| c.pid()),
        Some(std::process::id())
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonrpc_calculator_server_and_client() {
    let name = unique("jsonrpc");
    let mut incoming = Incoming::bind(&name).unwrap();
    let server = tokio::spawn(async move {
        loop {
            let conn = incoming.accept().await.unwrap();
            tokio::spawn(calculator::serve_connection(conn));
        }
    });
    let connector = PipeConnector::new(name).with_timeout(WAIT);
    for (a, b, sum) in [(5, 3, 8), (-7, 2, -5), (i32::MAX, 1, i32::MIN as i64)] {
        let conn = connector.connect().await.unwrap();
        assert_eq!(calculator::add(conn, a, b).await.unwrap(), sum);
    }
    server.abort();
}

/// A client that sends garbage gets its own connection closed; the server goes on serving
/// the others, before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_client_loses_only_its_own_connection() {
    let name = unique("garbage");
    let server = serve_http(&name);
    let connector = PipeConnector::new(name.clone()).with_timeout(WAIT);
    let client: Client<_, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector.clone());
    assert_eq!(get(&client).await.0, StatusCode::OK);

    let mut junk = connector.connect().await.unwrap();
    junk.write_all(b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n")
        .await
        .unwrap();
    junk.flush().await.unwrap();
    // The server answers 400 or just closes; either way the connection ends.
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(WAIT, junk.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the garbage connection was never closed");
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 400"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );

    for _ in 0..3 {
        assert_eq!(
            get(&client).await.0,
            StatusCode::OK,
            "served after the garbage"
        );
    }
    server.abort();
}

/// Nobody serves the pipe: the connector retries until its deadline, then fails naming the
/// pipe and the time it waited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_gives_up_at_its_deadline_naming_the_pipe() {
    let name = unique("nobody");
    let start = Instant::now();
    let e = PipeConnector::new(name.clone())
        .with_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    let text = e.to_string();
    assert!(text.contains(&name.to_string()), "{text}");
    assert!(text.contains("0.3 s"), "{text}");
}

/// A server that writes half a response and exits: the client gets an error, not a short
/// body taken for a whole one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_gone_mid_response_is_an_error() {
    let name = unique("midway");
    let mut incoming = Incoming::bind(&name).unwrap();
    let server = tokio::spawn(async move {
        let mut conn = incoming.accept().await.unwrap();
        let mut request = vec![0; 4096];
        let _ = conn.read(&mut request).await.unwrap();
        conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b")
            .await
            .unwrap();
        conn.flush().await.unwrap();
        // Dropping the connection (and the listener) ends it with 90 bytes missing.
    });
    let client: Client<_, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(PipeConnector::new(name).with_timeout(WAIT));
    let response = client
        .get("http://localhost/".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await;
    assert!(body.is_err(), "a 10-byte body taken for the promised 100");
    server.await.unwrap();
}

/// A client of raw Win32 calls: `CreateFileW` on the pipe, `GET /` written by hand, the
/// response read back to its end.
#[cfg(windows)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_win32_http_client_gets_200() {
    let name = unique("raw-http");
    let server = serve_http(&name);
    let path = name.pipe_path().to_owned();
    let response = tokio::task::spawn_blocking(move || {
        let p = win32::RawPipe::open(&path, false, WAIT).unwrap();
        let req = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        assert_eq!(p.write(req).unwrap(), req.len());
        p.read_to_end().unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains(hello_http::GREETING), "{text}");
    server.abort();
}
