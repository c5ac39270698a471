//! How `evaluate` and `predict` name the model they load: a model trained by
//! `tflayers train --save` (its `tflayers.json` says which and how long), one of the
//! untrained exports in the models folder, or a SavedModel of unknown training.

use std::path::Path;

use crate::manifest::Manifest;

/// The model's name for the report's first line, and a note for stderr when its weights are
/// not trained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelLabel {
    pub name: String,
    pub note: Option<String>,
}

/// Names the model in `dir`: `trained` is the model and step count its `tflayers.json`
/// records, if it has one.
pub fn model_label(trained: Option<(&str, u64)>, dir: &Path, manifest: &Manifest) -> ModelLabel {
    if let Some((model, steps)) = trained {
        return ModelLabel {
            name: format!("{model} ({steps} steps)"),
            note: None,
        };
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    match manifest
        .names()
        .into_iter()
        .find(|name| same(&manifest.model_dir(name), dir))
    {
        Some(name) => ModelLabel {
            name: format!("{name} (untrained export)"),
            note: Some(format!(
                "note: {} is the untrained export of {name}: its weights are the random \
                 initial ones, so expect chance accuracy (about 0.1). Train it first: \
                 `tflayers train --model {name} --save DIR`, then pass --model-dir DIR",
                dir.display()
            )),
        },
        None => ModelLabel {
            name: "a SavedModel without tflayers.json".to_string(),
            note: Some(format!(
                "note: {} has no tflayers.json, so how (and whether) it was trained is \
                 unknown; `tflayers train --save DIR` writes one",
                dir.display()
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::PROJECT_MODELS_DIR;

    #[test]
    fn the_export_folders_are_named_untrained() {
        let manifest = Manifest::load(Path::new(PROJECT_MODELS_DIR)).unwrap();
        let label = model_label(None, &manifest.model_dir("dense"), &manifest);
        assert_eq!(label.name, "dense (untrained export)");
        let note = label.note.unwrap();
        assert!(
            note.contains("untrained") && note.contains("--model dense --save"),
            "{note}"
        );

        let trained = model_label(Some(("conv2", 1000)), Path::new("runs/x"), &manifest);
        assert_eq!(trained.name, "conv2 (1000 steps)");
        assert!(trained.note.is_none());

        let other = model_label(None, Path::new("elsewhere"), &manifest);
        assert!(other.note.unwrap().contains("no tflayers.json"));
    }
}
