//! [`CheckpointWriter`]: writes the checkpoints of one run into its checkpoint folder, each
//! complete before the pointer names it, keeping the newest two and removing the leftovers of
//! killed writes (see the module docs of [`super`]).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};

use super::state::{Checkpoint, CheckpointState, DataFingerprint, FileSum, Pointer, FORMAT};
use super::{
    ckpt_name, crc32_of, list_checkpoints, save_variables, POINTER_FILE, STATE_FILE,
    VARIABLES_FILES,
};
use crate::config::RunConfig;
use crate::fsx::{replace_dir, sync_dir, write_json, TEMP_PREFIX};
use crate::mnist::batcher::BatchState;
use crate::persist::lock::DirLock;
use crate::train::{Checkpointer, Engine};

/// Writes `state.json` into the unfinished checkpoint folder, synced. No temporary file is
/// needed: the folder's rename is what makes the checkpoint appear whole.
fn write_state(path: &Path, state: &CheckpointState) -> Result<()> {
    let json = serde_json::to_vec(state).context("cannot serialise the checkpoint state")?;
    File::create(path)
        .and_then(|mut file| file.write_all(&json).and_then(|()| file.sync_all()))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the checkpoints of one run into its checkpoint folder (see the module docs).
pub struct CheckpointWriter {
    root: PathBuf,
    every: Option<u64>,
    model: String,
    settings: RunConfig,
    data: DataFingerprint,
    tensorflow_version: String,
    /// The step and folder of the newest checkpoint of this run in `root`: it is kept beside
    /// the next.
    last: Option<(u64, PathBuf)>,
    /// Print a line on stderr for each checkpoint.
    pub verbose: bool,
    /// Keeps other runs out of `root` while this one writes there.
    _lock: DirLock,
}

impl CheckpointWriter {
    /// A writer for a new run into `root`, which is created if needed. Refuses a folder that
    /// already holds checkpoints, so no earlier run's checkpoint is replaced.
    pub fn create(
        root: &Path,
        every: Option<u64>,
        model: &str,
        settings: RunConfig,
        data: DataFingerprint,
        tensorflow_version: &str,
    ) -> Result<Self> {
        let lock = Self::claim(root)?;
        Self::create_claimed(root, lock, every, model, settings, data, tensorflow_version)
    }

    /// Creates `root` if needed, locks it and refuses a folder that already holds
    /// checkpoints: what [`CheckpointWriter::create`] checks first, for a command to check
    /// before it loads data and keep the lock until it creates the writer.
    pub fn claim(root: &Path) -> Result<DirLock> {
        fs::create_dir_all(root).with_context(|| {
            format!(
                "--checkpoint-dir {}: cannot create the folder",
                root.display()
            )
        })?;
        let lock = DirLock::acquire(root, "--checkpoint-dir")?;
        let existing = list_checkpoints(root)?;
        ensure!(
            existing.is_empty() && !root.join(POINTER_FILE).exists(),
            "--checkpoint-dir {} already holds checkpoints of a run; continue it with --resume \
             {}, or choose an empty folder",
            root.display(),
            root.display()
        );
        Ok(lock)
    }

    /// [`CheckpointWriter::create`] with the lock [`CheckpointWriter::claim`] returned.
    pub fn create_claimed(
        root: &Path,
        lock: DirLock,
        every: Option<u64>,
        model: &str,
        settings: RunConfig,
        data: DataFingerprint,
        tensorflow_version: &str,
    ) -> Result<Self> {
        Ok(Self {
            root: root.to_path_buf(),
            every,
            model: model.to_string(),
            settings,
            data,
            tensorflow_version: tensorflow_version.to_string(),
            last: None,
            verbose: true,
            _lock: lock,
        })
    }

    /// A writer that continues `from`'s run in its checkpoint folder; refused while another
    /// run writes there.
    pub fn resuming(
        from: &Checkpoint,
        every: Option<u64>,
        tensorflow_version: &str,
    ) -> Result<Self> {
        let lock = Self::claim_for_resume(from)?;
        Self::resuming_claimed(from, lock, every, tensorflow_version)
    }

    /// Locks `from`'s checkpoint folder, refused while another run writes there.
    pub fn claim_for_resume(from: &Checkpoint) -> Result<DirLock> {
        DirLock::acquire(&from.root, "--resume")
    }

    /// [`CheckpointWriter::resuming`] with the lock [`CheckpointWriter::claim_for_resume`]
    /// returned.
    pub fn resuming_claimed(
        from: &Checkpoint,
        lock: DirLock,
        every: Option<u64>,
        tensorflow_version: &str,
    ) -> Result<Self> {
        Ok(Self {
            root: from.root.clone(),
            every,
            model: from.state.model.clone(),
            settings: from.state.settings.clone(),
            data: from.state.data.clone(),
            tensorflow_version: tensorflow_version.to_string(),
            last: Some((from.state.step, from.dir.clone())),
            verbose: true,
            _lock: lock,
        })
    }

    /// The checkpoint folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The newest checkpoint of this run, if any.
    pub fn last_dir(&self) -> Option<&Path> {
        self.last.as_ref().map(|(_, dir)| dir.as_path())
    }

    fn write(&mut self, engine: &mut dyn Engine, step: u64, batches: &BatchState) -> Result<()> {
        let name = ckpt_name(step);
        let pid = std::process::id();
        let final_dir = self.root.join(&name);
        // An existing `ckpt-<step>/` is a leftover of a run killed after this rename but
        // before its pointer update (the pointer never named it), or a checkpoint past the
        // one resumed from: it goes aside, under a name the pruning below removes.
        replace_dir(
            &final_dir,
            &self.root.join(format!("{TEMP_PREFIX}{name}-{pid}")),
            &self.root.join(format!("{TEMP_PREFIX}old-{name}-{pid}")),
            |tmp| self.write_into(tmp, engine, step, batches),
        )?;
        write_json(
            &self.root.join(POINTER_FILE),
            &Pointer { latest: name, step },
        )?;
        let previous = self
            .last
            .replace((step, final_dir.clone()))
            .map(|(step, _)| step);
        self.prune(step, previous)?;
        if self.verbose {
            eprintln!("Checkpoint: step {step} -> {}", final_dir.display());
        }
        Ok(())
    }

    pub(super) fn write_into(
        &self,
        tmp: &Path,
        engine: &mut dyn Engine,
        step: u64,
        batches: &BatchState,
    ) -> Result<()> {
        let mut files = Vec::new();
        for (name, path) in VARIABLES_FILES
            .into_iter()
            .zip(save_variables(engine, tmp)?)
        {
            let (bytes, crc32) = crc32_of(&path)?;
            let name = name.to_string();
            files.push(FileSum { name, bytes, crc32 });
        }
        let state = CheckpointState {
            format: FORMAT,
            model: self.model.clone(),
            step,
            settings: self.settings.clone(),
            data: self.data.clone(),
            tensorflow_version: self.tensorflow_version.clone(),
            tflayers_version: env!("CARGO_PKG_VERSION").to_string(),
            files,
            batches: batches.clone(),
        };
        write_state(&tmp.join(STATE_FILE), &state)?;
        sync_dir(tmp)
    }

    /// Keeps the newest checkpoint and the one before it; removes every other checkpoint and
    /// the leftovers of unfinished writes.
    fn prune(&self, newest: u64, previous: Option<u64>) -> Result<()> {
        for (step, dir) in list_checkpoints(&self.root)? {
            if step != newest && Some(step) != previous {
                fs::remove_dir_all(&dir)
                    .with_context(|| format!("cannot remove the old {}", dir.display()))?;
            }
        }
        let entries = fs::read_dir(&self.root)
            .with_context(|| format!("cannot list {}", self.root.display()))?;
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let path = entry.path();
                let removed = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed
                    .with_context(|| format!("cannot remove the leftover {}", path.display()))?;
            }
        }
        Ok(())
    }
}

impl Checkpointer for CheckpointWriter {
    fn every(&self) -> Option<u64> {
        self.every
    }

    fn save(&mut self, engine: &mut dyn Engine, step: u64, batches: &BatchState) -> Result<()> {
        // A resumed run that stops at once has nothing new to write.
        if self.last.as_ref().is_some_and(|(last, _)| *last == step) {
            return Ok(());
        }
        self.write(engine, step, batches).with_context(|| {
            format!(
                "cannot write the checkpoint of step {step} into {}; the previous checkpoint \
                 there is untouched",
                self.root.display()
            )
        })
    }
}
