"""Check cost and end-to-end CLI time (a benchmark, not a test).

Part 1 (in process): milliseconds per check. The generated spec (gen_spec.py; by default
20,000 lines with 500 checks) is compiled once, one check is run to warm up (z3 import and
context), then ``formalc.check`` runs every check; the median ``Result.time_ms`` is reported,
overall, for the simple (instance-only) checks and per kind of check.

Part 2 (subprocesses): the figure the project is judged on. In the same run, median of
``--runs`` wall times (after one warm-up each, so Lark's parser-table cache exists) of
    floor:   python -c "import z3, lark, rich"
    version: python -m formalc --version                (CLI start-up)
    check:   python -m formalc check specs/ --no-color  (the whole bundled library)
    cold:    the same with --no-cache (every check solved)
and the ratio check / floor (goal ≤ 2.0). The subprocesses use a private, temporary result
cache (FORMALC_CACHE_DIR), filled by the warm-up run, so plain `check` is the warm-cache figure. An in-process split of the specs/ run into
compile and solving time follows, to show where the time goes.

    python benchmarks/bench_check.py                    # everything (about 1-2 minutes)
    python benchmarks/bench_check.py --skip-generated   # only the CLI figures
    python benchmarks/bench_check.py --checks 100 --lines 5000 --nodes 500 --timeout 2
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

import _common as C  # noqa: E402  (puts the repository first on sys.path)
import gen_spec

import formalc  # noqa: E402
from formalc.model.compile import compile_text  # noqa: E402

GOAL_RATIO = 2.0
_SET_PREFIX = re.compile(r"(zone|app)\d+$")


def kind_of(check_name: str) -> str:
    """The generator's kind of a check, from its name (``fits_c17`` → fits,
    ``zone3_latency_0`` → set:latency, ``app4_zone5_placement_6`` → set:placement)."""
    parts = check_name.split("_")
    i = 0
    while i < len(parts) and _SET_PREFIX.match(parts[i]):
        i += 1
    k = parts[i] if i < len(parts) else check_name
    return f"set:{k}" if i else k


SIMPLE_KINDS = {"mem", "lat", "fits", "safe", "util", "cap", "iso", "bdp", "rtt", "life", "cold"}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def generated_part(a) -> None:
    text = gen_spec.generate(a.nodes, a.checks, a.lines, seed=a.seed)
    lines = text.count("\n")
    t0 = time.perf_counter()
    diags, spec = compile_text(text, "generated.iot")
    t_compile = time.perf_counter() - t0
    if spec is None:
        print(f"generated spec does not compile: {[d for d in diags if d.is_error][:1]}")
        return
    formalc.check(spec, timeout=a.timeout, select=[spec.checks[0].name])  # warm-up
    t0 = time.perf_counter()
    report = formalc.check(spec, timeout=a.timeout)
    wall = time.perf_counter() - t0
    res = report.results
    ms = [r.time_ms for r in res]
    simple = [r.time_ms for r in res if kind_of(r.check) in SIMPLE_KINDS]
    print(f"## Part 1: ms per check, in process (formalc.check, timeout {a.timeout:g} s)")
    print(f"spec: {lines:,} lines, {len(res)} checks (compiled once in {t_compile:.2f} s; "
          f"1 warm-up check)")
    verdicts = Counter(r.verdict.value for r in res)
    print("verdicts: " + ", ".join(f"{v} {n}" for v, n in verdicts.most_common()))
    rows = [["all checks", len(res), f"{C.median(ms):.1f}", f"{pct(ms, .9):.1f}",
             f"{max(ms):.1f}", f"{wall * 1000 / len(res):.1f}"]]
    if simple:
        rows.append(["simple checks", len(simple), f"{C.median(simple):.1f}",
                     f"{pct(simple, .9):.1f}", f"{max(simple):.1f}", ""])
    print(C.table(["", "n", "median ms", "p90 ms", "max ms", "wall ms/check"], rows))
    by_kind: dict[str, list] = defaultdict(list)
    for r in res:
        by_kind[kind_of(r.check)].append(r)
    rows = []
    for k, rs in sorted(by_kind.items(), key=lambda kv: (kv[0].startswith("set:"), kv[0])):
        t = [r.time_ms for r in rs]
        bad = Counter(r.verdict.value for r in rs if not r.verdict.holds)
        rows.append([k, len(rs), f"{C.median(t):.1f}", f"{max(t):.1f}",
                     ", ".join(f"{v} {n}" for v, n in bad.items()) or "-"])
    print()
    print(C.table(["kind", "n", "median ms", "max ms", "not holding"], rows))
    reasons = Counter(re.sub(r"\d+(\.\d+)? s\b", "N s", r.reason or "")
                      for r in res if r.verdict.value == "unknown")
    if reasons:
        print("\nunknown reasons:")
        for why, n in reasons.most_common():
            print(f"  {n:4d}  {why[:110]}")
    print(f"wall time of formalc.check: {wall:.2f} s")


_CACHE_DIR = tempfile.mkdtemp(prefix="formalc-bench-cache-")


def run_cmd(cmd: list[str]) -> tuple[float, int, str]:
    # A private result cache: the warm-up run fills it, the measured runs of plain
    # `formalc check` then reuse it, as a user's repeated runs would; ~/.cache is not touched.
    env = {**os.environ, "NO_COLOR": "1", "FORMALC_CACHE_DIR": _CACHE_DIR}
    env.pop("FORMALC_NO_CACHE", None)
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=C.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    tail = [ln for ln in p.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return elapsed, p.returncode, tail[-1] if tail else ""


def cli_part(a) -> None:
    py = sys.executable
    from formalc.model.loader import collect_files
    spec_files = collect_files([a.specs])[1]
    check_key = f"python -m formalc check {a.specs}"
    cmds = {
        "floor: import z3, lark, rich": [py, "-c", "import z3, lark, rich"],
        "python -m formalc --version": [py, "-m", "formalc", "--version"],
        check_key: [py, "-m", "formalc", "check", a.specs, "--no-color"],
        f"  … --no-cache (every check solved)": [py, "-m", "formalc", "check", a.specs,
                                                  "--no-color", "--no-cache"],
    }
    for cmd in cmds.values():  # warm-up (Lark writes its parser-table cache on first use)
        run_cmd(cmd)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    last: dict[str, tuple[int, str]] = {}
    for _ in range(a.runs):  # interleaved, so that drifting machine load hits all alike
        for k, cmd in cmds.items():
            t, rc, tail = run_cmd(cmd)
            times[k].append(t)
            last[k] = (rc, tail)
    floor = C.median(times["floor: import z3, lark, rich"])
    print(f"## Part 2: end to end, subprocesses (median of {a.runs} after 1 warm-up each)")
    print(f"{a.specs}: {len(spec_files)} .iot files, "
          f"{sum(f.read_text('utf-8').count(chr(10)) for f in spec_files):,} lines")
    rows = []
    for k in cmds:
        rows.append([k, f"{C.median(times[k]):.3f}", f"{min(times[k]):.3f}",
                     f"{max(times[k]):.3f}", str(last[k][0]),
                     f"{C.median(times[k]) / floor:.2f}"])
    print(C.table(["command", "median s", "min s", "max s", "exit", "× floor"], rows))
    rc, tail = last[check_key]
    ratio = C.median(times[check_key]) / floor
    print(f"formalc summary: {tail}")
    if rc == 2:
        print("note: exit 2 — some specs have errors; the checks of the files that compile "
              "still ran and are included in the time")
    cold = C.median(times[list(cmds)[3]]) / floor
    verdict = "MET" if ratio <= GOAL_RATIO else "NOT MET"
    print(f"goal: check {a.specs} ≤ {GOAL_RATIO:g}× the import floor: {verdict} "
          f"(ratio {ratio:.2f} with the result cache warm, {cold:.2f} with --no-cache; "
          f"the goal allows {GOAL_RATIO * floor:.3f} s)")

    # Where the time of the CLI run goes, measured in this (warm) process.
    from formalc.checks.runner import run_checks
    from formalc.model.compile import compile_file
    from formalc.model.loader import Loader
    files = collect_files([a.specs])[1]
    loader = Loader()
    t0 = time.perf_counter()
    compiled = [compile_file(f, loader)[1] for f in files]
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = [r for s in compiled if s is not None for r in run_checks(s, 10.0, None)]
    t_solve = time.perf_counter() - t0
    slow = sorted(results, key=lambda r: -r.time_ms)[:5]
    print(f"in process (warm): compile {len(files)} files {t_compile:.3f} s "
          f"({sum(s is None for s in compiled)} with errors), run {len(results)} checks "
          f"{t_solve:.3f} s (median {C.median([r.time_ms for r in results]) if results else 0:.1f}"
          f" ms/check)")
    if slow:
        print("slowest checks: " + ", ".join(f"{r.check} {r.time_ms:.0f} ms" for r in slow))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="check cost and end-to-end CLI time")
    p.add_argument("--runs", type=int, default=5, help="subprocess runs (median; default 5)")
    C.add_spec_options(p)
    p.add_argument("--timeout", type=float, default=10.0,
                   help="solver limit per check in part 1 (default 10, as the CLI)")
    p.add_argument("--specs", default="specs/", help="what part 2 checks (default specs/)")
    p.add_argument("--skip-generated", action="store_true", help="skip part 1")
    p.add_argument("--skip-cli", action="store_true", help="skip part 2")
    a = p.parse_args(argv)
    print(f"# bench_check  {C.machine()}")
    if not a.skip_generated:
        generated_part(a)
        print()
    if not a.skip_cli:
        try:
            cli_part(a)
        finally:
            shutil.rmtree(_CACHE_DIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
