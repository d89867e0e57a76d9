#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and builds the plugin bundles:
#   target/bundled/Track Labeler.clap and target/bundled/Track Labeler.vst3
# Safe to run again: it installs only what is missing.
# With --deps-only it installs the build dependencies and stops (CI uses this before testing).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the build needs: a C toolchain for crates with build scripts, and curl to
# fetch rustup where Rust is missing. The tests also run the example REAPER script (lua5.4),
# open the editor in a host window on a virtual X server (Xvfb, with Mesa's software OpenGL
# through EGL), and CI checks the VST3 bundle in pedalboard, installed into a Python virtual
# environment.
PACKAGES=(build-essential pkg-config curl ca-certificates lua5.4 python3 python3-venv
    xvfb libegl1 libegl-mesa0 libgl1-mesa-dri libx11-xcb1 libxkbcommon-x11-0)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing: ${missing[*]}"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] || curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y
    export PATH="$HOME/.cargo/bin:$PATH"
fi

[ "${1:-}" = "--deps-only" ] && exit 0

cargo xtask bundle track_labeler --release
echo
echo "Bundles are in target/bundled/. Install them with:"
echo "  mkdir -p ~/.clap ~/.vst3"
echo "  cp -r \"target/bundled/Track Labeler.clap\" ~/.clap/"
echo "  cp -r \"target/bundled/Track Labeler.vst3\" ~/.vst3/"
