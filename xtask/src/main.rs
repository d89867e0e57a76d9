mod corpus;
mod dataset;
mod embedding_data;
mod features;
mod generated;
mod hit_sequences;
mod learned;
mod render;
mod stems;
mod train;
mod training_only;
mod wav;

// The training pipeline's seeded generator lives with the augmentation in the CLI crate.
use track_labeler_cli::rng;

fn main() -> nice_plug_xtask::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("corpus") => corpus::run(args),
        Some("train") => train::train(args),
        Some("evaluate") => train::evaluate(args),
        Some("embedding-data") => embedding_data::run(),
        // `bundle` and friends: nice-plug-xtask parses the full command line itself.
        _ => nice_plug_xtask::main(),
    }
}
