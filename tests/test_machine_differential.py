"""Differential tests of the two machine engines on generated machines.

Hypothesis generates the text of a spec (tests/machine_gen.py): a basic machine (2–5 states,
1–4 events, partial rows, guarded pairs of rows, internal and fair events, final states, a
bounded Int variable, a Bool variable, a parameter) or a composition of a generated basic
machine (``c[1..N]`` with N a literal or a parameter, a second component, sync rules with count
guards and a bounded shared variable), and several properties of it (state predicates,
invariants with `next`, bounded operators, `eventually`, `until`, `~>`, `always eventually`,
`eventually always`, nested formulas, structural properties), as `check` and `check sat`.
The spec goes through the front end (``formalc.loads``); each check is then decided by the
explicit engine (``check_explicit``) and the symbolic one (``check_symbolic``).

Agreement rules:

- the explicit engine is always definite on these small machines;
- both definite ⇒ the same verdict;
- state predicates, bounded properties, invariants (`check` of `always φ`, φ with at most
  `next`) and the structural invariants: the symbolic engine is definite too;
- other temporal properties: the symbolic engine (a bounded lasso search) may be unknown only
  when explicit finds no run (PROVED for `check`, VIOLATED for `check sat`); when explicit finds
  a lasso of n states, the symbolic engine must find one of at most n states;
- every run either engine returns is replayed here (tests/machine_gen.py: ``replay``): step 0
  initial, each step its claimed transition (guard, updates) or a deadlock's stutter, a
  lasso's loop closed and weakly fair, and the property evaluated on the run by our own
  evaluator (false on a counterexample, true on a witness; at ``failed_at`` for invariants);
- shortest counterexamples: for invariants, BMC fails at the same step as explicit BFS, with a
  run of the same length; for bounded properties, BMC's run is not longer than explicit's;
- `reachable`: the same reached states with event paths of the same (shortest) length, each
  path replayed.

A disagreement is reported with the spec text, the check and both outcomes.
"""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from machine_gen import (  # tests/ is on sys.path (rootdir import mode)
    enabled,
    holds_on_lasso,
    holds_on_path,
    horizon,
    replay,
    specs,
    successors,
)

import formalc
from formalc.checks.results import Verdict
from formalc.encode.machine import check_symbolic
from formalc.machines.check import classify
from formalc.machines.evaluate import evaluate
from formalc.machines.explicit import check_explicit, explore
from formalc.machines.outcome import TooLarge
from formalc.machines.ts import lower
from formalc.model import nodes as m
from formalc.model.machines import STATE, count_var

TIMEOUT_MS = 5000
INVARIANT_STRUCTURAL = {"deterministic", "total", "deadlock_free", "final_absorbing"}
#: the lasso depth given to the symbolic engine when explicit finds no run: it must not find
#: one either (it cannot prove, so it stops at this depth)
NO_RUN_DEPTH = 10

#: no shrinking: a failure message already holds the whole spec, and shrinking re-runs solver
#: calls with their time limits for minutes (add Phase.shrink locally to minimise)
COMMON = {"deadline": None, "derandomize": True, "database": None,
          "phases": [Phase.explicit, Phase.reuse, Phase.generate],
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                    HealthCheck.filter_too_much]}


# ------------------------------------------------------------------------------ helpers
def _show(o) -> str:
    if o is None:
        return "—"
    s = f"{o.verdict.name} by {o.method}"
    if o.states:
        s += f", run of {len(o.states)} states"
        if o.loop is not None:
            s += f" (loop at {o.loop})"
        if o.failed_at is not None:
            s += f", failed at {o.failed_at}"
    if o.reason:
        s += f" — {o.reason}"
    return s


class Disagreement(AssertionError):
    pass


def _fail(gen, check, msg, ex=None, sy=None):
    raise Disagreement(f"{msg}\n--- check {check.name} ({check.kind}) ---\n"
                       f"explicit: {_show(ex)}\nsymbolic: {_show(sy)}\n--- spec ---\n{gen.text}")


