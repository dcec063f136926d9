"""Shared test set-up: the plugin importable as ``groundwater_lstm``, the real data folder, small torch."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "build" / "plugins"
LINK = PLUGINS / "groundwater_lstm"
if not LINK.exists():
    PLUGINS.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(Path("..") / "..", target_is_directory=True)
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))
CATALOGUE = ROOT / "tests" / "catalogue"  # the bad-input catalogue, shared by the processing and headless tiers
HELPERS = ROOT / "tests" / "helpers"  # test data shaped like the contract (report_frames)
for folder in (CATALOGUE, HELPERS):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

try:  # keep each test to one thread: 2-core machines, and reproducible timing
    import torch

    torch.set_num_threads(1)
except ImportError:
    pass

SHARED_DATA = Path(os.environ.get("GWLSTM_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


@pytest.fixture(scope="session")
def shared_data():
    """The real data folder (../shared/data beside the checkout, or $GWLSTM_SHARED_DATA); skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set GWLSTM_SHARED_DATA to point at it)")
    return SHARED_DATA


@pytest.fixture
def artifacts_dir():
    """Where tests keep files a person may want to look at (screenshots, reports)."""
    d = ROOT / "test_artifacts"
    d.mkdir(exist_ok=True)
    return d


# GWLSTM_STRICT_DEPRECATIONS=1 (the QGIS 3.44 tier): a DeprecationWarning raised from the plugin's own modules is
# an error; the ones QGIS or third-party packages raise from their own code are not ours to count.
STRICT_DEPRECATIONS = os.environ.get("GWLSTM_STRICT_DEPRECATIONS") == "1"
PLUGIN_MODULES = r"groundwater_lstm(\.|$)"


def pytest_configure(config):
    if STRICT_DEPRECATIONS:  # later filter lines win over pytest.ini's "ignore::DeprecationWarning"
        config.addinivalue_line("filterwarnings", f"error::DeprecationWarning:{PLUGIN_MODULES}")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("GWLSTM_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow test: set GWLSTM_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
