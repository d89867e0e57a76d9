//! Clip summary: a run of frames (the plugin's sliding window, or a whole file offline) becomes
//! one fixed-length vector that does not depend on level or sample rate.
//!
//! Frames more than [`GATE_DB`] below the loudest frame are left out of the statistics, so
//! silence and tails do not dilute the sound; a window that is all tail of a louder sound in
//! the [`GATE_MEMORY_SECONDS`] before it is not summarised. Each active frame is described by
//! [`FRAME_DESCRIPTORS`] numbers (level-free spectral envelope, MFCCs and their change,
//! spectral shape, noisiness, level and flux), summarised by mean, spread and 10th/90th
//! percentiles, followed by envelope cues (attack, decay, onset rate, crest, active fraction).

use crate::analysis::{FrameSummary, HARMONIC_RATIOS, MEL_BANDS, MFCC_COUNT, mfcc};

/// The stretch of audio one decision looks at: the plugin's sliding window, and the length of
/// the pieces training cuts long recordings into.
pub const LABEL_WINDOW_SECONDS: f32 = 3.0;
/// Frames this far below the loudest frame of the window do not count.
pub const GATE_DB: f32 = 20.0;
/// How long a loud frame is remembered. A window holding only a tail, every frame more than
/// [`GATE_DB`] below a frame this recent, is not judged: the decision before it stands.
/// Alone, a decaying piano note is taken for a bass, strings or a kick (held-out Salamander
/// notes: 62% right in their first window, 24%, 9% and 5% in the later ones).
pub const GATE_MEMORY_SECONDS: f64 = 10.0;
/// Louder frames are remembered as this loud, so a burst of garbage far beyond full scale
/// does not silence the labelling of what follows.
const REMEMBERED_CEILING_DBFS: f32 = 0.0;
/// A window whose loudest frame is quieter than this is silence.
pub const SILENCE_DBFS: f32 = -70.0;
/// How far below the window's loudest mel band quieter bands are clamped, so the spectrum's
/// floor (and with it flux) moves with the gain instead of sitting at a fixed dB value.
const MEL_RANGE_DB: f32 = 80.0;

/// MFCC 1-19: MFCC 0 only restates the level.
const CEPSTRA: usize = MFCC_COUNT - 1;
/// Groups of neighbouring mel bands (about an octave each above 1 kHz) whose peak-to-mean
/// contrast tells partials from noise in each register.
const CONTRAST_GROUPS: usize = 7;
/// Numbers describing one frame.
pub const FRAME_DESCRIPTORS: usize =
    MEL_BANDS + 2 * CEPSTRA + 10 + CONTRAST_GROUPS + HARMONIC_RATIOS.len();
const STATISTICS: [&str; 4] = ["mean", "std", "p10", "p90"];
const ENVELOPE: [&str; 5] = [
    "attack_log_s",
    "decay_db_per_s",
    "onsets_per_s",
    "crest_db",
    "active_fraction",
];
/// Length of a clip summary.
pub const SUMMARY_DIMS: usize = FRAME_DESCRIPTORS * STATISTICS.len() + ENVELOPE.len();

/// Names of the summary's dimensions, in order: the feature schema a reference set records.
pub fn summary_dimension_names() -> Vec<String> {
    let mut frame = Vec::with_capacity(FRAME_DESCRIPTORS);
    frame.extend((0..MEL_BANDS).map(|m| format!("mel_rel_{m:02}")));
    frame.extend((1..MFCC_COUNT).map(|q| format!("mfcc_{q:02}")));
    frame.extend((1..MFCC_COUNT).map(|q| format!("delta_mfcc_{q:02}")));
    frame.extend(
        [
            "centroid_log",
            "bandwidth_log",
            "rolloff_log",
            "mel_flatness_log",
            "zcr_log",
            "level_rel_db",
            "flux_db",
            "low_peak_log",
            "low_peak_prominence_log",
            "low_peak_glide",
        ]
        .map(String::from),
    );
    frame.extend((0..CONTRAST_GROUPS).map(|g| format!("mel_contrast_{g}")));
    frame.extend(
        HARMONIC_RATIOS
            .iter()
            .map(|r| format!("harmonic_{:03}_db", (r * 100.0).round())),
    );
    let mut names: Vec<String> = STATISTICS
        .iter()
        .flat_map(|stat| frame.iter().map(move |f| format!("{f}.{stat}")))
        .collect();
    names.extend(ENVELOPE.map(String::from));
    names
}

