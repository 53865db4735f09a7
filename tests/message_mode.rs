//! `Mode`: parsing, and building endpoints from (transport, mode), where a mode that does not
//! fit the transport fails when built.

use std::io::{self, ErrorKind};

use bytes::Bytes;
use pipeframe::codec::{FRAMING_NAMES, Framing};
use pipeframe::frame_io::{Mode, ReadFrame, ReadTransport, WriteFrame, WriteTransport};

#[test]
fn parses_every_codec_name_and_message() {
    assert_eq!("message".parse::<Mode>().unwrap(), Mode::Message);
    assert!("message".parse::<Mode>().unwrap().is_message());
    assert_eq!(Mode::Message.to_string(), "message");
    for name in FRAMING_NAMES {
        let mode: Mode = name.parse().unwrap();
        let framing: Framing = name.parse().unwrap();
        assert!(!mode.is_message());
        assert_eq!(mode, Mode::Codec(framing.clone()));
        assert_eq!(mode.to_string(), framing.to_string());
        // Display gives a name that parses back to the same mode.
        assert_eq!(mode.to_string().parse::<Mode>().unwrap(), mode);
    }
    let err = "Message".parse::<Mode>().unwrap_err().to_string();
    assert!(
        err.contains("\"Message\"") && err.contains("message") && err.contains("lp32le"),
        "{err}"
    );
    assert!("".parse::<Mode>().is_err());
}

/// The application side: knows nothing about the mode.
fn exchange(
    mut w: Box<dyn WriteFrame + Send>,
    mut r: Box<dyn ReadFrame + Send>,
    frames: &[&[u8]],
) -> io::Result<Vec<Bytes>> {
    let frames: Vec<Vec<u8>> = frames.iter().map(|f| f.to_vec()).collect();
    let writer = std::thread::spawn(move || -> io::Result<()> {
        for f in &frames {
            w.write_frame(f)?;
        }
        w.flush()
    });
    let mut got = Vec::new();
    while let Some(f) = r.read_frame()? {
        got.push(f);
    }
    writer.join().unwrap()?;
    Ok(got)
}

#[test]
fn codec_modes_over_a_byte_stream() {
    for name in ["lines", "lp32le", "netstring", "lsp"] {
        let mode: Mode = name.parse().unwrap();
        let (r, w) = io::pipe().unwrap();
        let w = mode.writer(WriteTransport::bytes(w)).unwrap();
        let r = mode.reader(ReadTransport::bytes(r)).unwrap();
        let got = exchange(w, r, &[b"alpha", b"beta", &[b'x'; 10_000]]).unwrap();
        assert_eq!(got.len(), 3, "{name}");
        assert_eq!(got[0], "alpha");
        assert_eq!(got[2].len(), 10_000);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn message_mode_over_seqpacket_and_packet_pipe() {
    use pipeframe::message::{SeqpacketStream, packet_pipe};
    let mode: Mode = "message".parse().unwrap();

    let (a, b) = SeqpacketStream::pair().unwrap();
    let got = exchange(
        mode.writer(a.into()).unwrap(),
        mode.reader(b.into()).unwrap(),
        &[b"alpha", b"beta", &[b'x'; 100_000]],
    )
    .unwrap();
    assert_eq!(
        got.iter().map(|f| f.len()).collect::<Vec<_>>(),
        [5, 4, 100_000]
    );

    let (rx, tx) = packet_pipe().unwrap();
    let got = exchange(
        mode.writer(tx.into()).unwrap(),
        mode.reader(rx.into()).unwrap(),
        &[b"alpha", b"beta", &[b'x'; 4096]],
    )
    .unwrap();
    assert_eq!(
        got.iter().map(|f| f.len()).collect::<Vec<_>>(),
        [5, 4, 4096]
    );

    // The limits of the mode hold through the trait object too.
    let (rx, tx) = packet_pipe().unwrap();
    let mut w = mode.writer(tx.into()).unwrap();
    assert_eq!(
        w.write_frame(&[0; 4097]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        w.write_frame(b"").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    drop(w);
    assert_eq!(mode.reader(rx.into()).unwrap().read_frame().unwrap(), None);
}

#[test]
fn message_mode_on_a_byte_stream_fails_when_built() {
    let (r, w) = io::pipe().unwrap();
    let err = Mode::Message.reader(ReadTransport::bytes(r)).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("\"message\"") && err.to_string().contains("byte stream"),
        "{err}"
    );
    let err = Mode::Message
        .writer(WriteTransport::bytes(w))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[cfg(target_os = "linux")]
#[test]
fn codec_on_a_message_transport_fails_when_built() {
    use pipeframe::message::{SeqpacketStream, packet_pipe};
    let mode: Mode = "lp32le".parse().unwrap();
    let (a, b) = SeqpacketStream::pair().unwrap();
    let err = mode.reader(a.into()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains("lp32le") && text.contains("seqpacket"),
        "{text}"
    );
    assert!(mode.writer(b.into()).is_err());

    let mode: Mode = "lines".parse().unwrap();
    let (rx, tx) = packet_pipe().unwrap();
    let err = mode.writer(tx.into()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("lines") && err.to_string().contains("packet pipe"),
        "{err}"
    );
    assert!(mode.reader(rx.into()).is_err());
}

#[cfg(all(unix, not(target_os = "linux")))]
#[test]
fn message_transports_are_unsupported_here() {
    use pipeframe::message::{SeqpacketListener, SeqpacketStream, packet_pipe};
    let err = SeqpacketStream::pair().err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.to_string().contains("not supported on this platform"),
        "{err}"
    );
    assert_eq!(
        SeqpacketListener::bind("x").err().unwrap().kind(),
        ErrorKind::Unsupported
    );
    assert_eq!(packet_pipe().err().unwrap().kind(), ErrorKind::Unsupported);
}
