//! The committed audio fixtures: librosa references (see `tests/fixtures/librosa/README.md`)
//! and labelled clips (see `tests/fixtures/clips/README.md`).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Committed clips (see `tests/fixtures/clips/README.md`) and the class each must get.
pub const PHRASES: [(&str, &str); 6] = [
    ("drum_kit", "drum_kit__loop_amen.wav"),
    ("piano", "piano__tonejs_piano_C4.wav"),
    ("strings", "strings__tonejs_cello_C3.wav"),
    ("woodwinds", "woodwinds__tonejs_flute_C5.wav"),
    ("brass", "brass__tonejs_trumpet_C6.wav"),
    (
        "acoustic_guitar",
        "acoustic_guitar__tonejs_guitar_acoustic_A3.wav",
    ),
];

pub struct LibrosaFixture {
    pub name: String,
    pub samples: Vec<f32>,
    pub sample_rate: f32,
    pub frame_len: usize,
    pub hop_len: usize,
    pub json: Value,
}

impl LibrosaFixture {
    /// A per-frame series of numbers, e.g. `centroid_hz`.
    pub fn series(&self, key: &str) -> Vec<f64> {
        self.json[key]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no {key}", self.name))
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect()
    }
}

pub fn librosa_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa")
}

pub fn read_wav_mono(path: &Path) -> (Vec<f32>, f32) {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    assert_eq!(spec.channels, 1, "{} is not mono", path.display());
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| s.expect("sample"))
            .collect(),
        hound::SampleFormat::Int => {
            let full_scale = (1u32 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.expect("sample") as f32 / full_scale)
                .collect()
        }
    };
    (samples, spec.sample_rate as f32)
}

/// Every fixture, in name order.
pub fn librosa_fixtures() -> Vec<LibrosaFixture> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(librosa_dir())
        .expect("fixture folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no librosa fixtures found");
    paths
        .into_iter()
        .map(|path| {
            let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let (samples, sample_rate) =
                read_wav_mono(&librosa_dir().join(json["wav"].as_str().expect("wav name")));
            assert_eq!(sample_rate as u64, json["sample_rate"].as_u64().unwrap());
            LibrosaFixture {
                name: path.file_stem().unwrap().to_string_lossy().into_owned(),
                samples,
                sample_rate,
                frame_len: json["frame_length"].as_u64().unwrap() as usize,
                hop_len: json["hop_length"].as_u64().unwrap() as usize,
                json,
            }
        })
        .collect()
}

/// A committed clip (see `tests/fixtures/clips/README.md`) repeated on a grid of at least a
/// second for `seconds`, in stereo, with its sample rate.
pub fn phrase(file: &str, seconds: f32) -> (Vec<Vec<f32>>, f64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/clips")
        .join(file);
    let (clip, rate) = read_wav_mono(&path);
    let step = clip.len().max(rate as usize);
    let len = (rate * seconds) as usize;
    let mut mono = vec![0.0f32; len];
    for start in (0..len).step_by(step) {
        for (out, &x) in mono[start..].iter_mut().zip(&clip) {
            *out += x;
        }
    }
    (vec![mono.clone(), mono], f64::from(rate))
}
