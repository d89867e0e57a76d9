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

/// A fixed-seed xorshift64 generator: reproducible randomness without an extra dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `range` (inclusive).
    pub fn in_range(&mut self, range: std::ops::RangeInclusive<usize>) -> usize {
        range.start() + (self.next_u64() % (range.end() - range.start() + 1) as u64) as usize
    }
}

/// Uniform white noise in [-0.5, 0.5) from a fixed-seed xorshift, no extra dependency.
pub fn noise(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|_| (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        .collect()
}

/// Planar stereo: the signal on the left, a different one on the right.
pub fn stereo(left: Vec<f32>, right: Vec<f32>) -> Vec<Vec<f32>> {
    vec![left, right]
}
