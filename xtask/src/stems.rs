//! Real electric guitar from the Frets on Fire song packs (Debian `fretsonfire-songs-muldjord`,
//! `fretsonfire-songs-sectoid`): each song ships its lead guitar as a separate stem,
//! `guitar.ogg`. A stem of several minutes would give only a few training windows as one clip,
//! so it is cut into pieces of a few decision windows each, written under
//! `corpus/rendered/fretsonfire/<pack>-<song>/` with an `index.json` (one group per song).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use track_labeler::labels::Class;
use track_labeler::summary::LABEL_WINDOW_SECONDS;
use track_labeler_cli::decode::decode_file;

use crate::dataset::sanitize;
use crate::wav::write_mono16;

/// Where `cargo xtask corpus` puts each pack's songs, one folder per song.
pub const PACK_DIRS: [&str; 2] = [
    "debian/fretsonfire-songs-muldjord/usr/share/games/fretsonfire/data/songs/muldjord",
    "debian/fretsonfire-songs-sectoid/usr/share/games/fretsonfire/data/songs/sectoid",
];
pub const PIECES_DIR: &str = "rendered/fretsonfire";
const STEM_FILE: &str = "guitar.ogg";
const INDEX: &str = "index.json";

/// Three decision windows: short enough that a song gives dozens of pieces, long enough that the
/// training windows inside a piece do not overlap.
const PIECE_WINDOWS: f32 = 3.0;

#[derive(Serialize)]
struct PieceEntry {
    path: String,
    class: &'static str,
    /// `fretsonfire-<pack>`: the two packs are two bands, recorded apart.
    source: String,
    group: String,
}

/// Cuts every guitar stem into pieces (skipped if the index is already there). Returns the
/// number of pieces.
pub fn cut_guitar_stems(corpus: &Path) -> Result<usize> {
    let out_dir = corpus.join(PIECES_DIR);
    let index = out_dir.join(INDEX);
    if let Ok(text) = fs::read_to_string(&index) {
        let entries: Vec<serde_json::Value> =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", index.display()))?;
        return Ok(entries.len());
    }
    let mut entries = Vec::new();
    for pack in PACK_DIRS {
        let pack_dir = corpus.join(pack);
        let Ok(songs) = fs::read_dir(&pack_dir) else {
            continue;
        };
        let mut songs: Vec<_> = songs.filter_map(|e| e.ok().map(|e| e.path())).collect();
        songs.sort();
        let pack_name = pack_dir.file_name().unwrap_or_default().to_string_lossy();
        for song in songs {
            let stem = song.join(STEM_FILE);
            if !stem.is_file() {
                continue;
            }
            let audio =
                decode_file(&stem).with_context(|| format!("decoding {}", stem.display()))?;
            let song_name = song.file_name().unwrap_or_default().to_string_lossy();
            let folder = sanitize(&format!("{pack_name}-{song_name}"));
            fs::create_dir_all(out_dir.join(&folder))?;
            let piece_len =
                (PIECE_WINDOWS * LABEL_WINDOW_SECONDS * audio.sample_rate as f32) as usize;
            for (i, piece) in audio.to_mono().chunks_exact(piece_len).enumerate() {
                let file = format!("{folder}/piece-{i:03}.wav");
                write_mono16(&out_dir.join(&file), piece, audio.sample_rate)?;
                entries.push(PieceEntry {
                    path: file,
                    class: Class::ElectricGuitar.id(),
                    source: format!("fretsonfire-{pack_name}"),
                    group: folder.clone(),
                });
            }
        }
    }
    if entries.is_empty() {
        return Ok(0);
    }
    // The index goes last: its presence means the pieces are complete.
    fs::write(&index, serde_json::to_string_pretty(&entries)? + "\n")
        .with_context(|| format!("writing {}", index.display()))?;
    Ok(entries.len())
}
