//! Process-wide TensorFlow settings, made at the start of `main` before TensorFlow runs.
//!
//! **The allocator.** With oneDNN (on by default on x86-64), TensorFlow allocates tensors of
//! 4 KiB and more from a BFC pool that keeps every page it ever touched: a process's memory
//! only grows, and evaluating the 10,000 test images of one model after another leaves the
//! union of their buffers resident. `TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1` sends them to the C
//! allocator instead, which returns large blocks when they are freed; the computation and
//! its results are the same. [`prefer_system_allocator`] sets it unless the user set it.
//!
//! **Thread pools.** TensorFlow creates its pool of intra-op threads once per process, sized by
//! the first session; later sessions share it whatever their own setting. `reproduce` runs
//! `dense` (one intra-op thread, the fastest for that tiny graph) before the conv models, which
//! would then run on one core. `TF_OVERRIDE_GLOBAL_THREADPOOL=1` gives each session the pool
//! its config asks for; [`per_session_thread_pools`] sets it unless the user set it. (The
//! inter-op pool is shared the same way, so every model has the same inter-op default.)
//!
//! **Malloc arenas.** With the system allocator, glibc's malloc serves each thread from one of
//! up to eight arenas per CPU. TensorFlow's intra-op threads allocate the conv models' 10 MB
//! activations in several of them, and an arena that runs empty gives its pages back, so a
//! step can start by faulting tens of megabytes in again. How often depends on what the
//! process did before: measured here, `conv1` trained at 21 ms a step alone but at 31 ms after
//! `hidden` in the same process (three times the page faults). One arena per CPU keeps
//! freed blocks for reuse: 21 ms in either order, the same peak memory. [`one_arena_per_cpu`]
//! sets it for this process and, through `MALLOC_ARENA_MAX`, for its children, unless the user
//! chose a limit.
//!
//! **The log level.** libtensorflow logs through Abseil, and its first log line is written by
//! a static initializer while the library is being loaded, before `main`; the log level it
//! reads from `TF_CPP_MIN_LOG_LEVEL` at that moment stays fixed, so setting the variable in
//! `main` is too late. Abseil's own `absl::SetMinLogLevel` still changes the level afterwards,
//! and the library exports it. It is a C++ function in a versioned namespace (`lts_<date>` of the
//! Abseil release TensorFlow was built with), so it is looked up at run time by its mangled
//! name: a TensorFlow built with another Abseil simply does not have it, and the caller falls
//! back to starting the program again with the variable set.

/// The variable TensorFlow's oneDNN allocator reads when it first allocates.
const SYSTEM_ALLOCATOR: &str = "TF_ONEDNN_USE_SYSTEM_ALLOCATOR";

/// Sets `TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1` unless it is set (`0` keeps TensorFlow's pool).
/// Child processes (the Python side of `compare` and `bench`) inherit it, so both sides run
/// with the same allocator. Called first thing in `main`, while this is the only thread.
pub fn prefer_system_allocator() {
    if std::env::var_os(SYSTEM_ALLOCATOR).is_none() {
        std::env::set_var(SYSTEM_ALLOCATOR, "1");
    }
}

/// The variable that gives each session its own intra-op thread pool.
const OWN_THREAD_POOLS: &str = "TF_OVERRIDE_GLOBAL_THREADPOOL";

/// Sets `TF_OVERRIDE_GLOBAL_THREADPOOL=1` unless it is set, so that each model's session gets
/// the intra-op thread count it asks for even after another model's session in the same
/// process. Inherited by child processes like the allocator setting.
pub fn per_session_thread_pools() {
    if std::env::var_os(OWN_THREAD_POOLS).is_none() {
        std::env::set_var(OWN_THREAD_POOLS, "1");
    }
}

/// glibc's variable for the largest number of malloc arenas, read when a process starts.
const ARENA_MAX: &str = "MALLOC_ARENA_MAX";
/// The same setting as a glibc tunable.
const ARENA_MAX_TUNABLE: &str = "glibc.malloc.arena_max";

/// The arena limit to set: one per CPU, or `None` when the user set one already, either as
/// `MALLOC_ARENA_MAX` or in `GLIBC_TUNABLES`.
fn arena_limit(
    arena_max: Option<&std::ffi::OsStr>,
    tunables: Option<&std::ffi::OsStr>,
    cpus: usize,
) -> Option<usize> {
    let tuned = tunables.is_some_and(|t| t.to_string_lossy().contains(ARENA_MAX_TUNABLE));
    (arena_max.is_none() && !tuned).then_some(cpus.max(1))
}

/// Limits glibc's malloc to one arena per CPU (see the module's notes) in this process and,
/// through `MALLOC_ARENA_MAX`, in child processes, so that the Python side of `compare` and
/// `bench` allocates the same way. Does nothing when the user set a limit. Called first thing
/// in `main`, while this is the only thread.
pub fn one_arena_per_cpu() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Some(limit) = arena_limit(
        std::env::var_os(ARENA_MAX).as_deref(),
        std::env::var_os("GLIBC_TUNABLES").as_deref(),
        cpus,
    ) else {
        return;
    };
    std::env::set_var(ARENA_MAX, limit.to_string());
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let limit = libc::c_int::try_from(limit).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes a glibc malloc parameter; M_ARENA_MAX takes any
        // positive count and limits arenas created from now on.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, limit) };
    }
}

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
    fn one_arena_per_cpu_unless_the_user_chose() {
        use std::ffi::OsStr;
        assert_eq!(arena_limit(None, None, 2), Some(2));
        assert_eq!(arena_limit(None, None, 0), Some(1));
        assert_eq!(arena_limit(Some(OsStr::new("8")), None, 2), None);
        let other = OsStr::new("glibc.malloc.trim_threshold=1000");
        assert_eq!(arena_limit(None, Some(other), 4), Some(4));
        let chosen = OsStr::new("glibc.malloc.trim_threshold=1000:glibc.malloc.arena_max=3");
        assert_eq!(arena_limit(None, Some(chosen), 4), None);
    }

    #[test]
    fn the_setter_of_the_linked_tensorflow_is_found() {
        // The binary links TensorFlow 2.21 from the pinned wheel, whose Abseil exports it;
        // after a TensorFlow upgrade this test says that SET_MIN_LOG_LEVEL needs the new
        // Abseil namespace (the program would still work, starting itself twice).
        let _ = crate::graph::tensorflow_version();
        assert!(set_min_log_level(WARNING));
    }
}
