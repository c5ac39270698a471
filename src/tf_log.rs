//! Hiding TensorFlow's INFO logs without starting the program twice.
//!
//! libtensorflow logs through Abseil, and its first log line is written by a static
//! initializer while the library is being loaded, before `main`; the log level it reads from
//! `TF_CPP_MIN_LOG_LEVEL` at that moment stays fixed, so setting the variable in `main` is too
//! late. Abseil's own `absl::SetMinLogLevel` still changes the level afterwards, and the
//! library exports it. It is a C++ function in a versioned namespace (`lts_<date>` of the
//! Abseil release TensorFlow was built with), so it is looked up at run time by its mangled
//! name: a TensorFlow built with another Abseil simply does not have it, and the caller falls
//! back to starting the program again with the variable set.

/// `absl::lts_20250814::SetMinLogLevel(absl::LogSeverityAtLeast)`, the Abseil release of
/// TensorFlow 2.21.
const SET_MIN_LOG_LEVEL: &std::ffi::CStr =
    c"_ZN4absl12lts_2025081414SetMinLogLevelENS0_18LogSeverityAtLeastE";

/// Abseil's `LogSeverityAtLeast::kWarning`: warnings and errors still show.
pub const WARNING: i32 = 1;

/// Sets the loaded TensorFlow's minimum log severity (0 info, 1 warning, 2 error) if its
/// Abseil exports the setter; returns whether it did.
pub fn set_min_log_level(level: i32) -> bool {
    // SAFETY: dlsym with RTLD_DEFAULT only searches the symbols already loaded (the
    // TensorFlow libraries this binary is linked against) and takes a NUL-terminated name.
    let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, SET_MIN_LOG_LEVEL.as_ptr()) };
    if symbol.is_null() {
        return false;
    }
    // SAFETY: the mangled name pins the signature `void (absl::LogSeverityAtLeast)`, an
    // `enum class : int`, which the x86-64 and AArch64 C++ ABIs pass exactly as a C `int`.
    let set: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(symbol) };
    set(level);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setter_of_the_linked_tensorflow_is_found() {
        // The binary links TensorFlow 2.21 from the pinned wheel, whose Abseil exports it;
        // after a TensorFlow upgrade this test says that SET_MIN_LOG_LEVEL needs the new
        // Abseil namespace (the program would still work, starting itself twice).
        let _ = crate::graph::tensorflow_version();
        assert!(set_min_log_level(WARNING));
    }
}
