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
//! `ckpt-<step>/`, and only then is the pointer replaced (again through a temporary file and a
//! rename). A process killed at any moment therefore leaves the pointer on a complete
//! checkpoint. The newest two checkpoints are kept; leftovers of a killed write are removed by
//! the next successful one. A run holds a lock on `DIR` while it writes there
//! ([`crate::persist::lock`]), so a second run into the same folder is refused rather than
//! interleaving its checkpoints with (and pruning) the first's. The TensorFlow side (the saver
//! ops) is behind [`Engine::save_variables`], so this module never touches TensorFlow types.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};

use crate::mnist::batcher::BatchState;
use crate::mnist::dataset::DataSet;
use crate::persist::lock::DirLock;
use crate::train::{Checkpointer, Engine};

/// The pointer to the latest checkpoint inside a checkpoint folder.
pub const POINTER_FILE: &str = "checkpoint.json";
/// The run's state inside each `ckpt-<step>/` folder.
pub const STATE_FILE: &str = "state.json";
/// The saver's file prefix inside each `ckpt-<step>/` folder.
pub const VARIABLES_PREFIX: &str = "variables";
/// The two files TensorFlow's (unsharded) saver writes for a prefix.
pub const VARIABLES_FILES: [&str; 2] = ["variables.index", "variables.data-00000-of-00001"];
/// Version of `state.json`'s layout.
const FORMAT: u32 = 1;
const CKPT_PREFIX: &str = "ckpt-";
/// Names starting with this are unfinished writes.
const TMP_PREFIX: &str = ".tmp-";

/// The settings a resumed run must share with the run it continues: they shape the
/// optimisation or the batch order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub batch_size: u64,
    pub learning_rate: f32,
    pub seed: u32,
    pub validation_size: u64,
}

/// Identifies the training split, so a checkpoint is not resumed on other data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    pub train_examples: u64,
    /// CRC-32 of the training labels in file order.
    pub train_labels_crc32: u32,
}

impl DataFingerprint {
    pub fn of(train: &DataSet) -> Self {
        Self {
            train_examples: train.len() as u64,
            train_labels_crc32: crc32fast::hash(train.labels()),
        }
    }
}

/// Size and CRC-32 of one variables file, to catch a truncated or damaged checkpoint before
/// TensorFlow reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    pub name: String,
    pub bytes: u64,
    pub crc32: u32,
}

/// `state.json`: everything besides the variables that a resumed run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    pub format: u32,
    /// The manifest name of the model (`--model`).
    pub model: String,
    /// Steps trained.
    pub step: u64,
    pub settings: RunSettings,
    pub data: DataFingerprint,
    pub tensorflow_version: String,
    pub tflayers_version: String,
    pub files: Vec<FileSum>,
    /// The batch order after `step` batches: MT19937 seed and draws, order, position, epoch.
    pub batches: BatchState,
}

/// `checkpoint.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pointer {
    /// Folder name of the latest checkpoint, relative to the checkpoint folder.
    latest: String,
    step: u64,
}

/// A verified checkpoint, ready to resume from.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The `ckpt-<step>/` folder.
    pub dir: PathBuf,
    /// The checkpoint folder it belongs to (where a resumed run writes).
    pub root: PathBuf,
    pub state: CheckpointState,
}

impl Checkpoint {
    /// The prefix to hand to [`Engine::restore_variables`].
    pub fn variables_prefix(&self) -> PathBuf {
        self.dir.join(VARIABLES_PREFIX)
    }

