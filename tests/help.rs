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
