//! The plugin labels what it hears with its editor closed, faster than real time, and saves the
//! label in its state: rendered phrases of several classes through separate instances (one at a
//! time, then 32 at once on several threads), and byte-identical state round trips.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clack_extensions::state::PluginState;
use common::fixtures::read_wav_mono;
use common::{Instance, Placement, load_entry};

/// Committed clips (see `tests/fixtures/clips/README.md`) and the class each must get.
const PHRASES: [(&str, &str); 6] = [
    ("drum_kit", "drum_kit__loop_amen.wav"),
    ("piano", "piano__tonejs_piano_C4.wav"),
    ("strings", "strings__tonejs_cello_C3.wav"),
    ("woodwinds", "woodwinds__tonejs_flute_C5.wav"),
    ("brass", "brass__tonejs_trumpet_C6.wav"),
    ("acoustic_guitar", "acoustic_guitar__tonejs_guitar_acoustic_A3.wav"),
];
const PHRASE_SECONDS: f32 = 6.0;

/// The clip repeated on a grid of at least a second, for `PHRASE_SECONDS`, in stereo.
fn phrase(file: &str) -> (Vec<Vec<f32>>, f64) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/clips")
        .join(file);
    let (clip, rate) = read_wav_mono(&path);
    let step = clip.len().max(rate as usize);
    let len = (rate * PHRASE_SECONDS) as usize;
    let mut mono = vec![0.0f32; len];
    for start in (0..len).step_by(step) {
        for (out, &x) in mono[start..].iter_mut().zip(&clip) {
            *out += x;
        }
    }
    (vec![mono.clone(), mono], f64::from(rate))
}

fn save(instance: &mut Instance) -> Vec<u8> {
    let handle = instance.instance.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    let mut bytes = Vec::new();
    state.save(&handle, &mut bytes).expect("state saves");
    bytes
}

fn load(instance: &mut Instance, bytes: &[u8]) -> bool {
    let handle = instance.instance.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    state.load(&handle, &mut &bytes[..]).is_ok()
}

/// nice-plug's CLAP state: a little-endian u64 length, then JSON.
fn state_json(bytes: &[u8]) -> serde_json::Value {
    let (length, json) = bytes.split_at(8);
    assert_eq!(u64::from_le_bytes(length.try_into().unwrap()), json.len() as u64);
    serde_json::from_slice(json).expect("state is JSON")
}

fn state_bytes(state: &serde_json::Value) -> Vec<u8> {
    let json = serde_json::to_vec(state).unwrap();
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend(json);
    bytes
}

/// The track state inside nice-plug's state JSON (persisted fields are stored as JSON text).
fn track_state(bytes: &[u8]) -> serde_json::Value {
    let state = state_json(bytes);
    match &state["fields"]["track"] {
        serde_json::Value::String(text) => serde_json::from_str(text).expect("track JSON"),
        other => other.clone(),
    }
}

fn saved_label(instance: &mut Instance) -> Option<String> {
    track_state(&save(instance))["label"]["label"]
        .as_str()
        .map(str::to_owned)
}

/// Waits for the labeling service to drain what was processed and settle on a label.
fn settled_label(instance: &mut Instance) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut previous = None;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let label = saved_label(instance);
        if (label.is_some() && label == previous) || Instant::now() > deadline {
            return label;
        }
        previous = label;
    }
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
        assert!(state["label"]["top"].as_array().is_some_and(|t| (1..=3).contains(&t.len())));
        instance.stop(processor);
    }
    assert!(wrong.is_empty(), "mislabelled: {wrong:?}");
}

#[test]
fn thirty_two_instances_process_concurrently_and_keep_their_own_labels() {
    let entry = load_entry();
    // Four classes, eight instances each, spread over four audio threads.
    let classes = &PHRASES[..4];
    let mut instances = Vec::new();
    let mut threads_work: Vec<Vec<(usize, common::Processor, Vec<Vec<f32>>)>> =
        (0..4).map(|_| Vec::new()).collect();
    for i in 0..32 {
        let (audio, rate) = phrase(classes[i % classes.len()].1);
        let mut instance = Instance::new(entry);
        let processor = instance.start(rate, 1024);
        threads_work[i % 4].push((i, processor, audio));
        instances.push(instance);
    }
    let processors: Vec<(usize, common::Processor)> = std::thread::scope(|scope| {
        let threads: Vec<_> = threads_work
            .into_iter()
            .map(|jobs| {
                scope.spawn(move || {
                    jobs.into_iter()
                        .map(|(i, mut processor, audio)| {
                            processor.run(&audio, &[256, 64, 1000, 17], Placement::OutOfPlace);
                            (i, processor)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().expect("audio thread")).collect()
    });
    let mut wrong = Vec::new();
    for (i, instance) in instances.iter_mut().enumerate() {
        let (expected, file) = classes[i % classes.len()];
        let label = settled_label(instance);
        if label.as_deref() != Some(expected) {
            wrong.push(format!("instance {i} ({file}): {label:?}"));
        }
    }
    assert!(wrong.is_empty(), "mislabelled: {wrong:?}");
    for (i, processor) in processors {
        instances[i].stop(processor);
    }
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
    assert_eq!(save(&mut copy), saved, "state after a round trip through another instance");

    let fresh = save(&mut Instance::new(entry));
    for bad in [
        Vec::new(),
        saved[..saved.len() / 2].to_vec(),
        (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(),
    ] {
        let mut instance = Instance::new(entry);
        let _ = load(&mut instance, &bad);
        assert_eq!(save(&mut instance), fresh, "after loading {} bad bytes", bad.len());
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
