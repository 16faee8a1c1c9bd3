"""A lower bound for ``Σ placement costs + w · peak`` that keeps the node capacities.

For peaks in an interval ``[a, b]`` every node holds at most ``⌊b · cap[j][d]⌋`` in every
dimension. Relaxing instead the *assignment* rows ("service i placed exactly ``r_i`` times")
with free multipliers ``λ_i`` splits the problem into one knapsack per node:

    L(λ) = w·a + Σ_i r_i·λ_i − Σ_j V_j(λ),
    V_j(λ) ≥ max { Σ_i (λ_i − lin[i][j]) · x_i : x fits node j at ``b``, x_i ≤ 1 (spread) }

and ``L(λ)`` is below the cost of every placement whose peak lies in ``[a, b]``, for any λ
(weak duality), as long as ``V_j`` is an *upper* bound on the node's best knapsack. ``V_j`` is
computed by a depth-first branch and bound on the multi-dimensional 0-1 knapsack whose bound
at every tree node is the smallest, over dimensions, single-dimension fractional (Dantzig)
bound; when its node budget runs out an unexplored subtree contributes its Dantzig bound, so
the result stays an upper bound. Unlike the capacity-pricing Lagrangian of
:mod:`engine_lagrange` (whose subproblem is integral, so it can be no better than the linear
relaxation), this one sees that a replica cannot be split between nodes.

Multipliers are searched by subgradient in floats; the reported bound is recomputed exactly
(Fractions, multipliers rounded to multiples of 2⁻³⁰) so no float enters a proof.
:func:`tighten` raises the peak-interval cover of :mod:`engine_lagrange` with it, starting
the multipliers from that bound's capacity prices.
"""
from __future__ import annotations

import time
from fractions import Fraction

from .engine_model import Model

_DEN = 1 << 30


class NodeKnapsack:
    """Upper bound on one node's best 0-1 knapsack, multi-dimensional, by branch and bound."""

    def __init__(self, budget: int = 400):
        self.budget = budget

    def solve(self, items, room, zero, budget: int | None = None,
              deadline: float | None = None):
        """``items``: [(profit > 0, weights tuple, tag)]; ``room``: capacity per dimension.
        Returns (upper bound, tags of the best packing found). Past ``deadline`` the search
        stops branching (the bound stays valid, only looser)."""
        # a surrogate dimension: Σ_d weight_d / room_d ≤ (number of dims with room); every
        # packing meets it, so its fractional bound is valid too (and often the tightest)
        flt = isinstance(zero, float)
        scale = [(1.0 / r if flt else Fraction(1, r)) if r else 0 for r in room]
        items = [(p, tuple(wt) + (sum(x * y for x, y in zip(wt, scale)),), tag)
                 for p, wt, tag in items]
        room = tuple(room) + (sum(1 for r in room if r),)
        D = len(room)
        # branch in order of surrogate density
        items.sort(key=lambda t: -(t[0] / t[1][-1]) if t[1][-1] else -float("inf"))
        n = len(items)
        P = [t[0] for t in items]
        W = [t[1] for t in items]
        orders = []
        for d in range(D):
            orders.append(sorted(range(n), key=lambda t: -(P[t] / W[t][d]) if W[t][d]
                                 else -float("inf")))
        left = [budget if budget is not None else self.budget]
        best = [zero, []]

        def bound(k, rm, acc):
            fits = [False] * n
            for t in range(k, n):
                wt = W[t]
                fits[t] = all(x <= r for x, r in zip(wt, rm))
            v_min = None
            for d in range(D):
                v, cap = acc, rm[d]
                for t in orders[d]:
                    if not fits[t]:
                        continue
                    wd = W[t][d]
                    if wd <= cap:
                        v += P[t]
                        cap -= wd
                    else:
                        v += P[t] * cap / wd
                        break
                if v_min is None or v < v_min:
                    v_min = v
            return v_min

        def dfs(k, rm, acc, taken):
            if acc > best[0]:
                best[0], best[1] = acc, list(taken)
            while k < n and any(W[k][e] > rm[e] for e in range(D)):
                k += 1                       # items that no longer fit are out
            if k >= n:
                return acc
            ub = bound(k, rm, acc)
            if ub <= best[0] or left[0] <= 0:
                return ub                    # pruned or unexplored: the relaxation bounds it
            left[0] -= 1
            if deadline is not None and left[0] % 32 == 0 and time.perf_counter() > deadline:
                left[0] = 0
            taken.append(items[k][2])
            in_ub = dfs(k + 1, tuple(r - x for r, x in zip(rm, W[k])), acc + P[k], taken)
            taken.pop()
            out_ub = dfs(k + 1, rm, acc, taken)
            return max(in_ub, out_ub)

        ub = dfs(0, room, zero, [])
        return max(ub, best[0]), best[1]


