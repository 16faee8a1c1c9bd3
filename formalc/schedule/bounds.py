"""Proven lower bounds on objective levels, each with the sentence that proves it.

Every bound here holds for *every* placement that satisfies the hard constraints, so an
objective value that meets it is optimal. They are exact (Fractions) and cheap:

* **placement cost** — each service pays at least its ``replicas`` cheapest allowed nodes
  (distinct ones when spread);
* **peak utilisation** — every replica sits somewhere, so the peak is at least a service's
  own share of its best node; and every group of services confined to a set of nodes loads
  that set at least on average (``Σ demand / Σ capacity``);
* **nodes used** — volume (the fewest nodes whose capacities can hold the total demand, per
  dimension, and per group of services confined to a set of nodes), the replicas of a spread
  service, and Martello–Toth's L2 on identical nodes.

The joint cost+peak bound lives in :mod:`engine_lagrange`, the exact-fill argument in
:mod:`patterns`; both feed :class:`Bound` too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .engine_model import Level, Model


@dataclass(frozen=True)
class Bound:
    value: Fraction
    proof: str


def lin_lb(m: Model, lin) -> Fraction:
    """Σ over services of its cheapest allowed replica placements."""
    total = Fraction(0)
    for i in range(m.S):
        r = m.reps[i]
        if not r:
            continue
        costs = sorted(lin[i][j] for j in m.cand[i])
        if not costs:
            continue
        total += sum(costs[:r]) if m.spread[i] else r * costs[0]
    return total


def _groups(m: Model, limit: int = 200) -> list[tuple[frozenset, list[int]]]:
    """(node set C, services whose allowed nodes all lie in C) for distinct candidate sets."""
    sets = sorted({m.cand_set[i] for i in range(m.S) if m.reps[i]}, key=len)[:limit]
    every = frozenset(range(m.N))
    if every not in sets:
        sets.append(every)
    out = []
    for c in sets:
        members = [i for i in range(m.S) if m.reps[i] and m.cand_set[i] <= c]
        if members and c:
            out.append((c, members))
    return out


def peak_lb(m: Model, dims) -> tuple[Fraction, str]:
    """A lower bound on max over nodes and ``dims`` of load/capacity, and why."""
    best, why = Fraction(0), ""
    for i in range(m.S):
        r = m.reps[i]
        if not r or not m.cand[i]:
            continue
        own = sorted(max((Fraction(m.dem[i][d], m.cap[j][d]) for d in dims if m.cap[j][d]),
                         default=Fraction(0)) for j in m.cand[i])
        v = own[min(r, len(own)) - 1] if m.spread[i] else own[0]
        if v > best:
            best = v
            why = (f"service {m.problem.services[i].name} alone loads its best allowed node "
                   f"to {float(v):.2%}")
    for c, members in _groups(m):
        for d in dims:
            cap = sum(m.cap[j][d] for j in c)
            if not cap:
                continue
            v = Fraction(sum(m.dem[i][d] * m.reps[i] for i in members), cap)
            if v > best:
                best = v
                what = "all services" if len(c) == m.N else f"the {len(members)} services " \
                                                            f"confined to {len(c)} nodes"
                why = (f"{what} need {float(v):.2%} of those nodes' "
                       f"{m.problem.dims[d].name} on average")
    return best, why


def _fewest_nodes(caps: list[int], need: int) -> int | None:
    """The fewest of ``caps`` whose sum reaches ``need`` (None: even all do not)."""
    if need <= 0:
        return 0
    acc = 0
    for k, c in enumerate(sorted(caps, reverse=True), 1):
        acc += c
        if acc >= need:
            return k
    return None


def _l2(sizes: list[int], cap: int) -> int:
    """Martello–Toth L2 for one dimension of identical bins of capacity ``cap``."""
    if cap <= 0 or not sizes:
        return 0
    best = 0
    for alpha in sorted({s for s in sizes if s <= cap // 2} | {0}):
        j1 = [s for s in sizes if s > cap - alpha]
        j2 = [s for s in sizes if cap // 2 < s <= cap - alpha]
        j3 = [s for s in sizes if alpha <= s <= cap // 2]
        free = len(j2) * cap - sum(j2)
        extra = max(0, math.ceil((sum(j3) - free) / cap))
        best = max(best, len(j1) + len(j2) + extra)
    return best


def nodes_lb(m: Model) -> tuple[int, str]:
    """A lower bound on the number of nodes used, and why."""
    best, why = 0, "no replica needs a node"
    if m.total_reps:
        best, why = 1, "at least one replica must run somewhere"
    for i in range(m.S):
        if m.spread[i] and m.reps[i] > best:
            best = m.reps[i]
            why = f"service {m.problem.services[i].name} has {m.reps[i]} replicas on distinct nodes"
    for c, members in _groups(m):
        for d in range(m.D):
            need = sum(m.dem[i][d] * m.reps[i] for i in members)
            k = _fewest_nodes([m.cap[j][d] for j in c], need)
            if k is not None and k > best:
                best = k
                who = "all services" if len(c) == m.N else \
                    f"the {len(members)} services confined to {len(c)} nodes"
                why = (f"volume bound: Σ {m.problem.dims[d].name} of {who} needs ≥ {k} nodes "
                       f"even of the largest")
    if len(m.classes) == 1 and m.N:
        cap = m.cap[0]
        for d in range(m.D):
            sizes = [m.dem[i][d] for i in range(m.S) for _ in range(m.reps[i])]
            if len(sizes) > 600:
                break
            k = _l2(sizes, cap[d])
            if k > best:
                best = k
                why = f"Martello–Toth bound on {m.problem.dims[d].name}: ≥ {k} nodes"
    return best, why


def simple_level_bound(m: Model, lv: Level) -> Bound:
    """const + cheapest placements + weight × peak bound + weight × node bound."""
    value = lv.const
    parts = []
    if lv.has_lin:
        c = lin_lb(m, lv.lin)
        value += c
        parts.append(f"every service on its cheapest allowed nodes costs ≥ {float(c):.6g}")
    for w, dims in lv.peaks:
        if w:
            p, why = peak_lb(m, dims)
            value += w * p
            if why:
                parts.append(f"peak ≥ {float(p):.4g} ({why})")
    if lv.wn:
        k, why = nodes_lb(m)
        value += lv.wn * k
        parts.append(why)
    return Bound(value, "; ".join(parts) or "the level is a constant")
