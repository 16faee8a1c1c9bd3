"""The Z3 encoding of a placement problem, or of a neighbourhood of a placement.

One encoder serves the whole problem (every replica free) and the large-neighbourhood
search (the replicas on a few nodes free, everything else fixed), so both share one tested
encoding. It is the strong one the field uses:

* a variable only for an allowed (service, node) pair — forbidden pairs have none;
* spread services get one Boolean per pair and an exactly-``replicas`` pseudo-Boolean
  constraint; others an integer count per pair;
* capacity as pseudo-Boolean ``≤`` with integer-scaled demands, counting the fixed load;
* ``near`` as implications, ``apart`` as at-most-one per node;
* ``nodes_used`` through ``used[j]`` implied by every variable on j; peak terms through one
  real ``P`` with ``cap·P ≥ load`` on every node and dimension (the level weights are
  non-negative, so ``P`` settles on the maximum);
* on the whole problem, symmetry breaking among interchangeable nodes (used ones first).

:meth:`Encoding.improve` asks for a placement strictly better, lexicographically, than given
level values (earlier levels may be capped with :meth:`cap_level`): ``sat`` hands back the
placement, ``unsat`` is a proof that none exists within the encoded part.
"""
from __future__ import annotations

from fractions import Fraction
from math import gcd as _gcd

import z3

from .z3util import pb_eq, pb_le
from .engine_model import Model, canonical

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"


def _q(v: Fraction):
    v = Fraction(v)
    return z3.RealVal(v.numerator) if v.denominator == 1 else z3.Q(v.numerator, v.denominator)


