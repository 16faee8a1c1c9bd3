"""``formalc extract`` on a generated 1 MB document with 2,000 display formulas.

    python benchmarks/bench_extract.py [--formulas 2000] [--size 1000000] [--repeats 3]

The document mixes the seed's shapes (tuples, enumerations, signatures, predicates, metrics,
objectives, functions given by their shape), quantified predicates and sums, formulas spread
over lines, some malformed formulas, code fences and HTML comments with `$$` inside, and
Chinese and English prose padding it to --size bytes. Prints the document's size, the
formula count and statuses, and the median (over --repeats) of: scanning, the whole
extraction (scan + parse + lower), the skeleton's rendering, and loading the skeleton as a
spec (`formalc.loads`, what `formalc extract -o` does to verify it).
Goal (issue 7): extraction in under 5 s.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import formalc
from formalc.extract import extract, skeleton
from formalc.extract.scan import scan

_WORDS = ["Container", "Image", "Runtime", "Namespace", "Cgroups", "Filesystem", "Network", "Layer", "Metadata", "Policy", "Node", "Service", "Edge", "Cloud", "Gateway", "Device", "Scheduler", "Registry", "Health", "Metric", "Trace", "Alert", "Profile", "Rule", "Seccomp", "Capability", "Volume", "Secret", "Quota", "Limit"]
_PROSE = ("容器化技术为IoT系统提供了可移植、可扩展和可管理的运行环境。"
          "The orchestrator places each service on an edge node that satisfies its constraints. ")


def _name(r: random.Random, k: int) -> str:
    return f"{r.choice(_WORDS)}{r.choice(_WORDS)}{k}"


def _formula(r: random.Random, k: int) -> str:
    a, b, c, d = (_name(r, k * 4 + j) for j in range(4))
    shape = k % 10
    if shape == 0:
        return f"$$\\mathcal{{X}}_{{{k}}} = ({a}, {b}, {c}, {d})$$"
    if shape == 1:
        return f"$${a} = \\{{{b}, {c}, {d}\\}}$$"
    if shape == 2:
        return f"$$f_{{{k}}}: {a} \\times {b} \\rightarrow {c}$$"
    if shape == 3:
        return f"$$Security_{{{k}}} = {a} \\land ({b} \\lor \\neg {c}) \\Rightarrow {d}$$"
    if shape == 4:
        return f"$$Level_{{{k}}} = \\frac{{{a}}}{{{b}}} \\times 100 + 0.5 \\cdot {c}$$"
    if shape == 5:
        return f"$$Objective_{{{k}}} = \\min(\\sum_{{i}} w_{{{k}}}_i \\times {a}_i)$$"
    if shape == 6:
        return f"$$Build_{{{k}}}(layers, config) = {a}$$"
    if shape == 7:
        return (f"$$\n Safe_{{{k}}} = \\forall n \\in {a}:\n  Healthy_{{{k}}}(n) "
                f"\\Rightarrow \\exists t \\in {b}: Tagged_{{{k}}}(n, t)\n$$")
    if shape == 8:
        return f"$$Load_{{{k}}} = \\sum_{{s \\in {a}}} demand_{{{k}}}(s)$$"
    return f"$$Broken_{{{k}}} = \\frac{{{a}}}{{{b}$$"          # unbalanced: unparsed


def document(formulas: int = 2000, size: int = 1_000_000, seed: int = 7) -> str:
    """A document of about ``size`` bytes with ``formulas`` display formulas."""
    r = random.Random(seed)
    per = max(1, formulas // 2)           # two formulas per definition
    body: list[str] = ["# 生成的形式化分析 (generated analysis)\n"]
    chunks: list[str] = []
    for k in range(per):
        lines = [f"## {k // 20 + 1}.{k % 20 + 1} Section {k}\n" if k % 20 == 0 else "",
                 f"**定义 {k // 20 + 1}.{k % 20 + 1}** (定义{k})" if k % 2 else
                 f"**Definition {k // 20 + 1}.{k % 20 + 1}** (Definition {k})",
                 _formula(r, 2 * k), "", "其中：", _formula(r, 2 * k + 1), ""]
        if k % 25 == 0:
            lines += ["```", "$$ not math $$", "```", "<!-- $$ nor this $$ -->", ""]
        chunks.append("\n".join(lines))
    text = "\n".join(body + chunks)
    pad = max(0, size - len(text.encode("utf-8")))
    unit = _PROSE.encode("utf-8")
    para = (_PROSE * (pad // len(unit) // per + 1)) if pad else ""
    out = body + [c + para + "\n" for c in chunks]
    return "\n".join(out)[: size * 2]


def _median(f, repeats: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--formulas", type=int, default=2000)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    text = document(args.formulas, args.size)
    size = len(text.encode("utf-8"))
    t_scan, _ = _median(lambda: scan(text), args.repeats)
    t_extract, doc = _median(lambda: extract(text, "generated.md"), args.repeats)
    t_skel, skel = _median(lambda: skeleton(doc), args.repeats)
    t_load, _ = _median(lambda: formalc.loads(skel, "skeleton.iot"), 1)
    statuses = {"parsed": 0, "partial": 0, "unparsed": 0}
    for f in doc.formulas():
        statuses[f.status] += 1
    print(f"document: {size / 1e6:.2f} MB, {len(text.splitlines())} lines, "
          f"{len(doc.definitions)} blocks, {len(doc.formulas())} formulas "
          f"({statuses['parsed']} parsed, {statuses['partial']} partial, "
          f"{statuses['unparsed']} unparsed), {len(doc.decls())} declarations")
    print(f"scan:      {t_scan * 1000:8.1f} ms   (median of {args.repeats})")
    print(f"extract:   {t_extract * 1000:8.1f} ms   (scan + parse + lower; goal < 5000 ms)")
    print(f"skeleton:  {t_skel * 1000:8.1f} ms   ({len(skel) / 1e3:.0f} kB of .iot)")
    print(f"loads:     {t_load * 1000:8.1f} ms   (the skeleton type-checked as a spec, once)")
    print(f"per formula: {t_extract / max(1, len(doc.formulas())) * 1e6:.0f} µs")
    return 0 if t_extract < 5.0 else 1


if __name__ == "__main__":
    sys.exit(main())
