//! The program's one way of writing a file so that the name always holds a complete file.
//!
//! [`write_atomically`] puts the bytes in a temporary file beside the target (through the
//! `tempfile` crate), syncs it, renames it over the target and syncs the folder: an
//! interrupted run never leaves a half-written report, figure, pointer or stamp file where a
//! good one was. The file gets the permissions any new file of the user gets (0666 less the
//! umask), not the owner-only ones of a temporary file. Temporary names start with
//! [`TEMP_PREFIX`], which is how the checkpoint writer recognises leftovers to remove.
//! [`replace_dir`] does the same for whole folders (checkpoints, trained models), and
//! [`read_json`] / [`write_json`] are the one way the program's small JSON files are read and
//! written.
//!
//! [`check_output`] is the one rule for every path a flag names as an output, applied before
//! any work: the extension must be one the flag's format uses, a missing parent folder is
//! created, and the folder must accept a new file. Errors name the flag and the user's path,
//! never a temporary name.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How the name of an unfinished write starts (`.tmp-<name>-<random>`).
pub const TEMP_PREFIX: &str = ".tmp-";

/// The extension of `path` in lower case (`a.PNG` -> `png`), which is how every writer picks a
/// format from the name it is given.
pub fn lowercase_extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// The folder holding `path` (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What an output flag names.
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    /// A file in one of these formats, by lower-case extension (the first is the usual one).
    File(&'a [&'a str]),
    /// A folder the command creates or fills.
    Folder,
}

/// Checks, before any work, that `path` (given with `flag`) can be written as `kind`: a file's
/// extension is one its format uses, a file is not an existing folder (nor a folder an
/// existing file), the parent folder exists (created if missing) and a new file can be
/// created in the folder that will hold it. Each error names the flag and `path`.
pub fn check_output(flag: &str, path: &Path, kind: Output<'_>) -> Result<()> {
    let shown = path.display();
    if let Output::File(extensions) = kind {
        let extension = lowercase_extension(path);
        if !extensions.is_empty()
            && !extension
                .as_deref()
                .is_some_and(|ext| extensions.contains(&ext))
        {
            let expected: Vec<String> = extensions.iter().map(|e| format!(".{e}")).collect();
            bail!(
                "{flag} {shown}: the file name must end in {}, the format this flag writes",
                expected.join(" or ")
            );
        }
        ensure!(
            !path.is_dir(),
            "{flag} {shown}: this is a folder; name a file inside it"
        );
        ensure!(
            path.file_name().is_some(),
            "{flag} {shown}: the path does not name a file"
        );
    } else {
        ensure!(
            !path.exists() || path.is_dir(),
            "{flag} {shown}: a file of that name exists; name a folder"
        );
    }
    let holder = match kind {
        Output::Folder if path.is_dir() => path.to_path_buf(),
        _ => parent_of(path),
    };
    fs::create_dir_all(&holder).with_context(|| {
        format!(
            "{flag} {shown}: cannot create the folder {}",
            holder.display()
        )
    })?;
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(&holder)
        .with_context(|| {
            format!(
                "{flag} {shown}: cannot create files in the folder {}",
                holder.display()
            )
        })?;
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same folder (created if needed).
/// Errors name `path`, never the temporary file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_of(path);
    fs::create_dir_all(&dir).with_context(|| {
        format!(
            "cannot write {}: cannot create the folder {}",
            path.display(),
            dir.display()
        )
    })?;
    let name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let prefix = format!("{TEMP_PREFIX}{}-", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // `rw-rw-rw-`, which creating the file narrows by the umask, as for any new file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    // Dropping the temporary file on an error below removes it.
    let mut temp = builder.tempfile_in(&dir).with_context(|| {
        format!(
            "cannot write {}: cannot create a file in {}",
            path.display(),
            dir.display()
        )
    })?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    sync_dir(&dir)
}

/// Writes `value` as pretty JSON to `path` ([`write_atomically`]).
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let json = serde_json::to_vec_pretty(value)
        .with_context(|| format!("cannot serialise {}", path.display()))?;
    write_atomically(path, &json)
}

