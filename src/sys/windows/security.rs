//! Who owns a pipe, and who may open it.
//!
//! * The default server descriptor matches the Unix default (socket mode 0600): owner the
//!   current token's owner, and a protected DACL with one entry granting `GENERIC_ALL` to the
//!   current user: `O:<owner>D:P(A;;GA;;;<user>)`.
//! * [`SecurityDescriptor::from_sddl`] takes any SDDL text instead, to widen (or narrow) it.
//! * [`check_owner`] is the client's `current_user_only` check, as .NET's
//!   `PipeOptions.CurrentUserOnly` does it: the server pipe's owner SID must be the current
//!   token's owner (what .NET compares) or the current user.
//! * [`pipe_client_user`] and [`process_user`] tell who is at the other end of a pipe: the
//!   user SID of the client's token (impersonating it at identification level, which is all a
//!   client opening with `SECURITY_IDENTIFICATION` allows) or of a process's token.

use std::fmt;
use std::io;
use std::os::windows::io::OwnedHandle;
use std::ptr;

use windows_sys::Win32::Foundation::{FALSE, HANDLE, LocalFree, TRUE};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_KERNEL_OBJECT,
};
use windows_sys::Win32::Security::{
    GetLengthSid, GetTokenInformation, IsValidSid, OWNER_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID, RevertToSelf, TOKEN_INFORMATION_CLASS, TOKEN_OWNER, TOKEN_QUERY,
    TOKEN_USER, TokenOwner, TokenUser,
};
use windows_sys::Win32::System::Pipes::ImpersonateNamedPipeClient;
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentThread, OpenProcess, OpenProcessToken, OpenThreadToken,
    PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::{last_error, owned, raw, wide};

/// A security identifier, copied into memory we own.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Sid {
    // u32 words: a SID needs 4-byte alignment.
    words: Vec<u32>,
    len: usize,
}

impl Sid {
    /// Copies the SID at `p`.
    ///
    /// # Safety
    ///
    /// `p` must point at a valid SID that stays alive for the call.
    unsafe fn copy_from(p: PSID) -> io::Result<Sid> {
        // SAFETY: the caller guarantees `p` points at a SID; IsValidSid only reads it.
        if unsafe { IsValidSid(p) } == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid SID"));
        }
        // SAFETY: `p` is a valid SID (checked above).
        let len = unsafe { GetLengthSid(p) } as usize;
        let mut words = vec![0u32; len.div_ceil(4)];
        // SAFETY: `p` points at `len` readable bytes (GetLengthSid of a valid SID), `words`
        // has room for at least `len` bytes, and the two do not overlap.
        unsafe { ptr::copy_nonoverlapping(p as *const u8, words.as_mut_ptr() as *mut u8, len) };
        Ok(Sid { words, len })
    }

    fn as_psid(&self) -> PSID {
        self.words.as_ptr() as PSID
    }

    /// The SID's bytes (its binary form, at most 68).
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `words` holds at least `len` initialised bytes; u8 has no alignment needs.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr() as *const u8, self.len) }
    }

    /// The SID's string form, `S-1-5-21-...`.
    pub(crate) fn to_sddl(&self) -> io::Result<String> {
        let mut s: *mut u16 = ptr::null_mut();
        // SAFETY: `as_psid` points at a valid SID we own (checked when copied); on success
        // `s` receives a LocalAlloc'd NUL-terminated string that we free below.
        if unsafe { ConvertSidToStringSidW(self.as_psid(), &mut s) } == 0 {
            return Err(last_error("ConvertSidToStringSidW"));
        }
        // SAFETY: `s` is a NUL-terminated UTF-16 string (see above), read up to its NUL.
        let text = unsafe { from_wide_nul(s) };
        // SAFETY: `s` came from LocalAlloc inside ConvertSidToStringSidW and is freed once.
        unsafe { LocalFree(s as _) };
        Ok(text)
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_sddl() {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(f, "Sid({:02x?})", self.bytes()),
        }
    }
}

/// Reads a NUL-terminated UTF-16 string.
///
/// # Safety
///
/// `p` must point at a NUL-terminated UTF-16 string.
unsafe fn from_wide_nul(p: *const u16) -> String {
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL terminator, so every unit up to it is readable.
    while unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: the `n` units before the NUL are readable (counted above).
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Reads one SID-bearing class of the current process token.
fn token_sid(class: TOKEN_INFORMATION_CLASS) -> io::Result<Sid> {
    // SAFETY: GetCurrentProcess returns a pseudo handle that needs no closing.
    token_class_sid(&process_token(unsafe { GetCurrentProcess() })?, class)
}

/// The token of the process `process` (a handle with query rights, or the pseudo handle).
fn process_token(process: HANDLE) -> io::Result<OwnedHandle> {
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: `process` is a process handle; `token` receives a new handle on success.
    if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } == 0 {
        return Err(last_error("OpenProcessToken"));
    }
    // SAFETY: OpenProcessToken succeeded, so `token` is a handle we own.
    unsafe { owned(token) }.ok_or_else(|| last_error("OpenProcessToken"))
}

