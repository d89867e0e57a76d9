//! The streaming STFT analyzer: everything is sized in [`Analyzer::new`], so feeding samples
//! afterwards never allocates, and blocks of any size give the same frames.

use super::FrameConfig;
use super::mel::{MEL_BANDS, MEL_MAX_HZ, MelFilterbank};
use super::power_spectrum::PowerSpectrum;
use super::spectral::{self, HARMONIC_RATIOS, LowPeak, SpectralShape};

/// +120 dBFS. Louder finite samples (a blown-up filter upstream) are clipped to it so that frame
/// powers stay finite in `f32`; non-finite samples count as silence.
const LOUDEST_SAMPLE: f32 = 1e6;

/// What one analysis frame says about the audio: `Copy`, no heap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameSummary {
    /// Start of the frame in seconds since the analyzer was created or reset.
    pub time_seconds: f64,
    /// Un-windowed RMS level of the frame in dBFS (-160 for digital silence).
    pub rms_dbfs: f32,
    /// Zero crossings per second: independent of the sample rate.
    pub zcr_hz: f32,
    /// Spectral centroid in Hz over the whole band, librosa's definition (0 for silence).
    pub centroid_hz: f32,
    /// Spectral shape below 10 kHz, comparable across sample rates.
    pub shape: SpectralShape,
    /// The strongest partial below 1 kHz.
    pub low_peak: LowPeak,
    /// Partials at [`HARMONIC_RATIOS`] times the low peak, in dB relative to it.
    pub harmonics: [f32; HARMONIC_RATIOS.len()],
    /// Mel band powers in dB (Slaney mel, 0-10 kHz), on librosa's unnormalised STFT scale.
    /// [`super::mfcc`] turns them into MFCCs.
    pub mel_db: [f32; MEL_BANDS],
}

impl Default for FrameSummary {
    fn default() -> Self {
        Self {
            time_seconds: 0.0,
            rms_dbfs: spectral::to_dbfs(0.0),
            zcr_hz: 0.0,
            centroid_hz: 0.0,
            shape: SpectralShape::default(),
            low_peak: LowPeak::default(),
            harmonics: spectral::harmonic_profile(&[], 1.0, LowPeak::default()),
            mel_db: [0.0; MEL_BANDS],
        }
    }
}

/// Cuts a mono stream into overlapping Hann-windowed frames and describes each one.
///
/// Frame `i` covers samples `[i * hop, i * hop + frame_len)` of the stream, the alignment of
/// librosa's `center=False`.
pub struct Analyzer {
    sample_rate: f32,
    config: FrameConfig,
    power_spectrum: PowerSpectrum,
    window: Vec<f32>,
    /// The last `frame_len` samples; the oldest one sits at `ring_pos`.
    ring: Vec<f32>,
    ring_pos: usize,
    fft_input: Vec<f32>,
    power: Vec<f32>,
    magnitude: Vec<f32>,
    /// Bins at or below [`MEL_MAX_HZ`].
    capped_bins: usize,
    mel: MelFilterbank,
    /// Samples still missing before the next frame is complete.
    until_next_frame: usize,
    frames_emitted: u64,
}

impl Analyzer {
    /// An analyzer with the default frame for `sample_rate`. Allocates: call it off the audio
    /// thread (in `activate`).
    pub fn new(sample_rate: f32) -> Self {
        Self::with_config(sample_rate, FrameConfig::for_sample_rate(sample_rate))
    }

    pub fn with_config(sample_rate: f32, config: FrameConfig) -> Self {
        let n = config.frame_len;
        let bins = n / 2 + 1;
        let bin_hz = f64::from(sample_rate) / n as f64;
        let capped_bins = ((MEL_MAX_HZ / bin_hz) as usize + 1).min(bins);
        Self {
            sample_rate,
            config,
            power_spectrum: PowerSpectrum::new(n),
            window: periodic_hann(n),
            ring: vec![0.0; n],
            ring_pos: 0,
            fft_input: vec![0.0; n],
            power: vec![0.0; bins],
            magnitude: vec![0.0; bins],
            capped_bins,
            mel: MelFilterbank::new(sample_rate, n),
            until_next_frame: n,
            frames_emitted: 0,
        }
    }

