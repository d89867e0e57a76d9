//! The power spectrum of a real frame: realfft's even-length transform (a complex FFT of half
//! the length, then a split step that separates the spectra of the even and odd samples), with
//! the split step fused with the squared magnitudes. The spectrum itself is never stored, and
//! the split step runs on four bin pairs at a time with their parts side by side, which
//! vectorises; realfft's loop over interleaved values, one pair at a time, does not (it was a
//! fifth of the analysis). Every value goes through realfft's operations in realfft's order, so
//! the powers are the same bit for bit.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Bin pairs of the split step computed together.
const BLOCK: usize = 4;

pub struct PowerSpectrum {
    fft: Arc<dyn Fft<f32>>,
    /// realfft's twiddles for bins 1 to `len / 4 - 1`, halved as realfft halves them.
    twiddles: Vec<Complex<f32>>,
    /// The frame as `len / 2` complex samples: even samples real, odd imaginary.
    packed: Vec<Complex<f32>>,
    half_spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl PowerSpectrum {
    /// A transform of frames of `len` samples, a multiple of 4.
    pub fn new(len: usize) -> Self {
        assert!(
            len >= 4 && len.is_multiple_of(4),
            "frame length {len} is not a multiple of 4"
        );
        let fft = FftPlanner::<f32>::new().plan_fft_forward(len / 2);
        let twiddles = (1..len / 4)
            .map(|i| {
                let angle = -2.0 * std::f64::consts::PI / len as f64 * i as f64;
                Complex::new(angle.cos() as f32, angle.sin() as f32) * 0.5
            })
            .collect();
        Self {
            twiddles,
            packed: vec![Complex::default(); len / 2],
            half_spectrum: vec![Complex::default(); len / 2],
            scratch: vec![Complex::default(); fft.get_outofplace_scratch_len()],
            fft,
        }
    }

    /// The power (`norm_sqr`) of bins 0 to `len / 2` of `frame` into `power`.
    pub fn process(&mut self, frame: &[f32], power: &mut [f32]) {
        let (samples, _) = frame.as_chunks::<2>();
        for (c, &[re, im]) in self.packed.iter_mut().zip(samples) {
            *c = Complex::new(re, im);
        }
        self.fft.process_outofplace_with_scratch(
            &mut self.packed,
            &mut self.half_spectrum,
            &mut self.scratch,
        );
        let spectrum = &self.half_spectrum;
        let half = spectrum.len();
        let norm_sqr = |re: f32, im: f32| Complex::new(re, im).norm_sqr();
        // Bins 0 and `half`: the sum and difference of the first value's parts.
        let first = spectrum[0];
        power[0] = norm_sqr(first.re + first.im, 0.0);
        power[half] = norm_sqr(first.re - first.im, 0.0);
        // The middle bin is the conjugate of its value, whose sign does not change its power.
        let middle = spectrum[half / 2];
        power[half / 2] = norm_sqr(middle.re, -middle.im);
        // Bins k and `half - k` for k from 1 to `half / 2 - 1` come from the same two values.
        let pairs = self.twiddles.len();
        let (low_power, high_power) = power[1..half].split_at_mut(pairs);
        let high_power = &mut high_power[1..];
        let (low, high) = spectrum[1..half].split_at(pairs);
        let high = &high[1..];
        // High bins run downwards as low bins run upwards: blocks are taken from both ends, and
        // the pairs left over one by one.
        let blocks = pairs / BLOCK;
        for b in 0..blocks {
            let (start, start_rev) = (b * BLOCK, pairs - (b + 1) * BLOCK);
            let (low_bins, high_bins) = split_step::<BLOCK>(
                block(&self.twiddles, start),
                block(low, start),
                block(high, start_rev),
            );
            *block_mut(low_power, start) = low_bins;
            *block_mut(high_power, start_rev) = high_bins;
        }
        for k in blocks * BLOCK..pairs {
            let rev = pairs - 1 - k;
            let ([low_bin], [high_bin]) =
                split_step::<1>(block(&self.twiddles, k), block(low, k), block(high, rev));
            (low_power[k], high_power[rev]) = (low_bin, high_bin);
        }
    }
}

/// realfft's split step for `W` pairs of bins: the powers of bins k to k + W - 1 from their
/// `values` and of the bins mirrored about the middle from `mirrored` (in descending bin
/// order, as are the powers returned for them). Each operation runs on the pairs' parts laid
/// out side by side, which vectorises.
fn split_step<const W: usize>(
    twiddles: &[Complex<f32>; W],
    values: &[Complex<f32>; W],
    mirrored: &[Complex<f32>; W],
) -> ([f32; W], [f32; W]) {
    let out_re: [f32; W] = std::array::from_fn(|j| values[j].re);
    let out_im: [f32; W] = std::array::from_fn(|j| values[j].im);
    let rev_re: [f32; W] = std::array::from_fn(|j| mirrored[W - 1 - j].re);
    let rev_im: [f32; W] = std::array::from_fn(|j| mirrored[W - 1 - j].im);
    let sum_re: [f32; W] = std::array::from_fn(|j| out_re[j] + rev_re[j]);
    let sum_im: [f32; W] = std::array::from_fn(|j| out_im[j] + rev_im[j]);
    let diff_re: [f32; W] = std::array::from_fn(|j| out_re[j] - rev_re[j]);
    let diff_im: [f32; W] = std::array::from_fn(|j| out_im[j] - rev_im[j]);
    let half_sum_re: [f32; W] = std::array::from_fn(|j| 0.5 * sum_re[j]);
    let half_diff_im: [f32; W] = std::array::from_fn(|j| 0.5 * diff_im[j]);
    // realfft's twiddled sums and differences: (sum * re).im + (diff * im).re, and
    // (sum * im).im - (diff * re).re.
    let twiddled_real: [f32; W] =
        std::array::from_fn(|j| sum_im[j] * twiddles[j].re + diff_re[j] * twiddles[j].im);
    let twiddled_im: [f32; W] =
        std::array::from_fn(|j| sum_im[j] * twiddles[j].im - diff_re[j] * twiddles[j].re);
    let norm_sqr = |re: f32, im: f32| Complex::new(re, im).norm_sqr();
    let low: [f32; W] = std::array::from_fn(|j| {
        norm_sqr(
            half_sum_re[j] + twiddled_real[j],
            half_diff_im[j] + twiddled_im[j],
        )
    });
    let high: [f32; W] = std::array::from_fn(|j| {
        let j = W - 1 - j;
        norm_sqr(
            half_sum_re[j] - twiddled_real[j],
            twiddled_im[j] - half_diff_im[j],
        )
    });
    (low, high)
}

/// The `W` values of `values` from `start` on.
fn block<const W: usize, T>(values: &[T], start: usize) -> &[T; W] {
    values[start..start + W].try_into().expect("W values")
}

fn block_mut<const W: usize, T>(values: &mut [T], start: usize) -> &mut [T; W] {
    (&mut values[start..start + W])
        .try_into()
        .expect("W values")
}

#[cfg(test)]
mod tests {
    use realfft::RealFftPlanner;