/// The user SID of the token of process `pid` (needs `PROCESS_QUERY_LIMITED_INFORMATION` on
/// it: always granted for our own user's processes).
pub(crate) fn process_user(pid: u32) -> io::Result<Sid> {
    // SAFETY: a plain open by id; the result is a new handle or null (handled).
    let p = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) };
    // SAFETY: OpenProcess returned a new handle we own (or null).
    let p = unsafe { owned(p) }.ok_or_else(|| last_error(format!("OpenProcess({pid})")))?;
    token_class_sid(&process_token(raw(&p))?, TokenUser)
}

/// The user SID of the client at the other end of server instance `h`: the calling thread
/// impersonates the client (identification level), opens its token, and reverts.
pub(crate) fn pipe_client_user(h: &OwnedHandle) -> io::Result<Sid> {
    // SAFETY: `h` is an open pipe handle; on success the thread impersonates until the
    // RevertToSelf below, which runs on every path.
    if unsafe { ImpersonateNamedPipeClient(raw(h)) } == 0 {
        return Err(last_error("ImpersonateNamedPipeClient"));
    }
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: GetCurrentThread is a pseudo handle; `token` receives a new handle on success.
    // OpenAsSelf: the access check uses the process's own token, not the client's.
    let opened = unsafe { OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &mut token) };
    let open_err = (opened == 0).then(|| last_error("OpenThreadToken"));
    // SAFETY: no arguments; ends the impersonation started above.
    if unsafe { RevertToSelf() } == 0 {
        // A thread left acting as someone else must not run on: this is what Microsoft's
        // documentation prescribes for a failed RevertToSelf.
        std::process::abort();
    }
    if let Some(e) = open_err {
        return Err(e);
    }
    // SAFETY: OpenThreadToken succeeded, so `token` is a handle we own.
    let token = unsafe { owned(token) }.ok_or_else(|| last_error("OpenThreadToken"))?;
    token_class_sid(&token, TokenUser)
}

/// Reads one SID-bearing class (`TokenUser`, `TokenOwner`) of `token`.
fn token_class_sid(token: &OwnedHandle, class: TOKEN_INFORMATION_CLASS) -> io::Result<Sid> {
    let mut needed = 0u32;
    // SAFETY: a size query: null buffer of length 0, `needed` receives the size.
    unsafe { GetTokenInformation(raw(token), class, ptr::null_mut(), 0, &mut needed) };
    // u64 words: TOKEN_USER / TOKEN_OWNER start with a pointer.
    let mut buf = vec![0u64; (needed as usize).div_ceil(8).max(2)];
    let size = (buf.len() * 8) as u32;
    // SAFETY: `buf` is writable for `size` bytes and 8-byte aligned.
    let ok = unsafe {
        GetTokenInformation(
            raw(token),
            class,
            buf.as_mut_ptr().cast(),
            size,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(last_error("GetTokenInformation"));
    }
    let sid = if class == TokenUser {
        // SAFETY: for TokenUser the buffer starts with a TOKEN_USER (aligned, initialised).
        unsafe { (*(buf.as_ptr() as *const TOKEN_USER)).User.Sid }
    } else {
        // SAFETY: for TokenOwner the buffer starts with a TOKEN_OWNER (aligned, initialised).
        unsafe { (*(buf.as_ptr() as *const TOKEN_OWNER)).Owner }
    };
    // SAFETY: the SID pointer points into `buf`, which is alive for this call.
    unsafe { Sid::copy_from(sid) }
}

/// The current process token's user SID (`TokenUser`).
pub(crate) fn current_user() -> io::Result<Sid> {
    token_sid(TokenUser)
}

/// The current process token's default owner SID (`TokenOwner`): the owner new objects get,
/// and what .NET's `WindowsIdentity.Owner` is. The user itself, except for elevated
/// administrators (then `BUILTIN\Administrators`).
pub(crate) fn current_owner() -> io::Result<Sid> {
    token_sid(TokenOwner)
}

/// A self-relative security descriptor in memory from `LocalAlloc`, freed on drop.
pub(crate) struct SecurityDescriptor {
    ptr: PSECURITY_DESCRIPTOR,
    sddl: String,
}

// SAFETY: the descriptor is memory this value owns alone and never changes after it is built;
// Win32 only reads it. Moving or sharing it between threads is therefore sound.
unsafe impl Send for SecurityDescriptor {}
// SAFETY: see `Send`: shared access is read-only.
unsafe impl Sync for SecurityDescriptor {}

impl SecurityDescriptor {
    /// A descriptor from SDDL text, e.g. `D:P(A;;GA;;;AU)`. Bad text is an
    /// [`io::ErrorKind::InvalidInput`] error quoting it.
    pub(crate) fn from_sddl(sddl: &str) -> io::Result<SecurityDescriptor> {
        if sddl.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("SDDL {sddl:?} contains a nul character"),
            ));
        }
        let text = wide(sddl);
        let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
        // SAFETY: `text` is NUL-terminated and alive for the call; on success `sd` receives a
        // LocalAlloc'd descriptor that `Drop` frees.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                text.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                ptr::null_mut(),
            )
        };
        if ok == 0 || sd.is_null() {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("SDDL {sddl:?} is not a security descriptor: {e}"),
            ));
        }
        Ok(SecurityDescriptor {
            ptr: sd,
            sddl: sddl.to_owned(),
        })
    }

    /// The SDDL of the default: owned by the current token's owner, a protected DACL granting
    /// `GENERIC_ALL` to the current user and nobody else.
    pub(crate) fn current_user_only_sddl() -> io::Result<String> {
        let user = current_user()?.to_sddl()?;
        let owner = current_owner()?.to_sddl()?;
        Ok(format!("O:{owner}D:P(A;;GA;;;{user})"))
    }

    /// The default descriptor (see [`current_user_only_sddl`](Self::current_user_only_sddl)).
    pub(crate) fn current_user_only() -> io::Result<SecurityDescriptor> {
        SecurityDescriptor::from_sddl(&SecurityDescriptor::current_user_only_sddl()?)
    }

    /// The SDDL this descriptor was built from.
    #[cfg(test)]
    pub(crate) fn sddl(&self) -> &str {
        &self.sddl
    }

    /// The pointer for `SECURITY_ATTRIBUTES::lpSecurityDescriptor`, valid while `self` lives.
    pub(crate) fn as_ptr(&self) -> PSECURITY_DESCRIPTOR {
        self.ptr
    }
}

