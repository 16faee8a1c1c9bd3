"""Structural properties for the symbolic engine: each one an invariant (``reachable``: one
reachability question per control state)."""
from __future__ import annotations

from ..checks.results import Verdict
from ..machines.outcome import NotApplicable, Outcome
from ..model import nodes as m
from .machine_core import Clock, Sys
from .machine_safety import _invariant, _row


# ------------------------------------------------------------------------------ structure
def _structural(sys: Sys, name: str, clock: Clock, max_depth: int) -> Outcome:
    ts, enc = sys.ts, sys.enc
    trs = ts.transitions
    items = []

    def guard(t, envs, i):
        return enc.expr(t.guard, envs[i])

    if name == "deterministic":
        for a in range(len(trs)):
            for b in range(a + 1, len(trs)):
                s, t = trs[a], trs[b]
                if s.label == t.label and s.src == t.src:
                    text = (f"two transitions for {_row(s).split(' (')[0]} are enabled at once "
                            f"(lines {_line(s)} and {_line(t)})")
                    items.append((text, lambda envs, i, s=s, t=t: enc.not_(
                        enc.and_([guard(s, envs, i), guard(t, envs, i)]))))
    elif name == "total":
        for comp, src, occupied, events in _sources(sys):
            for e in events:
                rows = [t for t in trs if t.component == comp and t.src == src and t.event == e]
                who = f"{comp}: " if comp else ""
                text = f"{who}no transition for event {e} is enabled in state {src}"
                items.append((text, lambda envs, i, occ=occupied, rows=rows: enc.implies(
                    occ(envs[i]), enc.or_([guard(t, envs, i) for t in rows]))))
    elif name == "deadlock_free":
        items.append(("a reachable state that is not final has no enabled transition",
                      lambda envs, i: enc.or_([enc.expr(ts.final, envs[i])]
                                              + [guard(t, envs, i) for t in trs])))
    elif name == "final_absorbing":
        basic = not ts.machine.is_composition
        for t in trs:
            if basic and t.src not in ts.machine.finals:
                continue
            text = f"{_row(t)} leaves a final state"
            if basic:
                if t.dst == t.src:
                    continue
                items.append((text, lambda envs, i, t=t: enc.not_(guard(t, envs, i))))
            else:
                items.append((text, lambda envs, i, t=t: enc.implies(
                    enc.and_([enc.expr(ts.final, envs[i]), guard(t, envs, i)]),
                    enc.expr(ts.final, sys.post(t, envs[i])))))
    elif name == "reachable":
        return _reachable(sys, clock, max_depth)
    elif name == "no_trap":
        raise NotApplicable("`no_trap` (a final state stays reachable from every reachable "
                            "state) is not expressible as a symbolic invariant; use the "
                            "explicit engine")
    else:
        raise NotApplicable(f"unknown structural property `{name}`")
    if not items:
        items = [("true", lambda envs, i: enc.true)]
    return _invariant(sys, items, 0, clock, max_depth)


def _line(t):
    return t.span.line if t.span is not None else "?"


def _sources(sys: Sys):
    """``(component, source state, occupied(env), events)`` for each control state."""
    ts, enc = sys.ts, sys.enc
    mach = ts.machine
    out = []
    if not mach.is_composition:
        S = mach.state_type
        for s in S.members:
            out.append((None, s, lambda env, s=s: enc.expr(
                m.Cmp("=", m.Var("state", S), m.EnumConst(s, S)), env), mach.event_type.members))
        return out
    for v in ts.vars:
        if v.kind == "count":
            sub = ts.spec.machines[next(c.machine for c in mach.components
                                        if c.name == v.component)]
            out.append((v.component, v.state, lambda env, n=v.name: env[n][0] >= 1,
                        sub.event_type.members))
    return out


def _reachable(sys: Sys, clock: Clock, max_depth: int) -> Outcome:
    ts = sys.ts
    targets = [(f"{c}.{s}" if c else s, occ) for c, s, occ, _ in _sources(sys)]
    paths, unreachable, open_, ks, depth = {}, [], [], [], 0
    for k, (name, occ) in enumerate(targets):
        part = clock.part(1 / (len(targets) - k))
        o = _invariant(sys, [(name, lambda envs, i, occ=occ: sys.enc.not_(occ(envs[i])))], 0,
                       part, max_depth)
        if o.verdict is Verdict.VIOLATED:
            paths[name] = [t.label for t in o.taken[1:] if t is not None]
            depth = max(depth, len(o.taken) - 1)
        elif o.verdict is Verdict.PROVED:
            unreachable.append(name)
            ks.append(o.method)
        else:
            open_.append(name)
    what = "component states" if ts.machine.is_composition else "states"
    if unreachable:
        reason = f"unreachable {what}: " + ", ".join(unreachable)
        if open_:
            reason += "; undecided: " + ", ".join(open_)
        return Outcome(Verdict.VIOLATED, _methods(ks), reason=reason, paths=paths)
    if open_:
        return Outcome(Verdict.UNKNOWN, "BMC + k-induction", paths=paths,
                       reason=f"no path found to {', '.join(open_)} and their unreachability "
                              f"was not proved within {clock.seconds}")
    return Outcome(Verdict.PROVED, f"BMC (depth {depth})", paths=paths, depth=depth)


def _methods(methods: list[str]) -> str:
    """One method text for several unreachability proofs: the largest k of the k-induction
    proofs, and Spacer when it proved some."""
    import re
    ks = [int(m.group(1)) for x in methods if (m := re.search(r"k-induction \(k=(\d+)\)", x))]
    parts = [f"k-induction (k={max(ks)})"] if ks else []
    parts += sorted({x for x in methods if not x.startswith("k-induction")})
    return " and ".join(parts) or "k-induction"
