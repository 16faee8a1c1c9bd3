"""CLI transcripts for machine checks (`M ⊨ φ`): the trace table, --engine, --trace-out (ITF
JSON) and `formalc graph` (dot, Mermaid, SVG).

Every test writes the spec below into its own temporary folder and runs `python -m formalc`
there, so file names in the output are bare.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from formalc.checks.results import Result, Trace, TraceStep, Verdict
from machine_specs import ACTIONS, BASIC, LIFECYCLE, STATES  # tests/ is on sys.path

ROOT = Path(__file__).resolve().parent.parent

SPEC = STATES + ACTIONS + "\n" + LIFECYCLE + "\n" + BASIC + """K := 6
machine Node {
  param N ∈ 1..12
  c[1..N]: Basic
  c.start, c.resume when count(c, Running) < K
}
check bounded: Lifecycle ⊨ always restarts ≤ 3
check cap: Node ⊨ always count(c, Running) ≤ K
check few_restarts: Lifecycle ⊨ always restarts < 2
check notall: Node ⊨ always count(c, Deleted) < N
check live: Lifecycle ⊨ state = Running ~> state = Stopped
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "FORMALC_CACHE_DIR", "FORMALC_NO_CACHE")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["FORMALC_NO_CACHE"] = "1"
    env.update(extra)
    return env


def formalc(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "formalc", *args], cwd=cwd, env=env or _env(),
                       capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert "Traceback" not in p.stderr, p.stderr
    assert "Traceback" not in p.stdout, p.stdout
    return p


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "lc.iot").write_text(SPEC, encoding="utf-8")
    return tmp_path


def _engines_ready() -> bool:
    try:
        import formalc.encode.machine  # noqa: F401
        import formalc.machines.explicit  # noqa: F401
    except ImportError:
        return False
    return True


engines = pytest.mark.skipif(not _engines_ready(), reason="machine engines not available")


def _block(stdout: str, check: str) -> str:
    """The lines of one check in a text report: its verdict line and the indented details."""
    m = re.search(rf"^  [✔✘?] \w+\s+{re.escape(check)}  \(.*?(?=^  [✔✘?] |\Z)", stdout,
                  re.M | re.S)
    assert m, stdout
    return m.group(0)


# ------------------------------------------------------------------------------ check
@engines
def test_violated_invariant_shows_the_run(work):
    p = formalc("check", "--no-color", "lc.iot", "-k", "few_restarts", cwd=work)
    assert p.returncode == 1, p.stderr
    b = _block(p.stdout, "few_restarts")
    assert b.startswith("  ✘ violated  few_restarts")
    assert "counterexample found by " in b
    assert "counterexample run of Lifecycle:" in b
    assert re.search(r"^\s+step  event\s+changed$", b, re.M)
    assert re.search(r"^\s+0  \(initial\)\s+state = Created, restarts = 0$", b, re.M)
    # the events, in order: the machine must restart twice to reach restarts = 2
    events = re.findall(r"^\s+\d+  (\S+)", b, re.M)
    assert events[0] == "(initial)"
    assert [e for e in events[1:] if e == "start"] and events.count("start") >= 3, events
    assert re.search(r"restarts: 1 → 2", b)
    assert "`restarts < 2` is false at step" in b
    assert ("replay: formalc check lc.iot -k few_restarts --engine auto "
            "--trace-out few_restarts.itf.json") in b


@engines
def test_lasso_marks_the_loop(work):
    p = formalc("check", "--no-color", "lc.iot", "-k", "live", cwd=work)
    assert p.returncode == 1, p.stderr
    b = _block(p.stdout, "live")
    assert "(a lasso: it loops forever)" in b
    loop = re.search(r"^\s+(\d+)  .*← loop starts here ↺$", b, re.M)
    assert loop, b
    assert f"then back to step {loop.group(1)} forever" in b


@engines
def test_composition_trace_names_instances(work):
    p = formalc("check", "--no-color", "lc.iot", "-k", "notall", cwd=work)
    assert p.returncode == 1
    b = _block(p.stdout, "notall")
    assert re.search(r"^\s+0  \(initial\)\s+N = \d+, c\[1(\.\.\d+)?\] = Created", b, re.M), b
    assert re.search(r"c\[\d+\]\.remove\s+c\[\d+\]: \w+ → Deleted", b), b


