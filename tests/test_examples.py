"""The examples are complete user scenarios: every check in them holds."""
from fractions import Fraction
from pathlib import Path

import pytest

import formalc

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.iot"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_checks_hold(path):
    report = formalc.check(formalc.load(path))
    assert report.results
    assert [(r.check, r.verdict.value) for r in report.results if not r.verdict.holds] == []


def test_smart_city_witness_is_the_node_with_room():
    spec = formalc.load(EXAMPLES[0].parent / "smart_city.iot")
    r = formalc.check(spec, select=["room_for_another_camera"]).results[0]
    used = {"gw-hd": 1, "gw-cy": Fraction(1, 4)}  # cores the cameras take on each node
    assert r.witness["n.cpu"] - used[r.witness["n.name"]] >= 1


def test_smart_city_overload_is_caught():
    path = EXAMPLES[0].parent / "smart_city.iot"
    text = path.read_text(encoding="utf-8").replace(
        'cpu: 250m, memory: 256MiB, node: gw_chaoyang', 'cpu: 2500m, memory: 256MiB, node: gw_chaoyang')
    r = formalc.check(formalc.loads(text), select=["capacity_respected"]).results[0]
    assert r.verdict is formalc.Verdict.VIOLATED
    assert any("Fits(n)" == b.formula for b in r.blame)
    assert r.counterexample["n.name"] == "gw-cy"
    assert "= 2500m; n.cpu = 2" in r.blame[-1].detail


# The deliberate breaks described in examples/README.md, with what the README says formalc shows.
BREAKS = [
    ("vehicles.iot", "runtime: Kata, vm: VmAdas", "runtime: Runc, vm: VmAdas",
     "adas_never_with_infotainment", {"a": "adas", "b": "ivi"},
     "DomainOf(a) = HostKernel; DomainOf(b) = HostKernel"),
    ("vehicles.iot", "runtime: Kata, vm: VmAdas", "runtime: Runc, vm: VmAdas",
     "isolation_levels_exact", {}, "IsolationLevel(adas) = 2/3"),
    ("medical_iot.iot", "capabilities: {CAP_NET_BIND_SERVICE}, userns: true",
     "capabilities: {CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN}, userns: true",
     "patient_data_locked_down", {"c": "fhir"}, "c.capabilities ∩ Dangerous = {CAP_SYS_ADMIN}"),
    ("industrial_iot.iot", "δ(Created, stop) = Created", "", "stop_only_from_running_or_paused",
     {"s": "Created"}, "s = Created"),
]


@pytest.mark.parametrize("file,find,replace,check,cex,detail", BREAKS,
                         ids=[f"{b[0]}::{b[3]}" for b in BREAKS])
def test_documented_breaks(file, find, replace, check, cex, detail):
    path = EXAMPLES[0].parent / file
    text = path.read_text(encoding="utf-8")
    assert find in text
    r = formalc.check(formalc.loads(text.replace(find, replace, 1)), select=[check]).results[0]
    assert r.verdict is formalc.Verdict.VIOLATED
    for k, v in cex.items():
        assert r.counterexample[k] == v
    assert r.blame[-1].detail == detail


def test_sensor_gateway_unguarded_wake_overloads_the_gateway():
    """The machine break in examples/README.md: the shortest run has 7 containers, 9 steps,
    and ends with the suspended container woken into a full gateway."""
    path = EXAMPLES[0].parent / "sensor_gateway.iot"
    text = path.read_text(encoding="utf-8")
    find = "s.boot, s.wake, s.restart when"
    assert find in text
    spec = formalc.loads(text.replace(find, "s.boot, s.restart when", 1))
    r = formalc.check(spec, select=["cpu_within_capacity"]).results[0]
    assert r.verdict is formalc.Verdict.VIOLATED
    steps = r.trace.steps
    assert len(steps) == 10 and r.trace.failed_at == 9
    assert steps[0].state["N"] == 7
    assert [s.event for s in steps[1:]].count("boot") == 7
    assert steps[-1].event == "wake" and steps[-1].changed == (steps[-1].instance,)
    assert r.trace.formula == "SamplingCpu × count(s, Sampling) ≤ GatewayCpu"
