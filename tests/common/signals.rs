//! Deterministic test signals, shared by the tests and the benchmarks.

#![allow(dead_code)] // each test and bench binary uses its own part

pub fn sine(freq: f32, sample_rate: f32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| {
            (std::f64::consts::TAU * f64::from(freq) * i as f64 / f64::from(sample_rate)).sin()
                as f32
                * 0.5
        })
        .collect()
}

/// Uniform white noise in [-0.5, 0.5) from a fixed-seed xorshift, no extra dependency.
pub fn noise(seed: u64, len: usize) -> Vec<f32> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

/// Planar stereo: the signal on the left, a different one on the right.
pub fn stereo(left: Vec<f32>, right: Vec<f32>) -> Vec<Vec<f32>> {
    vec![left, right]
}
