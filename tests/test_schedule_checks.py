"""Schedule properties decided by `formalc check`: verdicts, counterexamples, explanations."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import formalc

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny_schedule.iot"


@pytest.fixture(scope="module")
def tiny():
    return formalc.check(formalc.load(TINY), timeout=20)


def test_verdicts(tiny):
    got = {r.check: r.verdict.value for r in tiny.results}
    assert got == {"is_feasible": "proved", "survives_one_failure": "violated",
                   "b_scales_to_three": "proved", "a_scales_to_three": "violated",
                   "good_plan": "proved", "bad_plan": "violated"}


def test_failover_counterexample_names_the_node_and_the_stranded_service(tiny):
    r = tiny.result("survives_one_failure")
    assert r.counterexample == {"failed": ["n2"], "stranded": ["a"]}
    assert r.method.startswith("schedule: replanning after each of the 3 failure sets")
    assert any("service a needs 2 replicas on distinct nodes with `trust`" in d and
               "only n3 qualifies" in d and "tiny_schedule.iot:18" in d for d in r.details)
    assert "  - run a with 1 replica instead of 2" in r.details


def test_scaling_explains_with_the_requirement_line(tiny):
    r = tiny.result("a_scales_to_three")
    assert r.reason == "a cannot run 3 replicas"
    assert any("only n2 and n3 qualify" in d for d in r.details)
    assert "  - run a with 2 replicas instead of 3" in r.details


def test_a_bad_plan_lists_every_violation(tiny):
    r = tiny.result("bad_plan")
    assert r.details == ("- a on n1 breaks requirement `trust`",
                         "- n1: cpu 5core placed > capacity 4core")


def test_cli_exit_code_and_json_details():
    out = subprocess.run([sys.executable, "-m", "formalc", "check", str(TINY), "--no-cache",
                          "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    bad = {r["check"]: r for r in doc["results"]}["bad_plan"]
    assert bad["verdict"] == "violated" and len(bad["details"]) == 2


def test_broken_seed_schedule_explains_the_memory_shortfall(tmp_path):
    # a deliberately broken variant of specs/scheduling.iot: video analytics doubled
    text = (ROOT / "specs" / "scheduling.iot").read_text()
    text = text.replace("SeedPlacement ⊨ scale(schedIngest, 2)", "SeedPlacement ⊨ scale(schedVideo, 2)")
    f = tmp_path / "scheduling.iot"
    f.write_text(text)
    for dep in ("edge", "container", "resources", "security", "image", "network", "virtualization",
                "isolation", "lifecycle"):
        src = ROOT / "specs" / f"{dep}.iot"
        if src.exists():
            (tmp_path / src.name).write_text(src.read_text())
    r = formalc.check(formalc.load(f), select=["ingest_can_scale_to_two"]).results[0]
    assert r.verdict.value == "violated"
    assert "  - add 1GiB memory (8GiB → 9GiB) to edge-1" in r.details
    assert any("service broker needs 1 replica" in d and "only edge-1 qualifies" in d
               for d in r.details)
