//! The lock-free hand-off of audio from the audio thread to the labeling service.
//!
//! The audio thread only mixes to mono and fills fixed-size [`AudioChunk`]s; the service runs
//! the analyzer on them. A bounded crossbeam channel carries the chunks: the audio thread only
//! ever calls `try_send`, and the consumer only polls with `try_recv`. Because no consumer ever
//! sleeps in `recv`, a send never has to wake anyone, so it takes no lock and makes no syscall.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// Samples per chunk: 5.3 ms at 48 kHz, so one `try_send` per four 64-sample blocks.
pub const CHUNK_LEN: usize = 256;

/// Chunks buffered between two drains: 5.5 s of audio at 48 kHz in about 1 MiB, so an offline
/// bounce a hundred times faster than real time loses nothing between polls.
pub const AUDIO_CHANNEL_CAPACITY: usize = 1024;

/// A piece of one track's mono mix: `Copy`, no heap, so it crosses the channel by value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioChunk {
    pub sample_rate: f32,
    /// Where `samples[0]` sits in the stream since the plugin was activated or reset. A chunk
    /// that does not continue the previous one (a reset, or chunks dropped in between) starts
    /// the analysis afresh.
    pub first_sample: u64,
    /// How many of `samples` are audio; [`CHUNK_LEN`] except in tests.
    pub len: usize,
    pub samples: [f32; CHUNK_LEN],
}

impl AudioChunk {
    pub fn new(sample_rate: f32) -> Self {
        Self {
            sample_rate,
            first_sample: 0,
            len: 0,
            samples: [0.0; CHUNK_LEN],
        }
    }

    pub fn audio(&self) -> &[f32] {
        &self.samples[..self.len.min(CHUNK_LEN)]
    }
}

/// A new channel; both ends share one dropped-chunk counter.
pub fn audio_channel(capacity: usize) -> (AudioSender, AudioReceiver) {
    let (tx, rx) = crossbeam_channel::bounded(capacity);
    let dropped = Arc::new(AtomicU64::new(0));
    (
        AudioSender {
            tx,
            dropped: dropped.clone(),
        },
        AudioReceiver { rx, dropped },
    )
}

/// The audio thread's end.
#[derive(Clone)]
pub struct AudioSender {
    tx: Sender<AudioChunk>,
    dropped: Arc<AtomicU64>,
}

impl AudioSender {
    /// Sends without waiting; a full channel (or one nobody reads) drops the chunk and counts it.
    pub fn send(&self, chunk: &AudioChunk) {
        match self.tx.try_send(*chunk) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The consumer's end, polled from a non-real-time thread.
pub struct AudioReceiver {
    rx: Receiver<AudioChunk>,
    dropped: Arc<AtomicU64>,
}

impl AudioReceiver {
    /// Every chunk waiting right now, without blocking.
    pub fn drain(&self) -> impl Iterator<Item = AudioChunk> + '_ {
        self.rx.try_iter()
    }

    /// Chunks the audio thread had to drop since the channel was made.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(first_sample: u64) -> AudioChunk {
        AudioChunk {
            first_sample,
            ..AudioChunk::new(48_000.0)
        }
    }

    #[test]
    fn a_full_channel_drops_and_counts_instead_of_blocking() {
        let (tx, rx) = audio_channel(4);
        for i in 0..10 {
            tx.send(&chunk(i));
        }
        let starts: Vec<u64> = rx.drain().map(|c| c.first_sample).collect();
        assert_eq!(starts, [0, 1, 2, 3]);
        assert_eq!(rx.dropped(), 6);
        assert_eq!(rx.drain().count(), 0);
    }

    #[test]
    fn sending_with_nobody_listening_counts_as_dropped() {
        let (tx, rx) = audio_channel(4);
        let dropped = rx.dropped.clone();
        drop(rx);
        tx.send(&chunk(0));
        assert_eq!(dropped.load(Ordering::Relaxed), 1);
    }
}
