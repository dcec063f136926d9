"""A map of a styled wells layer as a PNG, rendered headless (no canvas, no network).

The backdrop is QGIS's own world map (``<pkgDataPath>/resources/data/world_map.gpkg``: countries and
states/provinces) drawn in light colours; a legend (from the layer's renderer) and a scale bar are painted
on top. Rendering uses ``QgsMapRendererCustomPainterJob.renderSynchronously`` on a QImage, which works from
any thread, so the caller must pass a layer that thread owns (``memory_copy`` makes one from a feature
source).
"""
import math
import os

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDistanceArea,
    QgsFeature,
    QgsFeatureRequest,
    QgsFillSymbol,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsPointXY,
    QgsProject,
    QgsProperty,
    QgsRectangle,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt
from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter, QPen

from . import compat

SEA = "#e3eef5"
LAND = "#f5f3ee"
COUNTRY_LINE = "#9d978c"
PROVINCE_LINE = "#cfc9be"
WEB_MERCATOR = QgsCoordinateReferenceSystem("EPSG:3857")


def world_map_path():
    """The world map GeoPackage shipped with QGIS, or None when this QGIS lacks it."""
    path = os.path.join(QgsApplication.pkgDataPath(), "resources", "data", "world_map.gpkg")
    return path if os.path.isfile(path) else None


def backdrop_layers():
    """[states_provinces, countries] styled light (top first), or [] when the world map is missing."""
    path = world_map_path()
    if not path:
        return []
    out = []
    for name, symbol in (
        ("states_provinces", QgsFillSymbol.createSimple({
            "color": "0,0,0,0", "style": "no", "outline_color": PROVINCE_LINE, "outline_width": "0.2",
            "outline_style": "dash"})),
        ("countries", QgsFillSymbol.createSimple({
            "color": LAND, "outline_color": COUNTRY_LINE, "outline_width": "0.35"})),
    ):
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        if layer.isValid():
            layer.setRenderer(QgsSingleSymbolRenderer(symbol))
            out.append(layer)
    return out


def memory_copy(source, crs=None, name="wells"):
    """A memory point layer with every feature and field of ``source`` (a layer or feature source), owned by the
    calling thread, safe to style and render anywhere."""
    crs = crs or source.sourceCrs()
    wkb = QgsWkbTypes.displayString(source.wkbType()) if source.wkbType() != compat.WKB_UNKNOWN else "Point"
    layer = QgsVectorLayer(f"{wkb}?crs={crs.authid() or 'EPSG:4326'}", name, "memory")
    if not crs.authid():
        layer.setCrs(crs)
    provider = layer.dataProvider()
    provider.addAttributes(source.fields().toList())
    layer.updateFields()
    feats = []
    for f in source.getFeatures(QgsFeatureRequest()):
        g = QgsFeature(layer.fields())
        g.setAttributes(f.attributes())
        g.setGeometry(f.geometry())
        feats.append(g)
    provider.addFeatures(feats)
    layer.updateExtents()
    return layer


def frame_layer(frame, crs="EPSG:4326", x="x", y="y", name="wells"):
    """A memory point layer from a pandas frame with coordinate columns ``x``, ``y`` (in ``crs``); every other
    column becomes a field. For drawing core frames (e.g. the wells frame of a run) without a written file."""
    from .qgis_io import fields_for, point_geometry, write_frame

    crs = crs if isinstance(crs, QgsCoordinateReferenceSystem) else QgsCoordinateReferenceSystem(str(crs))
    attrs = frame.drop(columns=[c for c in (x, y) if c in frame.columns])
    layer = QgsVectorLayer(f"Point?crs={crs.authid() or 'EPSG:4326'}", name, "memory")
    fields = fields_for(attrs)
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    write_frame(attrs, layer.dataProvider(), fields,
                geometries=[point_geometry(a, b) for a, b in zip(frame[x], frame[y])])
    layer.updateExtents()
    return layer


def _map_crs(layer):
    crs = layer.crs()
    if not crs.isValid() or crs.isGeographic():
        return WEB_MERCATOR  # a conformal map of a region instead of stretched degrees
    return crs


