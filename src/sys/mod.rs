//! Operating-system code behind the portable endpoint modules ([`crate::pipe`],
//! [`crate::named`], [`crate::fifo`]). One submodule per OS family; a Windows module
//! (`\\.\pipe\NAME`, `PIPE_TYPE_MESSAGE`) slots in beside `unix`.

#[cfg(unix)]
pub(crate) mod unix;
#[cfg(windows)]
pub(crate) mod windows;
