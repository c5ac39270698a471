//! The metrics header records the thread counts the session used: the manifest's
//! `session_defaults` when no flag was given, not `null`.

mod common;

#[test]
fn the_metrics_header_records_the_manifests_thread_defaults() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let metrics = out.path().join("run.jsonl");
    common::train("dense", 2, 10, data.path())
        .env("TFLAYERS_OFFLINE", "1")
        .arg("--metrics")
        .arg(&metrics)
        .assert()
        .success();
    let text = std::fs::read_to_string(&metrics).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let manifest = common::manifest();
    let defaults = &manifest.session_defaults["dense"];
    assert_eq!(
        header["intra_op_threads"].as_u64(),
        defaults.intra_op_threads.map(u64::from),
        "{header}"
    );
    assert_eq!(
        header["inter_op_threads"].as_u64(),
        defaults.inter_op_threads.map(u64::from),
        "{header}"
    );
    assert!(header["intra_op_threads"].is_u64(), "{header}");
}
