//! Reading the fenced vector blocks of SPEC.md that have a test of their own
//! (`tests/spec_authkey.rs`, `tests/spec_fds.rs`, ...): the blocks by tag, and byte strings
//! as SPEC.md §0 writes them.
#![allow(dead_code, unreachable_pub)]

/// The lines of every fenced block tagged `tag`, blank and `#` lines dropped, with their
/// SPEC.md line numbers.
pub fn block(tag: &str) -> Vec<(usize, String)> {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SPEC.md")).unwrap();
    let mut out = Vec::new();
    let mut inside: Option<bool> = None;
    for (i, line) in spec.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            inside = match inside {
                Some(_) => None,
                None => Some(info.trim() == tag),
            };
            continue;
        }
        let line = line.trim();
        if inside == Some(true) && !line.is_empty() && !line.starts_with('#') {
            out.push((i + 1, line.to_owned()));
        }
    }
    assert!(inside.is_none(), "SPEC.md ends inside a fenced block");
    out
}

/// A byte string: hex runs (`0a0b`), repeats (`61*300`), and double-quoted ASCII with
/// `\r \n \t \0 \\ \" \xHH`, separated by spaces.
pub fn bytes(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = s.trim().chars().peekable();
    let hex =
        |h: &str| u8::from_str_radix(h, 16).unwrap_or_else(|_| panic!("bad hex {h:?} in {s:?}"));
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            loop {
                match chars.next().expect("unterminated string") {
                    '"' => break,
                    '\\' => match chars.next().expect("dangling escape") {
                        'r' => out.push(b'\r'),
                        'n' => out.push(b'\n'),
                        't' => out.push(b'\t'),
                        '0' => out.push(0),
                        'x' => {
                            let h: String = chars.by_ref().take(2).collect();
                            out.push(hex(&h));
                        }
                        e => out.push(e as u8),
                    },
                    c => out.push(c as u8),
                }
            }
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            if let Some((b, n)) = word.split_once('*') {
                out.extend(std::iter::repeat_n(hex(b), n.parse().unwrap()));
            } else {
                assert!(
                    word.len().is_multiple_of(2),
                    "odd hex run {word:?} in {s:?}"
                );
                for i in (0..word.len()).step_by(2) {
                    out.push(hex(&word[i..i + 2]));
                }
            }
        }
    }
    out
}

/// The fields of a vector line (`a | b | c`), trimmed.
pub fn fields(line: &str) -> Vec<&str> {
    line.split(" | ").map(str::trim).collect()
}
