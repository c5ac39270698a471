//! What the download tests serve: four tiny synthetic .gz files, their bytes, and file specs
//! whose checksums they match (so that a library-level download can succeed), and the routes
//! that serve them under a mirror's prefix.

use std::fs;

use tflayers::mnist::catalog::{FileSpec, MNIST_FILES};
use tflayers::mnist::fixtures::write_synthetic_mnist;
use tflayers::mnist::verify::digest_gz_file;

use super::Reply;

/// Four synthetic .gz files, their bytes and specs whose checksums they match.
pub struct Source {
    /// The folder the files were written to.
    pub dir: tempfile::TempDir,
    pub bodies: Vec<(&'static str, Vec<u8>)>,
    pub specs: Vec<FileSpec>,
}

pub fn source(seed: u32) -> Source {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 30, 10, seed).unwrap();
    let mut bodies = Vec::new();
    let mut specs = Vec::new();
    for spec in &MNIST_FILES {
        let path = dir.path().join(spec.name);
        let digest = digest_gz_file(&path).unwrap();
        bodies.push((spec.name, fs::read(&path).unwrap()));
        specs.push(FileSpec {
            sha256: Box::leak(digest.sha256.into_boxed_str()),
            size: digest.size,
            ..*spec
        });
    }
    Source { dir, bodies, specs }
}

pub fn routes(prefix: &str, bodies: &[(&'static str, Vec<u8>)]) -> Vec<(String, Vec<Reply>)> {
    bodies
        .iter()
        .map(|(name, body)| (format!("/{prefix}/{name}"), vec![Reply::Body(body.clone())]))
        .collect()
}