    /// Fails unless this checkpoint can continue a run of `model` with `settings` up to
    /// `steps` steps; the errors name the flag to change.
    pub fn check_compatible(&self, model: &str, settings: &RunSettings, steps: u64) -> Result<()> {
        let s = &self.state;
        let here = self.dir.display();
        ensure!(
            s.model == model,
            "{here} is a checkpoint of model {:?}, not {model:?}: pass --model {} or resume \
             another folder",
            s.model,
            s.model
        );
        let saved = &s.settings;
        for (flag, same, was) in [
            (
                "--batch-size",
                saved.batch_size == settings.batch_size,
                saved.batch_size.to_string(),
            ),
            (
                "--learning-rate",
                saved.learning_rate == settings.learning_rate,
                saved.learning_rate.to_string(),
            ),
            (
                "--seed",
                saved.seed == settings.seed,
                saved.seed.to_string(),
            ),
            (
                "--validation-size",
                saved.validation_size == settings.validation_size,
                saved.validation_size.to_string(),
            ),
        ] {
            ensure!(
                same,
                "{here} was trained with {flag} {was}; resume with the same {flag} (or start a \
                 new run without --resume)"
            );
        }
        ensure!(
            s.step <= steps,
            "{here} is at step {} but --steps is {steps}; --steps is the total number of steps, \
             so pass --steps {} or more",
            s.step,
            s.step
        );
        Ok(())
    }

    /// Fails unless `train` is the training split the checkpoint was made on.
    pub fn check_data(&self, train: &DataSet) -> Result<()> {
        let now = DataFingerprint::of(train);
        ensure!(
            now == self.state.data,
            "{} was trained on another data set ({} training images, labels CRC {:08x}; now {} \
             and {:08x}): resume with the same --data-dir and --validation-size",
            self.dir.display(),
            self.state.data.train_examples,
            self.state.data.train_labels_crc32,
            now.train_examples,
            now.train_labels_crc32
        );
        Ok(())
    }
}

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

fn crc32_of(path: &Path) -> Result<(u64, u32)> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((bytes, hasher.finalize()))
}

/// Reads and verifies one `ckpt-<step>/` folder: `state.json` parses, and every variables
/// file has the recorded size and CRC-32.
pub fn verify(dir: &Path) -> Result<CheckpointState> {
    let state_path = dir.join(STATE_FILE);
    let text = fs::read_to_string(&state_path)
        .with_context(|| format!("cannot read {}", state_path.display()))?;
    let state: CheckpointState = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is damaged (not a tflayers checkpoint state)",
            state_path.display()
        )
    })?;
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
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let pointer: Pointer = serde_json::from_str(&text)
        .with_context(|| format!("{} is damaged (not a checkpoint pointer)", path.display()))?;
    ensure!(
        ckpt_step(&pointer.latest) == Some(pointer.step),
        "{} is damaged: it names {:?} for step {}",
        path.display(),
        pointer.latest,
        pointer.step
    );
    Ok(pointer)
}

