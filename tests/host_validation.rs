//! The checks clap-validator, the VST3 validator and pluginval make, through a CLAP host:
//! descriptor and ports, processing at every sample rate and block pattern, reset and
//! reactivation, parameters (info, defaults, text conversions, fuzzed automation), state
//! reproducibility with changed parameters, mutated states, and absent or fuzzed transport.
//! Every `process()` call runs with `assert_process_allocs`.

mod common;

use std::ffi::CString;

use clack_extensions::audio_ports::{AudioPortFlags, AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{ParamValueEvent, TransportEvent};
use clack_host::prelude::*;
use clap_sys::events::{
    CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_TRANSPORT, clap_event_header, clap_event_transport,
};
use common::fixtures::{PHRASES, phrase};
use common::plugin_state::{load, save, settled_label, state_json};
use common::signals::{Rng, noise, stereo};
use common::{BlockContext, Instance, Placement, Processor, load_entry};

/// From telephone audio to the highest rate hosts offer.
const SAMPLE_RATES: [f64; 11] = [
    8_000.0, 11_025.0, 16_000.0, 22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0,
    192_000.0, 384_000.0,
];

fn assert_bit_exact(input: &[Vec<f32>], output: &[Vec<f32>], what: &str) {
    for (channel, (i, o)) in input.iter().zip(output).enumerate() {
        let first_change = i
            .iter()
            .zip(o)
            .position(|(i, o)| i.to_bits() != o.to_bits());
        assert_eq!(first_change, None, "{what}: channel {channel} changed");
    }
}

/// Random block sizes in 1..=max, as a host splitting blocks at automation points does.
fn random_blocks(seed: u64, max: usize) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    (0..257).map(|_| rng.in_range(1..=max)).collect()
}

#[test]
fn descriptor_and_audio_ports_agree_with_each_other() {
    let entry = load_entry();
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let descriptor = factory.plugin_descriptors().next().expect("a descriptor");
    let text = |s: Option<&std::ffi::CStr>| s.map(|s| s.to_str().unwrap().to_owned());
    assert!(text(descriptor.vendor()).is_some_and(|v| !v.is_empty()));
    let version = text(descriptor.version()).expect("version");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let features: Vec<&str> = descriptor.features().map(|f| f.to_str().unwrap()).collect();
    // Exactly one main category, and it is an effect (a host must not offer it as an instrument).
    let main_categories = [
        "instrument",
        "audio-effect",
        "note-effect",
        "note-detector",
        "analyzer",
    ];
    assert!(features.contains(&"audio-effect"));
    assert!(!features.contains(&"instrument") && !features.contains(&"note-effect"));
    assert!(features.iter().all(|f| !f.is_empty() && f.is_ascii()));
    let distinct: std::collections::HashSet<_> = features.iter().collect();
    assert_eq!(
        distinct.len(),
        features.len(),
        "duplicate features: {features:?}"
    );
    assert!(
        features
            .iter()
            .filter(|f| main_categories.contains(f))
            .count()
            >= 1
    );

    // Each layout the features promise (stereo, mono) has one main input and one main output
    // of that width, paired for in-place processing.
    for channels in [2u32, 1] {
        let mut instance = Instance::new(entry);
        instance.select_channels(channels);
        let handle = instance.instance.plugin_handle();
        let ports: PluginAudioPorts = handle.get_extension().expect("audio-ports");
        let mut buffer = AudioPortInfoBuffer::new();
        for is_input in [true, false] {
            assert_eq!(ports.count(&handle, is_input), 1);
            let port = ports
                .get(&handle, 0, is_input, &mut buffer)
                .expect("port info");
            assert_eq!(port.channel_count, channels);
            assert!(port.flags.contains(AudioPortFlags::IS_MAIN));
            // 32-bit only: a host with 64-bit audio must convert, never hand us `data64`.
            assert!(
                !port
                    .flags
                    .intersects(AudioPortFlags::SUPPORTS_64BITS | AudioPortFlags::PREFERS_64BITS)
            );
            assert!(ports.get(&handle, 1, is_input, &mut buffer).is_none());
        }
    }
}

