"""Reading an analysis output for the well inspector: pure reading, no training, no pandas, no torch.

How a run records its outputs (the contract ``analysewells`` / ``trainwells`` / ``explaindrivers`` write)
---------------------------------------------------------------------------------------------------------
1. The output wells layer is a GeoPackage layer whose fields follow DESIGN.md section 2: the well ID field
   (``well_id`` unless the run says otherwise), ``status``, ``n_obs``, ``nse_train``, ``nse_val``,
   ``nse_test``, ``kge_test``, ``rmse_test``, ``bias_test``, ``dom_drv``, ``dom_frz``, ``dom_thw``,
   ``dom_unf``, ``sh_<driver>``, ``eg_qual``, ``dyn_type``, ``dyn_conf``.
2. The same GeoPackage holds a table without geometry named ``gwlstm_run`` with two text fields ``key`` and
   ``value``, one row per key:

   ===============  =======================================================================================
   key              value
   ===============  =======================================================================================
   model_folder     the model folder (absolute, or relative to the GeoPackage's folder)
   simulation       layer URI of the simulation table (``/abs/out.gpkg|layername=simulation``; a path
                    relative to the GeoPackage's folder; or a bare layer name such as ``simulation``,
                    meaning that layer of this same GeoPackage)
   attribution      layer URI of the attribution table (same forms)
   periods          layer URI of the freeze-thaw calendar table (same forms)
   well_id_field    the wells layer's ID field (the run's ID field: ``well_id`` unless the user chose another)
   wells            optional: the wells layer's name inside the GeoPackage (several layers may share one
                    GeoPackage; the record is read whichever of them is selected)
   ===============  =======================================================================================

   Keys the run did not produce (a training-only run has no ``attribution``) are left out or left empty.
``analysewells`` writes this record (processing/run_record.py); a layer without it (the output of
``trainwells``, or a copy saved elsewhere) still shows its metrics and type from the fields.

Tables: simulation ``well_id, date, observed, simulated, lower, upper, split, period``; attribution
``well_id, period, driver, mean_signed, mean_abs, share``; periods ``well_id, winter, freeze_start,
thaw_start, thaw_end``. ``well_id`` is the column name in all three tables.

A layer with neither a run record nor the output fields is not an analysis output: :func:`open_output`
returns None and a short explanation instead of raising.
"""
import datetime as _dt
import math
import os
import sqlite3
from dataclasses import dataclass, field