impl Drop for SecurityDescriptor {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from LocalAlloc (ConvertStringSecurityDescriptor...) and is freed
        // exactly once, here.
        unsafe { LocalFree(self.ptr) };
    }
}

impl fmt::Debug for SecurityDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecurityDescriptor")
            .field(&self.sddl)
            .finish()
    }
}

/// The owner SID of the kernel object behind `h` (needs `READ_CONTROL` on the handle).
pub(crate) fn owner_of(h: &OwnedHandle) -> io::Result<Sid> {
    let mut owner: PSID = ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `h` is an open handle; `owner` receives a pointer into the LocalAlloc'd
    // descriptor `sd`, which we free below after copying the SID out.
    let rc = unsafe {
        GetSecurityInfo(
            raw(h),
            SE_KERNEL_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &mut owner,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            &mut sd,
        )
    };
    if rc != 0 {
        let e = io::Error::from_raw_os_error(rc as i32);
        return Err(super::with_context(e, "GetSecurityInfo(owner)"));
    }
    let sid = if owner.is_null() {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the object has no owner",
        ))
    } else {
        // SAFETY: `owner` points into `sd`, which is still alive.
        unsafe { Sid::copy_from(owner) }
    };
    // SAFETY: `sd` came from LocalAlloc inside GetSecurityInfo and is freed once.
    unsafe { LocalFree(sd) };
    sid
}

/// `current_user_only` on a client: the pipe `h` (named `path` in the error) must be owned by
/// the current token's owner or the current user; otherwise a
/// [`io::ErrorKind::PermissionDenied`] error naming both SIDs.
pub(crate) fn check_owner(h: &OwnedHandle, path: &str) -> io::Result<()> {
    let owner = owner_of(h).map_err(|e| super::with_context(e, format!("owner of {path}")))?;
    if owner == current_owner()? || owner == current_user()? {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "{path} is owned by {owner:?}, not by the current user {:?}",
            current_user()?
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_user_sid_has_the_sid_form() {
        let user = current_user().unwrap().to_sddl().unwrap();
        assert!(user.starts_with("S-1-"), "{user}");
        let owner = current_owner().unwrap().to_sddl().unwrap();
        assert!(owner.starts_with("S-1-"), "{owner}");
    }

    #[test]
    fn default_descriptor_grants_only_the_current_user() {
        let user = current_user().unwrap().to_sddl().unwrap();
        let sd = SecurityDescriptor::current_user_only().unwrap();
        assert!(
            sd.sddl().ends_with(&format!("D:P(A;;GA;;;{user})")),
            "{sd:?}"
        );
        assert!(!sd.as_ptr().is_null());
    }

    #[test]
    fn sddl_text_builds_or_is_refused_quoting_it() {
        SecurityDescriptor::from_sddl("D:P(A;;GA;;;WD)").unwrap();
        SecurityDescriptor::from_sddl("D:(A;;GRGW;;;AU)").unwrap();
        for bad in ["D:P(A;;GA;;;NOT-A-SID)", "nonsense(", "a\0b"] {
            let e = SecurityDescriptor::from_sddl(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn sid_round_trips_through_copy() {
        let a = current_user().unwrap();
        let b = a.clone();
        assert_eq!(a, b);
        assert_eq!(a.to_sddl().unwrap(), b.to_sddl().unwrap());
    }
}
