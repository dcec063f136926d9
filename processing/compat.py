"""The QGIS API across the versions the plugin runs on (3.22 to 4.x), bridged in this one module.

Every enum that QGIS has moved (``QgsProcessing.TypeVectorPoint`` became ``Qgis.ProcessingSourceType.VectorPoint``
in 3.36, ...) is looked up here under its current name first and its 3.22 name second, so the rest of the plugin
names each once, as a constant of this module. The old names are spelled as strings: QGIS 4 drops them, and the
source scan (tests/static) refuses them anywhere else. The same goes for the calls that QGIS deprecated or
removed (field types as ``QVariant.Type``, ``parameterAsFields``, ``writeAsVectorFormatV2``,
``isSaveAndLoadStyleToDatabaseSupported``).
"""
from qgis.core import Qgis, QgsCoordinateTransformContext, QgsField, QgsVectorFileWriter

try:  # re-exported for the plugin: Qt6 (QGIS 4) moved QAction from QtWidgets to QtGui
    from qgis.PyQt.QtGui import QAction
except ImportError:
    from qgis.PyQt.QtWidgets import QAction


def first(*dotted):
    """The first of ``dotted`` names (``'Qgis.ProcessingSourceType.Raster'``) that this QGIS has."""
    import qgis.core as qc

    for name in dotted:
        obj = qc
        try:
            for part in name.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise AttributeError(f"none of {', '.join(dotted)} exists in QGIS {Qgis.QGIS_VERSION}")


def version_int():
    """QGIS's version as an int, e.g. 34010 for 3.40.10 (Qgis.versionInt exists since 3.12)."""
    return int(Qgis.versionInt())


# -- processing: layer types, parameter flags and kinds ---------------------------------------------------------
SOURCE_POINT = first("Qgis.ProcessingSourceType.VectorPoint", "QgsProcessing.TypeVectorPoint")
SOURCE_ANY_VECTOR = first("Qgis.ProcessingSourceType.Vector", "QgsProcessing.TypeVector")
SOURCE_RASTER = first("Qgis.ProcessingSourceType.Raster", "QgsProcessing.TypeRaster")
PARAM_ADVANCED = first("Qgis.ProcessingParameterFlag.Advanced", "QgsProcessingParameterDefinition.FlagAdvanced")
PARAM_OPTIONAL = first("Qgis.ProcessingParameterFlag.Optional", "QgsProcessingParameterDefinition.FlagOptional")
NUMBER_INTEGER = first("Qgis.ProcessingNumberParameterType.Integer", "QgsProcessingParameterNumber.Integer")
NUMBER_DOUBLE = first("Qgis.ProcessingNumberParameterType.Double", "QgsProcessingParameterNumber.Double")
FILE_FOLDER = first("Qgis.ProcessingFileParameterBehavior.Folder", "QgsProcessingParameterFile.Folder")
FIELD_ANY = first("Qgis.ProcessingFieldParameterDataType.Any", "QgsProcessingParameterField.Any")
DATETIME_DATETIME = first("Qgis.ProcessingDateTimeParameterDataType.DateTime",
                          "QgsProcessingParameterDateTime.DateTime")
ALG_NO_THREADING = first("Qgis.ProcessingAlgorithmFlag.NoThreading", "QgsProcessingAlgorithm.FlagNoThreading")
MODEL_CHILD_OUTPUT = first("Qgis.ProcessingModelChildParameterSource.ChildOutput",
                           "QgsProcessingModelChildParameterSource.ChildOutput")
MODEL_PARAMETER = first("Qgis.ProcessingModelChildParameterSource.ModelParameter",
                        "QgsProcessingModelChildParameterSource.ModelParameter")


def advanced(param):
    """``param`` with the Advanced flag set (shown under the dialog's Advanced parameters)."""
    param.setFlags(param.flags() | PARAM_ADVANCED)
    return param


def has_flag(flags, flag):
    """Whether ``flags`` (a QFlags of this Qt, or of QGIS's Python enums) holds ``flag``."""
    test = getattr(flags, "testFlag", None)  # Qt's QFlags; QGIS 3.36+ flags are Python enum.Flag
    return bool(test(flag)) if test is not None else bool(flags & flag)


def parameter_as_fields(alg, parameters, name, context):
    """The field names of a field parameter, as a list (``parameterAsStrings`` where QGIS has it)."""
    read = getattr(alg, "parameterAsStrings", None) or getattr(alg, "parameterAsFields")
    return list(read(parameters, name, context) or [])


