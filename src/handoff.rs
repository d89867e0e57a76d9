//! The lock-free hand-off of frame summaries from the audio thread to the labeling side.
//!
//! A bounded crossbeam channel: the audio thread only ever calls `try_send`, and the consumer
//! only polls with `try_recv`. Because no consumer ever sleeps in `recv`, a send never has to
//! wake anyone, so it takes no lock and makes no syscall.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::analysis::FrameSummary;

/// Frames buffered between two drains: about 24 s of audio at the default hop (under 0.5 MB),
/// so an offline bounce hundreds of times faster than real time loses nothing between polls.
pub const FRAME_CHANNEL_CAPACITY: usize = 2048;

/// A new channel; both ends share one dropped-frame counter.
pub fn frame_channel(capacity: usize) -> (FrameSender, FrameReceiver) {
    let (tx, rx) = crossbeam_channel::bounded(capacity);
    let dropped = Arc::new(AtomicU64::new(0));
    (
        FrameSender {
            tx,
            dropped: dropped.clone(),
        },
        FrameReceiver { rx, dropped },
    )
}

/// The audio thread's end.
#[derive(Clone)]
pub struct FrameSender {
    tx: Sender<FrameSummary>,
    dropped: Arc<AtomicU64>,
}

impl FrameSender {
    /// Sends without waiting; a full channel (or one nobody reads) drops the frame and counts it.
    pub fn send(&self, frame: FrameSummary) {
        match self.tx.try_send(frame) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The consumer's end, polled from a non-real-time thread.
pub struct FrameReceiver {
    rx: Receiver<FrameSummary>,
    dropped: Arc<AtomicU64>,
}

impl FrameReceiver {
    /// Every frame waiting right now, without blocking.
    pub fn drain(&self) -> impl Iterator<Item = FrameSummary> + '_ {
        self.rx.try_iter()
    }

    /// Frames the audio thread had to drop since the channel was made.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_channel_drops_and_counts_instead_of_blocking() {
        let (tx, rx) = frame_channel(4);
        for i in 0..10 {
            tx.send(FrameSummary {
                time_seconds: f64::from(i),
                ..Default::default()
            });
        }
        let times: Vec<f64> = rx.drain().map(|f| f.time_seconds).collect();
        assert_eq!(times, [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(rx.dropped(), 6);
        assert_eq!(rx.drain().count(), 0);
    }

    #[test]
    fn sending_with_nobody_listening_counts_as_dropped() {
        let (tx, rx) = frame_channel(4);
        let dropped = rx.dropped.clone();
        drop(rx);
        tx.send(FrameSummary::default());
        assert_eq!(dropped.load(Ordering::Relaxed), 1);
    }
}