@engines
def test_proved_shows_method_and_no_replay(work):
    p = formalc("check", "--no-color", "lc.iot", "-k", "bounded", "-k", "cap", cwd=work)
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"^  ✔ proved    bounded  \(\d+ ms\)\n      proved by \S", p.stdout, re.M)
    assert "replay:" not in p.stdout
    q = formalc("check", "--no-color", "-q", "lc.iot", "-k", "bounded", cwd=work)
    assert q.stdout == ""


@engines
@pytest.mark.parametrize("engine, method", [("explicit", r"explicit \("),
                                            ("symbolic", r"(k-induction|BMC|Spacer)")])
def test_engine_choice_is_reflected_in_method(work, engine, method):
    p = formalc("check", "--no-color", "--format", "json", "lc.iot", "-k", "bounded",
                "--engine", engine, cwd=work)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)["results"][0]
    assert re.match(method, r["method"]), r["method"]
    assert r["verdict"] == "proved" and r["trace"] is None and r["warnings"] == []


def test_engine_must_be_known(work):
    p = formalc("check", "lc.iot", "--engine", "magic", cwd=work)
    assert p.returncode == 2
    assert "invalid choice: 'magic'" in p.stderr


@engines
def test_replay_names_the_engine_and_quotes(work):
    (work / "my spec.iot").write_text(SPEC, encoding="utf-8")
    p = formalc("check", "--no-color", "my spec.iot", "-k", "few_restarts", "--engine",
                "explicit", cwd=work)
    assert ("replay: formalc check 'my spec.iot' -k few_restarts --engine explicit "
            "--trace-out few_restarts.itf.json") in p.stdout


@engines
def test_json_report_has_trace(work):
    p = formalc("check", "--format", "json", "lc.iot", "-k", "few_restarts", cwd=work)
    assert p.returncode == 1
    r = json.loads(p.stdout)["results"][0]
    t = r["trace"]
    assert t["machine"] == "Lifecycle" and t["loop"] is None
    assert t["steps"][0]["event"] is None and t["steps"][0]["state"] == \
        {"state": "Created", "restarts": 0}
    assert t["steps"][1]["event"] == "start" and t["steps"][1]["actions"] == ["SpawnInit"]
    assert t["formula"] == "restarts < 2" and t["failed_at"] == len(t["steps"]) - 1
    assert isinstance(r["method"], str)


# ------------------------------------------------------------------------------ --trace-out
@engines
def test_trace_out_writes_itf(work):
    p = formalc("check", "--no-color", "lc.iot", "-k", "few_restarts", "--trace-out",
                "t.itf.json", cwd=work)
    assert p.returncode == 1  # exit code unchanged by --trace-out
    assert "trace of `few_restarts` written to t.itf.json" in p.stderr
    itf = json.loads((work / "t.itf.json").read_text(encoding="utf-8"))
    assert itf["#meta"]["format"] == "ITF" and itf["#meta"]["check"] == "few_restarts"
    assert itf["vars"] == ["state", "restarts", "mbt::actionTaken", "mbt::nondetPicks"]
    assert "loop" not in itf
    states = itf["states"]
    report = json.loads(formalc("check", "--format", "json", "lc.iot", "-k", "few_restarts",
                                cwd=work).stdout)
    assert len(states) == len(report["results"][0]["trace"]["steps"])
    assert [s["#meta"]["index"] for s in states] == list(range(len(states)))
    assert states[0]["state"] == "Created" and states[0]["restarts"] == {"#bigint": "0"}
    assert states[0]["mbt::actionTaken"] == "init"
    assert states[1]["mbt::actionTaken"] == "start"
    assert states[-1]["restarts"] == {"#bigint": "2"}


@engines
def test_trace_out_lasso_has_loop(work):
    formalc("check", "lc.iot", "-k", "live", "--trace-out", "live.itf.json", cwd=work)
    itf = json.loads((work / "live.itf.json").read_text(encoding="utf-8"))
    assert isinstance(itf["loop"], int) and 0 <= itf["loop"] < len(itf["states"])


