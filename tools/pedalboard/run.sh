#!/usr/bin/env bash
# A third-party host in CI: installs Spotify's pedalboard (pinned, from PyPI) into a virtual
# environment under target/, then loads the VST3 bundle and checks the label saved for rendered
# phrases of six classes. Run from anywhere after ./setup.sh has built the bundle.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
bundle="$target/bundled/Track Labeler.vst3"
venv="$target/pedalboard-venv"
test -d "$bundle" || { echo "$bundle missing: run ./setup.sh first" >&2; exit 1; }

if ! "$venv/bin/python" -c "import pedalboard" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/pedalboard/requirements.txt
fi

clips=tests/fixtures/clips
"$venv/bin/python" tools/pedalboard/check_label.py "$bundle" \
    "$clips/piano__tonejs_piano_C4.wav=piano" \
    "$clips/strings__tonejs_cello_C3.wav=strings" \
    "$clips/woodwinds__tonejs_flute_C5.wav=woodwinds" \
    "$clips/drum_kit__loop_amen.wav=drum_kit" \
    "$clips/brass__tonejs_trumpet_C6.wav=brass" \
    "$clips/acoustic_guitar__tonejs_guitar_acoustic_A3.wav=acoustic_guitar"
