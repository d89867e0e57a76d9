//! Training summaries of one recording, shared by `cargo xtask train` (the default set) and
//! `track-labeler train` (user sets): the recording is cut into windows as long as the
//! plugin's decision window and summarised as recorded and in augmented variations.

use std::ops::Range;
use std::path::Path;

use track_labeler::analysis::{FrameSummary, HOP_SECONDS, analyze};
use track_labeler::summary::{LABEL_WINDOW_SECONDS, is_tail, loudest_before, summarize};

use crate::augment::augment;
use crate::decode::{DecodeError, DecodedAudio, decode_file};
use crate::rng::fnv1a;

/// Augmented variations per window, besides the recording itself.
pub const AUGMENTED_VARIANTS: u8 = 4;
/// Long recordings give at most this many windows, evenly spread, so they do not swamp one-shots.
pub const MAX_WINDOWS_PER_CLIP: usize = 4;

/// One summary of a recording: which window, which variation (0 = as recorded), and the
/// summary itself. Silent windows give none.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSummary {
    pub window: u8,
    pub variant: u8,
    pub summary: Vec<f32>,
    /// The window is all tail of a louder sound just before it
    /// ([`track_labeler::summary::is_tail`]): labelling keeps the decision before it. It still
    /// trains: a tail is still the instrument.
    pub tail: bool,
}

/// Every training summary of the file at `path`. The augmentation is seeded by the path, so
/// the same file always gives the same summaries.
pub fn file_training_summaries(path: &Path) -> Result<Vec<TrainingSummary>, DecodeError> {
    let audio = decode_file(path)?;
    let seed = fnv1a(path.to_string_lossy().as_bytes());
    Ok(training_summaries(&audio, seed))
}

/// Every training summary of `audio`, augmented with seeds derived from `seed`.
pub fn training_summaries(audio: &DecodedAudio, seed: u64) -> Vec<TrainingSummary> {
    let mut out = Vec::new();
    for_each_training_window(
        audio,
        seed,
        AUGMENTED_VARIANTS,
        |window, variant, frames, earlier_loudest| {
            if let Some(summary) = summarize(frames) {
                out.push(TrainingSummary {
                    window,
                    variant,
                    summary,
                    tail: is_tail(frames, earlier_loudest),
                });
            }
        },
    );
    out
}

/// Calls `each(window, variant, frames, earlier_loudest)` with the frames of every decision
/// window of `audio`, as recorded (variant 0) and in `variants` augmented variations seeded from
/// `seed`, and the loudest level heard before the window (see
/// [`track_labeler::summary::loudest_before`]). The summaries and the learned embedding's
/// training data see the same windows.
pub fn for_each_training_window(
    audio: &DecodedAudio,
    seed: u64,
    variants: u8,
    mut each: impl FnMut(u8, u8, &[FrameSummary], f32),
) {
    let sample_rate = audio.sample_rate as f32;
    let mono = audio.to_mono();
    let mut windows = Vec::new();
    for variant in 0..=variants {
        let samples = if variant == 0 {
            mono.clone()
        } else {
            augment(&mono, sample_rate, seed ^ u64::from(variant))
        };
        let frames = analyze(&samples, sample_rate);
        // Augmentation may lengthen the sound (reverb tails): windows follow the recording.
        if variant == 0 {
            windows = window_ranges(frames.len());
        }
        for (window, range) in windows.iter().enumerate() {
            let range = range.start.min(frames.len())..range.end.min(frames.len());
            let earlier_loudest = loudest_before(&frames, range.start);
            each(window as u8, variant, &frames[range], earlier_loudest);
        }
    }
}

/// Frame ranges of at most one decision window each, evenly spread over the clip.
fn window_ranges(frames: usize) -> Vec<Range<usize>> {
    let per_window = (f64::from(LABEL_WINDOW_SECONDS) / HOP_SECONDS).round() as usize;
    if frames <= per_window {
        let whole = 0..frames;
        return vec![whole];
    }
    let count = frames.div_ceil(per_window).min(MAX_WINDOWS_PER_CLIP);
    let last_start = frames - per_window;
    (0..count)
        .map(|i| {
            let start = if count == 1 {
                0
            } else {
                last_start * i / (count - 1)
            };
            start..start + per_window
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_short_clips_whole_and_spread_over_long_ones() {
        assert_eq!(window_ranges(10), vec![0..10]);
        let per = (f64::from(LABEL_WINDOW_SECONDS) / HOP_SECONDS).round() as usize;
        let long = window_ranges(per * 10);
        assert_eq!(long.len(), MAX_WINDOWS_PER_CLIP);
        assert_eq!(long[0].start, 0);
        assert_eq!(long.last().unwrap().end, per * 10);
        assert!(long.iter().all(|r| r.len() == per));
    }

    #[test]
    fn every_window_gets_the_recording_and_each_variation() {
        let rate = 22_050;
        let tone: Vec<f32> = (0..rate * 7)
            .map(|i| (i as f32 * 0.07).sin() * (1.0 - (i % rate) as f32 / rate as f32))
            .collect();
        let audio = DecodedAudio {
            channels: vec![tone],
            sample_rate: rate as u32,
        };
        let summaries = training_summaries(&audio, 1);
        // 7 s: three windows, each as recorded and in four variations.
        assert_eq!(summaries.len(), 3 * (1 + usize::from(AUGMENTED_VARIANTS)));
        assert_eq!(summaries, training_summaries(&audio, 1));
        assert_ne!(summaries, training_summaries(&audio, 2));
    }
}
