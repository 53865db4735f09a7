//! The HTTP examples' service: `GET /` -> 200 and a short text body; anything else 404.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

/// The text `GET /` answers, then the protocol version and a newline.
pub const GREETING: &str = "hello from pipeframe over";

/// The service.
pub async fn hello<B>(req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => (StatusCode::OK, format!("{GREETING} {:?}\n", req.version())),
        _ => (StatusCode::NOT_FOUND, "not found\n".to_owned()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    Ok(response)
}

/// Serves one connection, HTTP/1.1 or HTTP/2 with prior knowledge (hyper-util's `auto`
/// tells them apart by the HTTP/2 preface).
pub async fn serve_connection<IO>(io: IO)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(hello);
    if let Err(e) = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), service)
        .await
    {
        eprintln!("connection: {e}");
    }
}
