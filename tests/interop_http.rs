//! HTTP over a named pipe (`pipeframe::transport` with hyper and hyper-util), against real
//! peers: `curl --unix-socket` (HTTP/1.1 and HTTP/2 with prior knowledge) calling the
//! examples' server code, and pipeframe's client (hyper-util's legacy `Client` with
//! `PipeConnector`) calling Python's `http.server` on a Unix socket
//! (`tests/peers/http_unix_server.py`). Run `tests/peers/setup.sh` first.
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

#[path = "../examples/common/hello_http.rs"]
mod hello_http;
#[path = "peers/net_support.rs"]
mod net_support;
#[path = "peers/support.rs"]
mod support;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use net_support::{run, start_server, unique_pipe};
use pipeframe::named::PipeName;
use pipeframe::transport::{Incoming, PipeConnectInfo, PipeConnector};
use support::{peer_file, require};

/// Serves the examples' HTTP service on `name` until the task is aborted.
fn serve(name: &PipeName) -> tokio::task::JoinHandle<()> {
    let mut incoming = Incoming::bind(name).unwrap();
    tokio::spawn(async move {
        loop {
            let conn = incoming.accept().await.unwrap();
            tokio::spawn(hello_http::serve_connection(conn));
        }
    })
}

fn curl(path: &std::path::Path, extra: &[&str], url: &str) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "30", "--unix-socket"])
        .arg(path)
        .args(extra)
        .args(["-w", "\n%{http_code} %{http_version}", url]);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_calls_pipeframe_http_server() {
    require("curl", &["--version"], "curl");
    let (name, path) = unique_pipe("http-curl");
    let server = serve(&name);

    let (_, out) = run("curl", curl(&path, &[], "http://localhost/")).await;
    assert_eq!(out, format!("{} HTTP/1.1\n\n200 1.1", hello_http::GREETING));

    let (_, out) = run(
        "curl --http2-prior-knowledge",
        curl(&path, &["--http2-prior-knowledge"], "http://localhost/"),
    )
    .await;
    assert_eq!(out, format!("{} HTTP/2.0\n\n200 2", hello_http::GREETING));

    let (_, out) = run("curl 404", curl(&path, &[], "http://localhost/nope")).await;
    assert_eq!(out, "not found\n\n404 1.1");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeframe_client_calls_python_http_server() {
    let py = peer_file(".venv/bin/python");
    require(
        py.to_str().unwrap(),
        &["-c", "import http.server"],
        "python3 in tests/peers/.venv",
    );
    let (_, path) = unique_pipe("http-py");
    let mut cmd = Command::new(&py);
    cmd.arg(peer_file("http_unix_server.py")).arg(&path);
    let server = start_server("http_unix_server.py", cmd);
    let server_pid = server.child.id();

    // A Unix socket file is a pipe name on Unix: PipeName::from_path (`unix:PATH`).
    let connector =
        PipeConnector::new(PipeName::from_path(&path)).with_timeout(Duration::from_secs(30));
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);

    // The URI's host reaches the HTTP layer only (the Host header), never the connector.
    let response = client
        .get("http://example.invalid/hello?x=1".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let info = response
        .extensions()
        .get::<PipeConnectInfo>()
        .cloned()
        .expect("connect info");
    assert_eq!(info.peer_credentials().unwrap().pid(), Some(server_pid));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "python saw GET /hello?x=1 host=example.invalid\n");

    // A second request on the pooled connection, and a 404.
    let response = client
        .get("http://localhost/missing".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "python saw GET /missing host=localhost\n");
    drop(server);
    let _ = std::fs::remove_file(path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeframe_http2_client_calls_pipeframe_server() {
    let (name, _path) = unique_pipe("http-h2");
    let server = serve(&name);
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build(PipeConnector::new(name));
    for _ in 0..3 {
        let response = client
            .get("http://localhost/".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.version(), hyper::Version::HTTP_2);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("{} HTTP/2.0\n", hello_http::GREETING));
    }
    server.abort();
}
