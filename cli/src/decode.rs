//! Reading an audio file of any common format into planar `f32` samples.
//!
//! Formats: WAV (8/16/24/32-bit integer PCM, 32/64-bit float, A-law/µ-law and ADPCM), AIFF,
//! FLAC, MP3 and Ogg Vorbis, with any channel count and sample rate. The container is recognised
//! from the file's content, not its extension. Also read: RIFF WAVE files that wrap an Ogg Vorbis
//! stream (format tag `0x674f` and relatives, as some sample packs ship them). Not read: WavPack
//! (reported as [`DecodeError::Unsupported`]).
//!
//! Decoding never panics on malformed input. A packet that fails to decode is skipped, as a
//! player would; a file that ends early (truncated) yields the audio before the cut. A file that
//! yields no samples at all is an error.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use symphonia::core::audio::conv::FromSample;
use symphonia::core::audio::sample::i24;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

/// Decoded audio: one `Vec` of samples per channel (planar), all of the same length, as `f32` in
/// `[-1, 1]` (float files may exceed it; non-finite samples are replaced by `0.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    pub channels: Vec<Vec<f32>>,
    pub sample_rate: u32,
}

impl DecodedAudio {
    /// Number of sample frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// The mean of all channels, frame by frame.
    pub fn to_mono(&self) -> Vec<f32> {
        match self.channels.len() {
            0 => Vec::new(),
            1 => self.channels[0].clone(),
            n => {
                let frames = self.frames();
                let scale = 1.0 / n as f32;
                let mut mono = vec![0.0f32; frames];
                for channel in &self.channels {
                    for (m, &s) in mono.iter_mut().zip(channel) {
                        *m += s;
                    }
                }
                for m in &mut mono {
                    *m *= scale;
                }
                mono
            }
        }
    }

    /// The audio with its channels mixed into one by [`DecodedAudio::to_mono`].
    fn into_mono(self) -> Self {
        match self.channels.len() {
            0 | 1 => self,
            _ => Self {
                channels: vec![self.to_mono()],
                sample_rate: self.sample_rate,
            },
        }
    }

    /// Length in seconds (0 if the sample rate is 0).
    pub fn duration_seconds(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.frames() as f64 / f64::from(self.sample_rate)
        }
    }
}

/// Why a file could not be decoded. Every variant names the file; `Display` gives a message fit
/// for an end user.
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeError {
    /// The file could not be opened or read (missing, permissions, I/O failure).
    Open { path: PathBuf, source: io::Error },
    /// Not an audio file, or an audio format or codec this program cannot read.
    Unsupported { path: PathBuf, reason: String },
    /// A media container without any audio track.
    NoAudioTrack { path: PathBuf },
    /// The file looks like audio but its data is damaged or cut short, and nothing decodable
    /// came out of it.
    Corrupt { path: PathBuf, reason: String },
    /// The file decodes cleanly but holds no samples (a zero-byte file, or zero frames).
    Empty { path: PathBuf },
}

