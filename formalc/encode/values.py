"""Values the encoder works with besides plain Z3 terms, and small helpers on terms."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import z3

from ..model import nodes as m
from ..model.types import BOOL, EnumT, Type


class Unsupported(Exception):
    """A construct this back end cannot encode faithfully; the verdict becomes unknown."""


@dataclass
class EnumSet:
    """A set over a finite element type: member name → Boolean membership."""
    elem: Type
    members: dict  # member (str or bool) -> BoolRef


@dataclass
class ListSet:
    """A set over an infinite element type, as candidate elements with membership guards."""
    elem: Type
    items: list  # [(term, guard BoolRef)]
    distinct: bool = False


def finite_members(t: Type) -> list | None:
    if isinstance(t, EnumT):
        return list(t.members)
    if t == BOOL:
        return [False, True]
    return None


# Applications that build values: tuples, and the canonical store chains of finite sets.
_GROUND_KINDS = (z3.Z3_OP_DT_CONSTRUCTOR, z3.Z3_OP_CONST_ARRAY, z3.Z3_OP_STORE)


def _num(x):
    """The exact value of a numeral term, or None."""
    if z3.is_int_value(x):
        return x.as_long()
    if z3.is_rational_value(x):
        return Fraction(x.numerator_as_long(), x.denominator_as_long())
    return None


def _simp(x):
    return z3.simplify(x) if z3.is_bool(x) and len(x.children()) <= 2 else x


def _is_value(x) -> bool:
    return z3.is_int_value(x) or z3.is_rational_value(x) or z3.is_true(x) or z3.is_false(x) or \
        (z3.is_app(x) and x.num_args() == 0 and x.decl().kind() == z3.Z3_OP_DT_CONSTRUCTOR) or \
        z3.is_string_value(x) or (z3.is_app(x) and x.decl().kind() == z3.Z3_OP_DT_CONSTRUCTOR
                                  and all(_is_value(c) for c in x.children()))


def _zero_like(x):
    return z3.RealVal(0, x.ctx) if z3.is_real(x) else z3.IntVal(0, x.ctx)


def _show(k) -> str:
    return ("true" if k else "false") if isinstance(k, bool) else str(k)


def label(e, env) -> str:
    """A short text for an argument in explanations: a variable's label or a constant."""
    if isinstance(e, m.Var):
        return env[e.name][1] if e.name in env else e.name
    if isinstance(e, m.EnumConst):
        return e.member
    if isinstance(e, (m.ConstRef, m.Apply)) and not getattr(e, "args", ()):
        return e.name
    if isinstance(e, m.Lit):
        return str(e.value)
    if isinstance(e, m.FieldGet):
        return f"{label(e.obj, env)}.{e.field}"
    return "…"
