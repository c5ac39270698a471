//! `reproduce --report DIR`: its tables (the printed accuracies, each run's metrics file) and
//! its figures, decoded and checked for size and ink.

mod common;

use std::fs;

use serde_json::Value;

use tflayers::metrics::Run;
use tflayers::output::format::format_g;

#[test]
fn reproduce_report_writes_tables_and_figures() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report");
    let output = common::tflayers()
        .args([
            "reproduce",
            "--steps",
            "4",
            "--log-every",
            "2",
            "--batch-size",
            "10",
        ])
        .args(["--validation-size", "100", "--data-dir"])
        .arg(data.path())
        .arg("--models-dir")
        .arg(common::models_dir())
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("report"), "{stdout}");
    let models = ["dense", "hidden", "conv1", "conv2", "dropout"];

    let summary: Value =
        serde_json::from_str(&fs::read_to_string(report.join("summary.json")).unwrap()).unwrap();
    let rows = summary["models"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["model"].as_str().unwrap()).collect();
    assert_eq!(names, models);
    assert_eq!(summary["settings"]["steps"], 4);
    let tests: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Test accuracy: "))
        .collect();
    for ((row, printed), name) in rows.iter().zip(&tests).zip(models) {
        let accuracy = row["test_accuracy"].as_f64().unwrap();
        assert_eq!(&format_g(accuracy), printed, "{name}");
        let run = Run::read(&report.join(row["metrics"].as_str().unwrap())).unwrap();
        assert_eq!(run.header.run.model, name);
        assert_eq!(run.last.unwrap().test_accuracy, Some(accuracy));
        assert_eq!(row["validation_total"], 100);
        common::assert_png(
            &report.join(row["curves"].as_str().unwrap()),
            (1200, 500),
            &[],
        );
    }
    common::assert_png(&report.join("curves/all.png"), (1200, 500), &[]);
    common::assert_png(&report.join("accuracy.png"), (1000, 560), &[]);

    let markdown = fs::read_to_string(report.join("summary.md")).unwrap();
    let table: Vec<&str> = markdown.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(table.len(), 1 + models.len(), "{markdown}");
    let article = ["-", "0.94", "0.97", "-", "-"].map(|f| format!(" | {f} | "));
    for (i, (line, name)) in table[1..].iter().zip(models).enumerate() {
        assert!(line.starts_with(&format!("| {name} | ")), "{line}");
        assert!(
            line.contains(&format!(" | {}{}", tests[i], article[i])),
            "{line}"
        );
    }
    let note = r#"no figure for dense ("not impressive"), conv2 ("better"), dropout ("better")"#;
    assert!(markdown.contains(note), "{markdown}");
    assert!(rows[0]["article_accuracy"].is_null() && rows[0]["article_words"] == "not impressive");
    assert_eq!(rows[1]["article_accuracy"], 0.94);
    for figure in ["accuracy.png", "curves/all.png", "curves/dropout.png"] {
        assert!(markdown.contains(&format!("]({figure})")), "{figure}");
    }
    // The tiny data set is generated, not MNIST: the report says so, as the headers do.
    assert!(
        markdown.contains(
            "; trained on data that is not the published files: train-images-idx3-ubyte.gz, \
             train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz \
             (generated test data)."
        ),
        "{markdown}"
    );
    let note = summary["settings"]["unpublished_data"].as_str().unwrap();
    assert!(note.ends_with("(generated test data)"), "{note}");
}
