//! C's `stdout` stream, moved to stderr for libraries that print to it.
//!
//! TensorFlow prints its `log_device_placement` lines with C's `printf`, to the process's
//! stdout, where they would mix with the article's lines that `train` keeps alone there.
//! [`c_stdout_to_stderr`] points C's `stdout` stream at a copy of file descriptor 2; Rust's own
//! stdout (file descriptor 1, used by the printers) is untouched.

use std::sync::OnceLock;

use anyhow::{anyhow, Result};

extern "C" {
    /// glibc's (and musl's) `FILE *stdout`, read by `printf` on every call.
    static mut stdout: *mut libc::FILE;
}

/// Sends everything later written through C's `stdout` (printf, puts) to stderr. Idempotent.
pub fn c_stdout_to_stderr() -> Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        // SAFETY: dup and fdopen are called with valid arguments; the new FILE is never closed,
        // so it stays valid for the rest of the process. The old stream is flushed first and
        // left open: other code may still hold it. Replacing the `stdout` pointer happens
        // before TensorFlow starts printing, from the main thread.
        unsafe {
            let fd = libc::dup(libc::STDERR_FILENO);
            if fd < 0 {
                return Err(std::io::Error::last_os_error().to_string());
            }
            let stream = libc::fdopen(fd, c"w".as_ptr());
            if stream.is_null() {
                let err = std::io::Error::last_os_error().to_string();
                libc::close(fd);
                return Err(err);
            }
            libc::setvbuf(stream, std::ptr::null_mut(), libc::_IOLBF, 0);
            libc::fflush(stdout);
            stdout = stream;
        }
        Ok(())
    })
    .clone()
    .map_err(|err| anyhow!("cannot send TensorFlow's placement log to stderr: {err}"))
}
