//! Many instances in one process, as in a large session: 64 processing at once on several audio
//! threads (editors closed), then instances created and destroyed in a loop while others keep
//! processing. Each keeps its own label, exactly one labeling service thread runs while any
//! instance exists and none after, and resident memory returns to its baseline.
//!
//! One test in its own binary: resident memory is per process, and another test running
//! beside it would move it.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::fixtures::{PHRASES, phrase};
use common::plugin_state::{save, settled_labels, track_state};
use common::process_stats::{resident_bytes, thread_count};
use common::{Instance, Placement, Processor, load_entry, wait_until};

const SERVICE_THREAD: &str = "track-labeler-service";
const AUDIO_THREADS: usize = 4;
/// What resident memory may grow by after the warm-up (allocator noise; a leak of even 16 KiB
/// per instance would exceed it over the churn).
const MEMORY_SLACK_BYTES: u64 = 4 << 20;
/// Right after a session of 64 instances, more may stay resident for a while: in about one run
/// in three (2026-12-04, at d7f2ff0 as after it) 8.6 to 9 MiB stayed through the 10 s wait and
/// was gone once the churn had made threads again (glibc keeps freed thread stacks and arenas
/// for reuse). The churn of hundreds of instances after it is held to [`MEMORY_SLACK_BYTES`]:
/// a leak grows there.
const AFTER_SESSION_SLACK_BYTES: u64 = 12 << 20;

/// Four classes, one per audio-thread slot, so that neighbours on a thread differ.
fn class_of(index: usize) -> (&'static str, &'static str) {
    PHRASES[index % 4]
}

/// `count` instances, each started and given its class's phrase.
fn start_instances(count: usize) -> Vec<(Instance, Processor, Vec<Vec<f32>>)> {
    let entry = load_entry();
    (0..count)
        .map(|i| {
            let (audio, rate) = phrase(class_of(i).1, 6.0);
            let mut instance = Instance::new(entry);
            let processor = instance.start(rate, 1024);
            (instance, processor, audio)
        })
        .collect()
}

/// An instance's index, its processor and the audio it is to process.
type Job = (usize, Processor, Vec<Vec<f32>>);

/// Runs each processor over its audio, spread over the audio threads, and hands them back.
fn process_concurrently(work: Vec<(Processor, Vec<Vec<f32>>)>) -> Vec<Processor> {
    let mut per_thread: Vec<Vec<Job>> = (0..AUDIO_THREADS).map(|_| Vec::new()).collect();
    for (i, (processor, audio)) in work.into_iter().enumerate() {
        per_thread[i % AUDIO_THREADS].push((i, processor, audio));
    }
    let mut done: Vec<(usize, Processor)> = std::thread::scope(|scope| {
        let threads: Vec<_> = per_thread
            .into_iter()
            .map(|jobs| {
                scope.spawn(|| {
                    jobs.into_iter()
                        .map(|(i, mut processor, audio)| {
                            processor.run(&audio, &[256, 64, 1000, 17], Placement::OutOfPlace);
                            (i, processor)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("audio thread"))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, processor)| processor).collect()
}

/// Starts `count` instances, processes their phrases concurrently, checks every label, and
/// destroys them all.
fn session_of(count: usize) {
    let (mut instances, work): (Vec<Instance>, Vec<_>) = start_instances(count)
        .into_iter()
        .map(|(instance, processor, audio)| (instance, (processor, audio)))
        .unzip();
    let processors = process_concurrently(work);
    assert_eq!(
        thread_count(SERVICE_THREAD),
        1,
        "one service for every instance"
    );
    let wrong: Vec<String> = settled_labels(&mut instances)
        .into_iter()
        .enumerate()
        .filter(|(i, label)| label.as_deref() != Some(class_of(*i).0))
        .map(|(i, label)| format!("instance {i}: {label:?}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{count} instances, mislabelled: {wrong:?}"
    );
    for (instance, processor) in instances.iter_mut().zip(processors) {
        instance.stop(processor);
    }
}

/// Resident memory once it is back within the slack of `baseline`, or after the wait's time
/// limit: memory freed as the last instances go can take a moment to leave the resident set, a
/// leak never does.
fn settled_resident(baseline: u64, slack: u64) -> u64 {
    wait_until(|| resident_bytes() <= baseline + slack);
    resident_bytes()
}

#[test]
fn sixty_four_instances_then_churn_keep_labels_one_service_and_flat_memory() {
    // Warm-up: the first instance parses the built-in reference set, kept for the process, and
    // the allocator grows its per-thread arenas; what stays after this is the baseline.
    session_of(64);
    assert!(
        wait_until(|| thread_count(SERVICE_THREAD) == 0),
        "service outlived its instances"
    );
    let baseline = resident_bytes();

    session_of(64);
    assert!(
        wait_until(|| thread_count(SERVICE_THREAD) == 0),
        "service outlived 64 instances"
    );
    let after_64 = settled_resident(baseline, AFTER_SESSION_SLACK_BYTES);

    // Churn: eight instances keep processing their phrase on two audio threads while
    // instances are created, run, saved and destroyed beside them, and the steady ones are
    // saved while they process.
    let (mut steady, mut steady_work): (Vec<Instance>, Vec<_>) = start_instances(8)
        .into_iter()
        .map(|(instance, processor, audio)| (instance, (processor, audio)))
        .unzip();
    let stop = AtomicBool::new(false);
    let mut churned = 0;
    std::thread::scope(|scope| {
        for group in steady_work.chunks_mut(4) {
            let stop = &stop;
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for (processor, audio) in group.iter_mut() {
                        processor.run(audio, &[512], Placement::InPlace);
                    }
                }
            });
        }
        let entry = load_entry();
        let (audio, rate) = phrase(class_of(1).1, 1.0);
        let started = Instant::now();
        while churned < 150 || started.elapsed() < Duration::from_secs(3) {
            let mut instance = Instance::new(entry);
            let mut processor = instance.start(rate, 512);
            processor.run(&audio, &[512], Placement::InPlace);
            instance.stop(processor);
            track_state(&save(&mut instance));
            // Hosts save while the audio thread runs (autosave): a steady instance, mid-block.
            track_state(&save(&mut steady[churned % 8]));
            churned += 1;
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(thread_count(SERVICE_THREAD), 1);
    for (i, label) in settled_labels(&mut steady).into_iter().enumerate() {
        assert_eq!(
            label.as_deref(),
            Some(class_of(i).0),
            "steady instance {i} after {churned} others came and went"
        );
    }
    for (instance, (processor, _)) in steady.iter_mut().zip(steady_work) {
        instance.stop(processor);
    }
    drop(steady);
    assert!(
        wait_until(|| thread_count(SERVICE_THREAD) == 0),
        "service outlived the churn"
    );
    let after_churn = settled_resident(baseline, MEMORY_SLACK_BYTES);

    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    println!(
        "resident: baseline after 64 instances {:.1} MiB, after 64 more {:.1} MiB, after {churned} created and \
         destroyed {:.1} MiB",
        mib(baseline),
        mib(after_64),
        mib(after_churn)
    );
    for (what, bytes, slack) in [
        ("64 instances", after_64, AFTER_SESSION_SLACK_BYTES),
        ("the churn", after_churn, MEMORY_SLACK_BYTES),
    ] {
        assert!(
            bytes <= baseline + slack,
            "after {what}: {:.1} MiB resident against a {:.1} MiB baseline",
            mib(bytes),
            mib(baseline)
        );
    }
}
