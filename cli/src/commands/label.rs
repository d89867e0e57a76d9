//! `track-labeler label PATH...`: labels audio files and prints a table, JSON Lines or CSV.

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::batch::{Outcome, default_jobs, label_files};
use crate::labeling::{Labeler, Scores};
use crate::records::{Record, rounded};
use crate::walk::{Found, audio_files};

/// Options every labelling command shares.
#[derive(clap::Args, Debug)]
pub struct LabelerArgs {
    /// A reference set made by `track-labeler train`, instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Files labelled at once [default: every core].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
}

impl LabelerArgs {
    pub fn labeler(&self) -> anyhow::Result<Labeler> {
        Labeler::load(self.model.as_deref())
    }

    pub fn jobs(&self) -> NonZeroUsize {
        self.jobs.unwrap_or_else(default_jobs)
    }
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  track-labeler label kick.wav loops/
  track-labeler label --json ~/Samples > labels.jsonl
  track-labeler label --timeline --csv stems/vocals.flac
  track-labeler label --model my.set --jobs 2 recordings/")]
pub struct Args {
    /// Audio files, and folders searched recursively for audio files (symlinks followed).
    /// Formats: WAV, AIFF, FLAC, MP3 and Ogg Vorbis.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print JSON Lines: one object per file.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print comma-separated values with a header row.
    #[arg(long)]
    pub csv: bool,
    /// Also label every 3-second window of each file, with its start and end times (for long
    /// files such as stems).
    #[arg(long)]
    pub timeline: bool,
    #[command(flatten)]
    pub labeler: LabelerArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let labeler = args.labeler.labeler()?;
    let Found { files, errors } = audio_files(&args.paths);
    let mut failed = errors.len();
    let mut labelled = 0usize;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut format: Box<dyn Format> = if args.json {
        Box::new(JsonLines)
    } else if args.csv {
        Box::new(Csv)
    } else {
        Box::new(Table::new(&files, &errors, &labeler))
    };
    format.header(&mut out, args.timeline)?;
    // Paths that could not be walked take their place in path order among the files.
    let mut unwalkable = errors
        .into_iter()
        .map(|error| Outcome {
            path: error.path,
            result: Err(error.message),
        })
        .collect::<Vec<_>>();
    unwalkable.sort_by(|a, b| b.path.cmp(&a.path));
    label_files(&labeler, &files, args.labeler.jobs(), |outcome| {
        while unwalkable.last().is_some_and(|u| u.path < outcome.path) {
            let error = unwalkable.pop().expect("checked");
            format.outcome(&mut out, &error, args.timeline)?;
        }
        match outcome.result {
            Ok(_) => labelled += 1,
            Err(_) => failed += 1,
        }
        format.outcome(&mut out, &outcome, args.timeline)?;
        // Streaming output: a consumer sees each chunk as soon as it is labelled.
        out.flush().context("writing the output")
    })?;
    for error in unwalkable.iter().rev() {
        format.outcome(&mut out, error, args.timeline)?;
    }
    out.flush().context("writing the output")?;
    report_counts(labelled, failed);
    Ok(exit_code(failed))
}

/// Prints how many files were labelled and how many could not be read (to stderr).
pub fn report_counts(labelled: usize, failed: usize) {
    if failed > 0 {
        eprintln!("{labelled} files labelled, {failed} could not be read");
    } else if labelled == 0 {
        eprintln!("no audio files found");
    }
}

/// 1 if any file failed, 0 otherwise.
pub fn exit_code(failed: usize) -> ExitCode {
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// An output format.
trait Format {
    fn header(&mut self, out: &mut dyn Write, timeline: bool) -> anyhow::Result<()>;
    fn outcome(
        &mut self,
        out: &mut dyn Write,
        outcome: &Outcome,
        timeline: bool,
    ) -> anyhow::Result<()>;
}

struct JsonLines;

impl Format for JsonLines {
    fn header(&mut self, _out: &mut dyn Write, _timeline: bool) -> anyhow::Result<()> {
        Ok(())
    }

    fn outcome(
        &mut self,
        out: &mut dyn Write,
        outcome: &Outcome,
        timeline: bool,
    ) -> anyhow::Result<()> {
        writeln!(out, "{}", Record::new(outcome, timeline).to_json())?;
        Ok(())
    }
}

/// `kick 0.93, toms 0.04` (with 2 decimals).
fn top_text(scores: &Scores, separator: &str, decimals: usize) -> String {
    scores
        .top
        .iter()
        .map(|(label, score)| format!("{label} {score:.decimals$}"))
        .collect::<Vec<_>>()
        .join(separator)
}

/// RFC 4180 quoting where needed.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per file (`path,label,confidence,top,error`); with a timeline, columns `start` and
/// `end` follow the path, and each file's row (empty start and end) is followed by one row per
/// window.
struct Csv;

impl Csv {
    fn row(out: &mut dyn Write, fields: &[&str]) -> anyhow::Result<()> {
        let fields: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", fields.join(","))?;
        Ok(())
    }
}

impl Format for Csv {
    fn header(&mut self, out: &mut dyn Write, timeline: bool) -> anyhow::Result<()> {
        if timeline {
            Csv::row(
                out,
                &[
                    "path",
                    "start",
                    "end",
                    "label",
                    "confidence",
                    "top",
                    "error",
                ],
            )
        } else {
            Csv::row(out, &["path", "label", "confidence", "top", "error"])
        }
    }

    fn outcome(
        &mut self,
        out: &mut dyn Write,
        outcome: &Outcome,
        timeline: bool,
    ) -> anyhow::Result<()> {
        let path = outcome.path.to_string_lossy();
        let times = |start: &str, end: &str| -> Vec<String> {
            if timeline {
                vec![start.to_string(), end.to_string()]
            } else {
                Vec::new()
            }
        };
        let row = |times: Vec<String>, scores: &Scores, error: &str| -> Vec<String> {
            let mut row = vec![path.to_string()];
            row.extend(times);
            row.extend([
                scores.label.clone(),
                format!("{:.4}", rounded(scores.confidence)),
                top_text(scores, ";", 4),
                error.to_string(),
            ]);
            row
        };
        let rows: Vec<Vec<String>> = match &outcome.result {
            Err(error) => {
                let mut row = vec![path.to_string()];
                row.extend(times("", ""));
                row.extend(["".into(), "".into(), "".into(), error.clone()]);
                vec![row]
            }
            Ok(file) => {
                let mut rows = vec![row(times("", ""), &file.scores, "")];
                if timeline {
                    rows.extend(file.windows.iter().map(|w| {
                        let start = format!("{:.3}", w.start_seconds);
                        let end = format!("{:.3}", w.end_seconds);
                        row(times(&start, &end), &w.scores, "")
                    }));
                }
                rows
            }
        };
        for row in rows {
            Csv::row(out, &row.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        Ok(())
    }
}

/// Aligned columns for people: PATH, LABEL, CONFIDENCE, TOP. Windows of a timeline are
/// indented rows under their file; a file that could not be read shows `error` and why.
struct Table {
    path_width: usize,
    label_width: usize,
}

const TABLE_GAP: &str = "  ";

impl Table {
    fn new(files: &[PathBuf], errors: &[crate::walk::WalkError], labeler: &Labeler) -> Self {
        let width = |p: &Path| p.to_string_lossy().chars().count();
        let path_width = files
            .iter()
            .map(|p| width(p))
            .chain(errors.iter().map(|e| width(&e.path)))
            .chain(["PATH".len(), "  000.000-000.000 s".len()])
            .max()
            .unwrap_or(0);
        let label_width = labeler
            .label_names()
            .iter()
            .map(|l| l.chars().count())
            .chain(["LABEL".len(), "silence".len(), "error".len()])
            .max()
            .unwrap_or(0);
        Self {
            path_width,
            label_width,
        }
    }

    fn row(
        &self,
        out: &mut dyn Write,
        first: &str,
        label: &str,
        confidence: &str,
        last: &str,
    ) -> anyhow::Result<()> {
        let line = format!(
            "{first:<pw$}{TABLE_GAP}{label:<lw$}{TABLE_GAP}{confidence:<10}{TABLE_GAP}{last}",
            pw = self.path_width,
            lw = self.label_width
        );
        writeln!(out, "{}", line.trim_end())?;
        Ok(())
    }

    fn scores_row(&self, out: &mut dyn Write, first: &str, scores: &Scores) -> anyhow::Result<()> {
        let confidence = format!("{:.2}", scores.confidence);
        self.row(
            out,
            first,
            &scores.label,
            &confidence,
            &top_text(scores, ", ", 2),
        )
    }
}

impl Format for Table {
    fn header(&mut self, out: &mut dyn Write, _timeline: bool) -> anyhow::Result<()> {
        self.row(out, "PATH", "LABEL", "CONFIDENCE", "TOP")
    }

    fn outcome(
        &mut self,
        out: &mut dyn Write,
        outcome: &Outcome,
        timeline: bool,
    ) -> anyhow::Result<()> {
        let path = outcome.path.to_string_lossy();
        match &outcome.result {
            Err(error) => self.row(out, &path, "error", "", error),
            Ok(file) => {
                self.scores_row(out, &path, &file.scores)?;
                if timeline {
                    for window in &file.windows {
                        let held = if window.held { " (tail)" } else { "" };
                        let span = format!(
                            "  {:.3}-{:.3} s{held}",
                            window.start_seconds, window.end_seconds
                        );
                        self.scores_row(out, &span, &window.scores)?;
                    }
                }
                Ok(())
            }
        }
    }
}
