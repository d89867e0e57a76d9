//! The index of clips the xtask makes that train but are never tested (drum hit sequences,
//! synthesised synths): `index.json` in the clips' folder, written last, so a partial run is
//! never taken for a complete one.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use track_labeler::labels::Class;

use crate::dataset::ClipRef;

const INDEX: &str = "index.json";

#[derive(Serialize, Deserialize)]
pub struct Index {
    /// Bumped by the maker to make the clips again (it seeds them).
    pub version: String,
    /// What the clips were made from (paths), so a changed corpus makes them again.
    pub inputs: Vec<PathBuf>,
    pub entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the index's folder.
    pub path: String,
    pub class: String,
    pub source: String,
    /// Source prefix included.
    pub group: String,
    /// What the clip plays, for listening.
    pub kind: String,
}

impl Index {
    /// The index in `dir`, if it is there, complete and made by `version` from `inputs`.
    pub fn read(dir: &Path, version: &str, inputs: &[PathBuf]) -> Option<Index> {
        let index: Index = serde_json::from_str(&fs::read_to_string(dir.join(INDEX)).ok()?).ok()?;
        (index.version == version
            && index.inputs == inputs
            && index.entries.iter().all(|e| dir.join(&e.path).is_file()))
        .then_some(index)
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let tmp = dir.join(format!("{INDEX}.tmp"));
        fs::create_dir_all(dir)?;
        fs::write(&tmp, serde_json::to_string(self)? + "\n")?;
        fs::rename(&tmp, dir.join(INDEX))
            .with_context(|| format!("finishing {}", dir.join(INDEX).display()))
    }

    /// The clips, marked training-only.
    pub fn clips(&self, dir: &Path) -> Vec<ClipRef> {
        self.entries
            .iter()
            .filter_map(|e| {
                Some(ClipRef {
                    path: dir.join(&e.path),
                    class: Class::from_id(&e.class)?,
                    source: e.source.clone(),
                    group: e.group.clone(),
                    training_only: true,
                })
            })
            .collect()
    }
}
