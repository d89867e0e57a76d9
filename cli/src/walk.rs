//! Finding the audio files to work on: files named on the command line, and audio files found
//! recursively under named folders (symlinks followed, link loops reported, not followed).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// Extensions (lower case) of the formats the decoder reads. Inside folders only these files
/// are taken, so a library's text files, images and project files are not reported as errors.
pub const AUDIO_EXTENSIONS: [&str; 9] = [
    "wav", "wave", "aif", "aiff", "aifc", "flac", "mp3", "ogg", "oga",
];

/// A path that could not be walked: missing, unreadable, or a symlink loop.
#[derive(Debug)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// What a walk found: sorted, without duplicates.
#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<PathBuf>,
    pub errors: Vec<WalkError>,
}

pub fn is_audio_file_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Every file in `paths`: a file is taken as given (whatever its name, so a non-audio file
/// named explicitly is reported rather than silently ignored), a folder is searched for audio
/// files.
pub fn audio_files(paths: &[PathBuf]) -> Found {
    let mut files = BTreeSet::new();
    let mut errors = Vec::new();
    for root in paths {
        if !root.is_dir() {
            match root.metadata() {
                Ok(_) => {
                    files.insert(root.clone());
                }
                Err(e) => errors.push(WalkError {
                    path: root.clone(),
                    message: format!("cannot read \"{}\": {e}", root.display()),
                }),
            }
            continue;
        }
        let walker = WalkDir::new(root).follow_links(true).sort_by_file_name();
        for entry in walker {
            match entry {
                Ok(entry) if entry.file_type().is_file() && is_audio_file_name(entry.path()) => {
                    files.insert(entry.into_path());
                }
                Ok(_) => {}
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    errors.push(WalkError {
                        message: format!("cannot read \"{}\": {e}", path.display()),
                        path,
                    });
                }
            }
        }
    }
    Found {
        files: files.into_iter().collect(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_extensions_are_recognised_whatever_their_case() {
        assert!(is_audio_file_name(Path::new("a/Kick.WAV")));
        assert!(is_audio_file_name(Path::new("loop.aiff")));
        assert!(!is_audio_file_name(Path::new("notes.txt")));
        assert!(!is_audio_file_name(Path::new("wav")));
    }
}
