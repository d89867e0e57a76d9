//! The learned embedding's leave-one-source-out vectors, as `tools/embedding/train.py loso`
//! writes them: for each held-out source, every exported window embedded by the model trained
//! without that source (`corpus/embedding/folds/SOURCE.f32`, rows in `windows.tsv` order).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result, bail};

pub struct FoldEmbeddings {
    dims: usize,
    /// (clip path, window, variant) to row.
    rows: HashMap<(String, u8, u8), usize>,
    /// Held-out source to its model's embeddings of every row.
    folds: BTreeMap<String, Vec<f32>>,
}

impl FoldEmbeddings {
    /// The folds trained so far, or `None` when `train.py loso` has not been run.
    pub fn load(data_dir: &Path) -> Result<Option<Self>> {
        let folds_dir = data_dir.join("folds");
        let Ok(entries) = std::fs::read_dir(&folds_dir) else {
            return Ok(None);
        };
        let index_path = data_dir.join("windows.tsv");
        let index = std::fs::read_to_string(&index_path)
            .with_context(|| format!("reading {}", index_path.display()))?;
        let mut rows = HashMap::new();
        for (row, line) in index.lines().skip(1).enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            let [path, _, _, _, _, window, variant, ..] = fields[..] else {
                bail!("{}: malformed row {}", index_path.display(), row + 2);
            };
            rows.insert((path.to_string(), window.parse()?, variant.parse()?), row);
        }
        let mut folds = BTreeMap::new();
        let mut dims = 0;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "f32") {
                continue;
            }
            let held_out = path.file_stem().unwrap().to_string_lossy().to_string();
            let bytes = std::fs::read(&path)?;
            let values: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            if rows.is_empty() || values.len() % rows.len() != 0 {
                bail!(
                    "{} does not match windows.tsv: run train.py loso again",
                    path.display()
                );
            }
            dims = values.len() / rows.len();
            folds.insert(held_out, values);
        }
        Ok((!folds.is_empty()).then_some(Self { dims, rows, folds }))
    }

    pub fn has_fold(&self, held_out: &str) -> bool {
        self.folds.contains_key(held_out)
    }

    /// The embedding of one window under the model that did not see `held_out`.
    pub fn get(&self, held_out: &str, clip: &Path, window: u8, variant: u8) -> Option<&[f32]> {
        let fold = self.folds.get(held_out)?;
        let row = *self
            .rows
            .get(&(clip.display().to_string(), window, variant))?;
        Some(&fold[row * self.dims..(row + 1) * self.dims])
    }
}
