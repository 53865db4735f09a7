//! Message mode on tokio and smol: Stream + Sink over seqpacket sockets (pair and listener)
//! and packet pipes, end of stream, refusal, and cancellation.
#![cfg(all(target_os = "linux", any(feature = "tokio", feature = "futures-io")))]

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use bytes::Bytes;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
        .collect()
}

/// `SinkExt::send` without pulling in the futures crate: ready, start_send, flush.
async fn sink_send<S>(sink: &mut S, item: Bytes) -> io::Result<()>
where
    S: futures_sink::Sink<Bytes, Error = io::Error> + Unpin,
{
    poll_fn(|cx| Pin::new(&mut *sink).poll_ready(cx)).await?;
    Pin::new(&mut *sink).start_send(item)?;
    poll_fn(|cx| Pin::new(&mut *sink).poll_flush(cx)).await
}

#[cfg(feature = "tokio")]
async fn sink_close<S>(sink: &mut S) -> io::Result<()>
where
    S: futures_sink::Sink<Bytes, Error = io::Error> + Unpin,
{
    poll_fn(|cx| Pin::new(&mut *sink).poll_close(cx)).await
}

#[cfg(feature = "tokio")]
mod tokio_flavour {
    use super::*;
    use futures_lite::StreamExt;
    use pipeframe::message::tokio::{SeqpacketListener, SeqpacketStream, packet_pipe};

    #[tokio::test]
    async fn pair_stream_and_sink_carry_whole_messages() {
        let (mut a, mut b) = SeqpacketStream::pair().unwrap();
        let big = Bytes::from(pattern(150_000, 1));
        let sent = big.clone();
        let writer = tokio::spawn(async move {
            for i in 0..50u8 {
                sink_send(&mut a, Bytes::from(vec![i; 1 + i as usize * 100]))
                    .await
                    .unwrap();
            }
            sink_send(&mut a, sent).await.unwrap();
            sink_close(&mut a).await.unwrap(); // shuts down writing: b sees the end
            a
        });
        for i in 0..50u8 {
            let m = b.next().await.unwrap().unwrap();
            assert_eq!(&m[..], &vec![i; 1 + i as usize * 100][..]);
        }
        assert_eq!(b.next().await.unwrap().unwrap(), big);
        assert!(b.next().await.is_none());
        assert!(b.next().await.is_none());
        // The other direction still works after a's close.
        let mut a = writer.await.unwrap();
        b.write_frame(b"back").await.unwrap();
        assert_eq!(a.read_frame().await.unwrap().as_deref(), Some(&b"back"[..]));
    }

