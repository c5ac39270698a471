//! The layout rules of docs/architecture.md, checked on the source: `tensorflow` is imported
//! under src/tf/ alone, `clap` under src/cli/ and src/main.rs alone, nothing outside src/cli/
//! and main.rs uses `cli`, and no two top-level modules of the crate import each other,
//! directly or through others (test code aside).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its production part (before `#[cfg(test)]`; files named
/// `tests.rs` hold only tests and are left out).
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                let text = fs::read_to_string(&path).unwrap();
                let production = text.split("#[cfg(test)]").next().unwrap().to_string();
                out.push((path, production));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &mut out);
    out.into_iter()
        .map(|(path, text)| (path.strip_prefix(&root).unwrap().to_path_buf(), text))
        .collect()
}

fn top_module(path: &Path) -> String {
    let first = path
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn users_of(pattern: &str) -> BTreeSet<String> {
    sources()
        .into_iter()
        .filter(|(_, text)| text.lines().any(|l| l.contains(pattern)))
        .map(|(path, _)| path.display().to_string())
        .collect()
}

#[test]
fn tensorflow_is_imported_under_src_tf_alone() {
    let users = users_of("tensorflow::");
    assert!(users.iter().any(|p| p.starts_with("tf/")), "{users:?}");
    let outside: Vec<_> = users.iter().filter(|p| !p.starts_with("tf/")).collect();
    assert!(
        outside.is_empty(),
        "tensorflow used outside src/tf: {outside:?}"
    );
}

#[test]
fn clap_and_the_cli_module_stay_in_cli_and_main() {
    let allowed = |p: &String| p.starts_with("cli/") || p == "main.rs";
    let clap = users_of("clap::");
    assert!(clap.contains("main.rs") && clap.len() > 1, "{clap:?}");
    let outside: Vec<_> = clap.iter().filter(|p| !allowed(p)).collect();
    assert!(outside.is_empty(), "clap used outside src/cli: {outside:?}");
    let mut cli = users_of("crate::cli");
    cli.extend(users_of("tflayers::cli"));
    let outside: Vec<_> = cli.iter().filter(|p| !allowed(p)).collect();
    assert!(outside.is_empty(), "cli used outside src/cli: {outside:?}");
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources() {
        let from = top_module(&path);
        if ["main", "lib", "build"].contains(&from.as_str()) {
            continue;
        }
        for piece in text.split("crate::").skip(1) {
            let to: String = piece
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !to.is_empty() && to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    assert!(edges.len() > 10, "too few modules read: {edges:?}");
    // Depth-first search from each module for a path back to itself.
    for start in edges.keys() {
        let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = path.last().unwrap();
            for next in edges.get(last).into_iter().flatten() {
                assert!(
                    next != start,
                    "import cycle: {} -> {next}",
                    path.join(" -> ")
                );
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
}