impl DecodeError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            DecodeError::Open { path, .. }
            | DecodeError::Unsupported { path, .. }
            | DecodeError::NoAudioTrack { path }
            | DecodeError::Corrupt { path, .. }
            | DecodeError::Empty { path } => path,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Open { path, source } => {
                write!(f, "cannot open or read \"{}\": {source}", path.display())
            }
            DecodeError::Unsupported { path, reason } => write!(
                f,
                "\"{}\" is not audio in a supported format \
                 (WAV, AIFF, FLAC, MP3, Ogg Vorbis): {reason}",
                path.display()
            ),
            DecodeError::NoAudioTrack { path } => {
                write!(f, "\"{}\" contains no audio track", path.display())
            }
            DecodeError::Corrupt { path, reason } => write!(
                f,
                "\"{}\" is corrupt or truncated (no audio could be decoded): {reason}",
                path.display()
            ),
            DecodeError::Empty { path } => {
                write!(
                    f,
                    "\"{}\" contains no audio samples (empty file)",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Open { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Decodes a whole audio file. See the module documentation for the formats read and the
/// handling of damaged files.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, DecodeError> {
    decode(path, None, Channels::Planar)
}

/// Like [`decode_file`], with the channels mixed into one: the samples
/// [`DecodedAudio::to_mono`] would give. Plain WAV files are mixed as they are read.
pub fn decode_file_mono(path: &Path) -> Result<DecodedAudio, DecodeError> {
    decode(path, None, Channels::Mono)
}

/// Like [`decode_file`], but stops after `max_seconds` of audio (if given), which bounds the
/// memory a very long file can take.
pub fn decode_file_limited(
    path: &Path,
    max_seconds: Option<f64>,
) -> Result<DecodedAudio, DecodeError> {
    decode(path, max_seconds, Channels::Planar)
}

/// The channels a decode delivers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Channels {
    /// Every channel of the file.
    Planar,
    /// One channel, their mean.
    Mono,
}

fn decode(
    path: &Path,
    max_seconds: Option<f64>,
    channels: Channels,
) -> Result<DecodedAudio, DecodeError> {
    let open_err = |source| DecodeError::Open {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(open_err)?;
    let meta = file.metadata().map_err(open_err)?;
    if meta.is_dir() {
        return Err(open_err(io::Error::other("it is a folder, not a file")));
    }
    if meta.len() == 0 {
        return Err(DecodeError::Empty {
            path: path.to_path_buf(),
        });
    }

    let mut head = vec![0u8; HEAD_BYTES];
    let head_len = read_up_to(&mut file, &mut head).map_err(open_err)?;
    let head = &head[..head_len];
    // Plain PCM and float WAV, the bulk of sample libraries, is read directly: symphonia's
    // packet-by-packet path takes twice as long. Anything else, and any read failure here,
    // takes the general path below, which also reports the errors.
    if let Some(layout) = PlainWav::parse(head, meta.len())
        && let Ok(audio) = layout.read(&mut file, max_seconds, channels)
        && audio.frames() > 0
    {
        return Ok(audio);
    }
    file.seek(SeekFrom::Start(0)).map_err(open_err)?;

    if head.starts_with(b"wvpk") {
        return Err(DecodeError::Unsupported {
            path: path.to_path_buf(),
            reason: "WavPack is not supported".into(),
        });
    }
    let is_riff_wave = head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE";

    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let first = guarded(path, || {
        decode_source(Box::new(file), &hint, path, max_seconds)
    });
    let audio = match first {
        // Some WAV files wrap an Ogg Vorbis stream, which the WAV reader rejects: decode the
        // `data` chunk as Ogg instead.
        Err(DecodeError::Unsupported { .. } | DecodeError::Corrupt { .. }) if is_riff_wave => {
            match riff_embedded_ogg(path) {
                Ok(Some(ogg)) => {
                    let mut ogg_hint = Hint::new();
                    ogg_hint.with_extension("ogg");
                    let cursor = io::Cursor::new(ogg);
                    guarded(path, || {
                        decode_source(Box::new(cursor), &ogg_hint, path, max_seconds)
                    })
                }
                Ok(None) => first,
                Err(source) => Err(DecodeError::Open {
                    path: path.to_path_buf(),
                    source,
                }),
            }
        }
        other => other,
    };
    match channels {
        Channels::Planar => audio,
        Channels::Mono => audio.map(DecodedAudio::into_mono),
    }
}

/// Runs `f`, turning a panic inside a codec into a [`DecodeError::Corrupt`] so that no input
/// can bring the caller down.
fn guarded(
    path: &Path,
    f: impl FnOnce() -> Result<DecodedAudio, DecodeError>,
) -> Result<DecodedAudio, DecodeError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(DecodeError::Corrupt {
            path: path.to_path_buf(),
            reason: "the decoder failed on malformed data".into(),
        })
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Maps an error met before any audio was decoded.
fn classify(path: &Path, err: SymError) -> DecodeError {
    let path = path.to_path_buf();
    match err {
        SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => DecodeError::Corrupt {
            path,
            reason: "the file ends unexpectedly".into(),
        },
        SymError::IoError(source) => DecodeError::Open { path, source },
        SymError::Unsupported(what) if what.contains("probe") => DecodeError::Unsupported {
            path,
            reason: "not an audio file, or an unknown format".into(),
        },
        SymError::Unsupported(what) => DecodeError::Unsupported {
            path,
            reason: format!("unsupported codec or feature ({what})"),
        },
        SymError::DecodeError(what) => DecodeError::Corrupt {
            path,
            reason: what.into(),
        },
        SymError::LimitError(what) => DecodeError::Corrupt {
            path,
            reason: format!("limit exceeded: {what}"),
        },
        other => DecodeError::Corrupt {
            path,
            reason: other.to_string(),
        },
    }
}

/// The audio track to decode and its parameters: the container's default audio track, else the
/// first with audio parameters.
fn select_track(format: &dyn FormatReader) -> Option<(u32, AudioCodecParameters)> {
    let track = format.default_track(TrackType::Audio).or_else(|| {
        format
            .tracks()
            .iter()
            .find(|t| t.codec_params.as_ref().is_some_and(|p| p.is_audio()))
    })?;
    let params = track.codec_params.as_ref()?.audio()?.clone();
    Some((track.id, params))
}

fn make_decoder(params: &AudioCodecParameters) -> Result<Box<dyn AudioDecoder>, SymError> {
    symphonia::default::get_codecs().make_audio_decoder(params, &AudioDecoderOptions::default())
}

/// Upper bound on `ResetRequired` round trips, so a pathological stream cannot loop forever.
const MAX_RESETS: usize = 16;

fn decode_source(
    source: Box<dyn MediaSource>,
    hint: &Hint,
    path: &Path,
    max_seconds: Option<f64>,
) -> Result<DecodedAudio, DecodeError> {
    let mss = MediaSourceStream::new(source, Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| classify(path, e))?;

    let (mut track_id, mut params) =
        select_track(format.as_ref()).ok_or_else(|| DecodeError::NoAudioTrack {
            path: path.to_path_buf(),
        })?;
    let mut decoder = make_decoder(&params).map_err(|e| classify(path, e))?;

    let mut channels: Vec<Vec<f32>> = Vec::new();
    let mut sample_rate = 0u32;
    let mut max_frames = usize::MAX;
    let mut scratch: Vec<Vec<f32>> = Vec::new();
    // The first error that ended decoding, or the last per-packet error that was skipped:
    // reported if the file yields no samples at all.
    let mut last_error: Option<SymError> = None;
    let mut resets = 0;

    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(SymError::ResetRequired) => {
                // The track list changed (e.g. a chained Ogg stream): pick the track again.
                resets += 1;
                if resets > MAX_RESETS {
                    break;
                }
                match select_track(format.as_ref()) {
                    Some((id, p)) => {
                        track_id = id;
                        params = p;
                    }
                    None => break,
                }
                match make_decoder(&params) {
                    Ok(d) => decoder = d,
                    Err(e) => {
                        last_error = Some(e);
                        break;
                    }
                }
                continue;
            }
            Err(e) => {
                // Unrecoverable for the container (e.g. a truncated file): keep what was decoded.
                last_error = Some(e);
                break;
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                let planes = buf.num_planes();
                if buf.frames() == 0 || planes == 0 {
                    continue;
                }
                let rate = match buf.spec().rate() {
                    0 => params.sample_rate.unwrap_or(0),
                    r => r,
                };
                if channels.is_empty() {
                    if rate == 0 {
                        last_error = Some(SymError::DecodeError("the sample rate is 0"));
                        break;
                    }
                    sample_rate = rate;
                    channels = vec![Vec::new(); planes];
                    max_frames = frame_limit(max_seconds, rate);
                } else if planes != channels.len() || rate != sample_rate {
                    // The stream changed its layout mid-way: keep the first part only.
                    break;
                }
                buf.copy_to_vecs_planar::<f32>(&mut scratch);
                for (dst, src) in channels.iter_mut().zip(&scratch) {
                    dst.extend(src.iter().map(|&s| if s.is_finite() { s } else { 0.0 }));
                }
                if channels[0].len() >= max_frames {
                    for ch in &mut channels {
                        ch.truncate(max_frames);
                    }
                    break;
                }
            }
            // A bad packet: skip it and carry on with the next one.
            Err(e @ (SymError::DecodeError(_) | SymError::IoError(_))) => last_error = Some(e),
            // The decoder asks to be reset; the buffer layout may change afterwards.
            Err(SymError::ResetRequired) => {
                resets += 1;
                if resets > MAX_RESETS {
                    break;
                }
                decoder.reset();
            }
            Err(e) => {
                last_error = Some(e);
                break;
            }
        }
    }

    if channels.first().is_none_or(Vec::is_empty) {
        return Err(match last_error {
            Some(e) => classify(path, e),
            None => DecodeError::Empty {
                path: path.to_path_buf(),
            },
        });
    }
    // A genuine read failure (not a cut-short file) is reported even after partial success.
    if let Some(SymError::IoError(e)) = last_error
        && e.kind() != io::ErrorKind::UnexpectedEof
        && e.kind() != io::ErrorKind::InvalidData
    {
        return Err(DecodeError::Open {
            path: path.to_path_buf(),
            source: e,
        });
    }
    Ok(DecodedAudio {
        channels,
        sample_rate,
    })
}

