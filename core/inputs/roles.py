"""Driver roles: which forcing column plays which part.

Roles drive the derived features, the freeze-thaw calendar and the dynamics rules. Units expected:
precip mm/day, temp degC, pet mm/day (potential evaporation), river m (stage), pumping m3/day.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple

from ..vocabulary import DRIVERS


@dataclass(frozen=True)
class Roles:
    """Maps each role to a column of the forcing table (None: the role is absent).

    ``other`` lists further driver columns (snow depth, soil temperature, ...) taken as they are.
    """

    precip: Optional[str] = "precip"
    temp: Optional[str] = None
    pet: Optional[str] = None
    river: Optional[str] = None
    pumping: Optional[str] = None
    other: Tuple[str, ...] = field(default_factory=tuple)

    def column(self, role):
        return getattr(self, role)

    def present(self):
        """Role names that have a column, in canonical order."""
        return [r for r in DRIVERS if getattr(self, r)]

    def drivers(self):
        """Driver names as users see them: role names for roles, the column name for other drivers."""
        return self.present() + list(self.other)

    def columns(self):
        """Forcing columns to read, driver name -> column name."""
        cols = {r: getattr(self, r) for r in self.present()}
        cols.update({o: o for o in self.other})
        return cols

    def to_dict(self):
        return {r: getattr(self, r) for r in DRIVERS} | {"other": list(self.other)}

    @classmethod
    def from_dict(cls, d):
        d = dict(d)
        d["other"] = tuple(d.get("other") or ())
        return cls(**{k: v for k, v in d.items() if k in DRIVERS or k == "other"})
