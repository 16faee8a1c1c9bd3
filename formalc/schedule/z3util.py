"""Pseudo-Boolean constraints that stay correct for any coefficient size.

Z3's ``PbLe``/``PbEq`` take machine-int coefficients and bounds (|c| < 2³¹); resource values in
base units (bytes: a 100TB disk is 10¹⁴) do not fit. These helpers use the pseudo-Boolean form
when every number fits and an integer sum of ``If`` terms otherwise — same meaning, both exact.
"""
from __future__ import annotations

import z3

_INT_MAX = 2**31 - 1


def _fits(ws, k) -> bool:
    return abs(k) <= _INT_MAX and all(abs(c) <= _INT_MAX for _, c in ws)


def _sum(ws, ctx=None):
    one, zero = z3.IntVal(1, ctx), z3.IntVal(0, ctx)
    return z3.Sum([z3.If(b, one, zero) * c if c != 1 else z3.If(b, one, zero) for b, c in ws])


def pb_le(ws, k):
    """Σ c·b ≤ k over Booleans b (pairs (b, c), c an int)."""
    if _fits(ws, k):
        return z3.PbLe(ws, k)
    return _sum(ws, ws[0][0].ctx if ws else None) <= k


def pb_eq(ws, k):
    """Σ c·b = k over Booleans b."""
    if _fits(ws, k):
        return z3.PbEq(ws, k)
    return _sum(ws, ws[0][0].ctx if ws else None) == k
