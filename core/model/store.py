"""The model folder: ``manifest.json`` plus one weights file per well and ensemble member.

Layout::

    <folder>/manifest.json         format version, config, roles, features, scalers, splits, seeds, versions,
                                   metrics, status and (with ``tune``) its own settings per well (UTF-8 JSON)
    <folder>/weights/w0000_m0.pt   torch.save(state_dict) of well 0, member 0 (the manifest maps well IDs to
                                   indices, so any well ID works: accents, slashes, spaces)

``save_network`` writes everything into a temporary sibling folder and renames it into place at the end, so a
folder is written completely or not at all (a cancel or an error leaves nothing behind). ``load_network`` checks
the manifest and the weights and refuses a folder it cannot use with a ``ModelFolderError`` that says why.
"""
import json
import os
import platform
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..errors import Canceled, InputError, ModelFolderError
from ..inputs.ids import normalise_id
from ..inputs.roles import Roles

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS_DIR = "weights"
KIND = "groundwater_lstm model folder"


def package_versions(**made_by):
    """The versions a model folder records: ``made_by`` (the caller, e.g. ``plugin="1.2.0"``) and the packages."""
    import torch

    return {**made_by, "torch": torch.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "python": platform.python_version()}


def _json_value(v):
    if isinstance(v, (np.floating, float)):
        v = float(v)
        return v if np.isfinite(v) else None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (pd.Timestamp,)):
        return None if pd.isna(v) else v.strftime("%Y-%m-%d")
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_json_value(x) for x in v.tolist()]
    return v


def _nan(d):
    """JSON null -> NaN in metric dicts."""
    if isinstance(d, dict):
        return {k: _nan(v) for k, v in d.items()}
    return float("nan") if d is None else d


def weight_file(index, member):
    return f"{WEIGHTS_DIR}/w{index:04d}_m{member}.pt"


_WEIGHT_NAME = re.compile(r"^w\d{4,}_m\d+\.pt$")


