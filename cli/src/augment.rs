//! Training-time augmentation: the same sound as other rooms, microphones, mixes and
//! instruments would present it (a slightly different pitch, tilted, band-limited or peaked
//! EQ, saturation, light noise, a short reverb). Level is left alone:
//! the summary does not see it. Deterministic for a given seed.

use crate::rng::Rng;

fn uniform(rng: &mut Rng, lo: f32, hi: f32) -> f32 {
    rng.range(f64::from(lo), f64::from(hi)) as f32
}

/// One random variation of `samples`.
pub fn augment(samples: &[f32], sample_rate: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut out = if rng.chance(0.5) {
        repitched(samples, uniform(&mut rng, -2.0, 2.0))
    } else {
        samples.to_vec()
    };
    tilt(&mut out, sample_rate, uniform(&mut rng, -6.0, 6.0));
    for _ in 0..rng.int(0, 2) {
        let centre = 2f32.powf(uniform(&mut rng, 7.0, 13.3));
        let gain_db = uniform(&mut rng, -9.0, 9.0);
        peaking_eq(
            &mut out,
            sample_rate,
            centre,
            gain_db,
            uniform(&mut rng, 0.7, 2.5),
        );
    }
    if rng.chance(0.25) {
        let drive = 10f32.powf(uniform(&mut rng, 0.0, 18.0) / 20.0);
        let peak = out.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-9);
        out.iter_mut()
            .for_each(|x| *x = (*x / peak * drive).tanh() * peak / drive.tanh());
    }
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

/// `samples` played `semitones` higher (read faster, by linear interpolation): a slightly
/// different instrument or tuning, which keeps the labels from keying on exact pitches.
fn repitched(samples: &[f32], semitones: f32) -> Vec<f32> {
    let step = 2f64.powf(f64::from(semitones) / 12.0);
    let len = ((samples.len().saturating_sub(1)) as f64 / step) as usize;
    (0..len)
        .map(|i| {
            let at = i as f64 * step;
            let j = at as usize;
            let frac = (at - j as f64) as f32;
            let next = samples.get(j + 1).copied().unwrap_or(samples[j]);
            samples[j] + (next - samples[j]) * frac
        })
        .collect()
}

/// A bell boost or cut of `gain_db` at `centre` Hz (RBJ cookbook biquad): a room mode, a
/// microphone's presence peak, an engineer's EQ.
fn peaking_eq(samples: &mut [f32], sample_rate: f32, centre: f32, gain_db: f32, q: f32) {
    let w = std::f32::consts::TAU * centre.min(0.45 * sample_rate) / sample_rate;
    let a = 10f32.powf(gain_db / 40.0);
    let alpha = w.sin() / (2.0 * q);
    let a0 = 1.0 + alpha / a;
    let (b0, b1, b2) = (
        (1.0 + alpha * a) / a0,
        -2.0 * w.cos() / a0,
        (1.0 - alpha * a) / a0,
    );
    let (a1, a2) = (-2.0 * w.cos() / a0, (1.0 - alpha / a) / a0);
    let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
    for x in samples {
        let y = b0 * *x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        (x2, x1, y2, y1) = (x1, *x, y1, y);
        *x = y;
    }
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
        // Repitched up by at most 2 semitones, then lengthened by any reverb tail.
        assert!(a.len() as f32 >= tone.len() as f32 / 2f32.powf(2.0 / 12.0) - 1.0);
        assert!(augment(&[], 44_100.0, 7).is_empty());
    }

    /// Level of a sine at `hz` after `process`, in dB against the input.
    fn gain_db(hz: f32, process: impl Fn(&mut Vec<f32>)) -> f32 {
        let rate = 44_100.0;
        let sine: Vec<f32> = (0..44_100)
            .map(|i| (std::f32::consts::TAU * hz * i as f32 / rate).sin())
            .collect();
        let mut out = sine.clone();
        process(&mut out);
        // Past the filter's settling time.
        let rms = |x: &[f32]| (x[22_050..].iter().map(|v| v * v).sum::<f32>()).sqrt();
        20.0 * (rms(&out) / rms(&sine)).log10()
    }

    #[test]
    fn peaking_eq_boosts_its_centre_and_leaves_far_frequencies() {
        let eq = |hz| gain_db(hz, |x| peaking_eq(x, 44_100.0, 1_000.0, 9.0, 1.0));
        assert!((eq(1_000.0) - 9.0).abs() < 0.2, "{}", eq(1_000.0));
        assert!(eq(60.0).abs() < 0.5 && eq(15_000.0).abs() < 0.5);
        let cut = gain_db(1_000.0, |x| peaking_eq(x, 44_100.0, 1_000.0, -9.0, 1.0));
        assert!((cut + 9.0).abs() < 0.2, "{cut}");
    }

    #[test]
    fn repitching_moves_the_frequency_and_the_length() {
        let rate = 44_100.0;
        let sine: Vec<f32> = (0..44_100)
            .map(|i| (std::f32::consts::TAU * 440.0 * i as f32 / rate).sin())
            .collect();
        let up = repitched(&sine, 12.0);
        assert_eq!(up.len(), 22_049);
        // An octave up: twice the zero crossings in half the samples.
        let crossings = |x: &[f32]| {
            x.windows(2)
                .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
                .count()
        };
        assert!(crossings(&up).abs_diff(crossings(&sine)) <= 2);
        assert_eq!(repitched(&sine, 0.0), sine[..44_099]);
    }
}
