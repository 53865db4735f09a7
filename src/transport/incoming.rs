//! The server side: accepted connections as a `Stream`.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_core::Stream;

use crate::named::tokio::Listener;
use crate::named::{ACCEPT_ERROR_PAUSE, AcceptError};
use crate::rt::{Runtime, Tokio};

use super::PipeConnection;

type Accepting = Pin<Box<dyn Future<Output = io::Result<PipeConnection>> + Send>>;

/// The connections a named pipe [`Listener`] accepts, as a `Stream` of
/// `io::Result<`[`PipeConnection`]`>`: what `tonic::transport::Server::serve_with_incoming`
/// takes (feature `tonic`), and what a hyper-util serve loop pulls from.
///
/// It never ends on its own. An error is about one attempt (the stream goes on after it);
/// tonic logs it and accepts the next one. After an error that is not about one client
/// (out of descriptors: `EMFILE`, `ENFILE`) the next accept waits [`ACCEPT_ERROR_PAUSE`]
/// first, so a serve loop that retries at once does not spin. On Windows an instance of the
/// pipe always waits for the next client, as `named::Listener` keeps one.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use hyper_util::rt::{TokioExecutor, TokioIo};
/// use hyper_util::server::conn::auto;
/// use pipeframe::named::PipeName;
/// use pipeframe::transport::Incoming;
/// # let service = hyper::service::service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
/// #     Ok::<_, std::convert::Infallible>(hyper::Response::new(String::from("hi")))
/// # });
///
/// let mut incoming = Incoming::bind(&PipeName::new("svc")?)?;
/// loop {
///     let conn = incoming.accept().await?;
///     println!("client pid {:?}", conn.peer_credentials().and_then(|c| c.pid()));
///     let service = service.clone();
///     tokio::spawn(async move {
///         let _ = auto::Builder::new(TokioExecutor::new())
///             .serve_connection(TokioIo::new(conn), service)
///             .await;
///     });
/// }
/// # }
/// ```
///
/// # Cancellation safety
///
/// [`accept`](Incoming::accept) and `poll_next` are cancel-safe: a pending accept stays in
/// the stream and a client the kernel queued is returned by the next call.
pub struct Incoming {
    listener: Arc<Listener>,
    pending: Option<Accepting>,
    pause: bool,
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", &self.listener)
            .field("pending", &self.pending.is_some())
            .field("pause", &self.pause)
            .finish()
    }
}

impl Incoming {
    /// Binds `name` with the default [`ListenOptions`](crate::named::ListenOptions). Must be
    /// called inside a tokio runtime.
    pub fn bind(name: &crate::named::PipeName) -> io::Result<Incoming> {
        Listener::bind(name).map(Incoming::new)
    }

    /// Accepts from `listener`.
    pub fn new(listener: Listener) -> Incoming {
        Incoming {
            listener: Arc::new(listener),
            pending: None,
            pause: false,
        }
    }

    /// The listener (its name, socket path, refused-peer count).
    pub fn listener(&self) -> &Listener {
        &self.listener
    }

    /// Waits for the next connection (the `Stream`'s next item, without `StreamExt`).
    pub async fn accept(&mut self) -> io::Result<PipeConnection> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection.
    pub fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<PipeConnection>> {
        let pause = self.pause;
        let pending = self.pending.get_or_insert_with(|| {
            let listener = Arc::clone(&self.listener);
            Box::pin(async move {
                if pause {
                    Tokio::sleep(ACCEPT_ERROR_PAUSE).await;
                }
                let stream = listener.accept().await?;
                Ok(PipeConnection::new(stream, listener.name().clone()))
            })
        });
        let result = ready!(pending.as_mut().poll(cx));
        self.pending = None;
        self.pause = result
            .as_ref()
            .is_err_and(|e| AcceptError::of(e) != AcceptError::OneClient);
        Poll::Ready(result)
    }
}

impl From<Listener> for Incoming {
    fn from(listener: Listener) -> Self {
        Incoming::new(listener)
    }
}

impl Stream for Incoming {
    type Item = io::Result<PipeConnection>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_accept(cx).map(Some)
    }
}
