"""Outputs written completely or not at all: every file and folder a run writes goes to a hidden folder beside
it first (``.gwlstm_staged_<tag>/<the same name>``), and moves into place only when the whole run has succeeded.

A run stages each output path (``stage``) and writes to the path it gets back. ``commit`` then replaces the
real paths, keeping each old file aside until every new one is in place, so that a failure halfway restores
all of them. ``discard`` (cancel, failure) removes the staged copies and leaves every existing output exactly as
it was. A GeoPackage that already exists is copied first, so that the run adds or replaces only its own tables.
"""
import os
import shutil
import uuid

MULTI_LAYER = (".gpkg", ".sqlite", ".db")  # containers whose other tables a run must keep
SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qpj", ".qml", ".qmd")  # files that travel with a shapefile


def _siblings(path):
    """``path`` and the files that belong to it (a shapefile's .dbf, .shx, ...)."""
    stem, ext = os.path.splitext(path)
    out = [path]
    if ext.lower() == ".shp":
        out += [stem + s for s in SIDECARS if os.path.exists(stem + s)]
    return out


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        for p in _siblings(path) + [path + "-wal", path + "-shm", path + "-journal"]:
            try:
                os.remove(p)
            except OSError:
                pass


class StagedOutputs:
    """The outputs of one run: real path -> the temporary sibling it is written to."""

    def __init__(self):
        self.staged = {}
        self.committed = False  # the map is kept after commit, so that real_of still names the real paths
        self.created = []  # folders made for the outputs
        self.areas = {}  # output folder -> the hidden folder beside the outputs where they are written first
        self.tag = uuid.uuid4().hex[:8]

    def stage(self, path, folder=False):
        """Where to write ``path`` instead (the same place for every call with that path): the same name in a
        hidden folder beside it, so that a GeoPackage's layer and a shapefile's sidecars keep their names."""
        real = os.path.abspath(path)
        if real in self.staged:
            return self.staged[real]
        parent, name = os.path.split(real)
        missing = parent
        while not os.path.exists(missing):
            self.created.insert(0, missing)  # outermost first: removed again (if still empty) on discard
            missing = os.path.dirname(missing)
        area = self.areas.get(parent)
        if area is None:
            area = self.areas[parent] = os.path.join(parent, f".gwlstm_staged_{self.tag}")
            os.makedirs(area, exist_ok=True)
        tmp = os.path.join(area, name)
        if not folder and os.path.splitext(name)[1].lower() in MULTI_LAYER and os.path.isfile(real):
            shutil.copy2(real, tmp)  # the run replaces its own tables; the others stay
        self.staged[real] = tmp
        return tmp

    def real_of(self, text):
        """``text`` with every staged path in it replaced by its real path (destinations, result values)."""
        if not isinstance(text, str):
            return text
        for real, tmp in self.staged.items():
            text = text.replace(tmp, real)
        return text

    def commit(self):
        """Move every staged output into place; on any failure put back what was there and raise OSError."""
        moved, kept = [], []
        try:
            for real, tmp in self.staged.items():
                if not os.path.exists(tmp):
                    continue  # staged but never written (an optional output left out)
                for old in _siblings(real) if os.path.exists(real) else []:
                    aside = f"{old}.gwlstm-old-{uuid.uuid4().hex[:8]}"
                    os.replace(old, aside)
                    kept.append((old, aside))
                for new in _siblings(tmp):
                    target = real + new[len(tmp):] if new.startswith(tmp) else \
                        os.path.splitext(real)[0] + os.path.splitext(new)[1]
                    os.replace(new, target)
                    moved.append(target)
        except OSError:
            for target in moved:
                _remove(target)
            for old, aside in kept:
                os.replace(aside, old)
            self.discard()
            raise
        self.committed = True
        for _, aside in kept:
            _remove(aside)
        self._remove_areas()

    def _remove_areas(self):
        for area in self.areas.values():
            shutil.rmtree(area, ignore_errors=True)

    def discard(self):
        """Remove every staged copy; the real outputs are untouched."""
        if not self.committed:
            for tmp in self.staged.values():
                _remove(tmp)
            self._remove_areas()
            for folder in reversed(self.created):
                try:
                    os.rmdir(folder)  # only when empty: never anything of the user's
                except OSError:
                    pass
        self.staged.clear()
