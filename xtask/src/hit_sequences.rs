//! One drum played again and again, and a lone hit after silence: what a kick, snare or hi-hat
//! track shows the plugin's decision window, and what one-shot recordings alone do not (a kick
//! every half second was taken for a drum kit or a bass, a hit after silence for another class).
//! Every drum one-shot of the corpus (kick, snare, toms, cymbals, percussion) is sequenced into
//! one clip under `corpus/rendered/hit-sequences/`, with an `index.json`. A clip keeps its
//! one-shot's class, source and group, so a kit stays on one side of every split; the clips
//! train only, tests stay the recordings as they are.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use track_labeler::labels::Class;
use track_labeler_cli::decode::decode_file;

use crate::dataset::{ClipRef, resample_linear};
use crate::rng::{Rng, fnv1a};
use crate::training_only::{Entry, Index};
use crate::wav::write_mono16;

const DIR: &str = "rendered/hit-sequences";
const RATE: u32 = 44_100;
/// Bump to sequence again (it seeds every clip).
const VERSION: &str = "hit-sequences/v1";
/// Longer recordings are loops or rolls already, not one-shots.
const MAX_ONE_SHOT_SECONDS: f64 = 2.5;
/// Share of clips that repeat the hit; the others hold one hit after some silence.
const REPEAT_SHARE: f64 = 0.7;

fn is_drum(class: Class) -> bool {
    matches!(
        class,
        Class::Kick | Class::Snare | Class::Toms | Class::Cymbals | Class::Percussion
    )
}

/// The sequenced clips of the drum one-shots among `clips`, sequencing what is not on disk yet.
pub fn hit_sequences(corpus: &Path, clips: &[ClipRef]) -> Result<Vec<ClipRef>> {
    let out_dir = corpus.join(DIR);
    let one_shots: Vec<&ClipRef> = clips
        .iter()
        .filter(|c| is_drum(c.class) && !c.training_only)
        .collect();
    let inputs: Vec<PathBuf> = one_shots.iter().map(|c| c.path.clone()).collect();
    let index = match Index::read(&out_dir, VERSION, &inputs) {
        Some(index) => index,
        None => sequence(&out_dir, &one_shots, inputs)?,
    };
    Ok(index.clips(&out_dir))
}

fn sequence(out_dir: &Path, one_shots: &[&ClipRef], inputs: Vec<PathBuf>) -> Result<Index> {
    eprintln!("Sequencing {} drum one-shots...", one_shots.len());
    if out_dir.exists() {
        fs::remove_dir_all(out_dir).with_context(|| format!("clearing {}", out_dir.display()))?;
    }
    let entries: Vec<Entry> = one_shots
        .par_iter()
        .enumerate()
        .map(|(i, clip)| -> Result<Option<Entry>> {
            let Ok(audio) = decode_file(&clip.path) else {
                return Ok(None);
            };
            let hit = resample_linear(&audio.to_mono(), audio.sample_rate, RATE);
            if hit.is_empty() || hit.len() as f64 > MAX_ONE_SHOT_SECONDS * f64::from(RATE) {
                return Ok(None);
            }
            let seed = fnv1a(format!("{VERSION}/{}", clip.path.display()).as_bytes());
            let (kind, samples) = sequence_one(&hit, clip.class, seed);
            let stem = clip.path.file_stem().map_or_else(String::new, |s| {
                s.to_string_lossy()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect()
            });
            let path = format!("{}/{i:05}-{kind}-{stem}.wav", clip.source);
            let file = out_dir.join(&path);
            fs::create_dir_all(file.parent().expect("a file in a folder"))?;
            write_mono16(&file, &samples, RATE)?;
            Ok(Some(Entry {
                path,
                class: clip.class.id().to_string(),
                source: clip.source.clone(),
                group: clip.group.clone(),
                kind: kind.to_string(),
            }))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let index = Index {
        version: VERSION.to_string(),
        inputs,
        entries,
    };
    index.write(out_dir)?;
    eprintln!("  {} clips", index.entries.len());
    Ok(index)
}

/// One clip from one hit: either the hit repeated at a steady interval (eighths to whole beats
/// for drums, sixteenths to beats for cymbals and hand percussion) with humanised timing and
/// level, or the hit alone after 0.2-1.8 s of silence. Peak at -12..-1 dBFS, like the renders.
fn sequence_one(hit: &[f32], class: Class, seed: u64) -> (&'static str, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let rate = f64::from(RATE);
    let (kind, seconds, onsets) = if rng.chance(REPEAT_SHARE) {
        let (shortest, longest) = match class {
            Class::Cymbals | Class::Percussion => (0.12, 0.6),
            _ => (0.25, 1.0),
        };
        let interval = rng.range(shortest, longest);
        let seconds = rng.range(3.0, 4.5);
        let mut onsets = Vec::new();
        let mut t = rng.range(0.0, 0.6);
        let level = rng.range(0.55, 1.0);
        while t < seconds - 0.05 {
            let gain = (level + rng.range(-0.15, 0.15)).clamp(0.2, 1.0);
            onsets.push(((t + rng.range(-0.006, 0.006)).max(0.0), gain));
            t += interval;
        }
        ("repeat", seconds, onsets)
    } else {
        ("lone", 3.0, vec![(rng.range(0.2, 1.8), 1.0)])
    };
    let len = (seconds * rate) as usize;
    let mut out = vec![0.0f32; len];
    for (time, gain) in onsets {
        let start = (time * rate) as usize;
        for (o, s) in out[start.min(len)..].iter_mut().zip(hit) {
            *o += s * gain as f32;
        }
    }
    let fade = ((0.010 * rate) as usize).min(len);
    for k in 0..fade {
        out[len - 1 - k] *= k as f32 / fade as f32;
    }
    let peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 0.0 {
        let target = 10f64.powf(rng.range(-12.0, -1.0) / 20.0) as f32;
        out.iter_mut().for_each(|s| *s *= target / peak);
    }
    (kind, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click() -> Vec<f32> {
        (0..4410).map(|i| (-(i as f32) / 400.0).exp()).collect()
    }

    /// Onsets: where the signal jumps up from near silence.
    fn onsets(x: &[f32]) -> usize {
        let envelope: Vec<f32> = std::iter::once(0.0)
            .chain(
                x.chunks(441)
                    .map(|c| c.iter().fold(0.0f32, |m, s| m.max(s.abs()))),
            )
            .collect();
        envelope
            .windows(2)
            .filter(|w| w[1] > 4.0 * w[0] + 1e-3)
            .count()
    }

    #[test]
    fn repeats_hit_steadily_and_lone_hits_follow_silence() {
        let mut seen = (false, false);
        for seed in 0..40 {
            let (kind, clip) = sequence_one(&click(), Class::Kick, seed);
            assert_eq!(
                (kind, clip.clone()),
                sequence_one(&click(), Class::Kick, seed)
            );
            let peak = clip.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            assert!((0.25..0.9).contains(&peak), "peak {peak}");
            let seconds = clip.len() as f32 / RATE as f32;
            match kind {
                "repeat" => {
                    // At most one hit per 0.25 s, at least one per second.
                    let n = onsets(&clip);
                    assert!(n >= 3 && n as f32 <= seconds / 0.25 + 1.0, "{n} onsets");
                    seen.0 = true;
                }
                _ => {
                    assert_eq!(onsets(&clip), 1);
                    let first = clip.iter().position(|s| s.abs() > 1e-3).unwrap();
                    assert!(first as f32 >= 0.2 * RATE as f32 - 1.0, "hit at {first}");
                    seen.1 = true;
                }
            }
        }
        assert_eq!(seen, (true, true));
    }
}
