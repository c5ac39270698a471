//! `tflayers download`: fetch a data set's four files from the mirrors and verify them.

use anyhow::Result;

use crate::mnist::download::{download, Outcome};
use crate::options::DownloadOptions;

pub fn run(args: &DownloadOptions) -> Result<()> {
    let kind = args.dataset;
    let dir = &args.dir;
    let outcomes = download(kind, dir, &args.download)?;
    for done in &outcomes {
        let what = match &done.outcome {
            Outcome::AlreadyVerified { stamped: true } => {
                "already there, verified earlier (stamp)".to_string()
            }
            Outcome::AlreadyVerified { stamped: false } => {
                "already there, SHA-256 verified".to_string()
            }
            Outcome::Downloaded {
                url,
                bytes,
                seconds,
                moved_aside,
            } => {
                let aside = moved_aside
                    .as_ref()
                    .map(|path| format!("; the old copy is now {}", path.display()))
                    .unwrap_or_default();
                format!("downloaded from {url} ({bytes} bytes, {seconds:.1} s), SHA-256 verified{aside}")
            }
        };
        println!("{}: {what}", dir.join(done.name).display());
    }
    println!("{} is ready in {}", kind.title(), dir.display());
    Ok(())
}