#[test]
fn passes_audio_through_at_8_to_384_khz_changing_rate_between_activations() {
    let entry = load_entry();
    let mut instance = Instance::new(entry);
    for (i, &rate) in SAMPLE_RATES
        .iter()
        .chain(SAMPLE_RATES.iter().rev())
        .enumerate()
    {
        let max_block = [64u32, 512, 4096][i % 3];
        let mut processor = instance.start(rate, max_block);
        let len = (rate / 4.0) as usize;
        let input = stereo(noise(i as u64 + 1, len), noise(i as u64 + 100, len));
        let blocks = random_blocks(i as u64 + 7, max_block as usize);
        for placement in [Placement::InPlace, Placement::OutOfPlace] {
            let output = processor.run(&input, &blocks, placement);
            assert_bit_exact(&input, &output, &format!("{rate} Hz {placement:?}"));
        }
        instance.stop(processor);
    }
    // After all those rates the analysis is rebuilt for the last one and still labels right.
    let (expected, file) = PHRASES[1];
    let (audio, rate) = phrase(file, 6.0);
    let mut processor = instance.start(rate, 512);
    processor.run(&audio, &random_blocks(3, 512), Placement::InPlace);
    assert_eq!(settled_label(&mut instance).as_deref(), Some(expected));
    instance.stop(processor);
}

#[test]
fn denormals_random_blocks_and_single_samples_pass_through_unchanged() {
    let entry = load_entry();
    let mut instance = Instance::new(entry);
    let mut processor = instance.start(48_000.0, 1024);
    let len = 48_000;
    // Subnormal noise, both signs, and a decay into the subnormal range.
    let subnormal: Vec<f32> = noise(5, len)
        .iter()
        .map(|x| x * f32::MIN_POSITIVE)
        .collect();
    let decay: Vec<f32> = (0..len)
        .map(|i| 0.5 * (-(i as f32) / 400.0).exp())
        .collect();
    let input = stereo(subnormal, decay);
    for blocks in [random_blocks(11, 1024), vec![1], vec![1, 1023, 2, 1000]] {
        for placement in [Placement::InPlace, Placement::OutOfPlace] {
            let output = processor.run(&input, &blocks, placement);
            assert_bit_exact(&input, &output, &format!("{blocks:?} {placement:?}"));
        }
    }
    instance.stop(processor);
}

#[test]
fn reset_stop_start_and_reactivation_keep_passing_audio_and_labelling() {
    let entry = load_entry();
    let (expected, file) = PHRASES[3];
    let (audio, rate) = phrase(file, 6.0);
    let half = audio[0].len() / 2;
    let first: Vec<Vec<f32>> = audio.iter().map(|c| c[..half].to_vec()).collect();
    let second: Vec<Vec<f32>> = audio.iter().map(|c| c[half..].to_vec()).collect();

    let mut instance = Instance::new(entry);
    for round in 0..3 {
        let mut processor = instance.start(rate, 512);
        assert_bit_exact(
            &first,
            &processor.run(&first, &[512], Placement::InPlace),
            "first half",
        );
        processor.started.reset();
        let stopped = processor.started.stop_processing();
        let mut processor = Processor {
            started: stopped.start_processing().expect("processing restarts"),
            max_block: 512,
            sample_rate: rate,
        };
        assert_bit_exact(
            &second,
            &processor.run(&second, &[333], Placement::OutOfPlace),
            "second half",
        );
        processor.started.reset();
        assert_eq!(
            settled_label(&mut instance).as_deref(),
            Some(expected),
            "round {round}"
        );
        instance.stop(processor);
    }
}

struct ParamSpec {
    id: ClapId,
    name: String,
    min: f64,
    max: f64,
    default: f64,
    stepped: bool,
}

fn param_specs(instance: &mut Instance) -> (PluginParams, Vec<ParamSpec>) {
    let handle = instance.instance.plugin_handle();
    let params: PluginParams = handle.get_extension().expect("params extension");
    let mut buffer = ParamInfoBuffer::new();
    let specs = (0..params.count(&handle))
        .map(|i| {
            let info = params
                .get_info(&handle, i, &mut buffer)
                .expect("param info");
            ParamSpec {
                id: info.id,
                name: String::from_utf8_lossy(info.name).into_owned(),
                min: info.min_value,
                max: info.max_value,
                default: info.default_value,
                stepped: info.flags.contains(ParamInfoFlags::IS_STEPPED),
            }
        })
        .collect();
    (params, specs)
}