@engines
def test_trace_out_one_file_per_check(work):
    p = formalc("check", "lc.iot", "--trace-out", "out-{check}.itf.json", cwd=work)
    assert p.returncode == 1
    written = sorted(f.name for f in work.glob("out-*.itf.json"))
    assert written == ["out-few_restarts.itf.json", "out-live.itf.json", "out-notall.itf.json"]
    node = json.loads((work / "out-notall.itf.json").read_text(encoding="utf-8"))
    assert node["states"][-1]["mbt::actionTaken"] == "c.remove"
    assert node["states"][-1]["mbt::nondetPicks"]["instance"]["tag"] == "Some"


@engines
def test_trace_out_several_without_placeholder_writes_first(work):
    p = formalc("check", "lc.iot", "--trace-out", "one.itf.json", cwd=work)
    assert "note: --trace-out wrote the trace of `few_restarts`; not written: `notall`, `live`" \
        in p.stderr
    assert json.loads((work / "one.itf.json").read_text())["#meta"]["check"] == "few_restarts"


@engines
def test_trace_out_without_trace(work):
    p = formalc("check", "lc.iot", "-k", "bounded", "--trace-out", "x.json", cwd=work)
    assert p.returncode == 0
    assert "no machine check produced a trace" in p.stderr
    assert not (work / "x.json").exists()


def test_itf_value_encoding():
    from formalc.report.itf import itf_value, trace_to_itf
    assert itf_value(5) == {"#bigint": "5"}
    assert itf_value(True) is True
    assert itf_value("Running") == "Running"
    assert itf_value([1, 2]) == {"#set": [{"#bigint": "1"}, {"#bigint": "2"}]}
    assert itf_value({"a": 1}) == {"a": {"#bigint": "1"}}
    assert itf_value(Fraction(3, 2)) == {"#unserializable": "3/2"}
    t = Trace("M", (TraceStep(0, None, None, (), {"state": "A", "x": 10 ** 30}),
                    TraceStep(1, "go", None, ("Act",), {"state": "B", "x": 1}, ("state", "x"))),
              loop=0)
    r = Result("c", "f.iot", 1, "valid", "M ⊨ φ", Verdict.VIOLATED, 1.0, trace=t)
    itf = trace_to_itf(r)
    assert itf["loop"] == 0
    assert itf["states"][0]["x"] == {"#bigint": str(10 ** 30)}
    assert itf["states"][1]["#meta"] == {"index": 1, "event": "go", "actions": ["Act"]}


def test_trace_table_rendering_without_engines():
    """The text rendering of a hand-made lasso trace (independent of the engines)."""
    from formalc.checks.results import Report
    from formalc.report.text import render_text
    steps = (TraceStep(0, None, None, (), {"N": 3, "c[1]": "A", "c[2]": "A", "c[3]": "A"}),
             TraceStep(1, "go", "c[2]", ("Act",), {"N": 3, "c[1]": "A", "c[2]": "B", "c[3]": "A"},
                       ("c[2]",)),
             TraceStep(2, "back", "c[2]", (), {"N": 3, "c[1]": "A", "c[2]": "A", "c[3]": "A"},
                       ("c[2]",)))
    r = Result("c", "f.iot", 7, "valid", "M ⊨ always x", Verdict.VIOLATED, 1.0,
               trace=Trace("M", steps, loop=1, failed_at=2, formula="x"), method="BMC (depth 2)",
               warnings=("something to know",))
    out = render_text(Report(results=[r]))
    assert out == (
        "f.iot\n"
        "  ✘ violated  c  (1 ms)\n"
        "      f.iot:7  M ⊨ always x\n"
        "      counterexample found by BMC (depth 2)\n"
        "      counterexample run (a lasso: it loops forever) of M:\n"
        "        step  event          changed\n"
        "           0  (initial)      N = 3, c[1..3] = A\n"
        "           1  c[2].go / Act  c[2]: A → B   ← loop starts here ↺\n"
        "           2  c[2].back      c[2]: B → A   ← fails here\n"
        "        then back to step 1 forever\n"
        "      `x` is false at step 2\n"
        "      warning: something to know\n"
        "      replay: formalc check f.iot -k c --engine auto --trace-out c.itf.json\n")


