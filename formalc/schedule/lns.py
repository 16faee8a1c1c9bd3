"""Large-neighbourhood search: free the replicas on a few nodes, let Z3 re-place them
optimally, keep the rest.

Each step picks an *area* of nodes — the nodes that hold the peak (a lower peak needs all of
them), the emptiest used nodes (to close one), and nodes that share candidate services with
them — frees every replica on it and asks :class:`~formalc.schedule.engine_z3.Encoding` for
a placement of those replicas inside the area that is strictly better on the level being
optimised, with earlier levels capped. ``sat`` moves to the better placement (and asks
again); ``unsat`` proves the area locally optimal; the area grows while Z3 answers quickly
and shrinks when it times out.
"""
from __future__ import annotations

import random
import time
from fractions import Fraction

from .engine_model import Model
from .engine_z3 import SAT, UNSAT, Encoding


class LNS:
    def __init__(self, m: Model, k: int, caps: list[Fraction], rng: random.Random,
                 seed: int = 0):
        self.m, self.k, self.caps, self.rng, self.seed = m, k, caps, rng, seed
        self.size = 3
        self.steps = self.wins = self.proofs = 0

    def _utils(self, loads, dims):
        m = self.m
        return [max((Fraction(loads[j][d], m.cap[j][d]) for d in dims if m.cap[j][d]),
                    default=Fraction(0)) for j in range(m.N)]

    def area(self, placement) -> list[int]:
        m, rng = self.m, self.rng
        loads = m.loads_of(placement)
        used = sorted({j for w in placement for j in w})
        chosen: list[int] = []
        lv = m.levels[self.k]
        for w, dims in lv.peaks:
            if w:
                u = self._utils(loads, dims)
                top = max(u, default=0)
                at_top = [j for j in range(m.N) if u[j] == top and top > 0]
                if len(at_top) <= self.size and rng.random() < 0.7:
                    chosen += at_top
        if lv.wn and used and rng.random() < 0.7:
            fill = {j: sum(loads[j][d] / m.cap[j][d] for d in range(m.D) if m.cap[j][d])
                    for j in used}
            light = sorted(used, key=lambda j: (fill[j], rng.random()))
            chosen.append(light[min(len(light) - 1, int(rng.random() ** 2 * len(light)))])
        if lv.has_lin and rng.random() < 0.6:
            self._regret_pair(placement, chosen)
        if not chosen:
            chosen.append(rng.choice(used if used and rng.random() < 0.8 else range(m.N)))
        # grow with nodes that could take the freed services
        pool = set()
        for j in chosen:
            for i, w in enumerate(placement):
                if j in w:
                    pool.update(m.cand[i])
        pool -= set(chosen)
        rest = sorted(pool) or [j for j in range(m.N) if j not in chosen]
        rng.shuffle(rest)
        for j in rest:
            if len(chosen) >= self.size:
                break
            chosen.append(j)
        return sorted(set(chosen))

    def _limit(self, placement, area):
        """For a level with one peak term: the highest utilisation outside the area (or,
        half the time, halfway up to the area's own peak) — the area must stay below it,
        which keeps the sub-problem pseudo-Boolean. None for other levels."""
        peaks = [(w, dims) for w, dims in self.m.levels[self.k].peaks if w]
        if len(peaks) != 1 or any(w for lv in self.m.levels[:self.k] for w, _ in lv.peaks):
            return None
        u = self._utils(self.m.loads_of(placement), peaks[0][1])
        inside = set(area)
        out = max((u[j] for j in range(self.m.N) if j not in inside), default=Fraction(0))
        top = max((u[j] for j in inside), default=Fraction(0))
        if top > out and self.rng.random() < 0.5:
            return out + (top - out) * Fraction(self.rng.randint(1, 3), 4)
        return max(out, top) if top <= out else out

    def _regret_pair(self, placement, chosen: list[int]) -> None:
        """Add the node of a replica that pays well above its cheapest allowed node, and one
        of those cheaper nodes: the area where a better exchange most likely exists."""
        m, rng, lin = self.m, self.rng, self.m.levels[self.k].lin
        regrets, total = [], 0.0
        for i, w in enumerate(placement):
            for j in w:
                r = float(lin[i][j] - min(lin[i][b] for b in m.cand[i]))
                if r > 0:
                    regrets.append((r, i, j))
                    total += r
        if not regrets:
            return
        x = rng.random() * total
        for r, i, j in regrets:
            x -= r
            if x <= 0:
                break
        cheaper = sorted((b for b in m.cand[i] if lin[i][b] < lin[i][j]),
                         key=lambda b: (lin[i][b], rng.random()))
        chosen.append(j)
        if cheaper:
            chosen.append(cheaper[min(len(cheaper) - 1, int(rng.random() ** 2 * len(cheaper)))])

    def step(self, placement, values, deadline: float, per_call: float):
        """One neighbourhood: (placement, values) — improved or unchanged."""
        m = self.m
        self.steps += 1
        area = self.area(placement)
        enc = Encoding(m, base=placement, area=area, seed=self.seed + self.steps,
                       levels=self.k + 1, peak_limit=self._limit(placement, area))
        for kk, cap in enumerate(self.caps[:self.k]):
            enc.cap_level(kk, cap)
        t0 = time.perf_counter()
        improved = False
        while True:
            left = min(per_call, deadline - time.perf_counter())
            if left <= 0.01:
                break
            status, got = enc.improve([values[self.k]], left, start=self.k)
            if status == SAT:
                if not m.valid(got):       # never trust a model blindly
                    break
                new = m.level_values(got)
                if new[self.k] >= values[self.k]:
                    break
                placement, values, improved = got, new, True
                continue
            if status == UNSAT:
                self.proofs += 1
            break
        took = time.perf_counter() - t0
        if improved:
            self.wins += 1
        if took < per_call / 4 and self.size < m.N:
            self.size += 1
        elif took >= per_call and self.size > 2:
            self.size -= 1
        return placement, values, improved