#[test]
fn parameter_changes_flushed_while_inactive_take_effect_and_foreign_events_do_not() {
    let mut instance = Instance::new(load_entry());
    let (params, specs) = param_specs(&mut instance);
    let (gate, window) = (&specs[0], &specs[1]);
    let target = gate.min + (gate.max - gate.min) * 0.25;
    let mut events = EventBuffer::new();
    events.push(&ParamValueEvent::new(0, gate.id, Pckn::match_all(), target));
    // The same event in another vendor's event space must be ignored.
    let mut foreign = ParamValueEvent::new(0, window.id, Pckn::match_all(), window.max);
    // SAFETY: only the header's space id changes; the event stays well-formed.
    unsafe { foreign.as_raw_mut().header.space_id = CLAP_CORE_EVENT_SPACE_ID + 0x7a11 };
    events.push(&foreign);
    let mut inactive = instance
        .instance
        .inactive_plugin_handle()
        .expect("not activated");
    params.flush(&mut inactive, &events.as_input(), &mut OutputEvents::void());

    let handle = instance.instance.plugin_handle();
    let gate_now = params.get_value(&handle, gate.id).expect("gate");
    assert!(
        (gate_now - target).abs() < 1e-6,
        "gate {gate_now}, sent {target}"
    );
    assert_eq!(params.get_value(&handle, window.id), Some(window.default));
    // And it is what a saved project keeps.
    let reloaded = {
        let bytes = save(&mut instance);
        let mut other = Instance::new(load_entry());
        assert!(load(&mut other, &bytes));
        let (other_params, _) = param_specs(&mut other);
        let handle = other.instance.plugin_handle();
        other_params.get_value(&handle, gate.id).expect("gate")
    };
    assert!((reloaded - target).abs() < 1e-6);
}

#[test]
fn parameters_have_sane_info_defaults_and_text_round_trips() {
    let mut instance = Instance::new(load_entry());
    let (params, specs) = param_specs(&mut instance);
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Gate", "Window", "Hold"]);
    let mut ids: Vec<u32> = specs.iter().map(|s| s.id.get()).collect();
    ids.dedup();
    assert_eq!(ids.len(), specs.len(), "parameter ids are unique");
    let handle = instance.instance.plugin_handle();
    let mut text = [0u8; 256];
    for spec in &specs {
        assert!(
            spec.min < spec.max && (spec.min..=spec.max).contains(&spec.default),
            "{}",
            spec.name
        );
        assert_eq!(
            params.get_value(&handle, spec.id),
            Some(spec.default),
            "{} default",
            spec.name
        );
        for step in 0..=20 {
            let value = spec.min + (spec.max - spec.min) * f64::from(step) / 20.0;
            let value = if spec.stepped { value.round() } else { value };
            let shown = params
                .value_to_text(&handle, spec.id, value, &mut text)
                .map(|t| String::from_utf8(t.to_vec()).unwrap())
                .unwrap_or_else(|_| panic!("{} = {value} has no text", spec.name));
            assert!(!shown.is_empty());
            let parsed = params
                .text_to_value(&handle, spec.id, &CString::new(shown.clone()).unwrap())
                .unwrap_or_else(|| panic!("{}: {shown:?} does not parse", spec.name));
            assert!(
                (spec.min..=spec.max).contains(&parsed),
                "{}: {shown:?} -> {parsed}",
                spec.name
            );
            // The text is rounded for display: parsing it back lands within a display step.
            let shown_again = params
                .value_to_text(&handle, spec.id, parsed, &mut text)
                .map(|t| String::from_utf8(t.to_vec()).unwrap())
                .unwrap();
            assert_eq!(shown_again, shown, "{}: text round trip", spec.name);
        }
        assert!(
            params
                .text_to_value(&handle, spec.id, c"not a number")
                .is_none()
                || spec.stepped,
            "{}: garbage text parses",
            spec.name
        );
    }
}

