//! Labelling whole files: decode, analyse with the plugin's analyzer, summarise successive
//! decision windows, classify each against a reference set and combine them into one label.

use std::path::Path;

use anyhow::Context;
use track_labeler::analysis::{FrameSummary, HOP_SECONDS, analyze};
use track_labeler::knn::Knn;
use track_labeler::reference::ReferenceSet;
use track_labeler::summary::{
    LABEL_WINDOW_SECONDS, SILENCE_DBFS, loudest_before, loudest_dbfs, summarize_after,
};

use crate::decode::{DecodeError, DecodedAudio, decode_file_mono};

/// The label of a file or window with no sound in it.
pub const SILENCE: &str = "silence";
/// Labels listed with their scores, best first.
const TOP_LABELS: usize = 3;

/// A decision: the winning label, its score, and the best labels with their scores (vote
/// shares, 0 to 1), best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub label: String,
    pub confidence: f32,
    pub top: Vec<(String, f32)>,
}

impl Scores {
    fn silence() -> Self {
        Self {
            label: SILENCE.into(),
            confidence: 1.0,
            top: vec![(SILENCE.into(), 1.0)],
        }
    }

    pub fn is_silence(&self) -> bool {
        self.label == SILENCE
    }
}

/// The decision for one stretch of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowLabel {
    pub start_seconds: f64,
    pub end_seconds: f64,
    pub scores: Scores,
    /// The stretch is the tail of the sound before it, not judged on its own: `scores` are
    /// the previous window's, as the plugin keeps showing its label.
    pub held: bool,
}

/// The label of a whole file and of each of its decision windows.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLabel {
    pub scores: Scores,
    pub windows: Vec<WindowLabel>,
}

/// Labels audio against one reference set.
pub struct Labeler {
    knn: Knn,
    labels: Vec<String>,
}

impl Labeler {
    pub fn new(set: ReferenceSet) -> Self {
        Self {
            labels: set.labels.clone(),
            knn: Knn::new(set),
        }
    }

    /// The labels the reference set can give (besides [`SILENCE`]).
    pub fn label_names(&self) -> &[String] {
        &self.labels
    }

    /// The user's reference set at `model`, or the embedded default set.
    pub fn load(model: Option<&Path>) -> anyhow::Result<Self> {
        let set = match model {
            None => ReferenceSet::default_set(),
            Some(path) => {
                let bytes =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                ReferenceSet::from_bytes(&bytes)
                    .with_context(|| format!("loading the reference set {}", path.display()))?
            }
        };
        Ok(Self::new(set))
    }

    /// The decision for one run of frames summarised as a whole.
    pub fn classify_frames(&self, frames: &[FrameSummary]) -> Scores {
        self.classify_frames_after(frames, f32::NEG_INFINITY)
            .unwrap_or_else(Scores::silence)
    }

    /// The decision for frames after a stretch whose loudest frame was `earlier_loudest_dbfs`:
    /// silence, or `None` for a tail of that stretch (see
    /// [`track_labeler::summary::summarize_after`]).
    fn classify_frames_after(
        &self,
        frames: &[FrameSummary],
        earlier_loudest_dbfs: f32,
    ) -> Option<Scores> {
        // Only what the set reads: its projection leaves some dimensions out.
        match summarize_after(frames, earlier_loudest_dbfs, self.knn.descriptors()) {
            Some(summary) => Some(self.classify_summary(&summary)),
            None if loudest_dbfs(frames) >= SILENCE_DBFS => None,
            None => Some(Scores::silence()),
        }
    }

    /// The decision for one summary (see [`track_labeler::summary::summarize`]).
    pub fn classify_summary(&self, summary: &[f32]) -> Scores {
        let prediction = self.knn.classify(summary);
        let top: Vec<(String, f32)> = prediction
            .top
            .iter()
            .map(|&(label, score)| (self.knn.label_name(label).to_string(), score))
            .collect();
        Scores {
            label: top[0].0.clone(),
            confidence: prediction.confidence,
            top,
        }
    }

    /// Labels a mono recording: each decision window (a tail of the window before keeps its
    /// label), and the file as the mean of its judged non-silent windows' scores (which agrees
    /// better with the windows than one summary of the whole file; see `docs/BENCHMARKS.md`,
    /// command-line labeler).
    pub fn label_mono(&self, samples: &[f32], sample_rate: f32) -> FileLabel {
        let frames = analyze(samples, sample_rate);
        let duration = samples.len() as f64 / f64::from(sample_rate);
        let ranges = window_ranges(frames.len());
        let last = ranges.len() - 1;
        let mut windows: Vec<WindowLabel> = Vec::with_capacity(ranges.len());
        for (i, range) in ranges.into_iter().enumerate() {
            let judged = self.classify_frames_after(
                &frames[range.clone()],
                loudest_before(&frames, range.start),
            );
            // The first window has nothing before it, so it is always judged.
            let held = judged.is_none();
            let scores = judged.unwrap_or_else(|| windows[i - 1].scores.clone());
            windows.push(WindowLabel {
                start_seconds: range.start as f64 * HOP_SECONDS,
                // The last frame may stop short of the end: the last window runs to it.
                end_seconds: if i == last {
                    duration
                } else {
                    range.end as f64 * HOP_SECONDS
                },
                scores,
                held,
            });
        }
        FileLabel {
            scores: combine(windows.iter().filter(|w| !w.held).map(|w| &w.scores)),
            windows,
        }
    }

