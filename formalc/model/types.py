"""Types of the typed model, including quantities with physical dimensions.

A quantity's dimension is a vector of exponents over three base dimensions: CPU (cores),
data (bytes) and time (seconds). ``Bandwidth`` is data per time, ``Bytes / Bytes`` is a plain
ratio. Values of quantities are exact rationals in base units.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

Dim = tuple[int, int, int]  # (cpu, data, time) exponents
DIMENSIONLESS: Dim = (0, 0, 0)


class Type:
    """Base class of all types."""

    __slots__ = ()

    @property
    def is_numeric(self) -> bool:
        return isinstance(self, (QuantT,)) or self in (INT, REAL)

    @property
    def finite(self) -> bool:
        """Whether the type has finitely many values (so quantifiers over it can be expanded)."""
        return False


@dataclass(frozen=True)
class PrimT(Type):
    name: str  # Bool, Int, Real, String

    def __str__(self) -> str:
        return self.name

    @property
    def finite(self) -> bool:
        return self.name == "Bool"


BOOL, INT, REAL, STRING = PrimT("Bool"), PrimT("Int"), PrimT("Real"), PrimT("String")

_DIM_NAMES: dict[Dim, str] = {(1, 0, 0): "CPU", (0, 1, 0): "Bytes", (0, 0, 1): "Time",
                              (0, 1, -1): "Bandwidth"}
_BASE = ("CPU", "Bytes", "Time")
_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class QuantT(Type):
    dim: Dim

    def __str__(self) -> str:
        if self.dim in _DIM_NAMES:
            return _DIM_NAMES[self.dim]
        parts = []
        for base, e in zip(_BASE, self.dim):
            if e == 1:
                parts.append(base)
            elif e:
                parts.append(base + str(e).translate(_SUP))
        return "·".join(parts)


def quantity(dim: Dim) -> Type:
    """The type of a quantity of dimension ``dim``; a dimensionless quantity is a Real."""
    return REAL if dim == DIMENSIONLESS else QuantT(dim)


def dim_of(t: Type) -> Dim:
    return t.dim if isinstance(t, QuantT) else DIMENSIONLESS


CPU_T, BYTES_T, TIME_T, BANDWIDTH_T = (QuantT((1, 0, 0)), QuantT((0, 1, 0)), QuantT((0, 0, 1)),
                                       QuantT((0, 1, -1)))


@dataclass(frozen=True)
class EnumT(Type):
    name: str
    members: tuple[str, ...]

    def __str__(self) -> str:
        return self.name

    @property
    def finite(self) -> bool:
        return True


@dataclass(frozen=True)
class RecordT(Type):
    name: str
    fields: tuple[tuple[str, Type], ...]

    def __str__(self) -> str:
        return self.name

    def field_type(self, name: str) -> Type | None:
        index = self.__dict__.get("_index")
        if index is None:  # built once per type: field lookups are frequent
            index = dict(self.fields)
            object.__setattr__(self, "_index", index)
        return index.get(name)

    @property
    def finite(self) -> bool:
        return False  # quantified with the solver's quantifiers rather than expanded


@dataclass(frozen=True)
class SortT(Type):
    """An uninterpreted sort: a type declared nowhere (the seed's abstract components)."""
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class SetT(Type):
    elem: Type | None  # None: the element type of `{}` before it meets a context

    def __str__(self) -> str:
        return f"set {self.elem}" if self.elem is not None else "set ?"


def _cache_hash(cls):
    """Memoise the generated hash of a frozen dataclass: types are hashed on every lookup of
    their solver sort, and nested types (tuples of tuples) are costly to hash."""
    generated = cls.__hash__

    def __hash__(self):
        h = self.__dict__.get("_hash")
        if h is None:
            h = generated(self)
            object.__setattr__(self, "_hash", h)
        return h

    cls.__hash__ = __hash__
    return cls


for _cls in (PrimT, QuantT, EnumT, RecordT, SortT, SetT):
    _cache_hash(_cls)


#: Built-in type names usable in specs.
BUILTIN_TYPES: dict[str, Type] = {
    "Bool": BOOL, "Int": INT, "Real": REAL, "Ratio": REAL, "String": STRING,
    "CPU": CPU_T, "Bytes": BYTES_T, "Time": TIME_T, "Bandwidth": BANDWIDTH_T,
}

# ------------------------------------------------------------------------------ units
# Each unit: (dimension, factor to base units).
UNITS: dict[str, tuple[Dim, Fraction]] = {}


def _u(dim: Dim, table: dict[str, Fraction]) -> None:
    for name, factor in table.items():
        UNITS[name] = (dim, Fraction(factor))


_u((1, 0, 0), {"m": Fraction(1, 1000), "core": 1, "cores": 1, "vcpu": 1})
_u((0, 1, 0), {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40})
_u((0, 0, 1), {"ns": Fraction(1, 10**9), "us": Fraction(1, 10**6), "µs": Fraction(1, 10**6),
               "ms": Fraction(1, 1000), "s": 1, "min": 60, "h": 3600})
_u((0, 1, -1), {"bps": Fraction(1, 8), "Kbps": 125, "Mbps": 125_000, "Gbps": 125_000_000})
_u(DIMENSIONLESS, {"%": Fraction(1, 100)})

#: The unit used to display a value of each named dimension, by magnitude (largest first).
DISPLAY_UNITS: dict[Dim, list[tuple[str, Fraction]]] = {
    (1, 0, 0): [("", Fraction(1)), ("m", Fraction(1, 1000))],
    (0, 1, 0): [("TiB", Fraction(2**40)), ("TB", Fraction(10**12)), ("GiB", Fraction(2**30)),
                ("GB", Fraction(10**9)), ("MiB", Fraction(2**20)), ("MB", Fraction(10**6)),
                ("KiB", Fraction(2**10)), ("KB", Fraction(10**3)), ("B", Fraction(1))],
    (0, 0, 1): [("h", Fraction(3600)), ("min", Fraction(60)), ("s", Fraction(1)),
                ("ms", Fraction(1, 1000)), ("us", Fraction(1, 10**6)), ("ns", Fraction(1, 10**9))],
    (0, 1, -1): [("Gbps", Fraction(125_000_000)), ("Mbps", Fraction(125_000)),
                 ("Kbps", Fraction(125)), ("bps", Fraction(1, 8))],
}


def format_quantity(value: Fraction, dim: Dim) -> str:
    """Show ``value`` (base units) as the shortest whole number of a unit, if any
    (``1500MB`` rather than ``1500000000B``, ``2GiB`` rather than ``2048MiB``)."""
    best = None
    for unit, factor in DISPLAY_UNITS.get(dim, []):
        scaled = value / factor
        if scaled.denominator == 1 and (scaled != 0 or unit in ("", "B", "s", "bps")):
            text = f"{scaled.numerator}{unit}"
            if best is None or len(str(scaled.numerator)) < best[0]:
                best = (len(str(scaled.numerator)), text)
    if best is not None:
        return best[1]
    base = {(1, 0, 0): "", (0, 1, 0): "B", (0, 0, 1): "s", (0, 1, -1): "bps"}.get(dim)
    if base is None:
        return f"{format_number(value)} [{QuantT(dim)}]"
    if dim == (0, 1, -1):
        value = value * 8
    return f"{format_number(value)}{base}"


def format_number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def value_text(val, t: Type) -> str:
    """How the spec would write the plain value ``val`` of type ``t`` (quantities in their
    shortest exact unit, sets in braces, tuples with their type name)."""
    if isinstance(val, str) and t == STRING:
        return '"' + val + '"'
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, Fraction):
        if isinstance(t, QuantT):
            return format_quantity(val, t.dim)
        return format_number(val)
    if isinstance(t, QuantT) and isinstance(val, int):
        return format_quantity(Fraction(val), t.dim)
    if isinstance(val, dict) and isinstance(t, RecordT):
        return t.name + "(" + ", ".join(f"{f}: {value_text(val[f], ft)}" for f, ft in t.fields) + ")"
    if isinstance(val, list) and isinstance(t, SetT):
        return "{" + ", ".join(value_text(x, t.elem) for x in val) + "}"  # type: ignore[arg-type]
    return str(val)
