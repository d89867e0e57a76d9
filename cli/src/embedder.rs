//! The learned embedding's forward pass, in Rust: the 1-D CNN `tools/embedding/train.py`
//! trains over ~1 s patches of the analyzer's mel frames. Each convolution is one matrix
//! product (frames unrolled into rows, then `matrixmultiply`'s sgemm), so a patch costs a few
//! hundred microseconds and no Python runs at labeling time.

use anyhow::{Result, bail};
use safetensors::SafeTensors;
use track_labeler::analysis::MEL_BANDS;

/// Frames per patch: ~1 s at the analyzer's hop.
pub const PATCH_FRAMES: usize = 86;
/// Levels are in dB relative to the patch's loudest band, no lower than this.
pub const FLOOR_DB: f32 = -90.0;
/// The network sees levels times this.
const INPUT_SCALE: f32 = 1.0 / 30.0;
const LAYER_NORM_EPSILON: f32 = 1e-5;

/// One convolution over time ('same' padding), then layer norm over channels and ReLU.
struct Conv {
    kernel: usize,
    inputs: usize,
    outputs: usize,
    /// Row-major `(kernel * inputs) x outputs`: the unrolled rows' layout.
    weight: Vec<f32>,
    bias: Vec<f32>,
    gain: Vec<f32>,
    shift: Vec<f32>,
}

pub struct Embedder {
    convs: Vec<Conv>,
    /// Row-major `(2 * last channels) x dims`.
    dense: Vec<f32>,
    dense_bias: Vec<f32>,
    dims: usize,
    unrolled: Vec<f32>,
    activations: Vec<f32>,
    output: Vec<f32>,
}

