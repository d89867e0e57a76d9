//! `track-labeler segment`: onsets against librosa's on committed fixtures, and the command end
//! to end on a beat assembled from committed drum clips.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{TempDir, clip, json_lines, run, stderr, stdout, write_mono16};
use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};
use serde_json::Value;
use track_labeler_cli::decode::decode_file;
use track_labeler_cli::onset::{ONSET_HOP, detect_onsets};

/// An onset whose normalised strength is at least this far above librosa's threshold is clear;
/// closer to it, float rounding or our 40 mel bands (librosa's default is 128) can tip the
/// decision either way.
const CLEAR_MARGIN: f64 = 0.05;

/// Every clear librosa onset has one of ours within one hop (512 samples) and vice versa, on
/// `tests/fixtures/librosa_onsets` (amen break at 22.05 and 44.1 kHz, synthetic hits at 48 kHz).
/// Measured: all 28 onsets match librosa's frame for frame, clear or not.
#[test]
fn onsets_agree_with_librosa_within_one_hop() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/librosa_onsets");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 3);
    let (mut matched, mut total) = (0, 0);
    for path in fixtures {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let audio = decode_file(&dir.join(json["wav"].as_str().unwrap())).unwrap();
        assert_eq!(
            u64::from(audio.sample_rate),
            json["sample_rate"].as_u64().unwrap()
        );
        let hop = ONSET_HOP as f64 / f64::from(audio.sample_rate);
        let ours: Vec<(f64, f64)> = detect_onsets(&audio.to_mono(), audio.sample_rate as f32)
            .iter()
            .map(|o| (o.time_seconds, f64::from(o.margin)))
            .collect();
        let theirs: Vec<(f64, f64)> = json["onset_times"]
            .as_array()
            .unwrap()
            .iter()
            .zip(json["onset_margins"].as_array().unwrap())
            .map(|(t, m)| (t.as_f64().unwrap(), m.as_f64().unwrap()))
            .collect();
        let near = |t: f64, others: &[(f64, f64)]| {
            others.iter().any(|&(o, _)| (o - t).abs() <= hop + 1e-9)
        };
        for (a, b, who) in [(&theirs, &ours, "librosa"), (&ours, &theirs, "our")] {
            for &(t, margin) in a.iter() {
                total += 1;
                if near(t, b) {
                    matched += 1;
                } else {
                    assert!(
                        margin < CLEAR_MARGIN,
                        "{name}: clear {who} onset at {t:.3} s (margin {margin:.3}) unmatched; \
                         ours {ours:?}, librosa {theirs:?}"
                    );
                }
            }
        }
    }
    println!("{matched} of {total} onsets matched within one hop");
    assert!(matched as f64 >= 0.9 * total as f64, "{matched} of {total}");
}

const RATE: u32 = 22_050;

/// (time in seconds, clip stem, gain, expected label, GM note) of the test beat.
const BEAT: [(f64, &str, f32, &str, u8); 8] = [
    (0.10, "kick__bd_haus", 1.0, "kick", 36),
    (0.35, "cymbals__drum_cymbal_closed", 0.5, "cymbals", 42),
    (0.60, "snare__sn_dolf", 0.8, "snare", 38),
    (0.85, "cymbals__drum_cymbal_closed", 0.3, "cymbals", 42),
    (1.10, "kick__bd_haus", 0.6, "kick", 36),
    (1.35, "cymbals__drum_cymbal_closed", 0.5, "cymbals", 42),
    (1.60, "snare__sn_dolf", 1.0, "snare", 38),
    (2.10, "cymbals__drum_cymbal_closed", 0.7, "cymbals", 42),
];
/// The clips peak at -3 dBFS (`tests/fixtures/clips/README.md`).
const CLIP_PEAK_DBFS: f32 = -3.0;

/// The beat mixed from the committed clips (22.05 kHz), written to `path`.
fn write_beat(path: &std::path::Path) {
    let mut beat = vec![0.0f32; (2.5 * f64::from(RATE)) as usize];
    for (time, stem, gain, _, _) in BEAT {
        let clip = decode_file(&clip(&format!("{stem}.wav"))).unwrap();
        assert_eq!(clip.sample_rate, RATE);
        let start = (time * f64::from(RATE)) as usize;
        for (out, x) in beat[start..].iter_mut().zip(clip.to_mono()) {
            *out += gain * x;
        }
    }
    write_mono16(path, RATE, &beat);
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("scratch paths are UTF-8")
}

