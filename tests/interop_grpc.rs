//! gRPC over a named pipe against grpcio (Python, PyPI `grpcio`; stubs from
//! proto/helloworld.proto by `grpcio-tools`): `pipeframe::transport` with tonic, on the
//! examples' Greeter code (examples/common/). grpcio speaks `unix:PATH`, and `PATH` is the
//! socket file of `pipe:NAME`, so the same name works for .NET's `NamedPipeClientStream`.
//!
//! Peers: `tests/peers/grpc/greeter.py` (run `tests/peers/setup.sh`).
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

#[path = "../examples/common/greeter.rs"]
mod greeter;
#[path = "../examples/common/helloworld.rs"]
mod helloworld;
#[path = "peers/net_support.rs"]
mod net_support;
#[path = "peers/support.rs"]
mod support;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll};
use std::time::Duration;

use helloworld::HelloRequest;
use helloworld::greeter_client::GreeterClient;
use helloworld::greeter_server::GreeterServer;
use net_support::{run, start_server, unique_pipe};
use pipeframe::transport::{Incoming, PipeConnector};
use support::{peer_file, require};
use tonic::transport::{Endpoint, Server};
use tower_service::Service;

/// The venv's python, with grpcio and the generated stubs.
fn grpc_python() -> PathBuf {
    let py = peer_file(".venv/bin/python");
    let stubs = peer_file(".venv/grpc_stubs");
    let check = format!(
        "import sys; sys.path.insert(0, {:?}); import grpc, helloworld_pb2_grpc",
        stubs.display()
    );
    require(
        py.to_str().unwrap(),
        &["-c", &check],
        "grpcio and its helloworld stubs in tests/peers/.venv",
    );
    py
}

fn greeter_py(py: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(py);
    cmd.arg(peer_file("grpc/greeter.py")).args(args);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeframe_client_calls_grpcio_server() {
    let py = grpc_python();
    let (name, path) = unique_pipe("grpc-py-server");
    let target = format!("unix:{}", path.display());
    let server = start_server("greeter.py server", greeter_py(&py, &["server", &target]));

    // The URI is a placeholder; the connector opens the pipe.
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(PipeConnector::new(name).with_timeout(Duration::from_secs(30)))
        .await
        .expect("connect to grpcio over the pipe");
    let mut client = GreeterClient::new(channel);
    for who in ["pipeframe", "ünïcødé and spaces", ""] {
        let reply = client
            .say_hello(HelloRequest { name: who.into() })
            .await
            .expect("SayHello");
        assert_eq!(reply.into_inner().message, format!("Hello {who}"));
    }
    drop(server);
    let _ = std::fs::remove_file(path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_client_calls_pipeframe_server() {
    let py = grpc_python();
    let (name, path) = unique_pipe("grpc-rs-server");
    let greeter = greeter::MyGreeter::default();
    let incoming = Incoming::bind(&name).unwrap();
    let server = tokio::spawn(
        Server::builder()
            .add_service(GreeterServer::new(greeter.clone()))
            .serve_with_incoming(incoming),
    );

    let target = format!("unix:{}", path.display());
    let (pid, out) = run(
        "greeter.py client",
        greeter_py(&py, &["client", &target, "grpcio"]),
    )
    .await;
    assert_eq!(out, "Hello grpcio\n");

    // The handler saw who called: tonic put the connection's PipeConnectInfo in the request.
    let info = greeter
        .last_peer
        .lock()
        .unwrap()
        .clone()
        .expect("no peer info in the request");
    assert_eq!(info.name(), &name);
    let creds = info.peer_credentials().expect("peer credentials");
    assert_eq!(creds.pid(), Some(pid), "the peer is the grpcio process");
    assert_eq!(creds.uid(), rustix::process::geteuid().as_raw());

    server.abort();
}

/// A [`PipeConnector`] that says when its first attempt has found no server: the connect
/// has been polled once, has tried, and waits.
struct SaysWhenWaiting {
    inner: PipeConnector,
    waiting: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Service<hyper::Uri> for SaysWhenWaiting {
    type Response = <PipeConnector as Service<hyper::Uri>>::Response;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: hyper::Uri) -> Self::Future {
        let mut connecting = Box::pin(self.inner.call(uri));
        let waiting = self.waiting.take();
        Box::pin(async move {
            if let Some(done) = futures_lite::future::poll_once(&mut connecting).await {
                return done;
            }
            if let Some(w) = waiting {
                let _ = w.send(());
            }
            connecting.await
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeframe_client_and_server_waiting_for_each_other() {
    let (name, _path) = unique_pipe("grpc-rs-rs");
    // The client starts first and waits for the pipe, as the articles' clients do; the
    // server comes once the client's first attempt has found nobody.
    let (waiting_tx, waiting) = tokio::sync::oneshot::channel();
    let client = tokio::spawn({
        let name = name.clone();
        async move {
            let connector = SaysWhenWaiting {
                inner: PipeConnector::new(name).with_timeout(Duration::from_secs(30)),
                waiting: Some(waiting_tx),
            };
            let channel = Endpoint::from_static("http://any.host.is.ignored:1234")
                .connect_with_connector(connector)
                .await?;
            let reply = GreeterClient::new(channel)
                .say_hello(HelloRequest {
                    name: "tonic".into(),
                })
                .await
                .map_err(|s| io::Error::other(s.to_string()))?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(reply.into_inner().message)
        }
    });
    tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the client never tried to connect")
        .expect("the client's connect ended without waiting");
    let greeter = greeter::MyGreeter::default();
    let server = tokio::spawn(
        Server::builder()
            .add_service(GreeterServer::new(greeter.clone()))
            .serve_with_incoming(Incoming::bind(&name).unwrap()),
    );
    assert_eq!(client.await.unwrap().unwrap(), "Hello tonic");
    let info = greeter.last_peer.lock().unwrap().clone().unwrap();
    assert_eq!(
        info.peer_credentials().unwrap().pid(),
        Some(std::process::id())
    );
    server.abort();
}

#[tokio::test]
async fn connector_gives_up_at_its_deadline() {
    let (name, path) = unique_pipe("grpc-nobody");
    let mut connector = PipeConnector::new(name).with_timeout(Duration::from_millis(100));
    let err = connector
        .call("http://localhost".parse().unwrap())
        .await
        .expect_err("nobody listens");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "the error names the pipe: {err}"
    );
}