#[test]
fn fuzzed_automation_stays_in_bounds_and_state_reproduces_it_byte_identically() {
    let entry = load_entry();
    let mut rng = Rng::new(99);
    for round in 0..20 {
        let mut instance = Instance::new(entry);
        let (params, specs) = param_specs(&mut instance);
        let mut processor = instance.start(48_000.0, 256);
        let input = stereo(noise(round, 12_000), noise(round + 1, 12_000));
        // Random values within bounds at random sample positions in every block.
        let mut last_sent = vec![None; specs.len()];
        let output = processor.run_with(&input, &[256, 7, 100], Placement::InPlace, |_, frames| {
            let mut context = BlockContext::default();
            let mut times: Vec<u32> = (0..3)
                .map(|_| rng.in_range(0..=frames - 1) as u32)
                .collect();
            times.sort_unstable();
            for time in times {
                let index = rng.in_range(0..=specs.len() - 1);
                let spec = &specs[index];
                let mut value = spec.min + (spec.max - spec.min) * rng.unit();
                if spec.stepped {
                    value = value.round();
                }
                context.events.push(&ParamValueEvent::new(
                    time,
                    spec.id,
                    Pckn::match_all(),
                    value,
                ));
                last_sent[index] = Some(value);
            }
            context
        });
        assert_bit_exact(&input, &output, "while automating");
        instance.stop(processor);

        let values: Vec<f64> = {
            let handle = instance.instance.plugin_handle();
            specs
                .iter()
                .map(|spec| params.get_value(&handle, spec.id).expect("value"))
                .collect()
        };
        for ((spec, sent), &value) in specs.iter().zip(&last_sent).zip(&values) {
            assert!(
                (spec.min..=spec.max).contains(&value),
                "{} = {value}",
                spec.name
            );
            if let Some(sent) = sent {
                // Continuous parameters may snap to their step (the window's 0.5 s).
                assert!(
                    (value - sent).abs() < 0.03,
                    "{}: sent {sent}, reads {value}",
                    spec.name
                );
            }
        }
        let saved = save(&mut instance);
        let mut copy = Instance::new(entry);
        assert!(load(&mut copy, &saved));
        let (copy_params, _) = param_specs(&mut copy);
        let copy_handle = copy.instance.plugin_handle();
        for (spec, &value) in specs.iter().zip(&values) {
            assert_eq!(
                copy_params.get_value(&copy_handle, spec.id),
                Some(value),
                "{} after a state round trip",
                spec.name
            );
        }
        assert_eq!(
            save(&mut copy),
            saved,
            "round {round}: state through another instance"
        );
    }
}

/// A stream that moves at most a few bytes per call, as hosts reading from or writing to
/// buffered files and sockets do; the plugin must loop until it is done.
struct Trickle<T> {
    inner: T,
    step: usize,
}

impl<T: std::io::Read> std::io::Read for Trickle<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step % 7 + 1;
        let len = buf.len().min(self.step);
        self.inner.read(&mut buf[..len])
    }
}

impl<T: std::io::Write> std::io::Write for Trickle<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.step = self.step % 7 + 1;
        self.inner.write(&buf[..buf.len().min(self.step)])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[test]
fn state_saves_and_loads_through_streams_that_move_a_few_bytes_at_a_time() {
    let entry = load_entry();
    let (audio, rate) = phrase(PHRASES[5].1, 6.0);
    let mut original = Instance::new(entry);
    let mut processor = original.start(rate, 512);
    processor.run(&audio, &[512], Placement::InPlace);
    original.stop(processor);
    assert!(settled_label(&mut original).is_some());
    let saved = save(&mut original);

    let handle = original.instance.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    let mut trickled = Trickle {
        inner: Vec::new(),
        step: 0,
    };
    state
        .save(&handle, &mut trickled)
        .expect("state saves in small writes");
    assert_eq!(trickled.inner, saved);

    let mut copy = Instance::new(entry);
    let handle = copy.instance.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    let mut reader = Trickle {
        inner: &saved[..],
        step: 0,
    };
    state
        .load(&handle, &mut reader)
        .expect("state loads in small reads");
    assert_eq!(save(&mut copy), saved);
}

