"""A package made unimportable for one test, as on a QGIS without it (the import itself fails, as there)."""
import builtins


def hide_package(monkeypatch, package):
    real_import = builtins.__import__

    def without(name, *args, **kwargs):
        if name == package or name.startswith(package + "."):
            raise ImportError(f"No module named '{package}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)
