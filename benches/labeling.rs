//! Cost of one labeling decision off the audio thread: summarising a 3 s window of frames and
//! querying the default reference set. Run: `cargo bench --bench labeling`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use track_labeler::analysis::analyze;
use track_labeler::knn::Knn;
use track_labeler::reference::ReferenceSet;
use track_labeler::summary::summarize;

fn decision(c: &mut Criterion) {
    let rate = 48_000.0;
    // A plucked, decaying tone with a little noise: a realistic mix of active and gated frames.
    let mut state = 1u64;
    let audio: Vec<f32> = (0..(3.0 * rate) as usize)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let t = i as f32 / rate;
            let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            (-(t % 0.75) * 4.0).exp() * (std::f32::consts::TAU * 220.0 * t).sin() + 0.01 * noise
        })
        .collect();
    let frames = analyze(&audio, rate);
    let knn = Knn::new(ReferenceSet::default_set());
    let summary = summarize(&frames).expect("not silent");

    c.bench_function("summary_of_3s_window", |b| {
        b.iter(|| summarize(black_box(&frames)))
    });
    c.bench_function("knn_query_default_set", |b| {
        b.iter(|| knn.classify(black_box(&summary)))
    });
}

criterion_group!(benches, decision);
criterion_main!(benches);
