"""Parse and type-check throughput on a generated spec (a benchmark, not a test).

Times, as the median of ``--runs`` runs after one warm-up run (wall and CPU time):
  * parse only:            formalc.syntax.parser.parse  (Lark lexer + LALR + AST transformer)
  * parse + type-check:    formalc.model.compile.compile_text  (no checks are run)
  * the same with the cyclic garbage collector disabled (what GC pauses cost)
and derives the type-check share as the difference. Goal: ≥ 20,000 lines/s parse + type-check.
On a shared machine trust the CPU-time columns more than wall time.

    python benchmarks/bench_parse.py                      # 20,000-line spec, 5 runs
    python benchmarks/bench_parse.py --runs 3 --lines 5000 --nodes 500 --checks 100
    python benchmarks/bench_parse.py --spec some.iot      # time an existing file instead
    python benchmarks/bench_parse.py --profile 10         # plus a cProfile of compile_text
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys

import _common as C  # noqa: E402  (puts the repository first on sys.path)
import gen_spec

from formalc.model.compile import compile_text  # noqa: E402
from formalc.syntax.parser import parse  # noqa: E402

GOAL_LINES_PER_S = 20_000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="parse + type-check throughput")
    p.add_argument("--runs", type=int, default=5, help="timed runs (median reported; default 5)")
    C.add_spec_options(p)
    p.add_argument("--spec", help="time this .iot file instead of a generated one")
    p.add_argument("--no-gc-row", action="store_true",
                   help="skip the extra row timed with the cyclic garbage collector off")
    p.add_argument("--profile", type=int, metavar="N", default=0,
                   help="also print the top N cProfile entries of compile_text (cumulative)")
    a = p.parse_args(argv)

    if a.spec:
        name = a.spec
        with open(a.spec, encoding="utf-8") as f:
            text = f.read()
    else:
        name = "generated.iot"
        text = gen_spec.generate(a.nodes, a.checks, a.lines, seed=a.seed)
    lines = text.count("\n") + (not text.endswith("\n"))
    mb = len(text.encode("utf-8")) / 1e6

    # Warm-up: builds (or loads from Lark's cache) the parser tables, imports everything.
    diags, spec = compile_text(text, name)
    errors = [d for d in diags if d.is_error]
    if errors or spec is None:
        print(f"the spec does not compile ({len(errors)} errors); first: {errors[:1]}",
              file=sys.stderr)
        return 2

    def compile_nogc():
        gc.disable()
        try:
            compile_text(text, name)
        finally:
            gc.enable()

    stages = {"parse only": lambda: parse(text, name),
              "parse + type-check": lambda: compile_text(text, name)}
    if not a.no_gc_row:
        stages["parse + type-check, gc off"] = compile_nogc
    wall: dict[str, list[float]] = {k: [] for k in stages}
    cpu: dict[str, list[float]] = {k: [] for k in stages}
    for _ in range(a.runs):  # interleaved, so that drifting machine load hits all alike
        for k, fn in stages.items():
            gc.collect()
            w, c = C.timed2(fn)
            wall[k].append(w)
            cpu[k].append(c)

    print(f"# bench_parse  {C.machine()}")
    print(f"spec: {name}: {lines:,} lines, {mb:.2f} MB, {len(spec.checks)} checks; "
          f"median of {a.runs} runs after 1 warm-up")

    def row(label, w, c):
        return [label, f"{w:.3f}", f"{c:.3f}", f"{lines / w:,.0f}", f"{lines / c:,.0f}",
                f"{mb / c:.2f}"]

    med_w = {k: C.median(v) for k, v in wall.items()}
    med_c = {k: C.median(v) for k, v in cpu.items()}
    rows = [row(k, med_w[k], med_c[k]) for k in stages]
    tw = med_w["parse + type-check"] - med_w["parse only"]
    tc = med_c["parse + type-check"] - med_c["parse only"]
    if tw > 0 and tc > 0:
        rows.insert(1, row("type-check (difference)", tw, tc))
    best = min(wall["parse + type-check"])
    print(C.table(["stage", "wall s", "CPU s", "lines/s wall", "lines/s CPU", "MB/s CPU"], rows))
    share = med_c["parse only"] / med_c["parse + type-check"]
    print(f"parse is {share:.0%} of parse + type-check (CPU); best wall run "
          f"{best:.3f} s = {lines / best:,.0f} lines/s")
    rate = lines / med_w["parse + type-check"]
    rate_cpu = lines / med_c["parse + type-check"]
    verdict = "MET" if rate >= GOAL_LINES_PER_S else "NOT MET"
    print(f"goal ≥ {GOAL_LINES_PER_S:,} lines/s parse + type-check: {verdict} "
          f"({rate:,.0f} lines/s wall, {rate_cpu:,.0f} lines/s CPU; "
          f"{rate_cpu / GOAL_LINES_PER_S:.2f}× the goal by CPU time)")

    if a.profile:
        import lark
        lark_dir = os.path.dirname(lark.__file__) + os.sep
        prof = cProfile.Profile()
        prof.enable()
        compile_text(text, name)
        prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("cumulative").print_stats(a.profile)
        stats.sort_stats("tottime").print_stats(a.profile)
        print(f"\ncProfile of compile_text: top {a.profile} by cumulative, then by own time "
              f"(profiled times are inflated by the profiler):")
        print("\n".join(line.replace(lark_dir, "lark/") for line in out.getvalue().splitlines()
                        if line.strip() and not line.startswith(("   List",))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
