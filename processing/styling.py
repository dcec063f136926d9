"""Renderers for the output wells layer and the styles persisted into its file.

- ``dynamics_renderer``: categorized on ``dyn_type``, one fixed colour-blind-safe colour per type (Okabe-Ito),
  ``undetermined`` grey, legend labels in words, symbol size growing with ``nse_test``.
- ``nse_renderer``: graduated on ``nse_test`` (viridis classes, colour-blind safe).
- ``well_labels``: the well id beside each point.
- ``apply_and_persist``: both styles applied, the dynamics one saved as the *default* style inside a
  GeoPackage (so the file written by ``qgis_process`` opens styled), the NSE one saved alongside by name; a
  ``.qml`` beside a shapefile (``<name>.qml`` is loaded by QGIS as its default, plus ``<name>_nse.qml``).
- ``DynamicsPostProcessor`` / ``attach_post_processor``: the same styles for the GUI and runAndLoadResults path
  (a post-processor never runs under qgis_process).

Runs on QGIS 3.22 (old enum spellings) and on current LTRs (the ``Qgis.*`` enums).
"""
import os

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsDataDefinedSizeLegend,
    QgsGraduatedSymbolRenderer,
    QgsMapLayerStyle,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingUtils,
    QgsProperty,
    QgsProviderRegistry,
    QgsRendererCategory,
    QgsRendererRange,
    QgsSizeScaleTransformer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor, QFont

from ..core.vocabulary import NO_TYPE_COLOUR, NO_TYPE_LABEL, TYPE_COLOURS, TYPE_LABELS, TYPE_VALUES
from . import compat

DYN_FIELD = "dyn_type"
NSE_FIELD = "nse_test"
ID_FIELD = "well_id"

GAIN_FIELD = "lstm_gain"  # with the Pastas baseline (BASELINE): LSTM test NSE minus Pastas'

DYNAMICS_STYLE_NAME = "Dynamics type (GW LSTM)"  # GeoPackage: at most 30 characters
NSE_STYLE_NAME = "Test NSE (GW LSTM)"
GAIN_STYLE_NAME = "LSTM vs Pastas (GW LSTM)"
GAIN_STYLE_DESCRIPTION = ("Where the LSTM wins: wells graduated by lstm_gain, the LSTM's test NSE minus that of the "
                          "Pastas model of the same well (purple: LSTM better, orange: Pastas better)")
DYNAMICS_STYLE_DESCRIPTION = ("Wells coloured by groundwater dynamics type, size growing with the test NSE, "
                              "labelled with the well id")
NSE_STYLE_DESCRIPTION = "Wells graduated by the Nash-Sutcliffe efficiency on the test period"

# symbol size (mm) from nse_test: NSE <= 0 -> MIN_SIZE, NSE 1 -> MAX_SIZE, NULL -> NULL_SIZE
MIN_SIZE, MAX_SIZE, NULL_SIZE = 2.2, 5.5, 1.8

# (lower, upper, colour, label): viridis, dark = better
NSE_CLASSES = (
    (-1.0e12, 0.0, "#fde725", "NSE < 0 (worse than the mean)"),
    (0.0, 0.5, "#5ec962", "0 \u2013 0.5 (poor)"),
    (0.5, 0.7, "#21918c", "0.5 \u2013 0.7 (fair)"),
    (0.7, 0.9, "#3b528b", "0.7 \u2013 0.9 (good)"),
    (0.9, 1.0, "#440154", "0.9 \u2013 1 (very good)"),
)


# (lower, upper, colour, label): diverging PuOr (colour-blind safe), white = a tie within 0.05 NSE
GAIN_CLASSES = (
    (-1.0e12, -0.2, "#b35806", "Pastas better by more than 0.2"),
    (-0.2, -0.05, "#f1a340", "Pastas better by 0.05 \u2013 0.2"),
    (-0.05, 0.05, "#f7f7f7", "About equal (within 0.05)"),
    (0.05, 0.2, "#998ec3", "LSTM better by 0.05 \u2013 0.2"),
    (0.2, 1.0e12, "#542788", "LSTM better by more than 0.2"),
)


def _marker(colour, outline="#333333", size=3.5):
    symbol = QgsMarkerSymbol.createSimple({
        "name": "circle", "color": colour, "outline_color": outline, "outline_width": "0.3",
        "outline_width_unit": "MM", "size": str(size), "size_unit": "MM"})
    return symbol