/// Frames `max_seconds` of audio at `rate` amount to (rounded up); no limit without one.
fn frame_limit(max_seconds: Option<f64>, rate: u32) -> usize {
    max_seconds.map_or(usize::MAX, |limit| {
        (limit.max(0.0) * f64::from(rate)).ceil() as usize
    })
}

/// Bytes read from the start of every file: its magic number and, for WAV, the chunks before
/// the audio data.
const HEAD_BYTES: usize = 64 * 1024;

/// How a plain WAV file codes its samples: the PCM and IEEE float encodings symphonia reads
/// from format tags 1 and 3.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WavSamples {
    U8,
    S16,
    S24,
    S32,
    F32,
    F64,
}

impl WavSamples {
    fn from_format(tag: u16, bits: u16) -> Option<Self> {
        Some(match (tag, bits) {
            (WAVE_FORMAT_PCM, 8) => Self::U8,
            (WAVE_FORMAT_PCM, 16) => Self::S16,
            (WAVE_FORMAT_PCM, 24) => Self::S24,
            (WAVE_FORMAT_PCM, 32) => Self::S32,
            (WAVE_FORMAT_IEEE_FLOAT, 32) => Self::F32,
            (WAVE_FORMAT_IEEE_FLOAT, 64) => Self::F64,
            _ => return None,
        })
    }

    fn bytes(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::S16 => 2,
            Self::S24 => 3,
            Self::S32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }
}

const WAVE_FORMAT_PCM: u16 = 1;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 3;

/// A RIFF WAVE file of plain interleaved PCM or float samples whose `data` chunk is complete:
/// the files [`PlainWav::read`] decodes exactly as symphonia would, without its per-packet
/// work. Files with anything unusual (other codecs, WAVE_FORMAT_EXTENSIBLE, a short or ragged
/// `data` chunk, odd-sized chunks, headers beyond [`HEAD_BYTES`]) are left to symphonia.
#[derive(Debug, Clone, PartialEq)]
struct PlainWav {
    samples: WavSamples,
    channels: usize,
    sample_rate: u32,
    data_start: u64,
    frames: usize,
}