class Encoding:
    """Placement constraints over the nodes ``area`` for the replicas ``freed``.

    ``base``: the placement that fixes everything not freed (None: nothing fixed);
    ``freed``: (service, origin node) replicas to re-place (None with no base: all);
    ``area``: the nodes the freed replicas may go to (must contain every origin);
    ``peak_limit``: keep every area node's utilisation (in the peak terms' dimensions) at or
    below it and count each peak term as ``max(limit, peak outside the area)`` — a bound on
    the true level, so an improvement found this way is a true improvement, and the
    problem stays pseudo-Boolean (no real variable), which Z3 solves far faster;
    ``peak_strict``: strictly below the limit instead."""

    def __init__(self, m: Model, base=None, area=None, freed=None, *, seed: int = 0,
                 symmetry: bool = False, levels: int | None = None,
                 peak_limit: Fraction | None = None, peak_strict: bool = False):
        self.m = m
        self.peak_limit, self.peak_strict = peak_limit, peak_strict
        self.base = [list(w) for w in base] if base is not None else [[] for _ in range(m.S)]
        self.area = sorted(range(m.N) if area is None else set(area))
        area_set = set(self.area)
        if freed is None:
            freed = [(i, j) for i in range(m.S) for j in self.base[i] if j in area_set]
            if base is None:
                freed = [(i, None) for i in range(m.S) for _ in range(m.reps[i])]
        self.free = [0] * m.S
        self.fixed = [list(w) for w in self.base]
        for i, j in freed:
            self.free[i] += 1
            if j is not None:
                self.fixed[i].remove(j)
        self.fix_count = [dict() for _ in range(m.N)]
        for i, w in enumerate(self.fixed):
            for j in w:
                self.fix_count[j][i] = self.fix_count[j].get(i, 0) + 1
        self.fix_load = m.loads_of(self.fixed)
        n_levels = len(m.levels) if levels is None else levels
        pure = all(m.spread[i] for i in range(m.S) if self.free[i]) and all(
            peak_limit is not None or not any(w for w, _ in m.levels[k].peaks)
            for k in range(n_levels))
        # a purely Boolean/pseudo-Boolean problem goes to Z3's SAT core with native PB
        # constraints (QF_FD), far faster there than the arithmetic core
        self.s = z3.SolverFor("QF_FD") if pure else z3.Solver()
        self.s.set("random_seed", seed)
        self.ok = True
        self._vars(area_set)
        self._rules()
        self.exprs = [self._level(k) for k in range(n_levels)]
        if symmetry and base is None:
            self._symmetry()

    # ------------------------------------------------------------------ variables
    def _vars(self, area_set) -> None:
        m = self.m
        self.x: list[dict[int, z3.ExprRef]] = [dict() for _ in range(m.S)]
        self.on: list[list[tuple[int, z3.ExprRef, bool]]] = [[] for _ in range(m.N)]
        for i in range(m.S):
            f = self.free[i]
            if not f:
                continue
            nodes = [j for j in m.cand[i] if j in area_set
                     and not (m.spread[i] and self.fix_count[j].get(i, 0))]
            if m.spread[i]:
                for j in nodes:
                    v = z3.Bool(f"x_{i}_{j}")
                    self.x[i][j] = v
                    self.on[j].append((i, v, True))
                if len(nodes) < f:
                    self.ok = False
                    self.s.add(z3.BoolVal(False))
                else:
                    self.s.add(z3.PbEq([(self.x[i][j], 1) for j in nodes], f))
            else:
                for j in nodes:
                    v = z3.Int(f"n_{i}_{j}")
                    self.s.add(v >= 0, v <= f)
                    self.x[i][j] = v
                    self.on[j].append((i, v, False))
                self.s.add(z3.Sum([self.x[i][j] for j in nodes] or [z3.IntVal(0)]) == f)

    def here(self, i: int, j: int):
        """A Boolean: some replica of i on j (fixed or free)."""
        if self.fix_count[j].get(i, 0):
            return z3.BoolVal(True)
        v = self.x[i].get(j)
        if v is None:
            return z3.BoolVal(False)
        return v if self.m.spread[i] else v >= 1

    def _rules(self) -> None:
        m = self.m
        for j in self.area:
            terms = self.on[j]
            if not terms:
                continue
            for d in range(m.D):
                room = m.cap[j][d] - self.fix_load[j][d]
                if all(b for _, _, b in terms):
                    ws = [(v, m.dem[i][d]) for i, v, _ in terms if m.dem[i][d]]
                    if ws:
                        self.s.add(pb_le(ws, room))
                else:
                    self.s.add(z3.Sum([v * m.dem[i][d] if not b else
                                       z3.If(v, m.dem[i][d], 0) for i, v, b in terms]) <= room)
            present = {i for i, _, _ in terms} | set(self.fix_count[j])
            for a in present:
                for b in m.near[a]:
                    self.s.add(z3.Implies(self.here(a, j), self.here(b, j)))
                for b in m.apart[a]:
                    if a < b and b in present:
                        self.s.add(z3.Not(z3.And(self.here(a, j), self.here(b, j))))

    def _symmetry(self) -> None:
        m = self.m
        used = self._used()
        for cls in m.classes:
            for a, b in zip(cls, cls[1:]):
                self.s.add(z3.Implies(used[b], used[a]))

    # ------------------------------------------------------------------ objective
    def _used(self):
        if not hasattr(self, "_used_v"):
            self._used_v = {}
            for j in self.area:
                if self.fix_count[j]:
                    self._used_v[j] = z3.BoolVal(True)
                    continue
                u = z3.Bool(f"used_{j}")
                for i, v, b in self.on[j]:
                    self.s.add(z3.Implies(v if b else v >= 1, u))
                self.s.add(z3.Implies(u, z3.Or([v if b else v >= 1 for _, v, b in self.on[j]]
                                               or [z3.BoolVal(False)])))
                self._used_v[j] = u
        return self._used_v

    def _level(self, k: int):
        m, lv = self.m, self.m.levels[k]
        const = lv.const + sum((lv.lin[i][j] for i, w in enumerate(self.fixed) for j in w),
                               Fraction(0))
        parts = []
        pb = []             # (Boolean, Fraction) while the level stays pseudo-Boolean
        for i in range(m.S):
            for j, v in self.x[i].items():
                c = lv.lin[i][j]
                if c:
                    parts.append(z3.If(v, _q(c), 0) if m.spread[i] else _q(c) * v)
                    pb = pb if pb is None or not m.spread[i] else pb + [(v, c)]
                    if not m.spread[i]:
                        pb = None
        area_set = set(self.area)
        for n, (w, dims) in enumerate(lv.peaks):
            if not w:
                continue
            rest = Fraction(0)
            for j in range(m.N):
                if j in area_set and self.on[j]:
                    continue
                for d in dims:
                    if m.cap[j][d] and self.fix_load[j][d]:
                        rest = max(rest, Fraction(self.fix_load[j][d], m.cap[j][d]))
            if self.peak_limit is not None:
                lim = Fraction(self.peak_limit)
                for j in self.area:
                    for d in dims:
                        ws = [(v, m.dem[i][d]) for i, v, b in self.on[j] if m.dem[i][d]]
                        if not ws or not m.cap[j][d]:
                            continue
                        top = lim * m.cap[j][d]
                        top = top.__ceil__() - 1 if self.peak_strict else top.__floor__()
                        room = top - self.fix_load[j][d]
                        if all(b for _, _, b in self.on[j]):
                            self.s.add(pb_le(ws, room))
                        else:
                            self.s.add(z3.Sum([v * c if not m.spread[i] else z3.If(v, c, 0)
                                               for (v, c), (i, _, _) in
                                               zip(ws, [t for t in self.on[j]
                                                        if m.dem[t[0]][d]])]) <= room)
                const += w * max(lim, rest)
                continue
            pb = None
            p = z3.Real(f"peak_{k}_{n}")
            self.s.add(p >= _q(rest))
            for j in self.area:
                if not self.on[j]:
                    continue
                for d in dims:
                    if not m.cap[j][d]:
                        continue
                    load = [z3.If(v, m.dem[i][d], 0) if b else v * m.dem[i][d]
                            for i, v, b in self.on[j] if m.dem[i][d]]
                    if load:
                        self.s.add(m.cap[j][d] * p >= self.fix_load[j][d] + z3.Sum(load))
            parts.append(_q(w) * p)
        if lv.wn:
            used = self._used()
            outside = sum(1 for j in range(m.N) if j not in area_set and self.fix_count[j])
            const += lv.wn * outside
            parts.append(_q(lv.wn) * z3.Sum([z3.If(u, 1, 0) for u in used.values()]))
            if pb is not None:
                for u in used.values():
                    if z3.is_true(u):
                        const += lv.wn
                    else:
                        pb.append((u, lv.wn))
        self.pb_form = getattr(self, "pb_form", {})
        self.pb_form[k] = None if pb is None else (const, pb)
        return _q(const) + z3.Sum(parts) if parts else _q(const)

    def _pb_less(self, k: int, value: Fraction):
        """``level k < value`` as one integer pseudo-Boolean constraint, when it is one."""
        form = self.pb_form.get(k)
        if form is None:
            return None
        const, terms = form
        scale = 1
        for _, c in terms:
            scale = scale * c.denominator // _gcd(scale, c.denominator)
        rhs = (Fraction(value) - const) * scale
        limit = rhs.__ceil__() - 1            # Σ c·scale·b < rhs, in integers
        ws = [(b, int(c * scale)) for b, c in terms if c]
        if not ws:
            return z3.BoolVal(0 <= limit)
        return pb_le(ws, limit)

    def cap_level(self, k: int, value: Fraction) -> None:
        """Keep level k at or below ``value`` from now on."""
        self.s.add(self.exprs[k] <= _q(value))

    def improve(self, values, timeout_s: float, start: int = 0):
        """A placement lexicographically better than ``values`` on levels ``start, start+1,
        …``: (SAT, placement) | (UNSAT, None) | (UNKNOWN, reason). The demand stays in force
        for later calls (each answer tightens the next)."""
        if not self.ok:
            return UNSAT, None
        if values is not None:
            fast = self._pb_less(start, values[0]) if len(values) == 1 else None
            self.s.add(fast if fast is not None else self._lex_less(list(values), start))
        self.s.set("timeout", max(1, int(timeout_s * 1000)))
        r = self.s.check()
        if r == z3.sat:
            return SAT, self.decode(self.s.model())
        if r == z3.unsat:
            return UNSAT, None
        return UNKNOWN, self.s.reason_unknown()

    def _lex_less(self, values, start: int = 0):
        out = None
        for k in reversed(range(len(values))):
            e, v = self.exprs[start + k], _q(values[k])
            out = e < v if out is None else z3.Or(e < v, z3.And(e == v, out))
        return out

    def decode(self, model) -> tuple:
        m = self.m
        out = [list(w) for w in self.fixed]
        for i in range(m.S):
            for j, v in self.x[i].items():
                val = model.eval(v, model_completion=True)
                if m.spread[i]:
                    if z3.is_true(val):
                        out[i].append(j)
                else:
                    out[i].extend([j] * val.as_long())
        return canonical(out)
