//! `track-labeler train DIR --out my.set`: builds a reference set from a folder whose
//! sub-folders are labels, the same way the default set is built (decision windows, augmented
//! variations, LDA + KNN), and reports its cross-validated accuracy.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use rayon::prelude::*;

use crate::batch::{default_jobs, progress_bar, thread_pool};
use crate::commands::label::exit_code;
use crate::fit::{FitOptions, LabelledSummary, fit_reference_set};
use crate::labeling::{Labeler, SILENCE, combine};
use crate::training::{TrainingSummary, file_training_summaries};
use crate::walk::{Found, audio_files};

/// Cross-validation folds at most: up to this many files it is leave-one-file-out; beyond, the
/// files are dealt into this many folds so that training stays quick.
const MAX_FOLDS: usize = 50;
/// Neighbours per decision at most (the default set's setting).
const MAX_K: usize = 50;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "DIR holds one sub-folder per label, named after it, with that label's \
audio files (searched recursively). Labels may be any names, not only the built-in classes.

Example:
  my-sounds/
    808/        clap_01.wav  clap_02.wav ...
    shaker/     take1.flac ...
    vocals/     ...
  track-labeler train my-sounds --out my.set
  track-labeler label --model my.set new-sounds/"
)]
pub struct Args {
    /// A folder whose sub-folders are named after labels and hold their audio files.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Where to write the reference set.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Neighbours consulted per decision [default: from the number of examples, at most 50].
    #[arg(long, value_name = "K")]
    pub k: Option<NonZeroUsize>,
    /// Files summarised at once [default: every core].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
}

/// A readable training file: its label and its summaries.
struct TrainingFile {
    path: PathBuf,
    label: usize,
    summaries: Vec<TrainingSummary>,
}

/// The label folders of `dir` (sorted by name) and the audio files under each.
fn label_folders(dir: &Path) -> anyhow::Result<Vec<(String, Found)>> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if name == SILENCE {
            bail!(
                "\"{SILENCE}\" is reserved for silent files: rename {}",
                path.display()
            );
        }
        folders.push((name, audio_files(&[path])));
    }
    folders.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(folders)
}

/// The default rule for `k`: a third of the smallest label's examples, 3 to [`MAX_K`], so a
/// small label can still hold a majority around its own examples.
fn default_k(files: &[TrainingFile], labels: usize) -> usize {
    let mut per_label = vec![0usize; labels];
    for file in files {
        per_label[file.label] += file.summaries.len();
    }
    let smallest = per_label.into_iter().min().unwrap_or(0);
    (smallest / 3).clamp(3, MAX_K)
}

fn labelled(files: &[&TrainingFile]) -> Vec<LabelledSummary> {
    files
        .iter()
        .enumerate()
        .flat_map(|(origin, file)| {
            file.summaries.iter().map(move |s| LabelledSummary {
                label: file.label,
                origin,
                summary: s.summary.clone(),
            })
        })
        .collect()
}