def _conjuncts(f):
    if f[0] == "and":
        return _conjuncts(f[1]) + _conjuncts(f[2])
    return [f]


def _structural_claim(ts, name, s) -> bool:
    """Whether state ``s`` witnesses the violation of structural invariant ``name``."""
    spec = ts.spec
    final = bool(evaluate(ts.final, s, spec))
    en = enabled(ts, s)
    if name == "deadlock_free":
        return not en and not final
    if name == "deterministic":
        keys = [(t.label, t.src) for t in en]
        return len(keys) != len(set(keys))
    if name == "total":
        mach = ts.machine
        if not mach.is_composition:
            have = {t.event for t in en if t.src == s[STATE]}
            return any(e not in have for e in mach.event_type.members)
        for c in mach.components:
            sub = spec.machines[c.machine]
            for x in sub.state_type.members:
                if s[count_var(c.name, x)] >= 1:
                    have = {t.event for t in en if t.component == c.name and t.src == x}
                    if any(e not in have for e in sub.event_type.members):
                        return True
        return False
    if name == "final_absorbing":
        if not final:
            return False
        for t, nxt in successors(ts, s):
            if t is None:
                continue
            if not evaluate(ts.final, nxt, spec):
                return True
            if not ts.machine.is_composition and nxt[STATE] != s[STATE]:
                return True
        return False
    raise AssertionError(name)


def _reaches(ts, labels, target) -> bool:
    """Whether following the event labels ``labels`` from an initial state can end in a state
    occupying control state ``target`` ("S" or "c.S")."""
    from formalc.machines.explicit import initial_states  # initial states only
    names = [v.name for v in ts.vars]
    cur = [dict(zip(names, s)) for s in initial_states(ts)]
    for lab in labels:
        nxt = []
        for s in cur:
            for t, n in successors(ts, s):
                if t is not None and t.label == lab and n not in nxt:
                    nxt.append(n)
        cur = nxt
    if "." in target:
        c, x = target.split(".", 1)
        return any(s[count_var(c, x)] >= 1 for s in cur)
    return any(s[STATE] == target for s in cur)


def _validate(gen, check, tree, ts, o, who, ex, sy):
    """Replay a run of outcome ``o`` (``who``: "explicit"/"symbolic") and check it shows what
    the verdict says."""
    def bad(msg):
        _fail(gen, check, f"{who}: {msg}", ex, sy)

    kind = check.kind
    v = o.verdict
    has_run = bool(o.states)
    if tree[0] == "struct":
        name = tree[1]
        if name == "reachable":
            for target, labels in o.paths.items():
                if not _reaches(ts, labels, target):
                    bad(f"the path {labels} does not reach {target}")
            return
        if v is Verdict.VIOLATED:
            if not has_run:
                bad("a violated structural invariant without a run")
            try:
                replay(ts, o.states, o.taken, o.loop)
            except AssertionError as e:
                bad(f"the run does not replay: {e}")
            at = o.failed_at if o.failed_at is not None else len(o.states) - 1
            if not _structural_claim(ts, name, o.states[at]):
                bad(f"step {at} does not violate {name}: {o.states[at]}")
        return
    want_run = (kind == "valid" and v is Verdict.VIOLATED) or \
        (kind == "sat" and v is Verdict.SATISFIED)
    if not want_run:
        if has_run:
            bad("a run with a verdict that needs none")
        return
    if not has_run:
        bad("no run")
    try:
        replay(ts, o.states, o.taken, o.loop, fair=o.loop is not None)
    except AssertionError as e:
        bad(f"the run does not replay: {e}")
    expect = kind == "sat"
    if o.loop is not None:
        if holds_on_lasso(tree, o.states, o.loop) != expect:
            bad("the property is " + ("false" if expect else "true") + " on the lasso")
        return
    # a finite run: only for properties decided on a bounded window
    try:
        if expect:
            if not holds_on_path(tree, o.states, 0):
                bad("the property is false on the witness")
            return
    except IndexError:
        bad("the finite run is too short to show its verdict")
    except ValueError as e:
        bad(f"a finite run for an unbounded property ({e})")
    at = o.failed_at if o.failed_at is not None else 0
    shown = []  # (step, formula) that the run may show false
    for c in _conjuncts(tree):
        if c[0] == "G":
            shown += [(at, b) for b in _conjuncts(c[1])]
        elif c[0] == "Gk" and at <= c[1]:
            shown += [(at, b) for b in _conjuncts(c[2])]
        elif c[0] not in ("G", "Gk"):
            shown.append((0, c))
    for i, f in shown:
        try:
            if not holds_on_path(f, o.states, i):
                return
        except (IndexError, ValueError):
            continue  # the run is too short for this one: not the one shown failing
    bad(f"no conjunct of the property fails at step {at} of the finite run")


