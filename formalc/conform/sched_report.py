"""The scheduler conformance report as text: a verdict line, the counts, the cost ratios,
one table row per instance, then each shrunk finding with its instance and replay transcript.
The JSON form is the results' own ``to_json`` (:mod:`formalc.conform.sched_results`)."""
from __future__ import annotations

import math
from fractions import Fraction

from ..schedule.problem import Problem
from .sched_results import Outcome, SchedulerReport, SchedulerRow


def num(x) -> str:
    """A cost for people: an integer exactly, otherwise 6 significant digits; ``—`` for none."""
    if x is None:
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.6g}"


def _ratio(x) -> str:
    if x is None:
        return "—"
    return "∞" if isinstance(x, float) and math.isinf(x) else f"{float(x):.3f}"


def _table(header: list[str], rows: list[list[str]], indent: str = "    ") -> list[str]:
    widths = [max([len(h)] + [len(r[k]) for r in rows]) for k, h in enumerate(header)]
    out = [indent + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
           indent + "  ".join("─" * w for w in widths)]
    out += [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return out


def _placement_text(p: Problem, placement) -> str:
    return "; ".join(f"{s} → {', '.join(ns) or '—'}" for s, ns in p.named(placement).items())


def _row_cells(r: SchedulerRow) -> list[str]:
    formalc = "—" if r.status is None else (
        f"{num(r.optimum[0])} {r.status}" if r.optimum else r.status)
    if r.status == "feasible" and r.bound is not None:
        formalc += f" (bound {num(r.bound)})"
    if r.violations:
        note = "; ".join(dict.fromkeys(b.constraint for b in r.violations))
    else:
        note = r.detail
    note = "; ".join([x for x in [note, *r.notes] if x])
    return [str(r.index), r.size(), r.outcome.value, num(r.levels[0]) if r.levels else "—",
            formalc, _ratio(r.ratio), note[:110] + ("…" if len(note) > 110 else "")]


def text_lines(rep: SchedulerReport, all_rows: bool) -> list[str]:
    """The lines of :meth:`SchedulerReport.to_text`."""
    s = rep.summary()
    n, f = s["instances"], s["findings"]
    verdict = "no finding" if not f else f"{f} finding{'s' if f != 1 else ''}"
    out = [f"scheduler {rep.scheduler}: {n} instance{'s' if n != 1 else ''}, {verdict}"
           + (f" (seed {rep.seed})" if rep.seed is not None else "")]
    labels = {Outcome.VALID: "valid placement", Outcome.VIOLATION: "breaks a hard constraint",
              Outcome.CRASHED: "crashed", Outcome.REFUSED_FEASIBLE: "refused a feasible instance",
              Outcome.REFUSED_INFEASIBLE: "refused an infeasible instance (correct)",
              Outcome.UNDECIDED: "refused, formalc undecided"}
    for o in Outcome:
        if s["outcomes"][o.value]:
            out.append(f"  {s['outcomes'][o.value]:>4}  {labels[o]}")
    for g, k in s["violated_constraints"].items():
        out.append(f"        {g}: broken on {k} instance{'s' if k != 1 else ''}")
    ra = s["ratio"]
    if ra["count"]:
        out.append(f"  cost / formalc's optimum: median {_ratio(ra['median'])}, max "
                   f"{_ratio(ra['max'])} over {ra['count']} placements "
                   f"({ra['proven']} against a proven optimum)")
    out.append(f"  formalc: {s['optima_proven']} optimum proven, {s['infeasible']} infeasible "
               f"proven, of {n}")
    if s["disagreements"]:
        out.append(f"  note: {s['disagreements']} instance(s) where the scheduler's valid "
                   "placement contradicts formalc's answer (a formalc bug: please report it)")
    sec = s["seconds"]
    out.append(f"  time: scheduler {sec['scheduler']:.3f} s, checks {sec['check']:.3f} s, "
               f"formalc {sec['formalc']:.2f} s, wall {sec['wall']:.2f} s "
               f"({s['instances_per_s']} instances/s)")
    rows = rep.rows if all_rows else rep.findings
    if rows:
        out += ["", "  instances"]
        out += _table(["#", "size", "outcome", "cost", "formalc", "ratio", "why"],
                      [_row_cells(r) for r in rows])
    for sh in rep.smallest:
        r = sh.row
        how = f"shrunk by Hypothesis ({sh.tried} instances tried)" if sh.shrunk else sh.note
        out += ["", (f"  smallest instance for {sh.target} — {how}: {r.size()}, "
                     f"outcome {r.outcome.value}")]
        p = r.problem
        for nd in p.nodes:
            cap = ", ".join(f"{d.name} {d.fmt(c)}" for d, c in zip(p.dims, nd.cap))
            attrs = " ".join(f"{k}={v}" for k, v in nd.attrs)
            out.append(f"    node {nd.name}: {cap}" + (f"  [{attrs}]" if attrs else ""))
        for i, sv in enumerate(p.services):
            dem = ", ".join(f"{d.name} {d.fmt(c)}" for d, c in zip(p.dims, sv.demand))
            allowed = [nd.name for j, nd in enumerate(p.nodes) if not p.blocked[i][j]]
            plural = "s" if sv.replicas != 1 else ""
            out.append(f"    service {sv.name}: {sv.replicas} replica{plural}"
                       f"{' on distinct nodes' if sv.spread and sv.replicas > 1 else ''}, {dem};"
                       f" allowed on {', '.join(allowed) or 'no node'}")
        for rule in p.affinities:
            for a, b in rule.pairs:
                out.append(f"    {rule.kind} {rule.name}: {p.services[a].name}, "
                           f"{p.services[b].name}")
        if r.placement is not None:
            out.append(f"    scheduler: {_placement_text(p, r.placement)}")
        elif r.detail:
            out.append(f"    scheduler: {r.detail}")
        for b in r.violations:
            out.append(f"    ✘ {b.constraint}: {b.message}")
        if r.formalc_placement is not None:
            out.append(f"    formalc ({r.status}): {_placement_text(p, r.formalc_placement)}")
        elif r.status:
            out.append(f"    formalc: {r.status}")
        out.append("    replay:")
        out += ["      " + ln for ln in sh.transcript.splitlines()]
    return out

