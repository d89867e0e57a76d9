//! The clip summary must not depend on level (±20 dB) or sample rate (22.05 to 192 kHz).

mod common;

use track_labeler::analysis::analyze;
use track_labeler::summary::{SUMMARY_DIMS, summarize};

/// A plucked, decaying harmonic tone with a breathy attack, defined in continuous time so it
/// can be rendered at any rate: partials and "noise" (many random-phase sinusoids) stay below
/// 10 kHz, so every rendering holds the same content.
fn plucked_note(sample_rate: f32, seconds: f32) -> Vec<f32> {
    synthetic_note(sample_rate, seconds, 196.0, 3.0, 0.01)
}

/// Harmonic partials at `pitch` decaying at `decay` per second (higher ones faster), with a
/// breath of noise below 10 kHz whose level is `breath`.
fn synthetic_note(
    sample_rate: f32,
    seconds: f32,
    pitch: f64,
    decay: f64,
    breath_level: f64,
) -> Vec<f32> {
    let mut state = 12345u64;
    let mut random = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let partials: Vec<(f64, f64, f64)> = (1..=12)
        .map(|h| (pitch * h as f64, 1.0 / h as f64, decay + h as f64))
        .collect();
    let breath: Vec<(f64, f64)> = (0..64)
        .map(|_| (200.0 + 9_500.0 * random(), std::f64::consts::TAU * random()))
        .collect();
    let sr = f64::from(sample_rate);
    (0..(seconds * sample_rate) as usize)
        .map(|i| {
            let t = i as f64 / sr;
            let attack = (t / 0.01).min(1.0);
            let tone: f64 = partials.iter().map(|&(f, a, d)| a * (-d * t).exp() * (std::f64::consts::TAU * f * t).sin()).sum();
            let noise: f64 = breath.iter().map(|&(f, p)| (std::f64::consts::TAU * f * t + p).sin()).sum::<f64>()
                * breath_level
                * 1.77 // sqrt(200 / 64): the breath power of the original 200 components
                * (-30.0 * t).exp();
            (0.3 * attack * tone + noise) as f32
        })
        .collect()
}

/// Largest difference between two summaries, each dimension measured against its own scale
/// (the larger magnitude of the two, at least 1) so dB, log-Hz and fractions weigh alike.
fn worst_relative_difference(a: &[f32], b: &[f32]) -> (usize, f32) {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(1.0))
        .enumerate()
        .max_by(|p, q| p.1.total_cmp(&q.1))
        .unwrap()
}

#[test]
fn gain_of_plus_minus_20_db_leaves_the_summary_unchanged() {
    let note = plucked_note(44_100.0, 2.0);
    let reference = summarize(&analyze(&note, 44_100.0)).expect("not silent");
    assert_eq!(reference.len(), SUMMARY_DIMS);
    for gain_db in [-20.0f32, -6.0, 6.0, 20.0] {
        let gain = 10f32.powf(gain_db / 20.0);
        let scaled: Vec<f32> = note.iter().map(|x| x * gain).collect();
        let summary = summarize(&analyze(&scaled, 44_100.0)).expect("not silent");
        let (dim, worst) = worst_relative_difference(&reference, &summary);
        assert!(
            worst < 0.01,
            "{gain_db} dB: dimension {dim} moved by {worst}"
        );
    }
}

/// A rate change must move a sound's summary much less than the gap between different sounds:
/// with every dimension standardised by its spread across a set of different sounds, the
/// distance between renderings of one sound at 22.05-192 kHz stays under 30% of the
/// smallest distance between two different sounds.
#[test]
fn sample_rate_moves_the_summary_far_less_than_a_different_sound_does() {
    let sounds: [(f64, f64, f64); 5] = [
        (196.0, 3.0, 0.01),
        (55.0, 1.0, 0.0),
        (880.0, 8.0, 0.02),
        (330.0, 0.5, 0.05),
        (130.0, 12.0, 0.2),
    ];
    let summary_at = |rate: f32, &(pitch, decay, breath): &(f64, f64, f64)| {
        summarize(&analyze(
            &synthetic_note(rate, 2.0, pitch, decay, breath),
            rate,
        ))
        .expect("not silent")
    };
    let reference: Vec<Vec<f32>> = sounds.iter().map(|s| summary_at(44_100.0, s)).collect();
    let scale: Vec<f32> = (0..SUMMARY_DIMS)
        .map(|d| {
            let mean = reference.iter().map(|s| s[d]).sum::<f32>() / reference.len() as f32;
            let var = reference.iter().map(|s| (s[d] - mean).powi(2)).sum::<f32>()
                / reference.len() as f32;
            var.sqrt().max(1e-3)
        })
        .collect();
    let distance = |a: &[f32], b: &[f32]| -> f32 {
        a.iter()
            .zip(b)
            .zip(&scale)
            .map(|((x, y), s)| ((x - y) / s).powi(2))
            .sum::<f32>()
            .sqrt()
    };
    let closest_other = (0..sounds.len())
        .flat_map(|i| (i + 1..sounds.len()).map(move |j| (i, j)))
        .map(|(i, j)| distance(&reference[i], &reference[j]))
        .fold(f32::INFINITY, f32::min);
    for rate in [22_050.0f32, 48_000.0, 96_000.0, 192_000.0] {
        for (sound, reference) in sounds.iter().zip(&reference) {
            let moved = distance(reference, &summary_at(rate, sound));
            assert!(
                moved < 0.3 * closest_other,
                "{rate} Hz, sound {sound:?}: moved {moved:.2}, closest other sound {closest_other:.2}"
            );
        }
    }
}
