"""Seccomp analysis of the moby default profile (a benchmark, not a test).

Times, as the median of ``--runs`` runs after one warm-up run (wall and CPU time):
  * import:    formalc.artifacts.seccomp.load_seccomp + profile_of (JSON with positions, checks)
  * analyse:   formalc.policy.seccomp.analyse (conflicts, redundant/shadowed entries, OR
               pitfalls, reachability of the dangerous system calls; Z3 for the arguments)
  * total:     both
Goal: the full analysis of the moby profile in < 2 s.

    python benchmarks/bench_seccomp.py
    python benchmarks/bench_seccomp.py --runs 9 --profile ../shared/data/seccomp/moby-default.json
"""
from __future__ import annotations

import argparse
from pathlib import Path

from _common import ROOT, machine, median, table, timed2

from formalc.artifacts.seccomp import load_seccomp, profile_of
from formalc.policy.seccomp import analyse

MOBY = ROOT.parent / "shared" / "data" / "seccomp" / "moby-default.json"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--profile", type=Path, default=MOBY)
    a = p.parse_args()
    text = a.profile.read_text()
    name = str(a.profile)

    def load():
        return profile_of(load_seccomp(text, file=name))

    prof = load()
    analyse(prof)  # warm-up: z3 import, caches
    rows = []
    for label, fn in (("import", load), ("analyse", lambda: analyse(prof)),
                      ("total", lambda: analyse(load()))):
        walls, cpus = zip(*(timed2(fn) for _ in range(a.runs)))
        rows.append([label, f"{median(walls) * 1000:.1f}", f"{median(cpus) * 1000:.1f}"])
    rep = analyse(prof)
    print(machine())
    print(f"{name}: {len(prof.rules)} entries, {sum(len(r.names) for r in prof.rules)} names, "
          f"{len(rep.reachability)} dangerous calls, {len(rep.findings)} findings, "
          f"{len(rep.unknown)} unknown; median of {a.runs} runs")
    print(table(["stage", "wall ms", "CPU ms"], rows))
    total = float(rows[-1][1]) / 1000
    print(f"goal < 2 s for the full analysis: {'met' if total < 2 else 'NOT met'} ({total:.3f} s)")


if __name__ == "__main__":
    main()