#[test]
fn mutated_and_random_states_never_crash_and_leave_a_loadable_state() {
    let entry = load_entry();
    let mut instance = Instance::new(entry);
    let good = save(&mut instance);
    let mut rng = Rng::new(2024);
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for len in (0..good.len()).step_by(7) {
        candidates.push(good[..len].to_vec());
    }
    for _ in 0..200 {
        let mut bytes = good.clone();
        for _ in 0..rng.in_range(1..=8) {
            let at = rng.in_range(0..=bytes.len() - 1);
            bytes[at] = rng.next_u64() as u8;
        }
        candidates.push(bytes);
        let len = rng.in_range(0..=4096);
        candidates.push((0..len).map(|_| rng.next_u64() as u8).collect());
    }
    // Well-formed JSON of the wrong shape, behind a correct length prefix.
    for json in [
        "null",
        "[]",
        r#"{"version":"0.1.0"}"#,
        r#"{"version":"0.1.0","params":{"gate":"loud"},"fields":{"track":7}}"#,
        r#"{"version":"0.1.0","params":{"gate":1e308,"window":-1e308},"fields":{}}"#,
    ] {
        let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
        bytes.extend(json.as_bytes());
        candidates.push(bytes);
    }
    // A length prefix promising far more than follows.
    candidates.push(u64::MAX.to_le_bytes().to_vec());

    let (params, specs) = param_specs(&mut instance);
    for bytes in &candidates {
        let _ = load(&mut instance, bytes);
        let handle = instance.instance.plugin_handle();
        for spec in &specs {
            let value = params.get_value(&handle, spec.id).expect("value");
            assert!(
                (spec.min..=spec.max).contains(&value),
                "{}: {value}",
                spec.name
            );
        }
        // Whatever was loaded, what the plugin saves is a state it reads back.
        let resaved = save(&mut instance);
        state_json(&resaved);
        let mut fresh = Instance::new(entry);
        assert!(load(&mut fresh, &resaved));
        assert_eq!(save(&mut fresh), resaved);
    }
}

/// A transport with random flags and values, including nonsense a buggy host might send.
fn random_transport(rng: &mut Rng) -> TransportEvent {
    let wild = |rng: &mut Rng| match rng.in_range(0..=5) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => -1e9,
        3 => 0.0,
        _ => rng.unit() * 500.0,
    };
    let raw = clap_event_transport {
        header: clap_event_header {
            size: std::mem::size_of::<clap_event_transport>() as u32,
            time: 0,
            space_id: CLAP_CORE_EVENT_SPACE_ID,
            type_: CLAP_EVENT_TRANSPORT,
            flags: 0,
        },
        flags: rng.next_u64() as u32,
        song_pos_beats: rng.next_u64() as i64,
        song_pos_seconds: rng.next_u64() as i64,
        tempo: wild(rng),
        tempo_inc: wild(rng),
        loop_start_beats: rng.next_u64() as i64,
        loop_end_beats: rng.next_u64() as i64,
        loop_start_seconds: rng.next_u64() as i64,
        loop_end_seconds: rng.next_u64() as i64,
        bar_start: rng.next_u64() as i64,
        bar_number: rng.next_u64() as i32,
        tsig_num: rng.next_u64() as u16,
        tsig_denom: rng.next_u64() as u16,
    };
    TransportEvent::from_raw(&raw)
}

#[test]
fn absent_and_fuzzed_transport_changes_neither_audio_nor_label() {
    let entry = load_entry();
    let (expected, file) = PHRASES[4];
    let (audio, rate) = phrase(file, 6.0);
    let mut rng = Rng::new(17);
    for fuzzed in [false, true] {
        let mut instance = Instance::new(entry);
        let mut processor = instance.start(rate, 512);
        let output = processor.run_with(&audio, &[512, 64, 300], Placement::OutOfPlace, |_, _| {
            BlockContext {
                transport: fuzzed.then(|| random_transport(&mut rng)),
                ..BlockContext::default()
            }
        });
        assert_bit_exact(&audio, &output, &format!("fuzzed transport: {fuzzed}"));
        assert_eq!(settled_label(&mut instance).as_deref(), Some(expected));
        instance.stop(processor);
    }
}
