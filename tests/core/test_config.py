"""One settings style for every stage: checked when made, unknown keys refused, saved and read whole."""
import pytest

from groundwater_lstm.core.errors import InputError
from groundwater_lstm.core.explanation.config import ExplainConfig
from groundwater_lstm.core.explanation.dynamics import DynamicsConfig
from groundwater_lstm.core.hydrology.features import FeatureConfig
from groundwater_lstm.core.hydrology.periods import PeriodConfig

pytest.importorskip("torch")
from groundwater_lstm.core.model.config import TrainConfig  # noqa: E402

ALL = (TrainConfig, ExplainConfig, DynamicsConfig, FeatureConfig, PeriodConfig)


@pytest.mark.parametrize("cls", ALL)
def test_saved_whole_and_read_back_equal(cls):
    made = cls()
    assert cls.from_dict(made.to_dict()) == made


@pytest.mark.parametrize("cls", ALL)
def test_an_unknown_key_is_refused_by_name(cls):
    with pytest.raises(InputError, match="'no_such_setting'") as info:
        cls.from_dict({**cls().to_dict(), "no_such_setting": 1})
    assert "Fix: use one of" in str(info.value)


def test_a_misspelt_replace_is_refused_not_ignored():
    # TrainConfig().replace(epoch=5) once returned the defaults (epochs=60) without a word
    with pytest.raises(InputError, match="'epoch'"):
        TrainConfig().replace(epoch=5)
    assert TrainConfig().replace(epochs=5).epochs == 5


@pytest.mark.parametrize("make, setting", [
    (lambda: TrainConfig(lookback=0), "`lookback`"),
    (lambda: ExplainConfig(span="train"), "`span`"),
    (lambda: FeatureConfig(melt_factor=-1.0), "melt_factor"),
    (lambda: PeriodConfig(window=0), "window"),
])
def test_checked_when_made(make, setting):
    with pytest.raises(InputError, match=setting):
        make()


def test_the_settings_and_the_baseline_load_without_torch():
    # make bench-pastas runs the plugin's own baseline code in a venv without torch (Pastas 2 needs numpy 2)
    import os
    import subprocess
    import sys

    import groundwater_lstm

    code = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('torch is hidden')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from groundwater_lstm.core.model.config import TrainConfig\n"
        "from groundwater_lstm.core.model import tfn\n"
        "from groundwater_lstm.core.model.splits import split_dates\n"
        "from groundwater_lstm.core.inputs.tables import prepare_wells\n"
        "cfg = TrainConfig().replace(lookback=30)\n"
        "assert 'torch' not in sys.modules\n"
        "print(cfg.lookback, cfg.feature_config().__class__.__name__)\n")
    plugins = os.path.dirname(os.path.dirname(os.path.abspath(groundwater_lstm.__file__)))  # the link's folder
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": plugins})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["30", "FeatureConfig"]
