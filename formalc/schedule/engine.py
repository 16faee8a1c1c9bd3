"""The placement optimiser: ``optimise(problem, time_limit)`` → :class:`EngineResult`.

An anytime portfolio under one wall-clock budget, Z3 at its core::

    res = optimise(problem, time_limit=60.0, seed=0, on_improve=None)
    res.status        # "optimal" | "feasible" | "infeasible" | "unknown"
    res.placement     # per service, the sorted tuple of its replicas' node indices
    res.levels        # the objective value per level (exact Fractions)
    res.bounds        # proven lower bound per level (None where there is none)
    res.proof         # why "optimal" / "infeasible" holds, in words

The levels are optimised in order (lexicographically): level k is minimised with every
earlier level capped at its best value. For each level:

1. **anytime start** — greedy constructions (:mod:`greedy`) give a placement in well under a
   second; if they fail, Z3 decides feasibility on the full encoding (:mod:`engine_z3`) —
   ``unsat`` there is the infeasibility proof;
2. **lower bounds** (:mod:`bounds`) — volume, spread, confinement, cheapest placements; for
   ``cost + w·peak`` a Lagrangian bound over peak intervals (:mod:`engine_lagrange`);
3. **techniques that apply** — exact-fill patterns and set partitioning for node counts on
   interchangeable nodes (:mod:`patterns`); for ``cost + w·peak``: Z3 feasibility probes
   bisecting the lowest possible peak (``unsat`` raises the bound, ``sat`` gives low-peak
   starts), builds priced by the Lagrangian multipliers, a cost/peak local search
   (:mod:`engine_peak`), and on small problems an exact sweep down the peak;
4. **large-neighbourhood search** with Z3 re-placing the replicas of a few nodes (:mod:`lns`),
   several trajectories in turn (a low-peak start often leads further than the cheapest);
5. **exact search** on small problems: Z3 on the full encoding, with symmetry breaking,
   demanding a strictly better value until ``unsat`` — a proof of optimality.

A level is *optimal* only when its value equals a proven bound (or Z3 proved that nothing is
better); a timeout is never more than *feasible*. Every placement is re-checked exactly
before it is kept.
"""
from __future__ import annotations

import random
import time
from fractions import Fraction

from . import bounds as B
from . import greedy, patterns
from .engine_knapsack import KnapsackLagrangian, tighten
from .engine_lagrange import PeakBound, PeakLagrangian
from .engine_model import Model, State, canonical
from .engine_peak import PeakSearch, Sweep
from .engine_z3 import SAT, UNSAT, Encoding
from .lns import LNS
from .problem import Problem
from .result import FEASIBLE, INFEASIBLE, OPTIMAL, UNKNOWN, EngineResult

EXACT_VARS = 450          # full Z3 search is tried when it has at most this many variables
PER_CALL = 0.15           # seconds per Z3 call in an LNS step
SWEEP_VARS = 120          # the exact peak sweep, likewise (measured: 30x10 edge is out of reach)


def optimise(problem: Problem, time_limit: float = 60.0, *, seed: int = 0,
             on_improve=None) -> EngineResult:
    """Place ``problem``'s services optimally, or as well as possible in ``time_limit``
    seconds (wall clock, everything included). See the module docstring."""
    return _Run(problem, time_limit, seed, on_improve).go()


