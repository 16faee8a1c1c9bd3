"""The explicit-state engine: exploration, invariants with shortest counterexamples, LTL with
lassos and weak fairness, structural properties, coverage, compositions by counting, and the
Python evaluator of model expressions."""
import time
from fractions import Fraction
from math import comb

import pytest

import formalc
from formalc import Verdict
from formalc.machines.evaluate import Record, evaluate
from formalc.machines.explicit import (
    ExploreTimeout,
    check_explicit,
    coverage_explicit,
    explore,
)
from formalc.machines.ltl import automaton
from formalc.machines.outcome import NotApplicable, TooLarge
from formalc.machines.ts import lower
from formalc.model import nodes as m
from machine_specs import BASIC as BASIC_MACHINE  # tests/ is on sys.path

LIFE = """
States = {Created, Running, Paused, Stopped, Deleted}
Events = {start, pause, resume, stop, kill, remove, exit}
Actions = {SpawnInit, FreezeCgroup}
"""

LIFECYCLE = LIFE + """
machine Lifecycle {
  δ: States × Events → States
  initial Created
  final Deleted
  internal exit
  FAIR
  var restarts: Int = 0
  effect spawn: restarts := restarts + 1, SpawnInit
  δ(Created, start) = Running do SpawnInit
  δ(Created, remove) = Deleted
  δ(Running, pause) = Paused do FreezeCgroup
  δ(Running, stop) = Stopped
  δ(Running, exit) = Stopped
  δ(Paused, resume) = Running
  δ(Paused, kill) = Stopped
  δ(Stopped, start) = Running when restarts < 3 do spawn
  δ(Stopped, remove) = Deleted
}
"""

BASIC = "\n" + BASIC_MACHINE


def machine(text, name=None, fair=""):
    spec = formalc.loads(text.replace("FAIR", fair), "x.iot")
    name = name or next(iter(spec.machines))
    return spec, lower(spec, spec.machines[name])


def run(text, prop, kind="valid", name=None, fair="", **kw):
    """Check `name ⊨ prop` (prop in the spec's syntax) with the explicit engine."""
    text = text.replace("FAIR", fair)
    spec0 = formalc.loads(text, "x.iot")
    name = name or next(iter(spec0.machines))
    spec = formalc.loads(text + f"\ncheck {'sat ' if kind == 'sat' else ''}p: {name} ⊨ {prop}\n",
                         "x.iot")
    check = spec.checks[-1]
    ts = lower(spec, spec.machines[name])
    return check_explicit(ts, check.formula.prop, check.kind, 10_000, **kw)


def events(o):
    return [t.event if t is not None else None for t in o.taken[1:]]


def states(o, var="state"):
    return [s[var] for s in o.states]


# ------------------------------------------------------------------------------ exploration
def test_explore_lifecycle_bfs_parents_and_stutter():
    _, ts = machine(LIFECYCLE)
    g = explore(ts)
    assert len(g) == 17 and g.n_transitions == 29
    assert g.method() == "explicit (17 states, 29 transitions)"
    assert [g.states[i] for i in g.initial] == [("Created", 0)]
    deleted = g.index[("Deleted", 0)]
    assert g.enabled[deleted] == ()  # no transition: a stutter self-loop
    nxg = g.graph
    assert nxg[deleted][deleted]["stutter"] is True
    running = g.index[("Running", 0)]
    assert [t.label for t in nxg[g.initial[0]][running]["transitions"]] == ["start"]
    # BFS numbering: distances never decrease; parents are shortest paths
    assert g.dist == sorted(g.dist)
    path = g.path_to(g.index[("Running", 3)])
    assert [ts.transitions[k].event for _, k in path[1:]] == \
        ["start", "stop", "start", "stop", "start", "stop", "start"]


def test_uninitialised_finite_vars_take_every_value():
    text = LIFE + """
machine M {
  δ: States × Events → States
  initial Created
  var b: Bool
  var tags: set Actions
  δ(Created, start) = Running when b
}"""
    _, ts = machine(text)
    g = explore(ts)
    assert len(g.initial) == 2 * 4
    assert len(g) == 8 + 4  # Running only from the b = true states


