//! The session view's model: every Track Labeler instance in the process, grouped by label
//! group, as text for the clipboard and as JSON for scripting a DAW.

use serde::Serialize;

use crate::labels::{Class, Group};
use crate::service::{self, Activity};

/// Tracks whose label is not one of the sixteen classes (or not decided yet).
pub const UNLABELLED: &str = "Unlabelled";
const UNLABELLED_COLOUR: [u8; 3] = [0x80, 0x80, 0x80];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionTrack {
    pub name: String,
    /// Class id, or `None` before the first decision.
    pub label: Option<String>,
    pub group: &'static str,
    /// `#rrggbb` of the label (grey when unlabelled).
    pub colour: String,
    pub confidence: f32,
    #[serde(skip)]
    pub uncertain: bool,
    #[serde(skip)]
    pub idle: bool,
}

impl SessionTrack {
    pub fn new(name: String, label: Option<String>, confidence: f32) -> Self {
        let class = label.as_deref().and_then(Class::from_id);
        let [r, g, b] = class.map_or(UNLABELLED_COLOUR, Class::colour);
        Self {
            name,
            group: class.map_or(UNLABELLED, |c| c.group().name()),
            colour: format!("#{r:02x}{g:02x}{b:02x}"),
            label,
            confidence,
            uncertain: false,
            idle: false,
        }
    }

    pub fn rgb(&self) -> [u8; 3] {
        self.label
            .as_deref()
            .and_then(Class::from_id)
            .map_or(UNLABELLED_COLOUR, Class::colour)
    }
}

/// Every instance of this process, in the order they were created.
pub fn tracks() -> Vec<SessionTrack> {
    service::session()
        .iter()
        .map(|shared| {
            let decision = shared.track.read(|s| s.label.clone());
            let live = shared.live();
            let mut track = SessionTrack::new(
                shared.display_name(),
                decision.as_ref().map(|d| d.label.clone()),
                decision.as_ref().map_or(0.0, |d| d.confidence),
            );
            track.uncertain = live.uncertain;
            track.idle = live.activity != Activity::Listening;
            track
        })
        .collect()
}

/// Tracks by group, in the fixed group order with the unlabelled last; empty groups left out.
pub fn grouped(tracks: &[SessionTrack]) -> Vec<(&'static str, Vec<&SessionTrack>)> {
    Group::ALL
        .iter()
        .map(|g| g.name())
        .chain([UNLABELLED])
        .map(|group| {
            (
                group,
                tracks
                    .iter()
                    .filter(|t| t.group == group)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, members)| !members.is_empty())
        .collect()
}

/// The grouping as plain text, one group heading per block.
pub fn as_text(tracks: &[SessionTrack]) -> String {
    let mut text = String::new();
    for (group, members) in grouped(tracks) {
        text.push_str(group);
        text.push('\n');
        for track in members {
            let label = track.label.as_deref().unwrap_or("-");
            let percent = (track.confidence * 100.0).round();
            text.push_str(&format!("  {}\t{label}\t{percent}%\n", track.name));
        }
    }
    text
}

/// `{"tracks": [{"name", "label", "group", "colour", "confidence"}, ...]}`, grouped order.
pub fn as_json(tracks: &[SessionTrack]) -> String {
    #[derive(Serialize)]
    struct Export<'a> {
        tracks: Vec<&'a SessionTrack>,
    }
    let tracks = grouped(tracks).into_iter().flat_map(|(_, m)| m).collect();
    serde_json::to_string_pretty(&Export { tracks }).expect("session rows serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Vec<SessionTrack> {
        vec![
            SessionTrack::new("Vox".into(), Some("vocals".into()), 0.9),
            SessionTrack::new("Kick In".into(), Some("kick".into()), 0.8),
            SessionTrack::new("FX".into(), None, 0.0),
            SessionTrack::new("Snare".into(), Some("snare".into()), 0.7),
        ]
    }

    #[test]
    fn tracks_are_grouped_in_group_order_with_unlabelled_last() {
        let tracks = session();
        let groups: Vec<(&str, Vec<&str>)> = grouped(&tracks)
            .into_iter()
            .map(|(g, m)| (g, m.iter().map(|t| t.name.as_str()).collect()))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("Drums", vec!["Kick In", "Snare"]),
                ("Vocals", vec!["Vox"]),
                (UNLABELLED, vec!["FX"]),
            ]
        );
        assert!(as_text(&tracks).starts_with("Drums\n  Kick In\tkick\t80%\n"));
    }

    #[test]
    fn json_export_carries_name_label_group_and_hex_colour() {
        let json: serde_json::Value = serde_json::from_str(&as_json(&session())).unwrap();
        let first = &json["tracks"][0];
        assert_eq!(first["name"], "Kick In");
        assert_eq!(first["label"], "kick");
        assert_eq!(first["group"], "Drums");
        assert_eq!(first["colour"], Class::Kick.colour_hex());
        assert_eq!(json["tracks"][3]["label"], serde_json::Value::Null);
        assert_eq!(json["tracks"][3]["colour"], "#808080");
    }
}
