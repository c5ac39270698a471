//! An exclusive lock on a checkpoint folder for the run that writes into it, so that two runs
//! never write (and prune) the same folder at once.
//!
//! The lock is `flock` on the folder itself: nothing is written into it, and the kernel drops
//! the lock when the process ends, however it ends, so a killed run leaves no stale lock. It is
//! advisory: it keeps out other `tflayers` runs, not other programs.

use std::fs::{File, TryLockError};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Held while a run writes into a folder; dropping it releases the folder.
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Locks `dir` (an existing folder) for this run; `flag` names the option that chose it,
    /// for the error when another run holds it.
    pub fn acquire(dir: &Path, flag: &str) -> Result<Self> {
        let file = File::open(dir)
            .with_context(|| format!("{flag} {}: cannot open the folder", dir.display()))?;
        // std's `File::try_lock` is `flock` on Linux.
        match file.try_lock() {
            Ok(()) => Ok(Self { _dir: file }),
            Err(TryLockError::WouldBlock) => bail!(
                "{flag} {} is in use: another tflayers run is writing checkpoints there; wait \
                 for it to end, or choose another folder",
                dir.display()
            ),
            Err(TryLockError::Error(err)) => Err(err)
                .with_context(|| format!("{flag} {}: cannot lock the folder", dir.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path(), "--checkpoint-dir").unwrap();
        let err = DirLock::acquire(dir.path(), "--resume").unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("--resume"), "{message}");
        assert!(message.contains("is in use"), "{message}");
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
        drop(first);
        DirLock::acquire(dir.path(), "--resume").unwrap();
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = DirLock::acquire(&missing, "--checkpoint-dir").unwrap_err();
        assert!(format!("{err:#}").contains("nope"), "{err:#}");
    }
}
