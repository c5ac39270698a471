//! Ctrl-C during `train`: the first press asks the loop to stop after the current step (it
//! then checkpoints and the program exits with status 130 and a resume hint); a second press
//! exits at once. Once every training step is done, a first press lets the run finish its
//! test-set evaluation (and `--save`) instead, and says so.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::OnceLock;

use anyhow::{anyhow, Result};

use crate::train::Stop;

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

static STOP: AtomicBool = AtomicBool::new(false);
static PRESSES: AtomicU32 = AtomicU32::new(0);
static FINISHING: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// What one more Ctrl-C does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Finish the current step, then stop cleanly.
    Stop,
    /// Quit now.
    Exit,
}

/// The action for the `presses`-th Ctrl-C (counting from 1).
pub fn action(presses: u32) -> Action {
    if presses <= 1 {
        Action::Stop
    } else {
        Action::Exit
    }
}

/// What the first Ctrl-C says, while training (`finishing` false) or after the last step.
pub fn stop_message(finishing: bool) -> &'static str {
    if finishing {
        "\nInterrupted: the training steps are done; finishing the test-set evaluation first \
         (press Ctrl-C again to quit at once)"
    } else {
        "\nInterrupted: stopping after the current step (press Ctrl-C again to quit at once)"
    }
}

fn on_signal() {
    let presses = PRESSES.fetch_add(1, Ordering::SeqCst) + 1;
    match action(presses) {
        Action::Stop => {
            STOP.store(true, Ordering::SeqCst);
            eprintln!("{}", stop_message(FINISHING.load(Ordering::SeqCst)));
        }
        Action::Exit => {
            eprintln!("\nInterrupted twice: quitting now");
            // `_exit` skips atexit handlers and static destructors, which could wait on
            // TensorFlow's worker threads that are still running.
            // SAFETY: `_exit` only ends the process; it touches no Rust state.
            unsafe { libc::_exit(i32::from(EXIT_INTERRUPTED)) }
        }
    }
}

/// The training loop's view of Ctrl-C: the stop flag it checks, and the mark that the last
/// step is trained, after which a first Ctrl-C lets the run finish (see [`stop_message`]).
#[derive(Debug)]
pub struct CtrlC(());

impl Stop for CtrlC {
    fn requested(&self) -> bool {
        STOP.load(Ordering::SeqCst)
    }

    fn training_done(&self) {
        FINISHING.store(true, Ordering::SeqCst);
    }
}

static CTRL_C: CtrlC = CtrlC(());

/// Installs the Ctrl-C handler (once per process) and returns what the loop watches; a new
/// run starts in its training phase.
pub fn install() -> Result<&'static CtrlC> {
    FINISHING.store(false, Ordering::SeqCst);
    INSTALLED
        .get_or_init(|| ctrlc::set_handler(on_signal).map_err(|err| err.to_string()))
        .as_ref()
        .map_err(|err| anyhow!("cannot install the Ctrl-C handler: {err}"))?;
    Ok(&CTRL_C)
}

/// The error a stopped run ends with: `main` prints it and exits with [`EXIT_INTERRUPTED`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    pub message: String,
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
    fn first_press_stops_second_exits() {
        assert_eq!(action(1), Action::Stop);
        assert_eq!(action(2), Action::Exit);
        assert_eq!(action(3), Action::Exit);
    }

    #[test]
    fn the_first_press_says_what_will_happen() {
        assert!(stop_message(false).contains("stopping after the current step"));
        let finishing = stop_message(true);
        assert!(finishing.contains("finishing the test-set evaluation"));
        assert!(!finishing.contains("current step"));
    }
}
