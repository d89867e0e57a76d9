//! The plugin labels what it hears with its editor closed, faster than real time, and saves the
//! label in its state: rendered phrases of several classes through separate instances, and
//! byte-identical state round trips. Many instances at once: `many_instances.rs`.

mod common;

use std::time::Instant;

use common::fixtures::PHRASES;
use common::plugin_state::{load, save, settled_label, state_bytes, state_json, track_state};
use common::{Instance, Placement, load_entry};

const PHRASE_SECONDS: f32 = 6.0;

fn phrase(file: &str) -> (Vec<Vec<f32>>, f64) {
    common::fixtures::phrase(file, PHRASE_SECONDS)
}

#[test]
fn phrases_of_six_classes_are_labelled_and_saved_in_the_state() {
    let entry = load_entry();
    let mut wrong = Vec::new();
    for (expected, file) in PHRASES {
        let (audio, rate) = phrase(file);
        let mut instance = Instance::new(entry);
        let mut processor = instance.start(rate, 512);
        let started = Instant::now();
        processor.run(&audio, &[512], Placement::InPlace);
        let elapsed = started.elapsed().as_secs_f32();
        assert!(
            elapsed < PHRASE_SECONDS,
            "{file}: {elapsed} s to process {PHRASE_SECONDS} s"
        );
        let label = settled_label(&mut instance);
        if label.as_deref() != Some(expected) {
            wrong.push(format!("{file}: {label:?}"));
        }
        let state = track_state(&save(&mut instance));
        let confidence = state["label"]["confidence"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&confidence), "{file}: {state}");
        assert!(
            state["label"]["top"]
                .as_array()
                .is_some_and(|t| (1..=3).contains(&t.len()))
        );
        instance.stop(processor);
    }
    assert!(wrong.is_empty(), "mislabelled: {wrong:?}");
}

#[test]
fn state_round_trips_byte_identically_and_unreadable_state_loads_defaults() {
    let entry = load_entry();
    let (audio, rate) = phrase(PHRASES[0].1);
    let mut original = Instance::new(entry);
    let mut processor = original.start(rate, 512);
    processor.run(&audio, &[512], Placement::InPlace);
    original.stop(processor);
    assert_eq!(settled_label(&mut original).as_deref(), Some(PHRASES[0].0));

    let saved = save(&mut original);
    assert_eq!(save(&mut original), saved, "saving twice without changes");
    let mut copy = Instance::new(entry);
    assert!(load(&mut copy, &saved));
    assert_eq!(
        save(&mut copy),
        saved,
        "state after a round trip through another instance"
    );

    let fresh = save(&mut Instance::new(entry));
    for bad in [
        Vec::new(),
        saved[..saved.len() / 2].to_vec(),
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect(),
    ] {
        let mut instance = Instance::new(entry);
        let _ = load(&mut instance, &bad);
        assert_eq!(
            save(&mut instance),
            fresh,
            "after loading {} bad bytes",
            bad.len()
        );
    }
    // A state from a newer Track Labeler: valid JSON, unknown track state version.
    let mut newer = state_json(&saved);
    let mut track = track_state(&saved);
    track["version"] = serde_json::json!(999);
    newer["fields"]["track"] = serde_json::Value::String(track.to_string());
    let mut instance = Instance::new(entry);
    assert!(load(&mut instance, &state_bytes(&newer)));
    assert_eq!(track_state(&save(&mut instance)), track_state(&fresh));
}
