#!/usr/bin/env bash
# qgis_process with the plugin enabled in a throw-away profile (never the user's real one).
# Usage: scripts/qgis_process.sh <qgis_process arguments...>
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
export QGIS_CUSTOM_CONFIG_PATH="${QGIS_CUSTOM_CONFIG_PATH:-$root/build/profile}"
mkdir -p "$QGIS_CUSTOM_CONFIG_PATH"
qp="${QGIS_PROCESS:-/usr/bin/qgis_process.bin}"  # the Debian wrapper qgis_process is broken (qgis/QGIS#57683)
"$root/scripts/with_qgis_env.sh" "$qp" plugins enable groundwater_lstm >/dev/null 2>&1 || true
exec "$root/scripts/with_qgis_env.sh" "$qp" "$@"
