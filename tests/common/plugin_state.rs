//! Saving and loading a plugin instance's state through the CLAP state extension, and reading
//! the label the labeling service wrote into it.

use std::time::{Duration, Instant};

use clack_extensions::state::PluginState;

use super::Instance;

pub fn save(instance: &mut Instance) -> Vec<u8> {
    let handle = instance.instance.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    let mut bytes = Vec::new();
    state.save(&handle, &mut bytes).expect("state saves");
    bytes
}

/// Whether the plugin accepted `bytes`.
pub fn load(instance: &mut Instance, bytes: &[u8]) -> bool {
    let handle = instance.instance.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    state.load(&handle, &mut &bytes[..]).is_ok()
}

/// nice-plug's CLAP state: a little-endian u64 length, then JSON.
pub fn state_json(bytes: &[u8]) -> serde_json::Value {
    let (length, json) = bytes.split_at(8);
    assert_eq!(
        u64::from_le_bytes(length.try_into().unwrap()),
        json.len() as u64
    );
    serde_json::from_slice(json).expect("state is JSON")
}

pub fn state_bytes(state: &serde_json::Value) -> Vec<u8> {
    let json = serde_json::to_vec(state).unwrap();
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend(json);
    bytes
}

/// The track state inside nice-plug's state JSON (persisted fields are stored as JSON text).
pub fn track_state(bytes: &[u8]) -> serde_json::Value {
    let state = state_json(bytes);
    match &state["fields"]["track"] {
        serde_json::Value::String(text) => serde_json::from_str(text).expect("track JSON"),
        other => other.clone(),
    }
}

pub fn saved_label(instance: &mut Instance) -> Option<String> {
    track_state(&save(instance))["label"]["label"]
        .as_str()
        .map(str::to_owned)
}

/// Waits for the labeling service to drain what was processed and settle on a label.
pub fn settled_label(instance: &mut Instance) -> Option<String> {
    settled_labels(std::slice::from_mut(instance)).remove(0)
}

/// [`settled_label`] for many instances at once: waits until every label is set and unchanged
/// since the previous look (or 30 s have passed).
pub fn settled_labels(instances: &mut [Instance]) -> Vec<Option<String>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut previous = Vec::new();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let labels: Vec<Option<String>> = instances.iter_mut().map(saved_label).collect();
        let settled = labels.iter().all(Option::is_some) && labels == previous;
        if settled || Instant::now() > deadline {
            return labels;
        }
        previous = labels;
    }
}
