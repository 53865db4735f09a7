use std::io;

use crate::sys::windows::{client, server};

use super::{ConnectOptions, Listener, PipeName};

/// How a server creates its pipe. Defaults: byte mode, a DACL granting only the current user,
/// any client of that DACL admitted, remote clients rejected (`PIPE_REJECT_REMOTE_CLIENTS`),
/// the first instance created with `FILE_FLAG_FIRST_PIPE_INSTANCE` (a name another server
/// holds is refused), 64 KiB buffers.
///
/// ```no_run
/// use pipeframe::named::{ListenOptions, PipeName};
///
/// let listener = ListenOptions::new()
///     .message(true)
///     .current_user_only(true)
///     .bind(&PipeName::new("svc")?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ListenOptions {
    pub(crate) opts: server::ServerOptions,
    pub(crate) current_user_only: bool,
}

impl ListenOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Native message mode (`PIPE_TYPE_MESSAGE` | `PIPE_READMODE_MESSAGE`): each write is one
    /// message. Read them with [`crate::message::MessagePipe`] (blocking) or
    /// `message::AsyncMessagePipe` (tokio, smol).
    pub fn message(mut self, yes: bool) -> Self {
        self.opts.message = yes;
        self
    }

    /// Who may connect, as SDDL text (e.g. `"D:(A;;GA;;;WD)"` for everyone), in place of the
    /// default DACL that grants only the current user. Checked when the pipe is bound.
    pub fn security_descriptor(mut self, sddl: &str) -> Self {
        self.opts.security = server::Security::Sddl(sddl.to_owned());
        self
    }

    /// Like .NET's `PipeOptions.CurrentUserOnly`: accepted clients whose token's user is not
    /// ours are disconnected at once and never returned by `accept` (they are counted in
    /// [`Listener::rejected`]). It holds even where a wider
    /// [`security_descriptor`](Self::security_descriptor) lets others open the pipe.
    pub fn current_user_only(mut self, yes: bool) -> Self {
        self.current_user_only = yes;
        self
    }

    /// The size of each instance's in and out buffers (default 64 KiB).
    pub fn buffer_size(mut self, bytes: u32) -> Self {
        self.opts.in_buffer = bytes;
        self.opts.out_buffer = bytes;
        self
    }

    /// Binds a blocking [`Listener`].
    pub fn bind(&self, name: &PipeName) -> io::Result<Listener> {
        Listener::bind_with(name, self)
    }
}

impl ConnectOptions {
    /// What `sys::windows::client` opens the pipe with (always overlapped, so one thread can
    /// read while another writes, and async code can use the handle).
    pub(crate) fn client_options(&self) -> client::ClientOptions {
        client::ClientOptions {
            message: self.message,
            overlapped: true,
            current_user_only: self.current_user_only,
            ..client::ClientOptions::default()
        }
    }
}
