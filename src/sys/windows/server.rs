//! Named pipe servers: instances made with `CreateNamedPipeW`, and [`Server`], which keeps one
//! instance waiting for a client at all times.
//!
//! The next instance is created *before* a connected one is handed out, so the name never has
//! zero instances: clients never see "all pipe instances are busy" between two accepts, and
//! nobody else can take the name over. The first instance carries
//! `FILE_FLAG_FIRST_PIPE_INSTANCE`, so a name someone already holds is refused
//! (`ERROR_ACCESS_DENIED`, reported as [`io::ErrorKind::AddrInUse`] naming the pipe).

use std::io;
use std::os::windows::io::OwnedHandle;
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_IO_PENDING, ERROR_NO_DATA, ERROR_PIPE_CONNECTED, FALSE, TRUE,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::Storage::FileSystem::{
    FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, PIPE_ACCESS_DUPLEX,
};
use windows_sys::Win32::System::IO::{GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, DisconnectNamedPipe, PIPE_READMODE_BYTE,
    PIPE_READMODE_MESSAGE, PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_TYPE_MESSAGE,
    PIPE_UNLIMITED_INSTANCES, PIPE_WAIT,
};

use super::pipe::PipeHandle;
use super::security::SecurityDescriptor;
use super::{code, last_error, owned, raw, wide, with_context};

/// Who may open the pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Security {
    /// Only the current user (the default; see [`SecurityDescriptor::current_user_only`]).
    CurrentUser,
    /// A descriptor given as SDDL text. It must leave the server's own user the right to
    /// create instances (`FILE_CREATE_PIPE_INSTANCE`, part of `GA` and `GW`), or every
    /// instance after the first is refused.
    Sddl(String),
}

/// How server instances are created.
#[derive(Debug, Clone)]
pub(crate) struct ServerOptions {
    /// `PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE` instead of bytes.
    pub(crate) message: bool,
    /// `FILE_FLAG_OVERLAPPED` (for [`super::overlapped`]).
    pub(crate) overlapped: bool,
    /// `FILE_FLAG_FIRST_PIPE_INSTANCE` on the first instance (default on).
    pub(crate) first_instance: bool,
    /// `PIPE_REJECT_REMOTE_CLIENTS` (default on).
    pub(crate) reject_remote: bool,
    /// Suggested buffer sizes, in bytes (the system rounds them).
    pub(crate) in_buffer: u32,
    pub(crate) out_buffer: u32,
    /// 1..=254, or 255 (`PIPE_UNLIMITED_INSTANCES`, the default).
    pub(crate) max_instances: u32,
    pub(crate) security: Security,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            message: false,
            overlapped: false,
            first_instance: true,
            reject_remote: true,
            in_buffer: 64 * 1024,
            out_buffer: 64 * 1024,
            max_instances: PIPE_UNLIMITED_INSTANCES,
            security: Security::CurrentUser,
        }
    }
}

impl ServerOptions {
    /// The descriptor these options ask for.
    pub(crate) fn descriptor(&self) -> io::Result<SecurityDescriptor> {
        match &self.security {
            Security::CurrentUser => SecurityDescriptor::current_user_only(),
            Security::Sddl(s) => SecurityDescriptor::from_sddl(s),
        }
    }
}

/// Creates one instance of the pipe at `path` (`\\.\pipe\NAME`), not yet connected. `first`
/// adds `FILE_FLAG_FIRST_PIPE_INSTANCE` when the options ask for it.
pub(crate) fn create_instance(
    path: &str,
    opts: &ServerOptions,
    sd: &SecurityDescriptor,
    first: bool,
) -> io::Result<OwnedHandle> {
    let mut open_mode = PIPE_ACCESS_DUPLEX;
    if opts.overlapped {
        open_mode |= FILE_FLAG_OVERLAPPED;
    }
    if first && opts.first_instance {
        open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
    }
    let mut pipe_mode = if opts.message {
        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
    } else {
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE
    } | PIPE_WAIT;
    if opts.reject_remote {
        pipe_mode |= PIPE_REJECT_REMOTE_CLIENTS;
    }
    let sa = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd.as_ptr(),
        bInheritHandle: FALSE,
    };
    let name = wide(path);
    // SAFETY: `name` is NUL-terminated, `sa` and the descriptor it points at are alive for
    // the call; the result is a new handle or INVALID_HANDLE_VALUE (handled below).
    let h = unsafe {
        CreateNamedPipeW(
            name.as_ptr(),
            open_mode,
            pipe_mode,
            opts.max_instances.clamp(1, PIPE_UNLIMITED_INSTANCES),
            opts.out_buffer,
            opts.in_buffer,
            0,
            &sa,
        )
    };
    // SAFETY: a handle CreateNamedPipeW just returned is ours alone.
    match unsafe { owned(h) } {
        Some(h) => Ok(h),
        None => {
            let e = io::Error::last_os_error();
            if code(&e) == Some(ERROR_ACCESS_DENIED) && first && opts.first_instance {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{path} is already in use by another server ({e})"),
                ));
            }
            Err(with_context(e, format!("creating {path}")))
        }
    }
}

