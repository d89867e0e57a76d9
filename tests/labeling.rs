//! End to end on real recordings: analyse, summarise and classify committed clips with the
//! embedded default reference set, as the CLI and the plugin do.

mod common;

use std::path::PathBuf;

use common::fixtures::read_wav_mono;
use track_labeler::analysis::analyze;
use track_labeler::knn::{Knn, Prediction};
use track_labeler::reference::ReferenceSet;
use track_labeler::summary::summarize;

fn clips() -> Vec<(String, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clips");
    let mut clips: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("clip fixtures")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name.split("__").next().unwrap().to_string(), p)
        })
        .collect();
    clips.sort();
    assert!(clips.len() >= 10);
    clips
}

fn label(knn: &Knn, samples: &[f32], sample_rate: f32) -> Prediction {
    knn.classify(&summarize(&analyze(samples, sample_rate)).expect("not silent"))
}

#[test]
fn committed_clips_get_their_labels_from_the_default_set() {
    let knn = Knn::new(ReferenceSet::default_set());
    let mut wrong = Vec::new();
    for (expected, path) in clips() {
        let (samples, rate) = read_wav_mono(&path);
        let prediction = label(&knn, &samples, rate);
        assert!((0.0..=1.0).contains(&prediction.confidence));
        assert!(prediction.top.len() <= 3 && prediction.top[0].0 == prediction.label);
        if knn.label_name(prediction.label) != expected {
            wrong.push(format!(
                "{}: {}",
                path.file_name().unwrap().to_string_lossy(),
                knn.label_name(prediction.label)
            ));
        }
    }
    assert!(wrong.is_empty(), "mislabelled: {wrong:?}");
}

#[test]
fn gain_of_plus_minus_20_db_keeps_every_label() {
    let knn = Knn::new(ReferenceSet::default_set());
    for (_, path) in clips() {
        let (samples, rate) = read_wav_mono(&path);
        let reference = label(&knn, &samples, rate).label;
        for gain_db in [-20.0f32, 20.0] {
            let gain = 10f32.powf(gain_db / 20.0);
            let scaled: Vec<f32> = samples.iter().map(|x| x * gain).collect();
            assert_eq!(
                label(&knn, &scaled, rate).label,
                reference,
                "{} at {gain_db} dB",
                path.display()
            );
        }
    }
}
