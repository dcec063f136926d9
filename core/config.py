"""One style for the settings of every stage (training, features, periods, explanation, dynamics types).

A settings class is a dataclass with this mixin: it is checked when it is made (``check`` raises InputError
naming the setting), unknown keys are refused (``TrainConfig().replace(epoch=5)`` says that ``epoch`` is no
setting, instead of doing nothing), and ``to_dict`` / ``from_dict`` save and read it whole.
"""
from dataclasses import asdict, fields

from .errors import InputError


class Settings:
    def __post_init__(self):
        self.check()

    def check(self):
        """Raise InputError naming the setting whose value cannot work (nothing to check by default)."""

    def validate(self):
        """Check again (after attributes were set by hand) and return self."""
        self.check()
        return self

    def to_dict(self):
        return asdict(self)

    @classmethod
    def names(cls):
        return [f.name for f in fields(cls)]

    @classmethod
    def refuse_unknown(cls, keys):
        unknown = sorted(set(keys) - set(cls.names()))
        if unknown:
            raise InputError(f"{cls.__name__} has no setting {', '.join(map(repr, unknown))}", setting=unknown[0],
                             fix=f"use one of {', '.join(cls.names())}")

    @classmethod
    def from_dict(cls, d):
        d = dict(d or {})
        cls.refuse_unknown(d)
        return cls(**d)

    def replace(self, **changes):
        self.refuse_unknown(changes)
        return type(self).from_dict({**self.to_dict(), **changes})
