//! `track-labeler map`: a 2-D picture of a library, one dot per file coloured by its label.
//!
//! Each file is placed by the summary of the whole file, taken into the default reference set's
//! space (standardised, then its LDA projection: the space the labeler decides in), and laid
//! out flat by PCA, or by t-SNE with `--tsne`. Its colour is the label `track-labeler label`
//! gives it (the mean over its 3-second decision windows).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;
use track_labeler::analysis::analyze;
use track_labeler::knn::Knn;
use track_labeler::labels::Class;
use track_labeler::reference::ReferenceSet;
use track_labeler::summary::summarize;

use crate::decode::decode_file;
use crate::embedding::{MIN_TSNE_POINTS, pca, tsne};
use crate::labeling::Labeler;
use crate::map_plot::{ImageFormat, MapChart, MapPoint, draw_map};
use crate::walk::audio_files;

#[derive(clap::Args)]
pub struct Args {
    /// Audio files, or folders searched recursively for audio files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The picture to write: a .png or .svg file.
    #[arg(long, value_name = "MAP.png|MAP.svg")]
    pub out: PathBuf,
    /// Lay the files out with t-SNE (keeps neighbourhoods, not distances) instead of PCA.
    #[arg(long)]
    pub tsne: bool,
}

/// A file's place in the reference set's space and its label; `None` when it is silent.
fn locate(path: &Path, knn: &Knn, labeler: &Labeler) -> Result<Option<(Vec<f32>, Class)>, String> {
    let audio = decode_file(path).map_err(|e| e.to_string())?;
    let mono = audio.to_mono();
    let rate = audio.sample_rate as f32;
    let Some(summary) = summarize(&analyze(&mono, rate)) else {
        return Ok(None);
    };
    let label = labeler.label_mono(&mono, rate).scores.label;
    let class = Class::from_id(&label)
        .ok_or_else(|| format!("\"{}\": unknown label {label}", path.display()))?;
    Ok(Some((knn.project(&summary), class)))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    ImageFormat::from_path(&args.out)?;
    let found = audio_files(&args.paths);
    let mut problems: Vec<String> = found.errors.into_iter().map(|e| e.message).collect();

    let set = ReferenceSet::default_set();
    let knn = Knn::new(set.clone());
    let labeler = Labeler::new(set);
    let located: Vec<_> = found
        .files
        .par_iter()
        .map(|path| (path, locate(path, &knn, &labeler)))
        .collect();

    let mut points = Vec::new();
    let mut placed = Vec::new();
    for (path, result) in located {
        match result {
            Ok(Some((point, class))) => {
                let name = path.file_stem().unwrap_or_default().to_string_lossy();
                placed.push(MapPoint {
                    position: [0.0; 2],
                    class,
                    name: name.into_owned(),
                });
                points.push(point);
            }
            Ok(None) => eprintln!("\"{}\" is silent: not on the map", path.display()),
            Err(message) => problems.push(message),
        }
    }
    for problem in &problems {
        eprintln!("track-labeler: {problem}");
    }
    anyhow::ensure!(!points.is_empty(), "no audio to map");

    let principal = pca(&points);
    let use_tsne = args.tsne && points.len() >= MIN_TSNE_POINTS;
    if args.tsne && !use_tsne {
        eprintln!("t-SNE needs at least {MIN_TSNE_POINTS} files: drawing PCA instead");
    }
    let (positions, axis_titles) = if use_tsne {
        (
            tsne(&points, &principal.coordinates),
            ["t-SNE 1".to_string(), "t-SNE 2".to_string()],
        )
    } else {
        let title = |k: usize| {
            format!(
                "PC {} ({:.0}% of variance)",
                k + 1,
                100.0 * principal.explained[k]
            )
        };
        (principal.coordinates, [title(0), title(1)])
    };
    for (point, position) in placed.iter_mut().zip(positions) {
        point.position = position;
    }
    let method = if use_tsne { "t-SNE" } else { "PCA" };
    let title = format!(
        "{} files by sound ({method} of the labeler's feature space)",
        placed.len()
    );
    draw_map(
        &args.out,
        &MapChart {
            title: &title,
            axis_titles: [&axis_titles[0], &axis_titles[1]],
            points: &placed,
        },
    )?;
    eprintln!(
        "mapped {} files to \"{}\"{}",
        placed.len(),
        args.out.display(),
        if problems.is_empty() {
            String::new()
        } else {
            format!("; {} could not be read", problems.len())
        }
    );
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
