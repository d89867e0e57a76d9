//! Track Labeler: a CLAP/VST3 analyzer that listens to a track and labels its instrument.
//!
//! This file only wires the plugin; the analysis lives in [`analysis`] (no plugin types), the
//! audio thread's work in [`realtime`] and the lock-free hand-off in [`handoff`].

use std::sync::Arc;

use nice_plug::prelude::*;

pub mod analysis;
pub mod handoff;
pub mod knn;
pub mod labels;
mod params;
pub mod realtime;
pub mod reference;
pub mod summary;

use handoff::{FRAME_CHANNEL_CAPACITY, FrameReceiver, FrameSender, frame_channel};
use params::TrackLabelerParams;
use realtime::RealtimeAnalysis;

pub struct TrackLabeler {
    params: Arc<TrackLabelerParams>,
    frame_sender: FrameSender,
    /// Read by the labeling side; kept here so the channel lives as long as the instance.
    #[allow(dead_code)]
    frame_receiver: FrameReceiver,
    /// Built in `activate`, where the sample rate and block size are known.
    realtime: Option<RealtimeAnalysis>,
}

impl Default for TrackLabeler {
    fn default() -> Self {
        let (frame_sender, frame_receiver) = frame_channel(FRAME_CHANNEL_CAPACITY);
        Self {
            params: Arc::new(TrackLabelerParams::default()),
            frame_sender,
            frame_receiver,
            realtime: None,
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

    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.realtime = Some(RealtimeAnalysis::new(
            buffer_config.sample_rate,
            buffer_config.max_buffer_size as usize,
            self.frame_sender.clone(),
        ));
        true
    }

    fn reset(&mut self) {
        if let Some(realtime) = &mut self.realtime {
            realtime.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Analysis only reads the buffer: the audio passes through untouched, bit-exact.
        if let Some(realtime) = &mut self.realtime {
            realtime.process(buffer.as_slice_immutable());
        }
        ProcessStatus::Normal
    }

    fn deactivate(&mut self) {
        self.realtime = None;
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
