"""Policies checked as policies: a predicate no configuration satisfies is contradictory, one
every configuration satisfies is vacuous. Both are decided with Z3 over the whole record type
(``∃ c: T • P(c)`` and ``∃ c: T • ¬P(c)``), with a witness configuration for each side.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..checks.results import Verdict
from ..model import nodes as m
from ..model.types import BOOL, RecordT, SetT


@dataclass(frozen=True)
class PolicyLint:
    predicate: str
    type_name: str
    status: str  # "ok", "contradictory", "vacuous" or "unknown"
    reason: str | None = None
    satisfying: dict | None = None  # a configuration where it holds (when one exists)
    violating: dict | None = None  # a configuration where it fails (when one exists)
    line: int = 0


def unary_predicates(spec: m.Spec, type_name: str | None = None) -> list[m.Definition]:
    return [d for d in spec.definitions.values()
            if len(d.params) == 1 and d.type == BOOL and isinstance(d.params[0][1], RecordT)
            and (type_name is None or d.params[0][1].name == type_name)
            and d.module == spec.file]


def lint_predicates(spec: m.Spec, names: list[str] | None = None, timeout_s: float = 5.0,
                    type_name: str | None = None) -> list[PolicyLint]:
    """Lint the unary predicates over record types declared in ``spec``'s own file (or those
    in ``names``)."""
    from ..checks.runner import run_check
    from ..encode.run import Session
    preds = [d for d in unary_predicates(spec, type_name) if names is None or d.name in names]
    session = Session(spec)
    out = []
    for d in preds:
        (pname, ptype), = d.params
        var = m.Var(pname, ptype)
        binder = m.Binder(pname, ptype, None)
        sat = m.Check(f"{d.name}!satisfiable", "sat",
                      m.Quant("∃", (binder,), m.Apply(d.name, (var,), BOOL)), span=d.span)
        falsifiable = m.Check(f"{d.name}!falsifiable", "sat",
                              m.Quant("∃", (binder,), m.Not(m.Apply(d.name, (var,), BOOL))),
                              span=d.span)
        r1 = run_check(spec, sat, timeout_s, session)
        r2 = run_check(spec, falsifiable, timeout_s, session)
        bounded = ""
        if Verdict.UNKNOWN in (r1.verdict, r2.verdict) and _nested_sets(ptype):
            # Sets of records defeat the array theory; look for witnesses among records whose
            # set-valued fields have one member (a witness found this way is a real one).
            for negate, r in ((False, r1), (True, r2)):
                if r.verdict is Verdict.UNKNOWN:
                    rr = run_check(spec, _bounded_check(d, negate), timeout_s, session)
                    if rr.verdict is Verdict.SATISFIED:
                        if negate:
                            r2 = rr
                        else:
                            r1 = rr
            bounded = " (witnesses searched among records whose sets have one member)"
        line = d.span.line if d.span else 0
        if r1.verdict is Verdict.VIOLATED:
            out.append(PolicyLint(d.name, ptype.name, "contradictory",
                                  "no configuration satisfies it" +
                                  (f" ({r1.reason})" if r1.reason else ""), None,
                                  r2.witness, line))
        elif r2.verdict is Verdict.VIOLATED:
            out.append(PolicyLint(d.name, ptype.name, "vacuous",
                                  "every configuration satisfies it", r1.witness, None, line))
        elif Verdict.UNKNOWN in (r1.verdict, r2.verdict):
            why = r1.reason if r1.verdict is Verdict.UNKNOWN else r2.reason
            out.append(PolicyLint(d.name, ptype.name, "unknown", (why or "") + bounded,
                                  r1.witness, r2.witness, line))
        else:
            out.append(PolicyLint(d.name, ptype.name, "ok", None, r1.witness, r2.witness, line))
    return out


def _nested_sets(t: RecordT) -> bool:
    return any(isinstance(ft, SetT) and isinstance(ft.elem, RecordT) for _, ft in t.fields)


def _bounded_check(d: m.Definition, negate: bool) -> m.Check:
    """``∃ fields • [¬]P(T(fields))`` where each set-of-records field is ``{x}``."""
    (pname, ptype), = d.params
    binders, args = [], []
    for f, ft in ptype.fields:
        if isinstance(ft, SetT) and isinstance(ft.elem, RecordT):
            name = f"{f}!one"
            binders.append(m.Binder(name, ft.elem, None))
            args.append(m.SetLit((m.Var(name, ft.elem),), ft))
        else:
            name = f"{pname}.{f}"
            binders.append(m.Binder(name, ft, None))
            args.append(m.Var(name, ft))
    body = m.Apply(d.name, (m.Construct(ptype.name, tuple(args), ptype),), BOOL)
    if negate:
        body = m.Not(body)
    return m.Check(f"{d.name}!{'falsifiable' if negate else 'satisfiable'}!bounded", "sat",
                   m.Quant("∃", tuple(binders), body), span=d.span)
