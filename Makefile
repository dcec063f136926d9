# Groundwater LSTM: every target is idempotent and runs on a bare Debian 12 machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SYS_PYTHON   ?= /usr/bin/python3
VENV         ?= .venv
PY           := $(VENV)/bin/python
QGIS_PROCESS ?= /usr/bin/qgis_process.bin
PLUGIN_DIR   := build/plugins
PLUGIN_LINK  := $(PLUGIN_DIR)/groundwater_lstm
QGIS_PKGS    := qgis python3-qgis qgis-providers
# zip for `make zip`; chromium checks the HTML report in a real headless browser; xvfb and xauth run the real
# QGIS window for the desktop tier (tests/desktop)
SYS_PKGS     := $(QGIS_PKGS) zip chromium xvfb xauth
PY_PKGS      := torch==2.13.0 captum pandas scikit-learn "dask[distributed]" "pastas>=1.10,<2" pytest pytest-qgis
DEMO_DIR     ?= demo_output
BENCH_ARGS   ?=
PYTEST_ARGS  ?=
ZIP_EXCLUDE  := pytest.ini tests benchmarks build dist docs scripts .ci .venv .venv-latest .git demo_output test_artifacts bench_output Makefile

.PHONY: help setup qgis venv link demo test test-core test-core-latest test-qgis340 test-qgis344 bench bench-pastas install zip clean

help:
	@echo "make setup    install QGIS (apt, when root), the venv with torch/captum, link the plugin"
	@echo "make demo     the main job on the built-in sample data, headless (qgis_process)"
	@echo "make test     every test tier (core, processing, headless qgis_process)"
	@echo "make test-core-latest  the core's tests on the newest numpy, pandas and Pastas 2 (what QGIS 4 users get)"
	@echo "make test-qgis340  the whole suite on QGIS 3.40 LTR (Debian trixie chroot under build/, as root)"
	@echo "make test-qgis344  the whole suite on QGIS 3.44 LTR (Debian sid chroot), plugin deprecations as errors"
	@echo "make bench    speed and skill figures, one JSON object per line"
	@echo "make bench-pastas  the classical baseline (Pastas 2) on the Swiss wells, in the newest-releases venv"
	@echo "make install  link the plugin into your QGIS profile and enable it"
	@echo "make zip      dist/groundwater_lstm.zip, installable from QGIS's plugin manager"

setup: qgis venv link

qgis:
	@missing="$$(for p in $(SYS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | tr '\n' ' ')"; \
	if [ -z "$${missing// /}" ] && [ -x "$(QGIS_PROCESS)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "Installing with apt-get (about 2 minutes): $$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	elif [ -x "$(QGIS_PROCESS)" ]; then \
	  echo "Optional system packages missing (some tests will fail or skip): sudo apt-get install -y $$missing"; \
	else \
	  echo "QGIS is missing. Run: sudo apt-get update && sudo apt-get install -y $(SYS_PKGS)"; exit 1; \
	fi

venv: $(VENV)/.installed

# A system numpy 1.x is held: a numpy 2 in the venv breaks the system matplotlib and GDAL bindings built for 1.x.
# Where the system numpy is 2 already (Debian 13, Ubuntu 24.10+) nothing needs holding.
$(VENV)/.installed: Makefile
	@[ -x "$(SYS_PYTHON)" ] || { echo "$(SYS_PYTHON) is missing: run 'make qgis' first"; exit 1; }
	@$(SYS_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "$(SYS_PYTHON) is \
	  Python $$($(SYS_PYTHON) -V 2>&1 | cut -d' ' -f2): captum and torch need 3.10 or newer (QGIS 3.40+ ships it)"; exit 1; }
	[ -x $(PY) ] || $(SYS_PYTHON) -m venv --system-site-packages $(VENV)
	mkdir -p build
	numpy="$$($(SYS_PYTHON) -c 'import numpy; print(numpy.__version__)')"; \
	case "$$numpy" in 1.*) echo "numpy==$$numpy" ;; *) echo "" ;; esac > build/constraints.txt
	$(PY) -m pip install -q --disable-pip-version-check -c build/constraints.txt $(PY_PKGS)
	$(PY) -c "import torch, captum, pandas, sklearn, numpy, qgis.core; print('venv ok: torch', torch.__version__, 'numpy', numpy.__version__)"
	touch $@

