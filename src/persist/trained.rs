//! Trained SavedModels: what `train --save DIR` writes and `evaluate` / `predict` read.
//!
//! `DIR` is a TF1 SavedModel that Python's `tf.compat.v1.saved_model.loader.load` accepts: the
//! exported graph (`saved_model.pb`, copied from `models/<name>/`) and the trained variables at
//! `DIR/variables/variables`, written by the graph's own saver ops. Beside them,
//! `tflayers.json` ([`ModelInfo`]) says which model it is and how it was trained. The folder is
//! built under a temporary name beside `DIR` and renamed into place only when complete.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::fsx::{read_json, replace_dir, sync_dir, write_json};
use crate::persist::checkpoint::{save_variables, VARIABLES_FILES};
use crate::train::Engine;

/// The file naming the model inside a trained SavedModel folder.
pub const INFO_FILE: &str = "tflayers.json";
pub use crate::manifest::{SAVED_MODEL_FILE, VARIABLES_DIR};
const FORMAT: u32 = 1;

/// `tflayers.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub format: u32,
    /// The manifest name of the model.
    pub model: String,
    /// Steps trained.
    pub steps: u64,
    /// The test accuracy `train` printed for these variables.
    pub test_accuracy: f32,
    pub settings: RunConfig,
    pub tensorflow_version: String,
    pub tflayers_version: String,
}

impl ModelInfo {
    pub fn new(model: &str, steps: u64, test_accuracy: f32, settings: RunConfig, tf: &str) -> Self {
        Self {
            format: FORMAT,
            model: model.to_string(),
            steps,
            test_accuracy,
            settings,
            tensorflow_version: tf.to_string(),
            tflayers_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Fails if `dir` exists and is not empty, unless `overwrite`: checked before training so
/// that a long run does not end in a refusal.
pub fn check_target(dir: &Path, overwrite: bool) -> Result<()> {
    if overwrite || !dir.exists() {
        return Ok(());
    }
    ensure!(
        dir.is_dir(),
        "--save {}: a file of that name exists; choose another path",
        dir.display()
    );
    let mut entries = fs::read_dir(dir)
        .with_context(|| format!("--save {}: cannot list the folder", dir.display()))?;
    ensure!(
        entries.next().is_none(),
        "--save {}: the folder is not empty; choose another, or pass --overwrite to replace it \
         once the run has succeeded",
        dir.display()
    );
    Ok(())
}

/// A sibling of `dir` named `.<name>.<tag>-<pid>`.
fn sibling(dir: &Path, tag: &str) -> Result<PathBuf> {
    let name = dir
        .file_name()
        .with_context(|| format!("--save {}: the path has no folder name", dir.display()))?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| {
        format!(
            "--save {}: cannot create {}",
            dir.display(),
            parent.display()
        )
    })?;
    let pid = std::process::id();
    Ok(parent.join(format!(".{}.{tag}-{pid}", name.to_string_lossy())))
}

/// Writes the trained SavedModel: `saved_model.pb` from `exported` (the model's folder under
/// `models/`), the engine's variables through its saver, and `tflayers.json`.
pub fn write(dir: &Path, exported: &Path, engine: &mut dyn Engine, info: &ModelInfo) -> Result<()> {
    let old = sibling(dir, "old")?;
    replace_dir(dir, &sibling(dir, "tmp")?, &old, |tmp| {
        write_into(tmp, exported, engine, info)
    })?;
    if old.exists() {
        fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove the replaced model {}", old.display()))?;
    }
    Ok(())
}

fn write_into(
    tmp: &Path,
    exported: &Path,
    engine: &mut dyn Engine,
    info: &ModelInfo,
) -> Result<()> {
    let variables = tmp.join(VARIABLES_DIR);
    save_variables(engine, &variables)?;
    let graph = exported.join(SAVED_MODEL_FILE);
    fs::copy(&graph, tmp.join(SAVED_MODEL_FILE)).with_context(|| {
        format!(
            "cannot copy {} into the saved model; run `make models`",
            graph.display()
        )
    })?;
    write_json(&tmp.join(INFO_FILE), info)?;
    sync_dir(&variables)?;
    sync_dir(tmp)
}

/// Checks that `dir` looks like a trained SavedModel and reads its `tflayers.json` (`None`
/// for a SavedModel written elsewhere, e.g. by Python with the manifest's names).
pub fn open(dir: &Path) -> Result<Option<ModelInfo>> {
    ensure!(
        dir.is_dir(),
        "--model-dir {}: no such folder; write one with `tflayers train --model NAME --save {}`",
        dir.display(),
        dir.display()
    );
    ensure!(
        dir.join(SAVED_MODEL_FILE).is_file(),
        "--model-dir {}: not a SavedModel (no {SAVED_MODEL_FILE}); pass a folder written by \
         `tflayers train --save`",
        dir.display()
    );
    for name in VARIABLES_FILES {
        let path = dir.join(VARIABLES_DIR).join(name);
        ensure!(
            path.is_file(),
            "--model-dir {}: {} is missing, so the model has no trained variables; write it \
             again with `tflayers train --save`",
            dir.display(),
            path.display()
        );
    }
    let path = dir.join(INFO_FILE);
    if !path.exists() {
        return Ok(None);
    }
    read_json(&path, "a tflayers model description").map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_must_be_new_or_empty_unless_overwriting() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("m");
        check_target(&dir, false).unwrap();
        fs::create_dir(&dir).unwrap();
        check_target(&dir, false).unwrap();
        fs::write(dir.join("x"), b"1").unwrap();
        let err = check_target(&dir, false).unwrap_err().to_string();
        assert!(
            err.contains("not empty") && err.contains("--overwrite"),
            "{err}"
        );
        check_target(&dir, true).unwrap();
    }

    #[test]
    fn open_names_what_is_missing() {
        let root = tempfile::tempdir().unwrap();
        let err = open(&root.path().join("none")).unwrap_err().to_string();
        assert!(
            err.contains("no such folder") && err.contains("--save"),
            "{err}"
        );
        let err = open(root.path()).unwrap_err().to_string();
        assert!(err.contains("not a SavedModel"), "{err}");
        fs::write(root.path().join(SAVED_MODEL_FILE), b"x").unwrap();
        let err = open(root.path()).unwrap_err().to_string();
        assert!(err.contains("variables.index is missing"), "{err}");
        fs::create_dir(root.path().join(VARIABLES_DIR)).unwrap();
        for name in VARIABLES_FILES {
            fs::write(root.path().join(VARIABLES_DIR).join(name), b"x").unwrap();
        }
        assert_eq!(open(root.path()).unwrap(), None);
        fs::write(root.path().join(INFO_FILE), b"{").unwrap();
        let err = format!("{:#}", open(root.path()).unwrap_err());
        assert!(err.contains("tflayers.json is damaged"), "{err}");
    }
}