# -- features, geometries, layers ----------------------------------------------------------------------------
NO_GEOMETRY_REQUEST = first("Qgis.FeatureRequestFlag.NoGeometry", "QgsFeatureRequest.Flag.NoGeometry")
FAST_INSERT = first("QgsFeatureSink.Flag.FastInsert", "QgsFeatureSink.FastInsert")
WKB_POINT = first("Qgis.WkbType.Point", "QgsWkbTypes.Type.Point")
WKB_POINT_Z = first("Qgis.WkbType.PointZ", "QgsWkbTypes.Type.PointZ")
WKB_MULTI_POINT = first("Qgis.WkbType.MultiPoint", "QgsWkbTypes.Type.MultiPoint")
WKB_NO_GEOMETRY = first("Qgis.WkbType.NoGeometry", "QgsWkbTypes.Type.NoGeometry")
WKB_UNKNOWN = first("Qgis.WkbType.Unknown", "QgsWkbTypes.Type.Unknown")
LAYER_VECTOR = first("Qgis.LayerType.Vector", "QgsMapLayerType.VectorLayer", "QgsMapLayer.LayerType.VectorLayer")
FILTER_VECTOR_LAYER = first("Qgis.LayerFilter.VectorLayer", "QgsMapLayerProxyModel.Filter.VectorLayer")
MESSAGE_INFO = first("Qgis.MessageLevel.Info")
MESSAGE_WARNING = first("Qgis.MessageLevel.Warning")
MESSAGE_SUCCESS = first("Qgis.MessageLevel.Success")
LABEL_AROUND_POINT = first("Qgis.LabelPlacement.AroundPoint", "QgsPalLayerSettings.AroundPoint")
MAP_ANTIALIASING = first("Qgis.MapSettingsFlag.Antialiasing", "QgsMapSettings.Antialiasing")
MAP_DRAW_LABELING = first("Qgis.MapSettingsFlag.DrawLabeling", "QgsMapSettings.DrawLabeling")
SIZE_SCALE_LINEAR = first("QgsSizeScaleTransformer.ScaleType.Linear", "QgsSizeScaleTransformer.Linear")
LEGEND_SEPARATED = first("QgsDataDefinedSizeLegend.LegendType.LegendSeparated",
                         "QgsDataDefinedSizeLegend.LegendSeparated")

# -- fields: QMetaType.Type since 3.38 (QGIS 4 has no QVariant.Type), QVariant.Type before ------------------
_META_TYPES = {"string": "QString", "double": "Double", "int": "Int", "longlong": "LongLong", "bool": "Bool",
               "date": "QDate", "datetime": "QDateTime"}
_VARIANT_TYPES = {"string": "String", "double": "Double", "int": "Int", "longlong": "LongLong", "bool": "Bool",
                  "date": "Date", "datetime": "DateTime"}


def _field_types():
    if version_int() >= 33800:
        from qgis.PyQt.QtCore import QMetaType

        return {kind: getattr(QMetaType.Type, name) for kind, name in _META_TYPES.items()}
    from qgis.PyQt import QtCore

    variant_type = getattr(QtCore, "QVariant")  # QGIS < 3.38 takes only QVariant.Type here
    return {kind: getattr(variant_type, name) for kind, name in _VARIANT_TYPES.items()}


FIELD_TYPES = _field_types()
_KIND_OF_TYPE = {value: kind for kind, value in FIELD_TYPES.items()}


def make_field(name, kind):
    """A QgsField of ``kind``: 'string', 'double', 'int', 'longlong', 'bool', 'date' or 'datetime'."""
    return QgsField(str(name), FIELD_TYPES[kind])


def field_kind(field):
    """The kind (as in ``make_field``) of a QgsField, or None for other types."""
    return _KIND_OF_TYPE.get(field.type())


# -- writing and styling files ---------------------------------------------------------------------------------
OVERWRITE_LAYER = first("QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteLayer",
                        "QgsVectorFileWriter.CreateOrOverwriteLayer")
OVERWRITE_FILE = first("QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteFile",
                       "QgsVectorFileWriter.CreateOrOverwriteFile")
WRITER_NO_ERROR = first("QgsVectorFileWriter.WriterError.NoError", "QgsVectorFileWriter.NoError")


def write_vector(layer, path, options, transform_context=None):
    """Write ``layer`` to ``path`` with SaveVectorOptions ``options``. Returns '' or the error text."""
    context = transform_context or QgsCoordinateTransformContext()
    result = QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, context, options)
    return "" if result[0] == WRITER_NO_ERROR else (str(result[1]) or f"could not write {path}")


def stores_styles_in_database(provider):
    """Whether a layer's data provider saves styles inside its database (GeoPackage, PostGIS, ...)."""
    if provider is None:
        return False
    capabilities = getattr(provider, "styleStorageCapabilities", None)
    if capabilities is not None:  # QGIS 3.34+
        return has_flag(capabilities(), first("Qgis.ProviderStyleStorageCapability.SaveToDatabase"))
    return bool(getattr(provider, "isSaveAndLoadStyleToDatabaseSupported")())
