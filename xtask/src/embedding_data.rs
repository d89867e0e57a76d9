//! `cargo xtask embedding-data`: the mel frames of every training window, for the learned
//! embedding (`tools/embedding/train.py`). The windows are those the summaries are made of
//! (`for_each_training_window`), so the two pipelines are scored on the same tests.
//!
//! Writes `corpus/embedding/`: `frames.bin` (each frame's mel levels in dB relative to the
//! loudest band of its window, as `u8` steps of [`DB_STEP`] down to [`FLOOR_DB`]),
//! `windows.tsv` (one row per window: where its frames are and what it is) and `meta.json`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use rayon::prelude::*;
use track_labeler::analysis::{HOP_SECONDS, MEL_BANDS};
use track_labeler::labels::Class;
use track_labeler_cli::decode::decode_file;
use track_labeler_cli::rng::fnv1a;
use track_labeler_cli::training::for_each_training_window;

use crate::dataset::ClipRef;
use crate::train::corpus_clips;

/// Augmented variations exported per window besides the recording (the summaries have four;
/// two keep the export near 1 GB).
const VARIANTS: u8 = 2;
/// Quantisation of the exported levels.
const DB_STEP: f32 = 0.375;
/// Levels further below the window's loudest band are stored as this.
const FLOOR_DB: f32 = -90.0;

struct Window {
    window: u8,
    variant: u8,
    frames: usize,
    levels: Vec<u8>,
}

pub fn run() -> Result<()> {
    let (root, clips) = corpus_clips()?;
    let out = root.join("corpus/embedding");
    std::fs::create_dir_all(&out)?;
    eprintln!("Exporting the mel frames of {} clips...", clips.len());
    let done = AtomicUsize::new(0);
    let per_clip: Vec<Vec<Window>> = clips
        .par_iter()
        .map(|clip| {
            let windows = clip_windows(clip).unwrap_or_else(|e| {
                eprintln!("  skipped {}: {e:#}", clip.path.display());
                Vec::new()
            });
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 1000 == 0 {
                eprintln!("  {n}/{}", clips.len());
            }
            windows
        })
        .collect();

    let mut frames_file = std::io::BufWriter::new(
        std::fs::File::create(out.join("frames.bin")).context("creating frames.bin")?,
    );
    let mut index = String::from(
        "path\tsource\tgroup\tclass\ttraining_only\twindow\tvariant\toffset\tframes\n",
    );
    let mut offset = 0usize;
    for (clip, windows) in clips.iter().zip(&per_clip) {
        for w in windows {
            frames_file.write_all(&w.levels)?;
            let _ = writeln!(
                index,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{offset}\t{}",
                clip.path.display(),
                clip.source,
                clip.group,
                clip.class.id(),
                u8::from(clip.training_only),
                w.window,
                w.variant,
                w.frames
            );
            offset += w.frames;
        }
    }
    frames_file.flush()?;
    std::fs::write(out.join("windows.tsv"), index)?;
    let meta = serde_json::json!({
        "classes": Class::ALL.iter().map(|c| c.id()).collect::<Vec<_>>(),
        "mel_bands": MEL_BANDS,
        "hop_seconds": HOP_SECONDS,
        "db_step": DB_STEP,
        "floor_db": FLOOR_DB,
        "frames": offset,
    });
    std::fs::write(
        out.join("meta.json"),
        serde_json::to_string_pretty(&meta)? + "\n",
    )?;
    eprintln!("Wrote {} frames to {}", offset, out.display());
    Ok(())
}

/// Every window of `clip` (seeded as the summaries are), its levels quantised.
fn clip_windows(clip: &ClipRef) -> Result<Vec<Window>> {
    let audio = decode_file(&clip.path)?;
    let seed = fnv1a(clip.path.to_string_lossy().as_bytes());
    let mut windows = Vec::new();
    for_each_training_window(&audio, seed, VARIANTS, |window, variant, frames, _| {
        let loudest = frames
            .iter()
            .flat_map(|f| f.mel_db)
            .fold(f32::NEG_INFINITY, f32::max);
        if frames.is_empty() || !loudest.is_finite() {
            return;
        }
        let levels = frames
            .iter()
            .flat_map(|f| f.mel_db)
            .map(|db| ((loudest - db).min(-FLOOR_DB) / DB_STEP).round() as u8)
            .collect();
        windows.push(Window {
            window,
            variant,
            frames: frames.len(),
            levels,
        });
    });
    Ok(windows)
}
