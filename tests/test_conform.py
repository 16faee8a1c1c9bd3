"""The conformance engine on Python implementations: every kind of finding, in both
directions, with its shortest trace; beliefs over internal events, parameters and observed
variables; transcripts that replay; seeds; differential mode; the pytest helpers; the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import conform_fixtures as fx
import formalc
from formalc.cli import main
from formalc.conform import (ConformError, ObjectAdapter, SpecAdapter, SpecMachine, conform,
                             machine_class)
from formalc.conform.differential import differential
from formalc.conform.engine import tour_cases
from formalc.conform.report import transcript
from formalc.testing import ConformanceFailure, assert_conforms

ROOT = Path(__file__).resolve().parent.parent
LIFECYCLE = ROOT / "specs" / "lifecycle.iot"


@pytest.fixture(scope="module")
def lifecycle():
    return formalc.load(LIFECYCLE)


def adapter(cls, **kw):
    return ObjectAdapter(cls, fx.EVENTS, refused=(fx.InvalidTransition,), **kw)


def kinds(report):
    return [(f.kind, f.event, f.before, f.trace) for f in report.findings]


# ------------------------------------------------------------------------------ verdicts
def test_a_faithful_implementation_passes(lifecycle):
    r = conform(lifecycle, "Lifecycle", adapter(fx.Container), examples=40, seed=0)
    # exit and probe are command events of Lifecycle the adapter cannot perform: never a
    # full pass unless the caller chose the events
    assert r.ok and r.verdict == "partial" and r.findings == []
    assert r.events == fx.EVENTS
    assert r.not_exercised == ("exit", "probe")
    assert r.tour_cases == 30 and r.tour_complete and r.tour_reached == 30  # 5 states × 6
    assert r.examples >= 40 and r.steps > 40 * 10
    assert "verdict: partial" in r.to_text()
    full = conform(lifecycle, "Lifecycle", adapter(fx.Container), examples=20, seed=0,
                   events=fx.EVENTS)
    assert full.verdict == "passed" and "tested, not proved" in full.to_text()
    assert ("paused_only_from_running", "a temporal property of whole runs, not a state "
            "invariant") in full.unchecked


@pytest.mark.parametrize("cls,expected", [
    (fx.PausesCreated, [("accepted", "pause", "Created", ("pause",))]),
    (fx.RemovesRunning, [("accepted", "remove", "Running", ("start", "remove"))]),
    (fx.NoRestart, [("refused", "start", "Stopped", ("start", "stop", "start"))]),
    (fx.StopFreezes, [("state", "stop", "Running", ("start", "stop"))]),
    (fx.DirtyRefusal, [("unchanged", "resume", "Stopped", ("start", "stop", "resume"))]),
    (fx.Crashes, [("crash", "kill", "Paused", ("start", "pause", "kill"))]),
    (fx.StartsRunning, [("initial", None, "", ())]),
])
def test_each_bug_is_named_with_its_shortest_trace(lifecycle, cls, expected):
    r = conform(lifecycle, "Lifecycle", adapter(cls), examples=30, seed=1)
    assert r.verdict == "violated"
    assert kinds(r)[:1] == expected
    assert r.findings[0].found_by == "tour"


def test_finding_fields_and_text(lifecycle):
    r = conform(lifecycle, "Lifecycle", adapter(fx.NoRestart), examples=20, seed=1)
    f = r.findings[0]
    assert f.expected == "accepted → Running" and f.observed == "Stopped"
    assert f.detail == "InvalidTransition: cannot start a container that has stopped"
    assert f.summary() == ("refuses `start` in Stopped (InvalidTransition: cannot start a "
                           "container that has stopped); the spec accepts it (accepted → "
                           "Running)")
    steps = [s.line() for s in f.steps]
    assert steps[0] == "reset → Created (spec: Created)"
    assert steps[-1].startswith("start in Stopped: refused (InvalidTransition")
    text = r.to_text()
    assert "difference 1 (refused)" in text and "shortest trace (3 events): start → stop → start" \
        in text


def test_every_difference_is_named_not_just_the_first(lifecycle):
    class TwoBugs(fx.PausesCreated, fx.RemovesRunning):
        pass
    r = conform(lifecycle, "Lifecycle", adapter(TwoBugs), examples=30, seed=2)
    assert sorted(kinds(r)) == [("accepted", "pause", "Created", ("pause",)),
                                ("accepted", "remove", "Running", ("start", "remove"))]
    first = conform(lifecycle, "Lifecycle", adapter(TwoBugs), examples=30, seed=2,
                    all_differences=False)
    assert len(first.findings) == 1 and not first.complete


def test_hypothesis_finds_and_shrinks_without_the_tour(lifecycle):
    r = conform(lifecycle, "Lifecycle", adapter(fx.RemovesRunning), examples=200, seed=3,
                tour=False)
    assert kinds(r) == [("accepted", "remove", "Running", ("start", "remove"))]
    f = r.findings[0]
    assert f.found_by == "hypothesis" and f.seed == 3 and r.tour_cases == 0


def test_same_seed_same_report(lifecycle):
    a = conform(lifecycle, "Lifecycle", adapter(fx.RemovesRunning), examples=50, seed=7,
                tour=False)
    b = conform(lifecycle, "Lifecycle", adapter(fx.RemovesRunning), examples=50, seed=7,
                tour=False)
    assert kinds(a) == kinds(b) and a.examples == b.examples and a.steps == b.steps


# ------------------------------------------------------------------------------ beliefs
class Supervised:
    """SupervisedLifecycle with MaxRestarts = 2; the process exits on its own at the third
    observation while it runs (an internal event the engine never applies)."""
    limit = 2

    def __init__(self):
        self.state, self.restarts, self._seen = "Created", 0, 0

    def observe(self):
        if self.state == "Running":
            self._seen += 1
            if self._seen % 3 == 0:
                self.state = "Stopped"
        return self.state

    def _go(self, table, event):
        if (self.state, event) not in table:
            raise fx.InvalidTransition(f"cannot {event} when {self.state}")
        self.state = table[(self.state, event)]

    def start(self):
        if self.state == "Stopped":
            if self.restarts >= self.limit:
                raise fx.InvalidTransition("restart budget used up")
            self.restarts += 1
            self.state = "Running"
            return
        self._go(fx.DELTA, "start")

    def pause(self): self._go(fx.DELTA, "pause")
    def resume(self): self._go(fx.DELTA, "resume")
    def stop(self): self._go(fx.DELTA, "stop")
    def kill(self): self._go(fx.DELTA, "kill")
    def remove(self): self._go(fx.DELTA, "remove")


class Unbounded(Supervised):
    limit = 10


def supervised_adapter(cls, **kw):
    return ObjectAdapter(cls, fx.EVENTS, state=lambda o: o.observe(),
                         refused=(fx.InvalidTransition,), **kw)


def test_internal_events_and_unknown_parameters_are_tracked(lifecycle):
    # spontaneous exits happen between events, and MaxRestarts ∈ 0..3 is unobserved: the
    # belief keeps every value consistent so far
    r = conform(lifecycle, "SupervisedLifecycle", supervised_adapter(Supervised),
                examples=60, seed=4)
    assert r.ok, r.to_text()


def test_a_restart_beyond_every_allowed_budget_is_caught(lifecycle):
    r = conform(lifecycle, "SupervisedLifecycle", supervised_adapter(Unbounded),
                examples=30, seed=4, shrink_seconds=2, max_findings=1)
    f = r.findings[0]
    assert (f.kind, f.event, f.before) == ("accepted", "start", "Stopped")
    # MaxRestarts ≤ 3: the fourth restart is the first the spec refuses in every belief
    restarts = [s for s in f.steps if s.event == "start" and s.before == "Stopped"
                and s.outcome.accepted]
    assert len(restarts) == 4


COUNTER = """
Phase = {Idle, Busy}
Ev = {begin, end, tick}
machine Counter {
  δ: Phase × Ev → Phase
  initial Idle
  var n: Int = 0
  δ(Idle, begin) = Busy
  δ(Busy, tick) = Busy when n < 3 do n := n + 1
  δ(Busy, end) = Idle do n := 0
}
check small: Counter ⊨ always (n ≤ 2)
"""


class Counter:
    step = 1

    def __init__(self):
        self.phase, self.n = "Idle", 0

    def begin(self):
        if self.phase != "Idle":
            raise ValueError("busy")
        self.phase = "Busy"

    def tick(self):
        if self.phase != "Busy" or self.n >= 3:
            raise ValueError("no tick")
        self.n += self.step

    def end(self):
        if self.phase != "Busy":
            raise ValueError("idle")
        self.phase, self.n = "Idle", 0


class DoubleTick(Counter):
    step = 2


def test_observed_variables_are_matched_and_shown():
    spec = formalc.loads(COUNTER)
    ok = ObjectAdapter(Counter, ["begin", "end", "tick"], state="phase", variables=("n",))
    bad = ObjectAdapter(DoubleTick, ["begin", "end", "tick"], state="phase", variables=("n",))
    r = conform(spec, "Counter", bad, examples=20, seed=0)
    f = r.findings[0]
    assert (f.kind, f.trace) == ("state", ("begin", "tick"))
    assert f.observed == "Busy (n=2)" and "n=1" in f.expected
    # the invariant `small` (n ≤ 2) is false in the spec's own reachable state n = 3: the run
    # that follows the spec there is reported as an invariant finding
    r = conform(spec, "Counter", ok, examples=20, seed=0)
    inv = [f for f in r.findings if f.kind == "invariant"]
    assert inv and inv[0].trace == ("begin", "tick", "tick", "tick")
    assert "`small` is false" in inv[0].detail


# ------------------------------------------------------------------------------ transcripts
def test_transcript_replays_the_difference(lifecycle, tmp_path):
    r = conform(lifecycle, "Lifecycle", adapter(fx.RemovesRunning), examples=10, seed=0)
    script = transcript(r, r.findings[0])
    compile(script, "t.py", "exec")
    path = tmp_path / "replay.py"
    path.write_text(script)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines == ["reset -> Created", "start: accepted", "  now Running",
                     "remove: accepted", "  now Deleted"]
    assert "# <- the difference" in script.splitlines()[-3]


def test_transcript_of_an_unimportable_adapter_says_so(lifecycle):
    local = ObjectAdapter(lambda: fx.PausesCreated(), fx.EVENTS, refused=(fx.InvalidTransition,))
    r = conform(lifecycle, "Lifecycle", local, examples=5, seed=0)
    assert "adapter = ...  # build the adapter under test here" in transcript(r, r.findings[0])


# ------------------------------------------------------------------------------ Hypothesis API
def test_machine_class_is_a_rule_based_state_machine(lifecycle):
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test
    sm = SpecMachine(lifecycle, "Lifecycle")
    cls = machine_class(sm, adapter(fx.Container))
    rules = {r.function.__name__ for r in cls().rules}
    assert {"event_start", "event_remove"} <= rules
    run_state_machine_as_test(cls, settings=settings(max_examples=10, deadline=None))
    bad = machine_class(sm, adapter(fx.PausesCreated))
    with pytest.raises(AssertionError, match="accepts `pause` in Created"):
        run_state_machine_as_test(bad, settings=settings(max_examples=200, deadline=None,
                                                         database=None))


# ------------------------------------------------------------------------------ tour
def test_tour_visits_every_state_with_every_event(lifecycle):
    sm = SpecMachine(lifecycle, "Lifecycle")
    cases, complete = tour_cases(sm, fx.EVENTS)
    assert complete and len(cases) == 30
    assert ("start", "stop", "start") in cases and ("remove", "remove") in cases
    assert all(len(c) <= 4 for c in cases)


# ------------------------------------------------------------------------------ errors
def test_unknown_machine_composition_and_events(lifecycle):
    with pytest.raises(ConformError) as e:
        conform(lifecycle, "Lifecycel", adapter(fx.Container))
    assert e.value.code == "FC801" and "Lifecycle" in e.value.hint
    gateway = formalc.load(ROOT / "examples" / "sensor_gateway.iot")
    with pytest.raises(ConformError) as e:
        conform(gateway, "Gateway", adapter(fx.Container))
    assert e.value.code == "FC802" and "Sensor" in e.value.hint
    with pytest.raises(ConformError) as e:       # internal: the implementation's own to take
        conform(lifecycle, "SupervisedLifecycle", adapter(fx.Container), events=["exit"])
    assert e.value.code == "FC805"
    with pytest.raises(ConformError) as e:
        conform(lifecycle, "Lifecycle", ObjectAdapter(fx.Container, ["open"]))
    assert e.value.code == "FC806"


# ------------------------------------------------------------------------------ differential
def test_differential_names_each_divergence(lifecycle):
    r = differential(lifecycle, "Lifecycle", adapter(fx.Container, name="good"),
                     adapter(fx.StopFreezes, name="freezer"), examples=20, seed=0)
    assert r.verdict == "diverged"
    f = r.findings[0]
    assert (f.kind, f.trace) == ("state", ("start", "stop"))
    assert r.describe(f) == "`stop` in Running: good ends in Stopped, freezer in Paused"
    same = differential(lifecycle, "Lifecycle", adapter(fx.Container),
                        SpecAdapter(lifecycle, "Lifecycle"), examples=20, seed=0)
    assert same.ok and same.verdict == "agreed"


def test_spec_adapter_is_the_spec(lifecycle):
    r = conform(lifecycle, "Lifecycle", SpecAdapter(lifecycle, "Lifecycle"), examples=20,
                seed=0)
    assert r.ok


# ------------------------------------------------------------------------------ pytest helpers
def test_assert_conforms(lifecycle):
    assert assert_conforms(lifecycle, "Lifecycle", adapter(fx.Container), examples=10).ok
    with pytest.raises(ConformanceFailure) as e:
        assert_conforms(lifecycle, "Lifecycle", adapter(fx.PausesCreated), examples=10)
    assert e.value.report.findings[0].kind == "accepted"
    assert "accepts `pause` in Created" in str(e.value)


def test_marker_and_fixture(pytester):
    pytester.makepyfile(fixtures=(ROOT / "tests" / "conform_fixtures.py").read_text())
    pytester.makepyfile(test_mine=textwrap.dedent(f"""
        import pytest
        import fixtures as fx
        from formalc.conform import ObjectAdapter

        @pytest.mark.conformance({str(LIFECYCLE)!r}, "Lifecycle", examples=10)
        def test_good(formalc_conform):
            formalc_conform(ObjectAdapter(fx.Container, fx.EVENTS,
                                          refused=(fx.InvalidTransition,)))

        @pytest.mark.conformance({str(LIFECYCLE)!r}, "Lifecycle", examples=10)
        def test_bad(formalc_conform):
            formalc_conform(ObjectAdapter(fx.RemovesRunning, fx.EVENTS,
                                          refused=(fx.InvalidTransition,)))
        """))
    res = pytester.runpytest("-q", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1, failed=1)
    res.stdout.fnmatch_lines(["*accepts `remove` in Running*"])


# ------------------------------------------------------------------------------ CLI
def test_cli_exit_codes_and_json(capsys, tmp_path):
    good = f"{ROOT / 'tests' / 'conform_fixtures.py'}:Container"
    rc = main(["conform", str(LIFECYCLE), "--machine", "Lifecycle", "--adapter",
               str(tmp_path / "missing.py") + ":x"])
    assert rc == 2 and "no such file" in capsys.readouterr().err
    rc = main(["conform", str(LIFECYCLE), "--machine", "Lifecycle", "--adapter", good])
    err = capsys.readouterr().err
    assert rc == 2 and "lacks reset, apply, observe, close" in err
    ad = tmp_path / "ad.py"
    ad.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        import conform_fixtures as fx
        from formalc.conform import ObjectAdapter
        def good():
            return ObjectAdapter(fx.Container, fx.EVENTS, refused=(fx.InvalidTransition,))
        def bad():
            return ObjectAdapter(fx.NoRestart, fx.EVENTS, refused=(fx.InvalidTransition,))
        """))
    rc = main(["conform", str(LIFECYCLE), "--machine", "Lifecycle", "--adapter", f"{ad}:good",
               "--examples", "10", "--seed", "5"])
    out = capsys.readouterr()      # exit and probe never exercised: no full pass
    assert rc == 3 and "partial: 0 finding(s), seed 5" in out.err
    rc = main(["conform", str(LIFECYCLE), "--machine", "Lifecycle", "--adapter", f"{ad}:good",
               "--examples", "10", "--seed", "5", "--events", ",".join(fx.EVENTS)])
    out = capsys.readouterr()
    assert rc == 0 and "no difference" in out.out and "passed: 0 finding(s), seed 5" in out.err
    rc = main(["conform", str(LIFECYCLE), "--machine", "Lifecycle", "--adapter", f"{ad}:good",
               "--max-findings", "0"])
    assert rc == 2 and "at least 1" in capsys.readouterr().err
    rc = main(["conform", str(LIFECYCLE), "--machine", "Lifecycle", "--adapter", f"{ad}:bad",
               "--examples", "10", "--seed", "5", "--format", "json",
               "--transcripts", str(tmp_path / "t")])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1 and doc["verdict"] == "violated"
    f = doc["findings"][0]
    assert (f["kind"], f["trace"], f["found_by"]) == ("refused", ["start", "stop", "start"],
                                                      "tour")
    assert f["steps"][-1] == {"event": "start", "before": "Stopped",
                              "expected": "accepted → Running", "accepted": False,
                              "detail": "InvalidTransition: cannot start a container that has "
                                        "stopped", "observed": "Stopped"}
    assert (tmp_path / "t" / "finding-1.py").read_text() == f["transcript"]
    assert f"--adapter {ad}:bad --examples 10 --steps 20 --seed 5" in f["transcript"]
    rc = main(["conform", str(LIFECYCLE), "--machine", "Nope", "--adapter", f"{ad}:good"])
    assert rc == 2 and "error[FC801]" in capsys.readouterr().err
    rc = main(["conform", str(LIFECYCLE), "--adapter", f"{ad}:good"])
    assert rc == 2 and "--machine is required" in capsys.readouterr().err


