//! `track-labeler`: labels, organises, segments and maps audio files by instrument.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use track_labeler_cli::commands;

#[derive(Parser)]
#[command(
    name = "track-labeler",
    version,
    about = "Labels audio files by instrument"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Label audio files, or every audio file under the given folders.
    Label(commands::label::Args),
    /// Copy or link a library into DEST/<Group>/<label>/, leaving SRC untouched.
    Organize(commands::organize::Args),
    /// Cut a recording at its onsets and label each event (drum transcription to MIDI).
    Segment(commands::segment::Args),
    /// Draw a 2-D map of a library, coloured by label.
    Map(commands::map::Args),
    /// Build a reference set from a folder whose sub-folders are labels.
    Train(commands::train::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Label(args) => commands::label::run(args),
        Command::Organize(args) => commands::organize::run(args),
        Command::Segment(args) => commands::segment::run(args),
        Command::Map(args) => commands::map::run(args),
        Command::Train(args) => commands::train::run(args),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): stop quietly, as other command-line tools do.
        Err(error)
            if error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("track-labeler: {error:#}");
            ExitCode::FAILURE
        }
    }
}
