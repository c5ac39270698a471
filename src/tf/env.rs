//! Process-wide TensorFlow settings, made by [`init`] at the start of `main`, while it is the
//! only thread and before TensorFlow runs: environment variables TensorFlow and glibc read
//! (inherited by the Python side of `compare` and `bench`, so both sides run alike), glibc's
//! malloc parameters, and Abseil's log level; then, once the command line is parsed, oneDNN
//! ([`settle_onednn`], which may start the program again: see [`crate::onednn`]). A variable
//! the user set is left alone.
//!
//! **The allocator.** With oneDNN (on by default on x86-64), TensorFlow allocates tensors of
//! 4 KiB and more from a BFC pool that keeps every page it ever touched, so evaluating the
//! 10,000 test images of one model after another leaves the union of their buffers resident.
//! `TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1` sends them to the C allocator, which returns large blocks
//! when they are freed; the results are the same (`0` keeps TensorFlow's pool).
//!
//! **Thread pools.** TensorFlow sizes its intra-op pool once per process, by the first session:
//! `reproduce` runs `dense` (one intra-op thread, the fastest for that tiny graph) first, and
//! the conv models would then run on one core. `TF_OVERRIDE_GLOBAL_THREADPOOL=1` gives each
//! session the pool its config asks for. (The inter-op pool is shared the same way, so every
//! model has the same inter-op default.)
//!
//! **Malloc.** With the system allocator, glibc serves the conv models' 10 MB activations from
//! per-thread arenas of 64 MiB heaps. When a step frees them, an arena whose extra heap ran
//! empty unmaps it and the next step faults it in again: measured here, about one heap a step
//! in some runs of `conv1` and none in others (depending on thread timing), 31 ms a step
//! against 21 ms. glibc keeps such a heap when `M_TOP_PAD` is at least a heap's size; that also
//! pins the mmap threshold at 128 KiB, so [`tune_malloc`] raises it to glibc's own dynamic
//! ceiling (32 MiB) and allows one arena per CPU, which bounds what the kept heaps hold.
//! Buffers above 32 MiB (the test-set evaluation's) are still mapped and returned when freed,
//! so the peak memory stays that of the system allocator.
//!
//! **The log level.** libtensorflow logs through Abseil and reads `TF_CPP_MIN_LOG_LEVEL` once,
//! in a static initializer that runs while the library loads, before `main`: setting the
//! variable in `main` is too late. The library exports `absl::SetMinLogLevel`, a C++ function
//! in a versioned namespace (`lts_<date>` of TensorFlow's Abseil), so it is looked up at run time
//! by its mangled name; a TensorFlow built with another Abseil lacks it, and [`quiet_logging`]
//! falls back to starting the program again with the variable set.

use std::sync::OnceLock;

use crate::host::Machine;
use crate::onednn::{self, parse_flag, ChosenBy, Setting, Table, DEFAULT_MARK, VARIABLE};

/// Makes every setting of this module but oneDNN's; called first thing in `main`.
pub fn init() {
    for name in [SYSTEM_ALLOCATOR, OWN_THREAD_POOLS] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, "1");
        }
    }
    tune_malloc();
    quiet_logging();
}

/// The variable TensorFlow's oneDNN allocator reads when it first allocates.
const SYSTEM_ALLOCATOR: &str = "TF_ONEDNN_USE_SYSTEM_ALLOCATOR";
/// The variable that gives each session its own intra-op thread pool.
const OWN_THREAD_POOLS: &str = "TF_OVERRIDE_GLOBAL_THREADPOOL";

/// glibc's environment variables for the settings below (read when a process starts).
const MALLOC_VARIABLES: [&str; 3] = [
    "MALLOC_ARENA_MAX",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TOP_PAD_",
];
/// Buffers at or below this many bytes come from the arenas' heaps (glibc's dynamic ceiling).
const MMAP_THRESHOLD: usize = 32 << 20;
/// Free memory a heap keeps instead of giving it back: one heap (64 MiB on 64-bit glibc).
const TOP_PAD: usize = 64 << 20;

