//! Everything the audio thread does: mix the block to mono and hand it off in fixed-size chunks.
//! The analysis runs on the labeling service's thread: the 23 ms STFT with its mel bands costs
//! about 3.6 µs per frame, several times what 64 tracks can spend on the audio thread within
//! 1% of one core. No plugin types, so the benchmarks and tests drive exactly what `process()`
//! runs.

use crate::handoff::{AudioChunk, AudioSender, CHUNK_LEN};

/// Audio-thread state, built off the audio thread (in `activate`) and never reallocated.
pub struct AudioTap {
    /// The chunk being filled.
    chunk: AudioChunk,
    audio: AudioSender,
}

impl AudioTap {
    pub fn new(sample_rate: f32, audio: AudioSender) -> Self {
        Self {
            chunk: AudioChunk::new(sample_rate),
            audio,
        }
    }

    /// Drops the partly filled chunk; the stream starts again at sample zero.
    pub fn reset(&mut self) {
        self.chunk.first_sample = 0;
        self.chunk.len = 0;
    }

    /// Takes one block of planar audio without touching it. Real-time safe: copies, and a
    /// `try_send` per [`CHUNK_LEN`] samples.
    pub fn process<C: AsRef<[f32]>>(&mut self, channels: &[C]) {
        let Some(first) = channels.first() else {
            return;
        };
        let len = first.as_ref().len();
        let mut start = 0;
        while start < len {
            let filled = self.chunk.len;
            let take = (CHUNK_LEN - filled).min(len - start);
            mix_to_mono(
                channels,
                start,
                &mut self.chunk.samples[filled..filled + take],
            );
            self.chunk.len += take;
            start += take;
            if self.chunk.len == CHUNK_LEN {
                self.audio.send(&self.chunk);
                self.chunk.first_sample += CHUNK_LEN as u64;
                self.chunk.len = 0;
            }
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
    use crate::handoff::audio_channel;

    #[test]
    fn blocks_of_any_size_arrive_as_consecutive_chunks_of_the_mono_mix() {
        let left: Vec<f32> = (0..30_000).map(|i| (i as f32 * 0.05).sin()).collect();
        let right: Vec<f32> = (0..30_000)
            .map(|i| (i as f32 * 0.011).cos() * 0.3)
            .collect();
        let mono: Vec<f32> = left
            .iter()
            .zip(&right)
            .map(|(l, r)| (l + r) * 0.5)
            .collect();
        let whole_chunks = mono.len() / CHUNK_LEN * CHUNK_LEN;

        for block in [512, 1000, 1, 64] {
            let (tx, rx) = audio_channel(4096);
            let mut tap = AudioTap::new(48_000.0, tx);
            for (l, r) in left.chunks(block).zip(right.chunks(block)) {
                tap.process(&[l, r]);
            }
            let chunks: Vec<AudioChunk> = rx.drain().collect();
            let starts: Vec<u64> = chunks.iter().map(|c| c.first_sample).collect();
            let expected: Vec<u64> = (0..whole_chunks as u64).step_by(CHUNK_LEN).collect();
            assert_eq!(starts, expected, "block {block}");
            assert!(chunks.iter().all(|c| c.sample_rate == 48_000.0));
            let received: Vec<f32> = chunks.iter().flat_map(|c| c.audio().to_vec()).collect();
            assert_eq!(received, mono[..whole_chunks], "block {block}");
        }
    }

    #[test]
    fn reset_starts_the_stream_again_and_mono_passes_unchanged() {
        let (tx, rx) = audio_channel(16);
        let mut tap = AudioTap::new(44_100.0, tx);
        let mono: Vec<f32> = (0..CHUNK_LEN * 3 / 2).map(|i| i as f32).collect();
        tap.process(&[&mono]);
        tap.reset();
        tap.process(&[&mono]);
        let chunks: Vec<AudioChunk> = rx.drain().collect();
        assert_eq!(
            chunks.iter().map(|c| c.first_sample).collect::<Vec<_>>(),
            [0, 0]
        );
        assert!(chunks.iter().all(|c| c.audio() == &mono[..CHUNK_LEN]));
    }
}
