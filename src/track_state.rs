//! What a plugin instance saves with the project: the shown label, the user's pin, the track's
//! name and the examples the user taught. Versioned JSON inside nice-plug's state; a state this
//! version cannot read loads as defaults with a warning, never a panic.

use std::sync::{Arc, RwLock};

use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};

/// Bumped whenever [`TrackState`]'s layout changes incompatibly.
pub const TRACK_STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackState {
    pub version: u32,
    /// The label shown for the track, `None` until the first decision.
    pub label: Option<LabelDecision>,
    /// A label the user chose by hand; it is shown whatever the classifier hears.
    pub pinned: Option<String>,
    /// The name the user typed, used where the host does not name the track.
    pub name: String,
    /// A reference set file to use instead of the built-in one.
    pub reference_set: Option<String>,
    /// Examples taught in this project ("this track is ...").
    pub taught: Vec<TaughtExample>,
}

impl Default for TrackState {
    fn default() -> Self {
        Self {
            version: TRACK_STATE_VERSION,
            label: None,
            pinned: None,
            name: String::new(),
            reference_set: None,
            taught: Vec::new(),
        }
    }
}

/// A label with its confidence and the runners-up, as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelDecision {
    pub label: String,
    pub confidence: f32,
    pub top: Vec<LabelScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelScore {
    pub label: String,
    pub score: f32,
}

/// A clip summary the user said is `label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaughtExample {
    pub label: String,
    /// The summary schema the vector was made with; others are ignored.
    pub summary_version: u32,
    pub summary: Vec<f32>,
}

/// Why a saved state was not used.
#[derive(Debug, PartialEq)]
pub enum TrackStateError {
    NoVersion,
    Newer(u64),
    Malformed(String),
}

impl std::fmt::Display for TrackStateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoVersion => write!(f, "the saved track state has no version"),
            Self::Newer(version) => write!(
                f,
                "the saved track state is version {version}, newer than this Track Labeler \
                 reads ({TRACK_STATE_VERSION})"
            ),
            Self::Malformed(reason) => write!(f, "the saved track state is malformed: {reason}"),
        }
    }
}

impl TrackState {
    pub fn from_value(value: serde_json::Value) -> Result<Self, TrackStateError> {
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or(TrackStateError::NoVersion)?;
        if version > u64::from(TRACK_STATE_VERSION) {
            return Err(TrackStateError::Newer(version));
        }
        serde_json::from_value(value).map_err(|e| TrackStateError::Malformed(e.to_string()))
    }
}

/// The persisted field: shared by the plugin, the labeling service (which writes the label) and
/// the editor. Stored as a JSON value so that whatever a state holds, nice-plug hands it to
/// [`TrackState::from_value`], which decides. Clones share one state.
#[derive(Debug, Default, Clone)]
pub struct PersistedTrack(Arc<RwLock<TrackState>>);

impl PersistedTrack {
    pub fn read<R>(&self, f: impl FnOnce(&TrackState) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn update<R>(&self, f: impl FnOnce(&mut TrackState) -> R) -> R {
        f(&mut self.0.write().unwrap_or_else(|e| e.into_inner()))
    }
}

impl PersistentField<'_, serde_json::Value> for PersistedTrack {
    fn set(&self, new_value: serde_json::Value) {
        let state = TrackState::from_value(new_value).unwrap_or_else(|error| {
            nice_plug::nice_warn!("{error}; starting from defaults");
            TrackState::default()
        });
        self.update(|current| *current = state);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&serde_json::Value) -> R,
    {
        let value = self
            .read(|state| serde_json::to_value(state))
            .expect("a TrackState always serialises");
        f(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled() -> TrackState {
        TrackState {
            label: Some(LabelDecision {
                label: "snare".into(),
                confidence: 0.8,
                top: vec![LabelScore {
                    label: "snare".into(),
                    score: 0.8,
                }],
            }),
            pinned: Some("toms".into()),
            name: "Snare top".into(),
            taught: vec![TaughtExample {
                label: "snare".into(),
                summary_version: 2,
                summary: vec![0.5, -1.25],
            }],
            ..TrackState::default()
        }
    }

    #[test]
    fn a_state_round_trips_through_the_persisted_field() {
        let field = PersistedTrack::default();
        field.update(|s| *s = labelled());
        let saved = field.map(|v| v.clone());
        let reloaded = PersistedTrack::default();
        reloaded.set(saved.clone());
        assert_eq!(reloaded.read(|s| s.clone()), labelled());
        assert_eq!(
            reloaded.map(|v| serde_json::to_vec(v).unwrap()),
            serde_json::to_vec(&saved).unwrap()
        );
    }

    #[test]
    fn unreadable_states_load_as_defaults() {
        let field = PersistedTrack::default();
        for bad in [
            serde_json::json!(null),
            serde_json::json!("random"),
            serde_json::json!({"label": "snare"}),
            serde_json::json!({"version": TRACK_STATE_VERSION + 1, "name": "future"}),
            serde_json::json!({"version": 1, "name": 7}),
        ] {
            field.update(|s| *s = labelled());
            field.set(bad);
            assert_eq!(field.read(|s| s.clone()), TrackState::default());
        }
    }

    #[test]
    fn newer_versions_are_named_in_the_error() {
        let error = TrackState::from_value(serde_json::json!({"version": 99})).unwrap_err();
        assert_eq!(error, TrackStateError::Newer(99));
        assert!(error.to_string().contains("99"));
    }
}