def test_too_large_on_unbounded_counter():
    text = LIFE + """
machine Counter {
  δ: States × Events → States
  initial Created
  var n: Int = 0
  δ(Created, start) = Created do n := n + 1
}"""
    _, ts = machine(text)
    with pytest.raises(TooLarge):
        explore(ts, max_states=1000)


def test_uninterpreted_constant_is_not_applicable():
    text = LIFE + """
limit: Int
machine M {
  δ: States × Events → States
  initial Created
  var n: Int = 0
  δ(Created, start) = Running when n < limit
}"""
    _, ts = machine(text)
    with pytest.raises(NotApplicable, match="uninterpreted constant"):
        explore(ts)


def test_deadline_gives_unknown_never_a_pass():
    text = LIFE + BASIC + "machine Many {\n  c[1..40]: Basic\n}\n"
    _, ts = machine(text, "Many")
    with pytest.raises(ExploreTimeout):
        explore(ts, deadline=time.monotonic() - 1)
    spec = formalc.loads(text + "check p: Many ⊨ always count(c, Running) ≤ 40\n", "x.iot")
    o = check_explicit(ts, spec.checks[0].formula.prop, "valid", 1)
    assert o.verdict is Verdict.UNKNOWN and "time" in o.reason


# ------------------------------------------------------------------------------ invariants
def test_state_predicate_checks_initial_states():
    assert run(LIFECYCLE, "state = Created ∧ restarts = 0").verdict is Verdict.PROVED
    o = run(LIFECYCLE, "restarts = 0 ∧ state = Running")
    assert o.verdict is Verdict.VIOLATED and o.failed_at == 0 and len(o.states) == 1
    assert isinstance(o.formula, m.Cmp) and o.formula.right.member == "Running"
    assert run(LIFECYCLE, "state = Running", "sat").verdict is Verdict.VIOLATED
    assert run(LIFECYCLE, "state = Created", "sat").verdict is Verdict.SATISFIED


def test_invariant_proved_and_shortest_counterexample():
    assert run(LIFECYCLE, "always restarts ≤ 3").verdict is Verdict.PROVED
    o = run(LIFECYCLE, "always restarts ≤ 2")
    assert o.verdict is Verdict.VIOLATED
    assert events(o) == ["start", "stop", "start", "stop", "start", "stop", "start"]
    assert o.failed_at == 7 and o.states[-1] == {"state": "Running", "restarts": 3}
    assert o.taken[-1].actions == ("SpawnInit",)


def test_invariant_reports_the_failing_conjunct():
    o = run(LIFECYCLE, "always (restarts ≥ 0 ∧ state ≠ Paused)")
    assert o.verdict is Verdict.VIOLATED and events(o) == ["start", "pause"]
    assert isinstance(o.formula, m.Cmp) and o.formula.op == "≠"


def test_invariant_with_next():
    assert run(LIFECYCLE, "always (state = Deleted ⇒ next state = Deleted)").verdict \
        is Verdict.PROVED
    o = run(LIFECYCLE, "always (state = Running ⇒ next state = Paused)")
    assert o.verdict is Verdict.VIOLATED
    assert o.failed_at == 1 and states(o) == ["Created", "Running", "Stopped"]


def test_bounded_always_and_eventually():
    assert run(LIFECYCLE, "always within 1 state ≠ Stopped").verdict is Verdict.PROVED
    o = run(LIFECYCLE, "always within 2 state ≠ Stopped")
    assert o.verdict is Verdict.VIOLATED and states(o)[:3] == ["Created", "Running", "Stopped"]
    o = run(LIFECYCLE, "eventually within 1 state = Running")
    assert o.verdict is Verdict.VIOLATED and states(o)[:2] == ["Created", "Deleted"]
    assert run(LIFECYCLE, "eventually within 1 state ∈ {Running, Deleted}").verdict \
        is Verdict.PROVED
    o = run(LIFECYCLE, "eventually within 2 state = Paused", "sat")
    assert o.verdict is Verdict.SATISFIED and states(o)[:3] == ["Created", "Running", "Paused"]


