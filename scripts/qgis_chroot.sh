#!/usr/bin/env bash
# The whole test suite on a newer QGIS, in a Debian chroot built with mmdebstrap and cached under build/.
#
#   scripts/qgis_chroot.sh trixie [pytest args...]   QGIS 3.40 LTR, Python 3.13, numpy 2.2, torch 2.6
#   scripts/qgis_chroot.sh sid    [pytest args...]   QGIS 3.44 LTR, Python 3.14, numpy 2.4, torch 2.14
#
# Everything but captum, pytest-qgis and Pastas 2 (the baseline, the release for numpy 2) comes from that Debian
# release (its QGIS, Python, numpy, python3-torch, scikit-learn, pandas). Those are pure-Python wheels fetched on the
# host (Pastas without numba, which it only uses when present): pip inside the chroot rejects
# this machine's proxy certificate. The repository is copied in (never bind-mounted, so that deleting build/
# can never reach it), and /proc, /dev and /sys are bound only while the tests run.
# GWLSTM_STRICT_DEPRECATIONS=1 turns every DeprecationWarning raised from the plugin's own modules into an error.
# GWLSTM_CATALOGUE=processing runs the bad-input catalogue in-process only (its headless part runs on the host).
# GWLSTM_CLUSTER=core runs the Dask cluster tests in-process only (the qgis_process ones run on the host).
set -euo pipefail
suite="${1:?usage: qgis_chroot.sh trixie|sid [pytest args...]}"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
# GWLSTM_CHROOTS: where the chroots are kept (default build/chroot), e.g. to share them with another checkout.
dir="${GWLSTM_CHROOTS:-$root/build/chroot}/$suite"
stamp="$dir/.gwlstm-ready"
# Bump when the package list changes: a cached chroot built from another list is rebuilt.
recipe="4"
packages="qgis,python3-qgis,qgis-providers,python3-torch,python3-sklearn,python3-pandas,python3-pip,python3-venv"
packages="$packages,python3-pytest,python3-tqdm,python3-matplotlib,python3-packaging,python3-scipy,python3-distributed,chromium,zip,xvfb,xauth"
wheels="captum pytest-qgis pastas==2.0.0"

[ "$(id -u)" = 0 ] || { echo "The $suite tier builds and enters a chroot: run it as root." >&2; exit 1; }

mirror() {
  # The mirror apt already uses here (deb822 or one-line sources), else Debian's own.
  local uri
  uri="$(grep -hoE '^URIs:[[:space:]]*\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 | awk '{print $2}')"
  [ -n "$uri" ] || uri="$(grep -hoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?\S+' /etc/apt/sources.list 2>/dev/null \
    | head -n 1 | awk '{print $NF}')"
  echo "${uri:-http://deb.debian.org/debian}"
}

unmount_under() {
  # Never delete through a bind mount left by a killed run: rm -rf would reach the host's /dev.
  local m
  { findmnt -rn -o TARGET | grep -F "$1/" || true; } | sort -r | while read -r m; do umount -l "$m"; done
  if findmnt -rn -o TARGET | grep -qF "$1/"; then echo "Still mounted under $1: not deleting it." >&2; exit 1; fi
}

build() {
  command -v mmdebstrap >/dev/null || {
    echo "Installing mmdebstrap with apt-get"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap
  }
  unmount_under "$dir"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  echo "Building the $suite chroot in $dir (a few minutes, about 3 GB)"
  # sid's Release file on the mirror can be past its validity date.
  mmdebstrap --variant=apt --include="$packages" --aptopt='Acquire::Check-Valid-Until "false"' \
    "$suite" "$dir" "$(mirror)"
  local wheel_dir="$dir/opt/wheels"
  mkdir -p "$wheel_dir"
  env -u PIP_FIND_LINKS python3 -m pip download -q --no-deps --only-binary=:all: -d "$wheel_dir" $wheels
  chroot "$dir" /bin/sh -c "python3 -m venv --system-site-packages /opt/venv \
    && env -u PIP_FIND_LINKS /opt/venv/bin/pip install -q --no-index --no-deps /opt/wheels/*.whl"
  echo "$recipe" > "$stamp"
}

[ "$(cat "$stamp" 2>/dev/null || true)" = "$recipe" ] || build

# The working tree as git sees it (tracked and untracked-not-ignored files), copied fresh for every run.
src="$dir/src"
unmount_under "$dir"
rm -rf "$src"
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
  | tar --null --no-recursion --ignore-failed-read -T - -cf -) | tar -C "$src" -xf -
mkdir -p "$src/build/plugins" && ln -sfn ../.. "$src/build/plugins/groundwater_lstm"
ln -sfn /opt/venv "$src/.venv"
shared="${GWLSTM_SHARED_DATA:-$root/../shared/data}"
rm -rf "$dir/shared" && mkdir -p "$dir/shared"
[ -d "$shared" ] && cp -r "$shared" "$dir/shared/data"

mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc dev sys; do
  mount --bind "/$m" "$dir/$m"
  mounted+=("$dir/$m")
done

chroot "$dir" /usr/bin/python3 -c "import qgis.core, numpy, torch, sys; from qgis.core import Qgis; \
print(f'{sys.argv[0]}: QGIS', Qgis.QGIS_VERSION, '| Python', sys.version.split()[0], '| numpy', numpy.__version__, \
'| torch', torch.__version__)" "$suite"
set +e
chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 CI="${CI:-}" \
  GWLSTM_SHARED_DATA=/shared/data GWLSTM_SLOW="${GWLSTM_SLOW:-}" \
  GWLSTM_STRICT_DEPRECATIONS="${GWLSTM_STRICT_DEPRECATIONS:-}" GWLSTM_CATALOGUE="${GWLSTM_CATALOGUE:-}" \
  GWLSTM_CLUSTER="${GWLSTM_CLUSTER:-}" \
  GWLSTM_DESKTOP="${GWLSTM_DESKTOP:-}" GWLSTM_DESKTOP_WHY="${GWLSTM_DESKTOP_WHY:-}" \
  QGIS_PROCESS=/usr/bin/qgis_process.bin \
  /bin/sh -c 'cd /src && exec scripts/with_qgis_env.sh .venv/bin/python -P -m pytest "$@"' pytest "$@"
rc=$?
set -e
# What a person may want to look at (screenshots, reports) comes back beside the host's own.
if [ -d "$src/test_artifacts" ]; then
  mkdir -p "$root/test_artifacts/$suite" && cp -r "$src/test_artifacts/." "$root/test_artifacts/$suite/"
fi
exit $rc
