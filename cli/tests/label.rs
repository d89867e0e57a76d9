//! `track-labeler label`: formats, output shapes, bad files, symlinks, timelines, jobs.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::fixtures::read_wav_mono;
use common::*;
use serde_json::Value;

/// The class a committed clip is named after.
fn expected_class(path: &str) -> &str {
    let name = Path::new(path).file_name().unwrap().to_str().unwrap();
    name.split("__").next().unwrap()
}

fn keys(record: &Value) -> BTreeSet<&str> {
    record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn labels_the_committed_clips_as_json_lines_of_the_documented_shape() {
    let output = run(&["label", "--json", clips_dir().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let records = json_lines(&output);
    assert_eq!(records.len(), 10);
    let paths: Vec<&str> = records
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "output is in path order");
    for record in &records {
        assert_eq!(
            keys(record),
            BTreeSet::from(["path", "label", "confidence", "top"])
        );
        let path = record["path"].as_str().unwrap();
        assert_eq!(record["label"], expected_class(path), "{path}");
        let confidence = record["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        let top = record["top"].as_array().unwrap();
        assert!(!top.is_empty() && top.len() <= 3);
        assert_eq!(top[0]["label"], record["label"]);
        assert_eq!(top[0]["score"].as_f64().unwrap(), confidence);
        let scores: Vec<f64> = top.iter().map(|t| t["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        assert!(
            top.iter()
                .all(|t| keys(t) == BTreeSet::from(["label", "score"]))
        );
    }
}

#[test]
fn reads_every_wav_layout_and_aiff_and_skips_bad_files_without_stopping() {
    let dir = TempDir::new("label-formats");
    let (kick, rate) = read_wav_mono(&clip("kick__bd_haus.wav"));
    let rate = rate as u32;
    let mono = [kick.clone()];
    let stereo = [kick.clone(), kick.iter().map(|x| x * 0.5).collect()];
    let surround: Vec<Vec<f32>> = (0..6)
        .map(|c| kick.iter().map(|x| x / (c + 1) as f32).collect())
        .collect();
    write_wav(&dir.join("int8.wav"), rate, 8, false, &mono);
    write_wav(&dir.join("int16_stereo.wav"), rate, 16, false, &stereo);
    write_wav(&dir.join("int24.wav"), rate, 24, false, &mono);
    write_wav(&dir.join("int32_6ch.wav"), rate, 32, false, &surround);
    write_wav(&dir.join("float32.wav"), rate, 32, true, &mono);
    write_wav_f64(&dir.join("float64.wav"), rate, &stereo);
    write_aiff16(&dir.join("aiff16.aiff"), rate, &stereo);
    let at_48k = resample(&kick, rate, 48_000);
    write_wav(&dir.join("resampled_48k.wav"), 48_000, 16, false, &[at_48k]);
    // One folder level deeper: found recursively, with an upper-case extension.
    std::fs::create_dir(dir.join("deeper")).unwrap();
    write_mono16(&dir.join("deeper/KICK.WAV"), rate, &kick);

    write_mono16(&dir.join("silent.wav"), rate, &vec![0.0; rate as usize]);
    std::fs::write(dir.join("empty.wav"), b"").unwrap();
    std::fs::write(
        dir.join("random.wav"),
        (0..4000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let header_cut = std::fs::read(dir.join("int24.wav")).unwrap()[..30].to_vec();
    std::fs::write(dir.join("cut_in_header.wav"), header_cut).unwrap();
    // Not audio by name: ignored inside a folder.
    std::fs::write(dir.join("notes.txt"), b"not audio").unwrap();

    let output = run(&["label", "--json", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "a file failed");
    let records = json_lines(&output);
    let by_name = |name: &str| {
        records
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no record for {name}"))
    };
    for good in [
        "int8.wav",
        "int16_stereo.wav",
        "int24.wav",
        "int32_6ch.wav",
        "float32.wav",
        "float64.wav",
        "aiff16.aiff",
        "resampled_48k.wav",
        "deeper/KICK.WAV",
    ] {
        assert_eq!(by_name(good)["label"], "kick", "{good}");
    }
    assert_eq!(by_name("silent.wav")["label"], "silence");
    for bad in ["empty.wav", "random.wav", "cut_in_header.wav"] {
        let record = by_name(bad);
        assert_eq!(keys(record), BTreeSet::from(["path", "error"]), "{bad}");
        assert!(record["error"].as_str().unwrap().contains(bad));
    }
    assert_eq!(records.len(), 13, "notes.txt is not taken");
    assert!(
        stderr(&output).contains("3 could not be read"),
        "{}",
        stderr(&output)
    );

    // Named explicitly, a non-audio file is reported too; alone and good, a file exits 0.
    let output = run(&["label", dir.join("notes.txt").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("error"));
    let output = run(&["label", dir.join("int24.wav").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn follows_symlinks_and_reports_link_loops() {
    let dir = TempDir::new("label-links");
    std::os::unix::fs::symlink(clips_dir(), dir.join("linked_clips")).unwrap();
    std::fs::create_dir(dir.join("loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop"), dir.join("loop/again")).unwrap();
    let output = run(&["label", "--json", dir.path().to_str().unwrap()]);
    let records = json_lines(&output);
    let labelled: Vec<&Value> = records
        .iter()
        .filter(|r| r.get("label").is_some())
        .collect();
    assert_eq!(labelled.len(), 10, "every clip through the link");
    assert!(
        labelled
            .iter()
            .all(|r| r["path"].as_str().unwrap().contains("linked_clips"))
    );
    let errors: Vec<&Value> = records
        .iter()
        .filter(|r| r.get("error").is_some())
        .collect();
    assert_eq!(errors.len(), 1, "{records:?}");
    assert!(errors[0]["error"].as_str().unwrap().contains("loop"));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn csv_quotes_fields_and_the_table_aligns_its_columns() {
    let dir = TempDir::new("label-csv");
    std::fs::copy(clip("snare__sn_dolf.wav"), dir.join("snare, \"live\".wav")).unwrap();
    std::fs::copy(clip("piano__tonejs_piano_C4.wav"), dir.join("p.wav")).unwrap();

    let output = run_in(dir.path(), &["label", "--csv", "."]);
    assert!(output.status.success());
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "path,label,confidence,top,error");
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with("./p.wav,piano,"), "{}", lines[1]);
    assert!(lines[1].ends_with(','), "no error: empty last field");
    assert!(
        lines[2].starts_with("\"./snare, \"\"live\"\".wav\",snare,"),
        "{}",
        lines[2]
    );

    let output = run_in(dir.path(), &["label", "."]);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    // Every row has its label where the header has LABEL, and its top list under TOP.
    let label_at = lines[0].find("LABEL").unwrap();
    let top_at = lines[0].find("TOP").unwrap();
    for (row, label) in [(lines[1], "piano "), (lines[2], "snare ")] {
        assert!(row[label_at..].starts_with(label), "{text}");
        assert!(row[top_at..].starts_with(label), "{text}");
    }
}

#[test]
fn timeline_labels_each_window_with_its_times() {
    let dir = TempDir::new("label-timeline");
    let (kick, rate) = read_wav_mono(&clip("kick__bd_haus.wav"));
    let rate = rate as u32;
    let (flute, flute_rate) = read_wav_mono(&clip("woodwinds__tonejs_flute_C5.wav"));
    assert_eq!(rate, flute_rate as u32);
    // Kick at 0 s, silence, flute at 6.2 s; 9 s in all: three 3 s windows.
    let mut long = vec![0.0f32; 9 * rate as usize];
    long[..kick.len()].copy_from_slice(&kick);
    let flute_at = (6.2 * rate as f64) as usize;
    long[flute_at..flute_at + flute.len()].copy_from_slice(&flute);
    write_mono16(&dir.join("stem.wav"), rate, &long);

    let output = run(&[
        "label",
        "--json",
        "--timeline",
        dir.join("stem.wav").to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let record = &json_lines(&output)[0];
    let timeline = record["timeline"].as_array().unwrap();
    let labels: Vec<&str> = timeline
        .iter()
        .map(|w| w["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["kick", "silence", "woodwinds"]);
    let times: Vec<(f64, f64)> = timeline
        .iter()
        .map(|w| (w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap()))
        .collect();
    assert_eq!(times[0].0, 0.0);
    assert!((times[0].1 - 3.0).abs() < 0.02, "{times:?}");
    assert!(
        times.windows(2).all(|w| w[0].1 == w[1].0),
        "contiguous: {times:?}"
    );
    assert!((times[2].1 - 9.0).abs() < 0.001, "{times:?}");
    // The file's score for a label is the mean of its two sounding windows' scores for it: half
    // the winning window's confidence, plus at most what the other window left to other labels.
    let label = record["label"].as_str().unwrap();
    assert!(["kick", "woodwinds"].contains(&label));
    let confidence_of = |i: usize| timeline[i]["confidence"].as_f64().unwrap();
    let (own, other) = if label == "kick" { (0, 2) } else { (2, 0) };
    let file = record["confidence"].as_f64().unwrap();
    let bounds = (
        confidence_of(own) / 2.0,
        (confidence_of(own) + 1.0 - confidence_of(other)) / 2.0,
    );
    assert!(
        file >= bounds.0 - 1e-4 && file <= bounds.1 + 1e-4,
        "{file} not in {bounds:?}"
    );

    let output = run(&[
        "label",
        "--timeline",
        dir.join("stem.wav").to_str().unwrap(),
    ]);
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1 + 1 + 3, "{text}");
    assert!(text.contains("  0.000-2.995 s"), "{text}");
}

#[test]
fn a_tail_repeats_the_window_before_and_is_marked() {
    let dir = TempDir::new("label-tail");
    let (piano, rate) = read_wav_mono(&clip("piano__tonejs_piano_C4.wav"));
    // The note, then the same note 30 dB down every 1.5 s: 12 s, four windows, the last three
    // more than 20 dB below the first within 10 s of it.
    let mut audio = vec![0.0f32; 12 * rate as usize];
    for (n, start) in (0..audio.len() - piano.len())
        .step_by(piano.len())
        .enumerate()
    {
        let gain = if n == 0 {
            1.0
        } else {
            10f32.powf(-30.0 / 20.0)
        };
        for (o, x) in audio[start..].iter_mut().zip(&piano) {
            *o = x * gain;
        }
    }
    write_mono16(&dir.join("fading.wav"), rate as u32, &audio);
    let path = dir.join("fading.wav");

    let output = run(&["label", "--json", "--timeline", path.to_str().unwrap()]);
    assert!(output.status.success());
    let record = &json_lines(&output)[0];
    let timeline = record["timeline"].as_array().unwrap();
    let held: Vec<bool> = timeline
        .iter()
        .map(|w| w.get("held").is_some_and(|h| h == true))
        .collect();
    assert_eq!(held, [false, true, true, true], "{timeline:?}");
    for w in &timeline[1..] {
        assert_eq!(w["label"], timeline[0]["label"]);
        assert_eq!(w["confidence"], timeline[0]["confidence"]);
    }
    // Only the judged window makes the file's label.
    assert_eq!(record["label"], timeline[0]["label"]);
    assert_eq!(record["confidence"], timeline[0]["confidence"]);

    let text = stdout(&run(&["label", "--timeline", path.to_str().unwrap()]));
    assert_eq!(text.matches(" s (tail)").count(), 3, "{text}");
}

#[test]
fn one_job_and_two_jobs_give_the_same_output() {
    let clips = clips_dir();
    let one = run(&["label", "--json", "--jobs", "1", clips.to_str().unwrap()]);
    let two = run(&["label", "--json", "-j", "2", clips.to_str().unwrap()]);
    assert!(one.status.success() && two.status.success());
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn a_file_that_is_not_a_reference_set_is_refused_as_a_model() {
    let output = run(&[
        "label",
        "--model",
        "Cargo.toml",
        clips_dir().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains("not a Track Labeler reference set"),
        "{}",
        stderr(&output)
    );
}
