"""QGIS sources to pandas frames and back. The one place where QGIS types meet the core's frames."""
import datetime as _dt
import math

import numpy as np
import pandas as pd
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureRequest,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProject,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

from ..core.errors import Canceled
from . import compat
from .terms import in_parameters

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


def to_python(value):
    """A QGIS attribute value as plain Python (None for NULL, datetime.date for QDate)."""
    if value is None:
        return None
    if isinstance(value, QVariant):
        return None if value.isNull() else value.value()
    if isinstance(value, QDateTime):
        return value.toPyDateTime() if value.isValid() else None
    if isinstance(value, QDate):
        return value.toPyDate() if value.isValid() else None
    return value


def field_names(source):
    return [f.name() for f in source.fields()]


def require_fields(source, names, what):
    """Raise a clear error when ``names`` are not fields of ``source`` (names the field and lists those present)."""
    present = field_names(source)
    for n in names:
        if n and n not in present:
            raise QgsProcessingException(
                f"{what}: field '{n}' does not exist. Fields present: {', '.join(present) or '(none)'}. "
                f"Fix: choose the right field in the parameter."
            )


def source_to_frame(source, fields=None, feedback=None, xy_crs=None, context=None):
    """Attributes of every feature as a DataFrame (columns: ``fields`` or all).

    With ``xy_crs`` the point geometry is added as columns ``x``, ``y`` in that CRS.
    """
    names = list(fields) if fields else field_names(source)
    request = QgsFeatureRequest()
    if xy_crs is None:
        request.setFlags(compat.NO_GEOMETRY_REQUEST)
    all_fields = source.fields()
    idx = [all_fields.lookupField(n) for n in names]
    request.setSubsetOfAttributes(idx)
    transform = None
    if xy_crs is not None and source.sourceCrs().isValid() and source.sourceCrs() != xy_crs:
        ctx = context.transformContext() if context is not None else QgsProject.instance().transformContext()
        transform = QgsCoordinateTransform(source.sourceCrs(), xy_crs, ctx)
    rows, xs, ys = [], [], []
    for i, feat in enumerate(source.getFeatures(request)):
        if feedback is not None and i % 5000 == 0:
            if feedback.isCanceled():
                break
        attrs = feat.attributes()
        rows.append([to_python(attrs[j]) for j in idx])
        if xy_crs is not None:
            geom = feat.geometry()
            if geom is None or geom.isEmpty():
                xs.append(math.nan)
                ys.append(math.nan)
            else:
                if transform is not None:
                    geom = QgsGeometry(geom)
                    geom.transform(transform)
                p = geom.centroid().asPoint()  # multipoints: their centre
                xs.append(p.x())
                ys.append(p.y())
    frame = pd.DataFrame(rows, columns=names)
    if xy_crs is not None:
        frame["x"] = xs
        frame["y"] = ys
    return frame


_FIELD_KIND_OF_DTYPE = {"f": "double", "i": "longlong", "u": "longlong", "b": "int", "M": "date"}


def fields_for(frame, types=None):
    """QgsFields for a frame: floats double, ints longlong, datetimes date, the rest string (``types``, a column ->
    field kind of ``compat.make_field``, overrides)."""
    types = types or {}
    fields = QgsFields()
    for name in frame.columns:
        kind = types.get(name) or _FIELD_KIND_OF_DTYPE.get(frame[name].dtype.kind, "string")
        fields.append(compat.make_field(name, kind))
    return fields


def _cell(value, kind):
    if value is None:
        return None
    if isinstance(value, str):
        return in_parameters(value)  # a well's status or reason says a setting as the user knows it
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if kind == "date":
        if isinstance(value, (pd.Timestamp, _dt.datetime)):
            return QDate(value.year, value.month, value.day)
        if isinstance(value, _dt.date):
            return QDate(value.year, value.month, value.day)
        if isinstance(value, np.datetime64):
            ts = pd.Timestamp(value)
            return QDate(ts.year, ts.month, ts.day)
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "string" and not isinstance(value, str):
        value = str(value)
    return value


def write_frame(frame, sink, fields, feedback=None, geometries=None, progress=None):
    """Write every row of ``frame`` as a feature (geometry from ``geometries`` aligned to rows, if given)."""
    kinds = [compat.field_kind(fields.at(i)) for i in range(fields.count())]
    values = frame.to_numpy(dtype=object)
    n = len(values)
    batch = []
    for i, row in enumerate(values):
        feat = QgsFeature(fields)
        feat.setAttributes([_cell(v, k) for v, k in zip(row, kinds)])
        if geometries is not None and geometries[i] is not None:
            feat.setGeometry(geometries[i])
        batch.append(feat)
        if len(batch) >= 2000 or i == n - 1:
            if not sink.addFeatures(batch, compat.FAST_INSERT):
                raise QgsProcessingException(f"Could not write features: {sink.lastError()}")
            batch = []
            if feedback is not None:
                if feedback.isCanceled():
                    return False
                if progress is not None:
                    progress((i + 1) / n)
    return True


