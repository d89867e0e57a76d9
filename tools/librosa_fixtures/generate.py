#!/usr/bin/env python3
"""Generate librosa reference fixtures for the Track Labeler frame features.

Run from the repository root (CI does not run this; the outputs are committed):

    python3 -m venv /tmp/lf && /tmp/lf/bin/pip install -r tools/librosa_fixtures/requirements.txt && /tmp/lf/bin/python tools/librosa_fixtures/generate.py

Outputs go to ../../tests/fixtures/librosa relative to this script:
  NAME.wav   mono, 32-bit IEEE float (soundfile subtype 'FLOAT')
  NAME.json  expected per-frame features (layout documented in README.md there)
  README.md  description of the exact librosa calls and conventions

Determinism: every signal is synthesised analytically in float64 (the noise
comes from numpy.random.default_rng(SEED)), then written as float32. All
features are computed on the float32 samples *as read back from the WAV*,
converted exactly to float64 (y64 = y32.astype(np.float64)). librosa keeps
that dtype: the STFT is complex128, the window is scipy's periodic Hann in
float64, and RMS is requested with dtype=np.float64. The only float32 step
left is librosa's default mel filterbank (filters.mel dtype=np.float32), kept
on purpose because that is what users of librosa.feature.melspectrogram get.

Frame parameters follow the analyzer's rule (see frame_params()):
  N = multiple of 4 with only prime factors 2, 3, 5 and 7, nearest to
      sr*1024/44100 (ties -> smaller); H = round(sr*512/44100) (half up).
All features use center=False, n_fft = win_length = N, hop_length = H,
window='hann': frame i covers samples [i*H, i*H + N).
"""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction

import numpy as np
import scipy
import soundfile as sf
import librosa

SEED = 20240607
OUT_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "librosa")
)

N_MELS = 40
FMIN = 0.0
FMAX = 10000.0
N_MFCC = 20
AMIN = 1e-10


# --------------------------------------------------------------------------
# Frame parameters (analyzer rule)
# --------------------------------------------------------------------------
def is_7_smooth(n: int) -> bool:
    for p in (2, 3, 5, 7):
        while n % p == 0:
            n //= p
    return n == 1


def frame_params(sr: int) -> tuple[int, int]:
    """Return (N, H) for a sample rate, with exact rational arithmetic."""
    target = Fraction(sr * 1024, 44100)
    best = None
    for n in range(4, 2 * math.ceil(target) + 8, 4):  # multiples of 4 only
        if not is_7_smooth(n):
            continue
        d = abs(Fraction(n) - target)
        if best is None or d < best[0]:  # strict '<' keeps the smaller on ties
            best = (d, n)
    n_win = best[1]
    h = Fraction(sr * 512, 44100)
    hop = math.floor(h + Fraction(1, 2))  # round half up
    return n_win, hop


# --------------------------------------------------------------------------
# Signals (float64 synthesis, amplitudes ~0.5)
# --------------------------------------------------------------------------
def sig_sine(sr: int) -> np.ndarray:
    t = np.arange(int(1.0 * sr)) / sr
    return 0.5 * np.sin(2 * np.pi * 440.0 * t)


def sig_sweep(sr: int) -> np.ndarray:
    # Exponential (logarithmic) sweep f(t) = f0 * (f1/f0)^(t/T)
    f0, f1, dur = 100.0, 12000.0, 1.5
    t = np.arange(int(round(dur * sr))) / sr
    k = math.log(f1 / f0)
    phase = 2 * np.pi * f0 * dur / k * (np.exp(t / dur * k) - 1.0)
    return 0.5 * np.sin(phase)


