//! The halves of a named pipe stream inspect the connection but cannot use the other
//! direction (the compile_fail doctest on `AsyncPipeReadHalf` checks that a read half cannot
//! reach the whole stream; this is its positive control).
#![cfg(all(unix, feature = "tokio"))]

use pipeframe::named::tokio::PipeStream;

#[tokio::test]
async fn halves_report_the_peer_credentials() {
    let (a, _b) = PipeStream::pair().unwrap();
    let (read_half, write_half) = a.into_split();
    let me = std::process::id();
    assert_eq!(read_half.peer_credentials().unwrap().pid(), Some(me));
    assert_eq!(write_half.peer_credentials().unwrap().pid(), Some(me));
}
