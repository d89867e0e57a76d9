//! The plugin's parameters and persisted state.

use std::sync::Arc;

use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;

use crate::track_state::PersistedTrack;

#[derive(Params)]
pub struct TrackLabelerParams {
    /// Audio quieter than this is silence: it neither feeds nor changes the label.
    #[id = "gate"]
    pub gate_dbfs: FloatParam,
    /// How much recent audio one decision looks at.
    #[id = "window"]
    pub window_seconds: FloatParam,
    /// Keeps the shown label while the audio goes on (for a solo, a fill, a bleed).
    #[id = "hold"]
    pub hold: BoolParam,

    /// The editor's size (nice-plug-egui keeps it for the session, not in the project).
    pub editor_state: Arc<EguiEditorState>,
    /// The label, pin, name and taught examples, saved with the project.
    #[persist = "track"]
    pub track: PersistedTrack,
}

impl Default for TrackLabelerParams {
    fn default() -> Self {
        Self {
            gate_dbfs: FloatParam::new(
                "Gate",
                -60.0,
                FloatRange::Linear {
                    min: -90.0,
                    max: -20.0,
                },
            )
            .with_unit(" dBFS")
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            window_seconds: FloatParam::new(
                "Window",
                crate::summary::LABEL_WINDOW_SECONDS,
                FloatRange::Linear {
                    min: 1.0,
                    max: 10.0,
                },
            )
            .with_unit(" s")
            .with_step_size(0.5)
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            hold: BoolParam::new("Hold", false),
            editor_state: crate::editor::default_state(),
            track: PersistedTrack::default(),
        }
    }
}
