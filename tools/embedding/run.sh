#!/usr/bin/env bash
# Trains the learned embedding from the corpus, in one command:
#   tools/embedding/run.sh         leave-one-source-out models (for `cargo xtask evaluate`), then
#                                  the shipped model (assets/embedding/)
#   tools/embedding/run.sh final   the shipped model only
# Needs `cargo xtask corpus` first. Python packages go to a venv under target/.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/embedding-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r tools/embedding/requirements.txt
fi
cargo xtask embedding-data
if [ "${1:-all}" != final ]; then
    "$venv/bin/python" tools/embedding/train.py loso
fi
"$venv/bin/python" tools/embedding/train.py final
