"""A lower bound for ``Σ placement costs + w · peak`` by Lagrangian relaxation over peak levels.

For a peak level ``U`` in an interval ``[a, b]`` every placed replica's own utilisation is at
most ``b``, so a service may only use nodes it fills to at most ``b`` alone. With multipliers
``π[j][d] ≥ 0`` on ``Σ_i dem[i][d]/cap[j][d] · x[i][j] ≤ U`` the problem splits:

    L(π) = Σ_i (its r cheapest reduced costs  lin[i][j] + Σ_d π[j][d]·dem[i][d]/cap[j][d])
           + min over U in [a, b] of U · (w − Σ π)

and ``L(π)`` is below the cost of every placement whose peak lies in ``[a, b]``, for *any*
``π ≥ 0`` (weak duality). Subgradient steps search for good ``π`` in floats; the bound that
is reported is recomputed exactly, in Fractions, from rounded multipliers — so floats never
enter the proof. Covering ``[U_lo, U_hi]`` with intervals (split where the bound is weakest,
an anytime branch-and-bound on ``U``) gives a bound on the whole level: below ``U_lo`` no
placement exists and above ``U_hi`` every placement costs at least the best one known.

The multipliers double as prices: :mod:`engine_peak` builds placements from reduced costs.
"""
from __future__ import annotations

import heapq
import time
from fractions import Fraction

from .engine_model import Model

_DEN = 1 << 30


class PeakLagrangian:
    """The bound for level ``lin + w·peak(dims)`` (other terms excluded)."""

    def __init__(self, m: Model, lin, w: Fraction, dims):
        self.m, self.lin, self.w, self.dims = m, lin, Fraction(w), tuple(dims)
        self.fw = float(w)
        self.keys = [(j, d) for j in range(m.N) for d in self.dims if m.cap[j][d]]
        self.kidx = {k: n for n, k in enumerate(self.keys)}
        # per service: [(own utilisation, j, float lin, ((key index, float a), ...))]
        self.pairs = []
        for i in range(m.S):
            row = []
            for j in m.cand[i]:
                own = max((Fraction(m.dem[i][d], m.cap[j][d]) for d in self.dims
                           if m.cap[j][d]), default=Fraction(0))
                coef = tuple((self.kidx[j, d], m.dem[i][d] / m.cap[j][d])
                             for d in self.dims if m.cap[j][d] and m.dem[i][d])
                row.append((own, j, float(lin[i][j]), coef))
            row.sort(key=lambda t: t[0])
            self.pairs.append(row)
        self.evals = 0
        self.stall_limit, self.decay = 40, 0.8

    # ------------------------------------------------------------------ one interval
    def _usable(self, b):
        return [[p for p in row if p[0] <= b] for row in self.pairs]

    def solve(self, a: Fraction, b: Fraction, pi=None, *, target: float, deadline: float,
              iters: int = 300, theta: float = 1.0):
        """Subgradient ascent on L over peaks in [a, b]: (best float L, its π) or
        (inf, None) when some service fits no node at that peak (the interval is empty)."""
        m = self.m
        usable = self._usable(b)
        for i in range(m.S):
            if m.reps[i] and len(usable[i]) < (m.reps[i] if m.spread[i] else 1):
                return float("inf"), None
        K = len(self.keys)
        pi = list(pi) if pi is not None else [0.0] * K
        fa, fb = float(a), float(b)
        best, best_pi = -float("inf"), list(pi)
        stall = 0
        for _it in range(iters):
            if time.perf_counter() > deadline:
                break
            val, grad = 0.0, [0.0] * K
            for i in range(m.S):
                r = m.reps[i]
                if not r:
                    continue
                row = usable[i]
                if r == 1 or not m.spread[i]:
                    bc, bp = None, None
                    for p in row:
                        c = p[2]
                        for k, x in p[3]:
                            c += pi[k] * x
                        if bc is None or c < bc:
                            bc, bp = c, p
                    val += r * bc
                    for k, x in bp[3]:
                        grad[k] += r * x
                else:
                    scored = []
                    for p in row:
                        c = p[2]
                        for k, x in p[3]:
                            c += pi[k] * x
                        scored.append((c, id(p), p))
                    for c, _, p in heapq.nsmallest(r, scored):
                        val += c
                        for k, x in p[3]:
                            grad[k] += x
            slope = self.fw - sum(pi)
            u = fa if slope >= 0 else fb
            val += u * slope
            for k in range(K):
                grad[k] -= u
            if val > best + 1e-12 * max(1.0, abs(val)):
                best, best_pi, stall = val, list(pi), 0
            else:
                stall += 1
                if stall >= self.stall_limit:
                    theta, stall = theta * self.decay, 0
                    if theta < 1e-4:
                        break
            norm = sum(g * g for g in grad)
            if norm <= 1e-18:
                break
            step = theta * max(target - val, 1e-6 * max(1.0, abs(val))) / norm
            pi = [max(0.0, p + step * g) for p, g in zip(pi, grad)]
        self.evals += 1
        return best, best_pi

    def exact(self, a: Fraction, b: Fraction, pi) -> Fraction | None:
        """L(π) in exact arithmetic for multipliers rounded down to multiples of 2⁻³⁰ per
        unit of capacity (any π ≥ 0 gives a valid bound); None: the interval is empty."""
        m = self.m
        rho = {}
        for k, (j, d) in enumerate(self.keys):
            if pi[k] > 0:
                rho[k] = Fraction(int(pi[k] / m.cap[j][d] * _DEN), _DEN)
        total = Fraction(0)
        for i in range(m.S):
            r = m.reps[i]
            if not r:
                continue
            costs = []
            for own, j, _f, coef in self.pairs[i]:
                if own > b:
                    break
                c = self.lin[i][j]
                for k, _x in coef:
                    if k in rho:
                        c += rho[k] * m.dem[i][self.keys[k][1]]
                costs.append(c)
            if len(costs) < (r if m.spread[i] else 1):
                return None
            costs.sort()
            total += sum(costs[:r]) if m.spread[i] else r * costs[0]
        spent = sum((rho[k] * m.cap[j][d] for k, (j, d) in enumerate(self.keys) if k in rho),
                    Fraction(0))
        slope = self.w - spent
        return total + (a if slope >= 0 else b) * slope

    def prices(self, pi):
        """Reduced-cost increments per (node, dim) unit of utilisation, for the heuristics."""
        out = [[0.0] * self.m.D for _ in range(self.m.N)]
        for k, (j, d) in enumerate(self.keys):
            out[j][d] = pi[k]
        return out


