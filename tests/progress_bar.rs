//! The progress bar on a terminal (a pseudo-terminal from util-linux `script`): drawn on
//! stderr, in colour unless `NO_COLOR`, not at all with `--quiet`, while stdout piped to a file
//! holds only the article's lines.

mod common;

use std::fs;

/// Runs `command` under `script`, so that it gets a terminal (a pseudo-terminal of 100
/// columns) the way a user's shell would give it one.
fn on_a_terminal(command: &str, no_color: bool) -> Vec<u8> {
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-q", "-e", "-c"])
        .arg(format!("stty cols 100; {command}"))
        .arg("/dev/null")
        .env("TERM", "xterm-256color");
    // `script` passes its environment on to the binary it runs.
    common::without_program_vars(&mut cmd);
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let output = cmd
        .output()
        .expect("`script` (util-linux) runs the command on a pseudo-terminal");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    output.stdout
}

#[test]
fn the_progress_bar_draws_on_a_terminal_and_never_on_stdout() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("tflayers");
    for (no_color, quiet) in [(false, false), (true, false), (false, true)] {
        let stdout_file = out.path().join("stdout.txt");
        let command = format!(
            "'{}' train --model conv1 --steps 60 --log-every 20 --batch-size 20 \
             --validation-size 100 --data-dir '{}' --models-dir '{}' --metrics '{}' \
             --tensorboard '{}' {} > '{}'",
            binary.display(),
            data.path().display(),
            common::models_dir().display(),
            out.path().join("m.csv").display(),
            out.path().join("tb").display(),
            if quiet { "--quiet" } else { "" },
            stdout_file.display()
        );
        let terminal = String::from_utf8_lossy(&on_a_terminal(&command, no_color)).into_owned();
        // stdout, piped to a file, holds the article's lines and nothing else.
        let lines = common::article_lines(&fs::read(&stdout_file).unwrap());
        assert_eq!(lines.len(), 4, "{lines:?}");
        let bar = terminal.contains("conv1") && terminal.contains("/60 00:00:");
        assert_eq!(bar, !quiet, "quiet {quiet}: {terminal:?}");
        if !quiet {
            assert!(terminal.contains(" img/s "), "{terminal:?}");
            // Cyan is the bar's colour; NO_COLOR takes colours and bold away.
            let coloured = terminal.contains("\u{1b}[36m");
            assert_eq!(coloured, !no_color, "NO_COLOR {no_color}: {terminal:?}");
        }
    }
}