# ------------------------------------------------------------------------------ liveness, fairness
def test_leadsto_violated_by_pause_resume_lasso():
    o = run(LIFECYCLE, "state = Running ~> state = Stopped")
    assert o.verdict is Verdict.VIOLATED
    # the shortest lasso: start, then pause/resume forever (the loop starts at Running)
    assert states(o) == ["Created", "Running", "Paused"] and o.loop == 1
    assert events(o) == ["start", "pause"]


def test_weak_fairness_changes_the_verdict():
    text = LIFE + """
machine Spin {
  δ: States × Events → States
  initial Created
  final Stopped
  FAIR
  δ(Created, start) = Running
  δ(Running, pause) = Running
  δ(Running, stop) = Stopped
}"""
    o = run(text, "eventually state = Stopped")
    assert o.verdict is Verdict.VIOLATED
    assert states(o) == ["Created", "Running"] and o.loop == 1 and events(o) == ["start"]
    # weakly fair stop: stop is enabled all along the pause loop, so it must be taken
    assert run(text, "eventually state = Stopped", fair="fair stop").verdict is Verdict.PROVED
    assert run(text, "state = Running ~> state = Stopped", fair="fair stop").verdict \
        is Verdict.PROVED
    # a fair run exists that pauses a while: `sat` still finds the Stopped run
    o = run(text, "always state ≠ Stopped", "sat", fair="fair stop")
    assert o.verdict is Verdict.VIOLATED and "no run satisfies" in o.reason


def test_weak_fairness_is_not_strong_fairness():
    # stop is enabled in Running but not in Paused: a pause/resume loop is weakly fair
    o = run(LIFECYCLE, "state = Running ~> state = Stopped", fair="fair stop")
    assert o.verdict is Verdict.VIOLATED
    assert sorted(states(o)[o.loop:]) == ["Paused", "Running"]
    # with both exits of the loop fair: still weakly fair (neither is continuously enabled)
    o = run(LIFECYCLE, "state = Running ~> state = Stopped", fair="fair stop, kill")
    assert o.verdict is Verdict.VIOLATED


def test_deadlock_stutters_forever():
    text = LIFE + """
machine Stuck {
  δ: States × Events → States
  initial Created
  final Deleted
  δ(Created, start) = Running
  δ(Created, remove) = Deleted
}"""
    o = run(text, "eventually state = Deleted")
    assert o.verdict is Verdict.VIOLATED
    assert states(o) == ["Created", "Running"] and o.loop == 1
    assert run(text, "eventually always state ∈ {Running, Deleted}").verdict is Verdict.PROVED
    o = run(text, "deadlock_free")
    assert o.verdict is Verdict.VIOLATED and events(o) == ["start"] and o.loop == 1


def test_until_next_and_sat_witnesses():
    o = run(LIFE + BASIC, "state = Created until state = Running")
    assert o.verdict is Verdict.VIOLATED and states(o) == ["Created", "Deleted"]
    o = run(LIFE + BASIC, "state = Created until state = Running", "sat")
    assert o.verdict is Verdict.SATISFIED and states(o)[:2] == ["Created", "Running"]
    assert o.loop is not None and o.loop < len(o.states)
    o = run(LIFE + BASIC, "eventually (state = Paused ∧ next state = Running)", "sat")
    assert o.verdict is Verdict.SATISFIED
    i = states(o).index("Paused")
    assert (states(o) + states(o)[o.loop:])[i + 1] == "Running"
    assert run(LIFE + BASIC, "always eventually state = Deleted", "sat").verdict \
        is Verdict.SATISFIED
    # Created has transitions, so no run stays there
    assert run(LIFE + BASIC, "always state = Created", "sat").verdict is Verdict.VIOLATED
    assert run(LIFE + BASIC, "eventually always state = Deleted ∨ always eventually "
                             "state = Running").verdict is Verdict.PROVED


