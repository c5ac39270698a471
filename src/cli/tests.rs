//! The command line as parsed: defaults, refusals, the manifest's models, the resume line.

use std::time::Duration;

use super::*;

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn defaults_are_the_articles() {
    let Invocation::Train(args) =
        try_parse_from(["tflayers", "train", "--model", "conv2"]).unwrap()
    else {
        panic!("expected train")
    };
    let config = &args.common.run;
    assert_eq!(config.model, "conv2");
    assert_eq!(config.steps, 1000);
    assert_eq!(config.batch_size, 100);
    assert_eq!(config.log_every, 100);
    assert_eq!(config.learning_rate, 1e-4);
}

#[test]
fn target_timeouts_and_placement_logging_reach_the_session_config() {
    let invocation = try_parse_from([
        "tflayers",
        "train",
        "--model",
        "dense",
        "--target",
        "grpc://127.0.0.1:2222",
        "--operation-timeout-secs",
        "5",
        "--log-device-placement",
    ])
    .unwrap();
    let Invocation::Train(args) = invocation else {
        panic!("expected train")
    };
    let config = args.common.session_config();
    assert!(config.log_device_placement);
    let remote = config.remote.unwrap();
    assert_eq!(remote.target.to_string(), "grpc://127.0.0.1:2222");
    assert_eq!(remote.operation_timeout, Duration::from_secs(5));
    assert_eq!(remote.connect_timeout, Duration::from_secs(10));

    let Invocation::Reproduce(args) = try_parse_from(["tflayers", "reproduce"]).unwrap() else {
        panic!("expected reproduce")
    };
    let config = args.common.session_config();
    assert!(config.remote.is_none() && !config.log_device_placement);
}

#[test]
fn invalid_values_name_the_flag() {
    for (flag, value) in [
        ("--steps", "0"),
        ("--batch-size", "0"),
        ("--learning-rate", "-0.1"),
        ("--learning-rate", "nan"),
        ("--log-every", "0"),
        ("--model", "lenet"),
        ("--metrics", "run.json"),
    ] {
        let mut argv = vec!["tflayers", "train"];
        if flag != "--model" {
            argv.extend(["--model", "dense"]);
        }
        argv.extend([flag, value]);
        let err = try_parse_from(&argv).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{flag} {value}: {err}");
        let err = err.to_string();
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
}

#[test]
fn plot_checks_the_figure_format_and_size() {
    for (args, flag) in [
        (vec!["a.jsonl", "--out", "a.jpg"], "--out"),
        (
            vec!["a.jsonl", "--out", "a.png", "--width", "10"],
            "--width",
        ),
        (vec!["--out", "a.png"], "<RUN>"),
    ] {
        let mut argv = vec!["tflayers", "plot"];
        argv.extend(args);
        let err = Cli::try_parse_from(&argv).unwrap_err().to_string();
        assert!(err.contains(flag), "{argv:?}: {err}");
    }
    let invocation =
        try_parse_from(["tflayers", "plot", "a.csv", "b.jsonl", "--out", "x.svg"]).unwrap();
    let Invocation::Plot(args) = invocation else {
        panic!("expected plot")
    };
    assert_eq!(args.runs.len(), 2);
    assert_eq!((args.width, args.height), (1200, 500));
}

#[test]
fn model_names_come_from_the_manifest() {
    let models = resolve_models_dir(None);
    let models = models.to_str().unwrap();
    let err = try_parse_from([
        "tflayers",
        "train",
        "--models-dir",
        models,
        "--model",
        "lenet",
    ])
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(text.contains("'lenet' for '--model'"), "{text}");
    assert!(
        text.contains("dense, hidden, conv1, conv2, dropout"),
        "{text}"
    );
    let Invocation::Bench(bench) =
        try_parse_from(["tflayers", "bench", "--models-dir", models]).unwrap()
    else {
        panic!("expected bench")
    };
    assert_eq!(
        bench.models,
        ["dense", "hidden", "conv1", "conv2", "dropout"]
    );
    let Invocation::Bench(bench) = try_parse_from([
        "tflayers",
        "bench",
        "--models-dir",
        models,
        "--models",
        "conv2, dense,conv2",
    ])
    .unwrap() else {
        panic!("expected bench")
    };
    assert_eq!(bench.models, ["conv2", "dense"]);
    let err =
        try_parse_from(["tflayers", "bench", "--models-dir", models, "--models", "x"]).unwrap_err();
    assert!(err.to_string().contains("'--models'"), "{err}");
}

#[test]
fn the_resume_line_repeats_the_run_with_resume_instead_of_the_checkpoint_flags() {
    let Invocation::Train(options) = try_parse_from([
        "tflayers",
        "train",
        "--model",
        "hidden",
        "--models-dir",
        "m",
        "--checkpoint-dir",
        "runs/a",
        "--checkpoint-every=50",
        "--data-dir",
        "my data",
        "--metrics",
        "run.jsonl",
    ])
    .unwrap() else {
        panic!("expected train")
    };
    let line = crate::commands::train::resume_command(&options, std::path::Path::new("runs/a"));
    let words = shlex::split(&line).unwrap();
    let after_program = &words[1..];
    assert_eq!(
        after_program.join(" "),
        "train --model hidden --steps 1000 --batch-size 100 --seed 0 --learning-rate 0.0001 \
         --log-every 100 --data-dir my data --validation-size 5000 --models-dir m \
         --checkpoint-every 50 --metrics run.jsonl --resume runs/a"
    );
    assert!(line.contains("'my data'"), "{line}");
    assert!(!line.contains("--checkpoint-dir"), "{line}");
}
