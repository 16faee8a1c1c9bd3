"""Z3 model values → plain Python values and their display text."""
from __future__ import annotations

from fractions import Fraction

import z3

from ..model.types import (BOOL, INT, REAL, STRING, EnumT, QuantT, RecordT, SetT, SortT, Type,
                           format_number, format_quantity, value_text)
from .z3expr import Encoder, finite_members


def value(enc: Encoder, model: z3.ModelRef, term, t: Type):
    """The Python value of ``term`` (of model type ``t``) in ``model``."""
    v = model.eval(term, model_completion=True)
    if t == BOOL:
        return z3.is_true(v)
    if t == INT:
        return v.as_long() if z3.is_int_value(v) else str(v)
    if t == REAL or isinstance(t, QuantT):
        if z3.is_rational_value(v):
            return Fraction(v.numerator_as_long(), v.denominator_as_long())
        if z3.is_algebraic_value(v):
            return v.approx(20).as_decimal(20)  # irrational: shown approximately, as text
        return str(v)
    if t == STRING:
        return v.as_string() if z3.is_string_value(v) else str(v)
    if isinstance(t, EnumT):
        return str(v)
    if isinstance(t, SortT):
        s = str(v)
        return f"{t.name}#{s.rsplit('!', 1)[-1]}" if "!val!" in s else s
    if isinstance(t, RecordT):
        s = enc.sort(t)
        return {f: value(enc, model, s.accessor(0, i)(term), ft)  # type: ignore[attr-defined]
                for i, (f, ft) in enumerate(t.fields)}
    if isinstance(t, SetT):
        members = finite_members(t.elem)  # type: ignore[arg-type]
        if members is not None:
            return [k for k in members
                    if z3.is_true(model.eval(z3.Select(term, enc.member_term(t.elem, k)), True))]  # type: ignore[arg-type]
        return str(v)
    return str(v)


def text(val, t: Type) -> str:
    """Display text for a decoded value (see :func:`formalc.model.types.value_text`)."""
    return value_text(val, t)


def flatten(name: str, val, t: Type) -> list[tuple[str, object, str, Type]]:
    """A record value as one row per field (``c.runtime``), nested records included."""
    if isinstance(t, RecordT) and isinstance(val, dict):
        rows = []
        for f, ft in t.fields:
            rows.extend(flatten(f"{name}.{f}", val[f], ft))
        return rows
    return [(name, val, text(val, t), t)]
