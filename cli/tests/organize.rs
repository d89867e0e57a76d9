//! `track-labeler organize`: a read-only source stays untouched, a second run changes nothing,
//! clashes get suffixes, nothing is overwritten, links and dry runs.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::*;

/// Every entry under `root`: relative path -> (kind, bytes or link target, modification time).
type Listing = BTreeMap<PathBuf, (String, Vec<u8>, SystemTime)>;

fn listing(root: &Path) -> Listing {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|entry| {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(path).unwrap();
            let (kind, content) = if meta.file_type().is_symlink() {
                (
                    "link",
                    std::fs::read_link(path)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                )
            } else if meta.is_dir() {
                ("dir", Vec::new())
            } else {
                ("file", std::fs::read(path).unwrap())
            };
            (
                path.strip_prefix(root).unwrap().to_path_buf(),
                (kind.to_string(), content, meta.modified().unwrap()),
            )
        })
        .collect()
}

/// A small library: four clips in two folders, the kick twice under the same name (once
/// identical, once as the snare's sound), a corrupt file, an empty file and a text file.
fn library(root: &Path) {
    std::fs::create_dir_all(root.join("pack one")).unwrap();
    std::fs::create_dir_all(root.join("pack two/sub")).unwrap();
    for name in [
        "kick__bd_haus.wav",
        "snare__sn_dolf.wav",
        "piano__tonejs_piano_C4.wav",
    ] {
        std::fs::copy(clip(name), root.join("pack one").join(name)).unwrap();
    }
    std::fs::copy(
        clip("kick__bd_haus.wav"),
        root.join("pack two/kick__bd_haus.wav"),
    )
    .unwrap();
    std::fs::copy(
        clip("snare__sn_dolf.wav"),
        root.join("pack two/sub/kick__bd_haus.wav"),
    )
    .unwrap();
    std::fs::write(
        root.join("pack two/broken.wav"),
        b"RIFF\x10\0\0\0WAVEfmt garbage",
    )
    .unwrap();
    std::fs::write(root.join("pack two/empty.flac"), b"").unwrap();
    std::fs::write(root.join("pack two/readme.txt"), b"hello").unwrap();
}

fn set_tree_read_only(root: &Path, read_only: bool) {
    for entry in walkdir::WalkDir::new(root).contents_first(!read_only) {
        set_read_only(entry.unwrap().path(), read_only);
    }
}

#[test]
fn builds_group_and_label_folders_from_a_read_only_source_and_a_second_run_changes_nothing() {
    let dir = TempDir::new("organize");
    let src = dir.join("src");
    let dest = dir.join("out/sorted");
    library(&src);
    // A file already in DEST under a name the kick will want: it must survive.
    std::fs::create_dir_all(dest.join("Drums/kick")).unwrap();
    std::fs::write(
        dest.join("Drums/kick/kick__bd_haus.wav"),
        b"someone else's file",
    )
    .unwrap();

    set_tree_read_only(&src, true);
    let before = listing(&src);
    let first = run(&["organize", src.to_str().unwrap(), dest.to_str().unwrap()]);
    let after = listing(&src);
    set_tree_read_only(&src, false);
    assert_eq!(before, after, "SRC is untouched: names, contents and times");
    assert_eq!(first.status.code(), Some(1), "two files could not be read");
    assert!(stderr(&first).contains("broken.wav") && stderr(&first).contains("empty.flac"));

    let read = |relative: &str| std::fs::read(dest.join(relative)).unwrap();
    assert_eq!(read("Drums/kick/kick__bd_haus.wav"), b"someone else's file");
    let kick = std::fs::read(clip("kick__bd_haus.wav")).unwrap();
    let snare = std::fs::read(clip("snare__sn_dolf.wav")).unwrap();
    // Both kicks are copies (sorted: "pack one" before "pack two"), suffixed past the clash.
    assert_eq!(read("Drums/kick/kick__bd_haus_2.wav"), kick);
    assert_eq!(read("Drums/kick/kick__bd_haus_3.wav"), kick);
    assert_eq!(read("Drums/snare/snare__sn_dolf.wav"), snare);
    assert_eq!(
        read("Drums/snare/kick__bd_haus.wav"),
        snare,
        "labelled by sound, not name"
    );
    assert_eq!(
        read("Keys/piano/piano__tonejs_piano_C4.wav"),
        std::fs::read(clip("piano__tonejs_piano_C4.wav")).unwrap()
    );
    let files: Vec<PathBuf> = listing(&dest)
        .into_iter()
        .filter(|(_, (kind, _, _))| kind == "file")
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        files.len(),
        7,
        "six placed or foreign files and labels.json: {files:?}"
    );

    let labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join("labels.json")).unwrap()).unwrap();
    let records = labels.as_array().unwrap();
    assert_eq!(records.len(), 7, "five labelled, two failed");
    let labelled = |path: &str| {
        records
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(path))
            .unwrap()
    };
    assert_eq!(labelled("pack two/sub/kick__bd_haus.wav")["label"], "snare");
    assert!(labelled("pack two/broken.wav")["error"].is_string());

    let organized = listing(&dest);
    let second = run(&["organize", src.to_str().unwrap(), dest.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(1));
    assert!(
        stdout(&second).is_empty(),
        "nothing to do: {}",
        stdout(&second)
    );
    assert_eq!(listing(&dest), organized, "the second run changed nothing");
    assert_eq!(listing(&src), before);
}

#[cfg(unix)]
#[test]
fn links_point_at_the_sources_and_a_dry_run_writes_nothing() {
    let dir = TempDir::new("organize-link");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    for name in ["kick__bd_haus.wav", "woodwinds__tonejs_flute_C5.wav"] {
        std::fs::copy(clip(name), src.join(name)).unwrap();
    }
    let dest = dir.join("linked");

    let dry = run(&[
        "organize",
        "--link",
        "--dry-run",
        src.to_str().unwrap(),
        dest.to_str().unwrap(),
    ]);
    assert!(dry.status.success());
    assert!(!dest.exists(), "a dry run creates nothing");
    assert_eq!(
        stdout(&dry)
            .lines()
            .filter(|l| l.starts_with("would link"))
            .count(),
        2
    );

    let output = run(&[
        "organize",
        "--link",
        src.to_str().unwrap(),
        dest.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let link = dest.join("Orchestra/woodwinds/woodwinds__tonejs_flute_C5.wav");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::fs::canonicalize(src.join("woodwinds__tonejs_flute_C5.wav")).unwrap()
    );
    assert!(std::fs::read_link(dest.join("Drums/kick/kick__bd_haus.wav")).is_ok());
    let linked = listing(&dest);
    let again = run(&[
        "organize",
        "--link",
        src.to_str().unwrap(),
        dest.to_str().unwrap(),
    ]);
    assert!(again.status.success());
    assert_eq!(listing(&dest), linked);
}

#[test]
fn refuses_a_destination_inside_the_source() {
    let dir = TempDir::new("organize-inside");
    std::fs::copy(clip("kick__bd_haus.wav"), dir.join("kick.wav")).unwrap();
    let before = listing(dir.path());
    let output = run(&[
        "organize",
        dir.path().to_str().unwrap(),
        dir.join("sorted").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("inside SRC"),
        "{}",
        stderr(&output)
    );
    assert_eq!(listing(dir.path()), before);
}
