//! Help pages a person can scan: every option of every subcommand sits under the heading of
//! its group, `-h` fits on a screen, defaults are stated as the program applies them, and
//! renamed flags keep working without showing twice.

mod common;

use predicates::prelude::*;

/// The lines a short help page may take (a terminal of 50 rows).
const SCREEN_LINES: usize = 50;

/// The heading each option belongs under, by its id (the field name), with the few ids whose
/// group depends on the subcommand.
fn expected_heading(subcommand: &str, id: &str) -> Option<&'static str> {
    Some(match (subcommand, id) {
        ("compare", "model" | "all" | "tolerance" | "python" | "python_seed") => "Comparison",
        (
            "bench",
            "models" | "repeat" | "warmup" | "breakdown" | "no_processes" | "reproduce" | "onednn"
            | "python",
        ) => "Bench",
        ("evaluate", "model_dir" | "split") => "Evaluation",
        ("reproduce", "models") => "Training",
        (_, "model" | "steps" | "batch_size" | "learning_rate" | "seed" | "log_every") => {
            "Training"
        }
        (
            _,
            "eval_batch_size" | "intra_op_threads" | "inter_op_threads" | "log_device_placement",
        ) => "Performance",
        (
            _,
            "dataset"
            | "data_dir"
            | "validation_size"
            | "models_dir"
            | "offline"
            | "allow_unpublished_data",
        ) => "Data and models",
        (
            _,
            "mirrors"
            | "read_timeout"
            | "retries"
            | "connect_timeout"
            | "target"
            | "operation_timeout_secs",
        ) => "Network",
        (_, "checkpoint_dir" | "checkpoint_every" | "resume" | "save" | "overwrite") => {
            "Checkpoints and the trained model"
        }
        (
            _,
            "metrics" | "tensorboard" | "quiet" | "report" | "json" | "confusion_png"
            | "predictions" | "save_inputs",
        ) => "Outputs",
        _ => return None,
    })
}

/// The subcommands whose every option must sit under a group heading.
const GROUPED: [&str; 5] = ["train", "evaluate", "compare", "reproduce", "bench"];

fn options(command: &clap::Command) -> impl Iterator<Item = &clap::Arg> {
    command
        .get_arguments()
        .filter(|arg| !arg.is_positional() && !["help", "version"].contains(&arg.get_id().as_str()))
}

