//! `tflayers data info|show|bench`: look at the data a run would load.

use std::path::Path;

use anyhow::{ensure, Result};

use crate::bench::data::{run_load_bench, PYTHON_SCRIPT};
use crate::bench::report::text::{bench_round_line, bench_summary};
use crate::figures::digits::{digit_grid, write_png};
use crate::fsx::{check_output, Output};
use crate::mnist::catalog::DatasetKind;
use crate::mnist::convert::transparent_huge_pages_mode;
use crate::mnist::dataset::{read_data_sets_with, DataSet, DataSets};
use crate::mnist::folder::{near_match, refuse_file};
use crate::mnist::verify::{check_file, Stamps};
use crate::options::{DataBenchOptions, DataInfoOptions, DataOptions, DataShowOptions, SplitName};
use crate::output::data_info::{checksum_table, split_tables};
use crate::python::Python;

pub fn run(command: &DataOptions) -> Result<()> {
    match command {
        DataOptions::Info(args) => info(args),
        DataOptions::Show(args) => show(args),
        DataOptions::Bench(args) => bench(args),
    }
}

fn info(args: &DataInfoOptions) -> Result<()> {
    let kind = args.data.dataset;
    let dir = &args.data.dir;
    check_folder(kind, dir)?;
    let mut stamps = Stamps::load(dir);
    let mut files = Vec::new();
    for spec in kind.files() {
        files.push((*spec, check_file(dir, spec, &mut stamps)?));
    }
    // The checksums first: they help most when the files then fail to load.
    print!(
        "{} in {}\n\n{}\n",
        kind.title(),
        dir.display(),
        checksum_table(&files)
    );
    let data = read_data_sets_with(dir, args.validation_size)?;
    // Only after everything loaded: a folder with bad files is left exactly as it was.
    stamps.save_if_possible();
    print!("{}", split_tables(kind, &data));
    Ok(())
}

/// `data info` and `data show` never download: a file given as the folder is named with its
/// folder, a missing folder with its nearest sibling and how to fill it.
fn check_folder(kind: DatasetKind, dir: &Path) -> Result<()> {
    refuse_file(dir)?;
    let near = near_match(dir).map_or_else(String::new, |other| {
        format!(" (did you mean {}?)", other.display())
    });
    ensure!(
        dir.is_dir(),
        "{} does not exist{near}: `tflayers download --dataset {} --data-dir {}` fetches {} \
         there, or point --data-dir at the folder holding the four .gz files",
        dir.display(),
        kind.id(),
        dir.display(),
        kind.title()
    );
    Ok(())
}

/// The split `name` of `data`, with its name as messages print it.
pub(super) fn split(data: &DataSets, name: SplitName) -> (&'static str, &DataSet) {
    match name {
        SplitName::Train => ("train", &data.train),
        SplitName::Validation => ("validation", &data.validation),
        SplitName::Test => ("test", &data.test),
    }
}

fn show(args: &DataShowOptions) -> Result<()> {
    let kind = args.data.dataset;
    check_output("--out", &args.out, Output::File(&["png"]))?;
    check_folder(kind, &args.data.dir)?;
    let data = read_data_sets_with(&args.data.dir, args.validation_size)?;
    let (name, set) = split(&data, args.split);
    let range = args.index;
    ensure!(
        range.end <= set.len(),
        "--index {}..{} is past the end of the {name} split, which holds {} images (indices \
         0..{})",
        range.start,
        range.end,
        set.len(),
        set.len()
    );
    let images: Vec<&[f32]> = (range.start..range.end).map(|i| set.image(i)).collect();
    let captions: Vec<String> = (range.start..range.end)
        .map(|i| kind.class_name(set.labels()[i]).to_string())
        .collect();
    let picture = digit_grid(&images, &captions, args.columns, args.scale)?;
    write_png(&picture, &args.out)?;
    eprintln!(
        "wrote {} ({}x{} pixels): {} {name} images {}..{} of {} with their labels",
        args.out.display(),
        picture.width,
        picture.height,
        images.len(),
        range.start,
        range.end,
        kind.title()
    );
    Ok(())
}

fn bench(args: &DataBenchOptions) -> Result<()> {
    let python = Python::locate(args.python.as_deref(), None, &[PYTHON_SCRIPT])?;
    println!(
        "Loading {} ({} validation images): Rust in process vs {}, alternating, {} runs \
         each after one warm-up",
        args.data_dir.display(),
        args.validation_size,
        python.describe(PYTHON_SCRIPT),
        args.repeat
    );
    println!(
        "machine: {} CPUs available, transparent huge pages: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        transparent_huge_pages_mode().unwrap_or_else(|| "unknown".to_string())
    );
    let bench = run_load_bench(
        &args.data_dir,
        args.validation_size,
        args.repeat,
        &python,
        |round, rust, python| println!("{}", bench_round_line(round, rust, python)),
    )?;
    print!("{}", bench_summary(&bench));
    Ok(())
}