def test_lasso_is_a_real_run():
    o = run(LIFECYCLE, "always eventually state = Deleted")
    assert o.verdict is Verdict.VIOLATED
    _, ts = machine(LIFECYCLE)
    g = explore(ts)
    ids = [g.index[(s["state"], s["restarts"])] for s in o.states]
    for a, b in zip(ids, ids[1:] + [ids[o.loop]]):
        assert b in g.succ(a)
    assert all(s["state"] != "Deleted" for s in o.states[o.loop:])


def test_buchi_automaton_of_until():
    spec = formalc.loads(LIFE + BASIC + "check p: Basic ⊨ state = Created until state = "
                                        "Running\n", "x.iot")
    a = automaton(spec.checks[0].formula.prop, negate=False)
    assert a.init and len(a.accept) == 1 and a.n >= 2


# ------------------------------------------------------------------------------ structural
def test_structural_properties_hold_on_basic():
    for p in ("deterministic", "reachable", "no_trap", "deadlock_free", "final_absorbing"):
        assert run(LIFE + BASIC, p).verdict is Verdict.PROVED, p
    o = run(LIFE + BASIC, "reachable")
    assert o.paths == {"Created": [], "Running": ["start"], "Paused": ["start", "pause"],
                       "Stopped": ["start", "stop"], "Deleted": ["remove"]}


def test_deterministic_broken():
    text = LIFE + """
machine M {
  δ: States × Events → States
  initial Created
  var n: Int = 0
  δ(Created, start) = Running
  δ(Created, stop) = Stopped
  δ(Running, stop) = Stopped when n ≥ 0
  δ(Running, stop) = Created when n < 1
}"""
    o = run(text, "deterministic")
    assert o.verdict is Verdict.VIOLATED and events(o)[0] == "start"
    assert "two transitions of `stop` from Running" in o.reason


def test_total_and_broken():
    text = """
Two = {A, B}
Ev = {go, back}
machine T {
  δ: Two × Ev → Two
  initial A
  δ(A, go) = B
  δ(A, back) = A
  δ(B, go) = A
  δ(B, back) = A
}"""
    assert run(text, "total").verdict is Verdict.PROVED
    o = run(text.replace("δ(B, back) = A\n", ""), "total")
    assert o.verdict is Verdict.VIOLATED and events(o) == ["go"]
    assert "`back`" in o.reason and o.failed_at == 1


def test_reachable_broken_and_paths():
    text = LIFE + BASIC.replace("δ(Running, pause) = Paused\n", "")
    o = run(text, "reachable")
    assert o.verdict is Verdict.VIOLATED and "Paused" in o.reason
    assert o.paths["Deleted"] == ["remove"] and "Paused" not in o.paths


def test_no_trap_broken():
    text = LIFE + BASIC.replace("δ(Stopped, remove) = Deleted", "δ(Stopped, start) = Stopped")
    o = run(text, "no_trap")
    # from Running every path ends in Stopped or the pause loop: Running is already a trap
    assert o.verdict is Verdict.VIOLATED and events(o) == ["start"]
    assert run(LIFECYCLE, "no_trap").verdict is Verdict.PROVED


def test_deadlock_free_final_states_may_stop():
    assert run(LIFECYCLE, "deadlock_free").verdict is Verdict.PROVED  # Deleted is final


def test_final_absorbing_broken():
    text = LIFE + BASIC.replace("δ(Stopped, remove) = Deleted",
                                "δ(Stopped, remove) = Deleted\n  δ(Deleted, start) = Created")
    o = run(text, "final_absorbing")
    assert o.verdict is Verdict.VIOLATED and events(o) == ["remove", "start"]
    assert o.failed_at == 1 and "leaves a final state" in o.reason


