//! The `dotnet` and `lines` / `crlf` presets against the bytes the .NET programs of the
//! source articles (/work/shared/seeds) put on the wire: byte vectors written out from the
//! articles' code and the documented behaviour of the .NET classes it calls. The same
//! protocols against the real .NET runtime are in `tests/interop_dotnet_runtime.rs`:
//!
//! * `BinaryWriter.Write(int)` writes the int as 4 bytes, little-endian; `Write(byte[])`
//!   writes the bytes alone; `BinaryReader.ReadInt32` reads 4 little-endian bytes and
//!   `ReadBytes(n)` then reads `n` bytes.
//! * `new StreamWriter(stream)` writes UTF-8 without a byte order mark; `WriteLine(s)` writes
//!   `s` then `Environment.NewLine`: `"\n"` on Linux and macOS, `"\r\n"` on Windows.
//! * `StreamReader.ReadLine` ends a line at `"\n"`, `"\r"` or `"\r\n"` (documented: "a
//!   sequence of characters followed by a line feed, a carriage return, or a carriage return
//!   immediately followed by a line feed"), and returns the line without its ending.
// The peers and the transports are Unix sockets and pipes; on Windows this file is empty.
#![cfg(unix)]

use bytes::BytesMut;
use pipeframe::codec::{DecodeError, Delimited, FrameDecoder, FrameEncoder, LengthPrefixed};
use pipeframe::sync::{FrameReader, FrameWriter};

/// `writer.Write(payload.Length); writer.Write(payload);` as `BinaryWriter` writes it.
fn binary_writer_int_then_bytes(payload: &[u8]) -> Vec<u8> {
    let mut wire = (payload.len() as i32).to_le_bytes().to_vec();
    wire.extend_from_slice(payload);
    wire
}

/// Every frame `FrameReader` finds in `wire`, up to a clean end.
fn read_all<D: FrameDecoder>(wire: &[u8], decoder: D) -> Vec<Vec<u8>> {
    FrameReader::new(wire, decoder)
        .map(|f| f.expect("frame").to_vec())
        .collect()
}

fn write_all<E: FrameEncoder>(payloads: &[&[u8]], encoder: E) -> Vec<u8> {
    let mut w = FrameWriter::new(Vec::new(), encoder);
    for p in payloads {
        w.write_frame(p).unwrap();
    }
    w.finish().unwrap()
}

/// 002 (Pipes), "Byte Mode", `ClientByteMode.ConnectClient` and `ServerByteMode.StartServer`:
///
/// ```csharp
/// var message = Encoding.UTF8.GetBytes("Hello server!");
/// writer.Write(message.Length); // Send length first
/// writer.Write(message);        // Send data
/// ...
/// var response = Encoding.UTF8.GetBytes("Message processed");
/// writer.Write(response.Length);
/// writer.Write(response);
/// ```
#[test]
fn dotnet_byte_mode_length_prefix_from_the_article() {
    let client_sends = b"\x0d\x00\x00\x00Hello server!";
    let server_answers = b"\x11\x00\x00\x00Message processed";
    assert_eq!(binary_writer_int_then_bytes(b"Hello server!"), client_sends);
    assert_eq!(
        binary_writer_int_then_bytes(b"Message processed"),
        server_answers
    );

    // Reading what the .NET side writes.
    assert_eq!(
        read_all(client_sends, LengthPrefixed::dotnet()),
        [b"Hello server!".to_vec()]
    );
    assert_eq!(
        read_all(server_answers, LengthPrefixed::dotnet()),
        [b"Message processed".to_vec()]
    );
    // Writing what `reader.ReadInt32()` then `reader.ReadBytes(length)` expect.
    assert_eq!(
        write_all(&[b"Hello server!"], LengthPrefixed::dotnet()),
        client_sends
    );
    assert_eq!(
        write_all(&[b"Message processed"], LengthPrefixed::dotnet()),
        server_answers
    );

    // The same protocol with UTF-8 text, an empty message and a large one, back to back.
    let text = "Grüße, 世界 🚀".as_bytes();
    let big = vec![0xa5u8; 300_000];
    let payloads: [&[u8]; 3] = [text, b"", &big];
    let mut dotnet_wire = Vec::new();
    for p in payloads {
        dotnet_wire.extend(binary_writer_int_then_bytes(p));
    }
    assert_eq!(&dotnet_wire[..4], &[20, 0, 0, 0], "20 UTF-8 bytes");
    assert_eq!(
        &dotnet_wire[24..28],
        &[0, 0, 0, 0],
        "the empty message is a zero length"
    );
    assert_eq!(
        &dotnet_wire[28..32],
        &[0xe0, 0x93, 0x04, 0x00],
        "300 000 = 0x000493e0"
    );
    assert_eq!(write_all(&payloads, LengthPrefixed::dotnet()), dotnet_wire);
    assert_eq!(
        read_all(&dotnet_wire, LengthPrefixed::dotnet()),
        payloads.map(<[u8]>::to_vec)
    );
}

