//! `track-labeler organize SRC DEST`: builds `DEST/<Group>/<label>/<file>` from the audio files
//! under SRC, by copy or symlink, and writes `DEST/labels.json`.
//!
//! SRC is only ever read. Nothing in DEST is overwritten: a name already taken by another file
//! gets a numbered suffix (`kick_2.wav`). A file already in place from an earlier run is left
//! alone, so running the same command again changes nothing.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use track_labeler::labels::Class;

use crate::batch::{Outcome, label_files};
use crate::commands::label::{LabelerArgs, exit_code, report_counts};
use crate::labeling::SILENCE;
use crate::records::Record;
use crate::walk::{Found, audio_files};

/// The group folder of silent files and of labels that are not one of the built-in classes
/// (user reference sets may bring their own).
const SILENCE_GROUP: &str = "Silence";
const OTHER_GROUP: &str = "Other";
/// The record of every file under SRC, as `label --json` prints them (as a JSON array).
pub const LABELS_FILE: &str = "labels.json";

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  track-labeler organize ~/Downloads/pack ~/Samples/sorted
  track-labeler organize --link --dry-run ~/Samples/raw ~/Samples/by-instrument")]
pub struct Args {
    /// The library to read. Nothing in it is moved, renamed or modified.
    #[arg(value_name = "SRC")]
    pub src: PathBuf,
    /// Where to build `<Group>/<label>/` folders (created if missing; must not be inside SRC).
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
    /// Copy the files (the default).
    #[arg(long, conflicts_with = "link")]
    pub copy: bool,
    /// Make symbolic links to the files instead of copies.
    #[arg(long)]
    pub link: bool,
    /// Print what would be done; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub labeler: LabelerArgs,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Copy,
    Link,
}

/// `Drums`, `Keys`, ... for the built-in classes.
fn group_folder(label: &str) -> &'static str {
    match Class::from_id(label) {
        Some(class) => class.group().name(),
        None if label == SILENCE => SILENCE_GROUP,
        None => OTHER_GROUP,
    }
}

/// A label as a single folder name (labels of user sets are folder names already; this keeps
/// a crafted set from reaching outside DEST).
fn label_folder(label: &str) -> String {
    let name: String = label
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    match name.as_str() {
        "" | "." | ".." => "_".into(),
        _ => name,
    }
}

/// `stem_N.ext` for the N-th candidate name (N = 1 is the name itself).
fn candidate_name(file_name: &Path, n: usize) -> PathBuf {
    if n == 1 {
        return file_name.to_path_buf();
    }
    let stem = file_name.file_stem().unwrap_or_default().to_string_lossy();
    match file_name.extension() {
        Some(ext) => format!("{stem}_{n}.{}", ext.to_string_lossy()).into(),
        None => format!("{stem}_{n}").into(),
    }
}

/// Whether `dest` already is `source`'s copy (same bytes) or link (to `link_target`).
fn already_placed(dest: &Path, source: &Path, link_target: &Path, mode: Mode) -> io::Result<bool> {
    let meta = fs::symlink_metadata(dest)?;
    match mode {
        Mode::Link => Ok(meta.file_type().is_symlink() && fs::read_link(dest)? == link_target),
        Mode::Copy => Ok(meta.file_type().is_file()
            && meta.len() == fs::metadata(source)?.len()
            && same_bytes(dest, source)?),
    }
}

fn same_bytes(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut a, mut b) = (File::open(a)?, File::open(b)?);
    let (mut buf_a, mut buf_b) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = a.read(&mut buf_a)?;
        if n == 0 {
            return Ok(b.read(&mut buf_b[..1])? == 0);
        }
        b.read_exact(&mut buf_b[..n])?;
        if buf_a[..n] != buf_b[..n] {
            return Ok(false);
        }
    }
}

/// Where one file goes, and whether it is there already.
struct Placement {
    source: PathBuf,
    dest: PathBuf,
    in_place: bool,
}

/// Places every labelled file in its label's folder under the first name that is neither
/// planned for an earlier file nor taken by a file that is not this one's copy or link.
fn plan(outcomes: &[Outcome], dest: &Path, mode: Mode) -> anyhow::Result<Vec<Placement>> {
    let mut planned: HashSet<PathBuf> = HashSet::new();
    let mut placements = Vec::new();
    for outcome in outcomes {
        let Ok(file) = &outcome.result else { continue };
        let label = &file.scores.label;
        let folder = dest.join(group_folder(label)).join(label_folder(label));
        let file_name = Path::new(outcome.path.file_name().expect("a walked file has a name"));
        let link_target = fs::canonicalize(&outcome.path)
            .with_context(|| format!("resolving {}", outcome.path.display()))?;
        for n in 1.. {
            let candidate = folder.join(candidate_name(file_name, n));
            if planned.contains(&candidate) {
                continue;
            }
            let in_place = match already_placed(&candidate, &outcome.path, &link_target, mode) {
                Ok(in_place) => in_place,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => {
                    return Err(e).with_context(|| format!("checking {}", candidate.display()));
                }
            };
            let taken = !in_place && fs::symlink_metadata(&candidate).is_ok();
            if !taken {
                planned.insert(candidate.clone());
                placements.push(Placement {
                    source: if mode == Mode::Link {
                        link_target
                    } else {
                        outcome.path.clone()
                    },
                    dest: candidate,
                    in_place,
                });
                break;
            }
        }
    }
    Ok(placements)
}

