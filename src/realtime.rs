//! Everything the audio thread does: mix the block to mono, analyse it, hand the frames off.
//! No plugin types, so the benchmark and tests drive exactly what `process()` runs.

use crate::analysis::Analyzer;
use crate::handoff::FrameSender;

/// Audio-thread state, built off the audio thread (in `activate`) and never reallocated.
pub struct RealtimeAnalysis {
    analyzer: Analyzer,
    mono: Vec<f32>,
    frames: FrameSender,
}

impl RealtimeAnalysis {
    /// `max_block` sizes the mono scratch buffer; longer blocks are handled in pieces.
    pub fn new(sample_rate: f32, max_block: usize, frames: FrameSender) -> Self {
        Self {
            analyzer: Analyzer::new(sample_rate),
            mono: vec![0.0; max_block.max(1)],
            frames,
        }
    }

    pub fn reset(&mut self) {
        self.analyzer.reset();
    }

    /// Analyses one block of planar audio without touching it. Real-time safe.
    pub fn process<C: AsRef<[f32]>>(&mut self, channels: &[C]) {
        let Some(first) = channels.first() else {
            return;
        };
        let len = first.as_ref().len();
        let mut start = 0;
        while start < len {
            let end = (start + self.mono.len()).min(len);
            let mono = &mut self.mono[..end - start];
            mix_to_mono(channels, start, mono);
            let frames = &self.frames;
            self.analyzer.process(mono, |frame| frames.send(frame));
            start = end;
        }
    }
}

/// Writes the mean of `channels[..][offset..offset + out.len()]` into `out`.
fn mix_to_mono<C: AsRef<[f32]>>(channels: &[C], offset: usize, out: &mut [f32]) {
    let range = offset..offset + out.len();
    out.copy_from_slice(&channels[0].as_ref()[range.clone()]);
    for channel in &channels[1..] {
        for (o, &x) in out.iter_mut().zip(&channel.as_ref()[range.clone()]) {
            *o += x;
        }
    }
    if channels.len() > 1 {
        let scale = 1.0 / channels.len() as f32;
        out.iter_mut().for_each(|o| *o *= scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::handoff::frame_channel;

    #[test]
    fn stereo_blocks_of_any_size_give_the_offline_frames_of_the_mono_mix() {
        let left: Vec<f32> = (0..30_000).map(|i| (i as f32 * 0.05).sin()).collect();
        let right: Vec<f32> = (0..30_000)
            .map(|i| (i as f32 * 0.011).cos() * 0.3)
            .collect();
        let mono: Vec<f32> = left
            .iter()
            .zip(&right)
            .map(|(l, r)| (l + r) * 0.5)
            .collect();
        let expected = analyze(&mono, 48_000.0);

        for (max_block, block) in [(512, 512), (64, 1000), (4096, 1)] {
            let (tx, rx) = frame_channel(4096);
            let mut live = RealtimeAnalysis::new(48_000.0, max_block, tx);
            for (l, r) in left.chunks(block).zip(right.chunks(block)) {
                live.process(&[l, r]);
            }
            assert_eq!(rx.drain().collect::<Vec<_>>(), expected);
        }
    }
}