link: $(PLUGIN_LINK)

$(PLUGIN_LINK):
	mkdir -p $(PLUGIN_DIR)
	ln -sfn ../.. $(PLUGIN_LINK)

demo: setup
	scripts/demo.sh "$(DEMO_DIR)"

test: setup
	CI=$${CI:-} scripts/with_qgis_env.sh $(PY) -P -m pytest $(PYTEST_ARGS)

test-core: venv link
	scripts/with_qgis_env.sh $(PY) -P -m pytest tests/core $(PYTEST_ARGS)

# Newer QGIS: the whole suite in a Debian chroot (mmdebstrap; built once, about 3 GB each, kept under build/chroot).
test-qgis340: link
	CI=$${CI:-} GWLSTM_CATALOGUE=processing GWLSTM_CLUSTER=core scripts/qgis_chroot.sh trixie $(PYTEST_ARGS)

test-qgis344: link
	CI=$${CI:-} GWLSTM_STRICT_DEPRECATIONS=1 GWLSTM_CATALOGUE=processing GWLSTM_CLUSTER=core \
	  scripts/qgis_chroot.sh sid $(PYTEST_ARGS)

bench: setup
	@scripts/with_qgis_env.sh $(PY) -m benchmarks $(BENCH_ARGS)

# The newest releases, without QGIS: numpy 2, pandas 3 and Pastas 2, what the installer gives a QGIS 4 user whose
# Python has none of them. The QGIS venv must not have them (a numpy 2 there breaks the system GDAL bindings).
LATEST_VENV ?= .venv-latest
LATEST_PKGS := torch==2.13.0 captum "numpy>=2,<3" "pandas>=3,<4" scikit-learn "pastas==2.0.0" tqdm pytest
$(LATEST_VENV)/.installed: Makefile
	[ -x $(LATEST_VENV)/bin/python ] || $(SYS_PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install -q --disable-pip-version-check $(LATEST_PKGS)
	$(LATEST_VENV)/bin/python -c "import numpy, pandas, pastas; print('latest venv ok: numpy', numpy.__version__, \
	  'pandas', pandas.__version__, 'pastas', pastas.__version__)"
	touch $@

test-core-latest: $(LATEST_VENV)/.installed link
	$(LATEST_VENV)/bin/python -P -m pytest tests/core $(PYTEST_ARGS)

bench-pastas: $(LATEST_VENV)/.installed link
	@$(LATEST_VENV)/bin/python -m benchmarks.pastas_swiss

# The one target that writes into the user's real QGIS profile.
install: link
	@profile="$${QGIS_PROFILE_DIR:-$$HOME/.local/share/QGIS/QGIS3/profiles/default}"; \
	mkdir -p "$$profile/python/plugins"; \
	ln -sfn "$$(pwd)" "$$profile/python/plugins/groundwater_lstm"; \
	QT_QPA_PLATFORM=offscreen $(QGIS_PROCESS) plugins enable groundwater_lstm >/dev/null 2>&1 || true; \
	echo "Linked into $$profile/python/plugins/groundwater_lstm; restart QGIS and enable 'Groundwater LSTM' if it is not."

zip:
	rm -rf build/zip dist/groundwater_lstm.zip
	mkdir -p build/zip/groundwater_lstm dist
	git ls-files | grep -vE '^($(shell echo $(ZIP_EXCLUDE) | tr ' ' '|'))(/|$$)' | grep -v '^\.' \
	  | while read -r f; do mkdir -p "build/zip/groundwater_lstm/$$(dirname "$$f")"; cp "$$f" "build/zip/groundwater_lstm/$$f"; done
	cd build/zip && zip -qr ../../dist/groundwater_lstm.zip groundwater_lstm
	@echo "dist/groundwater_lstm.zip"

# Never delete through a chroot's bind mounts (a killed tier run can leave /dev bound under build/chroot).
clean:
	@if findmnt -rn -o TARGET | grep -qF "$$(pwd)/build/"; then \
	  echo "Something is still mounted under build/ (findmnt | grep build): unmount it first."; exit 1; fi
	rm -rf build dist $(DEMO_DIR) test_artifacts bench_output $(LATEST_VENV)
