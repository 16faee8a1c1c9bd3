"""Placements for ``Σ placement costs + w · peak``: search over the peak, prices from duality.

The level is cheap to optimise once the peak ``T`` is fixed — it becomes a min-cost
assignment with capacities ``T·cap`` — and the weight ``w`` says what a lower peak is worth.
So the search works on ``T``:

* :meth:`PeakSearch.build` assigns the largest services first, each to the allowed node of
  least *reduced* cost (placement cost plus the Lagrangian prices of the capacity it takes,
  from :mod:`engine_lagrange`) among those that still hold it below ``T``;
* :meth:`PeakSearch.cheapen` relocates and swaps replicas to lower the placement cost
  without letting any node pass ``T``;
* :meth:`PeakSearch.squeeze` lowers ``T`` step by step, moving the cheapest replicas off the
  nodes at the peak, as long as the peak saved outweighs the cost added.

All moves keep every hard constraint (capacity, allowed nodes, spread, near/apart through
:class:`~formalc.schedule.engine_model.State`); values are floats, the caller re-evaluates.
"""
from __future__ import annotations

import math
import random
import time

from .engine_model import Model, State


class PeakSearch:
    def __init__(self, m: Model, k: int, rng: random.Random):
        self.m, self.k, self.rng = m, k, rng
        lv = m.levels[k]
        (w, dims), = [(w, d) for w, d in lv.peaks if w]
        self.w, self.dims = float(w), dims
        self.lin = [[float(c) for c in row] for row in lv.lin]
        avg = [max(1, sum(m.cap[j][d] for j in range(m.N)) / max(1, m.N)) for d in range(m.D)]
        self.size = [max((m.dem[i][d] / avg[d] for d in range(m.D)), default=0.0)
                     for i in range(m.S)]

    # ------------------------------------------------------------------ values
    def util(self, st: State, j: int) -> float:
        ld, cp = st.loads[j], self.m.cap[j]
        return max((ld[d] / cp[d] for d in self.dims if cp[d]), default=0.0)

    def peak(self, st: State) -> float:
        return max((self.util(st, j) for j in range(self.m.N)), default=0.0)

    def lin_of(self, st: State) -> float:
        return sum(self.lin[i][j] for i, w in enumerate(st.where) for j in w)

    def total(self, st: State) -> float:
        return self.lin_of(st) + self.w * self.peak(st)

    def set_limit(self, st: State, T: float) -> None:
        m = self.m
        for j in range(m.N):
            lim = list(m.cap[j])
            for d in self.dims:
                lim[d] = min(lim[d], math.floor(T * m.cap[j][d] * (1 + 1e-12)))
            st.cap_limit[j] = lim

    # ------------------------------------------------------------------ construction
    def build(self, T: float | None, prices, deadline: float) -> State | None:
        """The most constrained and largest services first, each on the allowed node of least
        reduced cost that stays below T; a replica that fits nowhere below T goes where it
        raises the utilisation least (``T`` None: always so — a balanced, LPT-like start)."""
        m = self.m
        st = State(m, [[] for _ in range(m.S)], upto=self.k + 1)
        if T is not None:
            self.set_limit(st, T)
        order = sorted(range(m.S), key=lambda i: (len(m.cand[i]) // 3, -self.size[i],
                                                  self.rng.random()))
        first = [i for i in order if m.near_by[i]]   # near-targets first
        order = first + [i for i in order if not m.near_by[i]]
        for n, i in enumerate(order):
            if n % 32 == 0 and time.perf_counter() > deadline:
                return None
            dm = m.dem[i]
            for _r in range(m.reps[i]):
                best, bc = None, None
                if T is not None:
                    for j in m.cand[i]:
                        if not st.fits(i, j) or not st.can_host(i, j):
                            continue
                        c = self.lin[i][j]
                        if prices is not None:
                            pj, cp = prices[j], m.cap[j]
                            c += sum(pj[d] * dm[d] / cp[d] for d in self.dims if cp[d])
                        if bc is None or c < bc:
                            best, bc = j, c
                if best is None:
                    for j in m.cand[i]:
                        ld, cp = st.loads[j], m.cap[j]
                        if any(ld[d] + dm[d] > cp[d] for d in range(m.D)) \
                                or not st.can_host(i, j):
                            continue
                        c = (max(((ld[d] + dm[d]) / cp[d] for d in self.dims if cp[d]),
                                 default=0.0), self.lin[i][j])
                        if bc is None or c < bc:
                            best, bc = j, c
                if best is None:
                    return None
                st.add(i, best)
        self.set_limit(st, max(T or 0.0, self.peak(st)))
        return st

    # ------------------------------------------------------------------ local moves
    def cheapen(self, st: State, deadline: float) -> bool:
        """Relocations then swaps that lower the placement cost under the current limits."""
        m, lin = self.m, self.lin
        any_gain = False
        for _round in range(30):
            gain = False
            reps = [(i, j) for i in range(m.S) for j in set(st.where[i])]
            self.rng.shuffle(reps)
            for i, a in reps:
                if time.perf_counter() > deadline:
                    return any_gain
                if not st.count[a].get(i) or not st.can_leave(i, a):
                    continue
                best, bd = None, -1e-12
                for b in m.cand[i]:
                    dlt = lin[i][a] - lin[i][b]
                    if dlt > bd and b != a and st.fits(i, b) and st.can_host(i, b):
                        best, bd = b, dlt
                if best is not None:
                    st.remove(i, a)
                    if st.can_host(i, best):
                        st.add(i, best)
                        gain = True
                    else:
                        st.add(i, a)
            if not gain:
                gain = self._swap_pass(st, deadline)
            any_gain |= gain
            if not gain:
                break
        return any_gain

    def _swap_pass(self, st: State, deadline: float) -> bool:
        m, lin = self.m, self.lin
        reps = [(i, j) for i in range(m.S) for j in set(st.where[i])]
        gain = False
        for x, (i, a) in enumerate(reps):
            if time.perf_counter() > deadline:
                break
            for k, b in reps[x + 1:]:
                if a == b or i == k:
                    continue
                dlt = lin[i][a] + lin[k][b] - lin[i][b] - lin[k][a]
                if dlt <= 1e-12 or b not in m.cand_set[i] or a not in m.cand_set[k]:
                    continue
                if not st.count[a].get(i) or not st.count[b].get(k):
                    continue
                if not (st.fits(i, b, m.dem[k]) and st.fits(k, a, m.dem[i])):
                    continue
                if not (st.can_leave(i, a, arriving=k) and st.can_leave(k, b, arriving=i)):
                    continue
                st.remove(i, a)
                st.remove(k, b)
                if st.can_host(i, b) and st.can_host(k, a):
                    st.add(i, b)
                    st.add(k, a)
                    gain = True
                    break
                st.add(i, a)
                st.add(k, b)
        return gain

    def squeeze(self, st: State, deadline: float) -> bool:
        """Lower the peak while it pays: returns True when the total went down."""
        m = self.m
        cur = self.total(st)
        improved = False
        while time.perf_counter() < deadline:
            P = self.peak(st)
            if P <= 0:
                break
            utils = sorted({round(self.util(st, j), 12) for j in range(m.N)}, reverse=True)
            T = utils[1] if len(utils) > 1 and utils[1] > P * 0.98 else P * 0.998
            snap = [list(w) for w in st.where]
            self.set_limit(st, T)
            ok = self._unload(st, T, deadline)
            new = self.total(st) if ok else None
            if ok and new < cur - 1e-9:
                cur, improved = new, True
                continue
            # revert
            st.__init__(m, snap, st.upto)
            self.set_limit(st, P)
            break
        return improved

    def _unload(self, st: State, T: float, deadline: float) -> bool:
        """Bring every node within the limits by cheapest relocations (or swaps with a
        smaller replica); False when some node cannot be brought down."""
        m, lin = self.m, self.lin
        for j in range(m.N):
            guard = 0
            while any(st.loads[j][d] > st.cap_limit[j][d] for d in range(m.D)):
                guard += 1
                if guard > 50 or time.perf_counter() > deadline:
                    return False
                over = [d for d in range(m.D) if st.loads[j][d] > st.cap_limit[j][d]]
                best, bc = None, None
                for i in list(st.count[j]):
                    if not any(m.dem[i][d] for d in over) or not st.can_leave(i, j):
                        continue
                    for b in m.cand[i]:
                        if b == j or not st.fits(i, b) or not st.can_host(i, b):
                            continue
                        c = lin[i][b] - lin[i][j]
                        if bc is None or c < bc:
                            best, bc = (i, b), c
                if best is None:
                    return False
                i, b = best
                st.remove(i, j)
                st.add(i, b)
        return True

    # ------------------------------------------------------------------ drivers
    def polish(self, st: State, deadline: float) -> State:
        """cheapen ↔ squeeze until neither helps."""
        self.set_limit(st, self.peak(st))
        for _ in range(50):
            a = self.cheapen(st, deadline)
            b = self.squeeze(st, deadline)
            self.set_limit(st, self.peak(st))
            if not (a or b) or time.perf_counter() > deadline:
                break
        return st