/// `BinaryReader.ReadInt32` returns a negative length for a header with the top bit set;
/// `ReadBytes` then throws. The `dotnet` preset refuses it as `NegativeLength`.
#[test]
fn dotnet_negative_length_is_an_error() {
    let wire = (-5i32).to_le_bytes();
    let mut codec = LengthPrefixed::dotnet();
    let err = codec
        .decode_frame(&mut BytesMut::from(&wire[..]))
        .unwrap_err();
    assert_eq!(err, DecodeError::NegativeLength { value: -5 });
}

/// 000/001 (named pipes, one way) and 002 (anonymous pipes, named pipes): the server writes
/// with `StreamWriter.WriteLine` (`WriteLineAsync`), the client reads with
/// `StreamReader.ReadLine` (`ReadLineAsync`), both created with `new(stream)`.
///
/// 002, named pipe server and client (the "Sync protocol"):
///
/// ```csharp
/// // client
/// await writer.WriteLineAsync("READY");
/// // server
/// if(await reader.ReadLineAsync() == "READY")
///     await writer.WriteLineAsync("Welcome");
/// ...
/// await writer.WriteLineAsync("Message received");
/// ...
/// await writer.WriteLineAsync("Thank you for the connection. Bye!");
/// ```
#[test]
fn dotnet_stream_writer_lines_from_the_articles() {
    let client: [&[u8]; 3] = [b"READY", "hola, ¿qué tal?".as_bytes(), b"exit"];
    let server: [&[u8]; 3] = [
        b"Welcome",
        b"Message received",
        b"Thank you for the connection. Bye!",
    ];
    // On Linux (and macOS), WriteLine ends lines with "\n".
    let client_linux = "READY\nhola, ¿qué tal?\nexit\n".as_bytes();
    let server_linux = b"Welcome\nMessage received\nThank you for the connection. Bye!\n";
    // On Windows, with "\r\n".
    let client_windows = "READY\r\nhola, ¿qué tal?\r\nexit\r\n".as_bytes();
    let server_windows = b"Welcome\r\nMessage received\r\nThank you for the connection. Bye!\r\n";

    // `lines` reads both, and writes what the Linux program writes.
    for (wire, expect) in [
        (client_linux, &client),
        (client_windows, &client),
        (&server_linux[..], &server),
        (&server_windows[..], &server),
    ] {
        assert_eq!(
            read_all(wire, Delimited::lines()),
            expect.map(<[u8]>::to_vec),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
    assert_eq!(write_all(&client, Delimited::lines()), client_linux);
    assert_eq!(write_all(&server, Delimited::lines()), server_linux);
    // `crlf` writes what the Windows program writes.
    assert_eq!(write_all(&client, Delimited::crlf()), client_windows);
    assert_eq!(write_all(&server, Delimited::crlf()), server_windows);

    // And `StreamReader.ReadLine` reads back what `lines` and `crlf` write: the same lines.
    for encoder in [Delimited::lines(), Delimited::crlf()] {
        let wire = write_all(&client, encoder);
        assert_eq!(read_line_as_dotnet(&wire), client.map(<[u8]>::to_vec));
    }
}

/// 002, the multi-client server: `$"Welcome, client #{clientId}!"` then `$"Echo: {line}"`
/// for every line, until the client sends `exit` (any case) or closes.
#[test]
fn dotnet_echo_server_transcript() {
    let client_lines: [&[u8]; 3] = [b"first", b"", b"EXIT"];
    let client_wire = write_all(&client_lines, Delimited::lines());
    assert_eq!(client_wire, b"first\n\nEXIT\n");
    // What the server reads, line by line, with ReadLineAsync.
    assert_eq!(
        read_line_as_dotnet(&client_wire),
        client_lines.map(<[u8]>::to_vec)
    );
    // What it writes back (on Linux): the welcome, then an echo per line before "EXIT".
    let server_wire = b"Welcome, client #1!\nEcho: first\nEcho: \n";
    assert_eq!(
        read_all(server_wire, Delimited::lines()),
        [
            b"Welcome, client #1!".to_vec(),
            b"Echo: first".to_vec(),
            b"Echo: ".to_vec()
        ]
    );
}

/// `StreamReader.ReadLine` as documented: a line ends at "\n", "\r" or "\r\n"; at the end
/// of the stream, remaining characters are a last line.
fn read_line_as_dotnet(wire: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut i = 0;
    while i < wire.len() {
        let end = wire[i..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map(|p| i + p);
        match end {
            None => {
                lines.push(wire[i..].to_vec());
                break;
            }
            Some(e) => {
                lines.push(wire[i..e].to_vec());
                i = if wire[e] == b'\r' && wire.get(e + 1) == Some(&b'\n') {
                    e + 2
                } else {
                    e + 1
                };
            }
        }
    }
    lines
}

/// A known difference, kept visible: `ReadLine` also ends a line at a lone `"\r"`, `lines`
/// does not (SPEC.md §4: a `\r` not right before `\n` is payload). A payload with a `\r`
/// inside, written by `lines` or `crlf`, reaches a .NET `StreamReader` as two lines.
/// `WriteLine` of a string without `"\r"` (all the articles' messages) is not affected.
#[test]
fn dotnet_read_line_splits_at_a_lone_cr_but_lines_does_not() {
    let wire = write_all(&[b"a\rb"], Delimited::lines());
    assert_eq!(wire, b"a\rb\n");
    assert_eq!(read_all(&wire, Delimited::lines()), [b"a\rb".to_vec()]);
    assert_eq!(read_line_as_dotnet(&wire), [b"a".to_vec(), b"b".to_vec()]);
}

/// Not in the articles, but the other framing `BinaryWriter` offers: `Write(string)` prefixes
/// the UTF-8 bytes with their count as a "7-bit encoded int" (`Write7BitEncodedInt`: seven
/// bits per byte, least significant first, top bit set on every byte but the last), which is
/// the `varint` preset; `BinaryReader.ReadString` reads it back.
#[test]
fn dotnet_binary_writer_string_is_varint() {
    let long = "x".repeat(200);
    let longer = "é".repeat(10_000); // 20 000 bytes = 0x4e20
    let cases: [(&str, &[u8]); 4] = [
        ("", &[0x00]),
        ("Hello server!", &[0x0d]),
        (&long, &[0xc8, 0x01]),
        (&longer, &[0xa0, 0x9c, 0x01]),
    ];
    for (s, prefix) in cases {
        let mut dotnet_wire = prefix.to_vec();
        dotnet_wire.extend_from_slice(s.as_bytes());
        assert_eq!(
            write_all(&[s.as_bytes()], LengthPrefixed::varint()),
            dotnet_wire
        );
        assert_eq!(
            read_all(&dotnet_wire, LengthPrefixed::varint()),
            [s.as_bytes().to_vec()]
        );
    }
}
