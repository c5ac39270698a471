//! An exclusive lock on a checkpoint folder for the run that writes into it, so that two runs
//! never write (and prune) the same folder at once.
//!
//! The lock is `flock` on the folder itself: nothing is written into it, and the kernel drops
//! the lock when the process ends, however it ends, so a killed run leaves no stale lock. It is
//! advisory: it keeps out other `tflayers` runs, not other programs.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};

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
        lock(&file)
            .with_context(|| format!("{flag} {}: cannot lock the folder", dir.display()))?
            .then_some(Self { _dir: file })
            .with_context(|| {
                format!(
                    "{flag} {} is in use: another tflayers run is writing checkpoints there; \
                     wait for it to end, or choose another folder",
                    dir.display()
                )
            })
    }
}

/// Takes the lock without waiting (std's `File::try_lock`, `flock` on Linux); `Ok(false)`
/// when another open of the folder holds it.
fn lock(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(err)) => Err(err),
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