/// Which frame descriptors a summary gives statistics for.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptors([bool; FRAME_DESCRIPTORS]);

impl Descriptors {
    pub const ALL: Self = Self([true; FRAME_DESCRIPTORS]);

    /// The descriptors with at least one statistic among the summary dimensions `read` accepts.
    pub fn read_by(read: impl Fn(usize) -> bool) -> Self {
        Self(std::array::from_fn(|d| {
            (0..STATISTICS.len()).any(|s| read(s * FRAME_DESCRIPTORS + d))
        }))
    }
}

/// The summary of `frames` (consecutive, in time order) heard on their own, or `None` when
/// they are silence.
pub fn summarize(frames: &[FrameSummary]) -> Option<Vec<f32>> {
    summarize_descriptors(frames, &Descriptors::ALL)
}

/// The loudest level (dBFS) among `frames[..start]` in the [`GATE_MEMORY_SECONDS`] before
/// `frames[start]`, where a window starts; -inf if there are none.
pub fn loudest_before(frames: &[FrameSummary], start: usize) -> f32 {
    let Some(first) = frames.get(start) else {
        return f32::NEG_INFINITY;
    };
    frames[..start]
        .iter()
        .rev()
        .take_while(|f| f.time_seconds >= first.time_seconds - GATE_MEMORY_SECONDS)
        .map(|f| f.rms_dbfs)
        .fold(f32::NEG_INFINITY, f32::max)
}

