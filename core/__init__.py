"""Groundwater LSTM core: a plain Python library (no QGIS).

Light modules are imported here; torch-based modules (model, training, explain) are imported on first use so
that ``import groundwater_lstm.core`` works without torch.
"""
import importlib

from .errors import Canceled, GroundwaterError, InputError, ModelFolderError, WellInputError  # noqa: F401
from .roles import ROLE_NAMES, Roles  # noqa: F401

_LAZY_MODULES = (
    "dependencies", "periods", "synthetic", "data", "features", "metrics", "model", "training",
    "executor", "store", "explain", "dynamics", "report",
)


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(name)