def test_coverage_warnings():
    _, ts = machine(LIFECYCLE.replace("when restarts < 3", "when restarts < 0"))
    w = coverage_explicit(ts, explore(ts))
    assert w == [("δ(Stopped, start) (line 21) can never fire: its guard is false in every "
                  "reachable state")]
    _, ts = machine(LIFECYCLE)
    assert coverage_explicit(ts, explore(ts)) == []


# ------------------------------------------------------------------------------ compositions
def composition(n, extra=""):
    return LIFE + BASIC + f"machine Node {{\n  c[1..{n}]: Basic\n{extra}}}\n"


def test_composition_counts_binomial_states():
    for n in (1, 3, 12):
        _, ts = machine(composition(n), "Node")
        g = explore(ts)
        assert len(g) == comb(n + 4, 4), n  # multisets of n instances over 5 states
    _, ts = machine(LIFE + BASIC + "machine Node {\n  param N ∈ 1..3\n  c[1..N]: Basic\n}\n",
                    "Node")
    g = explore(ts)
    assert len(g.initial) == 3 and len(g) == sum(comb(n + 4, 4) for n in (1, 2, 3))


def test_composition_guard_and_counterexample():
    text = composition(4, "  c.start, c.resume when count(c, Running) < 2\n")
    assert run(text, "always count(c, Running) ≤ 2", name="Node").verdict is Verdict.PROVED
    o = run(text, "always count(c, Running) + count(c, Paused) ≤ 2", name="Node")
    assert o.verdict is Verdict.VIOLATED
    assert len(o.taken) == 5 and o.taken[-1].label == "c.start"  # 4 steps: shortest
    assert o.states[-1]["c#Running"] + o.states[-1]["c#Paused"] == 3
    o = run(composition(3), "always count(c, Deleted) < 3", name="Node")
    assert [t.label for t in o.taken[1:]] == ["c.remove"] * 3


def test_composition_structural_and_reachable_paths():
    text = composition(2)
    o = run(text, "reachable", name="Node")
    assert o.verdict is Verdict.PROVED
    assert o.paths["c.Paused"] == ["c.start", "c.pause"] and o.paths["c.Created"] == []
    assert run(text, "deterministic", name="Node").verdict is Verdict.PROVED
    assert run(text, "no_trap", name="Node").verdict is Verdict.PROVED
    o = run(text, "total", name="Node")
    assert o.verdict is Verdict.VIOLATED and "instance of c in Created" in o.reason
    _, ts = machine(composition(2, "  c.pause when count(c, Running) > 5\n"), "Node")
    assert coverage_explicit(ts, explore(ts)) == [
        ("`c.pause` from Running (line 13) can never fire: its guard is false in every "
         "reachable state"),
        ("`c.resume` from Paused (line 14) can never fire: its guard is false in every "
         "reachable state")]


def test_composition_liveness_with_fairness():
    text = composition(2, "  fair c.stop\n")
    prop = "count(c, Running) ≥ 1 ~> count(c, Stopped) ≥ 1"
    o = run(composition(2), prop, name="Node")
    assert o.verdict is Verdict.VIOLATED and o.loop is not None
    # weakly fair c.stop: a loop that keeps some instance Running would have to stop it, so
    # the remaining counterexamples pause every running instance now and then (c.stop is
    # disabled there)
    o2 = run(text, prop, name="Node")
    assert o2.verdict is Verdict.VIOLATED
    assert any(s["c#Running"] == 0 for s in o2.states[o2.loop:])
    assert all(s["c#Stopped"] == 0 for s in o2.states)


def test_reuse_graph_across_checks():
    spec = formalc.loads(LIFECYCLE.replace("FAIR", "") +
                         "check a: Lifecycle ⊨ always restarts ≤ 3\n"
                         "check b: Lifecycle ⊨ eventually state = Deleted\n", "x.iot")
    ts = lower(spec, spec.machines["Lifecycle"])
    g = explore(ts)
    a, b = (check_explicit(ts, c.formula.prop, c.kind, 10_000, graph=g) for c in spec.checks)
    assert a.verdict is Verdict.PROVED and b.verdict is Verdict.VIOLATED
    assert a.method == b.method == "explicit (17 states, 29 transitions)"


