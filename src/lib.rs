//! Track Labeler: a CLAP/VST3 analyzer that listens to a track and labels its instrument.
//!
//! This file only wires the plugin; the audio thread's work lives in [`realtime`], the lock-free
//! hand-off in [`handoff`], analysis (no plugin types) in [`analysis`], labeling off the audio
//! thread in [`service`], and the GUI in [`editor`].

use std::sync::Arc;

use nice_plug::prelude::*;

pub mod analysis;
pub mod decision;
pub mod editor;
pub mod handoff;
pub mod knn;
pub mod labels;
pub mod library;
pub mod map;
pub mod params;
pub mod realtime;
pub mod reference;
pub mod service;
pub mod session;
pub mod summary;
pub mod track_state;

use handoff::{AUDIO_CHANNEL_CAPACITY, AudioSender, audio_channel};
use params::TrackLabelerParams;
use realtime::AudioTap;
use service::{Registration, TrackShared};

pub struct TrackLabeler {
    params: Arc<TrackLabelerParams>,
    audio_sender: AudioSender,
    /// This instance's view in the labeling service (label, status, host track).
    shared: Arc<TrackShared>,
    /// Built in `activate`, where the sample rate and block size are known.
    tap: Option<AudioTap>,
    /// Dropped last: unregisters from the labeling service (the last instance stops it).
    _registration: Registration,
}

impl Default for TrackLabeler {
    fn default() -> Self {
        let (audio_sender, audio_receiver) = audio_channel(AUDIO_CHANNEL_CAPACITY);
        let params = Arc::new(TrackLabelerParams::default());
        let (registration, shared) =
            service::register(audio_receiver, params.track.clone(), params.clone());
        Self {
            params,
            audio_sender,
            shared,
            tap: None,
            _registration: registration,
        }
    }
}

impl Plugin for TrackLabeler {
    const NAME: &'static str = "Track Labeler";
    const VENDOR: &'static str = "Track Labeler";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    type Editor = nice_plug_egui::EguiEditor<editor::EditorApp>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.shared.clone())
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.tap = Some(AudioTap::new(
            buffer_config.sample_rate,
            self.audio_sender.clone(),
        ));
        true
    }

    fn reset(&mut self) {
        if let Some(tap) = &mut self.tap {
            tap.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // The tap only reads the buffer: the audio passes through untouched, bit-exact.
        if let Some(tap) = &mut self.tap {
            tap.process(buffer.as_slice_immutable());
        }
        ProcessStatus::Normal
    }

    fn deactivate(&mut self) {
        self.tap = None;
    }
}

impl ClapPlugin for TrackLabeler {
    const CLAP_ID: &'static str = "app.track-labeler.track-labeler";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Listens to a track and labels its instrument");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::Analyzer,
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for TrackLabeler {
    const VST3_CLASS_ID: [u8; 16] = *b"TrackLabelerAnlz";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Analyzer];
}

nice_export_clap!(TrackLabeler);
nice_export_vst3!(TrackLabeler);
