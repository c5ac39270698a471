//! Value parsers for flags whose values clap cannot check by type alone: positive numbers,
//! URLs, image ranges, output file kinds and model lists. Each error names what was wrong;
//! clap adds the flag.

use std::path::PathBuf;

use crate::options::IndexRange;
use crate::tf::remote::Target;

/// Most images `data show` draws at once.
pub const MAX_SHOW_IMAGES: usize = 1024;

/// Models named on the command line: `all`, or names in the order given, each once. The
/// names are checked against the manifest after parsing (see `cli::resolve_models`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelList {
    All,
    Names(Vec<String>),
}

pub fn model_list(text: &str) -> Result<ModelList, String> {
    if text == "all" {
        return Ok(ModelList::All);
    }
    let mut models: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(format!(
                "{text:?} names no model: use all, or model names separated by commas"
            ));
        }
        if !models.iter().any(|m| m == name) {
            models.push(name.to_string());
        }
    }
    Ok(ModelList::Names(models))
}

pub fn metrics_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    crate::metrics::Format::from_path(&path)
        .map(|_| path)
        .map_err(|e| e.to_string())
}

pub fn figure_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    crate::figures::curves::ImageKind::from_path(&path)
        .map(|_| path)
        .map_err(|e| e.to_string())
}

/// A finite number above zero (at or above it with `zero_ok`).
fn finite<T: std::str::FromStr + Into<f64> + Copy>(text: &str, zero_ok: bool) -> Result<T, String> {
    let value: T = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    let (number, what) = (
        value.into(),
        if zero_ok { "non-negative" } else { "positive" },
    );
    if number.is_finite() && (number > 0.0 || zero_ok && number == 0.0) {
        Ok(value)
    } else {
        Err(format!("must be a {what} finite number, got {text}"))
    }
}

pub fn non_negative_f64(text: &str) -> Result<f64, String> {
    finite(text, true)
}

pub fn positive_f32(text: &str) -> Result<f32, String> {
    finite(text, false)
}

pub fn positive_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if value.is_finite() && value > 0.0 && value <= 3600.0 {
        Ok(value)
    } else {
        Err(format!("must be between 0 and 3600 seconds, got {text}"))
    }
}

pub fn mirror_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.starts_with("https://") || text.starts_with("http://") {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not an http:// or https:// URL (a mirror is the base URL the file \
             names are appended to)"
        ))
    }
}

pub fn parse_target(text: &str) -> Result<Target, String> {
    text.parse()
}

pub fn index_range(text: &str) -> Result<IndexRange, String> {
    let number = |part: &str| -> Result<usize, String> {
        part.trim()
            .parse()
            .map_err(|_| format!("{part:?} is not an image index (a whole number from 0)"))
    };
    let (start, end) = if let Some((start, end)) = text.split_once("..=") {
        let end = number(end)?;
        (number(start)?, end.checked_add(1).ok_or("index too large")?)
    } else if let Some((start, end)) = text.split_once("..") {
        (number(start)?, number(end)?)
    } else {
        let index = number(text)?;
        (index, index.checked_add(1).ok_or("index too large")?)
    };
    if start >= end {
        return Err(format!(
            "{text:?} selects no images: START must be below END"
        ));
    }
    if end - start > MAX_SHOW_IMAGES {
        return Err(format!(
            "{text:?} selects {} images; at most {MAX_SHOW_IMAGES} fit in one picture",
            end - start
        ));
    }
    Ok(IndexRange { start, end })
}

/// A number of training steps: a whole number from 1.
pub fn steps(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("a run needs at least 1 training step".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "{text:?} is not a number of steps (a whole number from 1)"
        )),
    }
}
