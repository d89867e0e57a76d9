//! What the learned embedding costs: one ~1 s patch through the committed model.

use criterion::{Criterion, criterion_group, criterion_main};
use track_labeler::analysis::MEL_BANDS;
use track_labeler_cli::embedder::{Embedder, PATCH_FRAMES, normalise_patch};

fn embed_patch(c: &mut Criterion) {
    let weights = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../assets/embedding/embedding.safetensors"
    ))
    .expect("assets/embedding/embedding.safetensors (tools/embedding/run.sh final)");
    let mut embedder = Embedder::from_safetensors(&weights).unwrap();
    // A harmonic tone with a decaying envelope: realistic levels, not zeros.
    let mut patch: Vec<f32> = (0..PATCH_FRAMES * MEL_BANDS)
        .map(|i| {
            let (t, band) = (i / MEL_BANDS, i % MEL_BANDS);
            -0.3 * t as f32 - if band % 6 == 2 { 0.0 } else { 35.0 } - band as f32
        })
        .collect();
    normalise_patch(&mut patch);
    let mut out = vec![0.0; embedder.dims()];
    c.bench_function("embed one patch (~1 s of frames)", |b| {
        b.iter(|| embedder.embed(std::hint::black_box(&patch), &mut out))
    });
}

criterion_group!(benches, embed_patch);
criterion_main!(benches);
