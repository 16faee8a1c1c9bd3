"""The symbolic machine engine (formalc.encode.machine): real solver outcomes, no mocks."""
from __future__ import annotations

import math
import time
from fractions import Fraction

import pytest

import formalc
from formalc.checks.results import Verdict
from formalc.encode.machine import check_symbolic, coverage_symbolic
from formalc.machines.outcome import NotApplicable
from formalc.machines.ts import lower
from formalc.model import nodes as m

from machine_specs import BASIC as BASIC_MACHINE, STATES  # tests/ is on sys.path

LIFECYCLE = STATES + """
machine Lifecycle {
  δ: States × Events → States
  initial Created
  final Deleted
  internal exit
  var restarts: Int = 0
  δ(Created, start) = Running
  δ(Created, remove) = Deleted
  δ(Running, pause) = Paused
  δ(Running, stop) = Stopped
  δ(Running, exit) = Stopped
  δ(Paused, resume) = Running
  δ(Paused, kill) = Stopped
  δ(Stopped, start) = Running when restarts < 3 do restarts := restarts + 1
  δ(Stopped, remove) = Deleted
}
"""

BASIC = STATES + "\n" + BASIC_MACHINE


def node(n: int, extra: str = "") -> str:
    return BASIC + f"""
K := {math.ceil(n / 2)}
machine Node {{
  c[1..{n}]: Basic
  c.start, c.resume when count(c, Running) < K
}}
""" + extra


def run(text: str, kind: str = "valid", timeout_ms: int = 10000, machine: str | None = None,
        **kw):
    """Check the last check of ``text`` (or every check: a list) with the symbolic engine."""
    spec = formalc.loads(text, "x.iot")
    out = []
    for c in spec.checks:
        ts = lower(spec, spec.machines[c.formula.machine])
        out.append(check_symbolic(ts, c.formula.prop, c.kind if kind is None else kind,
                                  timeout_ms, **kw))
    return out[-1]


def structural(text: str, machine: str, name: str, timeout_ms: int = 10000):
    spec = formalc.loads(text, "x.iot")
    ts = lower(spec, spec.machines[machine])
    return check_symbolic(ts, m.Structural(name), "valid", timeout_ms)


def events(o):
    return [t.label if t is not None else None for t in o.taken[1:]]


# ------------------------------------------------------------------------------ safety
def test_invariant_proved_by_1_induction():
    o = run(LIFECYCLE + "check b: Lifecycle ⊨ always restarts ≤ 3")
    assert o.verdict is Verdict.PROVED
    assert o.method == "k-induction (k=1)"


def test_invariant_needing_k_2():
    text = """S = {A, B}
E = {t}
machine Osc {
  δ: S × E → S
  initial A
  var x: Int = 0
  δ(A, t) = B do x := x + 1
  δ(B, t) = A do x := x - 1
}
check k2: Osc ⊨ always x ≤ 1
"""
    o = run(text)
    assert o.verdict is Verdict.PROVED
    assert o.method == "k-induction (k=2)"


def test_shortest_counterexample_and_its_events():
    o = run(LIFECYCLE + "check r: Lifecycle ⊨ always restarts < 1")
    assert o.verdict is Verdict.VIOLATED
    assert o.method == "BMC (depth 3)"
    assert len(o.states) == 4 and o.taken[0] is None
    assert events(o)[0] == "start" and events(o)[1] in ("stop", "exit") and events(o)[2] == "start"
    assert o.failed_at == 3 and o.states[3]["restarts"] == 1
    assert isinstance(o.formula, m.Cmp)
    assert list(o.states[0]) == ["state", "restarts"]


def test_failing_conjunct_is_named():
    o = run(LIFECYCLE + "check r: Lifecycle ⊨ always (restarts ≤ 3 ∧ state ≠ Paused)")
    assert o.verdict is Verdict.VIOLATED and o.method == "BMC (depth 2)"
    assert o.formula.op == "≠" and o.failed_at == 2 and o.states[2]["state"] == "Paused"