def _size_property(field=NSE_FIELD):
    """Size from nse_test, clamped to [0, 1] by the transformer; NULL (skipped wells) gets the smallest size."""
    prop = QgsProperty.fromField(field)
    prop.setTransformer(QgsSizeScaleTransformer(compat.SIZE_SCALE_LINEAR, 0.0, 1.0, MIN_SIZE, MAX_SIZE,
                                                NULL_SIZE, 1.0))
    return prop


def _has_field(layer, name):
    return layer is not None and layer.fields().lookupField(name) >= 0


def dynamics_renderer(layer=None):
    """QgsCategorizedSymbolRenderer on ``dyn_type``: one category per dynamics type (all four always present, so
    the legend is the same on every map) and a light grey catch-all for wells with no type (skipped)."""
    sized = layer is None or _has_field(layer, NSE_FIELD)
    cats = []
    for value in TYPE_VALUES:
        symbol = _marker(TYPE_COLOURS[value])
        if sized:
            symbol.setDataDefinedSize(_size_property())
        cats.append(QgsRendererCategory(value, symbol, TYPE_LABELS[value], True))
    other = _marker(NO_TYPE_COLOUR, outline="#777777", size=NULL_SIZE)
    cats.append(QgsRendererCategory("", other, NO_TYPE_LABEL, True))  # '' = all other values (and NULL)
    renderer = QgsCategorizedSymbolRenderer(DYN_FIELD, cats)
    if sized:
        try:
            legend = QgsDataDefinedSizeLegend()
            legend.setTitle("Test NSE (symbol size)")
            legend.setLegendType(compat.LEGEND_SEPARATED)
            legend.setClasses([QgsDataDefinedSizeLegend.SizeClass(MIN_SIZE, "\u2264 0"),
                               QgsDataDefinedSizeLegend.SizeClass((MIN_SIZE + MAX_SIZE) / 2, "0.5"),
                               QgsDataDefinedSizeLegend.SizeClass(MAX_SIZE, "1")])
            renderer.setDataDefinedSizeLegend(legend)
        except Exception:  # a legend nicety only; never fail the style over it
            pass
    return renderer


def _graduated(field, classes):
    """QgsGraduatedSymbolRenderer on ``field`` with fixed, meaningful classes (not quantiles)."""
    ranges = [QgsRendererRange(lo, hi, _marker(colour, size=3.2), label, True) for lo, hi, colour, label in classes]
    renderer = QgsGraduatedSymbolRenderer(field, ranges)
    try:
        renderer.setClassAttribute(field)
    except Exception:  # pragma: no cover
        pass
    return renderer


def nse_renderer(layer=None):
    """Graduated on ``nse_test`` (NSE_CLASSES)."""
    return _graduated(NSE_FIELD, NSE_CLASSES)


def gain_renderer(layer=None):
    """Graduated on ``lstm_gain`` (GAIN_CLASSES): where the LSTM beats the Pastas baseline."""
    return _graduated(GAIN_FIELD, GAIN_CLASSES)


def well_labels(field=ID_FIELD, size=8.0):
    """The well id beside each point, with a white halo."""
    settings = QgsPalLayerSettings()
    settings.fieldName = field
    settings.isExpression = False
    settings.enabled = True
    settings.placement = compat.LABEL_AROUND_POINT
    settings.dist = 1.0
    fmt = QgsTextFormat()
    font = QFont("DejaVu Sans")
    font.setPointSizeF(size)
    fmt.setFont(font)
    fmt.setSize(size)
    fmt.setColor(QColor("#222222"))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setColor(QColor("#ffffff"))
    fmt.setBuffer(buffer)
    settings.setFormat(fmt)
    return QgsVectorLayerSimpleLabeling(settings)


def check_fields(layer):
    """A clear message when the layer cannot carry the dynamics style, else ''."""
    if layer is None or not isinstance(layer, QgsVectorLayer) or not layer.isValid():
        return "The wells layer could not be opened as a vector layer."
    if not _has_field(layer, DYN_FIELD):
        present = ", ".join(layer.fields().names()) or "(none)"
        return (f"The layer '{layer.name()}' has no field '{DYN_FIELD}' (the dynamics type). Run Classify dynamics "
                f"first (groundwaterlstm:classifydynamics, or Analyse wells), then style its output. "
                f"Fields present: {present}.")
    return ""


def _apply(layer, renderer):
    layer.setRenderer(renderer)
    if _has_field(layer, ID_FIELD):
        layer.setLabeling(well_labels())
        layer.setLabelsEnabled(True)
    layer.triggerRepaint()
    return layer


