//! Build script: links the binary against the libtensorflow inside the pinned Python wheel.
//!
//! `make setup` writes `.venv/libtensorflow/tensorflow.pc`; `tensorflow-sys` finds it through
//! `PKG_CONFIG_PATH` (set in `.cargo/config.toml`). This script adds an rpath to the wheel's own
//! `tensorflow/` folder, so the binary runs without `LD_LIBRARY_PATH` and a CUDA wheel finds its
//! `nvidia-*` libraries, and it fails the build when the TensorFlow version pinned in
//! `python/requirements.txt`, the one recorded in `models/manifest.json` and the one installed
//! in the venv drift apart.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::exit;

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    exit(1);
}

/// Value of `key=` (a variable) or `Key:` (a field) in a pkg-config file.
fn pc_value(pc: &str, key: &str) -> Option<String> {
    pc.lines().find_map(|line| {
        line.strip_prefix(key)
            .map(|rest| rest.trim_start_matches(['=', ':']).trim().to_string())
    })
}

/// The TensorFlow version pinned in requirements.txt (`tensorflow-cpu==X` or `tensorflow==X`).
fn pinned_version(requirements: &str) -> Option<String> {
    requirements.lines().find_map(|line| {
        let line = line.split('#').next()?.trim();
        let (name, version) = line.split_once("==")?;
        let name = name.split('[').next()?.trim();
        matches!(name, "tensorflow" | "tensorflow-cpu").then(|| version.trim().to_string())
    })
}

/// The `"tensorflow_version"` string of the manifest.
fn manifest_version(manifest: &str) -> Option<String> {
    let manifest: serde_json::Value = serde_json::from_str(manifest).ok()?;
    manifest
        .get("tensorflow_version")?
        .as_str()
        .map(str::to_string)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())))
}

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let requirements = root.join("python/requirements.txt");
    let manifest = root.join("models/manifest.json");
    println!("cargo:rerun-if-changed={}", requirements.display());
    println!("cargo:rerun-if-changed={}", manifest.display());
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let pinned = pinned_version(&read(&requirements))
        .unwrap_or_else(|| fail("python/requirements.txt pins no tensorflow-cpu==VERSION"));
    let recorded = manifest_version(&read(&manifest))
        .unwrap_or_else(|| fail("models/manifest.json has no \"tensorflow_version\""));
    if pinned != recorded {
        fail(&format!(
            "TensorFlow versions drifted apart: python/requirements.txt pins {pinned}, \
             models/manifest.json records {recorded}; make them agree, then run `make setup models`"
        ));
    }

    let pc_dir = env::var("PKG_CONFIG_PATH")
        .ok()
        .and_then(|p| p.split(':').next().map(PathBuf::from))
        .unwrap_or_else(|| root.join(".venv/libtensorflow"));
    let pc_path = pc_dir.join("tensorflow.pc");
    println!("cargo:rerun-if-changed={}", pc_path.display());
    let Ok(pc) = fs::read_to_string(&pc_path) else {
        fail(&format!(
            "{} not found: libtensorflow is not set up; run `make setup`",
            pc_path.display()
        ));
    };
    let installed = pc_value(&pc, "Version").unwrap_or_default();
    if installed != pinned {
        fail(&format!(
            "the venv has TensorFlow {installed} but python/requirements.txt pins {pinned}; \
             run `make setup`"
        ));
    }
    let wheel_dir = pc_value(&pc, "wheeldir")
        .unwrap_or_else(|| fail(&format!("{} has no wheeldir= line", pc_path.display())));
    println!("cargo:rustc-link-arg=-Wl,-rpath,{wheel_dir}");
    println!("cargo:rustc-env=TFLAYERS_TF_WHEEL_DIR={wheel_dir}");
}