# ------------------------------------------------------------------------------ graph
def test_graph_dot(work):
    p = formalc("graph", "lc.iot", "--machine", "Lifecycle", cwd=work)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith('digraph "Lifecycle" {')
    assert '"Lifecycle.__initial" [shape=point' in out
    assert '"Lifecycle.__initial" -> "Lifecycle.Created";' in out
    assert '"Lifecycle.Deleted" [label="Deleted", shape=doublecircle];' in out
    assert ('"Lifecycle.Stopped" -> "Lifecycle.Running" '
            '[label="start [restarts < 3] / restarts := restarts + 1, SpawnInit"];') in out
    assert '[label="exit", style="dashed"]' in out  # an internal event
    assert '[label="start / SpawnInit"]' in out


def test_graph_mermaid(work):
    p = formalc("graph", "lc.iot", "--machine", "Lifecycle", "--format", "mermaid", cwd=work)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> Created" in lines
    assert "    Deleted --> [*]" in lines
    assert "    Created --> Running : start / SpawnInit" in lines
    assert "    Running --> Stopped : exit (internal)" in lines


def test_graph_composition_clusters(work):
    p = formalc("graph", "lc.iot", "--machine", "Node", cwd=work)
    assert p.returncode == 0, p.stderr
    assert 'subgraph "cluster_Node.c" {' in p.stdout
    assert 'label="c[1..N]: Basic";' in p.stdout
    assert "sync: c.start, c.resume when count(c, Running) < K" in p.stdout
    assert "param N ∈ 1..12" in p.stdout


def test_graph_default_draws_top_level_machines(work):
    p = formalc("graph", "lc.iot", "--format", "mermaid", cwd=work)
    assert p.returncode == 0
    assert 'state "Lifecycle" as Lifecycle {' in p.stdout
    assert "state Node {" in p.stdout
    assert 'state "Basic" as Basic' not in p.stdout  # drawn inside Node only


@engines
def test_graph_highlights_trace(work):
    formalc("check", "lc.iot", "-k", "live", "--trace-out", "live.itf.json", cwd=work)
    p = formalc("graph", "lc.iot", "--trace", "live.itf.json", cwd=work)
    assert p.returncode == 0, p.stderr
    red = [ln for ln in p.stdout.splitlines() if 'color="red"' in ln]
    assert any('"Lifecycle.Created" -> "Lifecycle.Running"' in ln and "bold" in ln for ln in red)
    assert any(ln.strip().startswith('"Lifecycle.Created" [') for ln in red)
    assert not any('"Lifecycle.Deleted"' in ln for ln in red)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graph_svg(work):
    p = formalc("graph", "lc.iot", "--machine", "Lifecycle", "--format", "svg", "-o", "g.svg",
                cwd=work)
    assert p.returncode == 0, p.stderr
    svg = (work / "g.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "Created" in svg


def test_graph_svg_without_dot(work, tmp_path_factory):
    bare = tmp_path_factory.mktemp("nodot")  # a PATH with no `dot`
    p = formalc("graph", "lc.iot", "--format", "svg", cwd=work, env=_env(PATH=str(bare)))
    assert p.returncode == 2
    assert p.stderr == ("formalc graph: `dot` (Graphviz) is not installed; use --format dot "
                        "or mermaid, or install graphviz\n")
    assert p.stdout == ""


def test_graph_unknown_machine(work):
    p = formalc("graph", "lc.iot", "--machine", "Lifecyle", cwd=work)
    assert p.returncode == 2
    assert p.stderr == "formalc graph: no machine `Lifecyle` in lc.iot; did you mean `Lifecycle`?\n"


def test_graph_no_machines(work):
    (work / "plain.iot").write_text("S = {a, b}\ncheck two: |S| = 2\n", encoding="utf-8")
    p = formalc("graph", "plain.iot", cwd=work)
    assert p.returncode == 2
    assert p.stderr == "formalc graph: plain.iot declares no state machine\n"


def test_graph_bad_trace_file(work):
    (work / "bad.json").write_text("{}", encoding="utf-8")
    p = formalc("graph", "lc.iot", "--trace", "bad.json", cwd=work)
    assert p.returncode == 2
    assert "bad.json: not an ITF trace" in p.stderr