class KnapsackLagrangian:
    """The bound for level ``lin + w·peak(dims)`` with node capacities kept."""

    def __init__(self, m: Model, lin, w: Fraction, dims, budget: int = 300):
        self.m, self.lin, self.w, self.dims = m, lin, Fraction(w), tuple(dims)
        self.fw = float(w)
        self.own = [[max((Fraction(m.dem[i][d], m.cap[j][d]) for d in self.dims
                          if m.cap[j][d]), default=Fraction(0)) for j in range(m.N)]
                    for i in range(m.S)]
        self.flin = [[float(lin[i][j]) for j in range(m.N)] for i in range(m.S)]
        self.kn = NodeKnapsack(budget)
        self.evals = 0
        self.stall_limit, self.decay = 20, 0.8

    # a copy of a service with r replicas that may share a node: r unit items
    def _copies(self, i):
        return 1 if self.m.spread[i] else self.m.reps[i]

    def _room(self, j, b):
        m = self.m
        return tuple(min(m.cap[j][d], (b * m.cap[j][d]).__floor__()) if d in self.dims
                     else m.cap[j][d] for d in range(m.D))

    def _value(self, a, b, lam, exact: bool, budget=None, deadline=None):
        """(L(λ), per service the number of its copies in the node packings found)."""
        m = self.m
        zero = Fraction(0) if exact else 0.0
        total = (self.w * a) if exact else self.fw * float(a)
        count = [0] * m.S
        for i in range(m.S):
            total += m.reps[i] * lam[i]
        for j in range(m.N):
            items = []
            for i in range(m.S):
                if not m.reps[i] or j not in m.cand_set[i] or self.own[i][j] > b:
                    continue
                p = lam[i] - (self.lin[i][j] if exact else self.flin[i][j])
                if p > 0:
                    for c in range(self._copies(i)):
                        items.append((p, m.dem[i], i))
            if not items:
                continue
            ub, got = self.kn.solve(items, self._room(j, b), zero, budget, deadline)
            total -= ub
            for i in got:
                count[i] += 1
        return total, count

    def lam_from_prices(self, prices, b):
        """Multipliers from capacity prices (``prices[j][d]`` per unit of utilisation, as
        :meth:`engine_lagrange.PeakLagrangian.prices` gives): each service's marginal
        reduced cost, the linear relaxation's dual of its assignment row. A start only."""
        m = self.m
        lam = []
        for i in range(m.S):
            cs = sorted(self.flin[i][j] + sum(prices[j][d] * m.dem[i][d] / m.cap[j][d]
                                              for d in self.dims if m.cap[j][d])
                        for j in m.cand[i] if self.own[i][j] <= b)
            if not cs or not m.reps[i]:
                lam.append(0.0)
                continue
            r = m.reps[i] if m.spread[i] else 1
            lam.append(cs[min(r, len(cs)) - 1])
        return lam

    def usable(self, b) -> bool:
        m = self.m
        for i in range(m.S):
            if m.reps[i]:
                n = sum(1 for j in m.cand[i] if self.own[i][j] <= b)
                if n < (m.reps[i] if m.spread[i] else 1):
                    return False
        return True

    def solve(self, a, b, lam=None, *, target: float, deadline: float, iters: int = 60,
              theta: float = 1.0):
        """Subgradient ascent on L(λ) for peaks in [a, b]: (best float value, its λ), or
        (inf, None) when the interval holds no placement."""
        m = self.m
        if not self.usable(b):
            return float("inf"), None
        if lam is None:
            # start: each service's cheapest usable cost (the assignment-only bound)
            lam = []
            for i in range(m.S):
                cs = sorted(self.flin[i][j] for j in m.cand[i] if self.own[i][j] <= b)
                lam.append(cs[0] if cs else 0.0)
        lam = list(lam)
        best, best_lam, stall = -float("inf"), list(lam), 0
        for _ in range(iters):
            if time.perf_counter() > deadline:
                break
            val, count = self._value(a, b, lam, False)
            self.evals += 1
            if val > best + 1e-9 * max(1.0, abs(val)):
                best, best_lam, stall = val, list(lam), 0
            else:
                stall += 1
                if stall >= self.stall_limit:
                    theta, stall = theta * self.decay, 0
                    if theta < 1e-3:
                        break
            g = [m.reps[i] - count[i] for i in range(m.S)]
            norm = sum(x * x for x in g)
            if norm == 0:
                break
            step = theta * max(target - val, 1e-6 * max(1.0, abs(val))) / norm
            lam = [x + step * y for x, y in zip(lam, g)]
        return best, best_lam

    def exact(self, a: Fraction, b: Fraction, lam) -> Fraction | None:
        """L(λ) in exact arithmetic for λ rounded to multiples of 2⁻³⁰ (every λ is valid);
        None when the interval holds no placement."""
        if lam is None or not self.usable(b):
            return None
        q = [Fraction(int(x * _DEN), _DEN) for x in lam]
        val, _ = self._value(Fraction(a), Fraction(b), q, True)
        return val