/// The malloc settings to make, in the order of [`MALLOC_VARIABLES`]; `None` when the user
/// chose any malloc setting, as one of those variables or in `GLIBC_TUNABLES`.
fn malloc_settings(
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    cpus: usize,
) -> Option<[usize; 3]> {
    let chosen = MALLOC_VARIABLES.iter().any(|name| env(name).is_some())
        || env("GLIBC_TUNABLES").is_some_and(|t| t.to_string_lossy().contains("glibc.malloc."));
    (!chosen).then_some([cpus.max(1), MMAP_THRESHOLD, TOP_PAD])
}

/// Makes the malloc settings in this process (`mallopt`) and, through glibc's variables, in
/// child processes.
pub fn tune_malloc() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Some(values) = malloc_settings(|name| std::env::var_os(name), cpus) else {
        return;
    };
    for (name, value) in MALLOC_VARIABLES.iter().zip(values) {
        std::env::set_var(name, value.to_string());
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    for (param, value) in [libc::M_ARENA_MAX, libc::M_MMAP_THRESHOLD, libc::M_TOP_PAD]
        .into_iter()
        .zip(values)
    {
        let value = libc::c_int::try_from(value).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes one of glibc malloc's parameters; each of these takes
        // any positive value (an mmap threshold above glibc's maximum is refused, not applied).
        unsafe { libc::mallopt(param, value) };
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

/// The variable libtensorflow reads for its log level, once, while it is being loaded.
const LOG_LEVEL: &str = "TF_CPP_MIN_LOG_LEVEL";

/// Hides TensorFlow's C++ INFO logs (SavedModel loading, CPU features) unless the user set
/// `TF_CPP_MIN_LOG_LEVEL`: in place through [`set_min_log_level`], else by executing the
/// program again with the variable at 1 (about 0.2 s more). The two notices Abseil prints
/// before its own start-up cannot be hidden.
pub fn quiet_logging() {
    if std::env::var_os(LOG_LEVEL).is_some() || set_min_log_level(WARNING) {
        return;
    }
    // `exec_self` only returns on failure; then carry on with TensorFlow's default logging.
    let _ = exec_self(&[(LOG_LEVEL, "1")]);
}

/// Replaces this process with the same program and arguments, with `vars` added to its
/// environment: for settings libtensorflow reads only while it loads. Returns only if that
/// failed, with the reason.
pub fn exec_self(vars: &[(&str, &str)]) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => return err,
    };
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    let mut command = std::process::Command::new(exe);
    command.arg0(argv0).args(args);
    for (name, value) in vars {
        command.env(name, value);
    }
    command.exec()
}

/// `tensorflow::IsMKLEnabled()`: whether the loaded TensorFlow runs its CPU kernels through
/// oneDNN (decided once, from `TF_ENABLE_ONEDNN_OPTS` and the CPU, while it loaded).
const IS_MKL_ENABLED: &std::ffi::CStr = c"_ZN10tensorflow12IsMKLEnabledEv";

/// Whether oneDNN is on in this process; `None` if the loaded TensorFlow does not export
/// `tensorflow::IsMKLEnabled`.
pub fn onednn_enabled() -> Option<bool> {
    // Make sure libtensorflow is loaded and initialised before asking it.
    let _ = crate::tf::model::tensorflow_version();
    // SAFETY: as in `set_min_log_level`: a lookup among the loaded libraries' symbols.
    let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, IS_MKL_ENABLED.as_ptr()) };
    if symbol.is_null() {
        return None;
    }
    // SAFETY: the mangled name pins the signature `bool ()`; a C++ `bool` is returned as a
    // C `bool` by the x86-64 and AArch64 ABIs.
    let enabled: extern "C" fn() -> bool = unsafe { std::mem::transmute(symbol) };
    Some(enabled())
}

/// The setting [`settle_onednn`] made, for headers and reports.
static SETTLED: OnceLock<Setting> = OnceLock::new();

/// The setting of this process: what [`settle_onednn`] made, else TensorFlow's own state.
pub fn onednn_setting() -> Setting {
    *SETTLED.get_or_init(|| {
        let user = std::env::var(VARIABLE).ok().and_then(|v| parse_flag(&v));
        let enabled = onednn_enabled().or(user).unwrap_or(false);
        let chosen_by = match (user, std::env::var_os(DEFAULT_MARK)) {
            (Some(_), None) => ChosenBy::User,
            (Some(_), Some(_)) => ChosenBy::Tflayers,
            (None, _) => ChosenBy::Tensorflow,
        };
        Setting { enabled, chosen_by }
    })
}

