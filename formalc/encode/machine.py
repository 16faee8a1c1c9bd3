"""The symbolic engine for machine properties: BMC, k-induction and bounded lasso search in Z3.

- Safety (``always φ`` with φ looking a bounded number of steps ahead, conjunctions of such,
  and the structural properties): refuted by incremental BMC, so a counterexample is a
  shortest one; proved by k-induction with simple-path constraints on the window starts and
  the axioms assumed in every frame.
- Bounded properties (``always within k``, ``eventually within k``, ``next``, state
  predicates): decided exactly by BMC to their horizon.
- Other temporal properties: a bounded search for a (weakly fair) lasso that violates the
  property, or satisfies it for a `sat` check. It can refute, never prove.

The parts: :mod:`~formalc.encode.machine_core` (the unrolled system),
:mod:`~formalc.encode.machine_ltl` (formulas on windows and lassos),
:mod:`~formalc.encode.machine_safety` (BMC and k-induction), :mod:`~formalc.encode.machine_chc`
(Spacer) and :mod:`~formalc.encode.machine_struct` (structural properties).
"""
from __future__ import annotations

import z3

from ..checks.results import Verdict
from ..machines.outcome import NotApplicable, Outcome
from ..model import nodes as m
from .machine_core import Clock, Path, Sys
from .machine_ltl import Lasso, conjuncts, horizon, window
from .machine_safety import _bounded_sat, _bounded_valid, _invariant, _row
from .machine_struct import _structural
from .z3expr import Unsupported

__all__ = ["check_symbolic", "coverage_symbolic", "initial_states_exist"]


def check_symbolic(ts, prop, kind: str, timeout_ms: int, *, max_depth: int = 1000) -> Outcome:
    """Decide ``ts ⊨ prop`` (``kind`` "valid": every run; "sat": some run)."""
    clock = Clock(timeout_ms)
    try:
        sys = Sys(ts)
        if isinstance(prop, m.Structural):
            if kind != "valid":  # the front end refuses it (FC509); never answer it as valid
                raise NotApplicable(f"`{prop.name}` is about every run; `check sat` does not apply")
            o = _structural(sys, prop.name, clock, max_depth)
        else:
            o = _temporal(sys, prop, kind, clock, max_depth)
        if sys.skipped and o.verdict in (Verdict.VIOLATED, Verdict.SATISFIED):
            # without those assumptions the run may be impossible: never report it as found
            return Outcome(Verdict.UNKNOWN, o.method, depth=o.depth,
                           reason=f"the assumption(s) {', '.join(sys.skipped)} could not be "
                                  "encoded, so the run found may not respect them")
        return o
    except Unsupported as e:
        return Outcome(Verdict.UNKNOWN, "symbolic", reason=f"unsupported [FC401]: {e}")
    except z3.Z3Exception as e:
        return Outcome(Verdict.UNKNOWN, "symbolic", reason=f"solver error: {e}")


def initial_states_exist(ts, timeout_ms: int) -> bool | None:
    """Whether some state satisfies the initial conditions, the axioms (parameter bounds,
    counts) and the spec's assumptions; None when undecided. Without one, every property of
    the machine would hold vacuously."""
    try:
        sys = Sys(ts)
        env = sys.frame("i", 0)
        s = z3.Solver(ctx=sys.ctx)
        s.set("timeout", max(1, int(timeout_ms)))
        s.add(*sys.facts(env), *sys.init(env), *sys.assumptions, *sys.enc.side)
        r = s.check()
    except (Unsupported, z3.Z3Exception):
        return None
    return True if r == z3.sat else False if r == z3.unsat else None


def coverage_symbolic(ts, timeout_ms: int) -> list[str]:
    """Warnings for the transitions that provably never fire (undecided ones are skipped)."""
    clock = Clock(timeout_ms)
    out: list[str] = []
    try:
        sys = Sys(ts)
        trs = ts.transitions
        for k, t in enumerate(trs):
            if clock.expired():
                break
            part = clock.part(1 / (len(trs) - k))
            g = t.guard
            o = _invariant(sys, [(t, lambda envs, i, g=g: sys.enc.not_(sys.enc.expr(g, envs[i])))],
                           0, part, 1000)
            if o.verdict is Verdict.PROVED:
                out.append(f"{_row(t)} can never fire: its guard is false in every reachable state")
    except (Unsupported, z3.Z3Exception):
        pass
    return out


# ------------------------------------------------------------------------------ dispatch
def _temporal(sys: Sys, prop, kind: str, clock: Clock, max_depth: int) -> Outcome:
    enc = sys.enc
    h = horizon(prop)
    if h is not None:
        if kind == "valid":
            return _bounded_valid(sys, prop, clock)
        return _bounded_sat(sys, prop, h, clock)
    parts = conjuncts(prop)
    safe = [p for p in parts if _is_invariant(p)]
    if kind == "valid" and all(_is_invariant(p) or horizon(p) is not None for p in parts):
        bounded = [p for p in parts if not _is_invariant(p)]
        if bounded:
            o = _bounded_valid(sys, _and(bounded), clock)
            if o.verdict is not Verdict.PROVED:
                return o
        items, d = _items(enc, [p.operands[0] for p in safe])
        return _invariant(sys, items, d, clock, max_depth)
    if kind == "sat" and len(parts) == 1 and safe:
        items, d = _items(enc, [safe[0].operands[0]])
        return _lasso(sys, prop, kind, clock, max_depth, prefix=(items, d))
    return _lasso(sys, prop, kind, clock, max_depth)