def apply_dynamics_style(layer):
    """Set the categorized renderer and the well id labels on ``layer`` (in place) and repaint it."""
    return _apply(layer, dynamics_renderer(layer))


def apply_nse_style(layer):
    """Set the graduated NSE renderer and the well id labels on ``layer`` (in place) and repaint it."""
    return _apply(layer, nse_renderer(layer))


def apply_gain_style(layer):
    """Set the graduated lstm_gain renderer and the well id labels on ``layer`` (in place) and repaint it."""
    return _apply(layer, gain_renderer(layer))


# the styles stored beside the dynamics one, where the layer has their field: (field, name, description, apply,
# suffix of the .qml file beside a shapefile)
VARIANTS = ((NSE_FIELD, NSE_STYLE_NAME, NSE_STYLE_DESCRIPTION, apply_nse_style, "_nse"),
            (GAIN_FIELD, GAIN_STYLE_NAME, GAIN_STYLE_DESCRIPTION, apply_gain_style, "_gain"))


def add_style_variants(layer):
    """Every style in the layer's style manager (Layer Properties > Style), the dynamics one current."""
    manager = layer.styleManager()
    for field, name, _description, apply, _suffix in VARIANTS:
        if _has_field(layer, field):
            apply(layer)
            style = QgsMapLayerStyle()
            style.readFromLayer(layer)
            if name in manager.styles():
                manager.removeStyle(name)
            manager.addStyle(name, style)
    apply_dynamics_style(layer)
    return layer


def _open(target, context=None):
    if isinstance(target, QgsVectorLayer):
        return target
    if context is not None:  # a layer id (memory/temporary output) or a source the context already holds
        layer = QgsProcessingUtils.mapLayerFromString(str(target), context)
        if isinstance(layer, QgsVectorLayer):
            return layer
    uri = str(target)
    if uri.startswith("ogr:"):
        uri = uri[4:]
    layer = QgsVectorLayer(uri, os.path.splitext(os.path.basename(uri.split("|")[0]))[0] or "wells", "ogr")
    if not layer.isValid():
        raise ValueError(f"Could not open '{target}' as a vector layer.")
    return layer


def _file_path(layer):
    if layer.providerType() != "ogr":
        return None
    try:
        path = QgsProviderRegistry.instance().decodeUri("ogr", layer.source()).get("path")
    except Exception:  # pragma: no cover
        path = layer.source().split("|")[0]
    return path or None


def _delete_db_style(layer, name):
    """Remove this layer's stored styles called ``name``. Saving over an existing name makes QGIS 3.22 ask
    "overwrite?" in a modal dialog, which hangs headless runs forever: delete first, then save."""
    listed = layer.listStylesInDatabase()
    count, ids, names = listed[0], listed[1], listed[2]
    for sid, sname in list(zip(ids, names))[:max(count, 0)]:
        if sname == name:
            out = layer.deleteStyleFromDatabase(str(sid))
            ok, message = out if isinstance(out, tuple) else (out, "")
            if not ok:
                raise ValueError(f"Could not replace the stored style '{name}' in {layer.source()}: {message}")


def _saved(result, message):
    """Whether a SaveStyleResults value means the QML reached the database (an SLD that cannot express the
    data-defined size is not a failure)."""
    from qgis.core import QgsMapLayer

    flags = getattr(QgsMapLayer, "SaveStyleResult", None)
    try:
        value = int(getattr(result, "value", result))
        fatal = 0
        for name in ("DatabaseWriteFailed", "QmlGenerationFailed"):
            member = getattr(flags, name, None) if flags is not None else None
            if member is not None:
                fatal |= int(getattr(member, "value", member))
        return not (value & fatal) if fatal else value == 0
    except (TypeError, ValueError):
        return not message


def _save_db_style(layer, name, description, default):
    _delete_db_style(layer, name)
    if hasattr(layer, "saveStyleToDatabaseV2"):  # newer QGIS: (SaveStyleResults flags, message)
        result, message = layer.saveStyleToDatabaseV2(name, description, default, "")
        return "" if _saved(result, message) else (message or "could not save the style")
    message = layer.saveStyleToDatabase(name, description, default, "")
    if isinstance(message, tuple):  # some bindings return (message, ok)
        message = message[0]
    return message or ""


