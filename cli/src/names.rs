//! The framing names in help texts, generated from the library's one table of names
//! (`pipeframe::codec::FRAMING_NAMES`), each with what it means on the wire.

use pipeframe::codec::{Endian, FRAMING_NAMES, Framing, Prefix};

/// The peers a name is there for, in the user's words (the wire form comes from the codec).
fn peer(name: &str) -> Option<&'static str> {
    Some(match name {
        "dotnet" => ".NET BinaryWriter",
        "python" => "Python multiprocessing.connection",
        "erlang" => "Erlang {packet, 4}",
        "node" => "Node's IPC channel",
        "readline" | "readline-crlf" => ".NET StreamReader.ReadLine",
        "lsp" => "LSP, JSON-RPC",
        _ => return None,
    })
}

/// What `f` is on the wire, in a few words.
fn wire(f: &Framing) -> String {
    match f {
        Framing::LengthPrefixed(c) => match c.prefix() {
            Prefix::Fixed {
                width,
                endian,
                signed,
            } => {
                let order = match (width.bytes(), endian) {
                    (1, _) => "",
                    (_, Endian::Big) => " big-endian",
                    (_, Endian::Little) => " little-endian",
                };
                let sign = if signed { " signed" } else { "" };
                let article = if width.bytes() == 8 { "an" } else { "a" };
                format!(
                    "{article} {}-byte{order}{sign} length, then the payload",
                    width.bytes()
                )
            }
            Prefix::Varint => "a protobuf varint length, then the payload".into(),
            Prefix::Python => "a 4-byte big-endian signed length (-1 and 8 more bytes for 2 GiB \
                               and up), then the payload"
                .into(),
        },
        Framing::Delimited(d) => match (d.delimiter(), d.writes_crlf()) {
            (b'\n', false) => "the payload, then \\n (\\r\\n read too)".into(),
            (b'\n', true) => "the payload, then \\r\\n".into(),
            (0, _) => "the payload, then a NUL byte".into(),
            (b, _) => format!("the payload, then byte 0x{b:02x}"),
        },
        Framing::DotnetLines(d) if d.writes_crlf() => {
            "lines as .NET reads them (\\n, \\r\\n or \\r), written with \\r\\n".into()
        }
        Framing::DotnetLines(_) => {
            "lines as .NET reads them (\\n, \\r\\n or \\r), written with \\n".into()
        }
        Framing::ContentLength(_) => {
            "Content-Length: N\\r\\n\\r\\n headers, then the payload".into()
        }
        Framing::Netstring(_) => "N:payload,".into(),
    }
}

/// One line per framing name: `name: what it is (who uses it)`, an alias as `name = canonical`.
pub(crate) fn framings() -> Vec<String> {
    FRAMING_NAMES
        .iter()
        .map(|&name| {
            let f: Framing = name.parse().expect("every name in FRAMING_NAMES parses");
            let canonical = f.to_string();
            let what = if canonical == name {
                wire(&f)
            } else {
                format!("= {canonical}")
            };
            match peer(name) {
                Some(p) => format!("{name}: {what} ({p})"),
                None => format!("{name}: {what}"),
            }
        })
        .collect()
}

/// The help of `--framing` on a byte stream (`encode`, `dump`).
pub(crate) fn stream_help() -> String {
    format!(
        "How frames are marked in the byte stream (default: lines):\n{}",
        framings().join("\n")
    )
}

/// The help of `--framing` on an endpoint (`listen`, `connect`): the byte framings, and
/// `message` for a message transport.
pub(crate) fn endpoint_help() -> String {
    let message = if cfg!(windows) {
        "message: native message mode: each frame is one pipe message, no framing bytes; on \
         pipe:NAME it makes a message-mode named pipe (PIPE_TYPE_MESSAGE), and both sides must \
         say it"
    } else {
        "message: native message mode: each frame is one packet, no framing bytes (the \
         default, and the only choice, on seqpacket:)"
    };
    format!(
        "How frames are marked on the connection (default: lines; message on seqpacket:; python \
         with --authkey-file):\n{}\n{message}",
        framings().join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_listed_with_its_meaning() {
        let all = framings();
        assert_eq!(all.len(), FRAMING_NAMES.len());
        for (line, name) in all.iter().zip(FRAMING_NAMES) {
            assert!(line.starts_with(&format!("{name}: ")), "{line}");
        }
        assert!(all.contains(&"erlang: = lp32be (Erlang {packet, 4})".to_string()));
        assert!(all.contains(&"node: = lines (Node's IPC channel)".to_string()));
        let dotnet = all.iter().find(|l| l.starts_with("dotnet:")).unwrap();
        assert!(
            dotnet.contains("4-byte little-endian signed length"),
            "{dotnet}"
        );
    }
}
