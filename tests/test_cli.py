"""CLI transcripts: `python -m formalc …` run as a subprocess, exactly as a user runs it.

Exit codes: 0 every check holds, 1 a check is violated, 2 the spec or the command is wrong,
3 a check is unknown. The report goes to stdout; the summary and diagnostics go to stderr.
The spec files are in tests/fixtures/cli/; every run uses that folder as its working directory,
so file names in the output are the bare file names.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cli"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _env(**extra: str) -> dict[str, str]:
    """The environment of a run: colour settings removed, the result cache off (every run
    solves; the cache has its own tests, with their own cache folder)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "FORMALC_CACHE_DIR", "FORMALC_NO_CACHE")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["FORMALC_NO_CACHE"] = "1"
    env.update(extra)
    return env


def formalc(*args: str, cwd: Path = FIXTURES, env: dict | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "formalc", *args], cwd=cwd, env=env or _env(),
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc


def check_lines(stdout: str) -> dict[str, str]:
    """The per-check lines of a text report: {check name: verdict}."""
    out = {}
    for m in re.finditer(r"^  [✔✘?] (proved|satisfied|violated|unknown)\s+(\S+)  "
                         r"\(\d+ ms(?:, cached)?\)$",
                         stdout, re.M):
        out[m.group(2)] = m.group(1)
    return out


