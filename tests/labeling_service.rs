//! The labeling service in-process: audio goes through the audio thread's tap and channel,
//! and the published label, its timing and its stability are checked.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fixtures::read_wav_mono;
use common::wait_until;
use track_labeler::analysis::analyze;
use track_labeler::handoff::{AUDIO_CHANNEL_CAPACITY, CHUNK_LEN, audio_channel};
use track_labeler::realtime::AudioTap;
use track_labeler::service::{self, Activity, TrackShared};
use track_labeler::track_state::PersistedTrack;

/// The service is one per process: tests that start and stop it take turns.
static SERVICE: Mutex<()> = Mutex::new(());

fn clip(file: &str) -> (Vec<f32>, f32) {
    read_wav_mono(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/clips")
            .join(file),
    )
}

/// `clip` repeated every `every` seconds for `seconds`.
fn repeated(clip: &[f32], rate: f32, every: f32, seconds: f32) -> Vec<f32> {
    let step = clip.len().max((rate * every) as usize);
    let len = (rate * seconds) as usize;
    let mut out = vec![0.0f32; len];
    for start in (0..len).step_by(step) {
        for (o, &x) in out[start..].iter_mut().zip(clip) {
            *o += x;
        }
    }
    out
}

/// Registers a track; returns what the service shares and the track's audio-thread tap.
fn register(
    rate: f32,
) -> (
    service::Registration,
    Arc<TrackShared>,
    PersistedTrack,
    AudioTap,
) {
    let (sender, receiver) = audio_channel(AUDIO_CHANNEL_CAPACITY);
    let track = PersistedTrack::default();
    let (registration, shared) =
        service::register(receiver, track.clone(), Arc::new(Default::default()));
    (registration, shared, track, AudioTap::new(rate, sender))
}

/// Plays `audio` through the tap a second at a time, about 30 times faster than real time.
fn play(tap: &mut AudioTap, audio: &[f32], rate: f32) {
    for second in audio.chunks(rate as usize) {
        tap.process(&[second]);
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// The frames the service makes of `audio`: those of the whole chunks the tap sent.
fn frames_of(audio: &[f32], rate: f32) -> usize {
    analyze(&audio[..audio.len() / CHUNK_LEN * CHUNK_LEN], rate).len()
}

#[test]
fn teaching_a_window_changes_the_next_decisions_and_a_pin_wins() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let (samples, rate) = clip("piano__tonejs_piano_C4.wav");
    let audio = repeated(&samples, rate, 1.5, 6.0);
    let (_registration, shared, track, mut tap) = register(rate);
    play(&mut tap, &audio, rate);
    let label = |t: &PersistedTrack| t.read(|s| s.label.as_ref().map(|l| l.label.clone()));
    assert!(wait_until(|| label(&track).as_deref() == Some("piano")));
    assert!(wait_until(
        || shared.live().frames as usize >= frames_of(&audio, rate)
    ));

    // "This track is organ", twice over the same material: the next decisions follow.
    assert!(shared.teach("organ", false));
    assert!(shared.teach("organ", false));
    assert_eq!(track.read(|s| s.taught.len()), 2);
    play(&mut tap, &audio, rate);
    assert!(
        wait_until(|| label(&track).as_deref() == Some("organ")),
        "still {:?}",
        label(&track)
    );

    shared.pin(Some("strings".into()));
    play(&mut tap, &audio, rate);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(label(&track).as_deref(), Some("strings"));
    assert_eq!(track.read(|s| s.pinned.clone()).as_deref(), Some("strings"));
}

#[test]
fn a_tail_keeps_the_label_until_the_loud_sound_is_forgotten() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let (piano, rate) = clip("piano__tonejs_piano_C4.wav");
    let (drums, drums_rate) = clip("drum_kit__loop_amen.wav");
    assert_eq!(rate, drums_rate);
    let loudest = |audio: &[f32]| {
        analyze(audio, rate)
            .iter()
            .map(|f| f.rms_dbfs)
            .fold(f32::NEG_INFINITY, f32::max)
    };
    let phrase = repeated(&piano, rate, 1.5, 6.0);
    // The drums 30 dB below the piano's loudest frame: a tail while the piano is remembered.
    let loop_ = repeated(&drums, rate, drums.len() as f32 / rate, 16.0);
    let gain = 10f32.powf((loudest(&phrase) - loudest(&loop_) - 30.0) / 20.0);
    let quiet: Vec<f32> = loop_.iter().map(|x| x * gain).collect();
    let (_registration, shared, track, mut tap) = register(rate);
    let label = || track.read(|s| s.label.as_ref().map(|l| l.label.clone()));
    let processed = |audio_seconds: f32| {
        wait_until(|| {
            shared.live().frames as usize
                >= frames_of(&vec![0.0; (audio_seconds * rate) as usize], rate)
        })
    };
    play(&mut tap, &phrase, rate);
    assert!(wait_until(|| label().as_deref() == Some("piano")));

    // 6 s of the quiet drums: within 10 s of the piano, no decision is made.
    play(&mut tap, &quiet[..(6.0 * rate) as usize], rate);
    assert!(processed(12.0));
    assert_eq!(label().as_deref(), Some("piano"));
    // 10 s more: the piano is forgotten and the drums are labelled.
    play(&mut tap, &quiet[(6.0 * rate) as usize..], rate);
    assert!(processed(22.0));
    assert!(
        wait_until(|| label().as_deref() == Some("drum_kit")),
        "still {:?}",
        label()
    );
}

