//! Training-time augmentation: the same sound as other rooms, microphones and mixes would
//! present it (tilted or band-limited EQ, light noise, a short reverb). Level is left alone:
//! the summary does not see it. Deterministic for a given seed.

use crate::rng::Rng;

fn uniform(rng: &mut Rng, lo: f32, hi: f32) -> f32 {
    rng.range(f64::from(lo), f64::from(hi)) as f32
}

/// One random variation of `samples`.
pub fn augment(samples: &[f32], sample_rate: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut out = samples.to_vec();
    tilt(&mut out, sample_rate, uniform(&mut rng, -6.0, 6.0));
    if rng.chance(0.35) {
        one_pole_lowpass(&mut out, sample_rate, uniform(&mut rng, 3_000.0, 12_000.0));
    }
    if rng.chance(0.35) {
        let mut low = out.clone();
        one_pole_lowpass(&mut low, sample_rate, uniform(&mut rng, 40.0, 250.0));
        out.iter_mut().zip(&low).for_each(|(o, l)| *o -= l);
    }
    if rng.chance(0.5) {
        reverb(
            &mut out,
            sample_rate,
            uniform(&mut rng, 0.2, 1.0),
            uniform(&mut rng, 0.08, 0.3),
            &mut rng,
        );
    }
    if rng.chance(0.5) {
        let rms = (out.iter().map(|x| x * x).sum::<f32>() / out.len().max(1) as f32).sqrt();
        let level = rms * 10f32.powf(uniform(&mut rng, -50.0, -30.0) / 20.0) * 3.4; // uniform noise has rms 1/3.4
        out.iter_mut()
            .for_each(|x| *x += level * uniform(&mut rng, -0.5, 0.5));
    }
    out
}

fn one_pole_lowpass(samples: &mut [f32], sample_rate: f32, cutoff: f32) {
    let a = (-std::f32::consts::TAU * cutoff.min(0.45 * sample_rate) / sample_rate).exp();
    let mut state = 0.0;
    for x in samples {
        state = (1.0 - a) * *x + a * state;
        *x = state;
    }
}

/// Spectral tilt of `db` across the band, pivoting near 1 kHz: lows and highs weighted apart.
fn tilt(samples: &mut [f32], sample_rate: f32, db: f32) {
    let mut low = samples.to_vec();
    one_pole_lowpass(&mut low, sample_rate, 1_000.0);
    let (low_gain, high_gain) = (10f32.powf(-db / 40.0), 10f32.powf(db / 40.0));
    for (x, l) in samples.iter_mut().zip(&low) {
        *x = l * low_gain + (*x - l) * high_gain;
    }
}

/// A Schroeder reverb (four combs into two all-passes) mixed in at `wet`.
fn reverb(samples: &mut Vec<f32>, sample_rate: f32, decay_seconds: f32, wet: f32, rng: &mut Rng) {
    let scale = sample_rate / 44_100.0;
    let tail = (decay_seconds * sample_rate) as usize;
    let input: Vec<f32> = samples
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0.0, tail))
        .collect();
    let mut mixed = vec![0.0f32; input.len()];
    for base in [1557.0, 1617.0, 1491.0, 1422.0] {
        let delay = ((base * uniform(rng, 0.9, 1.1)) * scale) as usize;
        // Feedback giving -60 dB after `decay_seconds`.
        let feedback = 10f32.powf(-3.0 * delay as f32 / (decay_seconds * sample_rate));
        let mut line = vec![0.0f32; input.len()];
        for i in 0..input.len() {
            let back = if i >= delay { line[i - delay] } else { 0.0 };
            line[i] = input[i] + feedback * back;
            mixed[i] += line[i] * 0.25;
        }
    }
    for base in [225.0, 556.0] {
        let delay = (base * scale) as usize;
        let mut out = vec![0.0f32; mixed.len()];
        for i in 0..mixed.len() {
            let delayed_in = if i >= delay { mixed[i - delay] } else { 0.0 };
            let delayed_out = if i >= delay { out[i - delay] } else { 0.0 };
            out[i] = -0.5 * mixed[i] + delayed_in + 0.5 * delayed_out;
        }
        mixed = out;
    }
    *samples = input
        .iter()
        .zip(&mixed)
        .map(|(dry, wet_sample)| dry * (1.0 - wet) + wet_sample * wet)
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmentation_is_deterministic_finite_and_changes_the_sound() {
        let tone: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let a = augment(&tone, 44_100.0, 7);
        assert_eq!(a, augment(&tone, 44_100.0, 7));
        assert_ne!(a, augment(&tone, 44_100.0, 8));
        assert!(a.iter().all(|x| x.is_finite()));
        assert!(a.len() >= tone.len());
    }
}
