//! Windows named pipes on tokio: [`Listener`] and the connect functions return
//! [`AsyncPipeStream`], which is `tokio::io::AsyncRead + AsyncWrite` (and reads whole messages
//! in message mode). Built on overlapped I/O, not on tokio's `NamedPipe*` types, whose reads
//! split messages over 4 KiB.

use std::future::Future;
use std::io;

use crate::rt::Tokio;

use super::{AsyncPipeStream, connect_fns};

/// One connection, either side (the same name as on Unix).
pub type PipeStream = super::AsyncPipeStream;

/// A named pipe server on tokio.
pub type Listener = super::AsyncListener<Tokio>;

impl super::AsyncListener<Tokio> {
    /// The accept loop: spawns `handler` for every client, forever.
    pub async fn serve<F, Fut>(&self, mut handler: F) -> io::Result<()>
    where
        F: FnMut(AsyncPipeStream) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        loop {
            tokio::spawn(handler(self.accept().await?));
        }
    }
}

connect_fns! {
    runtime: Tokio,
    cancel: "",
    timer: "tokio",
    context: " Must be called inside a tokio runtime.",
}