def tighten(kl: KnapsackLagrangian, leaves, rest: Fraction, target: float,
            deadline: float, final_budget: int = 5000, prices=None) -> Fraction:
    """Raise another bound's cover of the peak range with knapsack bounds.

    ``leaves``: [(a, b, exact value or None)] — intervals of peaks, each with a bound valid
    for every placement whose peak lies in it (None: none does); ``rest``: a bound for every
    other peak. Returns the minimum, over leaves, of the larger of the leaf's value and
    ``w·a + K(B)``, where ``K(B)`` is an exact knapsack-Lagrangian bound on the placement
    cost of every placement whose peak is at most ``B`` (so valid for every leaf with
    ``b ≤ B``), together with ``rest``. The weakest leaf is attacked first, until the deadline.
    ``prices(leaf index)``, when given, returns capacity prices that start the multipliers.
    """
    vals = [[a, b, v, n] for n, (a, b, v) in enumerate(leaves) if v is not None]
    tried: set = set()
    lam = None
    spent = 0.0                # the longest float evaluation so far
    while time.perf_counter() < deadline:
        open_ = [lf for lf in vals if lf[2] < target and lf[1] not in tried]
        if not open_:
            break
        leaf = min(open_, key=lambda lf: lf[2])
        # one solve serves every leaf below its B, losing w·(B − a): reach a little right
        reach = Fraction(target - float(leaf[2])) / (4 * kl.w)
        B = max(lf[1] for lf in open_ if leaf[1] <= lf[1] <= leaf[1] + reach)
        tried.add(B)
        tried.add(leaf[1])
        if prices is not None:
            # the capacity prices' own duals, with the knapsacks solved to the end, already
            # beat the linear relaxation; a float subgradient on loose knapsacks rarely helps
            if not kl.usable(B):
                continue
            got = kl.lam_from_prices(prices(leaf[3]), B)
        else:
            _v, got = kl.solve(Fraction(0), B, lam, target=target - kl.fw * float(leaf[0]),
                               deadline=deadline, iters=300 if lam is None else 60)
            if got is None:
                continue
            lam = got
        # a cheap float look first: only a promising λ is worth the exact evaluation (which
        # costs several float looks: skip it when it would overrun the deadline)
        if time.perf_counter() + spent > deadline:
            break
        t0 = time.perf_counter()
        fv, _ = kl._value(Fraction(0), B, got, False, final_budget, deadline)
        spent = max(spent, time.perf_counter() - t0)
        if fv + kl.fw * float(leaf[0]) <= float(leaf[2]):
            continue
        if time.perf_counter() + 8 * spent > deadline:
            break
        q = [Fraction(int(x * _DEN), _DEN) for x in got]
        K, _ = kl._value(Fraction(0), B, q, True, final_budget, deadline)
        for lf in vals:
            if lf[1] <= B:
                lf[2] = max(lf[2], kl.w * lf[0] + K)
    return min([lf[2] for lf in vals] + [rest])
