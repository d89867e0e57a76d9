//! Cost at scale: 64 instances at 48 kHz in 64-sample stereo blocks, all processed on one audio
//! thread as a host's engine does. Prints the audio thread's CPU as a fraction of one core in
//! real time, the labeling service's CPU, and resident memory per instance beyond the first
//! (the shared reference set is loaded with the first).
//!
//! As in a host, each track's block buffer is written just before the plugin reads it (here
//! from a second of noise per track). The host's share (filling the buffers, looping over
//! tracks) is measured in the same run by the same loop without the `process()` calls, second
//! by second in alternation, and subtracted: what remains is the plugin's.
//! Run: `cargo bench --bench instances_64` (Linux).

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use clack_host::prelude::InputEvents;
use common::process_stats::{current_thread_cpu_seconds, resident_bytes, thread_cpu_seconds};
use common::signals::noise;
use common::{Instance, Processor, load_entry};

const INSTANCES: usize = 64;
const RATE: f64 = 48_000.0;
const BLOCK: usize = 64;
const SECONDS: usize = 30;
/// Audio runs at most this many times faster than real time, so that the labeling service
/// (about 0.2 of a core for 64 instances in real time) keeps up: frames it cannot drain before
/// the channel fills are dropped, and their labeling cost would go unmeasured.
const MAX_SPEED: f64 = 2.0;

fn main() {
    let entry = load_entry();
    let mut instances = Vec::new();
    let mut processors = Vec::new();
    let mut add_instance = || {
        let mut instance = Instance::new(entry);
        processors.push(instance.start(RATE, BLOCK as u32));
        instances.push(instance);
    };
    // The first instance loads what all share (the reference set, the service thread).
    add_instance();
    std::thread::sleep(Duration::from_millis(500));
    let before = resident_bytes();
    (1..INSTANCES).for_each(|_| add_instance());
    let per_instance = (resident_bytes() as f64 - before as f64) / (INSTANCES - 1) as f64;

    // Different noise for every instance; one second of it, looped.
    let noise: Vec<[Vec<f32>; 2]> = (0..INSTANCES as u64)
        .map(|i| {
            [
                noise(2 * i + 1, RATE as usize),
                noise(2 * i + 2, RATE as usize),
            ]
        })
        .collect();
    let mut buffers = vec![[[0.0f32; BLOCK]; 2]; INSTANCES];
    let events = InputEvents::empty();
    let blocks_per_second = RATE as usize / BLOCK;
    // One second of the host's engine, with or without the plugins.
    let mut engine_second = |mut processors: Option<&mut Vec<Processor>>| {
        let cpu_before = current_thread_cpu_seconds();
        for block in 0..blocks_per_second {
            let range = block * BLOCK..(block + 1) * BLOCK;
            for (i, ([left, right], [noise_left, noise_right])) in
                buffers.iter_mut().zip(&noise).enumerate()
            {
                left.copy_from_slice(&noise_left[range.clone()]);
                right.copy_from_slice(&noise_right[range.clone()]);
                if let Some(processors) = processors.as_deref_mut() {
                    let mut channels = [left.as_mut_ptr(), right.as_mut_ptr()];
                    let outputs = &mut channels.clone();
                    processors[i].process_block(
                        &mut channels,
                        outputs,
                        BLOCK as u32,
                        &events,
                        None,
                    );
                }
                black_box(&*left);
            }
        }
        current_thread_cpu_seconds() - cpu_before
    };
    let service_before = thread_cpu_seconds("track-labeler-service");
    let started = Instant::now();
    let mut with_plugins = 0.0;
    let mut host_only = 0.0;
    for second in 0..SECONDS {
        host_only += engine_second(None);
        with_plugins += engine_second(Some(&mut processors));
        let due = Duration::from_secs_f64((second + 1) as f64 / MAX_SPEED);
        std::thread::sleep(due.saturating_sub(started.elapsed()));
    }
    let audio_cpu = with_plugins - host_only;
    // Let the service drain the last frames.
    std::thread::sleep(Duration::from_millis(500));
    let service_cpu = thread_cpu_seconds("track-labeler-service") - service_before;
    for (instance, processor) in instances.iter_mut().zip(processors) {
        instance.stop(processor);
    }

    let seconds = SECONDS as f64;
    println!(
        "{INSTANCES} instances, {RATE} Hz, {BLOCK}-sample stereo blocks, {SECONDS} s of audio each:"
    );
    println!(
        "  audio thread, the plugins' share: {audio_cpu:.3} s CPU = {:.3}% of one core in real time ({:.4}% per instance)",
        audio_cpu / seconds * 100.0,
        audio_cpu / seconds * 100.0 / INSTANCES as f64
    );
    println!(
        "  (the engine loop with the plugins {:.3}%, without them {:.3}%)",
        with_plugins / seconds * 100.0,
        host_only / seconds * 100.0
    );
    println!(
        "  labeling service: {service_cpu:.2} s CPU = {:.2}% of one core in real time ({:.3}% per instance)",
        service_cpu / seconds * 100.0,
        service_cpu / seconds * 100.0 / INSTANCES as f64
    );
    println!(
        "  resident memory: {:.0} KiB per instance beyond the first",
        per_instance / 1024.0
    );
}
