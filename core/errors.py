"""Errors that the core raises. Messages name the well, the field, the problem and the fix."""


class GroundwaterError(Exception):
    """Base class of every error the plugin raises on purpose (never a bare traceback for the user)."""


class Canceled(GroundwaterError):
    """The user cancelled; whatever was being written has been removed."""


class InputError(GroundwaterError):
    """Input that cannot be used as given.

    ``well`` may be None for table-wide problems; ``field`` is the column or parameter at fault.
    """

    def __init__(self, problem, *, well=None, field=None, fix=None):
        self.well = well
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self._message())

    def _message(self):
        parts = []
        if self.well is not None:
            parts.append(f"well '{self.well}'")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        where = (", ".join(parts) + ": ") if parts else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{where}{self.problem}.{fix}"


class WellInputError(InputError):
    """A problem with one well only: the well is skipped and the others go on."""


class ModelFolderError(GroundwaterError):
    """A model folder that is missing, incomplete or does not match the inputs."""