def test_next_inside_implication():
    ok = run(LIFECYCLE + "check d: Lifecycle ⊨ always (state = Deleted ⇒ next state = Deleted)")
    assert ok.verdict is Verdict.PROVED and ok.method.startswith("k-induction")
    bad = run(LIFECYCLE + "check d: Lifecycle ⊨ always (state = Running ⇒ next state = Stopped)")
    assert bad.verdict is Verdict.VIOLATED
    assert bad.method == "BMC (depth 2)" and bad.failed_at == 1
    assert bad.states[1]["state"] == "Running" and bad.states[2]["state"] == "Paused"


DEAD = """S = {A, B, Done}
E = {go, fin}
machine Dead {
  δ: S × E → S
  initial A
  final Done
  δ(A, go) = B
}
"""


def test_deadlock_stutters():
    o = run(DEAD + "check s: Dead ⊨ always (state = B ⇒ next state ≠ B)")
    assert o.verdict is Verdict.VIOLATED
    assert events(o) == ["go", None]  # the second step is the stutter of the deadlock
    assert o.states[1] == o.states[2] == {"state": "B"}
    ok = run(DEAD + "check s: Dead ⊨ always (state = B ⇒ next state = B)")
    assert ok.verdict is Verdict.PROVED


def test_plain_state_predicate_is_about_the_initial_states():
    assert run(LIFECYCLE + "check i: Lifecycle ⊨ state = Created").verdict is Verdict.PROVED
    o = run(LIFECYCLE + "check i: Lifecycle ⊨ state = Running")
    assert o.verdict is Verdict.VIOLATED and len(o.states) == 1


def test_tiny_timeout_is_unknown_never_a_pass():
    o = run(node(30, "check c: Node ⊨ always count(c, Deleted) < 30"), timeout_ms=1)
    assert o.verdict is Verdict.UNKNOWN
    assert "no counterexample" in o.reason or "did not finish" in o.reason


def test_depth_limit_is_unknown():
    o = run(node(30, "check c: Node ⊨ always count(c, Deleted) < 30"), max_depth=5)
    assert o.verdict is Verdict.UNKNOWN
    assert "up to depth 5" in o.reason and "k-induction did not close" in o.reason


# ------------------------------------------------------------------------------ compositions
def test_composition_capacity_proved_fast():
    t = time.perf_counter()
    o = run(node(12, "check c: Node ⊨ always count(c, Running) ≤ K"))
    assert o.verdict is Verdict.PROVED and o.method == "k-induction (k=1)"
    assert time.perf_counter() - t < 1.0
    o = run(node(200, "check c: Node ⊨ always count(c, Running) ≤ K"))
    assert o.verdict is Verdict.PROVED


def test_composition_shortest_counterexample():
    o = run(node(10, "check c: Node ⊨ always count(c, Deleted) < 10"))
    assert o.verdict is Verdict.VIOLATED and o.method == "BMC (depth 10)"
    assert events(o) == ["c.remove"] * 10
    assert o.states[-1]["c#Deleted"] == 10 and o.failed_at == 10


def test_composition_with_a_parameter():
    text = BASIC + """
machine P {
  param N ∈ 1..5
  c[1..N]: Basic
}
check c: P ⊨ always count(c, Deleted) < N
"""
    o = run(text)
    assert o.verdict is Verdict.VIOLATED and o.method == "BMC (depth 1)"
    assert o.states[0]["N"] == 1 and events(o) == ["c.remove"]


def test_composition_structural():
    text = node(8)
    assert structural(text, "Node", "deadlock_free").verdict is Verdict.PROVED
    assert structural(text, "Node", "deterministic").verdict is Verdict.PROVED
    assert structural(text, "Node", "final_absorbing").verdict is Verdict.PROVED
    r = structural(text, "Node", "reachable")
    assert r.verdict is Verdict.PROVED
    assert r.paths["c.Paused"] == ["c.start", "c.pause"] and r.paths["c.Created"] == []