class PeakBound:
    """Anytime cover of ``[lo, hi]`` by intervals, each with an exact Lagrangian bound."""

    def __init__(self, lag: PeakLagrangian, lo: Fraction, hi: Fraction, beyond: Fraction):
        self.lag, self.beyond = lag, beyond   # beyond: a bound valid for every peak > hi
        self.leaves: list[list] = []          # [float bound, a, b, π, exact or None]
        self.lo, self.hi = lo, hi
        self.pi = None

    def start(self, target: float, deadline: float) -> None:
        v, pi = self.lag.solve(self.lo, self.hi, None, target=target, deadline=deadline,
                               iters=1500)
        self.pi = pi
        self.leaves = [[v, self.lo, self.hi, pi, None]]

    def refine(self, target: float, deadline: float, width: Fraction) -> None:
        """Split the weakest intervals until the deadline or until they are narrower than
        ``width`` (or no better than ``target``)."""
        while time.perf_counter() < deadline:
            open_ = [lf for lf in self.leaves if lf[0] < target and lf[2] - lf[1] > width]
            if not open_:
                return
            leaf = min(open_, key=lambda lf: lf[0])
            self.leaves.remove(leaf)
            mid = (leaf[1] + leaf[2]) / 2
            mid = Fraction(mid).limit_denominator(1 << 20)
            if not leaf[1] < mid < leaf[2]:
                mid = (leaf[1] + leaf[2]) / 2
            for a, b in ((leaf[1], mid), (mid, leaf[2])):
                v, pi = self.lag.solve(a, b, leaf[3], target=target, deadline=deadline,
                                       iters=200, theta=0.3)
                self.leaves.append([v, a, b, pi, None])
            if time.perf_counter() > deadline:
                return

    def value(self, deadline: float, below: Fraction | None = None,
              covered: Fraction | None = None) -> tuple[Fraction | None, Fraction | None]:
        """(exact bound over all peaks, None), computing the exact value of every leaf (an
        empty interval contributes nothing). Peaks from ``below`` up may be known to cost at
        least ``covered`` (an exact sweep): leaves wholly there are skipped."""
        out = self.beyond if covered is None else min(self.beyond, covered)
        for lf in self.leaves:
            if below is not None and lf[1] >= below:
                continue
            if lf[4] is None:
                if lf[3] is None:
                    lf[4] = "empty"
                elif time.perf_counter() > deadline:
                    return None, None
                else:
                    ex = self.lag.exact(lf[1], lf[2], lf[3])
                    lf[4] = "empty" if ex is None else ex
            if lf[4] != "empty":
                out = min(out, lf[4])
        return out, None