def _must_be_definite(kind: str, cls: str, prop, tree) -> bool:
    """Whether the symbolic engine must decide (it is complete for these)."""
    if cls == "state":
        return True
    if tree[0] != "struct" and horizon(tree) is not None:
        return True  # a bounded horizon (next, within k): decided exactly by BMC
    if cls == "bounded":  # `always within k φ` with an unbounded φ is a lasso search
        return False
    if cls == "structural":
        return prop.name in INVARIANT_STRUCTURAL or prop.name == "reachable"
    return cls == "safety" and kind == "valid"


STATS: dict[str, int] = {}


def _count(key: str):
    STATS[key] = STATS.get(key, 0) + 1
    event(key)


def differential(gen) -> None:
    spec = formalc.loads(gen.text, "gen.iot")  # the front end must accept every generated spec
    assert len(spec.checks) == len(gen.props)
    ts = lower(spec, spec.machines[gen.machine])
    try:
        graph = explore(ts, max_states=20_000, deadline=time.monotonic() + 10)
    except TooLarge:  # pragma: no cover - the generator keeps machines small
        pytest.skip("state space too large")
    _count(f"states {'<10' if len(graph) < 10 else '<100' if len(graph) < 100 else '≥100'}")
    for check, (kind, tree) in zip(spec.checks, gen.props):
        assert check.kind == kind
        prop = check.formula.prop
        cls = classify(prop)
        try:
            ex = check_explicit(ts, prop, kind, TIMEOUT_MS, graph=graph)
        except Exception as e:  # noqa: BLE001 - a crash is a finding, shown with its spec
            _fail(gen, check, f"the explicit engine raised {type(e).__name__}: {e}")
        if ex.verdict is Verdict.UNKNOWN:
            _fail(gen, check, "the explicit engine is not definite", ex)
        _validate(gen, check, tree, ts, ex, "explicit", ex, None)
        definite = _must_be_definite(kind, cls, prop, tree)
        ex_run = bool(ex.states) and ex.loop is not None
        if definite:
            depth = 1000
        elif ex_run:
            depth = len(ex.states)
        else:
            depth = NO_RUN_DEPTH
        try:
            sy = check_symbolic(ts, prop, kind, TIMEOUT_MS, max_depth=depth)
        except Exception as e:  # noqa: BLE001
            _fail(gen, check, f"the symbolic engine raised {type(e).__name__}: {e}", ex)
        _count(f"{cls}/{kind}: explicit {ex.verdict.name}, symbolic {sy.verdict.name}")
        _validate(gen, check, tree, ts, sy, "symbolic", ex, sy)
        if sy.verdict is Verdict.UNKNOWN:
            if definite:
                _fail(gen, check, "the symbolic engine is unknown on a property it must decide",
                      ex, sy)
            if ex_run:
                _fail(gen, check, "explicit found a lasso; the symbolic engine found none of at "
                      "most as many states", ex, sy)
            continue
        if sy.verdict is not ex.verdict:
            _fail(gen, check, "the engines disagree", ex, sy)
        if ex_run and sy.loop is not None and not definite and len(sy.states) > len(ex.states):
            _fail(gen, check, "the symbolic lasso is longer than the explicit one", ex, sy)
        # shortest counterexamples
        if kind == "valid" and ex.verdict is Verdict.VIOLATED and ex.loop is None \
                and sy.loop is None and ex.states and sy.states:
            if cls == "safety" or (cls == "structural" and prop.name in INVARIANT_STRUCTURAL):
                if ex.failed_at != sy.failed_at:
                    _fail(gen, check, "the invariant fails at different steps (not both "
                          "shortest)", ex, sy)
                # BMC unrolls every conjunct to the deepest window (a padded run, not a wrong one):
                # lengths are comparable when all `always` conjuncts look equally far ahead
                depths = {horizon(c[1]) for c in _conjuncts(tree) if c[0] == "G"}
                if cls == "safety" and len(depths) == 1 and len(ex.states) != len(sy.states):
                    _fail(gen, check, "BMC's counterexample and explicit BFS's differ in "
                          "length", ex, sy)
                if cls == "safety" and len(sy.states) < len(ex.states):
                    _fail(gen, check, "BMC's counterexample is shorter than explicit BFS's",
                          ex, sy)
            if cls == "bounded" and len(sy.states) > len(ex.states):
                _fail(gen, check, "BMC's counterexample of a bounded property is longer than "
                      "explicit's", ex, sy)
        if isinstance(prop, m.Structural) and prop.name == "reachable":
            if set(ex.paths) != set(sy.paths):
                _fail(gen, check, f"reached states differ: {sorted(ex.paths)} vs "
                      f"{sorted(sy.paths)}", ex, sy)
            for k in ex.paths:
                if len(ex.paths[k]) != len(sy.paths[k]):
                    _fail(gen, check, f"shortest paths to {k} differ in length: "
                          f"{ex.paths[k]} vs {sy.paths[k]}", ex, sy)


