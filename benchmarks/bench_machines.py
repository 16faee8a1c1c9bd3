"""Machine checking at scale (a benchmark, not a test): N container lifecycles on one node.

The family of issue 3: N instances of the five-state container lifecycle (start, pause,
resume, stop, remove) on one node of capacity K = ceil(N/2): `start` and `resume` are enabled
only while fewer than K containers run. Three properties:

    (a) always count(c, Running) ≤ K                     holds
    (b) always count(c, Deleted) < N                     fails; shortest counterexample: N steps
    (c) deadlock_free (outside the all-Deleted state)    holds

Each (N, property) runs in a fresh subprocess (`formalc check` on a generated spec, with the
result cache off), so the wall time includes Python start-up and the peak memory is that
process's own maximum resident set. Reference (SPIN 6.5, exhaustive, C-compiled, same kind of
machine): N=8 386,560 states, (a) about 1 s; N=10 9.7 million states, (a) about 46 s and
780 MB; N=12 not finished in 300 s (6 GB). Goals: (a) N=12 < 1 s and N=200 < 10 s; (b) N=30
< 10 s; memory < 1 GB throughout.

    python benchmarks/bench_machines.py                 # N = 8 10 12 30 100 200, median of 3
    python benchmarks/bench_machines.py --n 12 200 --runs 1 --engine symbolic
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, machine, median, table

PROPS = {
    "a": ("at_most_K_running", "always count(c, Running) ≤ K", "proved"),
    "b": ("never_all_deleted", "always count(c, Deleted) < N", "violated"),
    "c": ("deadlock_free", "deadlock_free", "proved"),
}


def spec_text(n: int) -> str:
    k = (n + 1) // 2
    return f"""\
States = {{Created, Running, Paused, Stopped, Deleted}}
Events = {{start, pause, resume, stop, remove}}
N := {n}
K := {k}
machine Container {{
  δ: States × Events → States
  initial Created
  final Deleted
  δ(Created, start) = Running
  δ(Created, remove) = Deleted
  δ(Running, pause) = Paused
  δ(Running, stop) = Stopped
  δ(Paused, resume) = Running
  δ(Paused, stop) = Stopped
  δ(Stopped, start) = Running
  δ(Stopped, remove) = Deleted
}}
machine Node {{
  c[1..N]: Container
  c.start, c.resume when count(c, Running) < K
}}
""" + "".join(f"check {name}: Node ⊨ {prop}\n" for name, prop, _ in PROPS.values())


# Run inside the child: check one property, print verdict, steps, method and peak memory.
CHILD = r"""
import json, resource, sys, time
import formalc
path, name, engine, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
t0 = time.perf_counter()
report = formalc.check(formalc.load(path), select=[name], engine=engine, timeout=timeout)
r = report.results[0]
wall = time.perf_counter() - t0
steps = len(r.trace.steps) - 1 if r.trace is not None else None
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"verdict": r.verdict.value, "steps": steps, "method": r.method,
                  "check_s": wall, "peak_mib": peak, "reason": r.reason}))
"""


def run_one(path: Path, name: str, engine: str, timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = __import__("time").perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), name, engine, str(timeout)],
                         capture_output=True, text=True, env=env, timeout=timeout * 3 + 60)
    wall = __import__("time").perf_counter() - t0
    if out.returncode != 0:
        return {"verdict": "error", "steps": None, "method": out.stderr.strip()[-200:],
                "check_s": float("nan"), "peak_mib": float("nan"), "wall_s": wall}
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["wall_s"] = wall
    return data


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, nargs="+", default=[8, 10, 12, 30, 100, 200])
    p.add_argument("--props", default="abc")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--engine", default="auto", choices=["auto", "symbolic", "explicit"])
    p.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args()
    print(machine())
    print(f"engine {args.engine}; median of {args.runs} runs; each run a fresh process\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            path = Path(tmp) / f"node{n}.iot"
            path.write_text(spec_text(n), encoding="utf-8")
            for key in args.props:
                name, _, expected = PROPS[key]
                runs = [run_one(path, name, args.engine, args.timeout) for _ in range(args.runs)]
                last = runs[-1]
                ok = "" if last["verdict"] == expected else f"  (expected {expected})"
                rows.append([str(n), f"({key}) {name}", last["verdict"] + ok,
                             "" if last["steps"] is None else str(last["steps"]),
                             f"{median([r['check_s'] for r in runs]):.2f}",
                             f"{median([r['wall_s'] for r in runs]):.2f}",
                             f"{max(r['peak_mib'] for r in runs):.0f}",
                             last["method"] or ""])
                print(table(["N", "property", "verdict", "steps", "check s", "process s",
                             "peak MiB", "method"], rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(["N", "property", "verdict", "steps", "check s", "process s", "peak MiB",
                 "method"], rows))


if __name__ == "__main__":
    main()
