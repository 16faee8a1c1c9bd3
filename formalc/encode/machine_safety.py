"""Safety for the symbolic engine: incremental BMC (shortest counterexamples) and k-induction
with lazily added simple-path constraints, Spacer as a fallback; exact BMC for bounded
properties."""
from __future__ import annotations

import z3

from ..checks.results import Verdict
from ..machines.outcome import Outcome
from ..model import nodes as m
from .machine_chc import spacer
from .machine_core import Clock, Path, Sys
from .machine_ltl import conjuncts, horizon, window


def _row(t) -> str:
    line = f" (line {t.span.line})" if t.span is not None else ""
    who = f"{t.component}: " if t.component else ""
    return f"{who}δ({t.src}, {t.event}){line}"


# ------------------------------------------------------------------------------ safety
def _first_false(model, items, envs, i):
    for f, fn in items:
        if z3.is_false(model.eval(fn(envs, i), model_completion=True)):
            return f
    return items[0][0] if items else None


def _invariant(sys: Sys, items, d: int, clock: Clock, max_depth: int) -> Outcome:
    """Prove or refute that every window ``s(i) … s(i+d)`` of every run satisfies ``items``."""
    enc = sys.enc
    base, step = Path(sys, "b", True), Path(sys, "s", False)
    checked, tried = -1, 0
    why = ""
    step_ok = True
    chc_tried = False
    for k in range(max_depth + 1):
        base.ensure(k + d)
        pk = enc.and_([fn(base.envs, k) for _, fn in items])
        r, model = base.check(clock, enc.not_(pk))
        if r == z3.sat:
            failing = _first_false(model, items, base.envs, k)
            # the run needs only the look-ahead of the item that fails, not the deepest one's
            dd = horizon(failing) if type(failing).__module__ == m.__name__ else None
            dd = d if dd is None else min(d, dd)
            states, taken = base.run(model, k + dd + 1)
            return Outcome(Verdict.VIOLATED, f"BMC (depth {k + dd})", states, taken, None, k,
                           failing, depth=k + dd)
        if r == z3.unknown:
            why = base.last_unknown
            break
        base.add(pk)
        checked = k
        if not step_ok:
            continue
        step.ensure(k + 1 + d)
        step.add(enc.and_([fn(step.envs, k) for _, fn in items]))
        bad = enc.not_(enc.and_([fn(step.envs, k + 1) for _, fn in items]))
        while True:  # simple paths over the window starts, constrained lazily
            r, model = step.check(clock, bad)
            if r != z3.sat:
                break
            pair = _repeated(sys, model, step.envs, k + 1)
            if pair is None:
                break
            step.add(sys.differ(step.envs[pair[0]], step.envs[pair[1]]))
        if r == z3.unsat:
            return Outcome(Verdict.PROVED, f"k-induction (k={k + 1})", depth=k + d)
        if r == z3.unknown:
            why = step.last_unknown
            if why in ("timeout", "canceled") or clock.expired():
                break
            step_ok = False  # the step case is beyond the solver: BMC alone goes on
        tried = k + 1
        if not chc_tried and clock.used() > 0.1:
            chc_tried = True
            if spacer(sys, items, d, clock.part(0.4)):
                return Outcome(Verdict.PROVED, "Spacer (CHC)", depth=k + d)
    return Outcome(Verdict.UNKNOWN, "BMC + k-induction", depth=max(checked, 0) + d,
                   reason=_unknown_text(checked, d, tried, clock, why, max_depth, chc_tried))


def _repeated(sys: Sys, model, envs, last: int):
    """Two window starts ``i < j ≤ last`` that are the same state in ``model``, or None."""
    seen: dict = {}
    for j in range(last + 1):
        key = tuple(str(model.eval(envs[j][v.name][0], model_completion=True)) for v in sys.flex)
        if key in seen:
            return seen[key], j
        seen[key] = j
    return None


def _unknown_text(checked, d, tried, clock, why, max_depth, chc=False) -> str:
    bmc = (f"no counterexample up to depth {checked + d}" if checked >= 0
           else "BMC did not finish depth 0")
    if tried >= max_depth:
        tail = f"k-induction did not close up to k={tried} (the depth limit)"
    else:
        tail = f"k-induction did not close up to k={tried} within {clock.seconds}"
    if why and why not in ("timeout", "canceled"):
        tail += f" (the solver gave up: {why})"
    if chc:
        tail += "; Spacer (CHC) did not prove it either"
    return f"{bmc}; {tail}"


def _bounded_valid(sys: Sys, prop, clock: Clock) -> Outcome:
    """Exact BMC for a property of bounded horizon: obligations ``(start, formula)`` are
    checked in the order of the last step they need, so a counterexample is a shortest one."""
    enc = sys.enc
    obligations = []  # (end, start, formula, top-level conjunct)
    for c in conjuncts(prop):
        if isinstance(c, m.Temporal) and c.op == "always" and c.bound is not None:
            body = c.operands[0]
            for f in conjuncts(body):
                hf = horizon(f)
                obligations += [(i + hf, i, f) for i in range(c.bound + 1)]
        else:
            obligations.append((horizon(c), 0, c))
    obligations.sort(key=lambda o: (o[0], o[1]))
    base = Path(sys, "b", True)
    top = max(o[0] for o in obligations)
    for end in range(top + 1):
        now = [o for o in obligations if o[0] == end]
        if not now:
            continue
        base.ensure(end)
        terms = [window(enc, f, base.envs, i) for _, i, f in now]
        r, model = base.check(clock, enc.not_(enc.and_(terms)))
        if r == z3.sat:
            for (_, i, f), t in zip(now, terms):
                if z3.is_false(model.eval(t, model_completion=True)):
                    break
            states, taken = base.run(model, end + 1)
            return Outcome(Verdict.VIOLATED, f"BMC (depth {end})", states, taken, None, i, f,
                           depth=end)
        if r == z3.unknown:
            return Outcome(Verdict.UNKNOWN, "BMC", depth=max(end - 1, 0),
                           reason=_bmc_unknown(end, top, base, clock))
        base.add(enc.and_(terms))
    return Outcome(Verdict.PROVED, f"BMC (depth {top})", depth=top)


def _bmc_unknown(end, top, path, clock) -> str:
    why = path.last_unknown
    text = (f"no counterexample up to depth {end - 1}" if end > 0 else
            "BMC did not finish depth 0") + f"; the property needs depth {top}"
    if why in ("timeout", "canceled"):
        return text + f", not reached within {clock.seconds}"
    return text + f" (the solver gave up: {why})"


def _bounded_sat(sys: Sys, prop, h: int, clock: Clock) -> Outcome:
    enc = sys.enc
    base = Path(sys, "b", True)
    base.ensure(h)
    r, model = base.check(clock, window(enc, prop, base.envs, 0))
    if r == z3.sat:
        states, taken = base.run(model)
        return Outcome(Verdict.SATISFIED, f"BMC (depth {h})", states, taken, depth=h)
    if r == z3.unsat:
        return Outcome(Verdict.VIOLATED, f"BMC (depth {h})", depth=h,
                       reason=f"no run satisfies the property (exhaustive to depth {h})")
    return Outcome(Verdict.UNKNOWN, "BMC", depth=0, reason=_bmc_unknown(0, h, base, clock))