# ------------------------------------------------------------------------------ the evaluator
EVAL = """
Color = {Red, Green, Blue}
Item = (name: Color, size: Int, mem: Bytes)
i1 := Item(name: Red, size: 3, mem: 2MiB)
i2 := Item(name: Blue, size: 5, mem: 1KB)
i3 := Item(name: Red, size: 3, mem: 2MiB)
Items := {i1, i2, i3}
warm: Color → Bool
warm(Red) = true
warm(Green) = false
partial: Color → Int
partial(Red) = 1
Big(x: Item) := x.size > 3
k: Int
"""


def ev(text, env=None):
    spec = formalc.loads(EVAL + f"check c: {text}\n", "e.iot")
    return evaluate(spec.checks[0].formula, env or {}, spec)


def test_evaluator_values():
    assert ev("|Items| = 2")  # tuples are values: i1 and i3 are one element
    assert ev("(Σ i ∈ Items • i.size) = 8")
    assert ev("(Σ i ∈ Items • i.mem) = 2MiB + 1KB")
    assert ev("{c ∈ {Red, Green} | warm(c)} = {Red}")
    assert ev("∀ i ∈ Items • Big(i) ⇒ i.name = Blue")
    assert ev("∃ c: Color • ¬warm(c)")
    assert ev("7 / 2 = 3.5") and ev("7 / 2 > 3")
    assert ev("{Red, Blue} ∪ {Green} = Color") and ev("{Red} ⊆ {Red, Blue} \\ {Blue}")
    assert ev("(if warm(Red) then 1 else 2) - 3 = -2")
    assert ev("(∃ i ∈ Items, j ∈ Items, i ≠ j • i.size < j.size)")
    assert ev("{i.size | i ∈ Items, i.name = Red} = {3}")
    spec = formalc.loads(EVAL, "e.iot")
    item = evaluate(spec.definitions["i1"].body, {}, spec)
    assert isinstance(item, Record) and item == {"name": "Red", "size": 3,
                                                 "mem": Fraction(2 * 1024 ** 2)}
    assert ev("¬total(warm)") and ev("warm(Red) ⇔ true ⇔ true")


def test_evaluator_not_applicable():
    with pytest.raises(NotApplicable, match="uninterpreted"):
        ev("k > 0")
    with pytest.raises(NotApplicable, match="no row"):
        ev("partial(Blue) = 1")
    with pytest.raises(NotApplicable, match="infinite"):
        ev("∀ n: Int • n = n")
    assert ev("partial(Red) = 1")


# ------------------------------------------------------------------------------ random cross-check
def _lasso_value(e, seq, loop, spec, i):
    """The value of property ``e`` at position i of the lasso seq[0..n-1] (then seq[loop:]
    forever), read directly from the temporal operators' meaning."""
    n = len(seq)
    nxt = lambda j: j + 1 if j + 1 < n else loop
    later = lambda j: list(range(j, n)) if j < loop else list(range(loop, n))
    val = lambda x, j: _lasso_value(x, seq, loop, spec, j)
    if isinstance(e, m.Temporal):
        op, xs, k = e.op, e.operands, e.bound
        if op == "next":
            return val(xs[0], nxt(i))
        if k is not None:
            js, j = [], i
            for _ in range(k + 1):
                js.append(j)
                j = nxt(j)
        else:
            js = later(i)
        if op == "always":
            return all(val(xs[0], j) for j in js)
        if op == "eventually":
            return any(val(xs[0], j) for j in js)
        if op == "until":
            j = i
            for _ in range(n + 1):
                if val(xs[1], j):
                    return True
                if not val(xs[0], j):
                    return False
                j = nxt(j)
            return False
        if op == "~>":
            return all((not val(xs[0], j)) or any(val(xs[1], h) for h in later(j))
                       for j in later(i))
    if isinstance(e, m.Not):
        return not val(e.operand, i)
    if isinstance(e, m.BoolOp):
        vs = [val(x, i) for x in e.operands]
        return all(vs) if e.op == "∧" else any(vs)
    if isinstance(e, m.Implies):
        return (not val(e.left, i)) or val(e.right, i)
    return evaluate(e, {"state": seq[i]}, spec)


