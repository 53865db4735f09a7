//! The accept loops, once for every OS and flavour: the blocking `Listener::serve` (a thread per
//! client) and the async `AsyncListener::serve` (handlers run concurrently on the task that
//! awaits it), with one rule for accept errors ([`AcceptError`]).

use std::io;
use std::time::Duration;

/// How long an accept loop waits before accepting again after the system ran out of
/// descriptors or memory, so that a loop retrying at once does
/// not spin while connections close and free them.
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// What an accept error means for the loop around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AcceptError {
    /// It concerns one connection only (aborted, reset, refused by the peer policy, gone
    /// before it was accepted): accept again at once.
    OneClient,
    /// The process or system is out of descriptors or memory: accept again after
    /// [`ACCEPT_ERROR_PAUSE`].
    Resources,
    /// Anything else: the listener cannot go on.
    Fatal,
}

impl AcceptError {
    pub(crate) fn of(e: &io::Error) -> AcceptError {
        match e.kind() {
            io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::PermissionDenied => AcceptError::OneClient,
            io::ErrorKind::OutOfMemory => AcceptError::Resources,
            _ if crate::sys::out_of_resources(e) => AcceptError::Resources,
            _ => AcceptError::Fatal,
        }
    }
}

/// The blocking accept loop of every OS's `Listener::serve`: runs `handler` on its own thread
/// for every client `accept` returns, forever; an error from a handler ends that client only.
/// Accept errors are handled as [`AcceptError`] says; a fatal one ends the loop.
pub(crate) fn serve_threads<S, F>(accept: impl Fn() -> io::Result<S>, handler: F) -> io::Result<()>
where
    S: Send + 'static,
    F: Fn(S) -> io::Result<()> + Send + Sync + 'static,
{
    let handler = std::sync::Arc::new(handler);
    loop {
        match accept() {
            Ok(stream) => {
                let h = std::sync::Arc::clone(&handler);
                std::thread::spawn(move || {
                    let _ = h(stream);
                });
            }
            Err(e) => match AcceptError::of(&e) {
                AcceptError::OneClient => {}
                AcceptError::Resources => std::thread::sleep(ACCEPT_ERROR_PAUSE),
                AcceptError::Fatal => return Err(e),
            },
        }
    }
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod async_serve {
    use std::future::{Future, poll_fn};
    use std::io;
    use std::task::Poll;

    use super::{ACCEPT_ERROR_PAUSE, AcceptError};
    use crate::named::{AsyncListener, AsyncPipeStream};
    use crate::rt::Reactor;
    use crate::rt::tasks::TaskSet;

    impl<Rt: Reactor> AsyncListener<Rt> {
        /// The next client, going on past accept errors as [`AcceptError`] says (what every
        /// accept loop wants); a fatal error is returned. Cancellation safe, like `accept`.
        pub(crate) async fn accept_next(&self) -> io::Result<AsyncPipeStream<Rt>> {
            loop {
                match self.accept().await {
                    Ok(s) => return Ok(s),
                    Err(e) => match AcceptError::of(&e) {
                        AcceptError::OneClient => {}
                        AcceptError::Resources => Rt::sleep(ACCEPT_ERROR_PAUSE).await,
                        AcceptError::Fatal => return Err(e),
                    },
                }
            }
        }

        /// The accept loop: calls `handler` for every client and runs the futures it returns
        /// concurrently, on the task that awaits `serve`, until the listener fails.
        ///
        /// The same on every runtime and OS: nothing is spawned, so the handlers' futures need
        /// not be `Send` or `'static` (they may borrow from the caller), and any executor
        /// drives them (`block_on` included). A handler that wants a thread of the runtime's
        /// pool spawns inside (`|s| { tokio::spawn(work(s)); async {} }`, or smol's
        /// `smol::spawn(..).detach()`).
        ///
        /// Accept errors about one client (it left before it was accepted, it was refused)
        /// are passed over, and after the system ran out of descriptors or memory the loop
        /// waits [`ACCEPT_ERROR_PAUSE`](crate::named::ACCEPT_ERROR_PAUSE) and goes on. Any
        /// other accept error is returned; the handlers still running are dropped with the
        /// future (their connections close).
        ///
        /// ```no_run
        /// # #[cfg(feature = "tokio")]
        /// # async fn run() -> std::io::Result<()> {
        /// use pipeframe::named::{PipeName, tokio::Listener};
        /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
        ///
        /// let listener = Listener::bind(&PipeName::new("svc")?)?;
        /// listener
        ///     .serve(|mut stream| async move {
        ///         let mut buf = [0; 1024];
        ///         while let Ok(n @ 1..) = stream.read(&mut buf).await {
        ///             if stream.write_all(&buf[..n]).await.is_err() {
        ///                 break; // client gone abruptly
        ///             }
        ///         }
        ///     })
        ///     .await
        /// # }
        /// ```
        ///
        /// # Cancellation safety
        ///
        /// Dropping the future stops accepting and drops the running handlers; a client the
        /// system has queued but `serve` not yet accepted stays queued for the next accept.
        pub async fn serve<F, Fut>(&self, mut handler: F) -> io::Result<()>
        where
            F: FnMut(AsyncPipeStream<Rt>) -> Fut,
            Fut: Future<Output = ()>,
        {
            let mut handlers = TaskSet::new();
            let mut accepting = Box::pin(self.accept_next());
            poll_fn(|cx| {
                loop {
                    handlers.poll(cx);
                    match accepting.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(stream)) => {
                            handlers.push(handler(stream));
                            accepting.set(self.accept_next());
                        }
                    }
                }
            })
            .await
        }
    }
}
