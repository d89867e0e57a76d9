//! The plugin's parameters and persisted state.

use nice_plug::prelude::*;

/// Nothing to automate yet: the analyzer runs with fixed, sample-rate-scaled frames.
#[derive(Params, Default)]
pub struct TrackLabelerParams {}