class Sweep:
    """An exact sweep down the peak (the ε-constraint method), for problems Z3 can take whole.

    All peaks above ``b`` are *covered*: no placement with such a peak beats the best known.
    At each step Z3 minimises the placement cost with every node below ``b`` (a pure
    pseudo-Boolean problem): with the minimum ``c`` reached by a placement of peak ``p``,
    every placement with a peak in ``[min(p, (best − c)/w), b]`` costs at least the best, so
    ``b`` drops to there. When even the cheapest conceivable placement below ``b`` (cost
    below ``best − w·U_lo``) does not exist, everything is covered: the best is optimal."""

    def __init__(self, m: Model, k: int, u_lo, start, seed: int = 0):
        from fractions import Fraction
        self.m, self.k, self.seed = m, k, seed
        lv = m.levels[k]
        (self.w, _dims), = [(w, d) for w, d in lv.peaks if w]
        self.const = lv.const
        self.u_lo = Fraction(u_lo)
        self.b, self.strict = Fraction(start), False
        self.done = False
        self.steps = 0

    def step(self, best_total, deadline: float, offer) -> str:
        """One Pareto point: "covered" (optimal), "moved", "timeout"."""
        from .engine_z3 import SAT, UNSAT, Encoding
        m = self.m
        enc = Encoding(m, seed=self.seed + self.steps, symmetry=True, levels=self.k + 1,
                       peak_limit=self.b, peak_strict=self.strict)
        self.steps += 1
        # level value under the limit = const + lin + w·b; useless unless lin < best − w·U_lo
        target = best_total - self.w * self.u_lo + self.w * self.b
        got, lin_min, last = None, None, None
        while True:
            left = deadline - time.perf_counter()
            if left <= 0.01:
                return "timeout"
            status, pl = enc.improve([target], left, start=self.k)
            if status == UNSAT:
                break
            if status != SAT:
                return "timeout"
            vals = m.level_values(pl)
            offer(pl)
            best_total = min(best_total, vals[self.k])
            lin = vals[self.k] - self.const - self.w * self._peak(pl)
            got, last = pl, lin
            target = self.const + lin + self.w * self.b      # now: a strictly cheaper one
        if got is None:
            self.done = True            # nothing below b can beat the best: all covered
            return "covered"
        lin_min = last
        p = self._peak(got)
        new_b = min(p, (best_total - self.const - lin_min) / self.w)
        self.b, self.strict = max(self.u_lo, new_b), True
        if new_b <= self.u_lo:
            self.done = True
            return "covered"
        return "moved"

    def _peak(self, placement):
        lv = self.m.levels[self.k]
        (w, dims), = [(w, d) for w, d in lv.peaks if w]
        return self.m.peak_exact(self.m.loads_of(placement), dims)