    pub fn label_audio(&self, audio: &DecodedAudio) -> FileLabel {
        let rate = audio.sample_rate as f32;
        match audio.channels.as_slice() {
            // A mono file needs no mixing, and no copy.
            [mono] => self.label_mono(mono, rate),
            _ => self.label_mono(&audio.to_mono(), rate),
        }
    }

    pub fn label_file(&self, path: &Path) -> Result<FileLabel, DecodeError> {
        decode_file_mono(path).map(|audio| self.label_audio(&audio))
    }
}

/// Successive decision windows covering `frames` frames; a tail shorter than half a window
/// joins the window before it rather than being judged on its own.
fn window_ranges(frames: usize) -> Vec<std::ops::Range<usize>> {
    let per_window = (f64::from(LABEL_WINDOW_SECONDS) / HOP_SECONDS).round() as usize;
    let mut ranges: Vec<std::ops::Range<usize>> = (0..frames)
        .step_by(per_window)
        .map(|start| start..(start + per_window).min(frames))
        .collect();
    if ranges.len() >= 2 && ranges.last().is_some_and(|r| r.len() < per_window / 2) {
        let tail = ranges.pop().expect("two ranges");
        ranges.last_mut().expect("one range").end = tail.end;
    }
    if ranges.is_empty() {
        ranges.push(0..0);
    }
    ranges
}

/// One decision from several (a file's windows): the mean of the non-silent decisions' scores
/// (a label missing from a decision's top list counts as 0 there); silence if every decision is.
pub fn combine<'a>(decisions: impl Iterator<Item = &'a Scores>) -> Scores {
    let sounding: Vec<&Scores> = decisions.filter(|s| !s.is_silence()).collect();
    if sounding.is_empty() {
        return Scores::silence();
    }
    if let [only] = sounding[..] {
        return only.clone();
    }
    let mut totals: Vec<(String, f32)> = Vec::new();
    for scores in &sounding {
        for (label, score) in &scores.top {
            match totals.iter_mut().find(|(l, _)| l == label) {
                Some((_, total)) => *total += score,
                None => totals.push((label.clone(), *score)),
            }
        }
    }
    let n = sounding.len() as f32;
    let mut top: Vec<(String, f32)> = totals.into_iter().map(|(l, t)| (l, t / n)).collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(TOP_LABELS);
    Scores {
        label: top[0].0.clone(),
        confidence: top[0].1,
        top,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(top: &[(&str, f32)]) -> Scores {
        Scores {
            label: top[0].0.into(),
            confidence: top[0].1,
            top: top.iter().map(|&(l, s)| (l.into(), s)).collect(),
        }
    }

    #[test]
    fn windows_cover_every_frame_and_a_short_tail_joins_the_last_window() {
        let per = (f64::from(LABEL_WINDOW_SECONDS) / HOP_SECONDS).round() as usize;
        assert_eq!(window_ranges(0), vec![0..0]);
        assert_eq!(window_ranges(10), vec![0..10]);
        assert_eq!(window_ranges(2 * per + 3), vec![0..per, per..2 * per + 3]);
        assert_eq!(
            window_ranges(2 * per + per / 2 + 1),
            vec![0..per, per..2 * per, 2 * per..2 * per + per / 2 + 1]
        );
    }

    #[test]
    fn the_file_score_is_the_mean_over_sounding_windows() {
        let windows = [
            scores(&[("kick", 0.6), ("snare", 0.4)]),
            Scores::silence(),
            scores(&[("snare", 0.9), ("toms", 0.1)]),
        ];
        let combined = combine(windows.iter());
        assert_eq!(combined.label, "snare");
        assert!((combined.confidence - 0.65).abs() < 1e-6);
        assert_eq!(combined.top[1].0, "kick");
        assert!((combined.top[1].1 - 0.3).abs() < 1e-6);
        assert!(combine([Scores::silence()].iter()).is_silence());
    }

    #[test]
    fn a_decaying_tail_keeps_the_label_before_it_and_does_not_vote() {
        // A 12 s struck note, six partials of 110 Hz dying away at 6 dB per second: from 6 s
        // on, every window is more than 20 dB below the attack.
        let rate = 44_100.0;
        let mut note = vec![0.0f32; 12 * 44_100];
        for partial in 1..=6 {
            let hz = 110.0 * partial as f32;
            for (i, x) in note.iter_mut().enumerate() {
                let t = i as f32 / rate;
                *x += (t * hz * std::f32::consts::TAU).sin() * 0.5 / partial as f32
                    * 10f32.powf(-0.3 * t);
            }
        }
        let labeler = Labeler::load(None).expect("the default set");
        let file = labeler.label_mono(&note, rate);
        let held: Vec<bool> = file.windows.iter().map(|w| w.held).collect();
        assert_eq!(held, [false, false, true, true]);
        for pair in file.windows.windows(2).filter(|pair| pair[1].held) {
            assert_eq!(pair[1].scores, pair[0].scores);
        }
        let judged: Vec<&Scores> = file.windows[..2].iter().map(|w| &w.scores).collect();
        assert_eq!(file.scores, combine(judged.into_iter()));
        // On its own, the last window is judged.
        let frames = analyze(&note, rate);
        let last = &frames[frames.len() - 200..];
        assert!(!labeler.classify_frames(last).is_silence());
    }
}
