"""The industrial example of issue 5 (examples/plant_floor): its properties, its placement,
its failover report and the infeasible variant's explanation."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import formalc
from formalc.schedule.evaluate import evaluate

ROOT = Path(__file__).resolve().parent.parent
PLANT = ROOT / "examples" / "plant_floor" / "plant.iot"
SIGNER = ROOT / "examples" / "plant_floor" / "plant_signer_ha.iot"


@pytest.fixture(scope="module")
def problem():
    return formalc.schedule_problem(formalc.load(PLANT), "Plant")


def test_size_matches_the_readme(problem):
    assert (problem.n_services, problem.placements_count(), problem.n_nodes) == (40, 52, 13)
    assert [d.name for d in problem.dims] == ["cpu", "memory", "storage", "network"]


def test_properties_hold():
    report = formalc.check(formalc.load(PLANT), timeout=30)
    assert {r.check: r.verdict.value for r in report.results} == {
        "plant_is_feasible": "proved", "plant_survives_one_node_failure": "proved",
        "vision_a_scales_to_two": "proved"}


def test_solve_gives_a_valid_placement_with_an_honest_bound(problem):
    sol = formalc.solve(problem, time_limit=8)
    assert sol.status in ("optimal", "feasible")
    ev = evaluate(problem, sol.placement)
    assert ev.valid and ev.levels == sol.levels
    bound = sol.bounds[0]
    assert bound is not None and 0 < bound <= sol.levels[0]
    if sol.status == "optimal":
        assert bound == sol.levels[0]
    placed = problem.named(sol.placement)
    # hard constraints a reader can see in the spec
    assert placed["model-training"] in (["cloud-eu1"], ["mdc-1"])       # the GPU nodes it may use
    assert set(placed["historian"]).isdisjoint(placed["mqtt-broker"])   # apart
    assert placed["digital-twin"][0] in placed["historian"]             # near


def test_infeasible_variant_is_explained_with_spec_lines():
    sol = formalc.solve(formalc.load(SIGNER), "PlantSignerHA", time_limit=20)
    assert sol.status == "infeasible" and sol.placement is None
    first = sol.explanation.reasons[0]
    assert first.message.startswith("service firmware-signer needs 3 replicas on distinct nodes")
    assert first.message.endswith("only mdc-1 and mdc-2 qualify")
    assert {(l.file.split("/")[-1], l.line) for l in first.locs} >= {("plant_signer_ha.iot", 20)}
    fixes = [(x.kind, x.subject, x.amount) for x in sol.explanation.relaxations]
    assert ("lower-replicas", "firmware-signer", "3 → 2") in fixes


def test_cli_exit_codes_and_json():
    out = subprocess.run([sys.executable, "-m", "formalc", "solve", str(SIGNER), "--format",
                          "json", "--time-limit", "20"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)["schedules"][0]
    assert doc["status"] == "infeasible"
    assert doc["explanation"]["relaxations"][0]["message"] == \
        "run firmware-signer with 2 replicas instead of 3"
