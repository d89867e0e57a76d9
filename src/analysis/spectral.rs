//! Per-frame descriptors, each defined as librosa defines it so users' numbers carry over.

/// Samples whose magnitude is at most this count as zero (librosa's `zero_crossings` threshold).
const ZERO_THRESHOLD: f32 = 1e-10;

/// Sign changes between consecutive samples of the frame made of `parts` in order, with values
/// near zero counted as positive (librosa's `zero_pos=True`). Taking the frame in parts lets
/// the analyzer count straight from its ring buffer.
pub fn zero_crossings(parts: [&[f32]; 2]) -> usize {
    let negative = |x: f32| u32::from(x < -ZERO_THRESHOLD);
    // A branch-free sum over two slices so the compiler vectorises it.
    let within = |part: &[f32]| -> u32 {
        let Some(rest) = part.get(1..) else { return 0 };
        part.iter()
            .zip(rest)
            .map(|(&a, &b)| negative(a) ^ negative(b))
            .sum()
    };
    let seam = match (parts[0].last(), parts[1].first()) {
        (Some(&a), Some(&b)) => negative(a) ^ negative(b),
        _ => 0,
    };
    (within(parts[0]) + within(parts[1]) + seam) as usize
}

/// Sums of `f(i, x)` over a slice, `K` of them at once, each in eight independent lanes: a
/// single float accumulator cannot be reordered, eight let the compiler vectorise, and they
/// also keep the rounding error of long sums small. The index `i` is given as a float.
fn lane_sums<const K: usize>(values: &[f32], f: impl Fn(f32, f32) -> [f32; K]) -> [f32; K] {
    const LANES: usize = 8;
    // Indices are counted in `i32` lanes: converting those to floats vectorises, and gives the
    // same values as `usize as f32`, where x86-64 converts one element at a time.
    assert!(
        i32::try_from(values.len()).is_ok(),
        "a spectrum has fewer than 2^31 bins"
    );
    let mut acc = [[0.0f32; LANES]; K];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    let mut index: [i32; LANES] = std::array::from_fn(|lane| lane as i32);
    for chunk in chunks {
        for ((lane, &x), &i) in chunk.iter().enumerate().zip(&index) {
            for (sum, term) in acc.iter_mut().zip(f(i as f32, x)) {
                sum[lane] += term;
            }
        }
        index = index.map(|i| i + LANES as i32);
    }
    let head = values.len() - tail.len();
    std::array::from_fn(|k| {
        let tail_sum: f32 = tail
            .iter()
            .enumerate()
            .map(|(i, &x)| f((head + i) as f32, x)[k])
            .sum();
        acc[k].iter().sum::<f32>() + tail_sum
    })
}

/// Root mean square (un-windowed) of the frame made of `parts`.
pub fn rms(parts: [&[f32]; 2]) -> f32 {
    let len = parts[0].len() + parts[1].len();
    if len == 0 {
        return 0.0;
    }
    let energy: f32 = parts
        .iter()
        .map(|part| lane_sums(part, |_, x| [x * x])[0])
        .sum();
    (energy / len as f32).sqrt()
}

/// Magnitude-weighted mean frequency of a one-sided spectrum whose bin `k` sits at
/// `k * bin_hz`; 0 for a silent frame.
pub fn centroid(magnitude: &[f32], bin_hz: f32) -> f32 {
    let [total, weighted] = lane_sums(magnitude, |bin, m| [m, bin * m]);
    if total > f32::MIN_POSITIVE {
        weighted / total * bin_hz
    } else {
        0.0
    }
}

/// Shape of the magnitude spectrum below a cap frequency (see [`super::mel::MEL_MAX_HZ`]), as
/// librosa's `spectral_centroid`, `spectral_bandwidth` and `spectral_rolloff` (85%) would give
/// on the same bins.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SpectralShape {
    pub centroid_hz: f32,
    /// Magnitude-weighted standard deviation around the centroid.
    pub bandwidth_hz: f32,
    /// Frequency below which 85% of the magnitude lies.
    pub rolloff_hz: f32,
}

const ROLLOFF_FRACTION: f32 = 0.85;

