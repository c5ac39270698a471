//! Finding the checkpoint `--resume` names and verifying it before TensorFlow reads it: the
//! pointer, `state.json`, and the size and CRC-32 of every variables file. A damaged
//! checkpoint is refused with the name of an intact one to resume from instead, if any.

use std::path::Path;

use anyhow::{bail, ensure, Result};

use super::state::{Checkpoint, CheckpointState, Pointer, FORMAT};
use super::{ckpt_step, crc32_of, list_checkpoints, POINTER_FILE, STATE_FILE, VARIABLES_FILES};
use crate::fsx::read_json;

/// Reads and verifies one `ckpt-<step>/` folder: `state.json` parses, and every variables
/// file has the recorded size and CRC-32.
pub fn verify(dir: &Path) -> Result<CheckpointState> {
    let state_path = dir.join(STATE_FILE);
    let state: CheckpointState = read_json(&state_path, "a tflayers checkpoint state")?;
    ensure!(
        state.format == FORMAT,
        "{} has format {}, this tflayers reads format {FORMAT}",
        state_path.display(),
        state.format
    );
    for name in VARIABLES_FILES {
        ensure!(
            state.files.iter().any(|f| f.name == name),
            "{} does not list {name}: the checkpoint is damaged",
            state_path.display()
        );
    }
    for file in &state.files {
        let path = dir.join(&file.name);
        ensure!(
            !file.name.contains('/') && path.is_file(),
            "{} is missing: the checkpoint is incomplete",
            path.display()
        );
        let (bytes, crc) = crc32_of(&path)?;
        ensure!(
            bytes == file.bytes,
            "{} has {bytes} bytes but {} bytes were written: the checkpoint is truncated",
            path.display(),
            file.bytes
        );
        ensure!(
            crc == file.crc32,
            "{} does not match its CRC-32 in {}: the checkpoint is damaged",
            path.display(),
            STATE_FILE
        );
    }
    Ok(state)
}

/// Finds the checkpoint `--resume path` names and verifies it. `path` is a checkpoint folder
/// (its latest checkpoint is used) or one `ckpt-<step>/` folder inside one.
pub fn open_for_resume(path: &Path) -> Result<Checkpoint> {
    ensure!(
        path.is_dir(),
        "--resume {}: no such folder; pass the --checkpoint-dir of an earlier run",
        path.display()
    );
    let (dir, root) = if path.join(STATE_FILE).is_file() {
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (path.to_path_buf(), root.to_path_buf())
    } else {
        let pointer_path = path.join(POINTER_FILE);
        if !pointer_path.is_file() {
            let found = list_checkpoints(path)?;
            match found.last() {
                Some((_, latest)) => bail!(
                    "--resume {}: {POINTER_FILE} is missing; resume from one of its checkpoints \
                     instead, e.g. --resume {}",
                    path.display(),
                    latest.display()
                ),
                None => bail!(
                    "--resume {}: the folder holds no checkpoint; start a run with \
                     --checkpoint-dir {} first",
                    path.display(),
                    path.display()
                ),
            }
        }
        let pointer = read_pointer(&pointer_path)?;
        (path.join(&pointer.latest), path.to_path_buf())
    };
    match verify(&dir) {
        Ok(state) => Ok(Checkpoint { dir, root, state }),
        Err(err) => {
            let earlier = list_checkpoints(&root)?
                .into_iter()
                .rev()
                .find(|(_, other)| *other != dir && verify(other).is_ok());
            let advice = match earlier {
                Some((step, other)) => format!(
                    "the earlier checkpoint {} (step {step}) is intact: resume from it with \
                     --resume {}",
                    other.display(),
                    other.display()
                ),
                None => "no intact checkpoint is left; start a new run".to_string(),
            };
            Err(err.context(format!("cannot resume from {}: {advice}", dir.display())))
        }
    }
}

fn read_pointer(path: &Path) -> Result<Pointer> {
    let pointer: Pointer = read_json(path, "a checkpoint pointer")?;
    ensure!(
        ckpt_step(&pointer.latest) == Some(pointer.step),
        "{} is damaged: it names {:?} for step {}",
        path.display(),
        pointer.latest,
        pointer.step
    );
    Ok(pointer)
}
