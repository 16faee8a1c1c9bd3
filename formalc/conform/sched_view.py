"""What a scheduler sees and what it answers: the plain-data view of a problem, its answer
as a formalc placement, and the evaluator's violations as named :class:`Broken` constraints."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..schedule.evaluate import Evaluation
from ..schedule.problem import Problem
from .sched_results import Broken


def _plain(x: Fraction) -> int | float:
    x = Fraction(x)
    return x.numerator if x.denominator == 1 else float(x)


def plain_view(problem: Problem) -> dict:
    """The problem as plain Python data (dicts, lists, str, int, float, bool): what a
    scheduler called with ``view="plain"`` receives. Quantities are in the dimension's base
    unit (cores, bytes, seconds, bytes per second), whole numbers as ``int``.

    ``allowed`` lists the nodes no requirement forbids for the service (capacity is the
    scheduler's business); ``near`` says each replica of ``service`` must share a node with
    ``with``, ``apart`` that they never share one. ``objective`` has one entry per level
    (minimised lexicographically): the per-replica cost of every (service, node) pair (the
    sum of the level's weighted cost terms), the weight of the peak utilisation (the largest
    load/capacity over nodes and ``peak_dims``) and of the number of nodes used."""
    dims = [d.name for d in problem.dims]
    levels = []
    for lin in problem.objective:
        per = {s.name: {n.name: Fraction(0) for n in problem.nodes} for s in problem.services}
        peak, peak_dims, nodes_used = Fraction(0), set(), Fraction(0)
        for t, c in lin.coefs:
            if t.kind == "cost":
                table = problem.costs[t.name].table
                for i, s in enumerate(problem.services):
                    for j, n in enumerate(problem.nodes):
                        per[s.name][n.name] += c * table[i][j]
            elif t.kind == "peak":
                peak += c
                peak_dims |= set(t.dims or range(len(dims)))
            else:
                nodes_used += c
        levels.append({"text": lin.text,
                       "per_replica": {s: {n: _plain(v) for n, v in row.items()}
                                       for s, row in per.items()},
                       "peak": _plain(peak), "peak_dims": [dims[d] for d in sorted(peak_dims)],
                       "nodes_used": _plain(nodes_used), "const": _plain(lin.const)})
    aff = {"near": [], "apart": []}
    for rule in problem.affinities:
        for a, b in rule.pairs:
            aff[rule.kind].append({"rule": rule.name, "service": problem.services[a].name,
                                   "with": problem.services[b].name})
    return {
        "name": problem.name, "dims": dims,
        "nodes": [{"name": n.name, "capacity": dict(zip(dims, map(_plain, n.cap))),
                   "attrs": dict(n.attrs)} for n in problem.nodes],
        "services": [{"name": s.name, "demand": dict(zip(dims, map(_plain, s.demand))),
                      "replicas": s.replicas, "spread": s.spread,
                      "allowed": [n.name for j, n in enumerate(problem.nodes)
                                  if not problem.blocked[i][j]],
                      "attrs": dict(s.attrs)} for i, s in enumerate(problem.services)],
        "near": aff["near"], "apart": aff["apart"], "objective": levels}


def to_placement(problem: Problem, answer: Any) -> tuple[tuple | None, list[Broken]]:
    """A scheduler's answer as a formalc placement (per service, sorted node indices), or
    ``(None, [what is wrong with its shape])``. Accepted: ``{service: [node, …]}`` or a
    sequence with one entry per service; nodes by name or index. A service left out of a
    mapping gets no replicas (the evaluator then names ``replicas of …``)."""
    si, nj = problem.index()
    bad: list[Broken] = []

    def node(x, s: str) -> int | None:
        if isinstance(x, str) and x in nj:
            return nj[x]
        if isinstance(x, int) and not isinstance(x, bool) and 0 <= x < problem.n_nodes:
            return x
        bad.append(Broken("shape", f"unknown node {x!r}", f"{s}: no node {x!r} in the "
                          f"problem (nodes: {', '.join(nj)})", s))
        return None

    def nodes(where, s: str) -> tuple[int, ...]:
        if isinstance(where, (str, int)):
            where = [where]
        if not isinstance(where, Iterable):
            bad.append(Broken("shape", f"nodes of {s}", f"{s}: expected a list of nodes, got "
                              f"{type(where).__name__}", s))
            return ()
        got = [node(x, s) for x in where]
        return tuple(sorted(j for j in got if j is not None))

    out: list[tuple[int, ...]] = [() for _ in problem.services]
    if isinstance(answer, Mapping):
        for s, where in answer.items():
            if s not in si:
                bad.append(Broken("shape", f"unknown service {s!r}", f"no service {s!r} in "
                                  f"the problem (services: {', '.join(si)})", str(s)))
                continue
            out[si[s]] = nodes(where, s)
    elif isinstance(answer, Sequence) and not isinstance(answer, str) \
            and len(answer) == problem.n_services:
        for k, (s, where) in enumerate(zip(problem.services, answer)):
            out[k] = nodes(where, s.name)
    else:
        what = f"a sequence of {len(answer)}" if isinstance(answer, Sequence) \
            else type(answer).__name__
        bad.append(Broken("shape", "placement", f"expected {{service: [node, …]}} or one entry "
                          f"per service ({problem.n_services}), got {what}"))
    return (None, bad) if bad else (tuple(out), [])


_RULE = re.compile(r"`([^`]+)`")


def name_violations(problem: Problem, ev: Evaluation) -> list[Broken]:
    """The evaluator's violations, each naming its constraint."""
    nj = problem.index()[1]
    out: list[Broken] = []
    seen_cap: dict[str, int] = {}
    for v in ev.violations:
        rule = None
        if v.kind in ("requirement", "near", "apart"):
            m = _RULE.findall(v.message)
            rule = m[-1] if m else None
        if v.kind == "capacity":
            j = nj[v.node]
            over = [d.name for d, load, cap in zip(problem.dims, ev.loads[j], problem.nodes[j].cap)
                    if load > cap]
            k = seen_cap.get(v.node, 0)
            seen_cap[v.node] = k + 1
            dim = over[k] if k < len(over) else None
            out.append(Broken("capacity", f"capacity {dim} on {v.node}", v.message, None,
                              v.node, dim))
        elif v.kind == "requirement":
            out.append(Broken("requirement", f"requirement {rule}: {v.service} on {v.node}",
                              v.message, v.service, v.node, rule=rule))
        elif v.kind in ("near", "apart"):
            out.append(Broken(v.kind, f"{v.kind} {rule}: {v.service} on {v.node}", v.message,
                              v.service, v.node, rule=rule))
        elif v.kind == "distinct":
            out.append(Broken("spread", f"spread of {v.service}", v.message, v.service))
        elif v.kind == "replicas":
            out.append(Broken("replicas", f"replicas of {v.service}", v.message, v.service))
        else:
            out.append(Broken(v.kind, v.kind, v.message, v.service, v.node))
    return out
