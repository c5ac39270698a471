//! `reproduce --models` trains the models named, in the order given, and a run on
//! Fashion-MNIST sets no MNIST figure (the article's, or the accuracy expected on MNIST)
//! beside its own.

mod common;

use common::succeeded;

use std::path::Path;

use assert_cmd::Command;

fn reproduce(data: &Path, args: &[&str]) -> Command {
    let mut cmd = common::tflayers();
    cmd.args(["reproduce", "--steps", "4", "--batch-size", "10", "--quiet"])
        .args(args);
    common::tiny_data_flags(&mut cmd, data);
    cmd
}

/// The summary table's rows: its lines from the header to the oneDNN line.
fn table_rows(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("model "))
        .skip(1)
        .take_while(|l| !l.starts_with("oneDNN "))
        .collect()
}

#[test]
fn the_models_named_are_trained_in_the_order_given() {
    let data = common::tiny_mnist();
    let stdout = succeeded(
        reproduce(data.path(), &["--models", "hidden,dense"])
            .output()
            .unwrap(),
    );
    let headings: Vec<&str> = stdout.lines().filter(|l| l.starts_with("== ")).collect();
    assert_eq!(headings.len(), 2, "{stdout}");
    assert!(headings[0].starts_with("== hidden: "), "{stdout}");
    assert!(headings[1].starts_with("== dense: "), "{stdout}");
    let rows = table_rows(&stdout);
    assert_eq!(rows.len(), 2, "{stdout}");
    // hidden's article figure (94%) is in its row on MNIST.
    assert!(
        rows[0].starts_with("hidden ") && rows[0].contains(" 0.94 "),
        "{stdout}"
    );
}

#[test]
fn on_fashion_mnist_no_article_figure_is_shown() {
    let data = common::tiny_mnist();
    let report = tempfile::tempdir().unwrap();
    let stdout = succeeded(
        reproduce(
            data.path(),
            &["--dataset", "fashion-mnist", "--models", "hidden"],
        )
        .arg("--report")
        .arg(report.path())
        .output()
        .unwrap(),
    );
    let rows = table_rows(&stdout);
    assert_eq!(rows.len(), 1, "{stdout}");
    let cells: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(cells[0], "hidden");
    assert_eq!(
        cells[3], "-",
        "the article column on Fashion-MNIST: {stdout}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.path().join("summary.json")).unwrap())
            .unwrap();
    let model = &summary["models"][0];
    assert_eq!(model["model"], "hidden");
    assert!(model["article_accuracy"].is_null(), "{model}");
    assert!(model["expected_accuracy"].is_null(), "{model}");
}
