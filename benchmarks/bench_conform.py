"""Conformance against real runc: examples per minute and the engine's own overhead.

    python benchmarks/bench_conform.py [--examples 200] [--repeats 3] [--steps 20]

Prints, for the lifecycle spec of runc (specs/oci_runtime.iot, machine Runc):
- the raw runtime: create+start+kill+delete cycles per second driven directly (no engine), and
  the median latency of each command;
- a conformance run of --examples generated traces (after the tour of 64 cases): wall time,
  examples per minute, time inside runc, and the engine's overhead = (wall − runc) / runc.
Medians over --repeats runs; the machine is noisy (2 cores), so compare the ratios of one run.
Goals (issue 6): overhead under 10% of the runtime's time; 200 examples in under 2 minutes.
Needs root, runc and a static busybox.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formalc.conform import conform  # noqa: E402
from formalc.conform.bundle import Runtime, RuntimeUnavailable, probe_runtime  # noqa: E402
from formalc.conform.runtime import RuntimeAdapter  # noqa: E402


def raw_cycles(n: int = 30) -> dict:
    """Drive runc directly: create, start, kill, delete — n cycles."""
    lat: dict[str, list[float]] = {k: [] for k in ("create", "start", "kill", "state", "delete")}
    with Runtime("runc") as rt:
        b = rt.bundle(["/bin/sleep", "3600"])
        t0 = time.perf_counter()
        for i in range(n):
            cid = f"raw{i}"
            lat["create"].append(rt.create(cid, b).seconds)
            lat["start"].append(rt.start(cid).seconds)
            lat["kill"].append(rt.kill(cid, "KILL").seconds)
            t = time.perf_counter()
            while rt.state(cid) != "stopped":
                pass
            lat["state"].append(time.perf_counter() - t)
            lat["delete"].append(rt.delete(cid).seconds)
        wall = time.perf_counter() - t0
    return {"cycles_per_s": n / wall,
            **{f"{k}_ms": 1000 * statistics.median(v) for k, v in lat.items()}}


def one_run(examples: int, steps: int, seed: int) -> dict:
    r = conform(ROOT / "specs" / "oci_runtime.iot", "RuncLifecycle", RuntimeAdapter("runc"),
                examples=examples, steps=steps, seed=seed)
    if not r.ok:
        print(r.to_text())
        raise SystemExit("runc disagreed with specs/oci_runtime.iot (a finding, see above)")
    return {"wall_s": r.seconds, "runtime_s": r.runtime_seconds, "overhead": r.overhead,
            "examples": r.examples, "tour_cases": r.tour_cases, "events": r.steps,
            "examples_per_min": 60 * r.examples / r.seconds}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    try:
        probe_runtime("runc")
    except RuntimeUnavailable as e:
        print(f"runc unavailable: {e}")
        return 2
    raw = raw_cycles()
    print("raw runc (30 cycles, medians): "
          f"{raw['cycles_per_s']:.1f} create+start+kill+delete cycles/s; create "
          f"{raw['create_ms']:.1f} ms, start {raw['start_ms']:.1f} ms, kill {raw['kill_ms']:.1f} "
          f"ms, until stopped {raw['state_ms']:.1f} ms, delete {raw['delete_ms']:.1f} ms")
    runs = []
    for i in range(args.repeats):
        r = one_run(args.examples, args.steps, args.seed + i)
        runs.append(r)
        print(f"run {i + 1}: {r['examples']} examples + tour of {r['tour_cases']} cases, "
              f"{r['events']} events in {r['wall_s']:.1f} s ({r['examples_per_min']:.0f} "
              f"examples/min); inside runc {r['runtime_s']:.1f} s; engine overhead "
              f"{100 * r['overhead']:.1f}%")

    def med(k):
        return statistics.median(r[k] for r in runs)
    print(f"median of {len(runs)}: wall {med('wall_s'):.1f} s (goal < 120 s for "
          f"{args.examples} examples), {med('examples_per_min'):.0f} examples/min, engine "
          f"overhead {100 * med('overhead'):.1f}% of runc's time (goal < 10%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
