//! Many instances in one process, as in a large session: 64 processing at once on several audio
//! threads (editors closed), then instances created and destroyed in a loop while others keep
//! processing. Each keeps its own label, exactly one labeling service thread runs while any
//! instance exists and none after, and the live heap and resident memory return to their
//! baseline.
//!
//! One test in its own binary: resident memory is per process, and another test running
//! beside it would move it.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::fixtures::{PHRASES, phrase};
use common::plugin_state::{save, settled_labels, track_state};
use common::process_stats::{all_thread_count, live_heap_bytes, resident_bytes, thread_count};
use common::{Instance, Placement, Processor, load_entry, wait_until};

const SERVICE_THREAD: &str = "track-labeler-service";
const AUDIO_THREADS: usize = 4;
/// What the live heap (every allocation the plugin and the host hold, whatever the allocator
/// keeps cached) may grow by after the warm-up: a leak of 2 KiB per instance over the churn's
/// hundreds of instances exceeds it. Measured on 2026-12-05: 15 to 45 KiB.
const HEAP_SLACK_BYTES: u64 = 1 << 20;
/// What resident memory may grow by after the warm-up. In about one run in three (2026-12-04,
/// at d7f2ff0 as after it) 8.6 to 9 MiB more stayed resident after a session of 64 instances
/// through the 10 s wait, and once in about twenty runs (2026-12-05) 9.7 MiB after the churn,
/// while the live heap stayed within 45 KiB of its baseline: glibc keeps freed thread stacks and
/// arenas for reuse. So resident memory is held to this looser bound, and leaks to
/// [`HEAP_SLACK_BYTES`].
const RESIDENT_SLACK_BYTES: u64 = 12 << 20;

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

/// Memory outside the heap, such as a thread's stack, is held only to the loose
/// [`RESIDENT_SLACK_BYTES`]: so no thread may stay behind either.
fn assert_no_thread_left(baseline: usize, what: &str) {
    assert!(
        wait_until(|| all_thread_count() <= baseline),
        "after {what}: {} threads against {baseline}",
        all_thread_count()
    );
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
    let baseline_heap = live_heap_bytes();
    let baseline_threads = all_thread_count();

    session_of(64);
    assert!(
        wait_until(|| thread_count(SERVICE_THREAD) == 0),
        "service outlived 64 instances"
    );
    let after_64 = settled_resident(baseline, RESIDENT_SLACK_BYTES);
    let after_64_heap = live_heap_bytes();
    assert_no_thread_left(baseline_threads, "64 instances");

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
    let after_churn = settled_resident(baseline, RESIDENT_SLACK_BYTES);
    let after_churn_heap = live_heap_bytes();
    assert_no_thread_left(baseline_threads, "the churn");

    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    println!(
        "resident (live heap): baseline after 64 instances {:.1} MiB ({:.2}), after 64 more {:.1} \
         MiB ({:.2}), after {churned} created and destroyed {:.1} MiB ({:.2})",
        mib(baseline),
        mib(baseline_heap),
        mib(after_64),
        mib(after_64_heap),
        mib(after_churn),
        mib(after_churn_heap)
    );
    for (what, resident, heap) in [
        ("64 instances", after_64, after_64_heap),
        ("the churn", after_churn, after_churn_heap),
    ] {
        assert!(
            heap <= baseline_heap + HEAP_SLACK_BYTES,
            "after {what}: {:.2} MiB live heap against a {:.2} MiB baseline",
            mib(heap),
            mib(baseline_heap)
        );
        assert!(
            resident <= baseline + RESIDENT_SLACK_BYTES,
            "after {what}: {:.1} MiB resident against a {:.1} MiB baseline",
            mib(resident),
            mib(baseline)
        );
    }
}