impl PlainWav {
    /// The layout of the file whose first bytes are `head` and whose length is `file_len`.
    fn parse(head: &[u8], file_len: u64) -> Option<Self> {
        if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
            return None;
        }
        let u16_at =
            |pos: usize| Some(u16::from_le_bytes(head.get(pos..pos + 2)?.try_into().ok()?));
        let u32_at =
            |pos: usize| Some(u32::from_le_bytes(head.get(pos..pos + 4)?.try_into().ok()?));
        let riff_end = u64::from(u32_at(4)?) + 8;
        let mut format: Option<(WavSamples, usize, u32)> = None;
        let mut pos = 12usize;
        loop {
            let id = head.get(pos..pos + 4)?;
            let size = u32_at(pos + 4)? as usize;
            let body = pos + 8;
            if id == b"data" {
                let (samples, channels, sample_rate) = format?;
                let block = samples.bytes() * channels;
                let data_end = body as u64 + size as u64;
                if size == 0
                    || !size.is_multiple_of(block)
                    || data_end > file_len
                    || data_end > riff_end
                {
                    return None;
                }
                return Some(Self {
                    samples,
                    channels,
                    sample_rate,
                    data_start: body as u64,
                    frames: size / block,
                });
            }
            if id == b"fmt " {
                let tag = u16_at(body)?;
                let channels = u16_at(body + 2)?;
                let sample_rate = u32_at(body + 4)?;
                let block_align = u16_at(body + 12)?;
                let bits = u16_at(body + 14)?;
                // The fmt chunk lengths symphonia accepts for these tags; a float chunk's
                // extension must be empty.
                let extension_ok = match size {
                    16 | 40 => true,
                    18 => tag == WAVE_FORMAT_PCM || u16_at(body + 16)? == 0,
                    _ => false,
                };
                let samples = WavSamples::from_format(tag, bits)?;
                if !extension_ok
                    || format.is_some()
                    || !(1..=8).contains(&channels)
                    || sample_rate == 0
                    || usize::from(block_align) != samples.bytes() * usize::from(channels)
                {
                    return None;
                }
                format = Some((samples, usize::from(channels), sample_rate));
            }
            // Chunks are padded to an even size; odd ones are rare enough to leave to symphonia.
            if !size.is_multiple_of(2) {
                return None;
            }
            pos = body.checked_add(size)?;
        }
    }

    /// Reads the samples (at most `max_seconds` of them) from `file`.
    fn read(
        &self,
        file: &mut File,
        max_seconds: Option<f64>,
        channels: Channels,
    ) -> io::Result<DecodedAudio> {
        let frames = self.frames.min(frame_limit(max_seconds, self.sample_rate));
        let len = frames * self.channels * self.samples.bytes();
        file.seek(SeekFrom::Start(self.data_start))?;
        // Read into spare capacity: zeroing a buffer the read overwrites costs a pass of its own.
        let mut data = Vec::with_capacity(len);
        file.take(len as u64).read_to_end(&mut data)?;
        if data.len() < len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        // The same conversions symphonia's PCM decoder and `copy_to_vecs_planar` apply, so both
        // paths give identical samples. Integers always convert to finite values: only floats
        // need the check.
        let split = Split {
            data: &data,
            channels: self.channels,
            mono: channels == Channels::Mono,
        };
        let channels = match self.samples {
            WavSamples::U8 => split.convert(|[b]: [u8; 1]| f32::from_sample(b)),
            WavSamples::S16 => split.convert(|b| f32::from_sample(i16::from_le_bytes(b))),
            WavSamples::S24 => split.convert(|[b0, b1, b2]: [u8; 3]| {
                // Sign-extend the 24-bit value.
                f32::from_sample(i24::from(i32::from_le_bytes([0, b0, b1, b2]) >> 8))
            }),
            WavSamples::S32 => split.convert(|b| f32::from_sample(i32::from_le_bytes(b))),
            WavSamples::F32 => split.convert(|b| finite_or_zero(f32::from_le_bytes(b))),
            WavSamples::F64 => {
                split.convert(|b| finite_or_zero(f32::from_sample(f64::from_le_bytes(b))))
            }
        };
        Ok(DecodedAudio {
            channels,
            sample_rate: self.sample_rate,
        })
    }
}

/// Interleaved frames of `channels` samples to split into one `Vec` per channel, or to mix into
/// one (`mono`).
struct Split<'a> {
    data: &'a [u8],
    channels: usize,
    mono: bool,
}

impl Split<'_> {
    /// The channels, each sample of `W` bytes converted with `convert`.
    fn convert<const W: usize>(&self, convert: impl Fn([u8; W]) -> f32) -> Vec<Vec<f32>> {
        let (samples, _) = self.data.as_chunks::<W>();
        if self.mono {
            // A fixed channel count lets each frame's sum unroll and the loop vectorise.
            let mixed = match self.channels {
                1 => samples.iter().map(|&b| convert(b)).collect(),
                2 => mix::<W, 2>(samples, convert),
                3 => mix::<W, 3>(samples, convert),
                4 => mix::<W, 4>(samples, convert),
                5 => mix::<W, 5>(samples, convert),
                6 => mix::<W, 6>(samples, convert),
                7 => mix::<W, 7>(samples, convert),
                8 => mix::<W, 8>(samples, convert),
                n => unreachable!("a plain WAV file has 1 to 8 channels, not {n}"),
            };
            return vec![mixed];
        }
        (0..self.channels)
            .map(|channel| {
                samples
                    .iter()
                    .skip(channel)
                    .step_by(self.channels)
                    .map(|&b| convert(b))
                    .collect()
            })
            .collect()
    }
}

/// Interleaved frames of `C` samples mixed into one: summed from zero in channel order and then
/// scaled, as `to_mono` does, so the same bits without the planar copies.
fn mix<const W: usize, const C: usize>(
    samples: &[[u8; W]],
    convert: impl Fn([u8; W]) -> f32,
) -> Vec<f32> {
    let scale = 1.0 / C as f32;
    let (frames, _) = samples.as_chunks::<C>();
    frames
        .iter()
        .map(|frame| frame.iter().fold(0.0, |sum, &b| sum + convert(b)) * scale)
        .collect()
}

