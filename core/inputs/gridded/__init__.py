"""Gridded climate forcing to daily driver series: time axes, unit presets, deaccumulation, daily sums and means,
and the weights that sample a grid at a point (nearest cell or bilinear over valid neighbours).

Pure numpy/pandas: the reading of rasters (GDAL) lives in ``processing/``; everything that decides
what a number means lives here, so a notebook can do the same without QGIS.

Conventions
-----------
- Raw series are arrays ``(n_steps, n_points)``; NaN marks a missing value (nodata, fill value, outside data).
- A time axis is a sorted ``pandas.DatetimeIndex`` in UTC without a time zone (as NetCDF files hold it).
- Fluxes (precipitation, evaporation) are turned into a rate in mm/day for every step, then averaged over the
  steps of each day, which equals the daily total (sum of the step amounts) for a complete day. Temperature and
  other states are averaged. A day needs every one of its steps: a day that misses a step or a value is NaN.
"""
from .daily import (Daily, common_days, daily_series, date_ranges, deaccumulate, forcing_frame, format_ranges,
                    plausibility, select_days, to_daily)
from .points import PointWeights, column_name, point_weights, sample
from .times import (DAY, TimeAxis, fmt_time, parse_time_units, same_axes, time_axis, times_from_metadata,
                    times_from_start, times_from_values)
from .units import CMFD, ERA5, ERA5_LAND, NATIVE, PRESETS, Conversion, conversion, unit_mismatch

__all__ = [
    "CMFD", "DAY", "Daily", "ERA5", "ERA5_LAND", "NATIVE", "PRESETS", "Conversion", "PointWeights", "TimeAxis",
    "column_name", "common_days", "conversion", "daily_series", "date_ranges", "deaccumulate", "fmt_time",
    "forcing_frame", "format_ranges", "parse_time_units", "plausibility", "point_weights", "same_axes", "sample",
    "select_days", "time_axis", "times_from_metadata", "times_from_start", "times_from_values", "to_daily",
    "unit_mismatch",
]
