//! Audio analysis with no plugin types in it: the same code runs in the plugin's labeling
//! service, in the CLI, in training and in the tests, so every path sees exactly the same frames.

mod analyzer;
mod frame_config;
mod mel;
mod offline;
mod power_spectrum;
mod spectral;

pub use analyzer::{Analyzer, FrameSummary};
pub use frame_config::{FrameConfig, HOP_SECONDS, WINDOW_SECONDS};
pub use mel::{MEL_BANDS, MEL_MAX_HZ, MFCC_COUNT, mfcc};
pub use offline::{OFFLINE_BLOCK_SIZE, analyze};
pub use spectral::{HARMONIC_RATIOS, LowPeak, SpectralShape};
