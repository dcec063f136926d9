#!/usr/bin/env bash
# Runs a command with the environment that headless QGIS and the plugin need: the venv's packages visible to
# qgis_process (which embeds the system Python), the plugin on QGIS_PLUGINPATH, offscreen Qt.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR:-/nonexistent}" ]; then
  export XDG_RUNTIME_DIR="$root/build/xdg-runtime"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi
export GWLSTM_ROOT="$root"
export QGIS_PLUGINPATH="$root/build/plugins"
site="$(ls -d "$root"/.venv/lib/python3*/site-packages 2>/dev/null | head -n 1 || true)"
export PYTHONPATH="$root/build/plugins${site:+:$site}${PYTHONPATH:+:$PYTHONPATH}"
exec "$@"