# ------------------------------------------------------------------------------ bounded
def test_bounded_forms_are_exact():
    o = run(LIFECYCLE + "check e: Lifecycle ⊨ eventually within 1 state ≠ Created")
    assert o.verdict is Verdict.PROVED and o.method == "BMC (depth 1)"
    o = run(LIFECYCLE + "check e: Lifecycle ⊨ eventually within 2 state = Stopped")
    assert o.verdict is Verdict.VIOLATED and len(o.states) == 3
    o = run(LIFECYCLE + "check a: Lifecycle ⊨ always within 2 restarts = 0")
    assert o.verdict is Verdict.PROVED and o.method == "BMC (depth 2)"
    o = run(LIFECYCLE + "check a: Lifecycle ⊨ always within 5 restarts = 0")
    assert o.verdict is Verdict.VIOLATED and o.method == "BMC (depth 3)" and o.failed_at == 3


# ------------------------------------------------------------------------------ liveness
FAIR = """S = {{Idle, Busy, Done}}
E = {{go, work, exit}}
machine W {{
  δ: S × E → S
  initial Idle
  final Done
  {fair}
  δ(Idle, go) = Busy
  δ(Busy, work) = Busy
  δ(Busy, exit) = Done
}}
check live: W ⊨ state = Busy ~> state = Done
"""


def test_lasso_counterexample():
    o = run(LIFECYCLE + "check l: Lifecycle ⊨ state = Running ~> state = Stopped")
    assert o.verdict is Verdict.VIOLATED and o.loop is not None
    loop_states = {s["state"] for s in o.states[o.loop:]}
    assert loop_states == {"Running", "Paused"}
    assert o.states[o.failed_at]["state"] == "Running"


def test_fairness_changes_the_verdict():
    unfair = run(FAIR.format(fair=""))
    assert unfair.verdict is Verdict.VIOLATED
    assert unfair.loop is not None and events(unfair)[-1] in ("go", "work")
    assert {s["state"] for s in unfair.states[unfair.loop:]} == {"Busy"}
    fair = run(FAIR.format(fair="fair exit"), timeout_ms=1500, max_depth=12)
    assert fair.verdict is Verdict.UNKNOWN
    assert "no counterexample lasso up to depth" in fair.reason
    assert "--engine explicit" in fair.reason


def test_eventually_violated_by_deadlock():
    o = run(DEAD + "check e: Dead ⊨ eventually state = Done")
    assert o.verdict is Verdict.VIOLATED and o.loop is not None
    assert o.states[-1] == {"state": "B"}


def test_until():
    o = run(LIFECYCLE + "check u: Lifecycle ⊨ state = Created until state ≠ Created",
            timeout_ms=1000, max_depth=6)
    assert o.verdict is Verdict.UNKNOWN  # true, and a bounded search cannot prove it
    o = run(LIFECYCLE + "check u: Lifecycle ⊨ state = Created until state = Running")
    assert o.verdict is Verdict.VIOLATED and o.states[1]["state"] == "Deleted"


def test_sat_witness_and_refutation():
    o = run(LIFECYCLE + "check s: Lifecycle ⊨ eventually state = Deleted", kind="sat")
    assert o.verdict is Verdict.SATISFIED and o.loop is not None
    assert any(s["state"] == "Deleted" for s in o.states)
    o = run(LIFECYCLE + "check s: Lifecycle ⊨ always state = Created", kind="sat")
    assert o.verdict is Verdict.VIOLATED and "no run satisfies" in o.reason
    o = run(LIFECYCLE + "check s: Lifecycle ⊨ always state ≠ Stopped", kind="sat")
    assert o.verdict is Verdict.SATISFIED
    o = run(LIFECYCLE + "check s: Lifecycle ⊨ next state = Paused", kind="sat")
    assert o.verdict is Verdict.VIOLATED and "no run satisfies" in o.reason


# ------------------------------------------------------------------------------ structure
def test_deterministic():
    assert structural(LIFECYCLE, "Lifecycle", "deterministic").verdict is Verdict.PROVED
    text = """S = {A, B, C}
E = {go}
machine D {
  δ: S × E → S
  initial A
  var x: Int = 0
  δ(A, go) = B when x ≥ 0
  δ(A, go) = C when x ≤ 0
}
"""
    o = structural(text, "D", "deterministic")
    assert o.verdict is Verdict.VIOLATED and "lines 7 and 8" in o.formula


def test_total():
    text = """S = {A, B}
E = {t}
machine T {
  δ: S × E → S
  initial A
  δ(A, t) = B
  δ(B, t) = A
}
"""
    assert structural(text, "T", "total").verdict is Verdict.PROVED
    o = structural(LIFECYCLE, "Lifecycle", "total")
    assert o.verdict is Verdict.VIOLATED and "state Created" in o.formula


