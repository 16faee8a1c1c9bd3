"""How a spec's values read in a :class:`~formalc.schedule.problem.Problem`: the names of
services and nodes, their attributes, and the display unit of each resource dimension.
Values are the plain values of :mod:`formalc.machines.evaluate` (Record, Fraction, frozenset,
str for enumeration members and strings)."""
from __future__ import annotations

from fractions import Fraction

from ..machines.evaluate import Record
from ..model import nodes as m
from ..model.types import (DISPLAY_UNITS, QuantT, RecordT, SetT, Type, format_number,
                           format_quantity)
from .problem import Dim, Loc

#: The base unit a quantity's values are expressed in, by dimension.
BASE_UNITS = {(1, 0, 0): "core", (0, 1, 0): "B", (0, 0, 1): "s", (0, 1, -1): "B/s"}


def text(v, t: Type | None = None) -> str:
    """A plain value as a person reads it (strings without quotes)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(t, QuantT) and isinstance(v, (int, Fraction)):
        return format_quantity(Fraction(v), t.dim)
    if isinstance(v, Fraction):
        return format_number(v)
    if isinstance(v, Record):
        fields = t.fields if isinstance(t, RecordT) else tuple((k, None) for k in v)
        inner = ", ".join(f"{f}: {text(v[f], ft)}" for f, ft in fields if f in v)
        return (t.name if isinstance(t, RecordT) else "") + "(" + inner + ")"
    if isinstance(v, frozenset):
        elem = t.elem if isinstance(t, SetT) else None
        return "{" + ", ".join(sorted(text(x, elem) for x in v)) + "}"
    return str(v)


def name(v, t: Type) -> str:
    """An element's name: its `name` field when its record has one, else its text."""
    if isinstance(v, Record) and isinstance(t, RecordT) and t.field_type("name") is not None:
        return text(v["name"], t.field_type("name"))
    return text(v, t)


def attrs(v, t: Type, prefix: str = "") -> tuple[tuple[str, str], ...]:
    """The scalar fields of a record as text, those of nested tuples under dotted names
    (``connectivity.latency``); not its name, and not sets."""
    if not (isinstance(v, Record) and isinstance(t, RecordT)):
        return ()
    out: list[tuple[str, str]] = []
    for f, ft in t.fields:
        if f not in v or isinstance(ft, SetT) or (f == "name" and not prefix):
            continue
        if isinstance(ft, RecordT):
            out.extend(attrs(v[f], ft, f"{prefix}{f}."))
        else:
            out.append((prefix + f, text(v[f], ft)))
    return tuple(out)


def differs(a, b, t: Type) -> str | None:
    """The first field in which two records differ, if any."""
    if isinstance(a, Record) and isinstance(b, Record) and isinstance(t, RecordT):
        return next((f for f, _ in t.fields if a.get(f) != b.get(f)), None)
    return None


def term_text(t: m.ObjectiveTerm) -> str:
    """A term of the objective as the spec writes it."""
    if t.kind == "cost":
        return t.name
    if t.kind == "peak":
        return "peak" if not t.dims else f"peak({', '.join(t.dims)})"
    return "nodes_used"


def dim(c: m.Capacity, caps: list[Fraction], loc: Loc) -> Dim:
    """The resource dimension of capacity ``c``: its base unit, and the display unit in which
    the nodes' capacities print shortest (the larger unit on a tie), among those in which the
    largest capacity is at least 1."""
    t = c.type
    if not isinstance(t, QuantT):
        return Dim(c.name, "", "", Fraction(1), loc)
    unit = BASE_UNITS.get(t.dim, str(t))
    options = [("core" if u == "" else u, f) for u, f in DISPLAY_UNITS.get(t.dim, [])]
    if not options:
        return Dim(c.name, unit, unit, Fraction(1), loc)
    values = [v for v in caps if v > 0]
    top = max(values, default=Fraction(0))
    fitting = [(u, f) for u, f in options if top / f >= 1] or [options[-1]]

    def length(uf) -> tuple:  # how long the capacities print (as Dim.fmt prints), larger first
        return (sum(len(Dim(c.name, unit, uf[0], uf[1]).fmt(v)) for v in values), -uf[1])
    best = min(fitting, key=length)
    return Dim(c.name, unit, best[0], best[1], loc,
               units=tuple((u, Fraction(f)) for u, f in options))