/// Cross-validation over files: each fold's files are labelled (from their windows as
/// recorded, combined as `label` does) by a set fitted on every other file. Returns the number
/// of folds and, per file, the label it was given (`None` for silence).
fn cross_validate(
    labels: &[String],
    files: &[TrainingFile],
    options: &FitOptions,
    pool: &rayon::ThreadPool,
) -> (usize, Vec<Option<usize>>) {
    let folds = files.len().min(MAX_FOLDS);
    let bar = progress_bar(folds);
    let mut guesses = vec![None; files.len()];
    let results: Vec<(usize, Option<usize>)> = pool.install(|| {
        (0..folds)
            .into_par_iter()
            .flat_map_iter(|fold| {
                let train: Vec<&TrainingFile> = files
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds != fold)
                    .map(|(_, f)| f)
                    .collect();
                let labeler = Labeler::new(fit_reference_set(
                    labels.to_vec(),
                    &labelled(&train),
                    options,
                    String::new(),
                ));
                bar.inc(1);
                files
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds == fold)
                    .map(|(i, file)| {
                        let windows: Vec<_> = file
                            .summaries
                            .iter()
                            .filter(|s| s.variant == 0)
                            .map(|s| labeler.classify_summary(&s.summary))
                            .collect();
                        let predicted = combine(windows.iter()).label;
                        (i, labels.iter().position(|l| *l == predicted))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    bar.finish_and_clear();
    for (i, guess) in results {
        guesses[i] = guess;
    }
    (folds, guesses)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let folders = label_folders(&args.dir)?;
    let labels: Vec<String> = folders.iter().map(|(name, _)| name.clone()).collect();
    if labels.len() < 2 {
        bail!(
            "{} needs at least two sub-folders, one per label, with audio files in them",
            args.dir.display()
        );
    }
    let pool = thread_pool(args.jobs.unwrap_or_else(default_jobs))?;

    let mut failed = 0usize;
    let jobs: Vec<(usize, PathBuf)> = folders
        .into_iter()
        .enumerate()
        .flat_map(|(label, (_, found))| {
            for error in &found.errors {
                eprintln!("skipped: {}", error.message);
            }
            failed += found.errors.len();
            found.files.into_iter().map(move |path| (label, path))
        })
        .collect();
    eprintln!("Summarising {} files...", jobs.len());
    let bar = progress_bar(jobs.len());
    let summarised: Vec<_> = pool.install(|| {
        jobs.par_iter()
            .map(|(label, path)| {
                let result = file_training_summaries(path);
                bar.inc(1);
                (*label, path, result)
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut files = Vec::new();
    for (label, path, result) in summarised {
        match result {
            Ok(summaries) if summaries.is_empty() => {
                eprintln!("skipped: \"{}\" is silent", path.display());
            }
            Ok(summaries) => files.push(TrainingFile {
                path: path.clone(),
                label,
                summaries,
            }),
            Err(error) => {
                eprintln!("skipped: {error}");
                failed += 1;
            }
        }
    }
    let mut per_label = vec![0usize; labels.len()];
    for file in &files {
        per_label[file.label] += 1;
    }
    if let Some(empty) = per_label.iter().position(|&n| n == 0) {
        bail!(
            "no usable audio files for the label \"{}\" in {}",
            labels[empty],
            args.dir.join(&labels[empty]).display()
        );
    }

    let k = args
        .k
        .map_or_else(|| default_k(&files, labels.len()), NonZeroUsize::get);
    let options = FitOptions::tuned(k);
    let examples = labelled(&files.iter().collect::<Vec<_>>());
    let provenance = format!(
        "user set: {} files in {} labels from {}, built by track-labeler train",
        files.len(),
        labels.len(),
        args.dir.display()
    );
    let set = fit_reference_set(labels.clone(), &examples, &options, provenance);
    let bytes = set.to_bytes();
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "Wrote {}: {} labels, {} files, {} examples (k = {k}), {} bytes",
        args.out.display(),
        labels.len(),
        files.len(),
        set.examples(),
        bytes.len()
    );

    report_accuracy(&labels, &files, &options, &pool);
    Ok(exit_code(failed))
}

/// Prints the cross-validated accuracy, overall and per label, and the files it got wrong.
fn report_accuracy(
    labels: &[String],
    files: &[TrainingFile],
    options: &FitOptions,
    pool: &rayon::ThreadPool,
) {
    if files.len() < 2 {
        return;
    }
    let (folds, guesses) = cross_validate(labels, files, options, pool);
    let method = if folds == files.len() {
        "leave-one-out".to_string()
    } else {
        format!("{folds}-fold cross-validation")
    };
    let right = |(file, guess): &(&TrainingFile, &Option<usize>)| **guess == Some(file.label);
    let outcomes: Vec<(&TrainingFile, &Option<usize>)> = files.iter().zip(&guesses).collect();
    let correct = outcomes.iter().filter(|o| right(o)).count();
    println!(
        "Accuracy ({method} over files): {:.1}% ({correct} of {})",
        100.0 * correct as f64 / files.len() as f64,
        files.len()
    );
    let width = labels.iter().map(String::len).max().unwrap_or(0);
    for (index, label) in labels.iter().enumerate() {
        let of_label: Vec<_> = outcomes.iter().filter(|o| o.0.label == index).collect();
        let hits = of_label.iter().filter(|o| right(o)).count();
        println!(
            "  {label:<width$}  {:>5.1}%  ({hits} of {})",
            100.0 * hits as f64 / of_label.len() as f64,
            of_label.len()
        );
    }
    for (file, guess) in outcomes.iter().filter(|o| !right(o)) {
        println!(
            "  mislabelled: {} ({}, labelled {})",
            file.path.display(),
            labels[file.label],
            guess.map_or(SILENCE, |g| labels[g].as_str())
        );
    }
}
