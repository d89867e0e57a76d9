//! Mel filterbank and MFCCs, defined as librosa defines them (Slaney mel scale and area
//! normalisation, orthonormal DCT-II of the dB mel spectrum). The filterbank is precomputed
//! once per sample rate and frame length, so applying it never allocates.

use std::sync::LazyLock;

/// Mel bands between 0 Hz and [`MEL_MAX_HZ`].
pub const MEL_BANDS: usize = 40;
/// Cepstral coefficients kept (0 to 19).
pub const MFCC_COUNT: usize = 20;
/// Upper edge of the mel range. Capping descriptors at 10 kHz keeps them comparable between
/// 22.05 kHz files and 192 kHz sessions.
pub const MEL_MAX_HZ: f64 = 10_000.0;
/// Power floor before taking dB (librosa's `amin`).
const POWER_FLOOR: f32 = 1e-10;

/// Triangular mel filters over one-sided power spectra of a fixed length.
pub struct MelFilterbank {
    /// Per band: the first FFT bin it covers and its weights from there on.
    bands: Vec<(usize, Vec<f32>)>,
}

impl MelFilterbank {
    pub fn new(sample_rate: f32, frame_len: usize) -> Self {
        let bins = frame_len / 2 + 1;
        let sample_rate = f64::from(sample_rate);
        let max_hz = MEL_MAX_HZ.min(sample_rate / 2.0);
        let (low, high) = (hz_to_mel(0.0), hz_to_mel(max_hz));
        let edges: Vec<f64> = (0..MEL_BANDS + 2)
            .map(|i| mel_to_hz(low + (high - low) * i as f64 / (MEL_BANDS + 1) as f64))
            .collect();
        let bin_hz = sample_rate / frame_len as f64;
        let bands = (0..MEL_BANDS)
            .map(|m| {
                let (left, centre, right) = (edges[m], edges[m + 1], edges[m + 2]);
                let area_norm = 2.0 / (right - left);
                let weights: Vec<(usize, f32)> = (0..bins)
                    .filter_map(|k| {
                        let hz = k as f64 * bin_hz;
                        let rising = (hz - left) / (centre - left);
                        let falling = (right - hz) / (right - centre);
                        let weight = rising.min(falling).max(0.0) * area_norm;
                        (weight > 0.0).then_some((k, weight as f32))
                    })
                    .collect();
                let first = weights.first().map_or(0, |&(k, _)| k);
                (first, weights.into_iter().map(|(_, w)| w).collect())
            })
            .collect();
        Self { bands }
    }

    /// Mel band powers in dB (10·log10, floored at -100 dB) from a one-sided power spectrum.
    pub fn mel_db(&self, power: &[f32], out: &mut [f32; MEL_BANDS]) {
        for ((first, weights), db) in self.bands.iter().zip(out.iter_mut()) {
            let energy: f32 = weights
                .iter()
                .zip(&power[*first..])
                .map(|(w, p)| w * p)
                .sum();
            *db = 10.0 * energy.max(POWER_FLOOR).log10();
        }
    }
}

/// MFCCs 0..[`MFCC_COUNT`] of a dB mel spectrum: its orthonormal DCT-II (librosa's `mfcc` on
/// `power_to_db` of the mel spectrogram). Computed off the audio thread, after the summary has
/// floored the quiet bands relative to the window, which is what keeps them level-independent.
pub fn mfcc(mel_db: &[f32; MEL_BANDS]) -> [f32; MFCC_COUNT] {
    // Transposed, one row per band: all coefficients are accumulated at once, which
    // vectorises, and each still adds its terms in band order from -0.0 as `Iterator::sum`
    // of a row's products would, so the values are the same bit for bit.
    static DCT: LazyLock<[[f32; MFCC_COUNT]; MEL_BANDS]> = LazyLock::new(|| {
        std::array::from_fn(|m| {
            let bands = MEL_BANDS as f64;
            std::array::from_fn(|q| {
                let scale = if q == 0 {
                    (1.0 / (4.0 * bands)).sqrt()
                } else {
                    (1.0 / (2.0 * bands)).sqrt()
                };
                let angle = std::f64::consts::PI * q as f64 * (2 * m + 1) as f64 / (2.0 * bands);
                (2.0 * scale * angle.cos()) as f32
            })
        })
    });
    let mut out = [-0.0; MFCC_COUNT];
    for (row, &db) in DCT.iter().zip(mel_db) {
        for (o, &a) in out.iter_mut().zip(row) {
            *o += a * db;
        }
    }
    out
}

/// Slaney's mel scale (librosa's default, `htk=False`): linear below 1 kHz, log above.
fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    let min_log_mel = 1000.0 / F_SP;
    if hz >= 1000.0 {
        min_log_mel + (hz / 1000.0).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    let min_log_mel = 1000.0 / F_SP;
    if mel >= min_log_mel {
        1000.0 * ((mel - min_log_mel) * log_step()).exp()
    } else {
        mel * F_SP
    }
}

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips_and_is_linear_below_1_khz() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4321.0, 10_000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
    }

    #[test]
    fn a_flat_spectrum_gives_band_energies_proportional_to_band_width_in_bins() {
        let bank = MelFilterbank::new(44_100.0, 1024);
        let mut db = [0.0; MEL_BANDS];
        bank.mel_db(&vec![1.0; 513], &mut db);
        // Area normalisation: every band integrates to about (2 / width) * (width / 2) * bins per
        // Hz, the same for all bands, so a flat spectrum is flat in mel too.
        let spread = db.iter().cloned().fold(f32::MIN, f32::max)
            - db.iter().cloned().fold(f32::MAX, f32::min);
        assert!(spread < 3.0, "{db:?}");
    }
}