/// Makes this process do `run` (on this machine) with the oneDNN setting
/// [`onednn::choose`] gives:
/// when TensorFlow already has it, exports the variable for child processes; otherwise starts
/// the program again with it. `None` (a command that runs no model here) leaves TensorFlow's
/// state as it is.
pub fn settle_onednn(table: &Table, run: Option<onednn::Run<'_>>) {
    let Some(run) = run else {
        onednn_setting();
        return;
    };
    let value = std::env::var(VARIABLE).ok();
    let ours = std::env::var(DEFAULT_MARK)
        .ok()
        .and_then(|v| parse_flag(&v));
    let Some(enabled_now) = onednn_enabled() else {
        // A TensorFlow without the query (another version): leave it as it is.
        onednn_setting();
        return;
    };
    let user = match ours {
        Some(_) => None,
        None => value.as_deref().and_then(parse_flag),
    };
    // Unless this program set the variable, TensorFlow's state is its default (or the user's).
    let tensorflow_default = ours.unwrap_or(enabled_now);
    let setting = onednn::choose(
        table,
        run,
        &Machine::describe().isa,
        tensorflow_default,
        user,
    );
    let flag = if setting.enabled { "1" } else { "0" };
    let default = if tensorflow_default { "1" } else { "0" };
    if setting.enabled != enabled_now && setting.chosen_by != ChosenBy::User {
        // The new process reads the log level while libtensorflow loads, before `main`:
        // keep TensorFlow's notices hidden there as they are here.
        let level = std::env::var(LOG_LEVEL).unwrap_or_else(|_| WARNING.to_string());
        let err = exec_self(&[
            (VARIABLE, flag),
            (DEFAULT_MARK, default),
            (LOG_LEVEL, &level),
        ]);
        eprintln!(
            "note: could not start again with {VARIABLE}={flag} ({err}); \
             oneDNN stays {}",
            if enabled_now { "on" } else { "off" }
        );
        let _ = SETTLED.set(Setting {
            enabled: enabled_now,
            chosen_by: ChosenBy::Tensorflow,
        });
        return;
    }
    if setting.chosen_by != ChosenBy::User {
        std::env::set_var(VARIABLE, flag);
        std::env::set_var(DEFAULT_MARK, default);
    }
    let _ = SETTLED.set(Setting {
        enabled: enabled_now,
        ..setting
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malloc_is_tuned_unless_the_user_chose() {
        use std::ffi::OsString;
        let none = |_: &str| None;
        assert_eq!(malloc_settings(none, 2), Some([2, 32 << 20, 64 << 20]));
        assert_eq!(malloc_settings(none, 0).map(|v| v[0]), Some(1));
        for name in MALLOC_VARIABLES {
            let set = |n: &str| (n == name).then(|| OsString::from("8"));
            assert_eq!(malloc_settings(set, 2), None, "{name}");
        }
        let tunables = |value: &'static str| {
            move |n: &str| (n == "GLIBC_TUNABLES").then(|| OsString::from(value))
        };
        assert!(malloc_settings(tunables("glibc.rtld.nns=2"), 2).is_some());
        assert_eq!(
            malloc_settings(tunables("glibc.rtld.nns=2:glibc.malloc.arena_max=3"), 2),
            None
        );
    }

    #[test]
    fn the_linked_tensorflow_says_whether_onednn_is_on() {
        // Its answer follows TF_ENABLE_ONEDNN_OPTS when the test runs with it set.
        let enabled = onednn_enabled().unwrap();
        match std::env::var("TF_ENABLE_ONEDNN_OPTS").as_deref() {
            Ok("1") => assert!(enabled),
            Ok("0") => assert!(!enabled),
            _ => {}
        }
    }

    #[test]
    fn the_setter_of_the_linked_tensorflow_is_found() {
        // The binary links TensorFlow 2.21 from the pinned wheel, whose Abseil exports it;
        // after a TensorFlow upgrade this test says that SET_MIN_LOG_LEVEL needs the new
        // Abseil namespace (the program would still work, starting itself twice).
        let _ = crate::tf::model::tensorflow_version();
        assert!(set_min_log_level(WARNING));
    }
}
