#!/usr/bin/env bash
# Renders the editor headlessly to docs/screenshot.png: the track tab and the session tab of the
# preview session (tracks fed from committed clips), side by side.
# Needs: xvfb xauth xdotool imagemagick (Debian packages) and an OpenGL driver (libgl1-mesa-dri).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --example editor_preview
bin="${CARGO_TARGET_DIR:-target}/release/examples/editor_preview"
out=docs/screenshot.png
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

xvfb-run -a -s "-screen 0 1100x700x24" bash -c '
    set -euo pipefail
    "'"$bin"'" &
    preview=$!
    # Wait for the window, then for the labels to settle.
    for _ in $(seq 100); do xdotool search --name "Track Labeler" >/dev/null 2>&1 && break; sleep 0.2; done
    window=$(xdotool search --name "Track Labeler" | head -1)
    sleep 3
    import -window "$window" "'"$tmp"'/track.png"
    # The "Session" tab sits in the top bar, right of "Track".
    xdotool mousemove --window "$window" 185 17 click 1
    sleep 1.5
    import -window "$window" "'"$tmp"'/session.png"
    kill "$preview"
'
convert "$tmp/track.png" "$tmp/session.png" -bordercolor "#0e0f12" -border 6 +append "$out"
echo "wrote $out"
