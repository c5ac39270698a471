//! The data folder a command was given, checked before anything is read or downloaded: a file
//! where a folder belongs is named with the folder it sits in, and a folder that does not
//! exist is reported first (with the nearest sibling name when one is close) instead of
//! being downloaded into. Only the data set's default folder is created and filled on its
//! own; any other folder is downloaded into when it exists or through `tflayers download`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::catalog::DatasetKind;

/// How close a sibling's name must be to count as what the user meant (normalised
/// Damerau-Levenshtein similarity, 1.0 for equal names).
const NEAR_MATCH: f64 = 0.7;

/// Refuses a `dir` that is a file, naming the folder to pass instead.
pub fn refuse_file(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        let parent = match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        bail!(
            "--data-dir {} is a file, not a folder: pass the folder that holds the four .gz \
             files, e.g. --data-dir {}",
            dir.display(),
            parent.display()
        );
    }
    Ok(())
}

/// The sibling folder of `dir` whose name is nearest to `dir`'s, if one is near enough.
pub fn near_match(dir: &Path) -> Option<PathBuf> {
    let name = dir.file_name()?.to_str()?;
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::read_dir(parent)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| {
            let other = entry.file_name().to_str()?.to_string();
            let score = strsim::normalized_damerau_levenshtein(name, &other);
            (score >= NEAR_MATCH).then_some((score, other))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, other)| dir.with_file_name(other))
}

/// Checks the data folder of `kind` before files are looked for: a file is refused
/// ([`refuse_file`]), and a missing folder other than the data set's default is reported
/// with its nearest sibling, and how to download into it on purpose.
pub fn check_data_dir(kind: DatasetKind, dir: &Path) -> Result<()> {
    refuse_file(dir)?;
    if dir.exists() || dir == kind.default_dir() {
        return Ok(());
    }
    let near = match near_match(dir) {
        Some(other) => format!(" (did you mean {}?)", other.display()),
        None => String::new(),
    };
    bail!(
        "--data-dir {} does not exist{near}; check the path (or TFLAYERS_DATA_DIR), or run \
         `tflayers download --dataset {} --data-dir {}` to download {} into it",
        dir.display(),
        kind.id(),
        dir.display(),
        kind.title()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_named_with_its_nearest_sibling() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("mnist")).unwrap();
        fs::create_dir(root.path().join("other")).unwrap();
        let typo = root.path().join("mnsit");
        let err = check_data_dir(DatasetKind::Mnist, &typo)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(&format!("--data-dir {} does not exist", typo.display())));
        assert!(
            err.contains(&format!(
                "(did you mean {}?)",
                root.path().join("mnist").display()
            )),
            "{err}"
        );
        assert!(err.contains("tflayers download --dataset mnist"), "{err}");
        let far = root.path().join("zzzzzzzz");
        let err = check_data_dir(DatasetKind::Mnist, &far)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("did you mean"), "{err}");
        check_data_dir(DatasetKind::Mnist, root.path()).unwrap();
        // The default folder may be missing: it is created and filled.
        check_data_dir(DatasetKind::Mnist, &DatasetKind::Mnist.default_dir()).unwrap();
    }

    #[test]
    fn a_file_is_named_with_its_folder() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("train-images-idx3-ubyte.gz");
        fs::write(&file, b"x").unwrap();
        let err = check_data_dir(DatasetKind::Mnist, &file)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a file, not a folder"), "{err}");
        assert!(
            err.ends_with(&format!("--data-dir {}", root.path().display())),
            "{err}"
        );
    }
}
