//! The offline entry point: drives the real-time [`Analyzer`] in blocks, so the CLI, training
//! and tests see exactly the frames the plugin sees.

use super::{Analyzer, FrameSummary};

/// Block size used offline; any size gives the same frames, this one is just cache friendly.
pub const OFFLINE_BLOCK_SIZE: usize = 512;

/// All frames of a mono recording.
pub fn analyze(samples: &[f32], sample_rate: f32) -> Vec<FrameSummary> {
    let mut analyzer = Analyzer::new(sample_rate);
    let mut frames = Vec::new();
    for block in samples.chunks(OFFLINE_BLOCK_SIZE) {
        analyzer.process(block, |frame| frames.push(frame));
    }
    frames
}
