//! The offline entry point: drives the real-time [`Analyzer`] in blocks, so the CLI, training
//! and tests see exactly the frames the plugin sees.

use std::cell::RefCell;

use super::{Analyzer, FrameConfig, FrameSummary};

/// Block size used offline; any size gives the same frames, this one is just cache friendly.
pub const OFFLINE_BLOCK_SIZE: usize = 512;

/// Sample rates whose analyzer each thread keeps (a library rarely mixes more than three).
const KEPT_ANALYZERS: usize = 4;

thread_local! {
    /// This thread's analyzers by sample rate, most recently used last. Building one (FFT
    /// plan, window, mel filterbank) costs about as much as analysing a short clip, and a reset
    /// analyzer gives the same frames as a new one.
    static ANALYZERS: RefCell<Vec<(u32, Analyzer)>> = const { RefCell::new(Vec::new()) };
}

/// All frames of a mono recording.
pub fn analyze(samples: &[f32], sample_rate: f32) -> Vec<FrameSummary> {
    let config = FrameConfig::for_sample_rate(sample_rate);
    let frame_count = match samples.len().checked_sub(config.frame_len) {
        Some(after_first) => after_first / config.hop_len + 1,
        None => 0,
    };
    let mut frames = Vec::with_capacity(frame_count);
    ANALYZERS.with_borrow_mut(|kept| {
        let key = sample_rate.to_bits();
        let mut analyzer = match kept.iter().position(|(rate, _)| *rate == key) {
            Some(i) => {
                let (_, mut analyzer) = kept.remove(i);
                analyzer.reset();
                analyzer
            }
            None => Analyzer::with_config(sample_rate, config),
        };
        for block in samples.chunks(OFFLINE_BLOCK_SIZE) {
            analyzer.process(block, |frame| frames.push(frame));
        }
        if kept.len() == KEPT_ANALYZERS {
            kept.remove(0);
        }
        kept.push((key, analyzer));
    });
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(samples: &[f32], sample_rate: f32) -> Vec<FrameSummary> {
        let mut analyzer = Analyzer::new(sample_rate);
        let mut frames = Vec::new();
        analyzer.process(samples, |frame| frames.push(frame));
        frames
    }

    #[test]
    fn kept_analyzers_give_the_frames_of_new_ones() {
        let tone = |len: usize, rate: f32| -> Vec<f32> {
            (0..len)
                .map(|i| (std::f32::consts::TAU * 330.0 * i as f32 / rate).sin())
                .collect()
        };
        // More rates than are kept, each revisited after the others, with lengths that leave
        // a partial frame behind in the reused analyzer.
        let rates = [22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0];
        for round in 0..2 {
            for (i, &rate) in rates.iter().enumerate() {
                let samples = tone(5_000 + 777 * i + round, rate);
                let frames = analyze(&samples, rate);
                assert_eq!(frames, fresh(&samples, rate), "{rate} Hz, round {round}");
            }
        }
        assert!(analyze(&[0.5; 10], 44_100.0).is_empty());
    }
}
