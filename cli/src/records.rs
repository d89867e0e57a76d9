//! The per-file record of `label --json` and `organize`'s `labels.json`:
//! `{"path", "label", "confidence", "top": [{"label", "score"}]}`, or `{"path", "error"}` for a
//! file that could not be read, and with `--timeline` a `"timeline"` of per-window decisions.

use serde::Serialize;

use crate::batch::Outcome;
use crate::labeling::{Scores, WindowLabel};

#[derive(Debug, Serialize)]
pub struct TopEntry {
    pub label: String,
    pub score: f32,
}

#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    pub start: f64,
    pub end: f64,
    pub label: String,
    pub confidence: f32,
    /// The window is a tail of the sound before it and repeats its decision (written only
    /// when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Record {
    Labelled {
        path: String,
        label: String,
        confidence: f32,
        top: Vec<TopEntry>,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeline: Option<Vec<TimelineEntry>>,
    },
    Failed {
        path: String,
        error: String,
    },
}

/// Scores rounded to 4 decimals: finer digits are noise, and they bloat the output.
pub fn rounded(score: f32) -> f32 {
    (score * 1e4).round() / 1e4
}

/// Times rounded to the millisecond.
fn rounded_seconds(seconds: f64) -> f64 {
    (seconds * 1e3).round() / 1e3
}

impl Record {
    pub fn new(outcome: &Outcome, with_timeline: bool) -> Self {
        let path = outcome.path.to_string_lossy().into_owned();
        match &outcome.result {
            Err(error) => Record::Failed {
                path,
                error: error.clone(),
            },
            Ok(file) => Record::Labelled {
                path,
                label: file.scores.label.clone(),
                confidence: rounded(file.scores.confidence),
                top: top_entries(&file.scores),
                timeline: with_timeline.then(|| file.windows.iter().map(timeline_entry).collect()),
            },
        }
    }

    /// One line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records always serialise")
    }
}

fn top_entries(scores: &Scores) -> Vec<TopEntry> {
    scores
        .top
        .iter()
        .map(|(label, score)| TopEntry {
            label: label.clone(),
            score: rounded(*score),
        })
        .collect()
}

fn timeline_entry(window: &WindowLabel) -> TimelineEntry {
    TimelineEntry {
        start: rounded_seconds(window.start_seconds),
        end: rounded_seconds(window.end_seconds),
        label: window.scores.label.clone(),
        confidence: rounded(window.scores.confidence),
        held: window.held,
    }
}