#[test]
fn a_label_appears_within_a_second_of_audio_and_silence_keeps_it() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let (samples, rate) = clip("piano__tonejs_piano_C4.wav");
    let audio = repeated(&samples, rate, 1.5, 6.0);
    let (sender, receiver) = audio_channel(AUDIO_CHANNEL_CAPACITY);
    let params = Arc::new(Default::default());
    let track = PersistedTrack::default();
    let (registration, shared) = service::register(receiver, track.clone(), params);
    assert!(service::is_running());

    // The phrase, then 2 s of silence.
    let mut tap = AudioTap::new(rate, sender);
    play(&mut tap, &audio, rate);
    play(&mut tap, &vec![0.0; 2 * rate as usize], rate);
    assert!(wait_until(|| shared.live().activity == Activity::Idle));
    let label = track.read(|s| s.label.clone()).expect("a label");
    assert_eq!(label.label, "piano");
    let after = shared.live().first_label_after_seconds.expect("timed");
    assert!(after <= 1.0, "first label after {after} s of audio");
    assert_eq!(shared.live().dropped_seconds, 0.0);

    drop(registration);
    assert!(
        !service::is_running(),
        "the last instance stops the service"
    );
}

#[test]
fn a_bounce_a_hundred_times_faster_than_real_time_loses_no_audio() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let (samples, rate) = clip("strings__tonejs_cello_C3.wav");
    let audio = repeated(&samples, rate, 1.5, 60.0);
    assert!(
        audio.len() > 2 * AUDIO_CHANNEL_CAPACITY * CHUNK_LEN,
        "longer than the channel holds"
    );
    let (_registration, shared, track, mut tap) = register(rate);
    // 100x real time: a chunk every 1/100 of its duration.
    let started = Instant::now();
    for (i, chunk) in audio.chunks(CHUNK_LEN).enumerate() {
        let due = Duration::from_secs_f64((i * CHUNK_LEN) as f64 / f64::from(rate) / 100.0);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        tap.process(&[chunk]);
    }
    let expected = frames_of(&audio, rate) as u64;
    let all_drained = wait_until(|| {
        let live = shared.live();
        live.frames == expected || live.dropped_seconds > 0.0
    });
    let live = shared.live().clone();
    assert!(all_drained, "{} of {expected} frames", live.frames);
    assert_eq!(live.dropped_seconds, 0.0);
    assert_eq!(live.frames, expected);
    let label = track.read(|s| s.label.clone()).expect("labelled");
    assert_eq!(label.label, "strings");
}
