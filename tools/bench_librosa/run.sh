#!/usr/bin/env bash
# Batch-labelling benchmark: builds the release binary, renders the fixed clip set (seeded,
# from tests/fixtures/clips) and times `track-labeler label` against the librosa +
# scikit-learn pipeline on 1 and 2 cores, printing a Markdown table.
#
# Usage: tools/bench_librosa/run.sh [VENV]   (VENV defaults to /tmp/lf; created if missing)
# Environment: CLIPS (default ${TMPDIR:-/tmp}/track-labeler-bench-clips), REPEATS (default 3),
# CARGO_TARGET_DIR (default target).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${1:-/tmp/lf}"
clips="${CLIPS:-${TMPDIR:-/tmp}/track-labeler-bench-clips}"
target="${CARGO_TARGET_DIR:-target}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -r tools/bench_librosa/requirements.txt
fi
cargo build --release -p track-labeler-cli
if [ ! -d "$clips/short" ]; then
    "$venv/bin/python" tools/bench_librosa/make_clips.py "$clips"
fi
"$venv/bin/python" tools/bench_librosa/bench.py \
    --binary "$target/release/track-labeler" --clips "$clips" --repeats "${REPEATS:-3}"
