//! The command-line labeler's library part, shared with the training pipeline: reading audio
//! files of every common format, labelling files, training summaries with augmentation, fitting
//! reference sets, and the subcommands.

pub mod augment;
pub mod batch;
pub mod commands;
pub mod decode;
pub mod embedder;
pub mod embedding;
pub mod fit;
pub mod labeling;
pub mod map_plot;
pub mod midi;
pub mod onset;
pub mod records;
pub mod rng;
pub mod training;
pub mod walk;
