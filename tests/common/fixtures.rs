//! The committed librosa reference fixtures (see `tests/fixtures/librosa/README.md`).

use std::path::{Path, PathBuf};

use serde_json::Value;

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
