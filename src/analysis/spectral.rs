//! Per-frame descriptors, each defined as librosa defines it so users' numbers carry over.

/// Samples whose magnitude is at most this count as zero (librosa's `zero_crossings` threshold).
const ZERO_THRESHOLD: f32 = 1e-10;

/// Sign changes between consecutive samples of `frame`, with values near zero counted as
/// positive (librosa's `zero_pos=True`).
pub fn zero_crossings(frame: &[f32]) -> usize {
    frame
        .windows(2)
        .filter(|pair| (pair[0] < -ZERO_THRESHOLD) != (pair[1] < -ZERO_THRESHOLD))
        .count()
}

/// Root mean square of `frame` (un-windowed), computed in f64 so long frames stay exact.
pub fn rms(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    let energy: f64 = frame.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    (energy / frame.len() as f64).sqrt() as f32
}

/// Magnitude-weighted mean frequency of a one-sided spectrum whose bin `k` sits at
/// `k * bin_hz`; 0 for a silent frame.
pub fn centroid(magnitude: &[f32], bin_hz: f32) -> f32 {
    let (weighted, total) = magnitude
        .iter()
        .enumerate()
        .fold((0.0f64, 0.0f64), |(weighted, total), (bin, &m)| {
            (weighted + bin as f64 * f64::from(m), total + f64::from(m))
        });
    if total > f64::from(f32::MIN_POSITIVE) {
        (weighted / total) as f32 * bin_hz
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