#[test]
fn every_option_sits_under_the_heading_of_its_group() {
    let mut command = tflayers::cli::command();
    command.build();
    let mut wrong = Vec::new();
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        let leaves: Vec<&clap::Command> = if sub.has_subcommands() {
            sub.get_subcommands().collect()
        } else {
            vec![sub]
        };
        for leaf in leaves {
            for arg in options(leaf) {
                let id = arg.get_id().as_str();
                let heading = arg.get_help_heading();
                match expected_heading(name, id) {
                    Some(want) if heading != Some(want) => {
                        wrong.push(format!("{name} --{id}: under {heading:?}, not {want:?}"));
                    }
                    None if GROUPED.contains(&name) => {
                        wrong.push(format!("{name} --{id}: no group in this test's table"));
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "options under the wrong heading:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn short_help_fits_a_screen_and_long_help_has_the_details() {
    let mut command = tflayers::cli::command();
    command.build();
    for sub in command.get_subcommands_mut() {
        let name = sub.get_name().to_string();
        let short = sub.render_help().to_string();
        let long = sub.render_long_help().to_string();
        let lines = short.lines().count();
        assert!(
            lines <= SCREEN_LINES,
            "`tflayers {name} -h` is {lines} lines:\n{short}"
        );
        assert!(long.len() >= short.len(), "{name}");
    }
    let train = command.find_subcommand_mut("train").unwrap();
    let short = train.render_help().to_string();
    let long = train.render_long_help().to_string();
    // Details and rare flags only in the long page.
    assert!(!short.contains("--mirror") && long.contains("--mirror"));
    assert!(long.contains("DIR/ckpt-N"), "{long}");
    assert!(!short.contains("DIR/ckpt-N"), "{short}");
}

#[test]
fn thread_defaults_name_the_manifests_session_defaults() {
    let mut command = tflayers::cli::command();
    command.build();
    let text = command
        .find_subcommand_mut("train")
        .unwrap()
        .render_long_help()
        .to_string();
    assert!(!text.contains("TensorFlow's choice]"), "{text}");
    assert!(
        text.contains("--intra-op-threads <N>")
            && text.contains("[default: the model's session_defaults]"),
        "{text}"
    );
}

#[test]
fn the_connect_timeout_is_one_flag_and_its_old_name_still_works() {
    let mut command = tflayers::cli::command();
    command.build();
    for sub in ["train", "evaluate", "predict", "devices", "download"] {
        let text = command
            .find_subcommand_mut(sub)
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(
            text.contains("--connect-timeout <SECONDS>"),
            "{sub}: {text}"
        );
        assert!(!text.contains("--connect-timeout-secs <"), "{sub}: {text}");
    }
    for flag in ["--connect-timeout", "--connect-timeout-secs"] {
        let invocation = tflayers::cli::try_parse_from([
            "tflayers",
            "train",
            "--model",
            "dense",
            "--target",
            "grpc://127.0.0.1:2222",
            flag,
            "3",
        ])
        .unwrap();
        let tflayers::cli::Invocation::Train(options) = invocation else {
            panic!("expected train")
        };
        let remote = options.common.remote.unwrap();
        assert_eq!(remote.connect_timeout.as_secs(), 3, "{flag}");
        assert_eq!(
            options.common.data.download.connect_timeout.as_secs(),
            3,
            "{flag}"
        );
    }
}

#[test]
fn zero_steps_and_oversized_batches_are_refused_in_words() {
    common::tflayers()
        .args(["train", "--model", "dense", "--steps", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 1 training step"))
        .stderr(predicate::str::contains("18446744073709551615").not());
    common::tflayers()
        .args(["train", "--model", "dense", "--batch-size", "60000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value '60000' for '--batch-size'",
        ))
        .stderr(predicate::str::contains("holds 55000 images"));
    common::tflayers()
        .args([
            "reproduce",
            "--batch-size",
            "59001",
            "--validation-size",
            "1000",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds 59000 images"));
    // A smaller validation split leaves room for a larger batch.
    tflayers::cli::try_parse_from([
        "tflayers",
        "reproduce",
        "--batch-size",
        "59000",
        "--validation-size",
        "1000",
    ])
    .unwrap();
}

/// The subcommands a help page lists under `Commands:`, without clap's `help`.
fn listed_subcommands(page: &str) -> Vec<String> {
    page.lines()
        .skip_while(|line| line.trim_end() != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect()
}

/// Every subcommand path in clap's tree (`["data", "info"]`, ...), inner ones included.
fn clap_subcommands(command: &clap::Command, prefix: &[String], into: &mut Vec<Vec<String>>) {
    for sub in command.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_string());
        clap_subcommands(sub, &path, into);
        into.push(path);
    }
}

/// `tflayers --help` lists the subcommands; each one's `--help` (and each nested one's, as
/// its parent's page lists them) prints its usage on stdout and exits 0. The pages walked
/// are exactly clap's tree, so a subcommand missing from a listing fails too.
#[test]
fn every_subcommand_listed_by_the_binary_prints_its_help() {
    let mut pending = vec![Vec::<String>::new()];
    let mut visited = Vec::new();
    while let Some(path) = pending.pop() {
        let output = common::tflayers()
            .args(&path)
            .arg("--help")
            .output()
            .unwrap();
        let stdout = common::text(&output.stdout);
        let shown = format!("tflayers {}", path.join(" "));
        assert!(
            output.status.success(),
            "`{shown} --help`: {}",
            common::text(&output.stderr)
        );
        let usage = format!("Usage: {}", shown.trim_end());
        assert!(stdout.contains(&usage), "`{shown} --help`: {stdout}");
        for sub in listed_subcommands(&stdout) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
        if !path.is_empty() {
            visited.push(path);
        }
    }
    let mut expected = Vec::new();
    clap_subcommands(&tflayers::cli::command(), &[], &mut expected);
    visited.sort();
    expected.sort();
    // The issue counted eleven subcommands; the walk must at least find those.
    assert!(visited.len() >= 11, "{visited:?}");
    assert_eq!(
        visited, expected,
        "the help pages list other subcommands than clap's tree"
    );
}

/// Each library example (every `examples/*.rs`) answers `--help` with its usage, through
/// `cargo run --example`, as its documentation runs it.
#[test]
fn every_library_example_prints_its_help() {
    let mut examples: Vec<String> = std::fs::read_dir(common::project().join("examples"))
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "rs").then_some(name)
        })
        .collect();
    examples.sort();
    assert!(!examples.is_empty(), "no examples/*.rs");
    for name in examples {
        let output = std::process::Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--example", &name, "--", "--help"])
            .current_dir(common::project())
            .output()
            .unwrap();
        let stdout = common::text(&output.stdout);
        assert!(
            output.status.success(),
            "cargo run --example {name} -- --help: {}",
            common::text(&output.stderr)
        );
        assert!(
            stdout.contains(&format!("Usage: {name} ")),
            "{name}: {stdout}"
        );
    }
}
