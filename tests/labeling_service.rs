//! The labeling service in-process: frames from the offline analyzer go through the same
//! channel the audio thread uses, and the published label, its timing and its stability are
//! checked.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fixtures::read_wav_mono;
use track_labeler::analysis::analyze;
use track_labeler::handoff::{FRAME_CHANNEL_CAPACITY, frame_channel};
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

fn wait_for(shared: &TrackShared, what: impl Fn(&TrackShared) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if what(shared) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Registers a track and feeds it `audio`, paced loosely like playback.
fn listen(
    audio: &[f32],
    rate: f32,
) -> (
    service::Registration,
    Arc<TrackShared>,
    PersistedTrack,
    track_labeler::handoff::FrameSender,
) {
    let (sender, receiver) = frame_channel(FRAME_CHANNEL_CAPACITY);
    let track = PersistedTrack::default();
    let (registration, shared) =
        service::register(receiver, track.clone(), Arc::new(Default::default()));
    feed(&sender, audio, rate);
    (registration, shared, track, sender)
}

fn feed(sender: &track_labeler::handoff::FrameSender, audio: &[f32], rate: f32) {
    for frame in analyze(audio, rate) {
        sender.send(frame);
    }
}

#[test]
fn teaching_a_window_changes_the_next_decisions_and_a_pin_wins() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let (samples, rate) = clip("piano__tonejs_piano_C4.wav");
    let audio = repeated(&samples, rate, 1.5, 6.0);
    let (_registration, shared, track, sender) = listen(&audio, rate);
    let label = |t: &PersistedTrack| t.read(|s| s.label.as_ref().map(|l| l.label.clone()));
    assert!(wait_for(&shared, |_| label(&track).as_deref() == Some("piano")));
    assert!(wait_for(&shared, |s| s.live().frames as usize
        >= analyze(&audio, rate).len()));

    // "This track is organ", twice over the same material: the next decisions follow.
    assert!(shared.teach("organ", false));
    assert!(shared.teach("organ", false));
    assert_eq!(track.read(|s| s.taught.len()), 2);
    feed(&sender, &audio, rate);
    assert!(
        wait_for(&shared, |_| label(&track).as_deref() == Some("organ")),
        "still {:?}",
        label(&track)
    );

    shared.pin(Some("strings".into()));
    feed(&sender, &audio, rate);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(label(&track).as_deref(), Some("strings"));
    assert_eq!(track.read(|s| s.pinned.clone()).as_deref(), Some("strings"));
}

#[test]
fn a_label_appears_within_a_second_of_audio_and_silence_keeps_it() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let (samples, rate) = clip("piano__tonejs_piano_C4.wav");
    let audio = repeated(&samples, rate, 1.5, 6.0);
    let (sender, receiver) = frame_channel(FRAME_CHANNEL_CAPACITY);
    let params = Arc::new(Default::default());
    let track = PersistedTrack::default();
    let (registration, shared) = service::register(receiver, track.clone(), params);
    assert!(service::is_running());

    // Frames as the audio thread would send them, then 2 s of silence.
    let mut frames = analyze(&audio, rate);
    let hop = frames[1].time_seconds - frames[0].time_seconds;
    let end = frames.last().unwrap().time_seconds;
    let mut silent = frames[0];
    silent.rms_dbfs = -120.0;
    silent.mel_db = [-120.0; 40];
    for i in 1..=(2.0 / hop) as usize {
        silent.time_seconds = end + i as f64 * hop;
        frames.push(silent);
    }
    for frame in frames {
        sender.send(frame);
        if frame.time_seconds as u32 != (frame.time_seconds + hop) as u32 {
            std::thread::sleep(Duration::from_millis(30));
        }
    }
    assert!(wait_for(&shared, |s| s.live().activity == Activity::Idle));
    let label = track.read(|s| s.label.clone()).expect("a label");
    assert_eq!(label.label, "piano");
    let after = shared.live().first_label_after_seconds.expect("timed");
    assert!(after <= 1.0, "first label after {after} s of audio");
    assert_eq!(shared.live().dropped_frames, 0);

    drop(registration);
    assert!(
        !service::is_running(),
        "the last instance stops the service"
    );
}

#[test]
fn a_bounce_a_hundred_times_faster_than_real_time_loses_no_frame() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let (samples, rate) = clip("strings__tonejs_cello_C3.wav");
    let audio = repeated(&samples, rate, 1.5, 60.0);
    let frames = analyze(&audio, rate);
    assert!(
        frames.len() > 2 * FRAME_CHANNEL_CAPACITY,
        "longer than the channel holds"
    );
    let (sender, receiver) = frame_channel(FRAME_CHANNEL_CAPACITY);
    let track = PersistedTrack::default();
    let (_registration, shared) =
        service::register(receiver, track.clone(), Arc::new(Default::default()));
    // 100x real time: a hop's worth of frames every 1/100 of its duration.
    let hop = frames[1].time_seconds - frames[0].time_seconds;
    let started = Instant::now();
    for (i, &frame) in frames.iter().enumerate() {
        let due = Duration::from_secs_f64(i as f64 * hop / 100.0);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        sender.send(frame);
    }
    let all_drained = wait_for(&shared, |s| {
        let live = s.live();
        live.frames + live.dropped_frames == frames.len() as u64
    });
    let live = shared.live().clone();
    assert!(
        all_drained,
        "{} drained, {} dropped of {}",
        live.frames,
        live.dropped_frames,
        frames.len()
    );
    assert_eq!(live.dropped_frames, 0);
    let label = track.read(|s| s.label.clone()).expect("labelled");
    assert_eq!(label.label, "strings");
}
