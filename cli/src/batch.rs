//! Working through many files on a pool of threads, in a fixed order, with a progress bar on
//! stderr when stderr is a terminal.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::labeling::{FileLabel, Labeler};

/// Files handed to the pool at a time: results are delivered in order after each chunk, so
/// output streams on large libraries while the pool stays busy.
const CHUNK_FILES: usize = 256;

/// The `--jobs` default: every core.
pub fn default_jobs() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// A pool of `jobs` threads, local to this run.
pub fn thread_pool(jobs: NonZeroUsize) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.get())
        .build()
        .context("starting the worker threads")
}

/// A progress bar over `len` items, drawn only when stderr is a terminal.
pub fn progress_bar(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {elapsed} elapsed, {eta} left")
            .expect("a valid template"),
    );
    bar
}

/// What became of one file: its labels, or why it could not be read.
#[derive(Debug)]
pub struct Outcome {
    pub path: PathBuf,
    pub result: Result<FileLabel, String>,
}

/// Labels `files` on `jobs` threads and hands each outcome to `deliver` in the order of
/// `files`.
pub fn label_files(
    labeler: &Labeler,
    files: &[PathBuf],
    jobs: NonZeroUsize,
    mut deliver: impl FnMut(Outcome) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let pool = thread_pool(jobs)?;
    let bar = progress_bar(files.len());
    for chunk in files.chunks(CHUNK_FILES) {
        let outcomes: Vec<Outcome> = pool.install(|| {
            chunk
                .par_iter()
                .map(|path| {
                    let result = labeler.label_file(path).map_err(|e| e.to_string());
                    bar.inc(1);
                    Outcome {
                        path: path.clone(),
                        result,
                    }
                })
                .collect()
        });
        // Printing below the bar would tear it: hide it while results are written.
        bar.suspend(|| outcomes.into_iter().try_for_each(&mut deliver))?;
    }
    bar.finish_and_clear();
    Ok(())
}