def _random_case(rng):
    S, E = ["A", "B", "C"], ["x", "y", "z"]
    rows = [f"  δ({s}, {ev}) = {rng.choice(S)}" for s in S for ev in E if rng.random() < 0.35]
    rows = rows or [f"  δ(A, x) = {rng.choice(S)}"]
    fair = [ev for ev in E if rng.random() < 0.3]

    def f(d):
        r = rng.random()
        if d == 0 or r < 0.25:
            return f"state = {rng.choice(S)}"
        if r < 0.35:
            return f"¬({f(d - 1)})"
        if r < 0.5:
            return f"({f(d - 1)} {rng.choice(['∧', '∨', '⇒'])} {f(d - 1)})"
        if r < 0.85:
            op = rng.choice(["always", "eventually", "next", "always within 2",
                             "eventually within 1"])
            return f"({op} {f(d - 1)})"
        return f"({f(d - 1)} {rng.choice(['until', '~>'])} {f(d - 1)})"
    text = ("S = {A, B, C}\nE = {x, y, z}\nmachine R {\n  δ: S × E → S\n  initial A\n" +
            (f"  fair {', '.join(fair)}\n" if fair else "") + "\n".join(rows) + "\n}\n")
    return text, f(3), fair


def _lassos(ts, max_len):
    """Every lasso of at most max_len states: (states, labels taken, loop)."""
    trs = ts.transitions

    def moves(s):
        out = [(t.label, t.dst) for t in trs if t.src == s]
        return out or [(None, s)]
    todo = [(["A"], [None])]
    while todo:
        seq, labels = todo.pop()
        last = seq[-1]
        for lab, dst in moves(last):
            for loop in range(len(seq)):  # close the loop with this move
                if seq[loop] == dst:
                    yield seq, labels, loop, lab
            if len(seq) < max_len:
                todo.append((seq + [dst], labels + [lab]))


def _fair_lasso(ts, seq, labels, loop, closing, fair):
    enabled = lambda s: {t.label for t in ts.transitions if t.src == s}
    taken = set(labels[loop + 1:]) | {closing}
    return all(f in taken or any(f not in enabled(s) for s in seq[loop:]) for f in fair)


@pytest.mark.parametrize("seed", range(60))
def test_ltl_agrees_with_lasso_semantics(seed):
    import random
    rng = random.Random(seed)
    for _ in range(5):
        text, prop, fair = _random_case(rng)
        spec = formalc.loads(text + f"check p: R ⊨ {prop}\n", "r.iot")
        ts = lower(spec, spec.machines["R"])
        e = spec.checks[0].formula.prop
        o = check_explicit(ts, e, "valid", 10_000)
        if o.verdict is Verdict.VIOLATED:
            seq = [s["state"] for s in o.states]
            loop = o.loop if o.loop is not None else len(seq) - 1
            assert not _lasso_value(e, seq, loop, spec, 0), (text, prop, o)
        else:
            assert o.verdict is Verdict.PROVED
            for seq, labels, loop, closing in _lassos(ts, 5):
                if _fair_lasso(ts, seq, labels, loop, closing, fair):
                    assert _lasso_value(e, seq, loop, spec, 0), (text, prop, seq, loop)
        s = check_explicit(ts, e, "sat", 10_000)
        if s.verdict is Verdict.SATISFIED:
            seq = [x["state"] for x in s.states]
            loop = s.loop if s.loop is not None else len(seq) - 1
            assert _lasso_value(e, seq, loop, spec, 0), (text, prop, s)
        else:
            for seq, labels, loop, closing in _lassos(ts, 5):
                if _fair_lasso(ts, seq, labels, loop, closing, fair):
                    assert not _lasso_value(e, seq, loop, spec, 0), (text, prop, seq, loop)