/// Writes `bytes` to `path` through a temporary file and a rename, syncing both.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?;
    let tmp = dir.join(format!(
        "{TMP_PREFIX}{}-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> Result<()> {
        let mut file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes a rename inside `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

fn write_state(path: &Path, state: &CheckpointState) -> Result<()> {
    let json = serde_json::to_vec(state).context("cannot serialise the checkpoint state")?;
    let mut file =
        File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(&json)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the checkpoints of one run into its checkpoint folder (see the module docs).
pub struct CheckpointWriter {
    root: PathBuf,
    every: Option<u64>,
    model: String,
    settings: RunSettings,
    data: DataFingerprint,
    tensorflow_version: String,
    /// The step of the newest checkpoint of this run in `root`: it is kept beside the next.
    last_saved: Option<u64>,
    /// Where the newest checkpoint was written.
    last_dir: Option<PathBuf>,
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
        settings: RunSettings,
        data: DataFingerprint,
        tensorflow_version: &str,
    ) -> Result<Self> {
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
        Ok(Self {
            root: root.to_path_buf(),
            every,
            model: model.to_string(),
            settings,
            data,
            tensorflow_version: tensorflow_version.to_string(),
            last_saved: None,
            last_dir: None,
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
        let lock = DirLock::acquire(&from.root, "--resume")?;
        Ok(Self {
            root: from.root.clone(),
            every,
            model: from.state.model.clone(),
            settings: from.state.settings.clone(),
            data: from.state.data.clone(),
            tensorflow_version: tensorflow_version.to_string(),
            last_saved: Some(from.state.step),
            last_dir: Some(from.dir.clone()),
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
        self.last_dir.as_deref()
    }

    fn write(&mut self, engine: &mut dyn Engine, step: u64, batches: &BatchState) -> Result<()> {
        let name = ckpt_name(step);
        let tmp = self
            .root
            .join(format!("{TMP_PREFIX}{name}-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)
                .with_context(|| format!("cannot remove the leftover {}", tmp.display()))?;
        }
        let result = self.write_into(&tmp, engine, step, batches);
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        result?;
        let final_dir = self.root.join(&name);
        if final_dir.exists() {
            // A leftover of a run that was killed after this rename but before its pointer
            // update (the pointer never named it), or a checkpoint past the one resumed from.
            let aside = self
                .root
                .join(format!("{TMP_PREFIX}old-{name}-{}", std::process::id()));
            fs::rename(&final_dir, &aside)
                .with_context(|| format!("cannot move {} aside", final_dir.display()))?;
        }
        fs::rename(&tmp, &final_dir).with_context(|| {
            format!("cannot rename {} to {}", tmp.display(), final_dir.display())
        })?;
        sync_dir(&self.root)?;
        let pointer = Pointer { latest: name, step };
        let json = serde_json::to_vec_pretty(&pointer).context("cannot serialise the pointer")?;
        write_atomically(&self.root.join(POINTER_FILE), &json)?;
        let previous = self.last_saved.replace(step);
        self.last_dir = Some(final_dir.clone());
        self.prune(step, previous)?;
        if self.verbose {
            eprintln!("Checkpoint: step {step} -> {}", final_dir.display());
        }
        Ok(())
    }

    fn write_into(
        &self,
        tmp: &Path,
        engine: &mut dyn Engine,
        step: u64,
        batches: &BatchState,
    ) -> Result<()> {
        fs::create_dir_all(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        engine.save_variables(&tmp.join(VARIABLES_PREFIX))?;
        let mut files = Vec::new();
        for name in VARIABLES_FILES {
            let path = tmp.join(name);
            ensure!(
                path.is_file(),
                "TensorFlow's saver did not write {}",
                path.display()
            );
            let (bytes, crc32) = crc32_of(&path)?;
            files.push(FileSum {
                name: name.to_string(),
                bytes,
                crc32,
            });
            File::open(&path)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot sync {}", path.display()))?;
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
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
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
        if self.last_saved == Some(step) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::batcher::Batcher;
    use crate::train::{BatchMetrics, Evaluation};

    /// An engine whose "variables" are one number, written as two small files.
    struct Fake {
        value: u8,
        fail_save: bool,
    }

    impl Engine for Fake {
        fn batch_buffers(&mut self) -> (&mut [f32], &mut [f32]) {
            (&mut [], &mut [])
        }
        fn train_batch(&mut self, _dropout: bool) -> Result<()> {
            Ok(())
        }
        fn batch_metrics(&mut self) -> Result<BatchMetrics> {
            unreachable!()
        }
        fn evaluate(&mut self, _images: &[f32], _labels: &[f32]) -> Result<Evaluation> {
            unreachable!()
        }
        fn save_variables(&mut self, prefix: &Path) -> Result<()> {
            let index = prefix.with_extension("index");
            fs::write(&index, [self.value; 10])?;
            if self.fail_save {
                bail!("disk full (simulated)");
            }
            fs::write(
                prefix.with_extension("data-00000-of-00001"),
                [self.value; 100],
            )?;
            Ok(())
        }
    }

    fn settings() -> RunSettings {
        RunSettings {
            batch_size: 10,
            learning_rate: 1e-4,
            seed: 3,
            validation_size: 5,
        }
    }

    fn fingerprint() -> DataFingerprint {
        DataFingerprint {
            train_examples: 40,
            train_labels_crc32: 7,
        }
    }

    /// A new run's writer for `root` (every 5 steps), or why it is refused.
    fn try_writer(root: &Path) -> Result<CheckpointWriter> {
        CheckpointWriter::create(root, Some(5), "dense", settings(), fingerprint(), "2.21.0")
    }

    fn writer(root: &Path) -> CheckpointWriter {
        let mut w = try_writer(root).unwrap();
        w.verbose = false;
        w
    }

    fn batches(steps: usize) -> BatchState {
        let mut batcher = Batcher::new(40, 3).unwrap();
        let mut indices = [0u32; 10];
        for _ in 0..steps {
            batcher.next_batch_indices_into(&mut indices).unwrap();
        }
        batcher.state()
    }

    fn names(root: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_verifies_and_keeps_the_newest_two() {
        let root = tempfile::tempdir().unwrap();
        let mut w = writer(root.path());
        for step in [5, 10, 15] {
            let mut engine = Fake {
                value: step as u8,
                fail_save: false,
            };
            w.save(&mut engine, step, &batches(step as usize)).unwrap();
        }
        assert_eq!(
            names(root.path()),
            ["checkpoint.json", "ckpt-10", "ckpt-15"]
        );
        let ckpt = open_for_resume(root.path()).unwrap();
        assert_eq!(ckpt.state.step, 15);
        assert_eq!(ckpt.dir, root.path().join("ckpt-15"));
        assert_eq!(ckpt.state.batches, batches(15));
        assert_eq!(ckpt.state.settings, settings());
        ckpt.check_compatible("dense", &settings(), 15).unwrap();
        // A specific checkpoint folder can be resumed too.
        let older = open_for_resume(&root.path().join("ckpt-10")).unwrap();
        assert_eq!(older.state.step, 10);
        assert_eq!(older.root, root.path());
    }

    #[test]
    fn a_failed_write_leaves_the_previous_checkpoint_in_charge() {
        let root = tempfile::tempdir().unwrap();
        let mut w = writer(root.path());
        let mut good = Fake {
            value: 1,
            fail_save: false,
        };
        w.save(&mut good, 5, &batches(5)).unwrap();
        let mut bad = Fake {
            value: 2,
            fail_save: true,
        };
        let err = format!("{:#}", w.save(&mut bad, 10, &batches(10)).unwrap_err());
        assert!(err.contains("step 10"), "{err}");
        assert!(err.contains("disk full"), "{err}");
        assert_eq!(names(root.path()), ["checkpoint.json", "ckpt-5"]);
        assert_eq!(open_for_resume(root.path()).unwrap().state.step, 5);
    }

    #[test]
    fn leftovers_of_a_killed_write_are_ignored_and_then_removed() {
        let root = tempfile::tempdir().unwrap();
        let mut w = writer(root.path());
        let mut engine = Fake {
            value: 1,
            fail_save: false,
        };
        w.save(&mut engine, 5, &batches(5)).unwrap();
        // Killed while writing step 10: a partial temporary folder.
        let partial = root.path().join(".tmp-ckpt-10-99999");
        fs::create_dir(&partial).unwrap();
        fs::write(partial.join("variables.index"), b"half").unwrap();
        // Killed after the rename of step 10 but before the pointer moved.
        w.write_into(&root.path().join("x"), &mut engine, 10, &batches(10))
            .unwrap();
        fs::rename(root.path().join("x"), root.path().join("ckpt-10")).unwrap();
        assert_eq!(open_for_resume(root.path()).unwrap().state.step, 5);
        drop(w); // the killed run is gone
                 // The resumed run writes step 10 again, replacing the orphan, and cleans up.
        let ckpt = open_for_resume(root.path()).unwrap();
        let mut resumed = CheckpointWriter::resuming(&ckpt, Some(5), "2.21.0").unwrap();
        resumed.verbose = false;
        resumed.save(&mut engine, 10, &batches(10)).unwrap();
        assert_eq!(names(root.path()), ["checkpoint.json", "ckpt-10", "ckpt-5"]);
        assert_eq!(open_for_resume(root.path()).unwrap().state.step, 10);
    }

    #[test]
    fn truncation_and_damage_are_caught_and_an_intact_one_is_suggested() {
        let root = tempfile::tempdir().unwrap();
        let mut w = writer(root.path());
        let mut engine = Fake {
            value: 1,
            fail_save: false,
        };
        w.save(&mut engine, 5, &batches(5)).unwrap();
        w.save(&mut engine, 10, &batches(10)).unwrap();
        let data = root.path().join("ckpt-10/variables.data-00000-of-00001");
        fs::write(&data, [1u8; 40]).unwrap();
        let err = format!("{:#}", open_for_resume(root.path()).unwrap_err());
        assert!(err.contains("truncated"), "{err}");
        assert!(err.contains("variables.data-00000-of-00001"), "{err}");
        assert!(err.contains("--resume") && err.contains("ckpt-5"), "{err}");
        fs::write(&data, [2u8; 100]).unwrap();
        let err = format!("{:#}", open_for_resume(root.path()).unwrap_err());
        assert!(err.contains("CRC-32"), "{err}");
        fs::write(root.path().join("ckpt-10").join(STATE_FILE), b"{\"form").unwrap();
        let err = format!("{:#}", open_for_resume(root.path()).unwrap_err());
        assert!(err.contains("state.json is damaged"), "{err}");
    }

    #[test]
    fn resume_errors_name_the_folder_and_what_to_do() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("nope");
        let err = format!("{:#}", open_for_resume(&missing).unwrap_err());
        assert!(
            err.contains("no such folder") && err.contains("nope"),
            "{err}"
        );
        let err = format!("{:#}", open_for_resume(root.path()).unwrap_err());
        assert!(err.contains("holds no checkpoint"), "{err}");
        assert!(err.contains("--checkpoint-dir"), "{err}");
        let mut w = writer(root.path());
        let mut engine = Fake {
            value: 1,
            fail_save: false,
        };
        w.save(&mut engine, 5, &batches(5)).unwrap();
        fs::remove_file(root.path().join(POINTER_FILE)).unwrap();
        let err = format!("{:#}", open_for_resume(root.path()).unwrap_err());
        assert!(err.contains("checkpoint.json is missing"), "{err}");
        assert!(err.contains("ckpt-5"), "{err}");
    }

    #[test]
    fn a_folder_another_run_writes_into_is_refused_and_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let mut w = writer(root.path());
        let mut engine = Fake {
            value: 1,
            fail_save: false,
        };
        w.save(&mut engine, 5, &batches(5)).unwrap();
        let before = names(root.path());
        let ckpt = open_for_resume(root.path()).unwrap();
        let err = CheckpointWriter::resuming(&ckpt, Some(5), "2.21.0")
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("--resume"), "{err:#}");
        assert!(format!("{err:#}").contains("is in use"), "{err:#}");
        let err = try_writer(root.path()).err().unwrap();
        assert!(format!("{err:#}").contains("is in use"), "{err:#}");
        assert_eq!(names(root.path()), before);
        // The first run goes on writing; once it ends, the folder can be resumed.
        w.save(&mut engine, 10, &batches(10)).unwrap();
        drop(w);
        let ckpt = open_for_resume(root.path()).unwrap();
        assert_eq!(ckpt.state.step, 10);
        CheckpointWriter::resuming(&ckpt, Some(5), "2.21.0").unwrap();
    }

    #[test]
    fn a_new_run_refuses_a_folder_with_checkpoints() {
        let root = tempfile::tempdir().unwrap();
        let mut w = writer(root.path());
        let mut engine = Fake {
            value: 1,
            fail_save: false,
        };
        w.save(&mut engine, 5, &batches(5)).unwrap();
        drop(w); // that run ended
        let err = try_writer(root.path()).err().unwrap().to_string();
        assert!(err.contains("already holds checkpoints"), "{err}");
        assert!(err.contains("--resume"), "{err}");
    }

    #[test]
    fn incompatible_settings_name_the_flag() {
        let root = tempfile::tempdir().unwrap();
        let mut w = writer(root.path());
        let mut engine = Fake {
            value: 1,
            fail_save: false,
        };
        w.save(&mut engine, 5, &batches(5)).unwrap();
        let ckpt = open_for_resume(root.path()).unwrap();
        let err = ckpt
            .check_compatible("hidden", &settings(), 10)
            .unwrap_err();
        assert!(err.to_string().contains("--model dense"), "{err}");
        let mut other = settings();
        other.seed = 4;
        let err = ckpt.check_compatible("dense", &other, 10).unwrap_err();
        assert!(err.to_string().contains("--seed 3"), "{err}");
        let err = ckpt.check_compatible("dense", &settings(), 4).unwrap_err();
        assert!(err.to_string().contains("--steps 5 or more"), "{err}");
    }
}
