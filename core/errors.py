"""Errors that the core raises. Messages name the well, the field, the problem and the fix.

The core speaks of its own settings in backticks, as a notebook user writes them: `lookback`, `roles.temp`,
`calendar`, `model_folder`. A caller with other names for them (the processing algorithms name them as their
parameters) translates the backticked words once, where it shows the message (processing/terms.py).
"""


class GroundwaterError(Exception):
    """Base class of every error the plugin raises on purpose (never a bare traceback for the user)."""


class Canceled(GroundwaterError):
    """The user cancelled; whatever was being written has been removed."""


class InputError(GroundwaterError):
    """Input that cannot be used as given.

    ``well`` may be None for table-wide problems; ``field`` is the column of the data at fault, ``setting`` the
    core setting or argument at fault (written `so` in the message).
    """

    def __init__(self, problem, *, well=None, field=None, setting=None, fix=None):
        self.well = well
        self.field = field
        self.setting = setting
        self.problem = problem
        self.fix = fix
        super().__init__(self._message())

    def _message(self):
        parts = []
        if self.well is not None:
            parts.append(f"well '{self.well}'")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        if self.setting is not None:
            parts.append(f"`{self.setting}`")
        where = (", ".join(parts) + ": ") if parts else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{where}{self.problem}.{fix}"


class WellInputError(InputError):
    """A problem with one well only: the well is skipped and the others go on."""


class ModelFolderError(GroundwaterError):
    """A model folder that is missing, incomplete or does not match the inputs."""
