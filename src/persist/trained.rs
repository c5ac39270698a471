//! Trained SavedModels: what `train --save DIR` writes and `evaluate` / `predict` read.
//!
//! `DIR` is a TF1 SavedModel that Python's `tf.compat.v1.saved_model.loader.load` accepts: the
//! exported graph (`saved_model.pb`, copied from `models/<name>/`) and the trained variables at
//! `DIR/variables/variables`, written by the graph's own saver ops. Beside them,
//! `tflayers.json` ([`ModelInfo`]) says which model it is and how it was trained. The folder is
//! built under a temporary name beside `DIR` and renamed into place only when complete.
//!
//! Like a checkpoint's `state.json`, `tflayers.json` records the size and CRC-32 of every file
//! written beside it; [`open`] checks them before TensorFlow reads anything, so a damaged file
//! is named with what to do (save the model again from a checkpoint, or retrain) instead of
//! surfacing as a TensorFlow restore error. A folder saved before the sums were recorded
//! opens with a note that it could not be verified.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::fsx::{read_json, replace_dir, sync_dir, write_json};
use crate::persist::checkpoint::{crc32_of, save_variables, FileSum, VARIABLES_FILES};
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
    /// Size and CRC-32 of every file written beside `tflayers.json`, by path relative to the
    /// folder; empty (and absent) in folders saved before the sums were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSum>,
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
            files: Vec::new(),
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
    let mut info = info.clone();
    info.files = written_files()
        .into_iter()
        .map(|name| {
            let (bytes, crc32) = crc32_of(&tmp.join(&name))?;
            Ok(FileSum { name, bytes, crc32 })
        })
        .collect::<Result<_>>()?;
    write_json(&tmp.join(INFO_FILE), &info)?;
    sync_dir(&variables)?;
    sync_dir(tmp)
}

/// The files `write` puts beside `tflayers.json`, relative to the folder.
fn written_files() -> Vec<String> {
    let mut names = vec![SAVED_MODEL_FILE.to_string()];
    names.extend(VARIABLES_FILES.map(|name| format!("{VARIABLES_DIR}/{name}")));
    names
}

/// What to do about a damaged trained model in `dir` of `model`.
fn remedy(dir: &Path, model: &str) -> String {
    format!(
        "the trained model is damaged: save it again from a checkpoint (`tflayers train --model \
         {model} --resume CHECKPOINT_DIR --save {dir} --overwrite`) or retrain it (`tflayers \
         train --model {model} --save {dir} --overwrite`)",
        dir = dir.display()
    )
}

/// Checks every file `info` records in `dir` against its size and CRC-32, before TensorFlow
/// reads any of them; a folder saved before the sums were recorded gets a note on stderr.
pub fn verify_files(dir: &Path, info: &ModelInfo) -> Result<()> {
    if info.files.is_empty() {
        eprintln!(
            "note: {} records no checksums (saved by an earlier tflayers), so the files of {} \
             could not be verified",
            dir.join(INFO_FILE).display(),
            dir.display()
        );
        return Ok(());
    }
    for name in written_files() {
        ensure!(
            info.files.iter().any(|file| file.name == name),
            "{} does not list {name}: {}",
            dir.join(INFO_FILE).display(),
            remedy(dir, &info.model)
        );
    }
    for file in &info.files {
        let path = dir.join(&file.name);
        let safe = Path::new(&file.name)
            .components()
            .all(|part| matches!(part, std::path::Component::Normal(_)));
        ensure!(
            safe && path.is_file(),
            "{} is missing: {}",
            path.display(),
            remedy(dir, &info.model)
        );
        let (bytes, crc) = crc32_of(&path)?;
        ensure!(
            bytes == file.bytes,
            "{} has {bytes} bytes but {} were written: {}",
            path.display(),
            file.bytes,
            remedy(dir, &info.model)
        );
        ensure!(
            crc == file.crc32,
            "{} does not match its CRC-32 in {INFO_FILE}: {}",
            path.display(),
            remedy(dir, &info.model)
        );
    }
    Ok(())
}

/// Checks that `dir` looks like a trained SavedModel, reads its `tflayers.json` (`None`
/// for a SavedModel written elsewhere, e.g. by Python with the manifest's names) and verifies
/// the files it lists ([`verify_files`]).
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
    let info: ModelInfo = read_json(&path, "a tflayers model description")?;
    verify_files(dir, &info)?;
    Ok(Some(info))
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
