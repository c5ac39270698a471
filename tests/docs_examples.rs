//! The documentation's examples whose output depends neither on real MNIST nor on timing
//! (help pages, refusals, `data info` on generated files) are run as they are written:
//! every ```` ```console ```` block of the pages below is a `trycmd` case. `[..]` in an
//! expected line matches any text, `...` any lines, and `[DATA]` stands for the folder of
//! generated files, which `TFLAYERS_DATA_DIR` names for these examples.

mod common;

use tflayers::mnist::fixtures::write_synthetic_mnist;

/// The pages whose examples run; each of their blocks is either `console` (run) or tagged
/// with another language (not run).
const PAGES: [&str; 2] = ["docs/running.md", "README.md"];

#[test]
fn documented_examples_print_what_the_docs_say() {
    // `trycmd` runs the binary with this process's environment and can set variables but not
    // remove them: the program's own are removed here (the only test of this file, so no
    // other thread reads the environment meanwhile), then the ones the examples need are set.
    for var in common::PROGRAM_VARS {
        std::env::remove_var(var);
    }
    let data = tempfile::tempdir().unwrap();
    write_synthetic_mnist(data.path(), 60, 20, 7).unwrap();
    let cases = trycmd::TestCases::new();
    cases
        .env("TFLAYERS_DATA_DIR", data.path().display().to_string())
        .env("TFLAYERS_OFFLINE", "1")
        .env("TF_CPP_MIN_LOG_LEVEL", "1")
        .insert_var("[DATA]", data.path().display().to_string())
        .unwrap();
    for page in PAGES {
        cases.case(page);
    }
    cases.run();
}