/// Copies `source` to `dest`, which must not exist (never overwrites, even if something
/// appeared there since planning). A partial copy is removed.
fn copy_new(source: &Path, dest: &Path) -> io::Result<()> {
    let mut reader = File::open(source)?;
    let mut writer = OpenOptions::new().write(true).create_new(true).open(dest)?;
    io::copy(&mut reader, &mut writer)
        .and_then(|_| writer.sync_all())
        .inspect_err(|_| {
            let _ = fs::remove_file(dest);
        })
}

fn place(placement: &Placement, mode: Mode) -> io::Result<()> {
    fs::create_dir_all(placement.dest.parent().expect("inside DEST"))?;
    match mode {
        Mode::Copy => copy_new(&placement.source, &placement.dest),
        Mode::Link => symlink(&placement.source, &placement.dest),
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

/// `labels.json`: the records as a JSON array, one per line.
fn labels_json(outcomes: &[Outcome]) -> String {
    let lines: Vec<String> = outcomes
        .iter()
        .map(|o| Record::new(o, false).to_json())
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

/// The absolute form of `path` with every existing ancestor resolved, so DEST can be compared
/// with SRC before it exists.
fn resolved(path: &Path) -> anyhow::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name().context("no existing ancestor")?);
        existing = existing.parent().context("no existing ancestor")?;
    }
    let mut resolved = fs::canonicalize(existing)?;
    resolved.extend(rest.iter().rev());
    Ok(resolved)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mode = if args.link { Mode::Link } else { Mode::Copy };
    if !args.src.is_dir() {
        bail!("{} is not a folder", args.src.display());
    }
    let src = fs::canonicalize(&args.src)?;
    if resolved(&args.dest)?.starts_with(&src) {
        bail!(
            "DEST ({}) is inside SRC ({}): organize never writes into SRC",
            args.dest.display(),
            args.src.display()
        );
    }
    let labeler = args.labeler.labeler()?;

    let Found { files, errors } = audio_files(std::slice::from_ref(&args.src));
    let mut outcomes: Vec<Outcome> = errors
        .into_iter()
        .map(|e| Outcome {
            path: e.path,
            result: Err(e.message),
        })
        .collect();
    label_files(&labeler, &files, args.labeler.jobs(), |outcome| {
        outcomes.push(outcome);
        Ok(())
    })?;
    outcomes.sort_by(|a, b| a.path.cmp(&b.path));
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    for outcome in &failed {
        if let Err(error) = &outcome.result {
            eprintln!("skipped: {error}");
        }
    }

    let placements = plan(&outcomes, &args.dest, mode)?;
    let verb = match mode {
        Mode::Copy => "copy",
        Mode::Link => "link",
    };
    let mut placed = 0;
    for placement in placements.iter().filter(|p| !p.in_place) {
        if args.dry_run {
            println!(
                "would {verb} {} -> {}",
                placement.source.display(),
                placement.dest.display()
            );
        } else {
            place(placement, mode).with_context(|| {
                format!(
                    "{verb} {} to {}",
                    placement.source.display(),
                    placement.dest.display()
                )
            })?;
            println!(
                "{verb} {} -> {}",
                placement.source.display(),
                placement.dest.display()
            );
        }
        placed += 1;
    }

    let json = labels_json(&outcomes);
    let labels_path = args.dest.join(LABELS_FILE);
    if !args.dry_run && fs::read_to_string(&labels_path).ok().as_deref() != Some(json.as_str()) {
        fs::create_dir_all(&args.dest)?;
        fs::write(&labels_path, json)
            .with_context(|| format!("writing {}", labels_path.display()))?;
    }
    let done = match (args.dry_run, mode) {
        (true, _) => format!("would {verb}"),
        (false, Mode::Copy) => "copied".into(),
        (false, Mode::Link) => "linked".into(),
    };
    eprintln!(
        "{placed} files {done}, {} already in place",
        placements.len() - placed
    );
    report_counts(placements.len(), failed.len());
    Ok(exit_code(failed.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashing_names_get_numbered_suffixes() {
        assert_eq!(
            candidate_name(Path::new("kick.wav"), 1),
            Path::new("kick.wav")
        );
        assert_eq!(
            candidate_name(Path::new("kick.wav"), 3),
            Path::new("kick_3.wav")
        );
        assert_eq!(
            candidate_name(Path::new("take.1.flac"), 2),
            Path::new("take.1_2.flac")
        );
        assert_eq!(
            candidate_name(Path::new("README"), 2),
            Path::new("README_2")
        );
    }

    #[test]
    fn labels_map_to_group_folders_and_stay_single_folder_names() {
        assert_eq!(group_folder("kick"), "Drums");
        assert_eq!(group_folder("electric_guitar"), "Guitars");
        assert_eq!(group_folder(SILENCE), SILENCE_GROUP);
        assert_eq!(group_folder("my_808s"), OTHER_GROUP);
        assert_eq!(label_folder("../../etc"), ".._.._etc");
        assert_eq!(label_folder(".."), "_");
    }
}