# ------------------------------------------------------------------------------ the tests
@settings(max_examples=100, **COMMON)
@given(specs())
def test_engines_agree_on_generated_machines(gen):
    differential(gen)


@settings(max_examples=500, **COMMON)
@given(specs(n_props=(6, 10)))
def _many_generated_machines(gen):
    differential(gen)


@pytest.mark.slow
def test_engines_agree_on_generated_machines_slow(request):
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("slow: run with -m slow")
    _many_generated_machines()


# ------------------------------------------------------------------------------ minimised findings
def _both(text: str):
    spec = formalc.loads(text, "gen.iot")
    c = spec.checks[0]
    ts = lower(spec, spec.machines[c.formula.machine])
    return (check_explicit(ts, c.formula.prop, c.kind, TIMEOUT_MS),
            check_symbolic(ts, c.formula.prop, c.kind, TIMEOUT_MS))


SPACER_UNREACHABLE = """S = {a0, a1}
E = {e}
machine M {
  δ: S × E → S
  initial a0
  var x: Int = 1
  δ(a0, e) = a0 when x < 0 do x := x + 1
  δ(a0, e) = a1 when x = 0
}
check r: M ⊨ reachable
"""


def test_reachable_when_spacer_proves_a_state_unreachable():
    # a1 is unreachable (x stays 1) but k-induction cannot close (x < 0 counts up to 0 along
    # simple paths of any length), so Spacer proves it
    ex, sy = _both(SPACER_UNREACHABLE)
    assert ex.verdict is Verdict.VIOLATED and set(ex.paths) == {"a0"}
    assert sy.verdict is Verdict.VIOLATED and set(sy.paths) == {"a0"}


PADDED = """S = {a0, a1}
E = {e}
machine M {
  δ: S × E → S
  initial a0
  δ(a0, e) = a1
}
check p: M ⊨ always state = a1 ∧ always (state = a1 ⇒ next state = a1)
"""


def test_invariant_counterexample_not_padded_to_the_deepest_conjunct():
    ex, sy = _both(PADDED)
    assert ex.verdict is sy.verdict is Verdict.VIOLATED
    assert ex.failed_at == sy.failed_at == 0
    assert len(ex.states) == 1
    assert len(sy.states) == len(ex.states)  # symbolic: 2 states