# ------------------------------------------------------------------------------ no false passes
class Unfinished(fx.Container):
    def kill(self):
        raise NotImplementedError


class Forgetful(fx.Container):
    def apply_pause(self):
        pass


def test_unknown_instead_of_an_unearned_pass(lifecycle):
    for bad in ({"examples": 0}, {"steps": 0}, {"max_findings": 0}):
        with pytest.raises(ValueError, match="must be at least 1"):
            conform(lifecycle, "Lifecycle", adapter(fx.Container), **bad)
    # the only difference is known, and every run ends there: nothing was compared
    r = conform(lifecycle, "Lifecycle", adapter(fx.StartsRunning), examples=10, seed=0,
                known=[("initial", "", None, "Running")])
    assert r.verdict == "unknown" and not r.ok
    assert r.dead_runs == r.examples + r.tour_runs and "every run" in r.reason
    assert "verdict: unknown" in r.to_text()
    # a finding at reset is reported once, not once per run
    r = conform(lifecycle, "Lifecycle", adapter(fx.StartsRunning), examples=10, seed=0)
    assert [f.kind for f in r.findings] == ["initial"]


def test_adapter_faults_are_crash_findings(lifecycle):
    r = conform(lifecycle, "Lifecycle", adapter(Unfinished), examples=10, seed=0)
    f = r.findings[0]
    assert (f.kind, f.event, f.detail) == ("crash", "kill", "NotImplementedError: ")
    forgetful = ObjectAdapter(fx.Container, {"start": lambda o: o.start()},
                              refused=(fx.InvalidTransition,))
    forgetful.apply = lambda event: None             # forgets to return an Outcome
    r = conform(lifecycle, "Lifecycle", forgetful, examples=5, seed=0)
    assert r.findings[0].kind == "crash" and "not an Outcome" in r.findings[0].detail
    nodict = adapter(fx.Container)
    nodict.observe = lambda: {"phase": "Created"}
    r = conform(lifecycle, "Lifecycle", nodict, examples=5, seed=0)
    assert r.findings[0].kind == "crash" and 'without "state"' in r.findings[0].detail


def test_a_class_is_a_factory(lifecycle):
    class Made(ObjectAdapter):
        def __init__(self):
            super().__init__(fx.Container, fx.EVENTS, refused=(fx.InvalidTransition,))
    r = conform(lifecycle, "Lifecycle", Made, examples=5, seed=0, events=fx.EVENTS)
    assert r.verdict == "passed" and r.adapter == "Container"