def _extent(layer, crs, aspect, pad=0.12, transform_context=None):
    ctx = transform_context or QgsProject.instance().transformContext()
    ext = layer.extent()
    if layer.crs() != crs:
        ext = QgsCoordinateTransform(layer.crs(), crs, ctx).transformBoundingBox(ext)
    if ext.isNull() or not all(math.isfinite(v) for v in (ext.xMinimum(), ext.yMinimum(), ext.xMaximum(),
                                                         ext.yMaximum())):
        ext = QgsRectangle(-2.0e7, -1.0e7, 2.0e7, 1.5e7) if crs == WEB_MERCATOR else QgsRectangle(-180, -60, 180, 80)
    w, h = ext.width(), ext.height()
    minimum = 0.4 if crs.isGeographic() else 40000.0  # at least ~40 km across (a single well)
    w, h = max(w, minimum), max(h, minimum)
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    c = ext.center()
    return QgsRectangle(c.x() - w / 2, c.y() - h / 2, c.x() + w / 2, c.y() + h / 2)


def render_image(layer, size=(1000, 800), dpi=96, title=None, legend=True, scale_bar=True, backdrop=True,
                 transform_context=None):
    """The map as a QImage: the layer over the backdrop on the left, a panel with the title and the legend on
    the right (so the legend never hides a well), a scale bar on the map."""
    width, height = int(size[0]), int(size[1])
    scale = dpi / 96.0
    entries, note = _legend_entries(layer) if legend else ([], None)
    panel = _panel_width(entries, note, title, scale) if (entries or title) else 0
    panel = min(panel, width // 2)
    map_w = width - panel
    crs = _map_crs(layer)
    settings = QgsMapSettings()
    layers = [layer] + (backdrop_layers() if backdrop else [])
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(map_w, height))
    settings.setOutputDpi(dpi)
    settings.setBackgroundColor(QColor(SEA))
    settings.setTransformContext(transform_context or QgsProject.instance().transformContext())
    settings.setExtent(_extent(layer, crs, map_w / height, transform_context=transform_context))
    settings.setFlag(compat.MAP_ANTIALIASING, True)
    settings.setFlag(compat.MAP_DRAW_LABELING, True)

    image = QImage(QSize(width, height), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDotsPerMeterX(int(dpi / 0.0254))
    image.setDotsPerMeterY(int(dpi / 0.0254))
    image.fill(QColor("#ffffff"))
    map_image = QImage(QSize(map_w, height), QImage.Format.Format_ARGB32_Premultiplied)
    map_image.setDotsPerMeterX(int(dpi / 0.0254))
    map_image.setDotsPerMeterY(int(dpi / 0.0254))
    map_image.fill(QColor(SEA))
    painter = QPainter(map_image)
    try:
        job = QgsMapRendererCustomPainterJob(settings, painter)
        job.renderSynchronously()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if scale_bar:
            _scale_bar(painter, settings, crs, map_w, height, scale)
    finally:
        painter.end()
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.drawImage(0, 0, map_image)
        if panel:
            painter.setPen(QPen(QColor("#bbbbbb"), 1))
            painter.drawLine(QPointF(map_w, 0), QPointF(map_w, height))
            _panel(painter, map_w, panel, entries, note, title, scale)
    finally:
        painter.end()
    return image


def render_map_png(layer, path=None, size=(1000, 800), dpi=96, title=None, legend=True, scale_bar=True,
                   backdrop=True, transform_context=None):
    """Render ``layer`` (styled as it is) over the offline backdrop and return the PNG bytes; also written to
    ``path`` when given. The extent is the layer's, padded, in the layer's CRS (Web Mercator for lon/lat)."""
    image = render_image(layer, size=size, dpi=dpi, title=title, legend=legend, scale_bar=scale_bar,
                         backdrop=backdrop, transform_context=transform_context)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    png = bytes(data)
    if path:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(png)
        os.replace(tmp, path)
    return png


def _font(px, bold=False):
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(8, int(round(px))))
    font.setBold(bold)
    return font


