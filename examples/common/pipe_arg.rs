//! `--pipe NAME`, for the examples whose pipe has the name their article gives it: that name
//! by default, another one to run two copies at once (the example tests give each run its
//! own). The name is .NET's (`PipeName::new`): `$TMPDIR/CoreFxPipe_NAME` on Unix,
//! `\\.\pipe\NAME` on Windows.
#![allow(dead_code, unreachable_pub)]

use std::io;

use pipeframe::named::PipeName;

/// Takes `--pipe NAME` out of `args`; returns `NAME` (or `default`) and its [`PipeName`].
/// The text is what a child process of the example is handed to meet on the same pipe.
pub fn take_pipe_name(args: &mut Vec<String>, default: &str) -> io::Result<(String, PipeName)> {
    let text = take_pipe_arg(args)?.unwrap_or_else(|| default.to_owned());
    let name = PipeName::new(&text)?;
    Ok((text, name))
}

/// Takes `--pipe NAME` out of `args` and returns `NAME`, if it is there.
pub fn take_pipe_arg(args: &mut Vec<String>) -> io::Result<Option<String>> {
    match args.iter().position(|a| a == "--pipe") {
        Some(i) if i + 1 < args.len() => {
            args.remove(i);
            Ok(Some(args.remove(i)))
        }
        Some(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--pipe needs a NAME after it",
        )),
        None => Ok(None),
    }
}
