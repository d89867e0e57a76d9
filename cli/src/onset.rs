//! Onset detection as `librosa.onset.onset_detect` does it with its defaults: a spectral-flux
//! envelope of the dB mel spectrogram, normalised to 0..1, then librosa's peak picker.
//!
//! Framing is librosa's default at the file's own sample rate: a 2048-sample Hann window every
//! 512 samples, centred (frame `t` is centred on sample `512 t`, the signal padded with zeros),
//! so the time resolution is 11.6 ms at 44.1 kHz and 23.2 ms at 22.05 kHz. The frames come from
//! the plugin's own analyzer run with that window, which gives 40 Slaney mel bands from 0 to
//! 10 kHz where librosa uses 128 up to Nyquist: on the committed fixtures
//! (`tests/fixtures/librosa_onsets`) that choice picks exactly librosa's onsets.

use track_labeler::analysis::{Analyzer, FrameConfig, MEL_BANDS};

/// STFT window of the onset envelope (librosa's `n_fft`).
pub const ONSET_WINDOW: usize = 2048;
/// Hop between onset-envelope frames (librosa's `hop_length`).
pub const ONSET_HOP: usize = 512;
/// Mel bands more than this below the loudest band of the whole file are clamped
/// (librosa's `power_to_db(top_db=80)`).
const TOP_DB: f32 = 80.0;
/// How far back, at most, an onset's cut point goes. The onset frame compares windows that end
/// one hop apart, so the attack normally lies within the last two hops; further back (librosa
/// does not limit it) would put the previous hit's decay into the event.
const MAX_BACKTRACK_FRAMES: usize = 2;
/// Frames of delay librosa puts in front of the flux: the lag of 1, plus half a window in hops
/// for centred frames.
const ENVELOPE_DELAY: usize = 1 + ONSET_WINDOW / (2 * ONSET_HOP);

/// A detected onset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onset {
    /// Envelope frame; the onset is at `frame * ONSET_HOP` samples.
    pub frame: usize,
    pub time_seconds: f64,
    /// Normalised strength minus the peak picker's threshold (local mean + delta): how clearly
    /// the onset stands out, 0 to 1.
    pub margin: f32,
    /// The nearest local minimum of the onset strength at or before `frame` (librosa's
    /// `onset_backtrack`): where the event's sound begins, the place to cut.
    pub start_frame: usize,
}

/// The onsets of a mono recording, in time order.
pub fn detect_onsets(samples: &[f32], sample_rate: f32) -> Vec<Onset> {
    let envelope = normalized(onset_strength(samples, sample_rate));
    // Frames where the strength stops falling and starts rising.
    let minima: Vec<usize> = (1..envelope.len().saturating_sub(1))
        .filter(|&i| envelope[i] <= envelope[i - 1] && envelope[i] < envelope[i + 1])
        .collect();
    PeakPicker::librosa_defaults(sample_rate)
        .pick(&envelope)
        .into_iter()
        .map(|(frame, margin)| Onset {
            frame,
            time_seconds: (frame * ONSET_HOP) as f64 / f64::from(sample_rate),
            margin,
            start_frame: minima
                .partition_point(|&m| m <= frame)
                .checked_sub(1)
                .map_or(0, |i| minima[i])
                .max(frame.saturating_sub(MAX_BACKTRACK_FRAMES)),
        })
        .collect()
}

/// librosa's `onset_strength`: per frame, the mean over mel bands of the rise in dB since the
/// previous frame (falls count as 0), delayed so that frame `t`'s value describes the window
/// that ends at sample `512 t`. One value per frame, `1 + len / 512` frames.
pub fn onset_strength(samples: &[f32], sample_rate: f32) -> Vec<f32> {
    let mut analyzer =
        Analyzer::with_config(sample_rate, FrameConfig::new(ONSET_WINDOW, ONSET_HOP));
    let mut mel: Vec<[f32; MEL_BANDS]> = Vec::with_capacity(samples.len() / ONSET_HOP + 1);
    let padding = [0.0f32; ONSET_WINDOW / 2];
    for block in [&padding[..], samples, &padding[..]] {
        analyzer.process(block, |frame| mel.push(frame.mel_db));
    }
    let floor = mel
        .iter()
        .flatten()
        .fold(f32::NEG_INFINITY, |a, &b| a.max(b))
        - TOP_DB;
    let flux = mel.windows(2).map(|pair| {
        pair[1]
            .iter()
            .zip(&pair[0])
            .map(|(now, before)| (now.max(floor) - before.max(floor)).max(0.0))
            .sum::<f32>()
            / MEL_BANDS as f32
    });
    let mut envelope: Vec<f32> = std::iter::repeat_n(0.0, ENVELOPE_DELAY)
        .chain(flux)
        .collect();
    envelope.truncate(mel.len());
    envelope
}

/// Shifted and scaled to 0..1 (librosa's `normalize=True`); all zeros stays all zeros.
fn normalized(mut envelope: Vec<f32>) -> Vec<f32> {
    let min = envelope.iter().copied().fold(f32::INFINITY, f32::min);
    let max = envelope.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for x in &mut envelope {
        *x = (*x - min) / (max - min + f32::MIN_POSITIVE);
    }
    envelope
}

