//! A named pipe client made of raw Win32 calls, not of pipeframe: `CreateFileW`,
//! `SetNamedPipeHandleState`, one `WriteFile` or `ReadFile` per call, on a synchronous
//! handle. The tests use it as the foreign peer a Windows user's own program would be.
#![allow(dead_code, unsafe_code, unreachable_pub)]

use std::io;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_BROKEN_PIPE, ERROR_MORE_DATA, GENERIC_READ, GENERIC_WRITE, HANDLE,
    INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{CreateFileW, OPEN_EXISTING, ReadFile, WriteFile};
use windows_sys::Win32::System::Pipes::{
    PIPE_READMODE_MESSAGE, SetNamedPipeHandleState, WaitNamedPipeW,
};

/// An open client end.
pub struct RawPipe {
    h: HANDLE,
}

// The handle is used from one thread at a time (it moves with the value).
unsafe impl Send for RawPipe {}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

impl RawPipe {
    /// Opens `path` (`\\.\pipe\NAME`), retrying while the pipe is missing or busy, up to
    /// `within`; `message`: switch to message read mode.
    pub fn open(path: &str, message: bool, within: Duration) -> io::Result<RawPipe> {
        let w = wide(path);
        let deadline = Instant::now() + within;
        let h = loop {
            // SAFETY: `w` is NUL-terminated; a plain open of an existing pipe.
            let h = unsafe {
                CreateFileW(
                    w.as_ptr(),
                    GENERIC_READ | GENERIC_WRITE,
                    0,
                    std::ptr::null(),
                    OPEN_EXISTING,
                    0,
                    std::ptr::null_mut(),
                )
            };
            if h != INVALID_HANDLE_VALUE {
                break h;
            }
            let e = io::Error::last_os_error();
            if Instant::now() >= deadline {
                return Err(e);
            }
            // SAFETY: `w` is NUL-terminated; waits at most 20 ms for a free instance (or
            // returns at once when there is no pipe yet).
            if unsafe { WaitNamedPipeW(w.as_ptr(), 20) } == 0 {
                std::thread::yield_now();
            }
        };
        let p = RawPipe { h };
        if message {
            let mode = PIPE_READMODE_MESSAGE;
            // SAFETY: `h` is the open client handle; `mode` lives for the call.
            if unsafe { SetNamedPipeHandleState(h, &mode, std::ptr::null(), std::ptr::null()) } == 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(p)
    }

    /// One `WriteFile` of all of `data` (one message in message mode).
    pub fn write(&self, data: &[u8]) -> io::Result<usize> {
        let mut n = 0u32;
        // SAFETY: `data` is readable for its length; synchronous handle, no OVERLAPPED.
        let ok = unsafe {
            WriteFile(
                self.h,
                data.as_ptr(),
                data.len() as u32,
                &mut n,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }

    /// One `ReadFile` into `buf`: `Ok((n, more))`, `more` when the message goes on
    /// (`ERROR_MORE_DATA`); `Ok((0, false))` at end of stream.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<(usize, bool)> {
        let mut n = 0u32;
        // SAFETY: `buf` is writable for its length; synchronous handle.
        let ok = unsafe {
            ReadFile(
                self.h,
                buf.as_mut_ptr(),
                buf.len() as u32,
                &mut n,
                std::ptr::null_mut(),
            )
        };
        if ok != 0 {
            return Ok((n as usize, false));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error().map(|c| c as u32) {
            Some(ERROR_MORE_DATA) => Ok((n as usize, true)),
            Some(ERROR_BROKEN_PIPE) => Ok((0, false)),
            _ => Err(e),
        }
    }

    /// Reads until end of stream.
    pub fn read_to_end(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut buf)? {
                (0, false) => return Ok(out),
                (n, _) => out.extend_from_slice(&buf[..n]),
            }
        }
    }
}

impl Drop for RawPipe {
    fn drop(&mut self) {
        // SAFETY: `h` is ours and closed once.
        unsafe { CloseHandle(self.h) };
    }
}