/// The loudest level (dBFS) of `frames`, -inf if there are none.
pub fn loudest_dbfs(frames: &[FrameSummary]) -> f32 {
    frames
        .iter()
        .map(|f| f.rms_dbfs)
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Whether `frames` are all tail of a stretch whose loudest frame was `earlier_loudest_dbfs`
/// (see [`loudest_before`]): every one more than [`GATE_DB`] below it.
pub fn is_tail(frames: &[FrameSummary], earlier_loudest_dbfs: f32) -> bool {
    loudest_dbfs(frames) < earlier_loudest_dbfs.min(REMEMBERED_CEILING_DBFS) - GATE_DB
}

/// The summary of `frames` after a stretch whose loudest frame was `earlier_loudest_dbfs`:
/// `None` for silence or a tail of that stretch ([`is_tail`]), else [`summarize_descriptors`].
pub fn summarize_after(
    frames: &[FrameSummary],
    earlier_loudest_dbfs: f32,
    wanted: &Descriptors,
) -> Option<Vec<f32>> {
    if is_tail(frames, earlier_loudest_dbfs) {
        return None;
    }
    summarize_descriptors(frames, wanted)
}

/// As [`summarize`], with the statistics of the `wanted` descriptors only: the others are left
/// at 0. For a reader that gives the rest no weight (see [`crate::knn::Knn::descriptors`]).
pub fn summarize_descriptors(frames: &[FrameSummary], wanted: &Descriptors) -> Option<Vec<f32>> {
    let loudest = loudest_dbfs(frames);
    if !(loudest >= SILENCE_DBFS) {
        return None;
    }
    let gate = loudest - GATE_DB;
    let mel_floor = frames
        .iter()
        .flat_map(|f| f.mel_db)
        .fold(f32::NEG_INFINITY, f32::max)
        - MEL_RANGE_DB;
    let clamped_mel = |f: &FrameSummary| f.mel_db.map(|db| db.max(mel_floor));

    // Per-frame descriptors; change-based ones compare with the previous frame, gated or not.
    let mut descriptors: Vec<[f32; FRAME_DESCRIPTORS]> = Vec::with_capacity(frames.len());
    let mut flux_series = Vec::with_capacity(frames.len());
    let mut previous: Option<([f32; MEL_BANDS], [f32; MFCC_COUNT])> = None;
    let mut previous_peak_hz: Option<f32> = None;
    for frame in frames {
        let mel = clamped_mel(frame);
        let cepstrum = mfcc(&mel);
        let flux = previous.as_ref().map_or(0.0, |(before, _)| {
            mel.iter()
                .zip(before)
                .map(|(a, b)| (a - b).max(0.0))
                .sum::<f32>()
                / MEL_BANDS as f32
        });
        flux_series.push(flux);
        if frame.rms_dbfs >= gate {
            let previous_cepstrum = previous.as_ref().map(|(_, c)| c);
            descriptors.push(describe_frame(
                frame,
                &mel,
                &cepstrum,
                previous_cepstrum,
                previous_peak_hz,
                loudest,
                flux,
            ));
        }
        previous = Some((mel, cepstrum));
        previous_peak_hz = Some(frame.low_peak.hz);
    }

    // Statistic-major: every descriptor's mean, then every spread, and so on.
    let mut summary = vec![0.0; SUMMARY_DIMS];
    let mut column = Vec::with_capacity(descriptors.len());
    let mut keys = Vec::with_capacity(descriptors.len());
    for d in (0..FRAME_DESCRIPTORS).filter(|&d| wanted.0[d]) {
        column.clear();
        column.extend(descriptors.iter().map(|row| row[d]));
        for (s, value) in statistics(&column, &mut keys).into_iter().enumerate() {
            summary[s * FRAME_DESCRIPTORS + d] = value;
        }
    }
    summary[STATISTICS.len() * FRAME_DESCRIPTORS..].copy_from_slice(&envelope(
        frames,
        &flux_series,
        loudest,
        gate,
        descriptors.len(),
    ));
    debug_assert_eq!(summary.len(), SUMMARY_DIMS);
    Some(summary)
}

fn describe_frame(
    frame: &FrameSummary,
    mel: &[f32; MEL_BANDS],
    cepstrum: &[f32; MFCC_COUNT],
    previous_cepstrum: Option<&[f32; MFCC_COUNT]>,
    previous_peak_hz: Option<f32>,
    loudest: f32,
    flux: f32,
) -> [f32; FRAME_DESCRIPTORS] {
    let power_mean_db = power_mean_db(mel);
    // Total mel power in dB: subtracting it leaves the spectral envelope without the level.
    let total_db = power_mean_db + 10.0 * (MEL_BANDS as f32).log10();
    let log_hz = |hz: f32| (hz.max(20.0) / 1000.0).ln();
    let mut out = [0.0; FRAME_DESCRIPTORS];
    let (mel_out, rest) = out.split_at_mut(MEL_BANDS);
    for (o, db) in mel_out.iter_mut().zip(mel) {
        *o = db - total_db;
    }
    let (cepstra, rest) = rest.split_at_mut(CEPSTRA);
    cepstra.copy_from_slice(&cepstrum[1..]);
    let (deltas, rest) = rest.split_at_mut(CEPSTRA);
    if let Some(before) = previous_cepstrum {
        for ((d, now), before) in deltas.iter_mut().zip(&cepstrum[1..]).zip(&before[1..]) {
            *d = now - before;
        }
    }
    let (rest, harmonics) = rest.split_at_mut(rest.len() - HARMONIC_RATIOS.len());
    harmonics.copy_from_slice(&frame.harmonics);
    let (scalars, contrast) = rest.split_at_mut(rest.len() - CONTRAST_GROUPS);
    // How far the strongest low partial moved since the previous frame, in octaves: vibrato,
    // glides and note changes, capped so a jump between unrelated partials counts as one.
    let glide = previous_peak_hz.map_or(0.0, |before| {
        (log_hz(frame.low_peak.hz) - log_hz(before)).abs().min(1.0) / std::f32::consts::LN_2
    });
    scalars.copy_from_slice(&[
        log_hz(frame.shape.centroid_hz),
        log_hz(frame.shape.bandwidth_hz),
        log_hz(frame.shape.rolloff_hz),
        mel_flatness_log(mel, power_mean_db),
        log_hz(frame.zcr_hz),
        frame.rms_dbfs - loudest,
        flux,
        log_hz(frame.low_peak.hz),
        frame.low_peak.prominence.max(1.0).ln(),
        glide,
    ]);
    mel_contrast(mel, contrast);
    out
}

/// Per group of neighbouring mel bands, the strongest band's power over the group's mean power,
/// in dB: high where separate partials stand out, near 0 for noise or dense spectra.
fn mel_contrast(mel_db: &[f32; MEL_BANDS], out: &mut [f32]) {
    for (g, o) in out.iter_mut().enumerate() {
        let group = &mel_db[g * MEL_BANDS / CONTRAST_GROUPS..(g + 1) * MEL_BANDS / CONTRAST_GROUPS];
        let strongest = group.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let relative: f32 = group
            .iter()
            .map(|db| 10f32.powf((db - strongest) / 10.0))
            .sum();
        *o = -10.0 * (relative / group.len() as f32).log10();
    }
}

/// Log of the mel spectrum's flatness (geometric over arithmetic mean of the band powers): 0 for
/// noise, strongly negative for tones. Taken over the floored bands, so level-independent.
/// `power_mean_db` is [`power_mean_db`] of the same bands.
fn mel_flatness_log(mel_db: &[f32; MEL_BANDS], power_mean_db: f32) -> f32 {
    let mean_db = mel_db.iter().sum::<f32>() / MEL_BANDS as f32;
    (mean_db - power_mean_db) * std::f32::consts::LN_10 / 10.0
}

/// The mean band power in dB, summed relative to the strongest band so nothing overflows.
fn power_mean_db(mel_db: &[f32; MEL_BANDS]) -> f32 {
    let strongest = mel_db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let relative: f32 = mel_db
        .iter()
        .map(|db| 10f32.powf((db - strongest) / 10.0))
        .sum();
    strongest + 10.0 * (relative / MEL_BANDS as f32).log10()
}

/// The [`STATISTICS`] of a column of at least one value, in order. `keys` is scratch space.
fn statistics(column: &[f32], keys: &mut Vec<i32>) -> [f32; STATISTICS.len()] {
    let n = column.len() as f32;
    let mean = column.iter().sum::<f32>() / n;
    let std = (column.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n).sqrt();
    keys.clear();
    keys.extend(column.iter().map(|&x| total_order_key(x)));
    let [p10, p90] = percentiles(keys, [0.1, 0.9]);
    [mean, std, p10, p90]
}

/// `x` as an integer that orders as [`f32::total_cmp`] orders floats: selection compares
/// plain integers several times faster.
pub(crate) fn total_order_key(x: f32) -> i32 {
    let bits = x.to_bits() as i32;
    // Negative floats order backwards: flip all but the sign bit.
    bits ^ (((bits >> 31) as u32) >> 1) as i32
}

/// The float whose [`total_order_key`] is `key` (the flip is its own inverse).
fn from_total_order_key(key: i32) -> f32 {
    f32::from_bits((key ^ (((key >> 31) as u32) >> 1) as i32) as u32)
}

/// Nearest-rank percentiles, in increasing order of `fractions`, of the floats whose
/// [`total_order_key`]s are `keys`: selection finds the values a full sort would put at those
/// ranks. The higher rank is selected first; the lower one then lies among the values selection
/// left below it, a shorter search. Reorders `keys`.
fn percentiles(keys: &mut [i32], fractions: [f32; 2]) -> [f32; 2] {
    let rank = |fraction: f32| ((keys.len() - 1) as f32 * fraction).round() as usize;
    let (low, high) = (rank(fractions[0]), rank(fractions[1]));
    let (below, &mut high_key, _) = keys.select_nth_unstable(high);
    let low_key = if low < high {
        *below.select_nth_unstable(low).1
    } else {
        high_key
    };
    [low_key, high_key].map(from_total_order_key)
}

/// Attack time, decay slope, onset rate, crest and active fraction of the window; frames below
/// `gate` are not active.
fn envelope(
    frames: &[FrameSummary],
    flux: &[f32],
    loudest: f32,
    gate: f32,
    active: usize,
) -> [f32; 5] {
    let hop = frames
        .get(1)
        .map_or(0.01, |f| (f.time_seconds - frames[0].time_seconds) as f32);
    let duration = frames.len() as f32 * hop;
    let first_active = frames.iter().position(|f| f.rms_dbfs >= gate).unwrap_or(0);
    let peak = frames
        .iter()
        .position(|f| f.rms_dbfs == loudest)
        .unwrap_or(0);
    let attack = (peak.saturating_sub(first_active) as f32 * hop + hop).ln();

    // Least-squares slope of the level after the peak, over active frames: how a note dies.
    let tail: Vec<(f32, f32)> = frames[peak..]
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rms_dbfs >= gate)
        .map(|(i, f)| (i as f32 * hop, f.rms_dbfs))
        .collect();
    let decay = if tail.len() >= 2 {
        let n = tail.len() as f32;
        let (mt, ml) = tail
            .iter()
            .fold((0.0, 0.0), |(t, l), p| (t + p.0 / n, l + p.1 / n));
        let cov: f32 = tail.iter().map(|(t, l)| (t - mt) * (l - ml)).sum();
        let var: f32 = tail.iter().map(|(t, _)| (t - mt) * (t - mt)).sum();
        (cov / var).clamp(-200.0, 200.0)
    } else {
        0.0
    };

    // Onsets: local flux maxima clearly above the window's typical flux, in active frames.
    let mean_flux = flux.iter().sum::<f32>() / flux.len() as f32;
    let onsets = (1..flux.len().saturating_sub(1))
        .filter(|&t| {
            flux[t] > flux[t - 1]
                && flux[t] >= flux[t + 1]
                && flux[t] > mean_flux + 2.0
                && frames[t].rms_dbfs >= gate
        })
        .count();

    let mean_level = frames
        .iter()
        .filter(|f| f.rms_dbfs >= gate)
        .map(|f| f.rms_dbfs)
        .sum::<f32>()
        / active as f32;
    [
        attack,
        decay,
        onsets as f32 / duration.max(hop),
        loudest - mean_level,
        active as f32 / frames.len() as f32,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;

    #[test]
    fn percentiles_by_selection_match_a_full_sort() {
        let mut state = 7u32;
        for len in [1usize, 2, 3, 10, 86, 258] {
            let column: Vec<f32> = (0..len)
                .map(|i| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    // Repeated values, both zeros, infinities and NaNs too.
                    match i % 7 {
                        0 => [-0.0, 0.0, f32::INFINITY, -f32::NAN, f32::NEG_INFINITY][i % 5],
                        _ => (state >> 20) as f32 / 64.0 - 32.0,
                    }
                })
                .collect();
            let mut sorted = column.clone();
            sorted.sort_unstable_by(f32::total_cmp);
            let at = |fraction: f32| sorted[((len - 1) as f32 * fraction).round() as usize];
            for fractions in [[0.0, 1.0], [0.1, 0.9], [0.5, 0.5], [0.9, 0.9], [0.0, 0.1]] {
                let mut keys: Vec<i32> = column.iter().map(|&x| total_order_key(x)).collect();
                let got = percentiles(&mut keys, fractions);
                assert_eq!(
                    got.map(f32::to_bits),
                    fractions.map(|f| at(f).to_bits()),
                    "{len} values, {fractions:?}"
                );
            }
        }
    }

    #[test]
    fn unwanted_descriptors_are_left_at_zero_and_the_rest_unchanged() {
        let tone: Vec<f32> = (0..20_000).map(|i| (i as f32 * 0.05).sin()).collect();
        let frames = analyze(&tone, 44_100.0);
        let full = summarize(&frames).expect("a tone");
        // Reading one statistic of a descriptor is enough to want all of its statistics.
        let wanted = Descriptors::read_by(|dim| dim < FRAME_DESCRIPTORS && dim % 2 == 0);
        let partial = summarize_descriptors(&frames, &wanted).expect("a tone");
        for (dim, (f, p)) in full.iter().zip(&partial).enumerate() {
            let d = dim % FRAME_DESCRIPTORS;
            if dim >= STATISTICS.len() * FRAME_DESCRIPTORS || wanted.0[d] {
                assert_eq!(f.to_bits(), p.to_bits(), "dimension {dim}");
            } else {
                assert_eq!(*p, 0.0, "dimension {dim}");
            }
        }
        assert!((0..FRAME_DESCRIPTORS).all(|d| wanted.0[d] == (d % 2 == 0)));
    }

    #[test]
    fn names_match_the_dimension_count() {
        let names = summary_dimension_names();
        assert_eq!(names.len(), SUMMARY_DIMS);
        assert_eq!(
            names.iter().collect::<std::collections::HashSet<_>>().len(),
            SUMMARY_DIMS
        );
    }

    #[test]
    fn a_tail_well_below_a_recent_attack_is_not_judged_on_its_own() {
        // 12 s of a 220 Hz tone decaying 6 dB per second: the last 3 s are 27 to 45 dB down.
        let rate = 22_050.0;
        let note: Vec<f32> = (0..12 * 22_050)
            .map(|i| {
                let t = i as f32 / rate;
                (t * 220.0 * std::f32::consts::TAU).sin() * 10f32.powf(-6.0 * t / 20.0)
            })
            .collect();
        let frames = analyze(&note, rate);
        let start_at = |seconds: f64| frames.partition_point(|f| f.time_seconds < seconds);
        let late = start_at(9.0);
        assert!(
            summarize(&frames[late..]).is_some(),
            "alone, the tail is sound"
        );
        // The attack, 9 s earlier and 54 dB up, still gates it.
        let earlier = loudest_before(&frames, late);
        assert!((earlier - loudest_dbfs(&frames[late..]) - 54.0).abs() < 2.0);
        assert_eq!(
            summarize_after(&frames[late..], earlier, &Descriptors::ALL),
            None
        );
        // Beyond full scale counts as full scale: what follows 40 dB down is still a tail,
        // 10 dB down is judged.
        assert!(is_tail(&frames[late..], 600.0));
        assert!(!is_tail(
            &frames[late..],
            loudest_dbfs(&frames[late..]) + 10.0
        ));
        // A window that is not all tail is summarised on its own.
        let early = start_at(1.0)..start_at(4.0);
        assert_eq!(
            summarize_after(
                &frames[early.clone()],
                loudest_before(&frames, early.start),
                &Descriptors::ALL
            ),
            summarize(&frames[early])
        );
        assert_eq!(loudest_before(&frames, 0), f32::NEG_INFINITY);
        // What was heard more than 10 s before the window is forgotten: from 11 s, the
        // loudest remembered frame is the one at 1 s, 9 dB down (the sine's RMS is -3 dBFS).
        assert!((loudest_before(&frames, start_at(11.0)) + 9.0).abs() < 1.0);
    }

    #[test]
    fn silence_and_near_silence_have_no_summary() {
        assert_eq!(summarize(&analyze(&vec![0.0; 44_100], 44_100.0)), None);
        assert_eq!(summarize(&analyze(&vec![1e-5; 44_100], 44_100.0)), None);
        assert_eq!(summarize(&[]), None);
    }

    #[test]
    fn every_dimension_is_finite_even_for_a_single_frame() {
        let tone: Vec<f32> = (0..1100).map(|i| (i as f32 * 0.1).sin()).collect();
        let summary = summarize(&analyze(&tone, 44_100.0)).expect("one frame");
        assert!(summary.iter().all(|x| x.is_finite()), "{summary:?}");
    }
}
