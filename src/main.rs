//! The plugin in a window of its own, for trying the editor without a DAW and for screenshots:
//! `cargo run --release --features standalone --bin track-labeler-standalone`.

use nice_plug::prelude::*;
use track_labeler::TrackLabeler;

fn main() {
    nice_export_standalone::<TrackLabeler>();
}
