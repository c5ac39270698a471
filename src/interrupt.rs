//! Ctrl-C (SIGINT) and SIGTERM during `train`, the latter being what batch schedulers and
//! container runtimes send before they kill a job. The first signal asks the loop to stop
//! after the current step (it then checkpoints, prints how to resume and the program exits
//! with 128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM, as shells report a process
//! killed by it); a second signal exits at once with the same convention. Once every training
//! step is done, a first signal lets the run finish its test-set evaluation (and `--save`)
//! instead, and says so.
//!
//! The handlers run inside the signal (through `signal-hook`'s registry), so they do only
//! what is safe there: atomic stores, `write(2)` of a fixed message, `_exit(2)`. Files are
//! written through `fsx`'s temporary names, so quitting at once never leaves a half-written
//! file under a name the program uses.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::OnceLock;

use anyhow::{anyhow, Result};
use signal_hook::consts::{SIGINT, SIGTERM};

use crate::train::Stop;

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;
/// The exit status of a run stopped by SIGTERM (128 + SIGTERM).
pub const EXIT_TERMINATED: u8 = 143;

/// The signals a run stops on.
const HANDLED: [i32; 2] = [SIGINT, SIGTERM];

static STOP: AtomicBool = AtomicBool::new(false);
static SIGNALS: AtomicU32 = AtomicU32::new(0);
/// The number of the first signal received (0: none yet).
static FIRST: AtomicI32 = AtomicI32::new(0);
static FINISHING: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// What one more signal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Finish the current step, then stop cleanly.
    Stop,
    /// Quit now.
    Exit,
}

/// The action for the `count`-th signal (counting from 1; Ctrl-C and SIGTERM alike).
pub fn action(count: u32) -> Action {
    if count <= 1 {
        Action::Stop
    } else {
        Action::Exit
    }
}

/// The exit status for a run stopped by `signal`: 128 + its number.
pub fn exit_status(signal: i32) -> u8 {
    if signal == SIGTERM {
        EXIT_TERMINATED
    } else {
        EXIT_INTERRUPTED
    }
}

/// How the messages name `signal`.
pub fn signal_name(signal: i32) -> &'static str {
    if signal == SIGTERM {
        "SIGTERM"
    } else {
        "Ctrl-C"
    }
}

/// What the first signal says, while training (`finishing` false) or after the last step.
pub fn stop_message(signal: i32, finishing: bool) -> &'static str {
    match (signal == SIGTERM, finishing) {
        (false, false) => {
            "\nInterrupted: stopping after the current step (press Ctrl-C again to quit at once)\n"
        }
        (false, true) => {
            "\nInterrupted: the training steps are done; finishing the test-set evaluation \
             first (press Ctrl-C again to quit at once)\n"
        }
        (true, false) => {
            "\nTerminated (SIGTERM): stopping after the current step (a second SIGTERM or \
             Ctrl-C quits at once)\n"
        }
        (true, true) => {
            "\nTerminated (SIGTERM): the training steps are done; finishing the test-set \
             evaluation first (a second SIGTERM or Ctrl-C quits at once)\n"
        }
    }
}

/// What a second signal says before the program quits.
pub fn exit_message(signal: i32) -> &'static str {
    if signal == SIGTERM {
        "\nTerminated twice: quitting now\n"
    } else {
        "\nInterrupted twice: quitting now\n"
    }
}

/// Writes `text` to stderr with `write(2)`, the one way to print that is safe in a handler.
fn write_stderr(text: &str) {
    // SAFETY: write(2) on fd 2 with a valid buffer; a short or failed write only loses text.
    let _ = unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
}

/// The handler of both signals. Runs in signal context: atomics, write(2), _exit(2) only.
fn on_signal(signal: i32) {
    let count = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
    match action(count) {
        Action::Stop => {
            FIRST.store(signal, Ordering::SeqCst);
            STOP.store(true, Ordering::SeqCst);
            write_stderr(stop_message(signal, FINISHING.load(Ordering::SeqCst)));
        }
        Action::Exit => {
            write_stderr(exit_message(signal));
            // `_exit` skips atexit handlers and static destructors, which could wait on
            // TensorFlow's worker threads that are still running. A write in progress leaves
            // only its temporary file, which the next run removes or ignores.
            signal_hook::low_level::exit(i32::from(exit_status(signal)))
        }
    }
}

/// The training loop's view of the signals: the stop flag it checks, and the mark that the
/// last step is trained, after which a first signal lets the run finish (see
/// [`stop_message`]).
#[derive(Debug)]
pub struct Signals(());

impl Stop for Signals {
    fn requested(&self) -> bool {
        STOP.load(Ordering::SeqCst)
    }

    fn training_done(&self) {
        FINISHING.store(true, Ordering::SeqCst);
    }
}

static SIGNALS_STOP: Signals = Signals(());

/// The signal that stopped the run, once one has ([`signal_name`], [`exit_status`]).
pub fn received() -> Option<i32> {
    match FIRST.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Installs the handlers of Ctrl-C and SIGTERM (once per process) and returns what the loop
/// watches; a new run starts in its training phase.
pub fn install() -> Result<&'static Signals> {
    FINISHING.store(false, Ordering::SeqCst);
    INSTALLED
        .get_or_init(|| {
            HANDLED.iter().try_for_each(|&signal| {
                // SAFETY: `on_signal` only uses atomics, write(2) and _exit(2), all of which
                // are async-signal-safe.
                unsafe { signal_hook::low_level::register(signal, move || on_signal(signal)) }
                    .map(drop)
                    .map_err(|err| format!("{}: {err}", signal_name(signal)))
            })
        })
        .as_ref()
        .map_err(|err| anyhow!("cannot install the signal handler for {err}"))?;
    Ok(&SIGNALS_STOP)
}

/// The error a stopped run ends with: `main` prints it and exits with `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    pub message: String,
    /// 128 + the signal's number ([`exit_status`]).
    pub status: u8,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Interrupted {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_signal_stops_second_exits() {
        assert_eq!(action(1), Action::Stop);
        assert_eq!(action(2), Action::Exit);
        assert_eq!(action(3), Action::Exit);
    }

    #[test]
    fn the_status_is_128_plus_the_signal() {
        assert_eq!(i32::from(exit_status(SIGINT)), 128 + SIGINT);
        assert_eq!(i32::from(exit_status(SIGTERM)), 128 + SIGTERM);
    }

    #[test]
    fn the_first_signal_says_what_will_happen() {
        for signal in HANDLED {
            assert!(stop_message(signal, false).contains("stopping after the current step"));
            let finishing = stop_message(signal, true);
            assert!(finishing.contains("finishing the test-set evaluation"));
            assert!(!finishing.contains("current step"));
        }
        assert!(stop_message(SIGTERM, false).contains("SIGTERM"));
    }
}
