//! The command-line labeler's library part, shared with the training pipeline: reading audio
//! files of every common format, and fitting reference sets.

pub mod decode;
pub mod fit;
