//! Anonymous pipes on Windows only (run here under Wine): the handle string forms .NET
//! accepts, handle kinds that are not pipes, and handles this process made itself. What both
//! OSes share, children included, is in `child_pipe.rs`.
#![cfg(windows)]

use std::io;
use std::os::windows::io::AsRawHandle;

use pipeframe::pipe::{self, ClientHandle};

#[test]
fn windows_only_bad_handles_are_clear_errors() {
    // What .NET's AnonymousPipeClientStream accepts (long.TryParse) parses.
    assert_eq!(ClientHandle::parse("+12").unwrap().to_string(), "12");

    let e = ClientHandle::parse("0").unwrap().open_reader().unwrap_err();
    assert!(
        e.to_string().contains("pipe handle 0 is not a handle"),
        "{e}"
    );

    // Open, but a file.
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let e = ClientHandle::parse(&(file.as_raw_handle() as isize).to_string())
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("is not a pipe"), "{e}");
}

/// In this process: handles this process made itself are refused, whatever their end, with
/// the reason: adopting them would give them a second owner. That covers a child's end still
/// held by the parent, and std's own pipe ends.
#[test]
fn own_handles_are_not_adopted() {
    let (_rx, end) = pipe::from_child().unwrap();
    let h = ClientHandle::parse(&end.handle_string()).unwrap();
    let e = h.open_writer().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    assert!(
        e.to_string().contains(&format!(
            "pipe handle {h} is not inheritable, so it was not inherited from a parent"
        )),
        "{e}"
    );
    let (r, _w) = io::pipe().unwrap();
    let e = ClientHandle::parse(&(r.as_raw_handle() as isize).to_string())
        .unwrap()
        .open_reader()
        .unwrap_err();
    assert!(e.to_string().contains("is not inheritable"), "{e}");
    // Still owned by `end` and `r`: both close normally.
    drop((end, r));
}