def _legend_entries(layer):
    """(symbol, label) pairs for the legend; for the categorized style only the types present on the map."""
    renderer = layer.renderer()
    if renderer is None:
        return [], None
    entries = []
    if isinstance(renderer, QgsCategorizedSymbolRenderer):
        idx = layer.fields().lookupField(renderer.classAttribute())
        present = set()
        if idx >= 0:
            for v in layer.uniqueValues(idx):
                present.add("" if v is None or (hasattr(v, "isNull") and v.isNull()) else str(v))
        known = {str(c.value()) for c in renderer.categories()}
        for cat in renderer.categories():
            value = str(cat.value())
            shown = value in present if value != "" else bool(present - (known - {""}))
            if shown and cat.symbol() is not None:
                entries.append((cat.symbol().clone(), cat.label()))  # clone now: the category is a copy
    else:
        entries = [(item.symbol().clone(), item.label()) for item in renderer.legendSymbolItems()
                   if item.symbol() is not None]
    note = None
    if layer.fields().lookupField("nse_test") >= 0 and isinstance(renderer, QgsCategorizedSymbolRenderer):
        note = "Symbol size: test NSE (larger = better)"
    return entries, note


def _metrics(px, bold=False):
    from qgis.PyQt.QtGui import QFontMetricsF

    return QFontMetricsF(_font(px, bold))


def _panel_width(entries, note, title, scale):
    pad, sym, gap = 12 * scale, 14 * scale, 6 * scale
    fm, fb = _metrics(12 * scale), _metrics(15 * scale, bold=True)
    widths = [sym + gap + fm.horizontalAdvance(label) for _, label in entries]
    if note:
        widths.append(fm.horizontalAdvance(note))
    if title:
        widths.append(fb.horizontalAdvance(title))
    return int(math.ceil(3 * pad + max(widths or [0])))


def _panel(painter, x0, panel_w, entries, note, title, scale):
    pad, sym, gap = 12 * scale, 14 * scale, 6 * scale
    y = pad
    if title:
        painter.setFont(_font(15 * scale, bold=True))
        painter.setPen(QColor("#222222"))
        h = painter.fontMetrics().height()
        painter.drawText(QRectF(x0 + pad, y, panel_w - 2 * pad, h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        y += h + 2 * gap
    painter.setFont(_font(12 * scale))
    line = max(painter.fontMetrics().height(), sym) + gap
    for s, label in entries:
        try:
            s.setDataDefinedSize(QgsProperty())
            s.setSize(3.5)
        except AttributeError:
            pass
        icon = s.asImage(QSize(int(sym), int(sym)))
        painter.drawImage(QPointF(x0 + pad, y + (line - gap - sym) / 2), icon)
        painter.setPen(QColor("#222222"))
        painter.drawText(QRectF(x0 + pad + sym + gap, y, panel_w, line - gap), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         label)
        y += line
    if note:
        y += gap
        painter.setPen(QColor("#555555"))
        painter.drawText(QRectF(x0 + pad, y, panel_w, line - gap), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, note)


def _nice(value):
    if value <= 0:
        return 0
    exp = math.floor(math.log10(value))
    for m in (5, 2, 1):
        if m * 10 ** exp <= value:
            return m * 10 ** exp
    return 10 ** exp


def _scale_bar(painter, settings, crs, width, height, scale):
    ext = settings.visibleExtent()
    y = ext.center().y()
    da = QgsDistanceArea()
    da.setSourceCrs(crs, settings.transformContext())
    da.setEllipsoid(crs.ellipsoidAcronym() or "EPSG:7030")
    try:
        metres = da.measureLine(QgsPointXY(ext.xMinimum(), y), QgsPointXY(ext.xMaximum(), y))  # ellipsoid: m
    except Exception:
        return
    if not metres or not math.isfinite(metres) or metres <= 0:
        return
    per_px = metres / width
    length_m = _nice(per_px * width / 4)
    if length_m <= 0:
        return
    bar_px = length_m / per_px
    label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    x1, yb = width - 20 * scale - bar_px, height - 22 * scale
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 210))
    painter.drawRect(QRectF(x1 - 8 * scale, yb - 22 * scale, bar_px + 16 * scale, 34 * scale))
    painter.setPen(QPen(QColor("#222222"), 2 * scale))
    painter.drawLine(QPointF(x1, yb), QPointF(x1 + bar_px, yb))
    for xx in (x1, x1 + bar_px):
        painter.drawLine(QPointF(xx, yb - 5 * scale), QPointF(xx, yb + 3 * scale))
    painter.setFont(_font(12 * scale))
    painter.drawText(QRectF(x1, yb - 20 * scale, bar_px, 14 * scale), Qt.AlignmentFlag.AlignCenter, label)
