//! The parsers of saved data never panic: the track state (from any JSON a project file can
//! hold) and the reference set file (from random and mutated bytes) are read or rejected.
//!
//! proptest shrinks a failing case and records it in `tests/fuzz_state.proptest-regressions`.

use std::sync::OnceLock;

use nice_plug::params::persist::PersistentField;
use proptest::prelude::*;
use serde_json::Value;
use track_labeler::knn::Knn;
use track_labeler::reference::ReferenceSet;
use track_labeler::summary::SUMMARY_DIMS;
use track_labeler::track_state::{
    LabelDecision, LabelScore, PersistedTrack, TaughtExample, TrackState,
};

/// Any JSON value, nested a few levels, with keys the track state uses among random ones.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(
            &[
                "version",
                "label",
                "pinned",
                "name",
                "reference_set",
                "taught",
                "confidence",
                "top",
                "score",
                "summary",
                "summary_version",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9 ]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A state with every field filled, as JSON text.
fn full_state_text() -> String {
    let state = TrackState {
        label: Some(LabelDecision {
            label: "piano".into(),
            confidence: 0.75,
            top: vec![LabelScore {
                label: "piano".into(),
                score: 0.75,
            }],
        }),
        pinned: Some("organ".into()),
        name: "Keys".into(),
        reference_set: Some("/tmp/set.tlref".into()),
        taught: vec![TaughtExample {
            label: "piano".into(),
            summary_version: 1,
            summary: vec![0.5, -1.0, 3.25],
        }],
        ..TrackState::default()
    };
    serde_json::to_string(&state).unwrap()
}

fn reference_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| ReferenceSet::default_set().to_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever JSON a state holds, loading it gives a state that saves and reloads unchanged.
    #[test]
    fn any_json_loads_as_a_track_state_that_round_trips(value in json()) {
        if let Ok(state) = TrackState::from_value(value.clone()) {
            let again = TrackState::from_value(serde_json::to_value(&state).unwrap());
            prop_assert_eq!(again.as_ref(), Ok(&state));
        }
        let field = PersistedTrack::default();
        field.set(value);
        let saved = field.map(|v| v.clone());
        prop_assert!(TrackState::from_value(saved).is_ok());
    }

    /// A saved state with bytes changed or cut: it parses or is rejected, and a field set from
    /// it still saves a readable state.
    #[test]
    fn mutated_state_text_is_read_or_rejected(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = full_state_text().into_bytes();
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            let field = PersistedTrack::default();
            field.set(value);
            prop_assert!(TrackState::from_value(field.map(|v| v.clone())).is_ok());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A reference set file with bytes changed, cut or inserted is loaded or rejected.
    #[test]
    fn mutated_reference_sets_load_or_fail_cleanly(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        inserted in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = reference_bytes().to_vec();
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        let at = cut.index(bytes.len() + 1);
        bytes.splice(at..at, inserted);
        // A set that loads is used: classifying with it must not panic either.
        if let Ok(set) = ReferenceSet::from_bytes(&bytes) {
            let knn = Knn::new(set);
            let prediction = knn.classify(&vec![0.0; SUMMARY_DIMS]);
            prop_assert!(prediction.label < knn.labels().len());
        }
    }

    #[test]
    fn random_bytes_are_not_a_reference_set(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(ReferenceSet::from_bytes(&bytes).is_err());
    }
}