def foreign_entries(folder):
    """What ``folder`` holds besides a model folder of ours (relative paths, at most 5), or [] when it holds only
    that or nothing. A folder with anything else in it is never replaced: those files are the user's."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name == MANIFEST and entry.is_file():
            continue
        if entry.name == WEIGHTS_DIR and entry.is_dir():
            found += [f"{WEIGHTS_DIR}/{w.name}" for w in sorted(entry.iterdir())
                      if not (w.is_file() and _WEIGHT_NAME.match(w.name))]
            continue
        found.append(entry.name + ("/" if entry.is_dir() else ""))
    if found or not any(folder.iterdir()):
        return found[:5]
    return [] if (folder / MANIFEST).is_file() else [MANIFEST + " is missing"]


def _well_entry(index, tw):
    return {
        "index": index,
        "status": tw.status,
        "n_obs": tw.n_obs,
        "feature_names": list(tw.feature_names),
        "feature_drivers": tw.feature_drivers,
        "scalers": tw.scalers,
        "splits": {k: [v[0], v[1]] for k, v in tw.splits.items()},
        "seeds": tw.info.get("seeds"),
        "epochs": tw.info.get("epochs"),
        "tuned": (tw.info.get("tuning") or {}).get("chosen"),  # this well's own settings where TUNE chose them
        "info": tw.info,
        "model": tw.members[0].spec() if tw.members else None,
        "members": [weight_file(index, k) for k in range(len(tw.members))],
        "metrics": tw.metrics,
        "period_metrics": tw.period_metrics,
    }


def build_manifest(result, roles, config, made_by=None):
    trained = result.trained
    first = next(iter(trained.values()), None)
    wells = {normalise_id(w): _well_entry(i, tw) for i, (w, tw) in enumerate(trained.items())}
    return _json_value({
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": package_versions(**(made_by or {})),
        "config": config.to_dict(),
        "roles": roles.to_dict(),
        "drivers": roles.drivers(),
        "feature_config": config.feature_config().to_dict(),
        "feature_names": list(first.feature_names) if first else [],
        "feature_drivers": first.feature_drivers if first else {},
        "seeds": [int(config.seed) + k for k in range(int(config.ensemble))],
        "wells": wells,
        "skipped": {str(w): str(r) for w, r in (result.skipped or {}).items()},
    })


def _remove(path):
    shutil.rmtree(path, ignore_errors=True)


def save_network(folder, result, roles, config, progress=None, is_canceled=None, made_by=None):
    """Write ``result`` (a ``training.NetworkResult``) as a model folder at ``folder``; returns its Path.

    The folder is written under a temporary sibling name and renamed at the end. An existing model folder (or
    an empty folder) at ``folder`` is replaced; any other existing path is refused (ModelFolderError).
    ``Canceled`` (checked per well) leaves nothing behind. ``made_by`` ({"plugin": version}) goes into the
    manifest's versions.
    """
    import torch

    folder = Path(folder)
    if folder.exists():
        if folder.is_file() or (any(folder.iterdir()) and not (folder / MANIFEST).is_file()):
            raise ModelFolderError(f"'{folder}' exists and is not a model folder; refusing to overwrite it. "
                                   "Fix: choose a new or empty folder for the model")
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFolderError(f"cannot create the folder '{parent}': {exc}. Fix: choose a writable place") from exc
    tmp = parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        (tmp / WEIGHTS_DIR).mkdir(parents=True)
        manifest = build_manifest(result, roles, config, made_by)
        n = max(1, len(result.trained))
        for i, (w, tw) in enumerate(result.trained.items()):
            if is_canceled is not None and is_canceled():
                raise Canceled("saving the model folder was cancelled")
            for k, m in enumerate(tw.members):
                torch.save(m.state_dict(), tmp / weight_file(i, k))
            if progress is not None:
                progress((i + 1) / n, f"saved the models of well {w}")
        with open(tmp / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1, allow_nan=False)
        if is_canceled is not None and is_canceled():
            raise Canceled("saving the model folder was cancelled")
        if folder.exists():
            old = parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(folder, old)
            try:
                os.replace(tmp, folder)
            except OSError:
                os.replace(old, folder)
                raise
            _remove(old)
        else:
            os.replace(tmp, folder)
    except OSError as exc:
        _remove(tmp)
        raise ModelFolderError(f"cannot write the model folder '{folder}': {exc}. "
                               "Fix: choose a writable folder with free space") from exc
    except BaseException:
        _remove(tmp)
        raise
    return folder


@dataclass
class LoadedNetwork:
    """A model folder read back: ``trained`` (well_id -> TrainedWell), ``skipped`` (well_id -> reason),
    ``roles``, ``config``, ``manifest`` (the parsed JSON) and ``folder``."""

    trained: dict
    skipped: dict
    roles: Roles
    config: object
    manifest: dict
    folder: Optional[Path] = None
    feature_names: list = field(default_factory=list)

    @property
    def drivers(self):
        return self.roles.drivers()

    def check_compatible(self, roles, columns=None, well_ids=None):
        """Refuse inputs that these models cannot use (ModelFolderError naming the difference).

        roles: the ``Roles`` of the new inputs: they must give the same drivers (role names and other drivers)
        as at training (column names may differ). columns: the forcing table's columns: every column the roles
        name must be there. well_ids: the wells to simulate: at least one must have a model. Returns the wells
        of ``well_ids`` that have a model (all trained wells when ``well_ids`` is None).
        """
        want = self.roles.drivers()
        have = roles.drivers()
        if want != have:
            missing = [d for d in want if d not in have]
            extra = [d for d in have if d not in want]
            parts = []
            if missing:
                parts.append(f"the inputs lack the driver(s) {', '.join(missing)}")
            if extra:
                parts.append(f"the inputs add the driver(s) {', '.join(extra)} that the models never saw")
            if not parts:
                parts.append(f"the drivers come in another order ({', '.join(have)} instead of {', '.join(want)})")
            raise ModelFolderError(
                f"the model folder '{self.folder}' was trained with the drivers {', '.join(want)}: "
                + "; ".join(parts) + ". Fix: give the same driver fields (roles) as for training, or train anew")
        if columns is not None:
            cols = set(map(str, columns))
            absent = [f"{c} ({d})" for d, c in roles.columns().items() if c not in cols]
            if absent:
                raise ModelFolderError(f"the forcing table lacks the column(s) {', '.join(absent)} that the models "
                                       "need. Fix: choose the forcing fields of these drivers")
        if well_ids is None:
            return list(self.trained)
        ids = [normalise_id(w) for w in well_ids]
        usable = [w for w in ids if w in self.trained]
        if not usable:
            have_ids = list(self.trained)
            shown = ", ".join(have_ids[:5]) + (f" and {len(have_ids) - 5} more" if len(have_ids) > 5 else "")
            asked = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise ModelFolderError(f"the model folder '{self.folder}' holds models for other wells ({shown}), "
                                   f"none for {asked or 'the given wells'}. Fix: choose the model folder trained "
                                   "for these wells, or the same well-ID field as for training")
        return usable

    def simulate(self, records, progress=None, is_canceled=None, periods=None, executor=None, on_simulation=None):
        """Simulate ``records`` (``data.WellRecord``s, e.g. from ``data.prepare_forcing_only``) with the stored
        models: (simulation DataFrame, skipped dict). See ``training.simulate_network``."""
        from .training import simulate_network

        return simulate_network(self.trained, records, self.roles, progress=progress, is_canceled=is_canceled,
                                periods=periods, executor=executor, on_simulation=on_simulation)


def _read_manifest(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"there is no model folder at '{folder}'. Fix: choose the folder that training "
                               "wrote (it holds manifest.json)")
    path = folder / MANIFEST
    if not path.is_file():
        raise ModelFolderError(f"'{folder}' holds no {MANIFEST}: it is not a model folder, or it was not written "
                               "completely. Fix: choose the folder that training wrote, or train anew")
    try:
        with open(path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ModelFolderError(f"cannot read '{path}': {exc}. Fix: train anew") from exc
    if not isinstance(manifest, dict):
        raise ModelFolderError(f"'{path}' is not a model manifest. Fix: train anew")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1 or version > FORMAT_VERSION:
        raise ModelFolderError(f"the model folder '{folder}' has format version {version!r}, this plugin reads "
                               f"version {FORMAT_VERSION} (and older). Fix: update the plugin, or train anew")
    for key in ("config", "roles", "wells"):
        if key not in manifest:
            raise ModelFolderError(f"the manifest of '{folder}' lacks '{key}'. Fix: train anew")
    return manifest


def load_network(folder):
    """Read a model folder into a ``LoadedNetwork`` (ModelFolderError when it is missing, incomplete or of an
    unknown format)."""
    import torch

    from .lstm import WellLSTM
    from .trained import TrainedWell
    from .config import TrainConfig

    folder = Path(folder)
    manifest = _read_manifest(folder)
    try:
        config = TrainConfig.from_dict(manifest["config"])
        config.feature_config()
    except InputError as exc:  # a setting this version does not know: the folder comes from a newer plugin
        raise ModelFolderError(f"the model folder '{folder}' has settings this plugin cannot use ({exc.problem}). "
                               "Fix: train the wells again with this plugin, or update the plugin") from None
    roles = Roles.from_dict(manifest["roles"])
    trained = {}
    for w, entry in manifest["wells"].items():
        spec = entry.get("model") or {}
        members = []
        for rel in entry.get("members", []):
            path = folder / rel
            if not path.is_file():
                raise ModelFolderError(f"the model folder '{folder}' lacks the weights file '{rel}' of well '{w}'. "
                                       "Fix: copy the whole folder, or train anew")
            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
                m = WellLSTM(spec.get("n_features", len(entry["feature_names"])), spec.get("hidden", config.hidden),
                             spec.get("dropout", config.dropout))
                m.load_state_dict(state)
            except Exception as exc:  # a truncated or foreign file
                raise ModelFolderError(f"cannot read the weights file '{rel}' of well '{w}': {exc}. "
                                       "Fix: train anew") from exc
            members.append(m)
        if not members:
            raise ModelFolderError(f"the manifest of '{folder}' lists no weights for well '{w}'. Fix: train anew")
        splits = {k: (pd.Timestamp(v[0]), pd.Timestamp(v[1])) for k, v in entry["splits"].items()}
        try:
            own = config.replace(**entry["tuned"]) if entry.get("tuned") else config
        except InputError as exc:  # a tuned setting this version does not know: a newer plugin's folder
            raise ModelFolderError(f"the model folder '{folder}' has settings for well '{w}' that this plugin cannot "
                                   f"use ({exc.problem}). Fix: train the wells again with this plugin, or update "
                                   "the plugin") from None
        trained[w] = TrainedWell(w, members, entry["feature_names"], entry.get("feature_drivers") or {},
                                 entry["scalers"], splits, own, metrics=_nan(entry.get("metrics") or {}),
                                 period_metrics=_nan(entry.get("period_metrics") or {}),
                                 status=entry.get("status", "ok"), info=entry.get("info") or {},
                                 n_obs=entry.get("n_obs"))
    return LoadedNetwork(trained, dict(manifest.get("skipped") or {}), roles, config, manifest, folder,
                         list(manifest.get("feature_names") or []))