    /// Forgets all buffered audio; the next frame starts at time zero.
    pub fn reset(&mut self) {
        self.ring.fill(0.0);
        self.ring_pos = 0;
        self.until_next_frame = self.config.frame_len;
        self.frames_emitted = 0;
    }

    /// Feeds mono samples and calls `emit` for every frame they complete. Real-time safe.
    /// Non-finite samples are analysed as zeros so they never reach a feature.
    pub fn process(&mut self, samples: &[f32], mut emit: impl FnMut(FrameSummary)) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = rest.len().min(self.until_next_frame);
            let (now, later) = rest.split_at(take);
            self.push(now);
            rest = later;
            self.until_next_frame -= take;
            if self.until_next_frame == 0 {
                emit(self.analyze_frame());
                self.until_next_frame = self.config.hop_len;
            }
        }
    }

    fn push(&mut self, samples: &[f32]) {
        let n = self.ring.len();
        // Only the newest `n` samples can be part of a frame.
        let mut samples = &samples[samples.len().saturating_sub(n)..];
        while !samples.is_empty() {
            let room = n - self.ring_pos;
            let (now, later) = samples.split_at(samples.len().min(room));
            let target = &mut self.ring[self.ring_pos..self.ring_pos + now.len()];
            for (slot, &x) in target.iter_mut().zip(now) {
                *slot = if x.is_finite() {
                    x.clamp(-LOUDEST_SAMPLE, LOUDEST_SAMPLE)
                } else {
                    0.0
                };
            }
            self.ring_pos = (self.ring_pos + now.len()) % n;
            samples = later;
        }
    }

    fn analyze_frame(&mut self) -> FrameSummary {
        // In time order the frame is the ring from `ring_pos` on, then the ring up to it. Every
        // pass works on these two contiguous parts, so nothing is copied and the loops vectorise.
        let (newer, older) = self.ring.split_at(self.ring_pos);
        let parts = [older, newer];
        let (window_older, window_newer) = self.window.split_at(older.len());
        let (input_older, input_newer) = self.fft_input.split_at_mut(older.len());
        for (input, part, window) in [
            (input_older, older, window_older),
            (input_newer, newer, window_newer),
        ] {
            for ((i, &x), &w) in input.iter_mut().zip(part).zip(window) {
                *i = x * w;
            }
        }
        self.power_spectrum
            .process(&self.fft_input, &mut self.power);
        for (m, p) in self.magnitude.iter_mut().zip(&self.power) {
            *m = p.sqrt(); // not the complex norm: libm's hypot is ten times slower
        }
        let mut mel_db = [0.0; MEL_BANDS];
        self.mel.mel_db(&self.power, &mut mel_db);

        let n = self.config.frame_len as f32;
        let bin_hz = self.sample_rate / n;
        let low_peak = spectral::low_peak(&self.magnitude, bin_hz);
        let summary = FrameSummary {
            time_seconds: (self.frames_emitted * self.config.hop_len as u64) as f64
                / f64::from(self.sample_rate),
            rms_dbfs: spectral::to_dbfs(spectral::rms(parts)),
            zcr_hz: spectral::zero_crossings(parts) as f32 / n * self.sample_rate,
            centroid_hz: spectral::centroid(&self.magnitude, self.sample_rate / n),
            shape: spectral::spectral_shape(
                &self.magnitude[..self.capped_bins],
                self.sample_rate / n,
            ),
            low_peak,
            harmonics: spectral::harmonic_profile(&self.magnitude, bin_hz, low_peak),
            mel_db,
        };
        self.frames_emitted += 1;
        summary
    }
}

