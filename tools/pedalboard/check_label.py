"""Loads the Track Labeler VST3 bundle in Spotify's pedalboard (a third-party host), processes
rendered phrases offline, and reads each label back from the plugin's saved state.

    python check_label.py "target/bundled/Track Labeler.vst3" \
        tests/fixtures/clips/piano__tonejs_piano_C4.wav=piano ...

Each CLIP=LABEL gets a fresh plugin instance. Exits non-zero when the plugin fails to load,
changes the audio, or saves another label.
"""

import json
import re
import sys
import time
import wave

import numpy as np
import pedalboard

PHRASE_SECONDS = 6.0
BLOCK = 512


def read_clip(path):
    """A 16-bit PCM mono WAV as float32 samples in [-1, 1), and its sample rate."""
    with wave.open(path, "rb") as clip:
        if clip.getnchannels() != 1 or clip.getsampwidth() != 2:
            sys.exit(f"{path}: expected 16-bit mono PCM")
        frames = clip.readframes(clip.getnframes())
        rate = clip.getframerate()
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def phrase(clip, rate):
    """The clip repeated on a grid of at least a second for PHRASE_SECONDS, in stereo, as the
    Rust host tests render it."""
    length = int(rate * PHRASE_SECONDS)
    step = max(len(clip), rate)
    mono = np.zeros(length, dtype=np.float32)
    for start in range(0, length, step):
        end = min(length, start + len(clip))
        mono[start:end] += clip[: end - start]
    return np.stack([mono, mono])


# JUCE's base64 variant (MemoryBlock::toBase64Encoding): "<byte count>." then 6-bit groups,
# least significant bits first, over this alphabet.
JUCE_BASE64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"


def juce_base64_decode(text):
    count, digits = text.split(".", 1)
    bits = 0
    for i, c in enumerate(digits):
        bits |= JUCE_BASE64.index(c) << (6 * i)
    return bits.to_bytes((6 * len(digits) + 7) // 8, "little")[: int(count)]


def track_state(plugin):
    """The track state in the plugin's VST3 component state. pedalboard (JUCE) wraps the states
    as `VC2!` + size + XML with the component state in JUCE base64; inside is nice-plug's JSON,
    whose persisted field `track` is stored as JSON text."""
    raw = bytes(plugin.raw_state)
    if not raw.startswith(b"VC2!"):
        sys.exit(f"unexpected raw_state container: {raw[:16]!r}")
    component = re.search(rb"<IComponent>([^<]*)</IComponent>", raw)
    if component is None:
        sys.exit(f"no component state in {raw[:200]!r}")
    state = json.loads(juce_base64_decode(component.group(1).decode("ascii")))
    track = state["fields"]["track"]
    return json.loads(track) if isinstance(track, str) else track


def check(bundle, clip_path, expected):
    """Processes the phrase of `clip_path` through a fresh instance; returns an error or None."""
    plugin = pedalboard.load_plugin(bundle)
    if plugin.name != "Track Labeler":
        return f"loaded {plugin.name!r}, not Track Labeler"
    clip, rate = read_clip(clip_path)
    audio = phrase(clip, rate)
    output = plugin.process(audio, rate, buffer_size=BLOCK)
    if output.shape != audio.shape or not np.array_equal(output, audio):
        return "the plugin changed the audio it should pass through"

    # The labeling service thread labels what was processed a few times a second.
    deadline = time.monotonic() + 30.0
    label = None
    while time.monotonic() < deadline:
        time.sleep(0.2)
        decision = track_state(plugin).get("label")
        label = decision and decision["label"]
        if label == expected:
            break
    print(f"{clip_path}: {label!r} ({track_state(plugin).get('label')})")
    return None if label == expected else f"{clip_path}: expected {expected!r}, saved {label!r}"


def main():
    bundle, *pairs = sys.argv[1:]
    if not pairs:
        sys.exit(__doc__)
    print(f"pedalboard {pedalboard.__version__}, {bundle}")
    errors = [check(bundle, *pair.rsplit("=", 1)) for pair in pairs]
    errors = [e for e in errors if e]
    if errors:
        sys.exit("\n".join(errors))


if __name__ == "__main__":
    main()