fn tensor(tensors: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let Ok(view) = tensors.tensor(name) else {
        bail!("the weights have no {name}");
    };
    if view.dtype() != safetensors::Dtype::F32 || view.shape() != shape {
        bail!(
            "{name} is {:?} {:?}, expected F32 {shape:?}",
            view.dtype(),
            view.shape()
        );
    }
    Ok(view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

impl Embedder {
    /// Reads the weights `train.py final` wrote.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self> {
        let tensors = SafeTensors::deserialize(bytes)
            .map_err(|e| anyhow::anyhow!("not a safetensors file: {e}"))?;
        let mut convs = Vec::new();
        let mut inputs = MEL_BANDS;
        while let Ok(view) = tensors.tensor(&format!("conv{}.weight", convs.len())) {
            let &[kernel, _, outputs] = view.shape() else {
                bail!("conv{} is not 3-D", convs.len());
            };
            if kernel % 2 == 0 {
                bail!("conv{}: an even kernel cannot be centred", convs.len());
            }
            let i = convs.len();
            convs.push(Conv {
                kernel,
                inputs,
                outputs,
                weight: tensor(
                    &tensors,
                    &format!("conv{i}.weight"),
                    &[kernel, inputs, outputs],
                )?,
                bias: tensor(&tensors, &format!("conv{i}.bias"), &[outputs])?,
                gain: tensor(&tensors, &format!("norm{i}.gain"), &[outputs])?,
                shift: tensor(&tensors, &format!("norm{i}.bias"), &[outputs])?,
            });
            inputs = outputs;
        }
        if convs.is_empty() {
            bail!("the weights have no convolutions");
        }
        let Some(dims) = tensors
            .tensor("dense.bias")
            .ok()
            .and_then(|v| v.shape().first().copied())
        else {
            bail!("the weights have no dense.bias");
        };
        let dense = tensor(&tensors, "dense.weight", &[2 * inputs, dims])?;
        let dense_bias = tensor(&tensors, "dense.bias", &[dims])?;
        let widest = convs.iter().map(|c| c.kernel * c.inputs).max().unwrap_or(0);
        let channels = convs.iter().map(|c| c.outputs).max().unwrap_or(0);
        Ok(Self {
            convs,
            dense,
            dense_bias,
            dims,
            unrolled: vec![0.0; PATCH_FRAMES * widest],
            activations: vec![0.0; PATCH_FRAMES * channels.max(MEL_BANDS)],
            output: vec![0.0; PATCH_FRAMES * channels],
        })
    }

    /// Embedding dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The unit-length embedding of `patch`: [`PATCH_FRAMES`] frames of [`MEL_BANDS`] levels,
    /// as [`normalise_patch`] leaves them.
    pub fn embed(&mut self, patch: &[f32], out: &mut [f32]) {
        assert_eq!(patch.len(), PATCH_FRAMES * MEL_BANDS);
        assert_eq!(out.len(), self.dims);
        let mut frames = PATCH_FRAMES;
        for (a, &x) in self.activations.iter_mut().zip(patch) {
            *a = x * INPUT_SCALE;
        }
        let last = self.convs.len() - 1;
        for (i, conv) in self.convs.iter().enumerate() {
            conv.apply(
                frames,
                &self.activations,
                &mut self.unrolled,
                &mut self.output,
            );
            if i < last {
                // Max pool by 2 over time; an odd last frame is dropped, as in training.
                frames /= 2;
                let c = conv.outputs;
                for t in 0..frames {
                    for ch in 0..c {
                        self.activations[t * c + ch] =
                            self.output[2 * t * c + ch].max(self.output[(2 * t + 1) * c + ch]);
                    }
                }
            }
        }
        let c = self.convs[last].outputs;
        // Mean and max over time, side by side, then the dense layer.
        out.copy_from_slice(&self.dense_bias);
        for ch in 0..c {
            let column = (0..frames).map(|t| self.output[t * c + ch]);
            let mean = column.clone().sum::<f32>() / frames as f32;
            let max = column.fold(f32::NEG_INFINITY, f32::max);
            for (o, (&wm, &wx)) in out.iter_mut().zip(
                self.dense[ch * self.dims..(ch + 1) * self.dims]
                    .iter()
                    .zip(&self.dense[(c + ch) * self.dims..(c + ch + 1) * self.dims]),
            ) {
                *o += mean * wm + max * wx;
            }
        }
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        out.iter_mut().for_each(|x| *x /= norm);
    }
}

impl Conv {
    /// `input`: `frames x inputs`, row-major; `output`: `frames x outputs`.
    fn apply(&self, frames: usize, input: &[f32], unrolled: &mut [f32], output: &mut [f32]) {
        let row = self.kernel * self.inputs;
        let pad = self.kernel / 2;
        for t in 0..frames {
            let dst = &mut unrolled[t * row..(t + 1) * row];
            for k in 0..self.kernel {
                let src = (t + k).checked_sub(pad).filter(|&s| s < frames);
                let cell = &mut dst[k * self.inputs..(k + 1) * self.inputs];
                match src {
                    Some(s) => cell.copy_from_slice(&input[s * self.inputs..(s + 1) * self.inputs]),
                    None => cell.fill(0.0),
                }
            }
        }
        let out = &mut output[..frames * self.outputs];
        // SAFETY: the slices hold frames x row, row x outputs and frames x outputs values,
        // row-major, as the strides say.
        unsafe {
            matrixmultiply::sgemm(
                frames,
                row,
                self.outputs,
                1.0,
                unrolled.as_ptr(),
                row as isize,
                1,
                self.weight.as_ptr(),
                self.outputs as isize,
                1,
                0.0,
                out.as_mut_ptr(),
                self.outputs as isize,
                1,
            );
        }
        for values in out.chunks_exact_mut(self.outputs) {
            for (v, b) in values.iter_mut().zip(&self.bias) {
                *v += b;
            }
            let mean = values.iter().sum::<f32>() / self.outputs as f32;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / self.outputs as f32;
            let inv = 1.0 / (var + LAYER_NORM_EPSILON).sqrt();
            for ((v, g), s) in values.iter_mut().zip(&self.gain).zip(&self.shift) {
                *v = ((*v - mean) * inv * g + s).max(0.0);
            }
        }
    }
}

/// Levels in dB relative to the patch's loudest, floored at [`FLOOR_DB`], as the network was
/// trained on them. Non-finite levels count as the floor.
pub fn normalise_patch(levels: &mut [f32]) {
    let loudest = levels
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(f32::NEG_INFINITY, f32::max);
    for x in levels.iter_mut() {
        *x = if x.is_finite() && loudest.is_finite() {
            (*x - loudest).max(FLOOR_DB)
        } else {
            FLOOR_DB
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../assets/embedding")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The committed model gives, in Rust, the embeddings train.py computed for real patches.
    #[test]
    fn forward_pass_matches_the_training_script() {
        let mut embedder = Embedder::from_safetensors(&asset("embedding.safetensors")).unwrap();
        let parity = asset("parity.safetensors");
        let parity = SafeTensors::deserialize(&parity).unwrap();
        let patches = parity.tensor("patches").unwrap();
        let count = patches.shape()[0];
        let patches = tensor(&parity, "patches", &[count, PATCH_FRAMES, MEL_BANDS]).unwrap();
        let expected = tensor(&parity, "embeddings", &[count, embedder.dims()]).unwrap();
        let mut out = vec![0.0; embedder.dims()];
        for (patch, expected) in patches
            .chunks_exact(PATCH_FRAMES * MEL_BANDS)
            .zip(expected.chunks_exact(embedder.dims()))
        {
            embedder.embed(patch, &mut out);
            let worst = out
                .iter()
                .zip(expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-4, "differs by {worst}");
        }
    }

    #[test]
    fn malformed_weights_are_refused_with_a_reason() {
        let error = Embedder::from_safetensors(b"not weights").err().unwrap();
        assert!(
            error.to_string().contains("not a safetensors file"),
            "{error}"
        );
        let parity = asset("parity.safetensors");
        let error = Embedder::from_safetensors(&parity).err().unwrap();
        assert!(error.to_string().contains("no convolutions"), "{error}");
    }

    #[test]
    fn patches_are_relative_to_their_loudest_level_and_floored() {
        let mut levels = vec![-10.0, 20.0, -200.0, f32::NAN];
        normalise_patch(&mut levels);
        assert_eq!(levels, vec![-30.0, 0.0, FLOOR_DB, FLOOR_DB]);
        let mut silent = vec![f32::NEG_INFINITY; 3];
        normalise_patch(&mut silent);
        assert_eq!(silent, vec![FLOOR_DB; 3]);
    }
}