/// The shape of a magnitude spectrum whose bin `k` sits at `k * bin_hz`.
pub fn spectral_shape(magnitude: &[f32], bin_hz: f32) -> SpectralShape {
    let [total, weighted] = lane_sums(magnitude, |bin, m| [m, bin * m]);
    if total <= f32::MIN_POSITIVE {
        return SpectralShape::default();
    }
    let centroid_bin = weighted / total;
    let [spread] = lane_sums(magnitude, |bin, m| {
        let d = bin - centroid_bin;
        [m * d * d]
    });
    let threshold = ROLLOFF_FRACTION * total;
    let mut cumulative = 0.0;
    let rolloff_bin = magnitude
        .iter()
        .position(|&m| {
            cumulative += m;
            cumulative >= threshold
        })
        .unwrap_or(magnitude.len() - 1);
    SpectralShape {
        centroid_hz: centroid_bin * bin_hz,
        bandwidth_hz: (spread / total).sqrt() * bin_hz,
        rolloff_hz: rolloff_bin as f32 * bin_hz,
    }
}

/// The strongest partial between 30 Hz and 1 kHz: where a note's fundamental or its low
/// harmonics sit, the register that tells a bass from a guitar or a piano.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LowPeak {
    /// Frequency, refined between bins by a parabola through the log magnitudes.
    pub hz: f32,
    /// Peak magnitude over the mean magnitude of the range: high for a clear partial.
    pub prominence: f32,
}