def apply_and_persist(target, feedback=None, context=None):
    """Apply both styles to ``target`` (a QgsVectorLayer, a file path or an OGR layer URI such as
    ``/x/wells.gpkg|layername=wells``, or with ``context`` any value a sink returned, memory layer ids included)
    and persist them into its storage.

    GeoPackage (or any provider that stores styles in its database): the dynamics style becomes the default
    style of the table, the NSE style is stored by name alongside. Shapefile or other OGR file: ``<name>.qml``
    (which QGIS loads as the default) and ``<name>_nse.qml``. Memory layers: applied only.
    The layer is left with the dynamics style (and both styles in its style manager).

    Where the layer has ``lstm_gain`` (the Pastas baseline), the "LSTM vs Pastas" style is stored the same way
    (``<name>_gain.qml`` beside a file).

    Returns {'layer', 'storage': 'database' | 'qml' | 'none', 'default': name or path, 'nse' and 'gain': name,
    path or None}.
    Raises ValueError with a clear message when the layer lacks ``dyn_type`` or saving fails.
    """
    layer = _open(target, context)
    problem = check_fields(layer)
    if problem:
        raise ValueError(problem)
    variants = [v for v in VARIANTS if _has_field(layer, v[0])]
    provider = layer.dataProvider()
    result = {"layer": layer, "storage": "none", "default": None, "nse": None, "gain": None}

    if compat.stores_styles_in_database(provider):
        for field, name, description, apply, suffix in variants:
            apply(layer)
            err = _save_db_style(layer, name, description, False)
            if err:
                raise ValueError(f"Could not save the style '{name}' into {layer.source()}: {err}")
            result[suffix[1:]] = name
        apply_dynamics_style(layer)
        err = _save_db_style(layer, DYNAMICS_STYLE_NAME, DYNAMICS_STYLE_DESCRIPTION, True)
        if err:
            raise ValueError(f"Could not save the dynamics style into {layer.source()}: {err}")
        result.update(storage="database", default=DYNAMICS_STYLE_NAME)
    else:
        path = _file_path(layer)
        if path and os.path.isfile(path):
            base = os.path.splitext(path)[0]
            for field, name, description, apply, suffix in variants:
                apply(layer)
                _save_qml(layer, base + suffix + ".qml")
                result[suffix[1:]] = base + suffix + ".qml"
            apply_dynamics_style(layer)
            _save_qml(layer, base + ".qml")
            result.update(storage="qml", default=base + ".qml")
        else:
            apply_dynamics_style(layer)
    add_style_variants(layer)
    if feedback is not None:
        if result["storage"] == "database":
            where = f"as the default style inside {_file_path(layer) or layer.source()}"
        elif result["storage"] == "qml":
            where = f"in {result['default']}"
        else:
            where = "(not saved: the layer is not a file)"
        nse = f"; the test-NSE style is stored alongside ({result['nse']})" if result["nse"] else ""
        gain = f"; where the LSTM beats Pastas: {result['gain']}" if result["gain"] else ""
        feedback.pushInfo(f"Styled '{layer.name()}' by dynamics type {where}{nse}{gain}.")
    return result


def _save_qml(layer, path):
    out = layer.saveNamedStyle(path)
    message, ok = (out if isinstance(out, tuple) else (out, True))
    if not ok or not os.path.isfile(path):
        raise ValueError(f"Could not write the style file {path}: {message}")


# -- GUI / runAndLoadResults ----------------------------------------------------------------------------------
_KEEP = []  # post-processors must stay referenced until QGIS has run them (a collected one is silently lost)


class DynamicsPostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles an output wells layer once QGIS has loaded it into the project."""

    @classmethod
    def create(cls):
        instance = cls()
        _KEEP.append(instance)
        del _KEEP[:-32]
        return instance

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if isinstance(layer, QgsVectorLayer) and _has_field(layer, DYN_FIELD):
            add_style_variants(layer)


def attach_post_processor(context, layer_id):
    """In processAlgorithm/postProcessAlgorithm: style the output ``layer_id`` (the value parameterAsSink returned)
    when QGIS loads it on completion. Returns True when attached (False headless, where nothing is loaded)."""
    if layer_id and context.willLoadLayerOnCompletion(layer_id):
        context.layerToLoadOnCompletionDetails(layer_id).setPostProcessor(DynamicsPostProcessor.create())
        return True
    return False


__all__ = [
    "DYNAMICS_STYLE_NAME", "NSE_STYLE_NAME", "dynamics_renderer", "nse_renderer", "well_labels", "check_fields",
    "apply_dynamics_style", "apply_nse_style", "add_style_variants", "apply_and_persist", "DynamicsPostProcessor",
    "attach_post_processor",
]