class StreamedTable:
    """An output table written a well at a time, as the wells end (so a run never holds every well's rows): its
    sink is made from the first frame's columns."""

    def __init__(self, alg, parameters, name, context, feedback):
        self.alg, self.parameters, self.name, self.context, self.feedback = alg, parameters, name, context, feedback
        self.sink = self.dest = self.fields = None
        self.rows = 0
        self.wells = 0
        alg._streams.append(self)  # so that the algorithm's close_sinks lets go of this sink too

    def write(self, frame):
        self.wells += 1
        if not len(frame):
            return
        if self.sink is None:  # an empty frame has no column types yet: the first rows give them
            if self.dest is not None:
                raise RuntimeError(f"{self.name}: written to after it was finished")
            self._open(frame)
        if not write_frame(frame, self.sink, self.fields, self.feedback):
            raise Canceled()
        self.rows += len(frame)

    def _open(self, frame):
        self.fields = fields_for(frame)
        self.sink, self.dest = self.alg.create_sink(self.parameters, self.name, self.context, self.fields)

    def finish(self, empty):
        """The output's destination; an output that no well wrote to is made (empty) from ``empty``'s columns.
        The table lets go of its sink here: a sink writes its last rows only when the last reference to it goes
        (``GroundwaterAlgorithm.close_sinks``), so one kept alive here would leave the output short."""
        if self.sink is None and self.dest is None:
            self._open(empty)
        self.sink = None
        return self.dest


def point_geometry(x, y):
    if x is None or y is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return QgsGeometry.fromPointXY(QgsPointXY(float(x), float(y)))


class WellsLayout:
    """The output wells' fields: every input field, then the columns of ``extra`` (except well_id).

    Where an input field has the name of a column written now, a re-run on an earlier run's output (most of the
    columns written now are there already) replaces it; otherwise the field is the user's own and is kept under
    a new name (``status`` -> ``status_1``), which ``log`` is told."""

    def __init__(self, source_fields, extra, types=None, log=None):
        extra_cols = [c for c in extra.columns if c != "well_id"]
        names = [f.name() for f in source_fields]
        clashes = [n for n in names if n in extra_cols]
        earlier_run = len(clashes) >= max(2, (len(extra_cols) + 1) // 2)
        taken = set(names) | set(extra_cols)
        self.fields = QgsFields()
        self.copied = {}  # output field -> input field whose values it holds
        renamed = []
        for f in source_fields:
            if f.name() in clashes:
                if earlier_run:
                    continue
                f = QgsField(f)
                new = unique_name(f.name(), taken)
                taken.add(new)
                renamed.append(f"'{f.name()}' as '{new}'")
                self.copied[new] = f.name()
                f.setName(new)
            else:
                self.copied[f.name()] = f.name()
            self.fields.append(f)
        for f in fields_for(extra[extra_cols], types):
            self.fields.append(f)
        if log is not None and clashes:
            log(f"The wells' fields {', '.join(clashes)} are replaced by this run's (they hold an earlier run's "
                "results)." if earlier_run else
                f"The wells layer has fields of its own that this run writes too: kept {', '.join(renamed)}.")


def unique_name(name, taken, width=10):
    """``name_1``, ``name_2``, ... cut to ``width`` characters (shapefiles) and not in ``taken``."""
    for i in range(1, 1000):
        suffix = f"_{i}"
        candidate = name[:width - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free field name for '{name}'")


def write_wells(source, id_field, extra, sink, layout, feedback=None):
    """Copy every well feature with its attributes (as ``layout`` places them) and the row of ``extra`` that
    has its ID."""
    from ..core.inputs.ids import normalise_id

    extra = extra.copy()
    extra["well_id"] = [normalise_id(w) for w in extra["well_id"]]
    table = extra.set_index("well_id")
    fields = layout.fields
    names = fields.names()
    kinds = [compat.field_kind(fields.at(i)) for i in range(fields.count())]
    for feat in source.getFeatures():
        if feedback is not None and feedback.isCanceled():
            return False
        out = QgsFeature(fields)
        out.setGeometry(feat.geometry())
        wid = normalise_id(to_python(feat[id_field]))
        row = table.loc[wid] if wid in table.index else None
        attrs = []
        for name, kind in zip(names, kinds):
            if name in layout.copied:
                attrs.append(feat[layout.copied[name]])
            elif row is not None and name in table.columns:
                attrs.append(_cell(row[name], kind))
            else:
                attrs.append(None)
        out.setAttributes(attrs)
        if not sink.addFeature(out, compat.FAST_INSERT):
            raise QgsProcessingException(f"Could not write well '{wid}': {sink.lastError()}")
    return True
