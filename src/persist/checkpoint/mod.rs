//! Checkpoints of a training run on disk: writing them atomically, finding and verifying the
//! latest one to resume from.
//!
//! A checkpoint folder `DIR` holds `ckpt-<step>/` folders and a pointer `checkpoint.json`
//! naming the latest. Each `ckpt-<step>/` has the graph's variables as TensorFlow's saver writes
//! them (`variables.index`, `variables.data-00000-of-00001`: weights, Adam's slots and beta
//! powers) and `state.json`: the model, the step, the settings that must not change on resume,
//! a fingerprint of the training data, the batch order ([`BatchState`]) and the size and CRC-32
//! of each variables file.
//!
//! A checkpoint is written into `DIR/.tmp-ckpt-<step>-<pid>/`, synced, renamed to
//! `ckpt-<step>/`, and only then is the pointer replaced (through [`crate::fsx`], whose
//! temporary names start with the same `.tmp-`). A process killed at any moment therefore
//! leaves the pointer on a complete checkpoint. The newest two checkpoints are kept; leftovers
//! of a killed write are removed by the next successful one. A run holds a lock on `DIR` while
//! it writes there ([`crate::persist::lock`]), so a second run into the same folder is refused
//! rather than interleaving its checkpoints with (and pruning) the first's. The TensorFlow side
//! (the saver ops) is behind [`Engine::save_variables`], so this module never touches
//! TensorFlow types.
//!
//! * [`state`]: what `state.json` and `checkpoint.json` hold, and whether a checkpoint can
//!   continue a given run;
//! * [`writer`]: [`CheckpointWriter`], the training loop's [`crate::train::Checkpointer`];
//! * [`reader`]: finding and verifying the checkpoint `--resume` names.
//!
//! [`BatchState`]: crate::mnist::batcher::BatchState
//! [`Engine::save_variables`]: crate::train::Engine::save_variables

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};

use crate::train::Engine;

pub mod reader;
pub mod state;
pub mod writer;

#[cfg(test)]
mod tests;

pub use reader::{open_for_resume, verify};
pub use state::{Checkpoint, CheckpointState, DataFingerprint, FileSum};
pub use writer::CheckpointWriter;

/// The pointer to the latest checkpoint inside a checkpoint folder.
pub const POINTER_FILE: &str = "checkpoint.json";
/// The run's state inside each `ckpt-<step>/` folder.
pub const STATE_FILE: &str = "state.json";
/// The saver's file prefix inside each `ckpt-<step>/` folder: the one a SavedModel uses.
pub use crate::manifest::VARIABLES_PREFIX;
/// The two files TensorFlow's (unsharded) saver writes for a prefix.
pub const VARIABLES_FILES: [&str; 2] = ["variables.index", "variables.data-00000-of-00001"];
const CKPT_PREFIX: &str = "ckpt-";

fn ckpt_name(step: u64) -> String {
    format!("{CKPT_PREFIX}{step}")
}

/// The step of a `ckpt-<step>` folder name.
fn ckpt_step(name: &str) -> Option<u64> {
    name.strip_prefix(CKPT_PREFIX)?.parse().ok()
}

/// The `ckpt-<step>/` folders in `root`, by step.
fn list_checkpoints(root: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    let entries = fs::read_dir(root).with_context(|| format!("cannot list {}", root.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
        if let Some(step) = entry.file_name().to_str().and_then(ckpt_step) {
            if entry.path().is_dir() {
                found.push((step, entry.path()));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The size and CRC-32 of the file at `path` (read whole: the variables files are a few
/// tens of MB at most).
pub(crate) fn crc32_of(path: &Path) -> Result<(u64, u32)> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((bytes.len() as u64, crc32fast::hash(&bytes)))
}

/// Saves the engine's variables into `dir` (created if needed) under [`VARIABLES_PREFIX`]
/// through the graph's saver, and returns the files it wrote, synced, or an error naming the
/// one it did not write. Shared by checkpoints and trained models.
pub fn save_variables(engine: &mut dyn Engine, dir: &Path) -> Result<[PathBuf; 2]> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    engine.save_variables(&dir.join(VARIABLES_PREFIX))?;
    let paths = VARIABLES_FILES.map(|name| dir.join(name));
    for path in &paths {
        ensure!(
            path.is_file(),
            "TensorFlow's saver did not write {}",
            path.display()
        );
        File::open(path)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", path.display()))?;
    }
    Ok(paths)
}
