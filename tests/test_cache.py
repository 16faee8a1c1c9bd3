"""The result cache: definite verdicts are reused until anything they depend on changes."""
import json
import subprocess
import sys

import pytest

import formalc
from formalc import Verdict


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("FORMALC_CACHE_DIR", str(d))
    return d


def write(tmp_path, lib_body="n := 3"):
    (tmp_path / "lib.iot").write_text(lib_body + "\n", encoding="utf-8")
    (tmp_path / "main.iot").write_text(
        'import "lib.iot"\ncheck small: n < 5\ncheck sat some: ∃ x: Int • x > n\n', encoding="utf-8")
    return str(tmp_path / "main.iot")


def test_second_run_is_served_from_the_cache(tmp_path, cache_dir):
    path = write(tmp_path)
    first = formalc.check_paths([path], cache=True, jobs=1)
    second = formalc.check_paths([path], cache=True, jobs=1)
    assert [r.cached for r in first.results] == [False, False]
    assert [r.cached for r in second.results] == [True, True]
    assert [(r.check, r.verdict, r.model, r.blame) for r in first.results] == \
           [(r.check, r.verdict, r.model, r.blame) for r in second.results]
    assert second.result("some").witness["x"] > 3


def test_changing_an_imported_file_invalidates(tmp_path, cache_dir):
    path = write(tmp_path)
    assert formalc.check_paths([path], cache=True, jobs=1).result("small").verdict is Verdict.PROVED
    write(tmp_path, "n := 7")
    r = formalc.check_paths([path], cache=True, jobs=1).result("small")
    assert r.verdict is Verdict.VIOLATED and not r.cached


def test_unknown_results_are_never_cached(tmp_path, cache_dir):
    p = tmp_path / "hard.iot"
    p.write_text("check hard: ∀ x: Int, y: Int, z: Int • x > 0 ∧ y > 0 ∧ z > 0 ⇒ "
                 "x × x × x + y × y × y ≠ z × z × z\n", encoding="utf-8")
    for _ in range(2):
        r = formalc.check_paths([str(p)], cache=True, timeout=0.3, jobs=1).result("hard")
        assert r.verdict is Verdict.UNKNOWN and not r.cached


def test_corrupt_entries_are_recomputed(tmp_path, cache_dir):
    path = write(tmp_path)
    formalc.check_paths([path], cache=True, jobs=1)
    for f in cache_dir.rglob("*.json"):
        f.write_text("{not json", encoding="utf-8")
    again = formalc.check_paths([path], cache=True, jobs=1)
    assert [r.cached for r in again.results] == [False, False]
    assert again.result("small").verdict is Verdict.PROVED


def test_cli_no_cache_and_json_flag(tmp_path, cache_dir):
    path = write(tmp_path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "formalc", "check", path, "--format",
                                     "json", *a], capture_output=True, text=True)
    run()
    warm = json.loads(run().stdout)
    assert [r["cached"] for r in warm["results"]] == [True, True]
    cold = json.loads(run("--no-cache").stdout)
    assert [r["cached"] for r in cold["results"]] == [False, False]
    assert "cached" in run().stderr  # the summary says how many results were reused


def test_select_is_applied_to_a_cached_file(tmp_path, cache_dir):
    path = write(tmp_path)
    formalc.check_paths([path], cache=True, jobs=1)
    r = formalc.check_paths([path], cache=True, jobs=1, select=["some"])
    assert [x.check for x in r.results] == ["some"] and r.results[0].cached


def test_warnings_survive_the_cache(tmp_path, cache_dir):
    p = tmp_path / "w.iot"
    p.write_text("Capability = {A}\nT = (c: Capabilty)\ncheck sat t: ∃ x: T • true\n", encoding="utf-8")
    first = formalc.check_paths([str(p)], cache=True, jobs=1)
    second = formalc.check_paths([str(p)], cache=True, jobs=1)
    assert [d.code for d in first.diagnostics] == ["FC201"]
    assert second.diagnostics == first.diagnostics and second.results[0].cached


@pytest.mark.parametrize("jobs", [1, 2])
def test_files_are_announced_in_order_as_they_finish(tmp_path, jobs):
    paths = []
    for k in range(4):
        p = tmp_path / f"f{k}.iot"
        p.write_text(f"S = {{a{k}, b{k}}}\ncheck c{k}: |S| = 2\n", encoding="utf-8")
        paths.append(str(p))
    seen = []
    report = formalc.check_paths(paths, jobs=jobs, on_file=lambda p, d, r: seen.append(
        (p.name, [x.check for x in r])))
    assert seen == [(f"f{k}.iot", [f"c{k}"]) for k in range(4)]
    assert [r.check for r in report.results] == [f"c{k}" for k in range(4)]
