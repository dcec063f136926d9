"""The run record that ties an analysis output together for the well inspector (plugin/analysis_output.py):
a key/value table ``gwlstm_run`` in the output GeoPackage."""
import os

from qgis.core import (
    QgsFeature,
    QgsFields,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from . import compat

RUN_TABLE = "gwlstm_run"


def gpkg_of(destination):
    """The GeoPackage file behind a sink's destination string, or None."""
    if not destination or not isinstance(destination, str):
        return None
    path = destination.split("|")[0]
    return path if path.lower().endswith(".gpkg") and os.path.isfile(path) else None


def write_run_record(gpkg, record):
    """Write (or replace) the ``gwlstm_run`` table in ``gpkg``. Returns an error text or ''."""
    fields = QgsFields()
    fields.append(compat.make_field("key", "string"))
    fields.append(compat.make_field("value", "string"))
    mem = QgsVectorLayer("None", RUN_TABLE, "memory")
    mem.dataProvider().addAttributes(fields.toList())
    mem.updateFields()
    feats = []
    for k, v in record.items():
        if v:
            f = QgsFeature(mem.fields())
            f.setAttributes([str(k), str(v)])
            feats.append(f)
    mem.dataProvider().addFeatures(feats)
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    opts.layerName = RUN_TABLE
    opts.actionOnExistingFile = compat.OVERWRITE_LAYER
    return compat.write_vector(mem, gpkg, opts)
