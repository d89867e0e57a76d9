//! Analyzer throughput (seconds of audio per second, mono, 48 kHz) and the audio thread's cost
//! per `process()` block. Run: `cargo bench --bench analyzer`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use track_labeler::analysis::Analyzer;
use track_labeler::handoff::audio_channel;
use track_labeler::realtime::AudioTap;

#[path = "../tests/common/signals.rs"]
mod signals;

const SAMPLE_RATE: f32 = 48_000.0;

/// Ten seconds of mono audio per iteration; criterion's elements/s divided by 48,000 is the
/// times-real-time figure.
fn analyzer_throughput(c: &mut Criterion) {
    let audio = signals::noise(7, SAMPLE_RATE as usize * 10);
    let mut group = c.benchmark_group("analyzer_mono_48k");
    group.throughput(Throughput::Elements(audio.len() as u64));
    group.bench_function("10s_in_512_sample_blocks", |b| {
        let mut analyzer = Analyzer::new(SAMPLE_RATE);
        b.iter(|| {
            let mut frames = 0u32;
            for block in audio.chunks(512) {
                analyzer.process(black_box(block), |f| {
                    black_box(f);
                    frames += 1;
                });
            }
            frames
        });
    });
    group.finish();
}

/// What `process()` does per stereo block: mono mix into chunks, hand-off (channel drained
/// outside the timing so it never fills).
fn process_block(c: &mut Criterion) {
    let mut group = c.benchmark_group("process_block_stereo_48k");
    for block in [64usize, 512] {
        let left = signals::noise(11, block * 1000);
        let right: Vec<f32> = left.iter().rev().copied().collect();
        let (tx, rx) = audio_channel(1 << 12);
        let mut tap = AudioTap::new(SAMPLE_RATE, tx);
        let mut offset = 0;
        group.throughput(Throughput::Elements(block as u64));
        group.bench_with_input(BenchmarkId::from_parameter(block), &block, |b, &block| {
            b.iter(|| {
                if offset + block > left.len() {
                    offset = 0;
                    rx.drain().for_each(drop);
                }
                let range = offset..offset + block;
                tap.process(&[black_box(&left[range.clone()]), black_box(&right[range])]);
                offset += block;
            });
        });
    }
    group.finish();
}

criterion_group!(benches, analyzer_throughput, process_block);
criterion_main!(benches);
