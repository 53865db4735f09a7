//! Pipe names: a bare `NAME` lives at `\\.\pipe\NAME`, where .NET's
//! `NamedPipeServerStream("NAME")` listens.

use std::io;

/// The namespace every local named pipe lives in.
pub(crate) const PREFIX: &str = r"\\.\pipe\";

/// Windows' limit on a whole pipe path, in UTF-16 units.
const MAX_PATH_UNITS: usize = 256;

/// The pipe path for a bare name: `NAME` -> `\\.\pipe\NAME`.
///
/// A name that already is a full local pipe path (`\\.\pipe\...`, any case) is kept as it is.
/// Refused ([`io::ErrorKind::InvalidInput`], naming the name): an empty name, a NUL, a
/// backslash in a bare name (Windows allows none after `pipe\`), the name `anonymous` (.NET
/// reserves it), and paths over 256 UTF-16 units.
pub(crate) fn pipe_path(name: &str) -> io::Result<String> {
    let invalid = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("pipe name {name:?} {why}"),
        )
    };
    let bare = match strip_prefix(name) {
        Some(rest) => rest,
        None => {
            if name.contains('\\') {
                return Err(invalid("contains a backslash"));
            }
            name
        }
    };
    if bare.is_empty() {
        return Err(invalid("is empty"));
    }
    if bare.contains('\0') {
        return Err(invalid("contains a nul character"));
    }
    if bare.eq_ignore_ascii_case("anonymous") {
        return Err(invalid("is reserved (.NET uses it for anonymous pipes)"));
    }
    let path = format!("{PREFIX}{bare}");
    if path.encode_utf16().count() > MAX_PATH_UNITS {
        return Err(invalid(
            "is too long (a pipe path has at most 256 characters)",
        ));
    }
    Ok(path)
}

/// What follows `\\.\pipe\` in `path`, compared without regard to ASCII case.
fn strip_prefix(path: &str) -> Option<&str> {
    let head = path.get(..PREFIX.len())?;
    head.eq_ignore_ascii_case(PREFIX)
        .then(|| &path[PREFIX.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_name_maps_into_the_pipe_namespace() {
        assert_eq!(pipe_path("svc").unwrap(), r"\\.\pipe\svc");
        assert_eq!(pipe_path("a.b-c_d 1").unwrap(), r"\\.\pipe\a.b-c_d 1");
        assert_eq!(pipe_path("ünï").unwrap(), "\\\\.\\pipe\\ünï");
    }

    #[test]
    fn a_full_path_is_kept() {
        assert_eq!(pipe_path(r"\\.\pipe\svc").unwrap(), r"\\.\pipe\svc");
        assert_eq!(pipe_path(r"\\.\PIPE\svc").unwrap(), r"\\.\pipe\svc");
        assert_eq!(pipe_path(r"\\.\pipe\a\b").unwrap(), r"\\.\pipe\a\b");
    }

    #[test]
    fn bad_names_are_refused_naming_them() {
        for bad in ["", "a\\b", "x\0y", "anonymous", "ANONYMOUS", r"\\.\pipe\"] {
            let e = pipe_path(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
        let long = "n".repeat(MAX_PATH_UNITS - PREFIX.len());
        assert!(pipe_path(&long).is_ok());
        let e = pipe_path(&format!("{long}n")).unwrap_err();
        assert!(e.to_string().contains("too long"), "{e}");
    }
}