def _strip_times(obj):
    if isinstance(obj, dict):
        return {k: ("<t>" if k == "time_ms" else _strip_times(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_times(x) for x in obj]
    return obj


# ------------------------------------------------------------------------------ exit codes
def test_all_hold_exit_0():
    p = formalc("check", "--no-color", "holds.iot")
    assert p.returncode == 0, p.stderr
    assert check_lines(p.stdout) == {"three_runtimes": "proved", "kata_is_isolated": "proved",
                                     "some_small_vm": "satisfied"}
    assert re.search(r"^  ✔ proved\s+three_runtimes  \(\d+ ms\)$", p.stdout, re.M)
    assert re.search(r"^  ✔ satisfied\s+some_small_vm", p.stdout, re.M)
    assert p.stdout.startswith("holds.iot\n")
    # the witness of the sat check is shown, with a value that makes VMIsolated true
    assert re.search(r"^\s+witness\s+value\s*$", p.stdout, re.M)
    assert re.search(r"^\s+c\.runtime\s+(Kata|Firecracker)\s*$", p.stdout, re.M)


def test_violated_exit_1_with_counterexample_and_why():
    p = formalc("check", "--no-color", "violated.iot")
    assert p.returncode == 1, p.stderr
    assert check_lines(p.stdout) == {"three_runtimes": "proved", "no_firecracker": "violated",
                                     "kata_is_light": "violated"}
    assert re.search(r"^  ✘ violated\s+no_firecracker  \(\d+ ms\)$", p.stdout, re.M)
    # the location and formula of the violated check
    assert "violated.iot:7  ∀ c: Container • c.runtime ≠ Firecracker" in p.stdout
    # the counterexample table
    assert re.search(r"^\s+counterexample\s+value\s*$", p.stdout, re.M)
    assert re.search(r"^\s+c\.runtime\s+Firecracker\s*$", p.stdout, re.M)
    assert re.search(r"^\s+c\.runtime\s+Kata\s*$", p.stdout, re.M)
    # "why:" walks down to the false conjunct of Light, at its definition
    assert re.search(r"^\s+why:$", p.stdout, re.M)
    assert re.search(r"^\s+c\.runtime ≠ Firecracker  is false  \[c\.runtime = Firecracker\]$",
                     p.stdout, re.M)
    why = p.stdout[p.stdout.index("kata_is_light"):]
    assert re.search(r"Light\(c\)  is false", why)
    assert re.search(r"c\.runtime = Runc ∧ c\.cpu ≤ 2  is false  \(violated\.iot:4\)", why)
    assert re.search(r"c\.runtime = Runc  is false  \[c\.runtime = Kata\]  \(violated\.iot:4\)",
                     why)
    assert not re.search(r"^\s+c\.cpu ≤ 2  is false", why, re.M)  # the true conjunct: not blamed


def test_summary_goes_to_stderr_not_stdout():
    p = formalc("check", "--no-color", "violated.iot")
    summary = "3 checks in 1 file: 1 proved, 0 satisfied, 2 violated, 0 unknown"
    assert summary in p.stderr
    assert "checks in" not in p.stdout
    assert "violated  no_firecracker" not in p.stderr


def test_unsatisfiable_sat_check_exit_1():
    p = formalc("check", "--no-color", "unsat.iot")
    assert p.returncode == 1, p.stderr
    assert check_lines(p.stdout) == {"big_limit": "violated"}
    assert "no value satisfies the formula" in p.stdout
    assert "small_limit" in p.stdout  # the assumption that makes it unsatisfiable
    assert "0 satisfied, 1 violated" in p.stderr


def test_unknown_exit_3_with_reason():
    p = formalc("check", "--no-color", "--timeout", "0.5", "unknown.iot")
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert check_lines(p.stdout) == {"fermat_cubes": "unknown"}
    assert re.search(r"^  \? unknown\s+fermat_cubes", p.stdout, re.M)
    reason = re.search(r"^\s+reason: (.*)$", p.stdout, re.M)
    assert reason, p.stdout
    assert re.search(r"timeout|time limit|gave up|incomplete", reason.group(1), re.I)
    assert "1 unknown" in p.stderr


def test_unknown_in_json():
    p = formalc("check", "--format", "json", "--timeout", "0.5", "unknown.iot")
    assert p.returncode == 3
    r = json.loads(p.stdout)["results"][0]
    assert r["verdict"] == "unknown"
    assert r["counterexample"] is None and r["witness"] is None
    assert re.search(r"timeout|gave up|incomplete", r["reason"], re.I)


def test_quantified_assumption_counterexample_and_witness():
    """Regression: a model whose assertions contain a bound variable (from a ∀ assumption or
    an ∃ in the formula) once ended as `unknown: internal error` instead of a verdict."""
    p = formalc("check", "--no-color", "quantified_assumption.iot")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert check_lines(p.stdout) == {"x_positive": "violated", "x_large": "satisfied"}
    assert "internal error" not in p.stdout
    m = re.search(r"^\s+x\s+(-?\d+)\s*$", p.stdout, re.M)
    assert m and int(m.group(1)) <= 0
    assert re.search(r"x > 0  is false", p.stdout)


def test_spec_error_exit_2(tmp_path):
    (tmp_path / "broken.iot").write_text("S = {a, b}\ncheck c: Foo = a\n", encoding="utf-8")
    p = formalc("check", "--no-color", "broken.iot", cwd=tmp_path)
    assert p.returncode == 2
    assert "error[FC201]: unknown name `Foo`" in p.stderr
    assert "--> broken.iot:2:10" in p.stderr
    assert p.stdout == ""
    assert "1 error" in p.stderr


def test_several_files_worst_exit_code():
    p = formalc("check", "--no-color", "holds.iot", "violated.iot")
    assert p.returncode == 1
    assert "6 checks in 2 files" in p.stderr
    assert "holds.iot\n" in p.stdout and "violated.iot\n" in p.stdout


# ------------------------------------------------------------------------------ JSON
def test_json_report_schema():
    p = formalc("check", "--format", "json", "violated.iot")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["schema_version"] == 1
    assert doc["files"] == ["violated.iot"]
    assert doc["summary"] == {"proved": 1, "satisfied": 0, "violated": 2, "unknown": 0,
                              "errors": 0, "exit_code": 1}
    assert doc["diagnostics"] == []
    results = {r["check"]: r for r in doc["results"]}
    assert [r["check"] for r in doc["results"]] == ["three_runtimes", "no_firecracker",
                                                     "kata_is_light"]
    assert results["three_runtimes"]["verdict"] == "proved"
    assert results["three_runtimes"]["counterexample"] is None
    r = results["no_firecracker"]
    assert r["verdict"] == "violated" and r["kind"] == "valid"
    assert r["file"] == "violated.iot" and r["line"] == 7
    assert isinstance(r["time_ms"], (int, float))
    ce = {b["name"]: b["value"] for b in r["counterexample"]}
    assert ce["c.runtime"] == "Firecracker"
    assert all(set(b) >= {"name", "value", "text"} for b in r["counterexample"])
    assert r["blame"][0]["formula"] == "c.runtime ≠ Firecracker"
    assert r["blame"][0]["value"] == "false"
    r = results["kata_is_light"]
    assert {b["name"]: b["value"] for b in r["counterexample"]}["c.runtime"] == "Kata"
    blamed = [(b["depth"], b["formula"], b["value"]) for b in r["blame"]]
    assert (3, "c.runtime = Runc", "false") in blamed
    assert all(set(b) >= {"depth", "formula", "value", "detail", "location"} for b in r["blame"])
    # the summary still goes to stderr; stdout is nothing but the JSON document
    assert "3 checks in 1 file" in p.stderr


def test_json_sat_results():
    p = formalc("check", "--format", "json", "holds.iot", "unsat.iot")
    doc = json.loads(p.stdout)
    assert doc["summary"]["satisfied"] == 1 and doc["summary"]["violated"] == 1
    assert doc["summary"]["exit_code"] == 1
    results = {r["check"]: r for r in doc["results"]}
    w = results["some_small_vm"]
    assert w["kind"] == "sat" and w["verdict"] == "satisfied"
    assert {b["name"] for b in w["witness"]} >= {"c.runtime", "c.memory"}
    u = results["big_limit"]
    assert u["kind"] == "sat" and u["verdict"] == "violated"
    assert u["assumptions"] == ["small_limit"]


def test_json_with_spec_errors(tmp_path):
    (tmp_path / "broken.iot").write_text("S = {a, b}\ncheck c: Foo = a\n", encoding="utf-8")
    p = formalc("check", "--format", "json", "broken.iot", cwd=tmp_path)
    assert p.returncode == 2
    doc = json.loads(p.stdout)
    assert doc["summary"]["errors"] == 1 and doc["summary"]["exit_code"] == 2
    (d,) = doc["diagnostics"]
    assert d["code"] == "FC201" and d["severity"] == "error"
    assert d["location"] == {"file": "broken.iot", "line": 2, "column": 10, "end_line": 2,
                             "end_column": 13}


def test_json_is_deterministic():
    """Two runs give byte-identical JSON apart from the time_ms fields."""
    args = ("check", "--format", "json", "holds.iot", "violated.iot", "unsat.iot")
    a, b = formalc(*args), formalc(*args)
    assert a.returncode == b.returncode == 1
    strip = re.compile(r'"time_ms": [0-9.eE+-]+')
    assert strip.sub('"time_ms": 0', a.stdout) == strip.sub('"time_ms": 0', b.stdout)
    assert _strip_times(json.loads(a.stdout)) == _strip_times(json.loads(b.stdout))


def _source_stamp() -> list[tuple[str, int]]:
    pkg = ROOT / "formalc"
    return sorted((str(f), f.stat().st_mtime_ns) for f in pkg.rglob("*")
                  if f.suffix in (".py", ".lark") and f.is_file())


def test_result_cache_keeps_the_report(tmp_path):
    """With the result cache on (the default), a second run reuses the results: the same
    report, apart from the timings and the `cached` marks."""
    env = _env(FORMALC_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("FORMALC_NO_CACHE")
    stamp = _source_stamp()  # the cache key covers formalc's source: an edit mid-test misses
    args = ["check", "--format", "json", "violated.iot", "unsat.iot"]
    first = subprocess.run([sys.executable, "-m", "formalc", *args], cwd=FIXTURES, env=env,
                           capture_output=True, text=True, encoding="utf-8", timeout=60)
    second = subprocess.run([sys.executable, "-m", "formalc", *args], cwd=FIXTURES, env=env,
                            capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert first.returncode == second.returncode == 1
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    if _source_stamp() != stamp:
        pytest.skip("formalc's source changed during the test (the cache key changed)")
    assert [r.get("cached", False) for r in a["results"]] == [False] * 4
    assert [r.get("cached", False) for r in b["results"]] == [True] * 4

    def norm(doc):
        doc = _strip_times(doc)
        for r in doc["results"]:
            r.pop("cached", None)
        return doc
    assert norm(a) == norm(b)
    # --no-cache solves again
    third = formalc(*args[:1], "--no-cache", *args[1:], env=env)
    assert not any(r.get("cached", False) for r in json.loads(third.stdout)["results"])
    # the text report marks cached results, and stays parseable
    text = formalc("check", "--no-color", "violated.iot", env=env)
    if _source_stamp() != stamp:
        pytest.skip("formalc's source changed during the test (the cache key changed)")
    assert check_lines(text.stdout) == {"three_runtimes": "proved", "no_firecracker": "violated",
                                        "kata_is_light": "violated"}
    # stdout is the same report whether results were solved or reused (times are the original
    # solving times); only the summary on stderr says how many were reused
    assert ", cached" not in text.stdout
    assert "3 cached)" in text.stderr


def test_text_is_deterministic():
    args = ("check", "--no-color", "holds.iot", "violated.iot", "unsat.iot")
    a, b = formalc(*args), formalc(*args)
    times = re.compile(r"\(\d+ ms\)|\(\d+\.\d+ s solving\)")
    assert times.sub("", a.stdout) == times.sub("", b.stdout)
    assert times.sub("", a.stderr) == times.sub("", b.stderr)


# ------------------------------------------------------------------------------ options
def test_select_one_check():
    p = formalc("check", "--no-color", "-k", "no_firecracker", "violated.iot")
    assert p.returncode == 1
    assert check_lines(p.stdout) == {"no_firecracker": "violated"}
    assert "1 checks in 1 file" in p.stderr or "1 check in 1 file" in p.stderr


def test_select_passing_check_exits_0():
    p = formalc("check", "--no-color", "--select", "three_runtimes", "violated.iot")
    assert p.returncode == 0
    assert check_lines(p.stdout) == {"three_runtimes": "proved"}


def test_select_substring_glob_and_repeat():
    p = formalc("check", "--no-color", "-k", "kata", "violated.iot")  # substring
    assert check_lines(p.stdout) == {"kata_is_light": "violated"}
    p = formalc("check", "--no-color", "-k", "*_runtimes", "violated.iot")  # glob
    assert check_lines(p.stdout) == {"three_runtimes": "proved"}
    p = formalc("check", "--no-color", "-k", "three", "-k", "firecracker", "violated.iot")
    assert check_lines(p.stdout) == {"three_runtimes": "proved", "no_firecracker": "violated"}


def test_select_nomatch_exit_2():
    p = formalc("check", "--no-color", "-k", "nomatch", "violated.iot")
    assert p.returncode == 2
    assert "FC402" in p.stderr
    assert "nomatch" in p.stderr
    assert p.stdout == ""


def test_quiet_hides_passing_checks():
    p = formalc("check", "--no-color", "--quiet", "violated.iot")
    assert p.returncode == 1
    assert check_lines(p.stdout) == {"no_firecracker": "violated", "kata_is_light": "violated"}
    assert "three_runtimes" not in p.stdout
    assert "c.runtime       Firecracker" in p.stdout or \
        re.search(r"c\.runtime\s+Firecracker", p.stdout)
    p = formalc("check", "--no-color", "-q", "holds.iot")
    assert p.returncode == 0
    assert p.stdout == ""
    assert "3 checks in 1 file" in p.stderr  # the summary is still printed


def _run_in_pty(args: list[str], env: dict) -> tuple[int, str]:
    """Run formalc with stdout and stderr on a terminal, so that colour is on by default."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "formalc", *args], cwd=FIXTURES, env=env,
                              stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, timeout=60)
    finally:
        os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return proc.returncode, data.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_no_color():
    code, colored = _run_in_pty(["check", "violated.iot"], _env())
    assert code == 1
    assert ANSI.search(colored), "a terminal gets colour by default"
    code, plain = _run_in_pty(["check", "--no-color", "violated.iot"], _env())
    assert code == 1
    assert not ANSI.search(plain)
    assert "violated  no_firecracker" in plain
    code, plain = _run_in_pty(["check", "violated.iot"], _env(NO_COLOR="1"))
    assert not ANSI.search(plain)


def test_no_color_when_piped():
    p = formalc("check", "violated.iot")
    assert not ANSI.search(p.stdout) and not ANSI.search(p.stderr)
    p = formalc("check", "--no-color", "violated.iot")
    assert not ANSI.search(p.stdout) and not ANSI.search(p.stderr)


def test_timeout_must_be_positive():
    p = formalc("check", "--timeout", "0", "holds.iot")
    assert p.returncode == 2
    assert "timeout" in p.stderr
    p = formalc("check", "--timeout", "abc", "holds.iot")
    assert p.returncode == 2
    assert "--timeout" in p.stderr


# ------------------------------------------------------------------------------ explain
def test_explain_known_code():
    p = formalc("explain", "FC302")
    assert p.returncode == 0
    assert p.stdout.startswith("FC302: unit mismatch")
    assert "512MiB + 20ms" in p.stdout
    p = formalc("explain", "fc006")  # case-insensitive
    assert p.returncode == 0
    assert p.stdout.startswith("FC006: a spec file declares nothing")


def test_explain_every_registered_code():
    """Every code of the registry can be explained (in-process: a subprocess each is slow)."""
    import contextlib
    import io

    from formalc.cli import main
    from formalc.diagnostics import CODES
    for code, meaning in CODES.items():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["explain", code]) == 0
        assert out.getvalue().startswith(f"{code}: {meaning}\n")


def test_explain_unknown_code():
    p = formalc("explain", "FC999")
    assert p.returncode == 2
    assert "FC999" in p.stderr
    assert p.stdout == ""


# ------------------------------------------------------------------------------ usage errors
@pytest.mark.parametrize("args", [
    [],
    ["check"],
    ["check", "--bogus", "holds.iot"],
    ["frobnicate"],
    ["check", "--format", "xml", "holds.iot"],
    ["explain"],
], ids=["no-args", "check-no-path", "unknown-option", "unknown-command", "bad-format",
        "explain-no-code"])
def test_usage_error_exit_2(args):
    p = formalc(*args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "usage:" in p.stderr
    assert p.stdout == ""


def test_help_and_version():
    p = formalc("--help")
    assert p.returncode == 0 and "check" in p.stdout
    p = formalc("check", "--help")
    assert p.returncode == 0 and "--timeout" in p.stdout
    p = formalc("--version")
    assert p.returncode == 0 and p.stdout.startswith("formalc ")
