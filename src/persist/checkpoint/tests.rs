//! Writing, pruning, verifying and resuming checkpoints, with an engine that writes two small
//! files instead of TensorFlow variables.

use std::fs;
use std::path::Path;

use anyhow::{bail, Result};

use super::*;
use crate::config::RunConfig;
use crate::mnist::batcher::{BatchState, Batcher};
use crate::train::{BatchMetrics, Checkpointer, Engine, Evaluation};

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

/// A run of `dense` up to `steps`.
fn settings_for(steps: u64) -> RunConfig {
    RunConfig {
        model: "dense".into(),
        steps,
        batch_size: 10,
        learning_rate: 1e-4,
        seed: 3,
        validation_size: 5,
        ..RunConfig::default()
    }
}

fn settings() -> RunConfig {
    settings_for(15)
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

/// An engine that saves `value` and succeeds.
fn engine(value: u8) -> Fake {
    Fake {
        value,
        fail_save: false,
    }
}

/// A new run's writer for `root` that has written the step-5 checkpoint, and its engine.
fn one_checkpoint(root: &Path) -> (CheckpointWriter, Fake) {
    let mut w = writer(root);
    let mut engine = engine(1);
    w.save(&mut engine, 5, &batches(5)).unwrap();
    (w, engine)
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
        let mut engine = engine(step as u8);
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
    ckpt.check_compatible(&settings()).unwrap();
    // A specific checkpoint folder can be resumed too.
    let older = open_for_resume(&root.path().join("ckpt-10")).unwrap();
    assert_eq!(older.state.step, 10);
    assert_eq!(older.root, root.path());
}

#[test]
fn a_failed_write_leaves_the_previous_checkpoint_in_charge() {
    let root = tempfile::tempdir().unwrap();
    let mut w = writer(root.path());
    w.save(&mut engine(1), 5, &batches(5)).unwrap();
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
    let (w, mut engine) = one_checkpoint(root.path());
    // Killed while writing step 10: a partial temporary folder.
    let partial = root.path().join(".tmp-ckpt-10-99999");
    fs::create_dir(&partial).unwrap();
    fs::write(partial.join("variables.index"), b"half").unwrap();
    // Killed while replacing the pointer: a temporary file of the atomic writer.
    let pointer_part = format!("{}{POINTER_FILE}-x1y2z3", crate::fsx::TEMP_PREFIX);
    fs::write(root.path().join(pointer_part), b"{\"latest\": \"ckpt-1").unwrap();
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
    let (mut w, mut engine) = one_checkpoint(root.path());
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
    let _run = one_checkpoint(root.path());
    fs::remove_file(root.path().join(POINTER_FILE)).unwrap();
    let err = format!("{:#}", open_for_resume(root.path()).unwrap_err());
    assert!(err.contains("checkpoint.json is missing"), "{err}");
    assert!(err.contains("ckpt-5"), "{err}");
}

#[test]
fn a_folder_another_run_writes_into_is_refused_and_left_alone() {
    let root = tempfile::tempdir().unwrap();
    let (mut w, mut engine) = one_checkpoint(root.path());
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
    let (w, _) = one_checkpoint(root.path());
    drop(w); // that run ended
    let err = try_writer(root.path()).err().unwrap().to_string();
    assert!(err.contains("already holds checkpoints"), "{err}");
    assert!(err.contains("--resume"), "{err}");
}

#[test]
fn incompatible_settings_name_the_flag() {
    let root = tempfile::tempdir().unwrap();
    let _run = one_checkpoint(root.path());
    let ckpt = open_for_resume(root.path()).unwrap();
    let err = ckpt
        .check_compatible(&settings_for(10).for_model("hidden"))
        .unwrap_err();
    assert!(err.to_string().contains("--model dense"), "{err}");
    let mut other = settings_for(10);
    other.seed = 4;
    let err = ckpt.check_compatible(&other).unwrap_err();
    assert!(err.to_string().contains("--seed 3"), "{err}");
    let err = ckpt.check_compatible(&settings_for(4)).unwrap_err();
    assert!(err.to_string().contains("--steps 5 or more"), "{err}");
}
