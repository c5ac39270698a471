//! The data folder a command is given: a mistyped folder is reported first (with the nearest
//! sibling) instead of being downloaded into, a file where a folder belongs is named with its
//! folder, a failed download is summarised once, and the loading note says which absolute
//! folder a relative path meant.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn train(data_dir: &Path) -> Command {
    common::train("dense", 1, 10, data_dir)
}

#[test]
fn a_mistyped_folder_is_named_first_and_not_downloaded_into() {
    let root = tempfile::tempdir().unwrap();
    let real = root.path().join("mnist");
    fs::create_dir(&real).unwrap();
    let typo = root.path().join("mnsit");
    // A mirror where connections are refused: a download attempt would show up in the output.
    let refusing = common::ports::refusing_port();
    let output = train(&typo)
        .args(["--retries", "0", "--mirror"])
        .arg(format!("http://127.0.0.1:{}/", refusing.port))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: --data-dir {} does not exist (did you mean {}?)",
            typo.display(),
            real.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("downloading"), "{stderr}");
    assert!(!typo.exists());
}

#[test]
fn a_file_given_as_the_folder_is_named_with_its_folder() {
    let data = common::tiny_mnist();
    let file = data.path().join("train-images-idx3-ubyte.gz");
    let before = fs::read(&file).unwrap();
    train(&file)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "error: --data-dir {} is a file, not a folder: pass the folder that holds the four \
             .gz files, e.g. --data-dir {}",
            file.display(),
            data.path().display()
        )));
    assert_eq!(fs::read(&file).unwrap(), before);
}

#[test]
fn a_failed_download_is_summarised_once() {
    let root = tempfile::tempdir().unwrap();
    let refusing = common::ports::refusing_port();
    let mirror = format!("http://127.0.0.1:{}/", refusing.port);
    let output = common::tflayers()
        .args([
            "download",
            "--retries",
            "1",
            "--mirror",
            &mirror,
            "--data-dir",
        ])
        .arg(root.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let url = format!("{mirror}train-images-idx3-ubyte.gz");
    // Two "downloading" lines (one per round), the summary line, the by-hand hint.
    assert_eq!(stderr.matches(&url).count(), 4, "{stderr}");
    assert_eq!(stderr.matches("cannot connect").count(), 1, "{stderr}");
    assert!(stderr.contains("(2 times)"), "{stderr}");
    assert!(
        !stderr.contains("error sending request for url"),
        "{stderr}"
    );
}

#[test]
fn the_loading_note_names_the_absolute_folder() {
    let data = common::tiny_mnist();
    let parent = data.path().parent().unwrap();
    let name = data.path().file_name().unwrap();
    let output = train(Path::new(name))
        .arg("--offline")
        .current_dir(parent)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("Loaded MNIST from {}:", data.path().display())),
        "{stderr}"
    );
}

#[test]
fn data_info_and_show_name_a_file_with_its_folder() {
    let data = common::tiny_mnist();
    let file = data.path().join("t10k-labels-idx1-ubyte.gz");
    let work = tempfile::tempdir().unwrap();
    for args in [
        vec!["data", "info"],
        vec!["data", "show", "--index", "0", "--out", "d.png"],
    ] {
        common::tflayers()
            .args(&args)
            .arg("--data-dir")
            .arg(&file)
            .current_dir(work.path())
            .assert()
            .code(1)
            .stderr(predicates::str::contains(format!(
                "is a file, not a folder: pass the folder that holds the four .gz files, e.g. \
                 --data-dir {}",
                data.path().display()
            )));
    }
    assert_eq!(fs::read_dir(work.path()).unwrap().count(), 0);
}
