//! The user's own library of taught examples, shared by every session on the machine: one JSON
//! object per line, appended by "this track is ..." when the user asks for it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::track_state::TaughtExample;

/// Bumped by every append from this process, so classifiers know to re-read.
static GENERATION: AtomicU64 = AtomicU64::new(1);
static LOADED: Mutex<Option<(u64, Vec<TaughtExample>)>> = Mutex::new(None);

/// `TRACK_LABELER_LIBRARY`, else `taught.jsonl` in the platform's per-user data folder.
pub fn path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TRACK_LABELER_LIBRARY") {
        return Some(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let folder = if cfg!(target_os = "windows") {
        std::env::var_os("APPDATA").map(|d| PathBuf::from(d).join("Track Labeler"))
    } else if cfg!(target_os = "macos") {
        home.map(|h| h.join("Library/Application Support/Track Labeler"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| home.map(|h| h.join(".local/share")))
            .map(|d| d.join("track-labeler"))
    };
    folder.map(|f| f.join("taught.jsonl"))
}

pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// The library's examples; unreadable lines are skipped with a warning.
pub fn examples() -> Vec<TaughtExample> {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let generation = generation();
    if loaded.as_ref().is_none_or(|(g, _)| *g != generation) {
        *loaded = Some((generation, read()));
    }
    loaded.as_ref().map(|(_, e)| e.clone()).unwrap_or_default()
}

fn read() -> Vec<TaughtExample> {
    let Some(text) = path().and_then(|p| std::fs::read_to_string(p).ok()) else {
        return Vec::new();
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| match serde_json::from_str(line) {
            Ok(example) => Some(example),
            Err(error) => {
                nice_plug::nice_warn!("skipping an unreadable line of the user library: {error}");
                None
            }
        })
        .collect()
}

pub fn append(example: &TaughtExample) -> std::io::Result<()> {
    let path =
        path().ok_or_else(|| std::io::Error::other("no home folder for the user library"))?;
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let mut line = serde_json::to_string(example).map_err(std::io::Error::other)?;
    line.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?
        .write_all(line.as_bytes())?;
    GENERATION.fetch_add(1, Ordering::AcqRel);
    Ok(())
}