/// Reads the JSON file at `path`; `what` names the expected content for the error when it does
/// not parse (`... is damaged (not a WHAT)`).
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is damaged (not {what})", path.display()))
}

/// Builds a folder under the temporary name `tmp` (a sibling of `target`) with `fill`, then
/// renames it to `target`, so that `target` only ever names a complete folder. A leftover
/// `tmp` is removed first, a failed one afterwards; an existing `target` is first renamed to
/// `old` (and put back if the last rename fails), which the caller removes when it likes.
pub fn replace_dir(
    target: &Path,
    tmp: &Path,
    old: &Path,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    if tmp.exists() {
        fs::remove_dir_all(tmp)
            .with_context(|| format!("cannot remove the leftover {}", tmp.display()))?;
    }
    if let Err(err) = fill(tmp) {
        let _ = fs::remove_dir_all(tmp);
        return Err(err);
    }
    let moved = target.exists();
    if moved {
        fs::rename(target, old)
            .with_context(|| format!("cannot move the old {} aside", target.display()))?;
    }
    if let Err(err) = fs::rename(tmp, target) {
        if moved {
            let _ = fs::rename(old, target);
        }
        let _ = fs::remove_dir_all(tmp);
        return Err(err)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), target.display()));
    }
    sync_dir(tmp.parent().unwrap_or(Path::new(".")))
}

/// Makes the renames inside `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/er/out.md");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_gets_the_permissions_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        fs::File::create(&plain).unwrap();
        let written = dir.path().join("written.json");
        write_atomically(&written, b"{}").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // Before: 0600 from the temporary file, whatever the umask.
        assert_eq!(mode(&written), mode(&plain));
    }

    #[test]
    fn outputs_follow_one_rule() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // A missing parent is created; nothing else is left behind.
        let deep = root.join("a/b/m.jsonl");
        check_output("--metrics", &deep, Output::File(&["jsonl", "csv"])).unwrap();
        assert!(root.join("a/b").is_dir());
        assert_eq!(fs::read_dir(root.join("a/b")).unwrap().count(), 0);
        // The extension is checked, naming the flag, the path and what is expected.
        let err = check_output("--out", &root.join("x.jpg"), Output::File(&["png"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--out ") && err.contains("x.jpg"), "{err}");
        assert!(err.contains("must end in .png"), "{err}");
        let err = check_output("--m", &root.join("x"), Output::File(&["jsonl", "csv"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("must end in .jsonl or .csv"), "{err}");
        // A file where a folder is needed, and the other way round.
        let file = root.join("file.png");
        fs::write(&file, b"x").unwrap();
        let err = format!(
            "{:#}",
            check_output("--metrics", &file.join("m.csv"), Output::File(&["csv"])).unwrap_err()
        );
        assert!(
            err.contains("--metrics ") && err.contains("cannot create the folder"),
            "{err}"
        );
        let err = check_output("--report", &file, Output::Folder)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a file of that name exists"), "{err}");
        let err = check_output("--out", &root.join("a.png"), Output::File(&["png"]));
        assert!(err.is_ok());
        fs::create_dir(root.join("d.png")).unwrap();
        let err = check_output("--out", &root.join("d.png"), Output::File(&["png"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("this is a folder"), "{err}");
        check_output("--report", &root.join("new/report"), Output::Folder).unwrap();
        assert!(root.join("new").is_dir() && !root.join("new/report").exists());
    }

    #[test]
    fn errors_name_the_path_not_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        let target = file.join("out.md");
        let err = format!("{:#}", write_atomically(&target, b"x").unwrap_err());
        assert!(
            err.starts_with(&format!("cannot write {}", target.display())),
            "{err}"
        );
        assert!(!err.contains(TEMP_PREFIX), "{err}");
    }

    #[test]
    fn a_path_without_a_file_name_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(&dir.path().join(".."), b"x").unwrap_err();
        assert!(err.to_string().contains("does not name a file"), "{err}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.json");
        write_atomically(&path, b"old").unwrap();
        // A folder in the way of the rename makes the last step fail.
        let blocked = dir.path().join("blocked");
        fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(write_atomically(&blocked, b"new").is_err());
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["blocked", "kept.json"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
    }
}