/// The periodic Hann window (scipy's `hann(n, sym=False)`, librosa's default).
fn periodic_hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let phase = std::f64::consts::TAU * i as f64 / n as f64;
            (0.5 - 0.5 * phase.cos()) as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, sample_rate: f32, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (std::f32::consts::TAU * freq * i as f32 / sample_rate).sin() * 0.5)
            .collect()
    }

    fn analyzer_frame_len(rate: f32) -> f32 {
        FrameConfig::for_sample_rate(rate).frame_len as f32
    }

    fn frames(analyzer: &mut Analyzer, samples: &[f32], block: usize) -> Vec<FrameSummary> {
        let mut out = Vec::new();
        for chunk in samples.chunks(block) {
            analyzer.process(chunk, |f| out.push(f));
        }
        out
    }

    #[test]
    fn frame_count_and_times_follow_center_false_alignment() {
        let mut analyzer = Analyzer::with_config(44_100.0, FrameConfig::new(2048, 512));
        let out = frames(&mut analyzer, &vec![0.1; 2048 + 3 * 512 + 100], 333);
        assert_eq!(out.len(), 4);
        let expected: Vec<f64> = (0..4).map(|i| (i * 512) as f64 / 44_100.0).collect();
        assert_eq!(
            out.iter().map(|f| f.time_seconds).collect::<Vec<_>>(),
            expected
        );
    }

    #[test]
    fn block_size_does_not_change_the_frames() {
        let signal = sine(997.0, 48_000.0, 20_000);
        let reference = frames(&mut Analyzer::new(48_000.0), &signal, signal.len());
        for block in [1, 7, 64, 512, 4096] {
            assert_eq!(
                frames(&mut Analyzer::new(48_000.0), &signal, block),
                reference
            );
        }
    }

    #[test]
    fn a_sine_has_its_frequency_as_centroid_and_twice_it_as_zcr() {
        // Up to 96 kHz: at 192 kHz the FFT's noise floor over the wide band pulls a
        // magnitude centroid (librosa's definition) up by about 10%.
        for rate in [22_050.0, 44_100.0, 48_000.0, 96_000.0] {
            let out = frames(
                &mut Analyzer::new(rate),
                &sine(1000.0, rate, rate as usize),
                4096,
            );
            let last = out.last().unwrap();
            // Window leakage spread over a wide band pulls a magnitude centroid up a little.
            assert!(
                (last.centroid_hz / 1000.0 - 1.0).abs() < 0.06,
                "{rate}: {last:?}"
            );
            let one_crossing = rate / analyzer_frame_len(rate);
            assert!(
                (last.zcr_hz - 2000.0).abs() <= one_crossing,
                "{rate}: {last:?}"
            );
            assert!((last.rms_dbfs - (-9.03)).abs() < 0.1, "{rate}: {last:?}");
        }
    }

    #[test]
    fn the_low_peak_finds_a_bass_note_between_bins() {
        for (rate, freq) in [(44_100.0, 110.0), (48_000.0, 61.7), (96_000.0, 440.0)] {
            let out = frames(
                &mut Analyzer::new(rate),
                &sine(freq, rate, rate as usize / 2),
                4096,
            );
            let peak = out.last().unwrap().low_peak;
            // Bins are 43 Hz apart; the parabola lands within a few Hz.
            assert!(
                (peak.hz - freq).abs() < 0.06 * freq,
                "{rate}: {freq} Hz found at {peak:?}"
            );
            assert!(peak.prominence > 5.0, "{rate}: {peak:?}");
        }
        let silent = frames(&mut Analyzer::new(44_100.0), &[0.0; 4096], 4096);
        assert_eq!(silent[0].low_peak, crate::analysis::LowPeak::default());
    }

    #[test]
    fn non_finite_input_yields_finite_features() {
        let mut signal = sine(440.0, 44_100.0, 8192);
        for (i, x) in signal.iter_mut().enumerate().step_by(3) {
            *x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-40][i % 4];
        }
        for f in frames(&mut Analyzer::new(44_100.0), &signal, 100) {
            assert!(f.rms_dbfs.is_finite() && f.zcr_hz.is_finite() && f.centroid_hz.is_finite());
            let shape = [
                f.shape.centroid_hz,
                f.shape.bandwidth_hz,
                f.shape.rolloff_hz,
                f.low_peak.hz,
                f.low_peak.prominence,
            ];
            assert!(
                shape.iter().chain(&f.mel_db).all(|x| x.is_finite()),
                "{f:?}"
            );
        }
    }

    #[test]
    fn reset_restarts_time_and_forgets_audio() {
        let mut analyzer = Analyzer::new(44_100.0);
        let signal = sine(440.0, 44_100.0, 10_000);
        let first = frames(&mut analyzer, &signal, 256);
        analyzer.reset();
        assert_eq!(frames(&mut analyzer, &signal, 256), first);
    }
}