from qgis.core import (
    QgsExpression,
    QgsFeatureRequest,
    QgsProviderRegistry,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

from ..core.inputs.ids import normalise_id
from ..core.runs import runs as core_runs
from ..core.vocabulary import DOMINANT_FIELDS, SCORE_FIELDS
from ..processing import compat
from ..processing.run_record import RUN_TABLE

TABLE_KEYS = ("simulation", "attribution", "periods")
WELL_ID = "well_id"
OUTPUT_FIELDS = ("status", "n_obs", *SCORE_FIELDS, *DOMINANT_FIELDS, "eg_qual", "dyn_type", "dyn_conf")

NOT_AN_OUTPUT = (
    "'{name}' is not a Groundwater LSTM analysis output: it has no '{table}' record and no "
    "'status'/'nse_test' fields. Select the wells layer written by 'Analyse wells' or 'Train wells' "
    "(Processing toolbox > Groundwater LSTM) to inspect its wells."
)


# ---------------------------------------------------------------------------------------------- values
def to_python(value):
    """A QGIS attribute value as plain Python (None for NULL, date/datetime for QDate/QDateTime)."""
    if value is None:
        return None
    if isinstance(value, QVariant):
        return None if value.isNull() else to_python(value.value())
    if isinstance(value, QDateTime):
        return value.toPyDateTime() if value.isValid() else None
    if isinstance(value, QDate):
        return value.toPyDate() if value.isValid() else None
    return value


def to_float(value):
    value = to_python(value)
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def to_date(value):
    """datetime.date from a QDate/QDateTime/ISO string/datetime, or None."""
    value = to_python(value)
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return _dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def well_key(value):
    """A well ID as the core reads it ('7', 7 and 7.0 are the same well); '' for none."""
    return normalise_id(to_python(value)) or ""


# ---------------------------------------------------------------------------------------------- sources
def layer_path(layer):
    """The file behind a vector layer (``path`` of its decoded URI), or ''."""
    try:
        parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    except Exception:  # a provider without decodeUri support
        parts = {}
    path = parts.get("path") or ""
    if not path:
        path = layer.source().split("|")[0]
    return path if path and os.path.isfile(path) else ""


def is_geopackage(path):
    if not path or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(b"SQLite format 3")


def read_run_table(gpkg):
    """The ``gwlstm_run`` key/value record of a GeoPackage as a dict ({} when there is none).

    Read with sqlite3 (read-only URI) so that opening a layer never locks or alters the GeoPackage.
    """
    if not is_geopackage(gpkg):
        return {}
    uri = "file:" + os.path.abspath(gpkg).replace("?", "%3f").replace("#", "%23") + "?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return {}
    try:
        rows = con.execute(f'SELECT "key", "value" FROM "{RUN_TABLE}"').fetchall()
    except sqlite3.Error:
        return {}
    finally:
        con.close()
    return {str(k).strip(): ("" if v is None else str(v).strip()) for k, v in rows if k is not None}


def resolve_path(value, base_dir):
    if not value:
        return ""
    value = os.path.expanduser(value)
    if not os.path.isabs(value) and base_dir:
        value = os.path.join(base_dir, value)
    return os.path.normpath(value)


def resolve_table_uri(value, base_dir, gpkg=""):
    """An OGR layer URI for a table recorded as ``value``; '' when nothing is recorded.

    Forms: ``path|layername=x`` (path absolute or relative to ``base_dir``), a plain file path, or a bare layer
    name (no separator, no extension) meaning that layer of ``gpkg``.
    """
    value = (value or "").strip()
    if not value:
        return ""
    path, sep, options = value.partition("|")
    if not sep and gpkg and "/" not in path and "\\" not in path and not os.path.splitext(path)[1]:
        return f"{gpkg}|layername={path}"
    if path.startswith("layername="):  # "|layername=x" written without a path: this GeoPackage
        return f"{gpkg}|{path}" if gpkg else ""
    path = resolve_path(path, base_dir)
    return f"{path}{sep}{options}"


def open_table(uri, name):
    """A QgsVectorLayer for ``uri`` (OGR), or None when it does not open."""
    if not uri:
        return None
    layer = QgsVectorLayer(uri, name, "ogr")
    return layer if layer.isValid() else None


# ---------------------------------------------------------------------------------------------- data
@dataclass
class WellSeries:
    """One well's rows of the simulation table, sorted by date."""

    well_id: str
    dates: list = field(default_factory=list)
    observed: list = field(default_factory=list)
    simulated: list = field(default_factory=list)
    lower: list = field(default_factory=list)
    upper: list = field(default_factory=list)
    split: list = field(default_factory=list)
    period: list = field(default_factory=list)

    def __len__(self):
        return len(self.dates)

    @property
    def n_observed(self):
        return sum(1 for v in self.observed if not math.isnan(v))

    def observed_points(self):
        """(dates, values) of the days with an observation."""
        pairs = [(d, v) for d, v in zip(self.dates, self.observed) if not math.isnan(v)]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def has_band(self):
        return any(not (math.isnan(lo) or math.isnan(hi)) for lo, hi in zip(self.lower, self.upper))


@dataclass
class AttributionRow:
    period: str
    driver: str
    mean_signed: float
    mean_abs: float
    share: float


def runs(dates, labels):
    """Contiguous spans [(label, first date, last date)] of equal non-empty labels along sorted ``dates``."""
    labels = [(lab or "").strip().lower() for lab in labels]
    starts, ends = core_runs(labels)
    return [(labels[s], dates[s], dates[e]) for s, e in zip(starts, ends) if labels[s]]


# ---------------------------------------------------------------------------------------------- output
class AnalysisOutput:
    """An analysis output wells layer and the tables its run recorded."""

    def __init__(self, layer, record, base_dir, gpkg, notes=None):
        self.layer = layer
        self.record = dict(record)
        self.base_dir = base_dir
        self.gpkg = gpkg
        self.notes = list(notes or [])
        self.well_field = self.record.get("well_id_field") or WELL_ID
        self.model_folder = resolve_path(self.record.get("model_folder", ""), base_dir)
        self.uris = {key: resolve_table_uri(self.record.get(key, ""), base_dir, gpkg) for key in TABLE_KEYS}
        self._tables = {}

    # -- tables
    def table(self, key):
        """The recorded ``key`` table as a layer, or None (with a note saying why)."""
        if key not in self._tables:
            uri = self.uris.get(key, "")
            layer = open_table(uri, key)
            if uri and layer is None:
                self.notes.append(f"the {key} table recorded by the run ({uri}) does not open")
            self._tables[key] = layer
        return self._tables[key]

    # -- wells
    def well_ids(self):
        """[(well_id, status)] of the layer's features, in feature order, each well once."""
        idx = self.layer.fields().lookupField(self.well_field)
        if idx < 0:
            return []
        st = self.layer.fields().lookupField("status")
        req = QgsFeatureRequest().setFlags(compat.NO_GEOMETRY_REQUEST)
        req.setSubsetOfAttributes([i for i in (idx, st) if i >= 0])
        seen, out = set(), []
        for f in self.layer.getFeatures(req):
            wid = well_key(f.attribute(idx))
            if wid and wid not in seen:
                seen.add(wid)
                out.append((wid, well_key(f.attribute(st)) if st >= 0 else ""))
        return out

    def well_of_feature(self, feature):
        idx = feature.fields().lookupField(self.well_field)
        return well_key(feature.attribute(idx)) if idx >= 0 else ""

    def feature_ids(self, well_id):
        expr = QgsExpression.createFieldEqualityExpression(self.well_field, self._typed(self.layer, self.well_field,
                                                                                        well_id))
        req = QgsFeatureRequest().setFilterExpression(expr).setFlags(compat.NO_GEOMETRY_REQUEST)
        req.setNoAttributes()
        return [f.id() for f in self.layer.getFeatures(req)]

    def attributes(self, well_id):
        """{field: value} of the well's feature in the output layer ({} when absent)."""
        fids = self.feature_ids(well_id)
        if not fids:
            return {}
        feat = self.layer.getFeature(fids[0])
        return {f.name(): to_python(feat.attribute(f.name())) for f in self.layer.fields()}

    @staticmethod
    def _typed(layer, name, well_id):
        """``well_id`` converted to the field's type, so that the filter compares like with like."""
        idx = layer.fields().lookupField(name)
        if idx >= 0 and layer.fields().at(idx).isNumeric():
            try:
                return int(well_id)
            except ValueError:
                try:
                    return float(well_id)
                except ValueError:
                    return well_id
        return well_id

    def _rows(self, key, well_id, order_by=None):
        layer = self.table(key)
        if layer is None or layer.fields().lookupField(WELL_ID) < 0:
            return layer, []
        expr = QgsExpression.createFieldEqualityExpression(WELL_ID, self._typed(layer, WELL_ID, well_id))
        req = QgsFeatureRequest().setFilterExpression(expr).setFlags(compat.NO_GEOMETRY_REQUEST)
        if order_by:
            req.addOrderBy(order_by, True)
        return layer, list(layer.getFeatures(req))

    def simulation(self, well_id):
        """The well's :class:`WellSeries` (empty when no simulation table is recorded)."""
        series = WellSeries(str(well_id))
        layer, feats = self._rows("simulation", well_id, order_by="date")
        if layer is None:
            return series
        names = set(layer.fields().names())
        rows = []
        for f in feats:
            d = to_date(f["date"]) if "date" in names else None
            if d is None:
                continue
            rows.append((
                d,
                to_float(f["observed"]) if "observed" in names else math.nan,
                to_float(f["simulated"]) if "simulated" in names else math.nan,
                to_float(f["lower"]) if "lower" in names else math.nan,
                to_float(f["upper"]) if "upper" in names else math.nan,
                (well_key(f["split"]) if "split" in names else "").lower(),
                (well_key(f["period"]) if "period" in names else "").lower(),
            ))
        rows.sort(key=lambda r: r[0])  # the provider may ignore ORDER BY on text dates
        for r in rows:
            series.dates.append(r[0])
            series.observed.append(r[1])
            series.simulated.append(r[2])
            series.lower.append(r[3])
            series.upper.append(r[4])
            series.split.append(r[5])
            series.period.append(r[6])
        return series

    def attribution(self, well_id):
        """The well's [:class:`AttributionRow`] (empty when no attribution table is recorded)."""
        layer, feats = self._rows("attribution", well_id)
        if layer is None:
            return []
        names = set(layer.fields().names())
        out = []
        for f in feats:
            out.append(AttributionRow(
                period=(well_key(f["period"]) if "period" in names else "all").lower() or "all",
                driver=well_key(f["driver"]) if "driver" in names else "?",
                mean_signed=to_float(f["mean_signed"]) if "mean_signed" in names else math.nan,
                mean_abs=to_float(f["mean_abs"]) if "mean_abs" in names else math.nan,
                share=to_float(f["share"]) if "share" in names else math.nan,
            ))
        return out

    def period_spans(self, well_id, series=None):
        """[(period, start, end)] for shading: runs of the simulation's ``period`` column, or, when that is
        empty, freezing (freeze_start..thaw_start) and thawing (thaw_start..thaw_end) from the periods table."""
        series = series if series is not None else self.simulation(well_id)
        spans = [s for s in runs(series.dates, series.period) if s[0] in ("freezing", "thawing")]
        if spans:
            return spans
        layer, feats = self._rows("periods", well_id)
        if layer is None:
            return []
        names = set(layer.fields().names())
        for f in feats:
            fs = to_date(f["freeze_start"]) if "freeze_start" in names else None
            ts = to_date(f["thaw_start"]) if "thaw_start" in names else None
            te = to_date(f["thaw_end"]) if "thaw_end" in names else None
            if fs and ts:
                spans.append(("freezing", fs, ts))
            if ts and te:
                spans.append(("thawing", ts, te))
        return sorted(spans, key=lambda s: s[1])


def output_fields_present(layer, well_field=WELL_ID):
    names = set(layer.fields().names())
    return well_field in names and "status" in names and bool(names & set(SCORE_FIELDS))


def open_output(layer):
    """(AnalysisOutput, '') for an analysis output layer, else (None, explanation).

    Never raises for an ordinary layer: the explanation is what the panel shows.
    """
    if layer is None:
        return None, "No layer selected. Select the wells layer written by 'Analyse wells' in the Layers panel."
    name = layer.name()
    if layer.type() != compat.LAYER_VECTOR or not isinstance(layer, QgsVectorLayer):
        return None, (f"'{name}' is not a vector layer. The well inspector reads the wells layer written by "
                      f"'Analyse wells' or 'Train wells' (Processing toolbox > Groundwater LSTM).")
    gpkg = layer_path(layer)
    gpkg = gpkg if is_geopackage(gpkg) else ""
    record = read_run_table(gpkg) if gpkg else {}
    well_field = record.get("well_id_field") or WELL_ID
    has_fields = output_fields_present(layer, well_field)
    if not record and not has_fields:
        return None, NOT_AN_OUTPUT.format(name=name, table=RUN_TABLE)
    if layer.fields().lookupField(well_field) < 0:
        return None, (f"'{name}' has a Groundwater LSTM run record, but not its well ID field '{well_field}'. "
                      f"Fields present: {', '.join(layer.fields().names())}.")
    base_dir = os.path.dirname(gpkg) if gpkg else (os.path.dirname(layer_path(layer)) or "")
    notes = []
    if not record:
        notes.append(f"this layer has the output fields but no '{RUN_TABLE}' record, so only its metrics and "
                     f"type are shown (no hydrograph, no attribution)")
    return AnalysisOutput(layer, record, base_dir, gpkg, notes), ""
