//! `track-labeler segment`: cuts a recording at its onsets, labels each event as a drum hit and
//! can write the hits as a General MIDI drum track.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use track_labeler::analysis::analyze;
use track_labeler::labels::Class;
use track_labeler::reference::ReferenceSet;

use crate::decode::decode_file;
use crate::labeling::Labeler;
use crate::midi::{DrumHit, drum_midi_bytes, gm_drum_note, velocity_from_dbfs};
use crate::onset::{ONSET_HOP, detect_onsets};

/// What an event can be labelled: the single drum hits.
pub const DRUM_HIT_CLASSES: [Class; 5] = [
    Class::Kick,
    Class::Snare,
    Class::Toms,
    Class::Cymbals,
    Class::Percussion,
];
/// An event is labelled from its onset to the next one, but from no more than this much audio.
pub const MAX_EVENT_SECONDS: f64 = 0.5;

/// An event's sound starts where it first reaches this fraction of its peak (-20 dB).
const ATTACK_LEVEL: f32 = 0.1;

#[derive(clap::Args)]
pub struct Args {
    /// The recording: WAV, AIFF, FLAC, MP3 or Ogg Vorbis.
    pub file: PathBuf,
    /// Also write the hits as a General MIDI drum track to this Standard MIDI File.
    #[arg(long, value_name = "OUT.mid")]
    pub midi: Option<PathBuf>,
    /// Print one JSON object per event instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One labelled event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Where the hit's sound starts: its first sample at -20 dB of its peak, from at most two
    /// hops before librosa's onset time (which marks the end of the first analysis window that
    /// shows the hit, typically 5 to 30 ms after the attack).
    pub time_seconds: f64,
    pub class: Class,
    pub confidence: f32,
    /// From the event's sample peak.
    pub velocity: u8,
}

impl Event {
    /// General MIDI drum-map note of the event's class.
    pub fn note(&self) -> u8 {
        gm_drum_note(self.class).expect("events are drum hits")
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let audio = decode_file(&args.file)?;
    let labeler = Labeler::new(drum_hit_set(ReferenceSet::default_set())?);
    let events = segment(&audio.to_mono(), audio.sample_rate as f32, &labeler);

    let mut out = std::io::stdout().lock();
    if args.json {
        for event in &events {
            let line = json!({
                "time": round_to(event.time_seconds, 4),
                "label": event.class.id(),
                "confidence": round_to(f64::from(event.confidence), 3),
                "velocity": event.velocity,
            });
            writeln!(out, "{line}")?;
        }
    } else {
        writeln!(
            out,
            "{:>9}  {:<11}{:>10}  {:>8}  {:>4}",
            "time (s)", "label", "confidence", "velocity", "note"
        )?;
        for event in &events {
            writeln!(
                out,
                "{:>9.3}  {:<11}{:>10.2}  {:>8}  {:>4}",
                event.time_seconds,
                event.class.id(),
                event.confidence,
                event.velocity,
                event.note()
            )?;
        }
    }
    if events.is_empty() {
        eprintln!("no drum hits found in \"{}\"", args.file.display());
    }

    if let Some(path) = &args.midi {
        let hits: Vec<DrumHit> = events
            .iter()
            .map(|event| DrumHit {
                time_seconds: event.time_seconds,
                note: event.note(),
                velocity: event.velocity,
            })
            .collect();
        std::fs::write(path, drum_midi_bytes(&hits))
            .with_context(|| format!("writing the MIDI file \"{}\"", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The events of a mono recording, labelled among [`DRUM_HIT_CLASSES`]; silent events (no
/// frame above the silence threshold) are left out.
pub fn segment(samples: &[f32], sample_rate: f32, labeler: &Labeler) -> Vec<Event> {
    let onsets = detect_onsets(samples, sample_rate);
    let rate = f64::from(sample_rate);
    let longest = (MAX_EVENT_SECONDS * rate) as usize;
    let starts: Vec<usize> = onsets
        .iter()
        .map(|onset| (onset.start_frame * ONSET_HOP).min(samples.len()))
        .collect();
    starts
        .iter()
        .enumerate()
        .filter_map(|(i, &start)| {
            // Cut points only move forward in time, except at very low sample rates, where a
            // backtracked cut can fall before the previous one: that event is then empty.
            let next = starts.get(i + 1).copied().unwrap_or(samples.len());
            let audio = &samples[start..next.clamp(start, start + longest)];
            let peak = audio.iter().fold(0.0f32, |peak, x| peak.max(x.abs()));
            // Labelled from the attack on, like the trimmed one-shots of the reference set:
            // frames that straddle silence and the attack move the summary a long way.
            let attack = audio
                .iter()
                .position(|x| x.abs() >= ATTACK_LEVEL * peak)
                .unwrap_or(0);
            let audio = &audio[attack..];
            let scores = labeler.classify_frames(&analyze(audio, sample_rate));
            let class = Class::from_id(&scores.label)?;
            let peak_dbfs = 20.0 * peak.log10();
            Some(Event {
                time_seconds: (start + attack) as f64 / rate,
                class,
                confidence: scores.confidence,
                velocity: velocity_from_dbfs(peak_dbfs),
            })
        })
        .collect()
}

/// `set` with only its drum-hit examples, so every decision is one of [`DRUM_HIT_CLASSES`]
/// (label indices and the projection stay as they are).
pub fn drum_hit_set(mut set: ReferenceSet) -> anyhow::Result<ReferenceSet> {
    let is_drum_hit: Vec<bool> = set
        .labels
        .iter()
        .map(|label| Class::from_id(label).is_some_and(|c| DRUM_HIT_CLASSES.contains(&c)))
        .collect();
    let dims = set.projected_dims;
    let (points, labels): (Vec<&[f32]>, Vec<u16>) = set
        .points
        .chunks_exact(dims)
        .zip(&set.example_labels)
        .filter(|&(_, &label)| is_drum_hit[usize::from(label)])
        .map(|(point, &label)| (point, label))
        .unzip();
    anyhow::ensure!(
        !labels.is_empty(),
        "the reference set has no drum-hit examples (kick, snare, toms, cymbals, percussion)"
    );
    set.points = points.concat();
    set.example_labels = labels;
    Ok(set)
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}
