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