/// Waits for a client on the unconnected instance `h` (`ConnectNamedPipe`). A client that
/// connected between `CreateNamedPipeW` and this call (`ERROR_PIPE_CONNECTED`) counts as
/// connected. A client that connected and already closed again (`ERROR_NO_DATA`: it sent
/// nothing, or gave up, e.g. a `current_user_only` check that refused us) is dropped
/// (`DisconnectNamedPipe`) and the instance waits for the next one.
pub(crate) fn connect_blocking(h: &OwnedHandle, overlapped: bool, path: &str) -> io::Result<()> {
    loop {
        match connect_once(h, overlapped) {
            Err(e) if code(&e) == Some(ERROR_NO_DATA) => disconnect(h, path)?,
            Err(e) => return Err(with_context(e, format!("waiting for a client on {path}"))),
            Ok(()) => return Ok(()),
        }
    }
}

/// `DisconnectNamedPipe` on a server instance.
pub(crate) fn disconnect(h: &OwnedHandle, path: &str) -> io::Result<()> {
    // SAFETY: `h` is an open pipe handle.
    if unsafe { DisconnectNamedPipe(raw(h)) } == 0 {
        return Err(last_error(format!("{path}: DisconnectNamedPipe")));
    }
    Ok(())
}

/// One `ConnectNamedPipe`, errors with their OS codes.
fn connect_once(h: &OwnedHandle, overlapped: bool) -> io::Result<()> {
    if !overlapped {
        // SAFETY: `h` is an open synchronous pipe handle; no OVERLAPPED.
        if unsafe { ConnectNamedPipe(raw(h), ptr::null_mut()) } != 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        return match code(&e) {
            Some(ERROR_PIPE_CONNECTED) => Ok(()),
            _ => Err(e),
        };
    }
    let ev = super::pipe::new_event()?;
    let mut ov = OVERLAPPED {
        hEvent: raw(&ev),
        ..Default::default()
    };
    // SAFETY: `ov` and its event outlive the operation: we wait for completion below.
    if unsafe { ConnectNamedPipe(raw(h), &mut ov) } == 0 {
        let e = io::Error::last_os_error();
        match code(&e) {
            Some(ERROR_PIPE_CONNECTED) => return Ok(()),
            Some(ERROR_IO_PENDING) => {}
            _ => return Err(e),
        }
    }
    let mut n = 0u32;
    // SAFETY: `ov` belongs to the connect just started on `h`; bWait returns after it ends.
    if unsafe { GetOverlappedResult(raw(h), &ov, &mut n, TRUE) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A connected pair of pipe ends in byte mode, overlapped, (server end, client end): a pipe
/// of its own name, `\\.\pipe\pipeframe-pair-PID-N`, made with one instance only, so no
/// other client can connect to it.
pub(crate) fn pair() -> io::Result<(PipeHandle, PipeHandle)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let path = format!(
        r"{}pipeframe-pair-{}-{}",
        super::name::PREFIX,
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let opts = ServerOptions {
        overlapped: true,
        max_instances: 1,
        ..ServerOptions::default()
    };
    let sd = opts.descriptor()?;
    let server = create_instance(&path, &opts, &sd, true)?;
    let co = super::client::ClientOptions {
        overlapped: true,
        ..Default::default()
    };
    let client = match super::client::try_open(&path, &co)? {
        super::client::Open::Pipe(p) => p,
        _ => {
            return Err(io::Error::other(format!(
                "{path}: the pipe of a pair could not be opened"
            )));
        }
    };
    connect_blocking(&server, true, &path)?;
    Ok((PipeHandle::new(server, true, path), client))
}

/// A named pipe server that always has one instance waiting for a client.
#[derive(Debug)]
pub(crate) struct Server {
    path: String,
    opts: ServerOptions,
    sd: SecurityDescriptor,
    /// The instance the next client connects to. Never absent.
    pending: OwnedHandle,
}

impl Server {
    /// Creates the first instance of `\\.\pipe\NAME` (or of a full pipe path).
    pub(crate) fn bind(name: &str, opts: ServerOptions) -> io::Result<Server> {
        let path = super::name::pipe_path(name)?;
        let sd = opts.descriptor()?;
        let pending = create_instance(&path, &opts, &sd, true)?;
        Ok(Server {
            path,
            opts,
            sd,
            pending,
        })
    }

    /// The pipe path, `\\.\pipe\NAME`.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The instance waiting for the next client (for an overlapped connect).
    pub(crate) fn pending(&self) -> &OwnedHandle {
        &self.pending
    }

    /// Creates the next instance, then hands out the waiting one, which a client has just
    /// connected to. If the next instance cannot be created, the error is returned and the
    /// connected instance stays waiting: the next accept hands it out (its connect reports
    /// `ERROR_PIPE_CONNECTED`), so no client is lost.
    pub(crate) fn rotate(&mut self) -> io::Result<PipeHandle> {
        let next = create_instance(&self.path, &self.opts, &self.sd, false)?;
        let connected = std::mem::replace(&mut self.pending, next);
        Ok(PipeHandle::new(
            connected,
            self.opts.overlapped,
            self.path.clone(),
        ))
    }

    /// Waits for the next client and returns its connected instance.
    pub(crate) fn accept(&mut self) -> io::Result<PipeHandle> {
        connect_blocking(&self.pending, self.opts.overlapped, &self.path)?;
        self.rotate()
    }
}
