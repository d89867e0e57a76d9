//! The file decoder never panics: random bytes and mutated valid files (WAV of several sample
//! formats, AIFF, a committed clip), under every extension the decoder takes a hint from, either
//! decode to well-formed audio or give an error. A panic that the decoder's own guard catches
//! counts as a failure too.
//!
//! proptest shrinks a failing case to a small one and records it in
//! `cli/tests/fuzz_decode.proptest-regressions`, which is rerun first from then on.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use track_labeler_cli::decode::{DecodedAudio, decode_file_limited};

const EXTENSIONS: [&str; 8] = ["wav", "aiff", "flac", "mp3", "ogg", "wv", "txt", ""];
/// How the containers the decoder knows begin, to get random bytes past the format probe.
const MAGIC: [&[u8]; 8] = [
    b"",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",
    b"FORM\x00\x00\x00\x00AIFF",
    b"fLaC",
    b"OggS\x00\x02",
    b"ID3\x04\x00",
    b"\xff\xfb\x90\x64",
    b"wvpk",
];
/// Bounds what a mutated header declaring hours of audio can make the decoder hold.
const MAX_SECONDS: f64 = 30.0;

fn wav(spec: hound::WavSpec, frames: usize) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..frames * usize::from(spec.channels) {
        let x = (i as f32 * 0.05).sin() * 0.5;
        match spec.sample_format {
            hound::SampleFormat::Float => writer.write_sample(x).unwrap(),
            hound::SampleFormat::Int => {
                let full_scale = (1i64 << (spec.bits_per_sample - 1)) as f32 - 1.0;
                writer.write_sample((x * full_scale) as i32).unwrap()
            }
        }
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

/// A minimal 16-bit mono AIFF: FORM header, COMM chunk (rate as an 80-bit float), SSND chunk.
fn aiff(frames: u32) -> Vec<u8> {
    let mut comm = Vec::new();
    comm.extend(1u16.to_be_bytes());
    comm.extend(frames.to_be_bytes());
    comm.extend(16u16.to_be_bytes());
    // 44100 as an IEEE 754 80-bit extended float.
    comm.extend([0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0]);
    let mut ssnd = vec![0u8; 8];
    for i in 0..frames {
        ssnd.extend((((i as f32 * 0.05).sin() * 16_000.0) as i16).to_be_bytes());
    }
    let mut body = b"AIFF".to_vec();
    for (id, chunk) in [(b"COMM", comm), (b"SSND", ssnd)] {
        body.extend(id);
        body.extend((chunk.len() as u32).to_be_bytes());
        body.extend(chunk);
    }
    let mut file = b"FORM".to_vec();
    file.extend((body.len() as u32).to_be_bytes());
    file.extend(body);
    file
}

/// Valid files to mutate.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let spec = |channels, bits, sample_format| hound::WavSpec {
            channels,
            sample_rate: 44_100,
            bits_per_sample: bits,
            sample_format,
        };
        let clip = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/clips/snare__sn_dolf.wav");
        vec![
            wav(spec(1, 16, hound::SampleFormat::Int), 2000),
            wav(spec(2, 24, hound::SampleFormat::Int), 1500),
            wav(spec(2, 8, hound::SampleFormat::Int), 1500),
            wav(spec(3, 32, hound::SampleFormat::Float), 1000),
            aiff(2000),
            std::fs::read(clip).expect("committed clip"),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at (position modulo length).
    Set(usize, u8),
    /// Write a little- or big-endian u32 (sizes, rates, counts) at a position.
    Word(usize, u32, bool),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let extreme = prop_oneof![
        Just(0u32),
        Just(1),
        Just(0x7fff_ffff),
        Just(u32::MAX),
        any::<u32>()
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (any::<usize>(), extreme, any::<bool>()).prop_map(|(at, w, le)| Mutation::Word(at, w, le)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Set(at, b) => {
                if let Some(x) = bytes.get_mut(at % len) {
                    *x = *b;
                }
            }
            Mutation::Word(at, word, little_endian) => {
                let word = if *little_endian {
                    word.to_le_bytes()
                } else {
                    word.to_be_bytes()
                };
                let at = (at % len).min(bytes.len());
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&word[..end - at]);
            }
            Mutation::Truncate(at) => bytes.truncate(at % len),
            Mutation::Insert(at, inserted) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, inserted.iter().copied());
            }
        }
    }
    bytes
}

/// Panics anywhere in this process, caught or not.
static PANICS: AtomicU64 = AtomicU64::new(0);

fn count_panics() {
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default_hook(info);
        }));
    });
}

/// Writes `bytes` to a fresh temporary file with the extension and decodes it.
fn decode_bytes(bytes: &[u8], extension: &str) -> Result<DecodedAudio, String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut path: PathBuf = std::env::temp_dir().join(format!(
        "track-labeler-fuzz-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    if !extension.is_empty() {
        path.set_extension(extension);
    }
    std::fs::write(&path, bytes).unwrap();
    count_panics();
    let panics_before = PANICS.load(Ordering::SeqCst);
    let decoded = decode_file_limited(&path, Some(MAX_SECONDS)).map_err(|e| e.to_string());
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        panics_before,
        "the decoder panicked: {decoded:?}"
    );
    decoded
}

fn assert_well_formed(result: &Result<DecodedAudio, String>) {
    match result {
        Ok(audio) => {
            assert!(audio.sample_rate > 0);
            assert!(!audio.channels.is_empty());
            assert!(audio.channels.iter().all(|c| c.len() == audio.frames()));
            assert!(audio.channels.iter().flatten().all(|x| x.is_finite()));
        }
        Err(message) => assert!(!message.is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn mutated_audio_files_decode_or_fail_cleanly(
        seed in 0..6usize,
        mutations in prop::collection::vec(mutation(), 1..6),
        extension in prop::sample::select(&EXTENSIONS[..]),
    ) {
        let bytes = mutate(seeds()[seed].clone(), &mutations);
        assert_well_formed(&decode_bytes(&bytes, extension));
    }

    #[test]
    fn random_bytes_behind_audio_magic_decode_or_fail_cleanly(
        magic in prop::sample::select(&MAGIC[..]),
        tail in prop::collection::vec(any::<u8>(), 0..4096),
        extension in prop::sample::select(&EXTENSIONS[..]),
    ) {
        let bytes: Vec<u8> = magic.iter().copied().chain(tail).collect();
        assert_well_formed(&decode_bytes(&bytes, extension));
    }
}

#[test]
fn the_seeds_themselves_decode() {
    for (i, seed) in seeds().iter().enumerate() {
        let audio = decode_bytes(seed, "wav").unwrap_or_else(|e| panic!("seed {i}: {e}"));
        assert!(audio.frames() > 0, "seed {i}");
    }
}
