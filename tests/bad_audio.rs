//! Bad audio never hurts: NaN, infinities, subnormals, DC, full-scale squares, clipped and
//! out-of-range signals, long silence, and ten minutes of single-sample blocks pass through
//! unchanged, no feature or label turns non-finite, and the label comes back to the right class
//! once good audio returns.

mod common;

use std::time::Duration;

use common::fixtures::{PHRASES, phrase};
use common::plugin_state::{save, settled_label, track_state};
use common::signals::{Rng, noise, sine};
use common::{Instance, Placement, load_entry};
use track_labeler::analysis::{Analyzer, FrameSummary};
use track_labeler::service::default_knn;
use track_labeler::summary::summarize;

/// The piano clip's rate.
const RATE: f32 = 22_050.0;

/// Named stretches of hostile mono audio, `seconds` long each.
fn bad_signals(seconds: f32) -> Vec<(&'static str, Vec<f32>)> {
    let len = (RATE * seconds) as usize;
    let square: Vec<f32> = (0..len)
        .map(|i| if (i / 220) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let loud_sine = sine(220.0, RATE, len);
    let mut rng = Rng::new(3);
    vec![
        ("NaN", vec![f32::NAN; len]),
        ("+Inf", vec![f32::INFINITY; len]),
        ("-Inf", vec![f32::NEG_INFINITY; len]),
        (
            "NaN and Inf sprinkled over noise",
            noise(4, len)
                .into_iter()
                .map(|x| match rng.in_range(0..=99) {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => f32::NEG_INFINITY,
                    _ => x,
                })
                .collect(),
        ),
        (
            "subnormals",
            noise(5, len)
                .iter()
                .map(|x| x * f32::MIN_POSITIVE)
                .collect(),
        ),
        ("DC", vec![0.9; len]),
        ("full-scale square", square),
        (
            "clipped sine",
            loud_sine
                .iter()
                .map(|x| (x * 8.0).clamp(-1.0, 1.0))
                .collect(),
        ),
        (
            "far beyond full scale",
            loud_sine.iter().map(|x| x * 1e30).collect(),
        ),
        ("f32::MAX", vec![f32::MAX; len]),
        ("silence", vec![0.0; len]),
    ]
}

fn assert_finite(frame: &FrameSummary, what: &str) {
    // Every field, however nested, through its Debug form.
    let text = format!("{frame:?}");
    assert!(
        !text.contains("NaN") && !text.contains("inf"),
        "{what}: non-finite feature in {text}"
    );
}

#[test]
fn features_summaries_and_predictions_stay_finite_on_hostile_audio() {
    let knn = default_knn();
    // One analyzer through all of it, in blocks, as the labeling service runs it.
    let mut analyzer = Analyzer::new(RATE);
    let (piano, _) = phrase(PHRASES[1].1, 3.0);
    for (name, signal) in bad_signals(3.0) {
        for what in [name, "piano after it"] {
            let audio = if what == name { &signal } else { &piano[0] };
            let mut frames: Vec<FrameSummary> = Vec::new();
            for block in audio.chunks(512) {
                analyzer.process(block, |frame| frames.push(frame));
            }
            assert!(!frames.is_empty(), "{what}");
            frames.iter().for_each(|f| assert_finite(f, what));
            if let Some(summary) = summarize(&frames) {
                assert!(summary.iter().all(|x| x.is_finite()), "{what}: summary");
                let prediction = knn.classify(&summary);
                assert!(prediction.confidence.is_finite(), "{what}: confidence");
            }
        }
    }
}

#[test]
fn hostile_audio_passes_through_and_the_label_recovers() {
    let entry = load_entry();
    let (expected, file) = PHRASES[1];
    let (good, rate) = phrase(file, 6.0);
    assert_eq!(rate as f32, RATE);
    for (name, signal) in bad_signals(2.0) {
        let mut instance = Instance::new(entry);
        let mut processor = instance.start(rate, 512);
        let bad = vec![signal.clone(), signal];
        for (what, audio) in [(name, &bad), ("good audio after it", &good)] {
            for placement in [Placement::InPlace, Placement::OutOfPlace] {
                let output = processor.run(audio, &[512, 1, 100], placement);
                let changed = audio[0]
                    .iter()
                    .zip(&output[0])
                    .position(|(i, o)| i.to_bits() != o.to_bits());
                assert_eq!(changed, None, "{name}: {what} {placement:?} changed");
                // Offline bursts must stay within the audio channel's 12 s (at this rate) until the labeling
                // service, which may be starved of CPU here, drains it.
                std::thread::sleep(Duration::from_millis(300));
            }
        }
        // The label recovers, and nothing non-finite reached the saved state.
        assert_eq!(
            settled_label(&mut instance).as_deref(),
            Some(expected),
            "after {name}"
        );
        let state = track_state(&save(&mut instance));
        let decision = &state["label"];
        assert!(
            decision["confidence"].as_f64().is_some_and(f64::is_finite),
            "{name}: {state}"
        );
        for entry in decision["top"].as_array().expect("top") {
            assert!(
                entry["score"].as_f64().is_some_and(f64::is_finite),
                "{name}: {state}"
            );
        }
        instance.stop(processor);
    }
}

/// Ten minutes of noise at 48 kHz, one sample per `process()` call (28.8 million calls): every
/// sample passes through and the saved label stays finite.
#[test]
fn ten_minutes_of_single_sample_blocks() {
    let entry = load_entry();
    let rate = 48_000.0;
    let mut instance = Instance::new(entry);
    let mut processor = instance.start(rate, 1);
    let minute = (rate * 60.0) as usize;
    for m in 0..10 {
        let noise = [noise(100 + m, minute), noise(200 + m, minute)];
        let mut left = noise[0].clone();
        let mut right = noise[1].clone();
        for i in 0..minute {
            let mut channels = [&mut left[i] as *mut f32, &mut right[i] as *mut f32];
            let outputs = &mut channels.clone();
            processor.process_block(
                &mut channels,
                outputs,
                1,
                &clack_host::prelude::InputEvents::empty(),
                None,
            );
        }
        assert!(
            left == noise[0] && right == noise[1],
            "minute {m}: audio changed"
        );
    }
    assert!(
        settled_label(&mut instance).is_some(),
        "ten minutes of noise gave no label"
    );
    let state = track_state(&save(&mut instance));
    assert!(
        state["label"]["confidence"]
            .as_f64()
            .is_some_and(f64::is_finite),
        "{state}"
    );
    instance.stop(processor);
}
