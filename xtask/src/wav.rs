//! Writing the pipeline's rendered clips.

use std::path::Path;

use anyhow::{Context, Result};

/// Writes mono 16-bit PCM, clipping anything beyond full scale.
pub fn write_mono16(path: &Path, samples: &[f32], sample_rate: u32) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)
        .with_context(|| format!("creating {}", path.display()))?;
    for &x in samples {
        writer.write_sample((x.clamp(-1.0, 1.0) * 32767.0).round() as i16)?;
    }
    writer
        .finalize()
        .with_context(|| format!("writing {}", path.display()))
}