    #[tokio::test]
    async fn listener_accepts_and_peer_drop_is_end_of_stream() {
        let name = format!("pipeframe-tokio-{}", std::process::id());
        let listener = SeqpacketListener::bind_abstract(&name).unwrap();
        let client = tokio::spawn(async move {
            let c = SeqpacketStream::connect_abstract(&name).await.unwrap();
            c.write_frame(b"hello").await.unwrap();
            c.write_frame(&pattern(100_000, 4)).await.unwrap();
        });
        let mut s = listener.accept().await.unwrap();
        assert_eq!(
            s.read_frame().await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(
            s.read_frame().await.unwrap().as_deref(),
            Some(&pattern(100_000, 4)[..])
        );
        client.await.unwrap();
        assert_eq!(s.read_frame().await.unwrap(), None);
    }

    #[tokio::test]
    async fn refused_items_queue_nothing() {
        let (a, mut b) = SeqpacketStream::pair().unwrap();
        let mut a = a.try_with_max_frame_len(10).unwrap();
        let err = sink_send(&mut a, Bytes::from_static(&[0; 11]))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = sink_send(&mut a, Bytes::new()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        sink_send(&mut a, Bytes::from_static(b"ok")).await.unwrap();
        drop(a);
        assert_eq!(b.next().await.unwrap().unwrap(), "ok");
        assert!(b.next().await.is_none());
    }

    #[tokio::test]
    async fn cancelled_recv_loses_nothing() {
        let (a, mut b) = SeqpacketStream::pair().unwrap();
        // Start a receive, poll it once (nothing there yet), then drop it.
        assert!(
            futures_lite::future::poll_once(b.read_frame())
                .await
                .is_none()
        );
        a.write_frame(b"after the cancel").await.unwrap();
        assert_eq!(
            b.read_frame().await.unwrap().as_deref(),
            Some(&b"after the cancel"[..])
        );
    }

    #[tokio::test]
    async fn packet_pipe_stream_and_sink() {
        let (mut rx, mut tx) = packet_pipe().unwrap();
        let writer = tokio::spawn(async move {
            for i in 0..100u32 {
                let len = 1 + (i as usize * 41) % 4096;
                sink_send(&mut tx, Bytes::from(pattern(len, i as u8)))
                    .await
                    .unwrap();
            }
            let err = tx.write_frame(&[0; 4097]).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        });
        for i in 0..100u32 {
            let len = 1 + (i as usize * 41) % 4096;
            assert_eq!(
                &rx.next().await.unwrap().unwrap()[..],
                &pattern(len, i as u8)[..]
            );
        }
        writer.await.unwrap();
        assert!(rx.next().await.is_none());
    }
}

#[cfg(feature = "futures-io")]
mod smol_flavour {
    use super::*;
    use futures_lite::StreamExt;
    use pipeframe::message::futures_io::{SeqpacketListener, SeqpacketStream, packet_pipe};

    #[test]
    fn pair_stream_and_sink_carry_whole_messages() {
        smol::block_on(async {
            let (mut a, mut b) = SeqpacketStream::pair().unwrap();
            let big = Bytes::from(pattern(180_000, 2));
            let sent = big.clone();
            let writer = smol::spawn(async move {
                for i in 0..50u8 {
                    sink_send(&mut a, Bytes::from(vec![i; 1 + i as usize * 100]))
                        .await
                        .unwrap();
                }
                sink_send(&mut a, sent).await.unwrap();
                // dropped here: b sees the end
            });
            for i in 0..50u8 {
                let m = b.next().await.unwrap().unwrap();
                assert_eq!(&m[..], &vec![i; 1 + i as usize * 100][..]);
            }
            assert_eq!(b.next().await.unwrap().unwrap(), big);
            writer.await;
            assert!(b.next().await.is_none());
        });
    }

    #[test]
    fn path_listener_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smol.sock");
        smol::block_on(async {
            let listener = SeqpacketListener::bind(&path).unwrap();
            let p = path.clone();
            let client = smol::spawn(async move {
                let mut c = SeqpacketStream::connect(&p).await.unwrap();
                c.write_frame(b"question").await.unwrap();
                c.read_frame().await.unwrap()
            });
            let mut s = listener.accept().await.unwrap();
            assert_eq!(
                s.read_frame().await.unwrap().as_deref(),
                Some(&b"question"[..])
            );
            s.write_frame(&pattern(120_000, 7)).await.unwrap();
            assert_eq!(client.await.as_deref(), Some(&pattern(120_000, 7)[..]));
            assert_eq!(s.read_frame().await.unwrap(), None, "client dropped");
        });
    }

    #[test]
    fn cancelled_recv_loses_nothing() {
        smol::block_on(async {
            let (a, mut b) = SeqpacketStream::pair().unwrap();
            assert!(
                futures_lite::future::poll_once(b.read_frame())
                    .await
                    .is_none()
            );
            a.write_frame(b"kept").await.unwrap();
            assert_eq!(b.read_frame().await.unwrap().as_deref(), Some(&b"kept"[..]));
        });
    }

    #[test]
    fn packet_pipe_with_two_writer_tasks() {
        smol::block_on(async {
            let (mut rx, tx) = packet_pipe().unwrap();
            // 400 packets through a 16-packet pipe: the writers wait for the reader.
            let tx = std::sync::Arc::new(tx);
            let tasks: Vec<_> = (0..2u8)
                .map(|w| {
                    let tx = tx.clone();
                    smol::spawn(async move {
                        for seq in 0..200u8 {
                            tx.write_frame(&[w, seq, w ^ seq, 0xAA]).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx); // the tasks hold the last write ends
            let mut next = [0u8; 2];
            let mut n = 0;
            while let Some(p) = rx.next().await {
                let p = p.unwrap();
                assert_eq!(p.len(), 4);
                let (w, seq) = (p[0], p[1]);
                assert_eq!(seq, next[w as usize]);
                assert_eq!(&p[2..], &[w ^ seq, 0xAA]);
                next[w as usize] += 1;
                n += 1;
            }
            assert_eq!(n, 400);
            for t in tasks {
                t.await;
            }
        });
    }
}