/// `librosa.util.peak_pick`: frame `n` is an onset when it is the maximum of
/// `x[n - pre_max .. n + post_max]`, at least `delta` above the mean of
/// `x[n - pre_avg .. n + post_avg]`, and more than `wait` frames after the previous onset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakPicker {
    pub pre_max: usize,
    pub post_max: usize,
    pub pre_avg: usize,
    pub post_avg: usize,
    pub wait: usize,
    pub delta: f32,
}

impl PeakPicker {
    /// `onset_detect`'s settings: 30 ms before for the maximum, 100 ms either side for the
    /// mean, 30 ms between onsets, delta 0.07, in frames of [`ONSET_HOP`] at `sample_rate`.
    pub fn librosa_defaults(sample_rate: f32) -> Self {
        let frames = |seconds: f64| (seconds * f64::from(sample_rate) / ONSET_HOP as f64) as usize;
        Self {
            pre_max: frames(0.03),
            post_max: 1,
            pre_avg: frames(0.10),
            post_avg: frames(0.10) + 1,
            wait: frames(0.03),
            delta: 0.07,
        }
    }

    /// The peaks of `x` with their margin over the threshold, greedily from the start, exactly
    /// in librosa's order (which decides what `wait` suppresses).
    pub fn pick(&self, x: &[f32]) -> Vec<(usize, f32)> {
        let window_mean = |n: usize| {
            let window = &x[n.saturating_sub(self.pre_avg)..(n + self.post_avg).min(x.len())];
            window.iter().sum::<f32>() / window.len() as f32
        };
        let mut peaks = Vec::new();
        let mut n = 0;
        while n < x.len() {
            let window_max = x[n.saturating_sub(self.pre_max)..(n + self.post_max).min(x.len())]
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max);
            let margin = x[n] - (window_mean(n) + self.delta);
            if x[n] >= window_max && margin >= 0.0 {
                peaks.push((n, margin));
                n += self.wait + 1;
            } else {
                n += 1;
            }
        }
        peaks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picker() -> PeakPicker {
        PeakPicker {
            pre_max: 2,
            post_max: 1,
            pre_avg: 3,
            post_avg: 4,
            wait: 2,
            delta: 0.1,
        }
    }

    #[test]
    fn peaks_must_be_local_maxima_above_the_local_mean() {
        let x = [
            0.0, 0.0, 1.0, 0.2, 0.0, 0.0, 0.0, 0.15, 0.0, 0.0, 0.6, 0.7, 0.0,
        ];
        let peaks = picker().pick(&x);
        let frames: Vec<usize> = peaks.iter().map(|p| p.0).collect();
        // 0.15 is a local maximum but not 0.1 above its neighbourhood's mean. The maximum only
        // looks back (post_max 1), so 0.6 is an onset and `wait` then skips the 0.7 after it.
        assert_eq!(frames, vec![2, 10]);
        let mean_around_2 = (0.0 + 0.0 + 1.0 + 0.2 + 0.0 + 0.0) / 6.0;
        assert!((peaks[0].1 - (1.0 - mean_around_2 - 0.1)).abs() < 1e-6);
    }

    #[test]
    fn wait_suppresses_peaks_right_after_an_onset_and_the_first_frame_can_be_one() {
        let x = [1.0, 0.0, 0.9, 0.0, 0.0, 0.8, 0.0, 0.0, 0.0];
        assert_eq!(
            picker().pick(&x).iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![0, 5]
        );
    }

    #[test]
    fn librosa_defaults_at_common_rates() {
        let at_44k = PeakPicker::librosa_defaults(44_100.0);
        assert_eq!(
            (at_44k.pre_max, at_44k.pre_avg, at_44k.post_avg, at_44k.wait),
            (2, 8, 9, 2)
        );
        let at_22k = PeakPicker::librosa_defaults(22_050.0);
        assert_eq!((at_22k.pre_max, at_22k.pre_avg, at_22k.wait), (1, 4, 1));
    }

    #[test]
    fn silence_has_no_onsets_and_one_frame_per_hop() {
        let silence = vec![0.0; 44_100];
        assert_eq!(onset_strength(&silence, 44_100.0).len(), 1 + 44_100 / 512);
        assert!(detect_onsets(&silence, 44_100.0).is_empty());
        assert!(detect_onsets(&[], 44_100.0).is_empty());
    }

    #[test]
    fn a_click_train_gives_one_onset_per_click_near_its_time() {
        let rate = 44_100.0;
        let mut samples = vec![0.0f32; 88_200];
        let clicks = [0.25f32, 0.75, 1.25, 1.75];
        for &t in &clicks {
            let start = (t * rate) as usize;
            for (i, s) in samples[start..start + 2000].iter_mut().enumerate() {
                *s = (i as f32 * 0.3).sin() * (-(i as f32) / 300.0).exp();
            }
        }
        let onsets = detect_onsets(&samples, rate);
        assert_eq!(onsets.len(), clicks.len(), "{onsets:?}");
        for (onset, &t) in onsets.iter().zip(&clicks) {
            assert!(
                (onset.time_seconds - f64::from(t)).abs() <= 512.0 / 44_100.0,
                "{onset:?} vs {t}"
            );
            assert!(onset.margin > 0.0 && onset.margin <= 1.0);
        }
    }
}
