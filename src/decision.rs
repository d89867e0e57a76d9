//! Turns a stream of raw KNN decisions into a label that does not flicker: scores are smoothed
//! over recent decisions, and a new label replaces the shown one only when it leads it clearly
//! for several decisions in a row.

use crate::knn::Prediction;

/// Weight of the newest decision in the smoothed scores.
const SMOOTHING: f32 = 0.4;
/// How far a challenger's smoothed score must lead the shown label's. Small, because votes
/// spread over many neighbours rarely give one label a large share; the consecutive-lead rule
/// below is what stops flicker.
const LEAD_MARGIN: f32 = 0.03;
/// Consecutive decisions a challenger must lead for before it is shown.
const LEAD_DECISIONS: u32 = 3;
/// Below this smoothed score the shown label is marked uncertain.
pub const UNCERTAIN_BELOW: f32 = 0.5;

#[derive(Debug, Clone)]
pub struct LabelSmoother {
    scores: Vec<f32>,
    shown: Option<usize>,
    challenger: Option<(usize, u32)>,
}

impl LabelSmoother {
    pub fn new(labels: usize) -> Self {
        Self {
            scores: vec![0.0; labels],
            shown: None,
            challenger: None,
        }
    }

    /// Takes one decision; returns the label to show.
    pub fn update(&mut self, prediction: &Prediction) -> usize {
        for score in &mut self.scores {
            *score *= 1.0 - SMOOTHING;
        }
        for &(label, score) in &prediction.top {
            self.scores[label] += SMOOTHING * score;
        }
        let leader = self.ranked()[0].0;
        let shown = match self.shown {
            None => leader,
            Some(shown) if leader == shown => {
                self.challenger = None;
                shown
            }
            Some(shown) => {
                if self.scores[leader] < self.scores[shown] + LEAD_MARGIN {
                    self.challenger = None;
                    shown
                } else {
                    let streak = match self.challenger {
                        Some((label, streak)) if label == leader => streak + 1,
                        _ => 1,
                    };
                    self.challenger = Some((leader, streak));
                    if streak >= LEAD_DECISIONS {
                        leader
                    } else {
                        shown
                    }
                }
            }
        };
        if Some(shown) != self.shown {
            self.challenger = None;
        }
        self.shown = Some(shown);
        shown
    }

    /// The smoothed score of `label`, 0 to 1.
    pub fn score(&self, label: usize) -> f32 {
        self.scores[label].clamp(0.0, 1.0)
    }

    /// Up to three labels by smoothed score, best first.
    pub fn top(&self) -> Vec<(usize, f32)> {
        let mut ranked = self.ranked();
        ranked.retain(|&(_, s)| s > 0.0);
        ranked.truncate(3);
        ranked
    }

    fn ranked(&self) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> = self.scores.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(label: usize, confidence: f32, other: usize) -> Prediction {
        Prediction {
            label,
            confidence,
            top: vec![(label, confidence), (other, 1.0 - confidence)],
        }
    }

    #[test]
    fn the_first_decision_is_shown_at_once() {
        let mut smoother = LabelSmoother::new(4);
        assert_eq!(smoother.update(&decision(2, 0.7, 1)), 2);
    }

    #[test]
    fn a_single_stray_decision_does_not_flip_the_label() {
        let mut smoother = LabelSmoother::new(4);
        for _ in 0..5 {
            smoother.update(&decision(0, 0.8, 1));
        }
        assert_eq!(smoother.update(&decision(1, 0.9, 0)), 0);
        assert_eq!(smoother.update(&decision(0, 0.8, 1)), 0);
        // Alternating decisions never build a streak.
        for i in 0..20 {
            let shown = smoother.update(&decision(i % 2, 0.6, 1 - i % 2));
            assert_eq!(shown, 0);
        }
    }

    #[test]
    fn a_consistent_new_label_takes_over_within_a_few_decisions() {
        let mut smoother = LabelSmoother::new(4);
        for _ in 0..10 {
            smoother.update(&decision(0, 0.9, 1));
        }
        let switched_after = (1..=10)
            .find(|_| smoother.update(&decision(3, 0.9, 0)) == 3)
            .expect("switches");
        assert!((3..=6).contains(&switched_after), "{switched_after}");
        assert!(smoother.score(3) > UNCERTAIN_BELOW);
        assert_eq!(smoother.top()[0].0, 3);
    }
}
