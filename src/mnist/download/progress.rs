//! Progress of one transfer on stderr: a bar with bytes, rate and ETA on a terminal, plain
//! lines otherwise.

use std::io::{self, IsTerminal};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::ProgressMode;

/// Progress of one transfer on stderr.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    url: String,
}

impl Progress {
    pub(super) fn start(url: &str, mode: ProgressMode) -> Self {
        let bar = (mode == ProgressMode::Auto && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(short_name(url));
            bar
        });
        if bar.is_none() {
            eprintln!("downloading {url}");
        }
        Self {
            bar,
            url: url.to_string(),
        }
    }

    pub(super) fn set_total(&self, total: Option<u64>) {
        if let (Some(bar), Some(total)) = (&self.bar, total) {
            bar.set_length(total);
        }
    }

    pub(super) fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    pub(super) fn done(&self, bytes: u64, seconds: f64) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let rate = bytes as f64 / seconds.max(1e-9) / 1e6;
        eprintln!(
            "{}: {bytes} bytes in {seconds:.1} s ({rate:.1} MB/s), SHA-256 of the content verified",
            short_name(&self.url)
        );
    }

    pub(super) fn fail(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}

fn short_name(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(short_name("http://h/x/f.gz"), "f.gz");
    }
}
