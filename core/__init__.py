"""Groundwater LSTM core: a plain Python library (no QGIS), laid out as the method's stages.

    inputs/       read and check the wells, levels and forcing tables; gridded forcing at the wells
    hydrology/    freeze-thaw periods, derived inputs (snow, evaporation), the synthetic aquifer network
    model/        the LSTM, its config, fitting and trained model, the model folder, the fan-out over wells
    explanation/  expected gradients per period (one well, the network), dominant drivers, dynamics types
    evaluation/   the scores (NSE, KGE, ...)
    outputs/      the figures and the self-contained HTML report
    pipeline      the stages in order; vocabulary: the words they share; runs: runs of equal values

The public API, used by notebooks and by the processing algorithms alike::

    from groundwater_lstm import core
    run = core.train(wells, levels, forcing, core.Roles(precip="precip", temp="temp", pet="pet"))
    analysis = core.analyse(wells, levels, forcing, roles)   # train, explain and classify
    analysis.wells_table()

Names are resolved on first use, so that ``import groundwater_lstm.core`` works without torch.
"""
import importlib

from .errors import Canceled, GroundwaterError, InputError, ModelFolderError, WellInputError  # noqa: F401
from .inputs.roles import Roles  # noqa: F401

_API = {
    "train": "pipeline", "simulate": "pipeline", "explain": "pipeline", "explain_folder": "pipeline",
    "classify": "pipeline", "analyse": "pipeline", "calendars": "pipeline", "Analysis": "pipeline",
    "TrainConfig": "model.config", "ExplainConfig": "explanation.config",
    "DynamicsConfig": "explanation.dynamics", "PeriodConfig": "hydrology.periods",
    "FeatureConfig": "hydrology.features", "create_network": "hydrology.synthetic",
    "load_network": "model.store", "save_network": "model.store", "write_report": "outputs.report",
}

__all__ = [*_API, "Canceled", "GroundwaterError", "InputError", "ModelFolderError", "WellInputError", "Roles"]


def __getattr__(name):
    if name in _API:
        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