class _Run:
    def __init__(self, problem: Problem, time_limit: float, seed: int, on_improve):
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + max(0.05, time_limit * 0.97 - 0.05)
        self.p, self.seed, self.cb = problem, seed, on_improve
        self.rng = random.Random(seed)
        self.history: list[tuple[float, str]] = []
        self.methods: list[str] = []
        self.best = None
        self.values: list[Fraction] = []
        self.first = None
        self.stats: dict = {}

    # ------------------------------------------------------------------ bookkeeping
    def now(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def note(self, what: str) -> None:
        self.history.append((round(self.now(), 3), what))

    def method(self, name: str) -> None:
        if name not in self.methods:
            self.methods.append(name)

    def offer(self, placement, how: str, upto: int | None = None) -> bool:
        """Keep ``placement`` if it is valid and lexicographically better."""
        if placement is None:
            return False
        placement = canonical(placement)
        if not self.m.valid(placement):
            self.note(f"{how}: rejected an invalid placement")
            return False
        vals = self.m.level_values(placement)
        n = len(vals) if upto is None else upto
        if self.best is not None and vals[:n] >= self.values[:n]:
            return False
        self.best, self.values = placement, vals
        if self.first is None:
            self.first = self.now()
        self.note(f"{how} " + ", ".join(f"{float(v):.6g}" for v in vals))
        if self.cb is not None:
            try:
                self.cb(placement, list(vals))
            except Exception:       # a caller's callback never breaks the search
                pass
        return True

    def result(self, status, bounds=None, proof="", reason="") -> EngineResult:
        self.stats["elapsed_s"] = round(self.now(), 3)
        vals = list(self.values) if self.best is not None else []
        return EngineResult(status, self.best, vals,
                            list(bounds or []), "+".join(self.methods), proof, reason,
                            self.first, self.history, self.stats)

    # ------------------------------------------------------------------ main
    def go(self) -> EngineResult:
        p = self.p
        for lin in p.objective:
            for t, c in lin.coefs:
                if Fraction(c) < 0:
                    return self.result(UNKNOWN, reason=f"objective term {t.label()} has a "
                                                       f"negative weight ({c}); the optimiser "
                                                       f"needs non-negative weights")
                if t.kind == "cost" and t.name not in p.costs:
                    return self.result(UNKNOWN, reason=f"objective names an undefined cost "
                                                       f"{t.name!r}")
        self.m = m = Model(p)
        why = self._obviously_infeasible()
        if why:
            self.method("pre-check")
            return self.result(INFEASIBLE, proof=why)
        if not self._start():
            return self._no_start
        if not m.levels:
            return self.result(OPTIMAL, proof="the schedule has no objective: any placement "
                                              "that meets the constraints is optimal")
        bounds: list[Fraction | None] = []
        proofs: list[str] = []
        all_proven = True
        for k in range(len(m.levels)):
            last = k == len(m.levels) - 1
            share = self.left() * (1.0 if last else 0.6 / (len(m.levels) - k - 1 + 0.6))
            level_deadline = time.perf_counter() + max(0.0, share)
            b, proof = self._level(k, level_deadline, all_proven)
            bounds.append(b)
            proofs.append(proof)
            if b is None or b < self.values[k]:
                all_proven = False
        if all_proven:
            text = "; ".join(f"level {k + 1}: {pr}" if len(proofs) > 1 else pr
                             for k, pr in enumerate(proofs))
            return self.result(OPTIMAL, bounds, proof=text)
        return self.result(FEASIBLE, bounds, reason="time limit reached before the bound was "
                                                   "met" if self.left() <= 0.5 else
                           "no technique closed the gap to the bound")

    def _obviously_infeasible(self) -> str:
        m, p = self.m, self.p
        for i in range(m.S):
            need = m.reps[i] if m.spread[i] else min(1, m.reps[i])
            if len(m.cand[i]) < need:
                s = p.services[i]
                if not m.cand[i]:
                    return (f"service {s.name} fits no node: every node is ruled out by a "
                            f"requirement or is too small for it alone")
                return (f"service {s.name} needs {s.replicas} replicas on distinct nodes; "
                        f"only {len(m.cand[i])} node(s) allow it")
        for a in range(m.S):
            for b in m.near[a]:
                if m.reps[a] and not (m.cand_set[a] & m.cand_set[b]):
                    return (f"service {p.services[a].name} must run beside "
                            f"{p.services[b].name}, but no node allows both")
                if m.reps[a] and m.reps[b] == 0:
                    return (f"service {p.services[a].name} must run beside "
                            f"{p.services[b].name}, which has no replicas")
        return ""

    def _start(self) -> bool:
        m = self.m
        cut = time.perf_counter() + min(0.6, max(0.05, self.left() * 0.2))
        for mode, s in (("pack", self.seed), ("spread", self.seed)):
            got = greedy.construct(m, mode, s, cut)
            if got is not None and self.offer(got, f"greedy-{mode}"):
                self.method("greedy")
        if self.best is not None:
            return True
        enc = Encoding(m, seed=self.seed, symmetry=True, levels=0)
        status, got = enc.improve(None, max(0.05, self.left() * 0.5))
        if status == SAT and self.offer(got, "z3 feasibility"):
            self.method("z3")
            return True
        if status == UNSAT:
            self.method("z3")
            self._no_start = self.result(INFEASIBLE, proof="Z3 proved that no placement meets "
                                                         "all hard constraints together")
        else:
            self._no_start = self.result(UNKNOWN, reason=f"no placement found within the time "
                                                         f"limit (Z3: {got})")
        return False

    # ------------------------------------------------------------------ one level
    def _level(self, k: int, deadline: float, earlier_optimal: bool):
        """Optimise level k; returns (proven bound or None, proof sentence)."""
        m = self.m
        lv = m.levels[k]
        simple = B.simple_level_bound(m, lv)
        bound, proof = simple.value, simple.proof
        caps = self.values[:k]
        if self.values[k] <= bound:
            return self.values[k], proof
        if k == 0 and patterns.applicable(m, 0):
            bound, proof = self._patterns(deadline, bound, proof)
            if self.values[0] <= bound:
                return bound, proof
        peaks = [(w, d) for w, d in lv.peaks if w]
        if k == 0 and len(peaks) == 1 and not lv.wn:
            got = self._peak_level(deadline)
            if got is not None and got[0] > bound:
                bound, proof = got
            if self.values[0] <= bound:
                return bound, proof
        else:
            self._descend(k, deadline)
            if self.values[k] <= bound:
                return bound, proof
            if not self._small():
                self._lns(k, caps, min(deadline, time.perf_counter() + 0.35 *
                                       max(0.0, deadline - time.perf_counter())))
        if self.values[k] <= bound:
            return bound, proof
        exact = self._exact(k, caps, deadline)
        if exact is not None:
            if k == 0 or earlier_optimal:
                return exact
            # with an earlier level not proven optimal, "nothing better under the caps"
            # bounds nothing about the lexicographic optimum: keep the unconditional bound
            return bound, proof
        if time.perf_counter() < deadline:
            self._lns(k, caps, deadline)
        if self.values[k] <= bound:
            return bound, proof
        return bound, proof

    def _descend(self, k: int, deadline: float) -> None:
        upto = k + 1
        caps = [float(v) for v in self.values[:k]]
        cut = min(deadline, time.perf_counter() + 0.25 * max(0.0, deadline - time.perf_counter()))
        got, _ = greedy.descend(self.m, self.best, upto, cut, bounds=caps + [float("inf")],
                                rng=self.rng)
        if self.offer(got, "descent", upto):
            self.method("descent")

    def _lns(self, k: int, caps, deadline: float, starts=()) -> None:
        """LNS trajectories from ``starts`` and from the best placement, taking steps in
        turn (a start with a lower peak but a higher cost often leads further), offering
        every improvement."""
        lns = LNS(self.m, k, caps, self.rng, self.seed)
        self.method("LNS(z3)")
        trails = [[self.best, self.m.level_values(self.best)]]
        for s in starts:
            if s is not None and s != self.best:
                trails.append([s, self.m.level_values(s)])
        turn = 0
        while time.perf_counter() < deadline - 0.02:
            trail = trails[turn % len(trails)]
            turn += 1
            trail[0], trail[1], improved = lns.step(trail[0], trail[1], deadline, PER_CALL)
            if improved:
                self.offer(trail[0], "LNS", k + 1)
            if self.values[k] <= self._quick_bound(k):
                break
        self.stats[f"lns_level{k + 1}"] = {"steps": lns.steps, "improvements": lns.wins}

    def _quick_bound(self, k: int) -> Fraction:
        if not hasattr(self, "_qb"):
            self._qb = {}
        if k not in self._qb:
            self._qb[k] = B.simple_level_bound(self.m, self.m.levels[k]).value
        return self._qb[k]

    def _small(self, limit: int = EXACT_VARS) -> bool:
        m = self.m
        return sum(len(m.cand[i]) for i in range(m.S) if m.reps[i]) <= limit

    def _exact(self, k: int, caps, deadline: float):
        """Full Z3 search on small problems: (bound, proof) when it proves optimality."""
        m = self.m
        if not self._small() or time.perf_counter() > deadline - 0.05:
            return None
        self.method("exact(z3)")
        enc = Encoding(m, seed=self.seed, symmetry=True, levels=k + 1)
        for kk, cap in enumerate(caps):
            enc.cap_level(kk, cap)
        while True:
            left = deadline - time.perf_counter()
            if left <= 0.02:
                return None
            status, got = enc.improve([self.values[k]], left, start=k)
            if status == SAT:
                if not self.offer(got, "exact", k + 1):
                    vals = m.level_values(got) if m.valid(got) else None
                    if vals is None or vals[k] >= self.values[k]:
                        return None
                continue
            if status == UNSAT:
                return self.values[k], (f"Z3 proved that no placement has a smaller value "
                                        f"({float(self.values[k]):.6g} is the minimum)"
                                        + (" with the earlier levels at their optimum"
                                           if k else ""))
            return None

    # ------------------------------------------------------------------ node counts
    def _patterns(self, deadline: float, bound: Fraction, proof: str):
        m = self.m
        lv = m.levels[0]
        K = int((bound - lv.const) / lv.wn) if lv.wn else 0
        while time.perf_counter() < deadline and K < m.N and \
                lv.const + lv.wn * K < self.values[0]:
            cut = min(deadline, time.perf_counter() + 0.3 * (deadline - time.perf_counter()))
            pats = patterns.enumerate_patterns(m, K, cut)
            self.stats["patterns"] = None if pats is None else len(pats)
            if pats is None:
                return bound, proof
            self.method("patterns")
            if pats:
                status, got = patterns.cover(m, pats, K, max(0.05, 0.5 * (deadline -
                                                                          time.perf_counter())),
                                             self.seed)
                self.note(f"exact cover with {K} nodes over {len(pats)} patterns: {status}")
                if status == SAT:
                    self.offer(got, "exact cover")
                    return bound, proof + f"; {K} nodes reached by an exact cover"
                if status != UNSAT:
                    return bound, proof
            bound = lv.const + lv.wn * (K + 1)
            proof = (f"no placement fits on {K} nodes: all {len(pats)} node contents "
                     f"that could fill {K} nodes were enumerated and no {K} of them hold every "
                     f"replica (set partitioning unsatisfiable), so ≥ {K + 1} nodes")
            K += 1
        return bound, proof

    # ------------------------------------------------------------------ cost + peak
    def _probe_peak(self, dims, u_lo: Fraction, deadline: float):
        """Bisect the lowest peak with Z3 feasibility checks (every node kept at or below a
        limit, no cost): returns (proven lower bound on the peak, low-peak placements)."""
        m = self.m
        hi = m.peak_exact(m.loads_of(self.best), dims)
        lo, starts = u_lo, []
        self.method("peak probes(z3)")
        while time.perf_counter() < deadline and hi - lo > Fraction(1, 500):
            T = Fraction((lo + hi) / 2).limit_denominator(100000)
            if not lo < T < hi:
                break
            got = self._one_probe(T, False, dims, deadline, starts)
            if got is None:
                break
            lo, hi = (T, hi) if got == UNSAT else (lo, got)
        # Peaks are finitely many fractions: once the bisection is narrow, ask whether any
        # placement stays strictly below the best peak found. Unsat proves that peak exact.
        for _ in range(3):
            if not lo < hi or time.perf_counter() >= deadline:
                break
            got = self._one_probe(hi, True, dims, deadline, starts)
            if got is None:
                break
            lo, hi = (hi, hi) if got == UNSAT else (lo, got)
        return lo, starts[-3:]

    def _one_probe(self, T: Fraction, strict: bool, dims, deadline: float, starts: list):
        """Is there a placement with every node at or below (``strict``: below) ``T``?
        UNSAT (and the proof noted), the new best peak (the placement kept in ``starts``), or
        None when Z3 gave no answer in time."""
        m = self.m
        enc = Encoding(m, seed=self.seed, symmetry=True, levels=1, peak_limit=T,
                       peak_strict=strict)
        status, got = enc.improve(None, max(0.01, min(3.0, deadline - time.perf_counter())))
        rel, word = ("<", "strictly below") if strict else ("≤", "at or below")
        if status == SAT and m.valid(got):
            starts.append(got)
            self.offer(got, f"peak probe {rel} {float(T):.4f}", 1)
            return m.peak_exact(m.loads_of(got), dims)
        if status == UNSAT:
            self.peak_proof = (f"Z3 proved that no placement keeps every node {word} "
                               f"{float(T):.2%}")
            self.note(f"peak {'≥' if strict else '>'} {float(T):.4f} (Z3 unsat)")
            return UNSAT
        return None

    def _peak_level(self, deadline: float):
        """Search and bound ``lin + w·peak``; returns (bound, proof) or None."""
        m = self.m
        lv = m.levels[0]
        (w, dims), = [(w, d) for w, d in lv.peaks if w]
        search = PeakSearch(m, 0, self.rng)
        self.method("peak search")
        t_start = time.perf_counter()
        span = max(0.0, deadline - t_start)

        def until(frac):           # a point in this level's time, as a fraction of it
            return min(deadline, t_start + frac * span)

        # a balanced start, and the greedy answer, polished
        st = search.build(None, None, until(0.03))
        balanced = None
        if st is not None:
            search.polish(st, until(0.04))
            balanced = st.placement()
            self.offer(balanced, "balanced+polish", 1)
        st = State(m, self.best, 1)
        search.polish(st, until(0.05))
        self.offer(st.placement(), "polish", 1)
        # the Lagrangian bound over peak intervals; its multipliers price the builds
        lin_min = B.lin_lb(m, lv.lin)
        u_lo, _ = B.peak_lb(m, dims)
        # Z3 probes of the lowest feasible peak (bisection): an unsat probe raises the
        # bound on the peak, a sat one gives a low-peak start for the search
        u_lo, starts = self._probe_peak(dims, u_lo, until(0.1))
        ub = self.values[0] - lv.const
        u_hi = min(Fraction(1), max(u_lo, (ub - lin_min) / w))
        lag = PeakLagrangian(m, lv.lin, w, dims)
        pb = PeakBound(lag, u_lo, u_hi, ub)
        pb.start(float(ub), until(0.13))
        self.method("Lagrangian bound")
        if pb.pi is not None:
            prices = lag.prices(pb.pi)
            peak_now = float(max(Fraction(0), (self.values[0] - lv.const - lin_min) / w))
            for T in sorted({round(float(u_lo) + f * (peak_now - float(u_lo)), 4)
                             for f in (0.15, 0.3, 0.5, 0.7)}):
                if time.perf_counter() > until(0.2):
                    break
                st = search.build(T, prices, until(0.2))
                if st is not None:
                    search.polish(st, until(0.2))
                    self.offer(st.placement(), f"priced build T={T:.3f}", 1)
        # small problems: an exact sweep down the peak, Z3 minimising the cost below it
        sweep = None
        if self._small(SWEEP_VARS):
            sweep = Sweep(m, 0, u_lo, u_hi, self.seed)
            self.method("exact sweep(z3)")
            offer = lambda pl: self.offer(pl, "sweep", 1)  # noqa: E731
            while not sweep.done and time.perf_counter() < until(0.35):
                if sweep.step(self.values[0], until(0.35), offer) == "timeout":
                    break
            self.stats["sweep_steps"] = sweep.steps
            if sweep.done:
                return self.values[0], (f"exact sweep over the peak (ε-constraint): Z3 showed "
                                        f"for every peak level that no placement costs less "
                                        f"({sweep.steps} Pareto step(s))")
        # LNS, then refine the bound with what is left
        # LNS cannot easily lower a peak (every node at the peak must be in one area), so
        # it starts from the balanced placement — the lowest peak known — when there is one
        self._lns(0, [], until(0.88), starts=(balanced, *starts))
        ub = self.values[0] - lv.const
        pb.refine(float(ub), until(0.92), Fraction(1, 2000))
        below = covered = None
        if sweep is not None and sweep.steps:
            below, covered = sweep.b, self.values[0] - lv.const
        value, _ = pb.value(deadline + 0.5, below=below, covered=covered)
        if value is None:
            return None
        # the same peak intervals, raised where they are weakest by a relaxation that keeps
        # node capacities (a replica cannot be split between nodes)
        used = [lf for lf in pb.leaves
                if lf[4] is not None and (below is None or lf[1] < below)]
        leaves = [(lf[1], lf[2], None if lf[4] == "empty" else lf[4]) for lf in used]
        rest = pb.beyond if covered is None else min(pb.beyond, covered)
        kl = KnapsackLagrangian(m, lv.lin, w, dims, budget=100)
        knap = tighten(kl, leaves, rest, float(ub), until(0.97),
                       prices=lambda n: lag.prices(used[n][3]))
        if knap > value:
            self.method("knapsack Lagrangian bound")
            self.note(f"knapsack Lagrangian raised the bound {float(value):.6g} → "
                      f"{float(knap):.6g}")
            value = knap
            self.stats["knapsack_bound"] = True
        self.stats["lagrangian_intervals"] = len(pb.leaves)
        total = lv.const + value
        why_lo = getattr(self, "peak_proof", "")
        return total, ((why_lo + "; and a ") if why_lo else "") + (
                       f"Lagrangian relaxation over {len(pb.leaves)} peak interval(s) in "
                       f"[{float(u_lo):.4f}, {float(u_hi):.4f}] (every replica priced at its "
                       f"cheapest node plus its share of the capacity it uses)"
                       + (", raised by a relaxation keeping node capacities (one 0-1 "
                          "knapsack per node)" if self.stats.get("knapsack_bound") else "")
                       + f": cost ≥ {float(total):.6g}")
