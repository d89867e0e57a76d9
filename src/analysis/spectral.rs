//! Per-frame descriptors, each defined as librosa defines it so users' numbers carry over.

/// Samples whose magnitude is at most this count as zero (librosa's `zero_crossings` threshold).
const ZERO_THRESHOLD: f32 = 1e-10;

/// Sign changes between consecutive samples of `frame`, with values near zero counted as
/// positive (librosa's `zero_pos=True`).
pub fn zero_crossings(frame: &[f32]) -> usize {
    let negative = |x: f32| u32::from(x < -ZERO_THRESHOLD);
    // A branch-free sum so the compiler vectorises it.
    frame
        .iter()
        .zip(frame.iter().skip(1))
        .map(|(&a, &b)| negative(a) ^ negative(b))
        .sum::<u32>() as usize
}

/// Sums of `f(i, x)` over a slice, `K` of them at once, each in eight independent lanes: a
/// single float accumulator cannot be reordered, eight let the compiler vectorise, and they
/// also keep the rounding error of long sums small.
fn lane_sums<const K: usize>(values: &[f32], f: impl Fn(usize, f32) -> [f32; K]) -> [f32; K] {
    const LANES: usize = 8;
    let mut acc = [[0.0f32; LANES]; K];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for (c, chunk) in chunks.enumerate() {
        for (lane, &x) in chunk.iter().enumerate() {
            for (sum, term) in acc.iter_mut().zip(f(c * LANES + lane, x)) {
                sum[lane] += term;
            }
        }
    }
    let head = values.len() - tail.len();
    std::array::from_fn(|k| {
        let tail_sum: f32 = tail.iter().enumerate().map(|(i, &x)| f(head + i, x)[k]).sum();
        acc[k].iter().sum::<f32>() + tail_sum
    })
}

/// Root mean square of `frame` (un-windowed).
pub fn rms(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    let [energy] = lane_sums(frame, |_, x| [x * x]);
    (energy / frame.len() as f32).sqrt()
}

/// Magnitude-weighted mean frequency of a one-sided spectrum whose bin `k` sits at
/// `k * bin_hz`; 0 for a silent frame.
pub fn centroid(magnitude: &[f32], bin_hz: f32) -> f32 {
    let [total, weighted] = lane_sums(magnitude, |bin, m| [m, bin as f32 * m]);
    if total > f32::MIN_POSITIVE {
        weighted / total * bin_hz
    } else {
        0.0
    }
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
    fn crossings_count_sign_changes_with_zero_as_positive() {
        assert_eq!(zero_crossings(&[1.0, -1.0, 1.0, -1.0]), 3);
        assert_eq!(zero_crossings(&[0.0, 1.0, 0.0, 2.0]), 0);
        assert_eq!(zero_crossings(&[0.0, -1.0, 0.0]), 2);
        assert_eq!(zero_crossings(&[-1e-12, 1.0]), 0);
        assert_eq!(zero_crossings(&[]), 0);
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
        assert_eq!(rms(&[1.0, -1.0, 1.0, -1.0]), 1.0);
        assert_eq!(to_dbfs(1.0), 0.0);
        assert!((to_dbfs(0.5) + 6.0206).abs() < 1e-3);
        assert!(to_dbfs(0.0).is_finite());
    }
}
