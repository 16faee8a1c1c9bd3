"""The optimiser's compiled view of a :class:`~formalc.schedule.problem.Problem`.

Every technique of the engine reads the problem through :class:`Model`: demands and
capacities scaled to integers per dimension (exact, so Z3 and the local search agree with the
evaluator), the nodes each service may use, classes of interchangeable nodes, and each
objective level folded into one per-placement cost table plus peak and node-count terms.

A level ``k`` is ``const + Σ lin[i][j] over placed replicas + Σ w·peak(dims) + wn·nodes_used``.
:meth:`Model.levels` computes it exactly (Fractions); :class:`State` keeps loads and the float
value of every level up to date for the local searches, which only *propose* placements —
whatever they find is re-evaluated exactly before it counts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .problem import Problem


@dataclass(frozen=True)
class Level:
    """One objective level, folded: ``lin[i][j]`` is the cost of one replica of i on j."""
    const: Fraction
    lin: tuple[tuple[Fraction, ...], ...]
    peaks: tuple[tuple[Fraction, tuple[int, ...]], ...]   # (weight, dims)
    wn: Fraction                                           # weight of nodes_used
    text: str = ""

    @property
    def has_lin(self) -> bool:
        return any(any(row) for row in self.lin)


def _lcm_den(values) -> int:
    out = 1
    for v in values:
        out = out * v.denominator // math.gcd(out, v.denominator)
    return out


class Model:
    """Integer-scaled, pre-digested problem data (read-only after construction)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        p = problem
        self.S, self.N, self.D = p.n_services, p.n_nodes, len(p.dims)
        scale = [_lcm_den([Fraction(s.demand[d]) for s in p.services]
                          + [Fraction(n.cap[d]) for n in p.nodes]) for d in range(self.D)]
        self.scale = scale
        self.dem = [tuple(int(Fraction(s.demand[d]) * scale[d]) for d in range(self.D))
                    for s in p.services]
        self.cap = [tuple(int(Fraction(n.cap[d]) * scale[d]) for d in range(self.D))
                    for n in p.nodes]
        self.reps = [s.replicas for s in p.services]
        self.spread = [s.spread for s in p.services]
        self.cand = [[j for j in range(self.N) if not p.blocked[i][j]
                      and all(a <= c for a, c in zip(self.dem[i], self.cap[j]))]
                     for i in range(self.S)]
        self.cand_set = [frozenset(c) for c in self.cand]
        self.near: list[list[int]] = [[] for _ in range(self.S)]    # i must sit with these
        self.near_by: list[list[int]] = [[] for _ in range(self.S)]  # these must sit with i
        self.apart: list[set[int]] = [set() for _ in range(self.S)]
        for rule in p.affinities:
            for a, b in rule.pairs:
                if rule.kind == "near":
                    if a != b and b not in self.near[a]:
                        self.near[a].append(b)
                        self.near_by[b].append(a)
                else:
                    self.apart[a].add(b)
                    self.apart[b].add(a)
        self.levels = [self._fold(lin) for lin in p.objective]
        self.classes = self._node_classes()
        self.total_reps = sum(self.reps)

    # ------------------------------------------------------------------ objective
    def _fold(self, lin) -> Level:
        table = [[Fraction(0)] * self.N for _ in range(self.S)]
        peaks, wn = [], Fraction(0)
        for term, coef in lin.coefs:
            coef = Fraction(coef)
            if term.kind == "cost":
                t = self.problem.costs[term.name].table
                for i in range(self.S):
                    row = table[i]
                    for j in range(self.N):
                        row[j] += coef * Fraction(t[i][j])
            elif term.kind == "peak":
                peaks.append((coef, tuple(term.dims) or tuple(range(self.D))))
            elif term.kind == "nodes":
                wn += coef
            else:
                raise ValueError(f"unknown objective term {term.kind!r}")
        return Level(Fraction(lin.const), tuple(tuple(r) for r in table), tuple(peaks), wn,
                     lin.text)

    def level_value(self, k: int, placement) -> Fraction:
        """Exact value of level ``k`` for a (valid) placement."""
        lv = self.levels[k]
        loads = self.loads_of(placement)
        v = lv.const + sum((lv.lin[i][j] for i, w in enumerate(placement) for j in w),
                           Fraction(0))
        for wgt, dims in lv.peaks:
            v += wgt * self.peak_exact(loads, dims)
        if lv.wn:
            v += lv.wn * self.nodes_used(placement)   # by membership, as the evaluator counts
        return v

    def level_values(self, placement) -> list[Fraction]:
        return [self.level_value(k, placement) for k in range(len(self.levels))]

    def loads_of(self, placement) -> list[list[int]]:
        loads = [[0] * self.D for _ in range(self.N)]
        for i, where in enumerate(placement):
            for j in where:
                row, dm = loads[j], self.dem[i]
                for d in range(self.D):
                    row[d] += dm[d]
        return loads

    def peak_exact(self, loads, dims) -> Fraction:
        best = Fraction(0)
        for j in range(self.N):
            for d in dims:
                if self.cap[j][d] and loads[j][d]:
                    u = Fraction(loads[j][d], self.cap[j][d])
                    if u > best:
                        best = u
        return best

    def nodes_used(self, placement) -> int:
        return len({j for w in placement for j in w})

    # ------------------------------------------------------------------ structure
    def _node_classes(self) -> list[list[int]]:
        """Groups of nodes that no constraint or cost can tell apart (symmetric)."""
        key = {}
        for j in range(self.N):
            sig = (self.cap[j],
                   tuple(bool(self.problem.blocked[i][j]) for i in range(self.S)),
                   tuple(tuple(lv.lin[i][j] for i in range(self.S)) for lv in self.levels))
            key.setdefault(sig, []).append(j)
        return sorted(key.values())

    def valid(self, placement) -> bool:
        """The engine's own quick validity test (the evaluator is the authority)."""
        if placement is None or len(placement) != self.S:
            return False
        hosts = []
        for i, where in enumerate(placement):
            if len(where) != self.reps[i]:
                return False
            if self.spread[i] and len(set(where)) != len(where):
                return False
            if any(j not in self.cand_set[i] for j in where):
                return False
            hosts.append(set(where))
        loads = self.loads_of(placement)
        for j in range(self.N):
            if any(loads[j][d] > self.cap[j][d] for d in range(self.D)):
                return False
        for a in range(self.S):
            for b in self.near[a]:
                if not hosts[a] <= hosts[b]:
                    return False
            for b in self.apart[a]:
                if hosts[a] & hosts[b]:
                    return False
        return True


