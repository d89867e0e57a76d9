//! Loads the plugin like a host and checks that audio passes through bit-exact at every block
//! size, in place and out of place, without `process()` allocating.

mod common;

use common::signals::{noise, sine, stereo};
use common::{Instance, Placement, load_entry};

/// 1, 64, 512 and 4096, then an irregular pattern as hosts with automation splits produce.
const BLOCK_PATTERNS: &[&[usize]] = &[
    &[1],
    &[64],
    &[512],
    &[4096],
    &[1, 17, 512, 3, 4096, 255, 64],
];

/// `channels` selects the mono or stereo layout; the signals are cut to that many channels.
fn check_passthrough(sample_rate: f64, channels: usize) {
    let entry = load_entry();
    let len = sample_rate as usize / 2;
    let signals = [
        (
            "sine",
            stereo(
                sine(440.0, sample_rate as f32, len),
                sine(1234.5, sample_rate as f32, len),
            ),
        ),
        ("noise", stereo(noise(1, len), noise(2, len))),
        ("silence", stereo(vec![0.0; len], vec![0.0; len])),
    ]
    .map(|(name, mut planar)| {
        planar.truncate(channels);
        (name, planar)
    });
    let mut instance = Instance::new(entry);
    instance.select_channels(channels as u32);
    let mut processor = instance.start(sample_rate, 4096);
    for (name, input) in &signals {
        for blocks in BLOCK_PATTERNS {
            for placement in [Placement::InPlace, Placement::OutOfPlace] {
                let output = processor.run(input, blocks, placement);
                for (channel, (out, inp)) in output.iter().zip(input).enumerate() {
                    let same_bits = out.iter().zip(inp).all(|(o, i)| o.to_bits() == i.to_bits());
                    assert!(
                        same_bits,
                        "{name} at {sample_rate} Hz, {channels} ch, blocks {blocks:?}, {placement:?}: channel {channel} changed"
                    );
                }
            }
        }
    }
    instance.stop(processor);
}

#[test]
fn passes_stereo_through_bit_exact_at_44_1_khz() {
    check_passthrough(44_100.0, 2);
}

#[test]
fn passes_stereo_through_bit_exact_at_96_khz() {
    check_passthrough(96_000.0, 2);
}

#[test]
fn passes_mono_through_bit_exact_at_44_1_and_96_khz() {
    check_passthrough(44_100.0, 1);
    check_passthrough(96_000.0, 1);
}

#[test]
fn exposes_exactly_one_plugin_with_our_id_and_features() {
    let entry = load_entry();
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let descriptors: Vec<_> = factory.plugin_descriptors().collect();
    assert_eq!(descriptors.len(), 1);
    let descriptor = &descriptors[0];
    assert_eq!(
        descriptor.id().unwrap().to_str().unwrap(),
        common::PLUGIN_ID
    );
    assert_eq!(
        descriptor.name().unwrap().to_str().unwrap(),
        "Track Labeler"
    );
    let features: Vec<&str> = descriptor.features().map(|f| f.to_str().unwrap()).collect();
    for expected in ["analyzer", "audio-effect", "stereo", "mono"] {
        assert!(
            features.contains(&expected),
            "missing CLAP feature {expected}: {features:?}"
        );
    }
}