/// The [`LowPeak`] of a magnitude spectrum whose bin `k` sits at `k * bin_hz`.
pub fn low_peak(magnitude: &[f32], bin_hz: f32) -> LowPeak {
    let first = ((30.0 / bin_hz).ceil() as usize).max(1);
    let last = ((1000.0 / bin_hz) as usize).min(magnitude.len().saturating_sub(2));
    if first > last {
        return LowPeak::default();
    }
    let range = &magnitude[first..=last];
    let (offset, &peak) =
        range.iter().enumerate().fold(
            (0, &0.0),
            |best, (i, m)| if *m > *best.1 { (i, m) } else { best },
        );
    let mean = range.iter().sum::<f32>() / range.len() as f32;
    if !(peak > 0.0) {
        return LowPeak::default();
    }
    let bin = first + offset;
    let ln = |m: f32| m.max(1e-20).ln();
    let (a, b, c) = (ln(magnitude[bin - 1]), ln(peak), ln(magnitude[bin + 1]));
    let curvature = a - 2.0 * b + c;
    let shift = if curvature < 0.0 {
        (0.5 * (a - c) / curvature).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    LowPeak {
        hz: (bin as f32 + shift) * bin_hz,
        prominence: peak / mean,
    }
}

/// Frequencies, as multiples of the [`LowPeak`], where [`harmonic_profile`] looks for partials:
/// below it (is the peak an upper harmonic of a lower fundamental?), between its multiples (odd
/// harmonics of a fundamental an octave down) and on them (how rich the tone is).
pub const HARMONIC_RATIOS: [f32; 8] = [1.0 / 3.0, 0.5, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0];
/// Floor of [`harmonic_profile`] values: a partial this far below the peak counts as absent.
const HARMONIC_FLOOR_DB: f32 = -60.0;

/// The strongest magnitude near each of [`HARMONIC_RATIOS`] times the low peak's frequency
/// (within a bin either side, so partials between bins are found), in dB relative to the peak.
/// All at the floor when there is no peak. A handful of lookups: cheap on the audio thread.
pub fn harmonic_profile(
    magnitude: &[f32],
    bin_hz: f32,
    peak: LowPeak,
) -> [f32; HARMONIC_RATIOS.len()] {
    let peak_bin = (peak.hz / bin_hz).round() as usize;
    let Some(&peak_magnitude) = magnitude
        .get(peak_bin)
        .filter(|&&m| m > 0.0 && peak.hz > 0.0)
    else {
        return [HARMONIC_FLOOR_DB; HARMONIC_RATIOS.len()];
    };
    HARMONIC_RATIOS.map(|ratio| {
        let centre = (peak.hz * ratio / bin_hz).round() as usize;
        let (low, high) = (centre.saturating_sub(1).max(1), centre + 1);
        let strongest = magnitude
            .get(low..=high.min(magnitude.len() - 1))
            .map_or(0.0, |near| near.iter().copied().fold(0.0, f32::max));
        if strongest > 0.0 {
            (20.0 * (strongest / peak_magnitude).log10()).max(HARMONIC_FLOOR_DB)
        } else {
            HARMONIC_FLOOR_DB
        }
    })
}

/// Level in dBFS, floored so silence yields a finite number.
pub fn to_dbfs(amplitude: f32) -> f32 {
    const FLOOR_DB: f32 = -160.0;
    if amplitude > 0.0 {
        (20.0 * amplitude.log10()).max(FLOOR_DB)
    } else {
        FLOOR_DB
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_of_a_pure_tone_and_of_white_noise() {
        let mut magnitude = vec![0.0; 233];
        magnitude[100] = 1.0;
        let tone = spectral_shape(&magnitude, 43.0);
        assert_eq!(
            (tone.centroid_hz, tone.bandwidth_hz, tone.rolloff_hz),
            (4300.0, 0.0, 4300.0)
        );

        let flat = spectral_shape(&vec![1.0; 233], 43.0);
        assert!((flat.centroid_hz - 116.0 * 43.0).abs() < 1e-2);
        assert!((flat.bandwidth_hz - 67.26 * 43.0).abs() < 1.0, "{flat:?}");
        assert!((flat.rolloff_hz - 197.0 * 43.0).abs() < 44.0);
        assert_eq!(spectral_shape(&[0.0; 10], 43.0), SpectralShape::default());
    }

    #[test]
    fn harmonic_profile_reads_partials_around_the_peak() {
        // Partials of a 200 Hz tone on 10 Hz bins, the strongest at 400 Hz (bin 40), the third
        // harmonic 20 dB below it and nothing at 1200 Hz or above.
        let mut magnitude = vec![0.0; 200];
        magnitude[20] = 0.5;
        magnitude[40] = 1.0;
        magnitude[61] = 0.1; // between bins: still found
        let peak = LowPeak {
            hz: 400.0,
            prominence: 10.0,
        };
        let profile = harmonic_profile(&magnitude, 10.0, peak);
        let at = |ratio: f32| profile[HARMONIC_RATIOS.iter().position(|&r| r == ratio).unwrap()];
        assert!((at(0.5) + 6.02).abs() < 0.01, "{profile:?}");
        assert!((at(1.5) + 20.0).abs() < 0.01, "{profile:?}");
        assert_eq!(at(3.0), HARMONIC_FLOOR_DB);
        assert_eq!(
            harmonic_profile(&magnitude, 10.0, LowPeak::default()),
            [HARMONIC_FLOOR_DB; HARMONIC_RATIOS.len()]
        );
    }

    #[test]
    fn crossings_count_sign_changes_with_zero_as_positive() {
        assert_eq!(zero_crossings([&[1.0, -1.0, 1.0, -1.0], &[]]), 3);
        assert_eq!(zero_crossings([&[0.0, 1.0, 0.0, 2.0], &[]]), 0);
        assert_eq!(zero_crossings([&[0.0, -1.0, 0.0], &[]]), 2);
        assert_eq!(zero_crossings([&[-1e-12, 1.0], &[]]), 0);
        assert_eq!(zero_crossings([&[], &[]]), 0);
    }

    #[test]
    fn a_frame_in_two_parts_counts_the_pair_across_the_seam() {
        let frame = [0.5, -0.5, -0.2, 0.3, 0.1, -0.1, 0.7];
        for split in 0..=frame.len() {
            let (a, b) = frame.split_at(split);
            assert_eq!(zero_crossings([a, b]), 4, "split at {split}");
            assert_eq!(rms([a, b]), rms([&frame, &[]]), "split at {split}");
        }
    }

    #[test]
    fn lane_sums_give_every_value_its_index() {
        // A single non-zero value at `k` makes the index sum exactly `k as f32`, in the lanes
        // and in the tail alike.
        for len in [1, 7, 8, 9, 513, 561] {
            for k in 0..len {
                let mut one_hot = vec![0.0; len];
                one_hot[k] = 1.0;
                assert_eq!(
                    lane_sums(&one_hot, |i, x| [i * x]),
                    [k as f32],
                    "{k} of {len}"
                );
            }
        }
    }

    #[test]
    fn centroid_of_a_single_bin_is_its_frequency() {
        let mut spectrum = vec![0.0; 513];
        spectrum[100] = 3.0;
        assert_eq!(centroid(&spectrum, 21.5), 2150.0);
        assert_eq!(centroid(&vec![0.0; 513], 21.5), 0.0);
    }

    #[test]
    fn rms_and_dbfs_of_a_full_scale_square() {
        assert_eq!(rms([&[1.0, -1.0], &[1.0, -1.0]]), 1.0);
        assert_eq!(to_dbfs(1.0), 0.0);
        assert!((to_dbfs(0.5) + 6.0206).abs() < 1e-3);
        assert!(to_dbfs(0.0).is_finite());
    }
}