def test_deadlock_free():
    assert structural(LIFECYCLE, "Lifecycle", "deadlock_free").verdict is Verdict.PROVED
    o = structural(DEAD, "Dead", "deadlock_free")
    assert o.verdict is Verdict.VIOLATED and o.states[-1] == {"state": "B"}


def test_final_absorbing():
    assert structural(LIFECYCLE, "Lifecycle", "final_absorbing").verdict is Verdict.PROVED
    broken = LIFECYCLE.replace("δ(Stopped, remove) = Deleted",
                               "δ(Stopped, remove) = Deleted\n  δ(Deleted, start) = Running")
    o = structural(broken, "Lifecycle", "final_absorbing")
    assert o.verdict is Verdict.VIOLATED and o.states[-1]["state"] == "Deleted"
    comp = BASIC.replace("δ(Stopped, remove) = Deleted",
                         "δ(Stopped, remove) = Deleted\n  δ(Deleted, start) = Running") + """
machine Two {
  c[1..2]: Basic
}
"""
    o = structural(comp, "Two", "final_absorbing")
    assert o.verdict is Verdict.VIOLATED and o.states[-1]["c#Deleted"] == 2


def test_reachable():
    o = structural(LIFECYCLE, "Lifecycle", "reachable")
    assert o.verdict is Verdict.PROVED
    assert o.paths["Created"] == [] and o.paths["Deleted"] == ["remove"]
    assert o.paths["Paused"] == ["start", "pause"]
    text = """S = {A, B, Orphan}
E = {go}
machine R {
  δ: S × E → S
  initial A
  δ(A, go) = B
  δ(Orphan, go) = A
}
"""
    o = structural(text, "R", "reachable")
    assert o.verdict is Verdict.VIOLATED and "Orphan" in o.reason
    assert o.method.startswith("k-induction") and o.paths["B"] == ["go"]


def test_no_trap_is_not_applicable():
    with pytest.raises(NotApplicable):
        structural(LIFECYCLE, "Lifecycle", "no_trap")


def test_coverage():
    assert coverage_symbolic(lower(*_spec_machine(LIFECYCLE, "Lifecycle")), 5000) == []
    dead = LIFECYCLE.replace("when restarts < 3", "when restarts > 5")
    w = coverage_symbolic(lower(*_spec_machine(dead, "Lifecycle")), 5000)
    assert w == [("δ(Stopped, start) (line 17) can never fire: its guard is false in every "
                  "reachable state")]


def _spec_machine(text, name):
    spec = formalc.loads(text, "x.iot")
    return spec, spec.machines[name]


TAGS = """S = {A, B}
E = {add, tick}
Tag = {x, y, z}
limit: Int
assume lim: limit = 2
machine M {
  δ: S × E → S
  initial A
  var tags: set Tag = {}
  var load: Real = 0
  var n: Int = 0
  δ(A, add) = B do tags := tags ∪ {x}, load := load + 1/2
  δ(B, add) = A when n < limit do tags := tags ∪ {y}, n := n + 1
  δ(B, tick) = B when n < limit do n := n + 1
}
"""


def test_sets_reals_and_assumptions():
    o = run(TAGS + "check s: M ⊨ always load ≤ 1")
    assert o.verdict is Verdict.VIOLATED and o.states[-1]["load"] == Fraction(3, 2)
    assert o.states[1]["tags"] == ["x"] and o.states[2]["tags"] == ["x", "y"]
    # the assumption fixes the constant the guards read
    assert run(TAGS + "check s: M ⊨ always n ≤ 2").verdict is Verdict.PROVED
    assert run(TAGS + "check s: M ⊨ always z ∉ tags").verdict is Verdict.PROVED


def test_spacer_when_k_induction_does_not_close():
    text = TAGS.replace("limit: Int\nassume lim: limit = 2\n", "").replace("limit", "2")
    o = run(text + "check s: M ⊨ always |tags| ≤ 2")
    assert o.verdict is Verdict.PROVED and o.method == "Spacer (CHC)"
