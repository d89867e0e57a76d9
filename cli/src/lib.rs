//! The command-line labeler's library part, shared with the training pipeline: reading audio
//! files of every common format, fitting reference sets, and the subcommands.

pub mod commands;
pub mod decode;
pub mod fit;
