"""Reports of scheduling results: the human text (tables) and the JSON document.

A :class:`~formalc.schedule.result.Solution` is shown as its verdict line, the objective and
each cost term, the proof (or the bound and the gap), the placement (service → nodes), the
load of every node per resource dimension, and — for an infeasible problem — the explanation
with spec locations and the smallest relaxations.
"""
from __future__ import annotations

import json
from fractions import Fraction

from ..schedule.problem import Problem, Term
from ..schedule.result import FEASIBLE, INFEASIBLE, OPTIMAL, UNKNOWN, Explanation, Solution

_HEAD = {OPTIMAL: "optimal", FEASIBLE: "best found (not proved optimal)",
         INFEASIBLE: "infeasible", UNKNOWN: "unknown"}


def num(x) -> str:
    """A readable exact-ish number: integers as such, else up to 6 significant digits."""
    if x is None:
        return "—"
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):.6g}"


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def pct(x) -> str:
    return f"{float(x) * 100:.1f}%"


def _table(header: list[str], rows: list[list[str]], indent: str = "    ") -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    out = [indent + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    out.append(indent + "  ".join("─" * w for w in widths))
    for r in rows:
        out.append(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return out


def _term_value_text(sol: Solution, t: Term) -> str:
    v = sol.evaluation.terms.get(t) if sol.evaluation else None
    if v is None:
        return "—"
    if t.kind == "peak":
        where = peak_location(sol, t)
        return f"{num(v)} ({pct(v)}{', ' + where if where else ''})"
    return num(v)


def peak_location(sol: Solution, t: Term) -> str:
    """"memory on e3": where the peak utilisation is reached."""
    p, ev = sol.problem, sol.evaluation
    dims = t.dims or tuple(range(len(p.dims)))
    best, at = Fraction(-1), ""
    for j, n in enumerate(p.nodes):
        for d in dims:
            if n.cap[d] > 0 and ev.loads[j][d] / n.cap[d] > best:
                best, at = ev.loads[j][d] / n.cap[d], f"{p.dims[d].name} on {n.name}"
    return at


def solution_lines(sol: Solution, *, title: str | None = None) -> list[str]:
    p = sol.problem
    where = p.loc.where()
    lines = [f"schedule {title or p.name}{' (' + where + ')' if where else ''}: "
             f"{_HEAD[sol.status]}"]
    lines.append(f"  {_n(p.n_services, 'service')}, {_n(p.placements_count(), 'replica')}, "
                 f"{_n(p.n_nodes, 'node')}, {_n(len(p.dims), 'resource dimension')}")
    if sol.status in (OPTIMAL, FEASIBLE):
        lines += _objective_lines(sol)
        lines += ["", "  placement"]
        lines += _table(["service", "replicas", "nodes"],
                        [[s.name, str(s.replicas),
                          ", ".join(p.nodes[j].name for j in w) or "—"]
                         for s, w in zip(p.services, sol.placement)])
        lines += ["", "  nodes"]
        lines += node_table(sol)
    elif sol.status == INFEASIBLE:
        if sol.explanation is not None:
            lines += explanation_lines(sol.explanation)
        elif sol.reason:
            lines.append(f"  {sol.reason}")
    else:
        lines.append(f"  reason: {sol.reason or 'no placement and no proof within the limit'}")
    foot = f"  method: {sol.method or '—'}; {sol.elapsed:.2f} s"
    if sol.first_feasible_s is not None:
        foot += f" (first placement after {sol.first_feasible_s:.2f} s)"
    lines += ["", foot]
    return lines


def _objective_lines(sol: Solution) -> list[str]:
    p = sol.problem
    out: list[str] = []
    if not p.objective:
        out.append("  no objective: any placement that satisfies the constraints will do")
    for k, (lin, v) in enumerate(zip(p.objective, sol.levels)):
        label = "objective" if len(p.objective) == 1 else f"objective {k + 1} (lexicographic)"
        b = sol.bounds[k] if k < len(sol.bounds) else None
        out.append(f"  {label}: {lin.text or '…'} = {num(v)}")
        for t, c in lin.coefs:
            out.append(f"      {t.label():<12} = {_term_value_text(sol, t)}   (weight {num(c)})")
        if sol.status == FEASIBLE:
            gap = sol.gap(k)
            out.append(f"      proven lower bound {num(b)}"
                       + (f", gap {pct(gap)}" if gap is not None else ", no bound proven"))
    if sol.status == OPTIMAL and sol.proof:
        out.append(f"  proof of optimality: {sol.proof}")
    elif sol.status == FEASIBLE:
        if sol.reason:
            out.append(f"  note: {sol.reason}")
        if sol.proof:
            out.append(f"  bound: {sol.proof}")
    return out


def node_table(sol: Solution) -> list[str]:
    p, ev = sol.problem, sol.evaluation
    rows = []
    for j, n in enumerate(p.nodes):
        names = [s.name for s, w in zip(p.services, sol.placement) if j in w]
        cells = [n.name, str(len(names))]
        for d, dim in enumerate(p.dims):
            cap = n.cap[d]
            used = ev.loads[j][d]
            share = f" ({pct(used / cap)})" if cap else ""
            cells.append(f"{dim.fmt(used)} / {dim.fmt(cap)}{share}")
        rows.append(cells)
    return _table(["node", "replicas"] + [d.name for d in p.dims], rows)


def explanation_lines(why: Explanation) -> list[str]:
    out = ["  why:"]
    for r in why.reasons:
        locs = ", ".join(l.where() for l in r.locs if l.where())
        out.append(f"    - {r.message}" + (f"  [{locs}]" if locs else ""))
    if not why.complete:
        out.append("    (the core was not minimised within the time limit: it may name more "
                   "than is needed)")
    if why.relaxations:
        out.append("  smallest relaxations that make it feasible:")
        for x in why.relaxations:
            out.append(f"    - {x.message}")
    return out


# ---------------------------------------------------------------------------------- JSON
def _exact(x):
    if x is None:
        return None
    x = Fraction(x)
    return {"value": float(x), "exact": str(x)}


def solution_json(sol: Solution) -> dict:
    p = sol.problem
    doc: dict = {"schedule": p.name, "status": sol.status, "location": p.loc.where() or None,
                 "method": sol.method, "elapsed_s": round(sol.elapsed, 4),
                 "first_feasible_s": None if sol.first_feasible_s is None
                 else round(sol.first_feasible_s, 4),
                 "size": {"services": p.n_services, "replicas": p.placements_count(),
                          "nodes": p.n_nodes, "dims": [d.name for d in p.dims]}}
    if sol.reason:
        doc["reason"] = sol.reason
    if sol.status in (OPTIMAL, FEASIBLE):
        ev = sol.evaluation
        doc["objective"] = [
            {"level": k + 1, "text": lin.text, "value": _exact(v),
             "bound": _exact(sol.bounds[k] if k < len(sol.bounds) else None),
             "gap": None if sol.gap(k) is None else float(sol.gap(k)),
             "terms": [{"term": t.label(), "weight": _exact(c), "value": _exact(ev.terms[t])}
                       for t, c in lin.coefs]}
            for k, (lin, v) in enumerate(zip(p.objective, sol.levels))]
        doc["proof"] = sol.proof or None
        doc["placement"] = p.named(sol.placement)
        doc["nodes"] = [
            {"name": n.name,
             "services": [s.name for s, w in zip(p.services, sol.placement) if j in w],
             "load": {d.name: {"used": _exact(ev.loads[j][k]), "capacity": _exact(n.cap[k]),
                               "unit": d.unit}
                      for k, d in enumerate(p.dims)}}
            for j, n in enumerate(p.nodes)]
    if sol.explanation is not None:
        doc["explanation"] = sol.explanation.to_json()
    return doc


def render_json(docs: list[dict]) -> str:
    return json.dumps({"schedules": docs}, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------- failover
def failover_lines(problem: Problem, rep) -> list[str]:
    """The failover report of ``formalc solve --failover K``: the verdict, then one line per
    failure set (what moved, or why the stranded services cannot move), then the
    counterexample's explanation."""
    sets = f"{rep.total} failure set{'s' if rep.total != 1 else ''} of {rep.k} node" \
           f"{'s' if rep.k != 1 else ''}"
    head = {"proved": f"failover: proved — the placement survives each of the {sets}",
            "violated": f"failover: violated — not every one of the {sets} can be survived",
            }.get(rep.verdict, f"failover: unknown — {rep.reason or 'not decided in time'}")
    out = [head, f"  mode: {rep.mode} (" + ("replicas on surviving nodes stay, stranded ones "
                                           "move" if rep.mode == "stranded" else
                                           "everything may be placed again") + ")"]
    for note in rep.notes:
        out.append(f"  note: {note}")
    rows = []
    for c in rep.cases:
        failed = ", ".join(c.failed)
        if c.outcome == "survives":
            what = "; ".join(f"{m.service} → {m.to_node}" for m in c.moves) or "nothing stranded"
            rows.append([failed, "survives", what])
        elif c.outcome == "fails":
            rows.append([failed, "FAILS", "stranded: " + (", ".join(c.stranded) or "—")])
        else:
            rows.append([failed, "unknown", c.reason])
    if rows:
        out += _table(["failed", "outcome", "re-placement"], rows)
    ce = rep.counterexample
    if ce is not None and ce.explanation is not None:
        out.append(f"  counterexample: {' and '.join(ce.failed)} down; stranded: "
                   f"{', '.join(ce.stranded) or '—'}")
        out += explanation_lines(ce.explanation)
    return out


def failover_json(rep) -> dict:
    doc = rep.to_json()
    for c in doc.get("cases", []):
        c.pop("placement", None)       # one placement per case is too much for a report
    return doc