def _and(xs):
    return xs[0] if len(xs) == 1 else m.BoolOp("∧", tuple(xs))


def _is_invariant(p) -> bool:
    return (isinstance(p, m.Temporal) and p.op == "always" and p.bound is None
            and horizon(p.operands[0]) is not None)


def _items(enc, bodies):
    """Invariant items ``(formula, fn(envs, i))`` for the conjuncts of ``bodies``, and their
    window depth."""
    items, d = [], 0
    for b in bodies:
        for c in conjuncts(b):
            d = max(d, horizon(c))
            items.append((c, lambda envs, i, c=c: window(enc, c, envs, i)))
    return items, d


# ------------------------------------------------------------------------------ lassos
def _fair(sys: Sys, path: Path, n: int, l: int) -> list:
    """Weak fairness of the loop ``l … n-1`` (frame ``n`` is frame ``l`` again)."""
    enc, ts = sys.enc, sys.ts
    out = []
    for f in sorted(ts.fair):
        idx = [j for j, t in enumerate(ts.transitions) if t.label == f]
        if not idx:
            continue
        took = [path.sels[j] == x for j in range(l + 1, n + 1) for x in idx]
        idle = [enc.not_(sys.enabled(path.guards[j], lambda t, f=f: t.label == f)) for j in range(l, n)]
        out.append(enc.or_(took + idle))
    return out


def _lasso(sys: Sys, prop, kind: str, clock: Clock, max_depth: int, prefix=None) -> Outcome:
    enc = sys.enc
    path = Path(sys, "l", True)
    added = 0
    done = 0
    for n in range(1, max_depth + 1):
        if clock.expired():
            break
        path.ensure(n)
        if prefix is not None:  # `sat` of an invariant: no prefix keeps it, no run does
            items, d = prefix
            while added + d <= n:
                path.add(enc.and_([fn(path.envs, added) for _, fn in items]))
                added += 1
            r, _ = path.check(clock)
            if r == z3.unsat:
                return Outcome(Verdict.VIOLATED, f"BMC (depth {n})", depth=n,
                               reason=f"no run satisfies the property: no path of {n} "
                                      f"step{'s' if n != 1 else ''} keeps it true")
            if r == z3.unknown:
                break
        options, evs = [], []
        for l in range(n):
            ev = Lasso(enc, path.envs, n, l)
            f = ev.at(prop, 0)
            if kind == "valid":
                f = enc.not_(f)
            options.append(enc.and_(sys.same(path.envs[l], path.envs[n]) + _fair(sys, path, n, l)
                                    + [f]))
            evs.append(ev)
        r, model = path.check(clock, enc.or_(options))
        if r == z3.sat:
            l = next(j for j, o in enumerate(options)
                     if z3.is_true(model.eval(o, model_completion=True)))
            states, taken = path.run(model, n)
            method = f"BMC (lasso, depth {n})"
            if kind == "sat":
                return Outcome(Verdict.SATISFIED, method, states, taken, l, depth=n)
            at, formula = _lasso_blame(evs[l], prop, model, n)
            return Outcome(Verdict.VIOLATED, method, states, taken, l, at, formula, depth=n)
        if r == z3.unknown:
            break
        done = n
    what = "counterexample" if kind == "valid" else "witness"
    why = path.last_unknown
    extra = f" (the solver gave up: {why})" if why and why not in ("timeout", "canceled") else ""
    return Outcome(Verdict.UNKNOWN, "BMC (lasso)", depth=done,
                   reason=f"no {what} lasso up to depth {done}{extra}; a bounded search cannot "
                          f"prove this property — try --engine explicit")


def _lasso_blame(ev: Lasso, prop, model, n):
    """Where a violated property fails on the lasso: the first step where the body of a
    top-level `always`/`~>` is false, else step 0 and the whole property."""
    def false(t):
        return z3.is_false(model.eval(t, model_completion=True))
    for c in conjuncts(prop):
        if not false(ev.at(c, 0)):
            continue
        if isinstance(c, m.Temporal) and c.op == "always" and c.bound is None:
            for i in range(n):
                for f in conjuncts(c.operands[0]):
                    if false(ev.at(f, i)):
                        return i, f
        if isinstance(c, m.Temporal) and c.op == "~>":
            a, b = c.operands
            for i in range(n):
                if not false(ev.at(a, i)) and false(
                        ev.fut(lambda x, b=b: ev.at(b, x), (id(c), "F"), i)):
                    return i, m.Temporal("eventually", (b,))
        return 0, c
    return 0, prop