def sig_noise(sr: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.uniform(-1.0, 1.0, int(1.0 * sr))
    return 0.5 * x / np.max(np.abs(x))


def sig_drum(sr: int, rng: np.random.Generator) -> np.ndarray:
    n_total = int(round(0.6 * sr))
    n_sil = int(round(0.05 * sr))  # 50 ms of exact digital silence
    y = np.zeros(n_total)
    t = np.arange(n_total - n_sil) / sr
    # pitch: f(t) = 50 + 130*exp(-t/0.04)  (180 Hz -> 50 Hz), phase = 2*pi*int f
    tau_f = 0.04
    phase = 2 * np.pi * (50.0 * t + 130.0 * tau_f * (1.0 - np.exp(-t / tau_f)))
    body = np.exp(-t / 0.05) * np.sin(phase)  # ~26 dB down after 150 ms
    n_click = int(round(0.01 * sr))  # 10 ms click, 2 ms decay
    click = np.zeros_like(t)
    click[:n_click] = 0.6 * rng.uniform(-1.0, 1.0, n_click) * np.exp(-t[:n_click] / 0.002)
    hit = body + click
    y[n_sil:] = 0.5 * hit / np.max(np.abs(hit))
    return y


def sig_chord(sr: int) -> np.ndarray:
    t = np.arange(int(0.5 * sr)) / sr
    y = np.zeros_like(t)
    for f in (220.0, 277.18, 329.63):
        for h, a in ((1, 1.0), (2, 0.5), (3, 0.25), (4, 0.125)):
            y += a * np.sin(2 * np.pi * f * h * t)
    return 0.5 * y / np.max(np.abs(y))


# --------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------
def features(y: np.ndarray, sr: int, n: int, hop: int) -> dict:
    assert y.dtype == np.float64
    D = librosa.stft(y, n_fft=n, hop_length=hop, win_length=n, window="hann", center=False)
    assert D.dtype == np.complex128
    S_mag = np.abs(D)
    S_pow = S_mag**2

    centroid = librosa.feature.spectral_centroid(S=S_mag, sr=sr, n_fft=n, hop_length=hop)[0]
    # Cross-check: same result when librosa computes the STFT itself.
    centroid_y = librosa.feature.spectral_centroid(
        y=y, sr=sr, n_fft=n, hop_length=hop, win_length=n, window="hann", center=False
    )[0]
    np.testing.assert_allclose(centroid, centroid_y, rtol=1e-12, atol=1e-9)

    zcr = librosa.feature.zero_crossing_rate(y, frame_length=n, hop_length=hop, center=False)[0]
    rms = librosa.feature.rms(y=y, frame_length=n, hop_length=hop, center=False, dtype=np.float64)[0]
    mel = librosa.feature.melspectrogram(
        S=S_pow, sr=sr, n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=False, norm="slaney"
    )
    mel_db = librosa.power_to_db(mel, ref=1.0, amin=AMIN, top_db=None)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC, dct_type=2, norm="ortho")

    n_frames = 1 + (len(y) - n) // hop
    for a in (centroid, zcr, rms):
        assert a.shape == (n_frames,), a.shape
    assert mel.shape == (N_MELS, n_frames) and mfcc.shape == (N_MFCC, n_frames)
    for a in (centroid, zcr, rms, mel, mfcc):
        assert np.all(np.isfinite(a))

    # zcr is mean(bool) = count/N; store the exact integer count.
    crossings = [int(c) for c in np.rint(zcr * n)]
    assert np.max(np.abs(zcr * n - np.array(crossings))) < 1e-6
    assert np.array_equal(np.array(crossings) / n, zcr)

    fl = lambda a: [float(v) for v in a]  # noqa: E731
    return {
        "n_frames": n_frames,
        "centroid_hz": fl(centroid),
        "zcr": fl(zcr),
        "zcr_crossings": crossings,
        "zcr_per_second": fl(zcr * sr),
        "rms": fl(rms),
        "mel_power": [fl(row) for row in mel.T],
        "mfcc": [fl(row) for row in mfcc.T],
    }


def dump_json(obj: dict) -> str:
    """Compact JSON, one top-level key per line, one frame per line for 2-D arrays."""
    c = dict(separators=(",", ":"), allow_nan=False)
    lines = []
    for k, v in obj.items():
        if isinstance(v, list) and v and isinstance(v[0], list):
            body = "[\n" + ",\n".join("    " + json.dumps(r, **c) for r in v) + "\n  ]"
        else:
            body = json.dumps(v, **c)
        lines.append("  " + json.dumps(k) + ": " + body)
    return "{\n" + ",\n".join(lines) + "\n}\n"


SFC_SET_ADD_PEAK_CHUNK = 0x1050  # from sndfile.h; not wrapped by python-soundfile


def write_float_wav(path: str, y32: np.ndarray, sr: int) -> None:
    """Write mono 32-bit float WAV via soundfile, reproducibly.

    libsndfile adds a PEAK chunk containing the current time to float WAVs, which
    would make every regeneration differ; switch it off before writing data.
    """
    with sf.SoundFile(path, "w", samplerate=sr, channels=1, format="WAV", subtype="FLOAT") as f:
        sf._snd.sf_command(f._file, SFC_SET_ADD_PEAK_CHUNK, sf._ffi.NULL, 0)  # SF_FALSE
        f.write(y32)
    with open(path, "rb") as f:
        assert b"PEAK" not in f.read(256), "PEAK chunk still present"


