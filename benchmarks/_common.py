"""Shared helpers for the benchmark scripts (standard library only)."""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # measure the working tree, not some other installed copy
    sys.path.insert(0, str(ROOT))



def add_spec_options(p) -> None:
    """The options of the generated spec, shared by the benchmarks (see gen_spec.py)."""
    p.add_argument("--nodes", type=int, default=2000)
    p.add_argument("--checks", type=int, default=500)
    p.add_argument("--lines", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)

def timed(fn, runs: int) -> list[float]:
    """Wall times (seconds) of ``runs`` calls of ``fn``."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def timed2(fn) -> tuple[float, float]:
    """(wall, CPU) seconds of one call of ``fn``. CPU time (this process only) is far less
    disturbed than wall time when other work shares the machine."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def median(xs) -> float:
    return statistics.median(xs)


def machine() -> str:
    load = "n/a"
    if hasattr(os, "getloadavg"):
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{time.strftime('%Y-%m-%d %H:%M')}  Python {platform.python_version()}  "
            f"{os.cpu_count()} cores  load avg {load}")


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]

    def fmt(row):
        return "  ".join(str(x).rjust(w) if i else str(x).ljust(w)
                         for i, (x, w) in enumerate(zip(row, widths)))

    return "\n".join([fmt(headers), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows])
