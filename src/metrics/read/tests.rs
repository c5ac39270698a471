//! The reader against files the writer wrote, hand-written Python records and broken files.

use super::*;
use crate::metrics::schema::tests::{header, last};
use crate::metrics::write::MetricsWriter;
use crate::train::{Observer, StepLog};

fn write(path: &Path) {
    let mut writer = MetricsWriter::create(path, &header()).unwrap();
    for step in 0..3u64 {
        writer
            .on_log(&StepLog {
                step,
                batch_accuracy: 0.1 + step as f32 / 7.0,
                loss: 2.3 / (step as f32 + 1.0),
                elapsed_secs: step as f64 * 0.1 + 1e-7,
            })
            .unwrap();
    }
    writer.finish(&last()).unwrap();
}

#[test]
fn jsonl_and_csv_read_back_to_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let (jsonl, csv) = (dir.path().join("r.jsonl"), dir.path().join("r.csv"));
    write(&jsonl);
    write(&csv);
    let a = Run::read(&jsonl).unwrap();
    let b = Run::read(&csv).unwrap();
    assert_eq!(a.header, header());
    assert_eq!(a.steps.len(), 3);
    assert_eq!(
        a.steps[1].batch_accuracy,
        Some(f64::from(0.1f32 + 1.0 / 7.0))
    );
    assert_eq!(a.last, Some(last()));
    assert_eq!(
        (&a.header, &a.steps, &a.last),
        (&b.header, &b.steps, &b.last)
    );
    assert_eq!(Run::read(&csv).unwrap().stem(), "r");
    // Both forms pass the stricter reading too, with the same float32 values.
    let finished = FinishedRun::read(&csv).unwrap();
    assert_eq!(finished.steps, a.steps);
    assert_eq!(float32(finished.steps[1].loss), 2.3f32 / 2.0);
}

#[test]
fn a_run_still_training_has_curves_but_no_final_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl.partial");
    fs::write(
        &path,
        format!(
            "{}\n{}\n",
            serde_json::to_string(&Record::Header(header())).unwrap(),
            r#"{"record":"step","step":0,"batch_accuracy":0.1,"loss":2.3,"elapsed_secs":0.0,"images_per_sec":0.0}"#
        ),
    )
    .unwrap();
    let run = Run::read(&path).unwrap();
    assert_eq!(run.steps.len(), 1);
    assert!(run.last.is_none());
    assert_eq!(run.stem(), "r");
}

#[test]
fn files_that_are_not_metrics_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "a.jsonl",
            r#"{"record":"step","step":0,"batch_accuracy":0.1,"loss":2.3,"elapsed_secs":0.0,"images_per_sec":0.0}"#,
            "first record must be the header",
        ),
        ("b.jsonl", "not json\n", "line 1"),
        ("c.csv", "x,y\n1,2\n", "`record`"),
        ("d.txt", "", "must end in .jsonl"),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let err = format!("{:#}", Run::read(&path).unwrap_err());
        assert!(err.contains(name), "{err}");
        assert!(err.contains(expected), "{name}: {err}");
    }
    let err = format!("{:#}", Run::read(&dir.path().join("none.csv")).unwrap_err());
    assert!(err.contains("cannot read"), "{err}");
}

// A file as python/train.py writes it, read the way compare reads it.

const HEADER: &str = r#"{"record":"header","schema":1,"program":"python","model":"dense","steps":3,"batch_size":100,"learning_rate":0.0001,"seed":0,"log_every":1,"data_dir":"data/mnist","tensorflow_version":"2.21.0","intra_op_threads":null,"inter_op_threads":2,"host":"h","started_at":"2025-01-01T00:00:00Z"}"#;
const FINAL: &str = r#"{"record":"final","steps":3,"test_accuracy":0.8500000238418579,"test_correct":8500,"test_total":10000,"test_loss":0.7837887406349182,"validation_accuracy":null,"validation_correct":null,"validation_total":null,"train_secs":0.3,"eval_secs":0.05,"total_secs":1.2,"ms_per_step":0.1}"#;