/// `segment --json FILE --midi MID`, which must succeed.
fn segment_to_json_and_midi(wav: &Path, mid: &Path) -> Output {
    let output = run(&["segment", "--json", path_arg(wav), "--midi", path_arg(mid)]);
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

#[test]
fn a_beat_is_cut_labelled_and_written_as_gm_drums() {
    let dir = TempDir::new("segment-beat");
    let (wav, mid) = (dir.join("beat.wav"), dir.join("beat.mid"));
    write_beat(&wav);
    let events = json_lines(&segment_to_json_and_midi(&wav, &mid));
    let labels: Vec<&str> = events
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = BEAT.iter().map(|hit| hit.3).collect();
    assert_eq!(labels, expected);

    let one_hop = f64::from(ONSET_HOP as u32) / f64::from(RATE);
    for (event, (time, _, gain, _, _)) in events.iter().zip(BEAT) {
        // The event starts at its attack: measured within 14 ms of the true hit (a hat over a
        // snare's decay starts at the cut point, up to two hops early), 5 ms for the others.
        let reported = event["time"].as_f64().unwrap();
        assert!(
            (reported - time).abs() <= one_hop,
            "{event} for the hit at {time} s"
        );
        let confidence = event["confidence"].as_f64().unwrap();
        assert!(confidence > 0.0 && confidence <= 1.0, "{event}");
        // GM2 velocity curve of the hit's peak level.
        let peak_dbfs = 20.0 * gain.log10() + CLIP_PEAK_DBFS;
        let expected_velocity = 127.0 * 10f64.powf(f64::from(peak_dbfs) / 40.0);
        let velocity = event["velocity"].as_f64().unwrap();
        assert!(
            (velocity - expected_velocity).abs() <= 2.0,
            "{event}: expected {expected_velocity:.0}"
        );
    }

    let bytes = std::fs::read(&mid).unwrap();
    let smf = Smf::parse(&bytes).expect("a valid Standard MIDI File");
    assert_eq!(smf.header.timing, Timing::Metrical(480.into()));
    let track = &smf.tracks[0];
    assert!(track.iter().any(|e| matches!(
        e.kind,
        TrackEventKind::Meta(MetaMessage::Tempo(t)) if t.as_int() == 500_000
    )));
    let mut tick = 0;
    let mut note_ons = Vec::new();
    for event in track {
        tick += event.delta.as_int();
        if let TrackEventKind::Midi {
            channel,
            message: MidiMessage::NoteOn { key, vel },
        } = event.kind
        {
            note_ons.push((tick, channel.as_int(), key.as_int(), vel.as_int()));
        }
    }
    let expected_notes: Vec<(u32, u8, u8, u8)> = events
        .iter()
        .zip(BEAT)
        .map(|(event, hit)| {
            let ticks = (event["time"].as_f64().unwrap() * 960.0).round() as u32;
            (ticks, 9, hit.4, event["velocity"].as_u64().unwrap() as u8)
        })
        .collect();
    assert_eq!(note_ons, expected_notes);
}

#[test]
fn the_default_output_is_a_table_of_the_events() {
    let dir = TempDir::new("segment-table");
    let wav = dir.join("beat.wav");
    write_beat(&wav);
    let output = run(&["segment", path_arg(&wav)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].contains("time") && lines[0].contains("label") && lines[0].contains("velocity")
    );
    assert_eq!(lines.len(), 1 + BEAT.len(), "{table}");
    for (line, hit) in lines[1..].iter().zip(BEAT) {
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (columns[1], columns[4]),
            (hit.3, hit.4.to_string().as_str()),
            "{line}"
        );
    }
}

#[test]
fn empty_and_corrupt_files_fail_with_a_clear_error_and_write_no_midi() {
    let dir = TempDir::new("segment-bad");
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let corrupt = dir.join("corrupt.wav");
    std::fs::write(
        &corrupt,
        b"RIFF\x24\x08\x00\x00WAVEfmt this is not a wave file",
    )
    .unwrap();
    for (file, reason) in [(&empty, "empty"), (&corrupt, "corrupt.wav")] {
        let mid = dir.join("out.mid");
        let output = run(&["segment", path_arg(file), "--midi", path_arg(&mid)]);
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(
            message.contains(&*file.file_name().unwrap().to_string_lossy())
                && message.contains(reason),
            "{message}"
        );
        assert!(stdout(&output).is_empty());
        assert!(!mid.exists());
    }
}

#[test]
fn silence_has_no_events_but_still_gives_a_valid_midi_file() {
    let dir = TempDir::new("segment-silence");
    let (wav, mid) = (dir.join("silence.wav"), dir.join("silence.mid"));
    write_mono16(&wav, RATE, &vec![0.0; RATE as usize]);
    let output = segment_to_json_and_midi(&wav, &mid);
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("no drum hits"));
    let bytes = std::fs::read(&mid).unwrap();
    let smf = Smf::parse(&bytes).unwrap();
    assert!(
        !smf.tracks[0]
            .iter()
            .any(|e| matches!(e.kind, TrackEventKind::Midi { .. }))
    );
}
