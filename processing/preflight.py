"""The check every algorithm makes before it reads or trains anything: where will its outputs go?

Refused, with the parameter and the fix:
- an output that is one of the inputs (the same table of a GeoPackage would be emptied), an output that would
  replace the whole file of an input (a GeoPackage with the levels and forcing in it), or an output folder that
  holds an input. A new table in an input's GeoPackage is fine: outputs are staged (processing/staging.py), so
  the file's other tables are kept, and a graphical model may keep every step's tables in one GeoPackage;
- two outputs that would each write the whole of one file;
- an output whose folder cannot be written or created (a missing folder is created when the run writes), or an
  existing file that cannot be replaced;
- a model folder that holds anything but a model folder of ours (those files are the user's).
"""
import os
import re

from qgis.core import (
    QgsMapLayer,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingUtils,
    QgsProviderRegistry,
)

from ..core.model import store
from .staging import MULTI_LAYER

INPUT_TYPES = {"source", "vector", "raster", "multilayer", "layer", "mesh", "file"}
LAYER_OUTPUTS = {"sink", "vectorDestination", "rasterDestination"}


def file_of(destination):
    """The file behind an output destination, or None ('memory:', database URIs without a file)."""
    if not destination or not isinstance(destination, str) or destination.startswith("memory:"):
        return None
    m = re.match(r"^ogr:dbname='([^']+)'", destination)
    if m:
        return m.group(1)
    if ":" in destination.split("/")[0] and not os.path.isabs(destination) and not re.match(r"^[A-Za-z]:", destination):
        return None  # postgres:, spatialite: ... (but not a Windows drive)
    return destination.split("|")[0]


def table_of(destination):
    """The table named in an ``ogr:dbname='...' table="..."`` destination, or None (the whole file)."""
    m = re.search(r"""table=["']?([^"' ]+)""", destination or "")
    return m.group(1) if m and destination.startswith("ogr:") else None


def _same(a, b):
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _input_paths(value, context):
    """(file, layer name or None) behind one input parameter value (a path, a layer id, a layer, a selection
    definition, a list)."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _input_paths(v, context)]
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        value = value.source.staticValue()
    layer = value if isinstance(value, QgsMapLayer) else None
    if layer is None and isinstance(value, str):
        if os.path.exists(value.split("|")[0]):
            name = re.search(r"\|layername=([^|]+)", value)
            return [(value.split("|")[0], name.group(1) if name else None)]
        layer = QgsProcessingUtils.mapLayerFromString(value, context)
    if layer is None:
        return []
    parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    path = parts.get("path")
    return [(path, parts.get("layerName") or None)] if path and os.path.exists(path) else []


def _outputs(alg, parameters, context):
    """(parameter name, kind, destination, file) for every output this run will write."""
    out = []
    for d in alg.destinationParameterDefinitions():
        name = d.name()
        value = parameters.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, QgsProcessingOutputLayerDefinition):
            value = value.sink.staticValue()
        if value in ("", None) or str(value).startswith("memory:") or value == "TEMPORARY_OUTPUT":
            continue  # a temporary layer or file of QGIS's own: nothing of the user's is there
        if d.type() in LAYER_OUTPUTS:
            dest = alg.parameterAsOutputLayer(parameters, name, context)
            out.append((name, "layer", dest, file_of(dest)))
        elif d.type() == "folderDestination":
            path = alg.parameterAsString(parameters, name, context)
            out.append((name, "folder", path, path))
        else:
            path = alg.parameterAsFileOutput(parameters, name, context)
            out.append((name, "file", path, path))
    return [o for o in out if o[3]]


def _writable(name, kind, path):
    parent = os.path.dirname(os.path.abspath(path)) or "."
    existing = parent
    while not os.path.exists(existing):  # a missing folder is made when the run writes: can it be?
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return (f"{name}: the folder '{parent}' cannot be created, because '{existing}' is a file. Fix: choose an "
                "output in a folder.")
    if not os.access(existing, os.W_OK):
        return (f"{name}: the folder '{existing}' cannot be written. Fix: choose an output in a folder you can "
                "write.")
    if os.path.exists(path):
        if kind == "folder" and not os.path.isdir(path):
            return f"{name}: '{path}' is a file, not a folder. Fix: choose a new or empty folder for the model."
        if kind != "folder" and os.path.isdir(path):
            return f"{name}: '{path}' is a folder. Fix: choose a file name for {name}."
        if not os.access(path, os.W_OK):
            return f"{name}: '{path}' exists and cannot be replaced (read-only). Fix: choose another file."
        if kind == "layer" and _holds_tables(path) and not _is_sqlite(path):
            return (f"{name}: '{path}' exists but is not a GeoPackage (or SQLite) file, so no table can be added "
                    "to it. Fix: choose another file name, or remove that file.")
    return ""


def _holds_tables(path):
    """Whether ``path`` names a file that holds tables (a run adds its table to it rather than replacing it)."""
    return os.path.splitext(path)[1].lower() in MULTI_LAYER


def _is_sqlite(path):
    try:
        with open(path, "rb") as f:
            return os.path.getsize(path) == 0 or f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def problem(alg, parameters, context):
    """The first reason not to start the run, or '' when its outputs are safe to write."""
    inputs = []
    for d in alg.parameterDefinitions():
        if not d.isDestination() and d.type() in INPUT_TYPES:
            inputs += [(d.name(), p) for p in _input_paths(parameters.get(d.name()), context)]
    outputs = _outputs(alg, parameters, context)
    for name, kind, dest, path in outputs:
        for in_name, (in_path, in_layer) in inputs:
            if kind == "folder" and os.path.isdir(path) and _same(os.path.commonpath(
                    [os.path.realpath(path), os.path.realpath(in_path)]), path):
                return (f"{name}: the folder '{path}' holds the input {in_name} ('{in_path}'). Fix: choose a new "
                        f"folder for {name}.")
            if kind == "folder" or not os.path.exists(path) or not _same(path, in_path):
                continue
            table = table_of(dest) if kind == "layer" else None
            if table is None:
                return (f"{name}: '{path}' is the file of the input {in_name}; writing the whole file would replace "
                        f"it and every table in it. Fix: write {name} to another file, or to a new table of it "
                        f"(ogr:dbname='{path}' table=...).")
            if in_layer is None or table.lower() == in_layer.lower():
                return (f"{name}: table '{table}' of '{path}' is the input {in_name}; writing there would empty "
                        f"your data. Fix: write {name} to another table or file.")
        problem_text = _writable(name, kind, path)
        if problem_text:
            return problem_text
        if kind == "folder":
            foreign = store.foreign_entries(path)
            if foreign:
                return (f"{name}: the folder '{path}' holds files that are not part of a model folder of ours "
                        f"({', '.join(foreign)}); they would be lost. Fix: choose a new or empty folder for {name}.")
    for i, (name, kind, dest, path) in enumerate(outputs):
        for other, _kind, other_dest, other_path in outputs[i + 1:]:
            if _same(path, other_path):
                a, b = table_of(dest), table_of(other_dest)
                if not (a and b and a != b):
                    return (f"{name} and {other} would both write '{path}', the second over the first. Fix: give "
                            f"them different files, or different tables of one GeoPackage "
                            f"(ogr:dbname='{path}' table=...).")
    return ""
