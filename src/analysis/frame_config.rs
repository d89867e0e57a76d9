//! Frame and hop lengths, set in seconds and scaled with the sample rate so that features mean
//! the same thing at 44.1, 48, 96 or 192 kHz.

/// Analysis window: 2048 samples at 44.1 kHz (about 46 ms).
pub const WINDOW_SECONDS: f64 = 2048.0 / 44_100.0;
/// Hop between frames: 512 samples at 44.1 kHz (about 11.6 ms).
pub const HOP_SECONDS: f64 = 512.0 / 44_100.0;

/// The shortest frame the analyzer accepts, so absurd sample rates still yield a usable spectrum.
const MIN_FRAME_LEN: usize = 16;

/// Frame length and hop in samples for one sample rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameConfig {
    /// Window and FFT length (no zero padding), always even.
    pub frame_len: usize,
    pub hop_len: usize,
}

impl FrameConfig {
    /// The default frame for `sample_rate`. The window is the even length nearest to
    /// [`WINDOW_SECONDS`] whose only prime factors are 2, 3 and 5, because an FFT of such a size
    /// is fast while staying within about 1% of the intended duration at any common rate.
    pub fn for_sample_rate(sample_rate: f32) -> Self {
        let sample_rate = f64::from(sample_rate.max(1.0));
        let target = WINDOW_SECONDS * sample_rate;
        Self {
            frame_len: nearest_even_5_smooth(target).max(MIN_FRAME_LEN),
            hop_len: ((HOP_SECONDS * sample_rate).round() as usize).max(1),
        }
    }

    /// A frame with explicit lengths, for tests and reference comparisons.
    ///
    /// # Panics
    /// When `frame_len` is odd or below the minimum, or `hop_len` is zero.
    pub fn new(frame_len: usize, hop_len: usize) -> Self {
        assert!(
            frame_len >= MIN_FRAME_LEN && frame_len % 2 == 0,
            "frame length must be even and at least {MIN_FRAME_LEN}, got {frame_len}"
        );
        assert!(hop_len > 0, "hop length must be positive");
        Self { frame_len, hop_len }
    }
}

fn is_5_smooth(mut n: usize) -> bool {
    for p in [2, 3, 5] {
        while n % p == 0 {
            n /= p;
        }
    }
    n == 1
}

/// The even 5-smooth number nearest to `target` (ties go to the smaller).
fn nearest_even_5_smooth(target: f64) -> usize {
    let start = (target.round() as usize).max(2);
    let candidate = |n: usize| n % 2 == 0 && is_5_smooth(n);
    let below = (2..=start).rev().find(|&n| candidate(n)).unwrap_or(2);
    let above = (start..).find(|&n| candidate(n)).expect("5-smooth numbers are unbounded");
    if (above as f64 - target) < (target - below as f64) {
        above
    } else {
        below
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_rates_get_fft_friendly_frames_near_46_ms() {
        assert_eq!(FrameConfig::for_sample_rate(22_050.0), FrameConfig::new(1024, 256));
        assert_eq!(FrameConfig::for_sample_rate(44_100.0), FrameConfig::new(2048, 512));
        assert_eq!(FrameConfig::for_sample_rate(48_000.0), FrameConfig::new(2250, 557));
        for rate in [8_000.0, 22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0, 384_000.0] {
            let config = FrameConfig::for_sample_rate(rate);
            let window = config.frame_len as f64 / f64::from(rate);
            assert!((window / WINDOW_SECONDS - 1.0).abs() < 0.035, "{rate} Hz: {config:?}");
            assert!(config.frame_len % 2 == 0 && is_5_smooth(config.frame_len));
        }
    }

    #[test]
    fn tiny_sample_rates_still_give_a_valid_frame() {
        let config = FrameConfig::for_sample_rate(0.0);
        assert!(config.frame_len >= MIN_FRAME_LEN && config.hop_len >= 1);
    }
}
