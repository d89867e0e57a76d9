//! CPU of the labeling service per instance: 32 tracks each hear 10 s of a phrase through the
//! audio thread's tap, and the service thread's CPU time (from /proc: analysis and labeling) is
//! divided by the audio it labelled.
//! `cargo bench --bench service` (Linux).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use track_labeler::analysis::analyze;
use track_labeler::handoff::{AUDIO_CHANNEL_CAPACITY, CHUNK_LEN, audio_channel};
use track_labeler::realtime::AudioTap;
use track_labeler::service;
use track_labeler::track_state::PersistedTrack;

#[path = "../tests/common/process_stats.rs"]
mod process_stats;
use process_stats::thread_cpu_seconds;

const TRACKS: usize = 32;
const SECONDS: f32 = 10.0;

fn phrase() -> (Vec<f32>, f32) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/clips/piano__tonejs_piano_C4.wav");
    let mut reader = hound::WavReader::open(path).expect("clip");
    let rate = reader.spec().sample_rate as f32;
    let clip: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect();
    let audio = clip
        .iter()
        .copied()
        .cycle()
        .take((rate * SECONDS) as usize)
        .collect();
    (audio, rate)
}

fn main() {
    let (audio, rate) = phrase();
    assert!(
        audio.len() <= AUDIO_CHANNEL_CAPACITY * CHUNK_LEN,
        "fits the channel"
    );
    let frames = analyze(&audio[..audio.len() / CHUNK_LEN * CHUNK_LEN], rate);
    let mut tracks = Vec::new();
    for _ in 0..TRACKS {
        let (sender, receiver) = audio_channel(AUDIO_CHANNEL_CAPACITY);
        let (registration, shared) = service::register(
            receiver,
            PersistedTrack::default(),
            Arc::new(Default::default()),
        );
        tracks.push((registration, shared, AudioTap::new(rate, sender)));
    }
    // Let the service start and parse the built-in set before measuring.
    std::thread::sleep(Duration::from_millis(500));
    let before = thread_cpu_seconds("track-labeler-service");
    let started = Instant::now();
    for (_, _, tap) in &mut tracks {
        tap.process(&[&audio]);
    }
    while tracks
        .iter()
        .any(|(_, shared, _)| (shared.live().frames as usize) < frames.len())
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds("track-labeler-service") - before;
    let audio_seconds = f64::from(SECONDS) * TRACKS as f64;
    let per_instance = cpu / audio_seconds;
    println!(
        "labeling service: {TRACKS} tracks x {SECONDS} s labelled in {wall:.2} s wall, {cpu:.2} s CPU"
    );
    println!(
        "  = {:.3}% of one core per instance in real time ({:.1} ms CPU per second of audio)",
        per_instance * 100.0,
        per_instance * 1000.0
    );
    println!(
        "  = {:.1}% of one core for {TRACKS} instances",
        per_instance * 100.0 * TRACKS as f64
    );
}
