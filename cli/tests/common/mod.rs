//! Shared by the command-line tests: scratch folders, running the binary, writing audio.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// The plugin crate's test helpers: `fixtures::read_wav_mono`, `signals::noise`.
#[path = "../../../tests/common/fixtures.rs"]
pub mod fixtures;
#[path = "../../../tests/common/signals.rs"]
pub mod signals;

/// A scratch folder removed on drop (made writable first, since tests make folders read-only).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("track-labeler-cli-{name}-{}", std::process::id()));
        if dir.exists() {
            make_writable(&dir);
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        make_writable(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn set_read_only(path: &Path, read_only: bool) {
    let mut permissions = std::fs::metadata(path).unwrap().permissions();
    permissions.set_readonly(read_only);
    std::fs::set_permissions(path, permissions).unwrap();
}

fn make_writable(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_dir() {
            let _ = std::fs::metadata(entry.path()).map(|_| set_read_only(entry.path(), false));
        }
    }
}

/// The committed labelled clips (`<class>__<name>.wav`).
pub fn clips_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/clips")
}

pub fn clip(name: &str) -> PathBuf {
    clips_dir().join(name)
}

/// Runs `track-labeler` with `args` in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_track-labeler"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

pub fn run(args: &[&str]) -> Output {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Parses JSON Lines.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Writes interleaved-from-planar integer PCM (8 to 32 bits) or 32-bit float.
pub fn write_wav(path: &Path, rate: u32, bits: u16, float: bool, planar: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: planar.len() as u16,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    let full = ((1i64 << (bits - 1)) - 1) as f32;
    for i in 0..planar[0].len() {
        for channel in planar {
            let x = channel[i];
            match (float, bits) {
                (true, _) => writer.write_sample(x).unwrap(),
                (false, 8) => writer.write_sample((x * full).round() as i8).unwrap(),
                (false, _) => writer.write_sample((x * full).round() as i32).unwrap(),
            }
        }
    }
    writer.finalize().unwrap();
}

pub fn write_mono16(path: &Path, rate: u32, samples: &[f32]) {
    write_wav(path, rate, 16, false, &[samples.to_vec()]);
}

/// A 64-bit float WAV (WAVE_FORMAT_IEEE_FLOAT), which hound does not write.
pub fn write_wav_f64(path: &Path, rate: u32, planar: &[Vec<f32>]) {
    let channels = planar.len() as u16;
    let data: Vec<u8> = (0..planar[0].len())
        .flat_map(|i| planar.iter().map(move |c| f64::from(c[i])))
        .flat_map(f64::to_le_bytes)
        .collect();
    let mut bytes = Vec::new();
    bytes.extend(b"RIFF");
    bytes.extend((4 + 24 + 8 + data.len() as u32).to_le_bytes());
    bytes.extend(b"WAVEfmt ");
    bytes.extend(16u32.to_le_bytes());
    bytes.extend(3u16.to_le_bytes());
    bytes.extend(channels.to_le_bytes());
    bytes.extend(rate.to_le_bytes());
    bytes.extend((rate * 8 * u32::from(channels)).to_le_bytes());
    bytes.extend((8 * channels).to_le_bytes());
    bytes.extend(64u16.to_le_bytes());
    bytes.extend(b"data");
    bytes.extend((data.len() as u32).to_le_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

/// A 16-bit big-endian AIFF file.
pub fn write_aiff16(path: &Path, rate: u32, planar: &[Vec<f32>]) {
    let channels = planar.len() as u16;
    let frames = planar[0].len() as u32;
    let data: Vec<u8> = (0..planar[0].len())
        .flat_map(|i| planar.iter().map(move |c| (c[i] * 32767.0).round() as i16))
        .flat_map(i16::to_be_bytes)
        .collect();
    let mut comm = Vec::new();
    comm.extend(channels.to_be_bytes());
    comm.extend(frames.to_be_bytes());
    comm.extend(16u16.to_be_bytes());
    comm.extend(extended_80(f64::from(rate)));
    let mut bytes = Vec::new();
    bytes.extend(b"FORM");
    let form_len = 4 + (8 + comm.len()) + (8 + 8 + data.len());
    bytes.extend((form_len as u32).to_be_bytes());
    bytes.extend(b"AIFFCOMM");
    bytes.extend((comm.len() as u32).to_be_bytes());
    bytes.extend(comm);
    bytes.extend(b"SSND");
    bytes.extend((8 + data.len() as u32).to_be_bytes());
    bytes.extend([0u8; 8]);
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

/// An IEEE 754 80-bit extended float (AIFF's sample-rate field) for a positive integer.
fn extended_80(value: f64) -> [u8; 10] {
    let integer = value as u64;
    let exponent = 63 - integer.leading_zeros() as u16;
    let mantissa = integer << (63 - exponent);
    let mut out = [0u8; 10];
    out[..2].copy_from_slice(&(16383 + exponent).to_be_bytes());
    out[2..].copy_from_slice(&mantissa.to_be_bytes());
    out
}

/// Linear-interpolation resampling, good enough to present a clip at another rate.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    let ratio = f64::from(from) / f64::from(to);
    let len = (samples.len() as f64 / ratio) as usize;
    (0..len)
        .map(|i| {
            let position = i as f64 * ratio;
            let j = position as usize;
            let frac = (position - j as f64) as f32;
            let next = samples.get(j + 1).copied().unwrap_or(0.0);
            samples[j] * (1.0 - frac) + next * frac
        })
        .collect()
}
