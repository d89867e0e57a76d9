//! Opens the real editor over a session of real labelled tracks (committed clips fed through
//! the labeling service), for screenshots and for trying the GUI without a DAW:
//! `cargo run --release --example editor_preview` (`tools/screenshot.sh` runs it under Xvfb).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nice_plug::context::gui::{GuiContext, GuiContextInner};
use nice_plug::editor::EditorHandle;
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorHandle;
use track_labeler::handoff::{AUDIO_CHANNEL_CAPACITY, audio_channel};
use track_labeler::params::TrackLabelerParams;
use track_labeler::realtime::AudioTap;
use track_labeler::service;

/// Track name, committed clip, and how often it repeats; the first track gets the editor.
const TRACKS: [(&str, &str, f32); 7] = [
    ("Piano", "piano__tonejs_piano_C4.wav", 1.5),
    ("Drum loop", "drum_kit__loop_amen.wav", 1.5),
    ("Cello", "strings__tonejs_cello_C3.wav", 1.5),
    ("Flute", "woodwinds__tonejs_flute_C5.wav", 1.5),
    ("Trumpet", "brass__tonejs_trumpet_C6.wav", 1.5),
    (
        "Acoustic",
        "acoustic_guitar__tonejs_guitar_acoustic_A3.wav",
        1.5,
    ),
    ("Hats", "cymbals__drum_cymbal_closed.wav", 0.25),
];
const SECONDS: f32 = 8.0;

/// No host behind the preview: parameter gestures are accepted and dropped.
struct PreviewContext;

impl GuiContextInner for PreviewContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Standalone
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, _param: ParamPtr, _normalized: f32) {}
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

fn phrase(file: &str, every: f32) -> (Vec<f32>, f32) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/clips")
        .join(file);
    let mut reader = hound::WavReader::open(&path).expect("committed clip");
    let rate = reader.spec().sample_rate as f32;
    let full_scale = (1u32 << (reader.spec().bits_per_sample - 1)) as f32;
    let clip: Vec<f32> = reader
        .samples::<i32>()
        .map(|s| s.expect("sample") as f32 / full_scale)
        .collect();
    let step = clip.len().max((rate * every) as usize);
    let mut out = vec![0.0f32; (rate * SECONDS) as usize];
    for start in (0..out.len()).step_by(step) {
        for (o, &x) in out[start..].iter_mut().zip(&clip) {
            *o += x;
        }
    }
    (out, rate)
}

fn main() {
    let mut session = Vec::new();
    for (name, file, every) in TRACKS {
        let (audio_out, audio_in) = audio_channel(AUDIO_CHANNEL_CAPACITY);
        let params = Arc::new(TrackLabelerParams::default());
        params.track.update(|s| s.name = name.to_owned());
        let (registration, shared) =
            service::register(audio_in, params.track.clone(), params.clone());
        let (audio, rate) = phrase(file, every);
        let mut tap = AudioTap::new(rate, audio_out);
        for second in audio.chunks(rate as usize) {
            tap.process(&[second]);
            std::thread::sleep(Duration::from_millis(20));
        }
        session.push((registration, params, shared, tap));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && session
            .iter()
            .any(|(_, _, shared, _)| shared.live().frames < 600)
    {
        std::thread::sleep(Duration::from_millis(50));
    }

    let (_, params, shared, _) = &session[0];
    let editor =
        track_labeler::editor::create(params.clone(), shared.clone()).expect("the editor is built");
    // SAFETY: this is a standalone process, not a plugin inside a host.
    unsafe { editor.assume_standalone_in_process() };
    let spawned = editor
        .spawn(
            None,
            false,
            None,
            GuiContext::new(Arc::new(PreviewContext)),
            None,
        )
        .expect("the editor window opens");
    EguiEditorHandle::run_until_closed(spawned.window).expect("the editor runs");
}
