"""Invariants by Z3's Spacer (constrained Horn clauses), for when k-induction does not close.

``Inv(s) ⇐ init(s)``; ``Inv(s') ⇐ Inv(s) ∧ T(s, s')``; the query asks whether
``Inv(s0) ∧ T(s0, s1) … ∧ ¬P(s0 … sd)`` is reachable. Unsat: the property is proved (Spacer
found an inductive invariant). Only systems without uninterpreted constants or functions are
tried (those would have to be rigid arguments of the relation).
"""
from __future__ import annotations

import z3

from .machine_core import Clock, Sys


def spacer(sys: Sys, items, d: int, clock: Clock) -> bool | None:
    """True: proved; False: a violation is reachable; None: undecided."""
    enc = sys.enc
    if enc.labels or sys.ts.spec.assumptions:
        return None
    left = clock.left_ms()
    if left <= 50:
        return None
    try:
        ctx = sys.ctx
        fp = z3.Fixedpoint(ctx=ctx)
        fp.set(engine="spacer")
        fp.set("timeout", max(1, left))
        fp.set("spacer.random_seed", 0)
        envs = [sys.frame("h", i) for i in range(max(2, d + 1))]
        args = [v for v in sys.ts.vars]
        sorts = [enc.sort(v.type) for v in args] + [z3.BoolSort(ctx)]
        inv = z3.Function("Inv", *sorts)
        fp.register_relation(inv)

        def at(env):
            return inv(*[env[v.name][0] for v in args])

        consts = {id(t): t for env in envs for t, _ in env.values()}
        sels = [z3.Int(f"sel@h{i}", ctx) for i in range(1, len(envs))]
        for t in list(consts.values()) + sels:
            fp.declare_var(t)
        e0, e1 = envs[0], envs[1]
        fp.rule(at(e0), sys.facts(e0) + sys.init(e0))
        g0 = sys.guards(e0)
        fp.rule(at(e1), [at(e0)] + sys.facts(e0) + sys.facts(e1)
                + sys.step(e0, g0, e1, sels[0]))
        body = [at(e0)] + sys.facts(e0)
        for i in range(d):
            body += sys.facts(envs[i + 1]) + sys.step(envs[i], sys.guards(envs[i]),
                                                       envs[i + 1], sels[i])
        body.append(enc.not_(enc.and_([fn(envs, 0) for _, fn in items])))
        for s in enc.side:
            body.append(s)
        r = fp.query(z3.And(body))
    except (z3.Z3Exception, Exception):  # noqa: BLE001 - a failed attempt only loses a method
        return None
    if r == z3.unsat:
        return True
    if r == z3.sat:
        return False
    return None