def canonical(placement) -> tuple:
    """The result's shape: per service a sorted tuple of node indices."""
    return tuple(tuple(sorted(w)) for w in placement)


class State:
    """A mutable placement with loads, per-node contents and float level values, for moves.

    ``where[i]`` lists service i's nodes (one entry per replica); ``count[j][i]`` how many
    replicas of i sit on j. Moves keep every hard constraint; :meth:`key` is the
    lexicographic objective in floats (exactness is restored by the caller)."""

    def __init__(self, m: Model, placement, upto: int | None = None):
        self.m = m
        self.upto = len(m.levels) if upto is None else upto
        self.where = [list(w) for w in placement]
        self.loads = m.loads_of(placement)
        self.count: list[dict[int, int]] = [dict() for _ in range(m.N)]
        for i, w in enumerate(self.where):
            for j in w:
                self.count[j][i] = self.count[j].get(i, 0) + 1
        self.flin = [[[float(c) for c in row] for row in lv.lin] for lv in m.levels]
        self.fcap = [[float(c) or 0.0 for c in cp] for cp in m.cap]
        self.lin_sum = [sum(self.flin[k][i][j] for i, w in enumerate(self.where) for j in w)
                        for k in range(len(m.levels))]
        self.cap_limit = [list(c) for c in m.cap]   # may be lowered (peak targets)

    # ------------------------------------------------------------------ values
    def util(self, j: int, dims) -> float:
        ld, cp = self.loads[j], self.m.cap[j]
        return max((ld[d] / cp[d] for d in dims if cp[d]), default=0.0)

    def level(self, k: int) -> float:
        lv = self.m.levels[k]
        v = float(lv.const) + self.lin_sum[k]
        for wgt, dims in lv.peaks:
            v += float(wgt) * max((self.util(j, dims) for j in range(self.m.N)), default=0.0)
        if lv.wn:
            v += float(lv.wn) * sum(1 for c in self.count if c)
        return v

    def key(self) -> tuple[float, ...]:
        return tuple(self.level(k) for k in range(self.upto))

    def placement(self) -> tuple:
        return canonical(self.where)

    # ------------------------------------------------------------------ moves
    def fits(self, i: int, j: int, extra=None) -> bool:
        ld, dm, lim = self.loads[j], self.m.dem[i], self.cap_limit[j]
        if extra is None:
            return all(ld[d] + dm[d] <= lim[d] for d in range(self.m.D))
        return all(ld[d] + dm[d] - extra[d] <= lim[d] for d in range(self.m.D))

    def can_host(self, i: int, j: int, leaving: int | None = None) -> bool:
        """Rules other than capacity for one more replica of i on j (``leaving``: a service
        whose replica leaves j at the same time)."""
        m = self.m
        if j not in m.cand_set[i]:
            return False
        c = self.count[j]
        if m.spread[i] and c.get(i, 0) - (1 if leaving == i else 0) > 0:
            return False
        for b in m.apart[i]:
            if c.get(b, 0) - (1 if leaving == b else 0) > 0:
                return False
        for b in m.near[i]:
            if c.get(b, 0) - (1 if leaving == b else 0) <= 0:
                return False
        return True

    def can_leave(self, i: int, j: int, arriving: int | None = None) -> bool:
        """One replica of i may leave j without stranding a service that must sit with it."""
        m = self.m
        if not m.near_by[i]:
            return True
        if self.count[j].get(i, 0) + (1 if arriving == i else 0) > 1:
            return True
        return not any(self.count[j].get(a, 0) for a in m.near_by[i] if a != arriving)

    def remove(self, i: int, j: int) -> None:
        self.where[i].remove(j)
        c = self.count[j]
        c[i] -= 1
        if not c[i]:
            del c[i]
        ld, dm = self.loads[j], self.m.dem[i]
        for d in range(self.m.D):
            ld[d] -= dm[d]
        for k in range(len(self.lin_sum)):
            self.lin_sum[k] -= self.flin[k][i][j]

    def add(self, i: int, j: int) -> None:
        self.where[i].append(j)
        c = self.count[j]
        c[i] = c.get(i, 0) + 1
        ld, dm = self.loads[j], self.m.dem[i]
        for d in range(self.m.D):
            ld[d] += dm[d]
        for k in range(len(self.lin_sum)):
            self.lin_sum[k] += self.flin[k][i][j]