README = """\
# librosa reference fixtures

Generated by `tools/librosa_fixtures/generate.py` (do not edit by hand). Each `NAME.wav`
(mono, 32-bit float) has a `NAME.json` with librosa {librosa} features (numpy {numpy}, scipy {scipy}).
Regenerate from the repo root: `python3 -m venv /tmp/lf && /tmp/lf/bin/pip install -r tools/librosa_fixtures/requirements.txt && /tmp/lf/bin/python tools/librosa_fixtures/generate.py`

- Input: the float32 WAV samples, exactly converted to float64; all maths in float64 except librosa's float32 mel weights.
- Frames: `center=False`, frame i covers samples `[i*H, i*H+N)`, `n_frames = 1 + (len-N)//H`. N = multiple of 4 with prime factors 2, 3, 5, 7 only, nearest sr*1024/44100 (ties -> smaller), H = round(sr*512/44100): {params}.
- STFT: `librosa.stft(y, n_fft=N, win_length=N, hop_length=H, window='hann', center=False)`; periodic Hann `w[n] = 0.5 - 0.5*cos(2*pi*n/N)`, no scaling; bin k has frequency `k*sr/N` (`librosa.fft_frequencies`, k = 0..N/2).
- `centroid_hz`: `spectral_centroid(S=|STFT|)` = sum_k f_k*S_k / sum_k S_k; a frame with sum < float64 tiny (all-zero frame) gives 0.
- `zcr`: `zero_crossing_rate(y, frame_length=N, hop_length=H, center=False)` (defaults threshold=1e-10, zero_pos=True, pad=False). Within each frame only, samples with |x| <= 1e-10 (incl. -0.0) become +0; count pairs (x[j-1], x[j]), j = 1..N-1, with signbit differing (zero counts as positive, so 0 -> negative is a crossing, 0 -> positive is not); the pair spanning the frame start is not counted. zcr = count / N (not N-1). `zcr_crossings` = the integer count (= zcr*N), `zcr_per_second` = zcr*sr.
- `rms`: `rms(y=y, frame_length=N, hop_length=H, center=False, dtype=float64)` = sqrt(mean(x^2)) over the raw (un-windowed) frame.
- `mel_power`: `melspectrogram(S=|STFT|**2, sr, n_mels=40, fmin=0, fmax=10000, htk=False, norm='slaney')`, frames x 40. Filters (`librosa.filters.mel`): f = mel_to_hz(linspace(hz_to_mel(0), hz_to_mel(10000), 42)) on the Slaney scale (mel = hz/f_sp below 1 kHz, f_sp = 200/3; above: min_log_mel + ln(hz/1000)/logstep, min_log_mel = 1000/f_sp, logstep = ln(6.4)/27); band m (0..39) = max(0, min((fk - f[m])/(f[m+1]-f[m]), (f[m+2]-fk)/(f[m+2]-f[m+1]))) at fk = k*sr/N, times the Slaney area norm 2/(f[m+2]-f[m]). librosa stores weights as float32 (triangle rounded to f32, times norm, rounded again); f64 weights differ by ~6e-8 relative.
- `mfcc`: `mfcc(S=power_to_db(mel, ref=1.0, amin=1e-10, top_db=None), n_mfcc=20, dct_type=2, norm='ortho')`, frames x 20; dB = 10*log10(max(1e-10, P)); scipy orthonormal DCT-II over the 40 bands, first 20 kept, no lifter.
- JSON floats are shortest round-trip reprs of float64 values.
- WAV layout: RIFF/WAVE with chunks fmt (format 3 = IEEE float, 32 bit, mono), fact, PAD, data; libsndfile's PEAK chunk (which holds a timestamp) is disabled so regeneration is byte-identical.
"""


def main() -> None:
    os.makedirs(OUT_DIR, exist_ok=True)
    rng = np.random.default_rng(SEED)

    # Signals are generated in this fixed order so the RNG stream is stable.
    specs = [
        ("sine_440_44100", 44100, lambda sr: sig_sine(sr)),
        ("sweep_48000", 48000, lambda sr: sig_sweep(sr)),
        ("noise_22050", 22050, lambda sr: sig_noise(sr, rng)),
        ("drum_hit_44100", 44100, lambda sr: sig_drum(sr, rng)),
        ("chord_96000", 96000, lambda sr: sig_chord(sr)),
    ]

    params = {}
    for sr in sorted({s[1] for s in specs} | {22050}):
        params[sr] = frame_params(sr)
        n, h = params[sr]
        print(f"sr={sr}: N={n} H={h}  (sr*1024/44100={sr * 1024 / 44100:.4f}, sr*512/44100={sr * 512 / 44100:.4f})")

    for name, sr, make in specs:
        n, hop = params[sr]
        y = make(sr)
        wav = os.path.join(OUT_DIR, name + ".wav")
        write_float_wav(wav, y.astype(np.float32), sr)
        y32, sr_read = sf.read(wav, dtype="float32", always_2d=False)
        assert sr_read == sr and y32.ndim == 1
        y64 = y32.astype(np.float64)

        obj = {
            "wav": name + ".wav",
            "sample_rate": sr,
            "frame_length": n,
            "hop_length": hop,
            "window": "hann (periodic)",
            "center": False,
            "librosa_version": librosa.__version__,
            "numpy_version": np.__version__,
        }
        obj.update(features(y64, sr, n, hop))
        obj["mel"] = {"n_mels": N_MELS, "fmin": 0, "fmax": 10000, "htk": False, "norm": "slaney", "power": 2}
        obj["mfcc_params"] = {"n_mfcc": N_MFCC, "dct_type": 2, "norm": "ortho", "amin": AMIN, "top_db": None}
        with open(os.path.join(OUT_DIR, name + ".json"), "w") as f:
            f.write(dump_json(obj))
        print(f"{name}: {len(y32)} samples, {obj['n_frames']} frames")

    ptxt = ", ".join(f"{sr} -> N={n}, H={h}" for sr, (n, h) in sorted(params.items()))
    with open(os.path.join(OUT_DIR, "README.md"), "w") as f:
        f.write(README.format(librosa=librosa.__version__, numpy=np.__version__, scipy=scipy.__version__, params=ptxt))


if __name__ == "__main__":
    main()