/// Non-finite float samples are read as silence.
fn finite_or_zero(sample: f32) -> f32 {
    if sample.is_finite() { sample } else { 0.0 }
}

/// Largest RIFF file read into memory to look for an embedded Ogg stream.
const MAX_EMBEDDED_BYTES: u64 = 512 * 1024 * 1024;

/// If `path` is a RIFF WAVE file whose `data` chunk holds an Ogg stream, returns that stream.
fn riff_embedded_ogg(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_EMBEDDED_BYTES).read_to_end(&mut bytes)?;
    Ok(find_riff_chunk(&bytes, b"data")
        .filter(|data| data.starts_with(b"OggS"))
        .map(<[u8]>::to_vec))
}

/// The body of the first chunk `id` in a RIFF WAVE file (clipped to the file if it is cut
/// short), walking the chunk list without trusting any size beyond the bytes present.
fn find_riff_chunk<'a>(bytes: &'a [u8], id: &[u8; 4]) -> Option<&'a [u8]> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut pos = 12usize;
    while pos.checked_add(8)? <= bytes.len() {
        let chunk_id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().ok()?) as usize;
        let body_start = pos + 8;
        let body_end = body_start.saturating_add(size).min(bytes.len());
        if chunk_id == id {
            return Some(&bytes[body_start..body_end]);
        }
        // Chunks are padded to an even size.
        pos = body_start.checked_add(size)?.checked_add(size & 1)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A scratch folder removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "track-labeler-decode-{name}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
        fn file(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A deterministic test signal in [-0.9, 0.9] that differs per channel.
    fn signal(frames: usize, channel: usize, rate: u32) -> Vec<f32> {
        let f = 220.0 * (channel + 1) as f32;
        (0..frames)
            .map(|i| 0.9 * (std::f32::consts::TAU * f * i as f32 / rate as f32).sin())
            .collect()
    }

    fn write_wav_int(path: &Path, bits: u16, rate: u32, planar: &[Vec<f32>]) {
        let spec = hound::WavSpec {
            channels: planar.len() as u16,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        let full = ((1i64 << (bits - 1)) - 1) as f32;
        for i in 0..planar[0].len() {
            for ch in planar {
                let v = (ch[i] * full).round() as i32;
                if bits == 8 {
                    w.write_sample(v as i8).unwrap();
                } else {
                    w.write_sample(v).unwrap();
                }
            }
        }
        w.finalize().unwrap();
    }

    fn write_wav_f32(path: &Path, rate: u32, planar: &[Vec<f32>]) {
        let spec = hound::WavSpec {
            channels: planar.len() as u16,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..planar[0].len() {
            for ch in planar {
                w.write_sample(ch[i]).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    /// hound cannot write 64-bit float: a minimal IEEE-float WAV by hand.
    fn write_wav_f64(path: &Path, rate: u32, planar: &[Vec<f32>]) {
        let nch = planar.len() as u16;
        let frames = planar[0].len();
        let data_len = (frames * planar.len() * 8) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(4 + 8 + 16 + 8 + data_len).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes()); // WAVE_FORMAT_IEEE_FLOAT
        b.extend_from_slice(&nch.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * u32::from(nch) * 8).to_le_bytes());
        b.extend_from_slice(&(nch * 8).to_le_bytes());
        b.extend_from_slice(&64u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data_len.to_le_bytes());
        for i in 0..frames {
            for ch in planar {
                b.extend_from_slice(&f64::from(ch[i]).to_le_bytes());
            }
        }
        std::fs::write(path, b).unwrap();
    }

    /// A minimal 16-bit AIFF (big-endian, 80-bit extended sample rate).
    fn write_aiff16(path: &Path, rate: u32, planar: &[Vec<f32>]) {
        let nch = planar.len() as u16;
        let frames = planar[0].len() as u32;
        let ssnd_len = 8 + frames * u32::from(nch) * 2;
        let mut b = Vec::new();
        b.extend_from_slice(b"FORM");
        b.extend_from_slice(&(4 + 8 + 18 + 8 + ssnd_len).to_be_bytes());
        b.extend_from_slice(b"AIFFCOMM");
        b.extend_from_slice(&18u32.to_be_bytes());
        b.extend_from_slice(&nch.to_be_bytes());
        b.extend_from_slice(&frames.to_be_bytes());
        b.extend_from_slice(&16u16.to_be_bytes());
        // 80-bit extended: exponent then 64-bit mantissa with explicit integer bit.
        let exp = 31 - rate.leading_zeros();
        b.extend_from_slice(&((16383 + exp) as u16).to_be_bytes());
        b.extend_from_slice(&((u64::from(rate)) << (63 - exp)).to_be_bytes());
        b.extend_from_slice(b"SSND");
        b.extend_from_slice(&ssnd_len.to_be_bytes());
        b.extend_from_slice(&[0u8; 8]);
        for i in 0..frames as usize {
            for ch in planar {
                b.extend_from_slice(&((ch[i] * 32767.0).round() as i16).to_be_bytes());
            }
        }
        std::fs::write(path, b).unwrap();
    }

    fn assert_close(decoded: &DecodedAudio, expected: &[Vec<f32>], rate: u32, tol: f32) {
        assert_eq!(decoded.sample_rate, rate);
        assert_eq!(decoded.channels.len(), expected.len());
        for (d, e) in decoded.channels.iter().zip(expected) {
            assert_eq!(d.len(), e.len());
            let worst = d
                .iter()
                .zip(e)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst <= tol, "max error {worst} > {tol}");
        }
    }

    fn planar(channels: usize, frames: usize, rate: u32) -> Vec<Vec<f32>> {
        (0..channels).map(|c| signal(frames, c, rate)).collect()
    }

    #[test]
    fn wav_integer_depths_round_trip() {
        let dir = TempDir::new("int");
        for (bits, tol) in [(8u16, 1.0 / 64.0), (16, 1e-4), (24, 1e-6), (32, 1e-6)] {
            let path = dir.file(&format!("s{bits}.wav"));
            let x = planar(1, 4410, 44_100);
            write_wav_int(&path, bits, 44_100, &x);
            let d = decode_file(&path).unwrap_or_else(|e| panic!("{bits}-bit: {e}"));
            assert_close(&d, &x, 44_100, tol);
        }
    }

    #[test]
    fn wav_float_round_trip() {
        let dir = TempDir::new("float");
        let x = planar(2, 3000, 48_000);
        let p32 = dir.file("f32.wav");
        write_wav_f32(&p32, 48_000, &x);
        assert_close(&decode_file(&p32).unwrap(), &x, 48_000, 1e-7);
        let p64 = dir.file("f64.wav");
        write_wav_f64(&p64, 48_000, &x);
        assert_close(&decode_file(&p64).unwrap(), &x, 48_000, 1e-7);
    }

    #[test]
    fn stereo_and_many_channels_stay_planar() {
        let dir = TempDir::new("stereo");
        for n in [2usize, 6] {
            let x = planar(n, 1000, 44_100);
            let path = dir.file(&format!("c{n}.wav"));
            write_wav_int(&path, 16, 44_100, &x);
            let d = decode_file(&path).unwrap();
            assert_close(&d, &x, 44_100, 1e-4);
            let mono = d.to_mono();
            assert_eq!(mono.len(), 1000);
            let expect = (0..n).map(|c| d.channels[c][10]).sum::<f32>() / n as f32;
            assert!((mono[10] - expect).abs() < 1e-6);
        }
    }

    #[test]
    fn mono_decoding_gives_the_bits_of_to_mono() {
        let dir = TempDir::new("mono");
        let x = planar(8, 1000, 44_100);
        // Signed zeros, and in float files values that are not finite, which become zeros.
        let mut special = x.clone();
        special[0][..4].copy_from_slice(&[-0.0, f32::NAN, f32::INFINITY, -0.0]);
        special[1][..4].copy_from_slice(&[-0.0, 0.5, -0.0, -0.0]);
        let mut files = Vec::new();
        for n in [1, 2, 3, 6, 8] {
            let path = dir.file(&format!("i{n}.wav"));
            write_wav_int(&path, 16, 44_100, &x[..n]);
            files.push(path);
            let path = dir.file(&format!("f{n}.wav"));
            write_wav_f32(&path, 44_100, &special[..n]);
            files.push(path);
        }
        // Not plain WAV: mixed after decoding.
        let path = dir.file("s.aiff");
        write_aiff16(&path, 44_100, &x[..2]);
        files.push(path);
        let bits = |samples: &[f32]| samples.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
        for path in &files {
            let planar = decode_file(path).unwrap();
            let mono = decode_file_mono(path).unwrap();
            assert_eq!(mono.sample_rate, planar.sample_rate);
            assert_eq!(mono.channels.len(), 1, "{}", path.display());
            assert_eq!(bits(&mono.channels[0]), bits(&planar.to_mono()));
        }
    }

    #[test]
    fn unusual_sample_rates() {
        let dir = TempDir::new("rates");
        for rate in [8_000u32, 96_000] {
            let x = planar(1, rate as usize / 2, rate);
            let path = dir.file(&format!("r{rate}.wav"));
            write_wav_int(&path, 16, rate, &x);
            let d = decode_file(&path).unwrap();
            assert_close(&d, &x, rate, 1e-4);
            assert!((d.duration_seconds() - 0.5).abs() < 1e-9);
        }
    }

    #[test]
    fn aiff_round_trip() {
        let dir = TempDir::new("aiff");
        let x = planar(2, 2205, 22_050);
        let path = dir.file("t.aiff");
        write_aiff16(&path, 22_050, &x);
        assert_close(&decode_file(&path).unwrap(), &x, 22_050, 1e-4);
    }

    #[test]
    fn content_decides_not_extension() {
        let dir = TempDir::new("ext");
        let x = planar(1, 500, 44_100);
        let path = dir.file("actually-a-wav.mp3");
        write_wav_int(&path, 16, 44_100, &x);
        assert_close(&decode_file(&path).unwrap(), &x, 44_100, 1e-4);
    }

    #[test]
    fn truncated_wav_gives_the_audio_before_the_cut() {
        let dir = TempDir::new("trunc");
        let x = planar(2, 10_000, 44_100);
        let full = dir.file("full.wav");
        write_wav_int(&full, 16, 44_100, &x);
        let bytes = std::fs::read(&full).unwrap();
        let cut = dir.file("cut.wav");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let d = decode_file(&cut).unwrap();
        assert_eq!(d.channels.len(), 2);
        assert!(
            d.frames() > 1000 && d.frames() < 10_000,
            "{} frames",
            d.frames()
        );
        for (a, b) in d.channels[0].iter().zip(&x[0]) {
            assert!((a - b).abs() < 1e-4);
        }
        // Cut inside the header: an error, not a panic.
        let hdr = dir.file("hdr.wav");
        std::fs::write(&hdr, &bytes[..30]).unwrap();
        let e = decode_file(&hdr).unwrap_err();
        assert!(!e.to_string().is_empty());
    }

    #[test]
    fn header_only_wav_is_empty() {
        let dir = TempDir::new("hdronly");
        let path = dir.file("zero.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(&path, spec)
            .unwrap()
            .finalize()
            .unwrap();
        let e = decode_file(&path).unwrap_err();
        assert!(
            matches!(e, DecodeError::Empty { .. } | DecodeError::Corrupt { .. }),
            "{e:?}"
        );
    }

    #[test]
    fn empty_file_is_empty() {
        let dir = TempDir::new("empty");
        let path = dir.file("empty.wav");
        std::fs::write(&path, b"").unwrap();
        let e = decode_file(&path).unwrap_err();
        assert!(matches!(e, DecodeError::Empty { .. }), "{e:?}");
        assert!(e.to_string().contains("empty.wav"));
    }

    #[test]
    fn missing_file_cannot_be_opened() {
        let e = decode_file(Path::new("/nonexistent/definitely/not/here.wav")).unwrap_err();
        assert!(matches!(e, DecodeError::Open { .. }), "{e:?}");
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.to_string().contains("here.wav"));
    }

    #[test]
    fn text_and_random_bytes_are_errors_not_panics() {
        let dir = TempDir::new("random");
        let text = dir.file("notes.txt");
        std::fs::write(&text, "this is not audio\n".repeat(100)).unwrap();
        assert!(matches!(
            decode_file(&text),
            Err(DecodeError::Unsupported { .. })
        ));

        // xorshift: deterministic noise of various lengths, and noise behind audio headers.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        let headers: [&[u8]; 6] = [
            b"",
            b"RIFF\x24\x08\x00\x00WAVEfmt ",
            b"fLaC",
            b"OggS\x00\x02",
            b"FORM\x00\x00\x10\x00AIFFCOMM",
            b"ID3\x03\x00\x00\x00\x00\x00\x00",
        ];
        for (i, len) in [1usize, 7, 64, 1000, 20_000, 200_000]
            .into_iter()
            .enumerate()
        {
            for (h, header) in headers.iter().enumerate() {
                let mut bytes = header.to_vec();
                bytes.extend((0..len).map(|_| rnd()));
                let path = dir.file(&format!("noise{i}-{h}.wav"));
                let mut f = File::create(&path).unwrap();
                f.write_all(&bytes).unwrap();
                drop(f);
                // Must return (either way) without panicking; errors must name the file.
                if let Err(e) = decode_file(&path) {
                    assert!(e.to_string().contains("noise"), "{e}");
                }
            }
        }
    }

    #[test]
    fn wavpack_is_reported_unsupported() {
        let dir = TempDir::new("wv");
        let path = dir.file("organ.wav");
        let mut b = b"wvpk".to_vec();
        b.extend_from_slice(&[0u8; 60]);
        std::fs::write(&path, b).unwrap();
        let e = decode_file(&path).unwrap_err();
        assert!(matches!(e, DecodeError::Unsupported { .. }), "{e:?}");
        assert!(e.to_string().contains("WavPack"));
    }

    #[test]
    fn limit_stops_early() {
        let dir = TempDir::new("limit");
        let x = planar(1, 44_100, 44_100);
        let path = dir.file("one-second.wav");
        write_wav_int(&path, 16, 44_100, &x);
        let d = decode_file_limited(&path, Some(0.25)).unwrap();
        assert_eq!(d.frames(), 11_025);
        let e = decode_file_limited(&path, Some(0.0)).unwrap_err();
        assert!(matches!(e, DecodeError::Empty { .. }), "{e:?}");
    }

    /// Decodes through symphonia alone, as every file was before the plain WAV path.
    fn via_symphonia(path: &Path, max_seconds: Option<f64>) -> DecodedAudio {
        let file = File::open(path).unwrap();
        decode_source(Box::new(file), &Hint::new(), path, max_seconds).unwrap()
    }

    #[test]
    fn plain_wav_path_gives_exactly_the_samples_symphonia_gives() {
        let dir = TempDir::new("plain");
        let x = planar(2, 5000, 48_000);
        let mut files = Vec::new();
        for bits in [8u16, 16, 24, 32] {
            let path = dir.file(&format!("i{bits}.wav"));
            write_wav_int(&path, bits, 48_000, &x);
            files.push(path);
        }
        let path = dir.file("f32.wav");
        write_wav_f32(&path, 48_000, &x);
        files.push(path);
        let path = dir.file("f64.wav");
        write_wav_f64(&path, 48_000, &x);
        files.push(path);
        for path in &files {
            // hound writes 24 and 32 bits as WAVE_FORMAT_EXTENSIBLE, which symphonia reads
            // alone: relabel those as plain PCM or float (a 40-byte fmt chunk is allowed).
            let mut bytes = std::fs::read(path).unwrap();
            if bytes[20..22] == [0xfe, 0xff] {
                let float = path.to_string_lossy().contains("f32");
                let tag = if float {
                    WAVE_FORMAT_IEEE_FLOAT
                } else {
                    WAVE_FORMAT_PCM
                };
                bytes[20..22].copy_from_slice(&tag.to_le_bytes());
                std::fs::write(path, &bytes).unwrap();
            }
            let layout = PlainWav::parse(&bytes, bytes.len() as u64);
            assert!(layout.is_some(), "{} takes the plain path", path.display());
            assert_eq!(decode_file(path).unwrap(), via_symphonia(path, None));
            assert_eq!(
                decode_file_limited(path, Some(0.01)).unwrap(),
                via_symphonia(path, Some(0.01))
            );
        }
    }

    #[test]
    fn unusual_wav_layouts_are_left_to_symphonia() {
        let dir = TempDir::new("unusual");
        let path = dir.file("s16.wav");
        write_wav_int(&path, 16, 44_100, &planar(2, 100, 44_100));
        let bytes = std::fs::read(&path).unwrap();
        let len = bytes.len() as u64;
        assert!(PlainWav::parse(&bytes, len).is_some());
        // A data chunk longer than the file (cut short), and one that ends mid-frame.
        assert!(PlainWav::parse(&bytes, len - 1).is_none());
        let mut ragged = bytes.clone();
        let data = ragged.windows(4).position(|w| w == b"data").unwrap();
        ragged[data + 4..data + 8].copy_from_slice(&399u32.to_le_bytes());
        assert!(PlainWav::parse(&ragged, len).is_none());
        // A-law (tag 6) is not plain PCM.
        let mut alaw = bytes;
        alaw[20..22].copy_from_slice(&6u16.to_le_bytes());
        assert!(PlainWav::parse(&alaw, len).is_none());
    }

    #[test]
    fn riff_chunk_walk_is_bounded() {
        assert!(find_riff_chunk(b"", b"data").is_none());
        assert!(find_riff_chunk(b"RIFF\0\0\0\0WAVE", b"data").is_none());
        let mut b = b"RIFF\0\0\0\0WAVEfmt \xff\xff\xff\xff".to_vec();
        assert!(find_riff_chunk(&b, b"data").is_none());
        b = b"RIFF\0\0\0\0WAVEjunk\x03\0\0\0abc\0data\x08\0\0\0OggS".to_vec();
        assert_eq!(find_riff_chunk(&b, b"data"), Some(&b"OggS"[..]));
    }

    #[test]
    fn mono_and_duration() {
        let a = DecodedAudio {
            channels: vec![vec![1.0, 0.0], vec![0.0, -1.0]],
            sample_rate: 2,
        };
        assert_eq!(a.to_mono(), vec![0.5, -0.5]);
        assert_eq!(a.duration_seconds(), 1.0);
        let none = DecodedAudio {
            channels: vec![],
            sample_rate: 0,
        };
        assert!(none.to_mono().is_empty());
        assert_eq!(none.duration_seconds(), 0.0);
    }

    /// Real files of each format from the corpus (run with `--ignored` after `cargo xtask
    /// corpus`).
    #[test]
    #[ignore]
    fn decodes_corpus_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
        let dirs = [
            ("debian/hydrogen-drumkits", "flac"),
            ("debian/hydrogen-drumkits", "aiff"),
            ("debian/hydrogen-drumkits", "wav"),
            ("debian/lmms-common", "ogg"),
            ("debian/fillets-ng-data-cs", "ogg"),
            ("npm/tonejs-instrument-organ-mp3", "mp3"),
            ("npm/tonejs-instrument-tuba-mp3", "mp3"),
            ("debian/hydrogen-drumkits-effects", "flac"),
        ];
        for (dir, ext) in dirs {
            let mut files = Vec::new();
            collect(&root.join(dir), ext, &mut files);
            files.sort();
            assert!(!files.is_empty(), "no .{ext} under {dir}");
            for f in files.iter().step_by((files.len() / 5).max(1)).take(5) {
                let d = decode_file(f).unwrap_or_else(|e| panic!("{e}"));
                println!(
                    "{} {} ch {} Hz {:.2} s",
                    f.display(),
                    d.channels.len(),
                    d.sample_rate,
                    d.duration_seconds()
                );
                assert!(d.frames() > 0 && d.channels.iter().all(|c| c.len() == d.frames()));
            }
        }
        // RIFF WAVE files wrapping Ogg Vorbis (named .ogg).
        let lmms = root.join("debian/lmms-common/usr/share/lmms/samples");
        for f in [
            "drums/kick04.ogg",
            "effects/scratch01.ogg",
            "effects/wind_chimes01.ogg",
            "instruments/harpsichord01.ogg",
            "misc/hit01.ogg",
        ] {
            let path = lmms.join(f);
            assert_eq!(&std::fs::read(&path).unwrap()[..4], b"RIFF");
            let d = decode_file(&path).unwrap_or_else(|e| panic!("{e}"));
            println!(
                "{f}: ogg-in-wav {} ch {} Hz {:.2} s",
                d.channels.len(),
                d.sample_rate,
                d.duration_seconds()
            );
            assert!(d.frames() > 0);
        }
        // GrandOrgue's WavPack samples are reported as unsupported.
        let mut wv = Vec::new();
        collect(&root.join("debian/grandorgue-demo"), "wav", &mut wv);
        assert!(!wv.is_empty());
        for f in &wv {
            let e = decode_file(f).unwrap_err();
            assert!(matches!(e, DecodeError::Unsupported { .. }), "{e}");
        }
        println!(
            "{} GrandOrgue files: {}",
            wv.len(),
            decode_file(&wv[0]).unwrap_err()
        );
    }

    #[cfg(test)]
    fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, ext, out);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case(ext)) {
                out.push(p);
            }
        }
    }
}
