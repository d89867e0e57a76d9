//! Clip summaries for training and evaluation: each labelled clip is decoded, cut into windows
//! as long as the plugin's decision window, and summarised as recorded and in augmented
//! variations (`track_labeler_cli::training`, which `track-labeler train` uses too). Summaries
//! are cached in `corpus/features.cache`, keyed by clip path, size and modification time, so
//! `train` and `evaluate` share one extraction.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use track_labeler::reference::FeatureSchema;
use track_labeler_cli::training::file_training_summaries;

use crate::dataset::ClipRef;

/// Bump when windowing or augmentation changes, so stale caches are rebuilt.
const CACHE_VERSION: u32 = 9;

/// One summary: a window of a clip, as recorded (variant 0) or augmented.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Example {
    pub clip: usize,
    pub window: u8,
    pub variant: u8,
    /// All tail of a louder sound just before it: labelling keeps the decision before it.
    pub tail: bool,
    pub summary: Vec<f32>,
}

type ClipSummaries = Vec<(u8, u8, bool, Vec<f32>)>;

#[derive(Serialize, Deserialize)]
struct Cache {
    version: u32,
    schema: FeatureSchema,
    clips: BTreeMap<String, ClipSummaries>,
}

/// Summaries of every clip (reading what the cache has, computing the rest in parallel).
pub fn extract(clips: &[ClipRef], cache_path: &Path) -> Result<Vec<Example>> {
    let mut cache = std::fs::read(cache_path)
        .ok()
        .and_then(|bytes| postcard::from_bytes::<Cache>(&bytes).ok())
        .filter(|c| c.version == CACHE_VERSION && c.schema == FeatureSchema::current())
        .unwrap_or_else(|| Cache {
            version: CACHE_VERSION,
            schema: FeatureSchema::current(),
            clips: BTreeMap::new(),
        });

    let missing: Vec<&ClipRef> = clips
        .iter()
        .filter(|c| !cache.clips.contains_key(&key(c)))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "Summarising {} clips ({} cached)...",
            missing.len(),
            clips.len() - missing.len()
        );
        let done = AtomicUsize::new(0);
        let failed = AtomicUsize::new(0);
        let computed: Vec<(String, ClipSummaries)> = missing
            .par_iter()
            .map(|clip| {
                let summaries = clip_summaries(clip).unwrap_or_else(|e| {
                    failed.fetch_add(1, Ordering::Relaxed);
                    eprintln!("  skipped {}: {e:#}", clip.path.display());
                    Vec::new()
                });
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % 500 == 0 {
                    eprintln!("  {n}/{}", missing.len());
                }
                (key(clip), summaries)
            })
            .collect();
        eprintln!(
            "  done; {} clips could not be read",
            failed.load(Ordering::Relaxed)
        );
        cache.clips.extend(computed);
        let bytes = postcard::to_stdvec(&cache).context("encoding the feature cache")?;
        std::fs::write(cache_path, bytes)
            .with_context(|| format!("writing {}", cache_path.display()))?;
    }

    Ok(clips
        .iter()
        .enumerate()
        .flat_map(|(index, clip)| {
            cache.clips[&key(clip)]
                .iter()
                .map(move |(window, variant, tail, summary)| Example {
                    clip: index,
                    window: *window,
                    variant: *variant,
                    tail: *tail,
                    summary: summary.clone(),
                })
        })
        .collect())
}

/// The cache key: path, size and modification time, so a re-rendered or replaced file is
/// summarised again.
fn key(clip: &ClipRef) -> String {
    let stamp = std::fs::metadata(&clip.path)
        .and_then(|m| Ok((m.len(), m.modified()?)))
        .map(|(len, modified)| {
            let nanos = modified
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("{len}@{nanos}")
        })
        .unwrap_or_default();
    format!("{}#{stamp}", clip.path.display())
}

fn clip_summaries(clip: &ClipRef) -> Result<ClipSummaries> {
    Ok(file_training_summaries(&clip.path)?
        .into_iter()
        .map(|s| (s.window, s.variant, s.tail, s.summary))
        .collect())
}