    use super::*;
    use crate::analysis::FrameConfig;

    #[test]
    fn powers_are_realffts_bit_for_bit() {
        let mut state = 5u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1 << 23) as f32 - 1.0
        };
        // The frames of every common rate, and lengths whose blocks of pairs leave each
        // possible remainder.
        let rates = [8_000.0, 22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0];
        let lengths = rates
            .map(|rate| FrameConfig::for_sample_rate(rate).frame_len)
            .into_iter()
            .chain([4, 8, 16, 20, 24, 28, 36, 40, 1024, 1120]);
        for len in lengths {
            let reference = RealFftPlanner::<f32>::new().plan_fft_forward(len);
            let mut fused = PowerSpectrum::new(len);
            let frames = [
                (0..len).map(|_| next()).collect::<Vec<f32>>(),
                (0..len).map(|_| next() * 1e6).collect(),
                (0..len)
                    .map(|i| if i % 7 == 0 { 1e-40 } else { 0.0 })
                    .collect(),
                vec![0.0; len],
            ];
            for frame in frames {
                let mut spectrum = reference.make_output_vec();
                reference
                    .process(&mut frame.clone(), &mut spectrum)
                    .unwrap();
                let expected: Vec<u32> = spectrum.iter().map(|c| c.norm_sqr().to_bits()).collect();
                let mut power = vec![f32::NAN; len / 2 + 1];
                fused.process(&frame, &mut power);
                let got: Vec<u32> = power.iter().map(|p| p.to_bits()).collect();
                assert_eq!(got, expected, "length {len}");
            }
        }
    }
}
