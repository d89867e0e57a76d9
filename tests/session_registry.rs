//! The labeling service's session registry under churn, in-process: tracks registered and
//! unregistered from several threads at once, while others keep receiving audio. The session
//! lists exactly the live tracks, unnamed tracks keep distinct names, each keeps its own label,
//! and the service runs exactly while tracks exist.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fixtures::{PHRASES, phrase};
use track_labeler::handoff::{AUDIO_CHANNEL_CAPACITY, audio_channel};
use track_labeler::realtime::AudioTap;
use track_labeler::service::{self, Registration, TrackShared};
use track_labeler::track_state::PersistedTrack;

/// The service is one per process: the tests take turns.
static SERVICE: Mutex<()> = Mutex::new(());

/// A registered track and its audio-thread tap at `rate`.
fn register_at(rate: f32) -> (Registration, Arc<TrackShared>, AudioTap) {
    let (sender, receiver) = audio_channel(AUDIO_CHANNEL_CAPACITY);
    let (registration, shared) = service::register(
        receiver,
        PersistedTrack::default(),
        Arc::new(Default::default()),
    );
    (registration, shared, AudioTap::new(rate, sender))
}

fn register() -> (Registration, Arc<TrackShared>, AudioTap) {
    register_at(48_000.0)
}

fn label(shared: &TrackShared) -> Option<String> {
    shared
        .track
        .read(|s| s.label.as_ref().map(|l| l.label.clone()))
}

#[test]
fn registry_stays_consistent_while_tracks_come_and_go_on_several_threads() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    // Four steady tracks, one class each, labelled while the churn goes on.
    let mut steady: Vec<_> = PHRASES[..4]
        .iter()
        .map(|(class, file)| {
            let (audio, rate) = phrase(file, 6.0);
            (*class, audio, register_at(rate as f32))
        })
        .collect();
    std::thread::scope(|scope| {
        for seed in 0..4u64 {
            scope.spawn(move || {
                let mut held = Vec::new();
                for round in 0..300u64 {
                    if (round * 7 + seed) % 3 == 0 || held.is_empty() {
                        held.push(register());
                    } else {
                        held.swap_remove(((round + seed) as usize) % held.len());
                    }
                }
            });
        }
        for (_, audio, (_, _, tap)) in &mut steady {
            for (left, right) in audio[0].chunks(32_768).zip(audio[1].chunks(32_768)) {
                tap.process(&[left, right]);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });

    // Only the steady tracks are left, in registration order, with distinct names.
    let session = service::session();
    assert_eq!(session.len(), steady.len());
    for (shared, (_, _, (_, steady_shared, _))) in session.iter().zip(&steady) {
        assert!(Arc::ptr_eq(shared, steady_shared));
    }
    let names: HashSet<String> = session.iter().map(|s| s.display_name()).collect();
    assert_eq!(
        names.len(),
        session.len(),
        "duplicate track names: {names:?}"
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && steady
            .iter()
            .any(|(class, _, (_, shared, _))| label(shared).as_deref() != Some(class))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    for (class, _, (_, shared, _)) in &steady {
        assert_eq!(label(shared).as_deref(), Some(*class));
        assert_eq!(shared.live().dropped_seconds, 0.0);
    }
    assert!(service::is_running());
    drop(steady);
    assert!(!service::is_running(), "the last track stops the service");
    assert!(service::session().is_empty());
}

#[test]
fn a_track_registered_after_another_left_gets_a_name_no_live_track_has() {
    let _turn = SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let first = register();
    let second = register();
    drop(first);
    let third = register();
    assert_ne!(second.1.display_name(), third.1.display_name());
}