fn step(n: u64, accuracy: &str) -> String {
    format!(
        r#"{{"record":"step","step":{n},"batch_accuracy":{accuracy},"loss":2.342586040496826,"elapsed_secs":0.01,"images_per_sec":0.0}}"#
    )
}

/// `lines` as a Python metrics file read for compare.
fn finished(lines: &[String]) -> Result<FinishedRun> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("python.jsonl");
    fs::write(&path, lines.join("\n")).unwrap();
    FinishedRun::read(&path)
}

#[test]
fn reads_a_complete_file_and_keeps_float32_values() {
    let file = finished(&[
        HEADER.to_string(),
        step(0, "0.05000000074505806"),
        step(1, "0.33000001311302185"),
        FINAL.to_string(),
    ])
    .unwrap();
    assert_eq!(file.header.program, "python");
    assert_eq!(file.header.run.inter_op_threads, Some(2));
    assert_eq!(file.steps.len(), 2);
    assert_eq!(float32(file.steps[0].batch_accuracy), 0.05f32);
    assert_eq!(float32(file.steps[1].batch_accuracy), 0.33f32);
    assert_eq!(float32(file.steps[0].loss), 2.342586f32);
    assert_eq!(float32(file.last.test_accuracy), 0.85f32);
    assert_eq!(file.last.validation_accuracy, None);
}

#[test]
fn a_value_that_is_not_a_float32_is_rejected() {
    let text = [HEADER.to_string(), step(0, "0.05"), FINAL.to_string()];
    let err = format!("{:#}", finished(&text).unwrap_err());
    assert!(
        err.contains("line 2") && err.contains("not a float32"),
        "{err}"
    );
    // The curves of such a file can still be drawn.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hand.jsonl");
    fs::write(&path, text.join("\n")).unwrap();
    assert_eq!(
        Run::read(&path).unwrap().steps[0].batch_accuracy,
        Some(0.05)
    );
}

#[test]
fn a_file_without_its_final_record_is_an_unfinished_run() {
    let err = format!(
        "{:#}",
        finished(&[HEADER.to_string(), step(0, "0.5")]).unwrap_err()
    );
    assert!(err.contains("did not finish"), "{err}");
}

#[test]
fn order_and_schema_are_checked() {
    let out_of_order = [
        HEADER.to_string(),
        step(1, "0.5"),
        step(1, "0.5"),
        FINAL.to_string(),
    ];
    let err = format!("{:#}", finished(&out_of_order).unwrap_err());
    assert!(err.contains("line 3"), "{err}");
    let schema2 = HEADER.replace("\"schema\":1", "\"schema\":2");
    let err = format!("{:#}", finished(&[schema2]).unwrap_err());
    assert!(err.contains("schema 2"), "{err}");
    let err = format!("{:#}", finished(&[]).unwrap_err());
    assert!(err.contains("no header"), "{err}");
    let err = format!(
        "{:#}",
        finished(&["{\"record\":\"other\"}".to_string()]).unwrap_err()
    );
    assert!(err.contains("line 1"), "{err}");
    let twice = [HEADER.to_string(), HEADER.to_string()];
    let err = format!("{:#}", finished(&twice).unwrap_err());
    assert!(err.contains("line 2: a second header"), "{err}");
    let after = [HEADER.to_string(), FINAL.to_string(), step(0, "0.5")];
    let err = format!("{:#}", finished(&after).unwrap_err());
    assert!(err.contains("line 3: a record follows the final"), "{err}");
}

#[test]
fn missing_file_is_named() {
    let err = format!(
        "{:#}",
        FinishedRun::read(Path::new("no/such/metrics.jsonl")).unwrap_err()
    );
    assert!(err.contains("no/such/metrics.jsonl"), "{err}");
}
