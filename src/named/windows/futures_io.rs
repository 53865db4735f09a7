//! Windows named pipes on futures-io runtimes (smol, async-io): [`Listener`] and the connect
//! functions return [`AsyncPipeStream`](super::AsyncPipeStream), which is
//! `futures_io::AsyncRead + AsyncWrite` (and reads whole messages in message mode). The same
//! implementation as `named::tokio`.

use crate::rt::AsyncIo;

use super::connect_fns;

/// One connection, either side (the same name as on Unix).
pub type PipeStream = super::AsyncPipeStream;

/// A named pipe server on a futures-io runtime.
pub type Listener = super::AsyncListener<AsyncIo>;

connect_fns! {
    runtime: AsyncIo,
    cancel: "",
    timer: "async-io",
    context: "",
}
