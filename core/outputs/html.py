"""The HTML pieces of the report: its style sheet, the sortable-table script, escaping and number formats,
and the atomic write. No external reference of any kind: the file opens offline."""
import base64
import html
import json
import math
import os
import platform
import tempfile

import numpy as np
import pandas as pd

CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:0;color:#222;background:#fff;font-size:14px}
header{background:#0b3d5c;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;font-size:13px;opacity:.9}
nav{padding:6px 24px;background:#eef3f6;font-size:13px} nav a{margin-right:16px;color:#0b3d5c}
main{padding:0 24px 40px;max-width:1200px}
h2{border-bottom:2px solid #0b3d5c;padding-bottom:3px;margin-top:28px}
h3{margin:22px 0 4px;font-size:16px}
img{max-width:100%;height:auto;display:block}
img.map{border:1px solid #ccc;max-width:900px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
.scroll{overflow-x:auto;max-width:100%}
th,td{border:1px solid #d0d7dc;padding:2px 6px;text-align:left;vertical-align:top}
#wells-table td{white-space:nowrap} #wells-table td.skip{white-space:normal;min-width:14em}
th{background:#eef3f6}
table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}
table.sortable th.asc:after{content:" \\25B2"} table.sortable th.desc:after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.sw{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;border:1px solid #555}
.counts span{display:inline-block;margin-right:18px}
.muted{color:#666} .skip{color:#a33}
section.well{border-top:1px solid #ddd;margin-top:10px}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:6px 0}
dl.kv dt{font-weight:bold} dl.kv dd{margin:0;white-space:pre-wrap;font-family:monospace;font-size:12px}
"""


JS = """
(function(){
  function key(td){var v=td.getAttribute('data-v');if(v===null){v=td.textContent;}
    var n=parseFloat(v);return (v!==''&&isFinite(n)&&String(n)===String(Number(v)))?[0,n]:[v===''?2:1,v.toLowerCase()];}
  function cmp(a,b){if(a[0]!==b[0]){return a[0]-b[0];}return a[1]<b[1]?-1:(a[1]>b[1]?1:0);}
  var tables=document.querySelectorAll('table.sortable');
  for(var t=0;t<tables.length;t++){(function(table){
    var ths=table.querySelectorAll('thead th');
    for(var i=0;i<ths.length;i++){(function(th,col){
      th.addEventListener('click',function(){
        var asc=!th.classList.contains('asc');
        for(var j=0;j<ths.length;j++){ths[j].classList.remove('asc','desc');}
        th.classList.add(asc?'asc':'desc');
        var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(r1,r2){var c=cmp(key(r1.cells[col]),key(r2.cells[col]));return asc?c:-c;});
        for(var k=0;k<rows.length;k++){body.appendChild(rows[k]);}
      });})(ths[i],i);}
  })(tables[t]);}
  document.documentElement.className+=' js';
})();
"""


_FLOAT_FORMATS = {"n_obs": "{:.0f}", "dyn_conf": "{:.2f}", "rmse_test": "{:.3f}", "bias_test": "{:.3f}"}


def esc(value):
    return html.escape("" if value is None else str(value), quote=True)


def is_missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def fmt(col, v):
    if is_missing(v):
        return ""
    if isinstance(v, (float, np.floating)):
        text = _FLOAT_FORMATS.get(col, "{:.2f}").format(float(v))
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text
    if isinstance(v, (np.integer,)):
        return str(int(v))
    return str(v)


def img(png, alt, cls=""):
    data = base64.b64encode(png).decode("ascii")
    c = f' class="{cls}"' if cls else ""
    return f'<img{c} alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def kv(mapping):
    if not mapping:
        return '<p class="muted">(not recorded)</p>'
    rows = []
    for k, v in mapping.items():
        if isinstance(v, (dict, list, tuple)):
            v = json.dumps(v, indent=1, default=str, ensure_ascii=False)
        rows.append(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>")
    return '<dl class="kv">' + "".join(rows) + "</dl>"


def duration(seconds):
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return str(seconds)
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def versions():
    out = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__}
    try:
        import matplotlib

        out["matplotlib"] = matplotlib.__version__
    except Exception:  # pragma: no cover - matplotlib is required to draw
        pass
    return out


def write_atomic(path, text):
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
