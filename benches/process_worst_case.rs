//! The worst case, not just the mean, of one `process()` call: a million 64-sample stereo
//! blocks at 48 kHz (22 minutes of audio: labelled music, then noise) through the plugin
//! library as a CLAP host calls it, each call timed on its own.
//! Run: `cargo bench --bench process_worst_case`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use clack_host::prelude::InputEvents;
use common::fixtures::{PHRASES, phrase};
use common::signals::noise;
use common::{Instance, load_entry};

const RATE: f64 = 48_000.0;
const BLOCK: usize = 64;
const BLOCKS: usize = 1_000_000;

fn main() {
    let (music, _) = phrase(PHRASES[0].1, 10.0);
    let noise = [noise(1, RATE as usize * 10), noise(2, RATE as usize * 10)];
    let mut audio: Vec<Vec<f32>> = (0..2)
        .map(|c| music[c].iter().chain(&noise[c]).copied().collect())
        .collect();
    let blocks_in_audio = audio[0].len() / BLOCK;

    let mut instance = Instance::new(load_entry());
    let mut processor = instance.start(RATE, BLOCK as u32);
    let events = InputEvents::empty();
    let mut nanos = Vec::with_capacity(BLOCKS);
    let [left, right] = &mut audio[..] else {
        unreachable!()
    };
    for i in 0..BLOCKS {
        let start = (i % blocks_in_audio) * BLOCK;
        let mut channels = [
            left[start..start + BLOCK].as_mut_ptr(),
            right[start..start + BLOCK].as_mut_ptr(),
        ];
        let outputs = &mut channels.clone();
        let started = Instant::now();
        processor.process_block(&mut channels, outputs, BLOCK as u32, &events, None);
        nanos.push(started.elapsed().as_nanos() as u64);
    }
    instance.stop(processor);

    let mean = nanos.iter().sum::<u64>() as f64 / BLOCKS as f64;
    nanos.sort_unstable();
    let quantile = |q: f64| nanos[((BLOCKS - 1) as f64 * q) as usize];
    let budget_ns = BLOCK as f64 / RATE * 1e9;
    println!("process(), {BLOCKS} stereo blocks of {BLOCK} samples at {RATE} Hz:");
    println!(
        "  mean {mean:.0} ns ({:.3}% of the block's {budget_ns:.0} ns)",
        mean / budget_ns * 100.0
    );
    for (name, q) in [
        ("median", 0.5),
        ("p99", 0.99),
        ("p99.9", 0.999),
        ("p99.99", 0.9999),
    ] {
        println!("  {name} {} ns", quantile(q));
    }
    let max = nanos[BLOCKS - 1];
    println!(
        "  max {max} ns ({:.2}% of the block)",
        max as f64 / budget_ns * 100.0
    );
}
