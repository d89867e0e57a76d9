"""Renders the benchmark's fixed clip set from the committed clips in tests/fixtures/clips.

Deterministic (seeded): 300 short clips (the ten committed clips at 22.05, 44.1 and 48 kHz,
mono and stereo, 16-bit, 24-bit and float, gains of -24 to 0 dB, light noise) in `short/`,
and 4 long files (60 s of clips and gaps, 44.1 kHz stereo, like stems) in `long/`.

Usage: make_clips.py OUT_DIR
"""

import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parents[2]
CLIPS = sorted((ROOT / "tests/fixtures/clips").glob("*.wav"))
SHORT_CLIPS = 300
LONG_FILES = 4
LONG_SECONDS = 60
RATES = [22_050, 44_100, 48_000]
SUBTYPES = ["PCM_16", "PCM_24", "FLOAT"]


def load(path):
    audio, rate = sf.read(path, dtype="float64")
    assert rate == 22_050 and audio.ndim == 1, path
    return audio


def at_rate(audio, rate):
    if rate == 22_050:
        return audio
    return resample_poly(audio, rate // 50, 22_050 // 50)


def without_peak_timestamp(path):
    """libsndfile stamps float WAVs' PEAK chunk with the time of writing: zero it, so the
    same clip set is the same bytes."""
    data = bytearray(path.read_bytes())
    peak = data.find(b"PEAK")
    if peak >= 0:
        data[peak + 12 : peak + 16] = bytes(4)
        path.write_bytes(bytes(data))


def main(out):
    rng = np.random.default_rng(20_260_101)
    sources = [(p.name.split("__")[0], load(p)) for p in CLIPS]
    (out / "short").mkdir(parents=True, exist_ok=True)
    (out / "long").mkdir(parents=True, exist_ok=True)
    for i in range(SHORT_CLIPS):
        label, audio = sources[i % len(sources)]
        rate = RATES[rng.integers(len(RATES))]
        x = at_rate(audio, rate) * 10 ** (rng.uniform(-24, 0) / 20)
        x = x + rng.normal(0, 10 ** (-70 / 20), len(x))
        if rng.random() < 0.5:
            x = np.stack([x, 0.8 * x], axis=1)
        name = f"{label}__{i:03d}.wav"
        sf.write(out / "short" / name, x, rate, subtype=SUBTYPES[i % len(SUBTYPES)])
        without_peak_timestamp(out / "short" / name)
    rate = 44_100
    for i in range(LONG_FILES):
        label, audio = sources[(3 * i + 1) % len(sources)]
        x = at_rate(audio, rate)
        track = np.zeros(LONG_SECONDS * rate)
        position = 0
        while position + len(x) < len(track):
            track[position : position + len(x)] += x * 10 ** (rng.uniform(-6, 0) / 20)
            position += len(x) + int(rng.uniform(0.0, 1.0) * rate)
        stereo = np.stack([track, track * 0.9], axis=1)
        sf.write(out / "long" / f"{label}__stem{i}.wav", stereo, rate, subtype="PCM_24")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
