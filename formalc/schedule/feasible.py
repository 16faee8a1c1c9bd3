"""Is there a placement at all? A greedy pass, then an exact Z3 model built from named groups.

:func:`find_placement` answers the question for a :class:`~formalc.schedule.problem.Problem`
(optionally with some replicas pinned where they are). The Z3 model is the encoding layer of
explanations and verification too: every constraint belongs to one *group*, keyed by a tuple
that leads back to the spec —

* ``("replicas", i)`` — service ``i`` runs exactly ``replicas`` replicas;
* ``("distinct", i)`` — its replicas sit on different nodes (``Service.spread``);
* ``("req", r, i)`` — requirement ``r`` keeps service ``i`` off the nodes it forbids;
* ``("cap", j, d)`` — the loads on node ``j`` fit its capacity in dimension ``d``;
* ``("near", k, p)`` / ``("apart", k, p)`` — pair ``p`` of affinity rule ``k``;
* ``("keep", i)`` — the pinned replicas of service ``i`` stay where they are.

Built untracked (``Model(problem)``), the model has a Boolean only for the (service, node)
pairs the problem allows, and pseudo-Boolean capacity constraints. Built *tracked*, every pair
gets a variable and every group an assumption literal, so that :meth:`Model.check` can switch
groups off and return unsat cores; :func:`minimise_core` and :func:`corrections` search those.
Results leave this module as plain Python values.
"""
from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass
from fractions import Fraction
from math import floor, gcd, lcm

import z3

from .z3util import pb_eq, pb_le
from .evaluate import evaluate
from .problem import Problem

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
#: the group kinds a relaxation may change; ``distinct`` and ``keep`` are never given up
RELAXABLE = frozenset({"replicas", "req", "cap", "near", "apart"})
# deletion order for core minimisation: the groups tried (and so dropped) first explain least
_DELETE_FIRST = {"cap": 0, "near": 1, "apart": 1, "keep": 2, "req": 3, "distinct": 4,
                 "replicas": 5}


class Deadline:
    """A wall-clock budget shared by a sequence of solver calls."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + max(0.0, float(seconds))

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return self.left() <= 0.0

    def share(self, fraction: float) -> float:
        """``fraction`` of what is left (for a step that must leave time to the next ones)."""
        return self.left() * fraction


def demand(p: Problem, i: int, d: int) -> Fraction:
    """Service ``i``'s demand in dimension ``d`` (0 where the tuple is short)."""
    dem = p.services[i].demand
    return Fraction(dem[d]) if d < len(dem) else Fraction(0)


def capacity(p: Problem, j: int, d: int) -> Fraction:
    cap = p.nodes[j].cap
    return Fraction(cap[d]) if d < len(cap) else Fraction(0)


def normalise_fixed(p: Problem, fixed) -> dict[int, Counter]:
    """``fixed`` as {service index: Counter of node indices}; unknown services are ignored
    (a node index that does not exist is kept, and makes the problem unsatisfiable)."""
    out: dict[int, Counter] = {}
    for i, where in (fixed or {}).items():
        if isinstance(i, int) and 0 <= i < p.n_services and where:
            out[i] = Counter(where)
    return out


def includes(placement, fixed: dict[int, Counter]) -> bool:
    return all(not (cnt - Counter(placement[i])) for i, cnt in fixed.items())


# ---------------------------------------------------------------------------------- greedy
def greedy(p: Problem, fixed=None):
    """A filter-then-score pass (worst fit, then best fit); a placement the evaluator accepts
    that keeps ``fixed``, or ``None``. It never proves anything."""
    fx = normalise_fixed(p, fixed)
    for widest in (True, False):
        pl = _greedy_once(p, fx, widest)
        if pl is not None and includes(pl, fx) and evaluate(p, pl).valid:
            return pl
    return None


def _greedy_once(p: Problem, fx: dict[int, Counter], widest: bool):
    nd, n = len(p.dims), p.n_nodes
    load = [[Fraction(0)] * nd for _ in range(n)]
    hosts = [Counter() for _ in p.services]
    for i, cnt in fx.items():
        for j, c in cnt.items():
            if not (isinstance(j, int) and 0 <= j < n):
                return None
            hosts[i][j] += c
            for d in range(nd):
                load[j][d] += c * demand(p, i, d)
    near: dict[int, set[int]] = {}
    apart: dict[int, set[int]] = {}
    for rule in p.affinities:
        for a, b in rule.pairs:
            if not (0 <= a < p.n_services and 0 <= b < p.n_services):
                continue
            if rule.kind == "near":
                if a != b:
                    near.setdefault(a, set()).add(b)
            else:
                apart.setdefault(a, set()).add(b)
                apart.setdefault(b, set()).add(a)
    for i in _order(p, near):
        s = p.services[i]
        need = s.replicas - sum(hosts[i].values())
        if need < 0:
            return None
        cands = p.candidates(i)
        for _ in range(need):
            best, best_key = None, None
            for j in cands:
                if s.spread and hosts[i][j]:
                    continue
                if any(load[j][d] + demand(p, i, d) > capacity(p, j, d) for d in range(nd)):
                    continue
                if any(hosts[o][j] for o in apart.get(i, ())):
                    continue
                if any(not hosts[b][j] for b in near.get(i, ())):
                    continue
                free = min((1 - (load[j][d] + demand(p, i, d)) / capacity(p, j, d)
                            for d in range(nd) if capacity(p, j, d) > 0), default=Fraction(1))
                key = -free if widest else free
                if best_key is None or key < best_key:
                    best, best_key = j, key
            if best is None:
                return None
            hosts[i][best] += 1
            for d in range(nd):
                load[best][d] += demand(p, i, d)
    return tuple(tuple(sorted(h.elements())) for h in hosts)


def _order(p: Problem, near: dict[int, set[int]]) -> list[int]:
    """Hardest services first (fewest candidates, largest share), but the target of a `near`
    rule before the services that must join it."""
    nd = len(p.dims)
    top = [max((capacity(p, j, d) for j in range(p.n_nodes)), default=Fraction(0))
           for d in range(nd)]

    def size(i):
        return sum(demand(p, i, d) / top[d] for d in range(nd) if top[d] > 0)

    todo = sorted(range(p.n_services), key=lambda i: (len(p.candidates(i)), -size(i), i))
    done: set[int] = set()
    out: list[int] = []
    while todo:
        pick = next((i for i in todo if near.get(i, set()) <= done | {i}), todo[0])
        todo.remove(pick)
        done.add(pick)
        out.append(pick)
    return out


# ---------------------------------------------------------------------------------- the model
class Model:
    """The Z3 encoding of ``problem`` (in a context of its own), as named constraint groups.

    ``tracked=False``: variables for allowed pairs only, every group asserted.
    ``tracked=True``: variables for every pair, each group behind an assumption literal.
    """

    def __init__(self, problem: Problem, *, fixed=None, tracked: bool = False):
        p = self.p = problem
        self.tracked = tracked
        self.ctx = z3.Context()
        self.fixed = normalise_fixed(p, fixed)
        self.scale = _int_scales(p)
        self.x: dict[tuple[int, int], z3.BoolRef] = {}
        # unary counts: more[i, j][k] holds when a (k+2)-th replica of i runs on j, so every
        # constraint stays pseudo-Boolean
        self.more: dict[tuple[int, int], list[z3.BoolRef]] = {}
        self.hard: list = []
        self.groups: dict[tuple, list] = {}
        self._solver: z3.Solver | None = None
        self._lits: dict[tuple, z3.BoolRef] = {}
        self._variables()
        self._constraints()

    # ------------------------------------------------------------------ building
    def _variables(self):
        p, ctx = self.p, self.ctx
        for i, s in enumerate(p.services):
            if s.replicas <= 0:
                continue
            for j in range(p.n_nodes):
                if not self.tracked and not p.allowed(i, j):
                    continue
                x = self.x[i, j] = z3.Bool(f"x_{i}_{j}", ctx)
                if s.replicas >= 2 and (self.tracked or not s.spread):
                    # untracked, capacity is hard: no level for a replica that cannot fit
                    top = s.replicas if self.tracked else min(s.replicas, self._fit(i, j))
                    levels = [z3.Bool(f"x_{i}_{j}_{k}", ctx) for k in range(2, top + 1)]
                    if levels:
                        self.more[i, j] = levels
                        self.hard += [z3.Implies(b, a) for a, b in zip([x] + levels, levels)]

    def _fit(self, i: int, j: int) -> int:
        """How many replicas of ``i`` node ``j`` could hold on its own."""
        p = self.p
        return min((int(capacity(p, j, d) // demand(p, i, d)) for d in range(len(p.dims))
                    if demand(p, i, d) > 0), default=p.services[i].replicas)

    def count_terms(self, i: int, j: int) -> list:
        """The replicas of ``i`` on ``j``, in unary: ``x[i, j]`` (at least one) and one
        Boolean per further replica, each implying the one before."""
        out = []
        if (i, j) in self.x:
            out.append(self.x[i, j])
            out.extend(self.more.get((i, j), ()))
        return out

    def _constraints(self):
        p, false = self.p, z3.BoolVal(False, self.ctx)
        add = self._add
        for i, s in enumerate(p.services):
            terms = [(t, 1) for j in range(p.n_nodes) for t in self.count_terms(i, j)]
            if s.replicas < 0:
                add(("replicas", i), [false])
            elif s.replicas > 0:
                add(("replicas", i), [self._cmp(terms, s.replicas, eq=True)])
            second = [self.more[i, j][0] for j in range(p.n_nodes) if (i, j) in self.more]
            if s.spread and second:
                add(("distinct", i), [z3.Not(b) for b in second])
            if self.tracked:
                by_req: dict[int, list] = {}
                for j in range(p.n_nodes):
                    if (i, j) in self.x:
                        for r in sorted(p.blocked[i][j]):
                            by_req.setdefault(r, []).append(z3.Not(self.x[i, j]))
                for r, cs in sorted(by_req.items()):
                    add(("req", r, i), cs)
        for j in range(p.n_nodes):
            for d in range(len(p.dims)):
                terms, worst = [], 0
                for i in range(p.n_services):
                    c = int(demand(p, i, d) * self.scale[d])
                    for t in self.count_terms(i, j):
                        terms.append((t, c))
                        worst += max(c, 0)
                cap = int(capacity(p, j, d) * self.scale[d])
                if worst > cap:
                    add(("cap", j, d), [self._cmp(terms, cap)])
        for k, rule in enumerate(p.affinities):
            kind = "near" if rule.kind == "near" else "apart"
            for q, (a, b) in enumerate(rule.pairs):
                cs = []
                for j in range(p.n_nodes):
                    xa, xb = self.x.get((a, j)), self.x.get((b, j))
                    if xa is None:
                        continue
                    if kind == "near" and a != b:
                        cs.append(z3.Implies(xa, xb) if xb is not None else z3.Not(xa))
                    elif kind == "apart" and a == b:
                        cs.append(z3.Not(xa))
                    elif kind == "apart" and xb is not None:
                        cs.append(z3.Not(z3.And(xa, xb)))
                if cs:
                    add((kind, k, q), cs)
        for i, cnt in sorted(self.fixed.items()):
            cs = []
            for j, c in sorted(cnt.items(), key=lambda jc: str(jc[0])):
                terms = self.count_terms(i, j)
                cs.append(terms[c - 1] if c <= len(terms) else false)
            add(("keep", i), cs)

    def _add(self, key: tuple, cs: list):
        self.groups.setdefault(key, []).extend(cs)

    def _num(self, t):
        if z3.is_bool(t):
            return z3.If(t, z3.IntVal(1, self.ctx), z3.IntVal(0, self.ctx))
        return t

    def _cmp(self, terms: list, k: int, eq: bool = False):
        terms = [(t, c) for t, c in terms if c != 0]
        if not terms:
            return z3.BoolVal(k == 0 if eq else k >= 0, self.ctx)
        if all(z3.is_bool(t) and c > 0 for t, c in terms):
            return pb_eq(terms, k) if eq else pb_le(terms, k)
        total = z3.Sum([c * self._num(t) for t, c in terms])
        return total == k if eq else total <= k

    def load(self, j: int, d: int):
        """Node ``j``'s load in dimension ``d`` (scaled to integers: see ``scale``)."""
        terms = [(t, int(demand(self.p, i, d) * self.scale[d]))
                 for i in range(self.p.n_services) for t in self.count_terms(i, j)]
        return z3.Sum([z3.IntVal(0, self.ctx)] + [c * self._num(t) for t, c in terms if c])

    def replicas_of(self, i: int):
        return z3.Sum([z3.IntVal(0, self.ctx)] +
                      [self._num(t) for j in range(self.p.n_nodes)
                       for t in self.count_terms(i, j)])

    # ------------------------------------------------------------------ solving
    def _new(self, kind=z3.Solver, timeout: float = 10.0):
        s = kind(ctx=self.ctx)
        s.set("timeout", max(1, int(timeout * 1000)))
        if kind is z3.Solver:
            s.set("random_seed", 0)
        s.add(*self.hard)
        return s

    def check(self, active=None, timeout: float = 10.0):
        """``(status, placement | None, core keys)`` with the groups in ``active`` (all when
        None). Untracked models ignore ``active``; cores come from tracked models only."""
        if timeout <= 0:
            return UNKNOWN, None, []
        if not self.tracked:
            s = self._new(timeout=timeout)
            for cs in self.groups.values():
                s.add(*cs)
            res = s.check()
            return self._result(res, s, {})
        if self._solver is None:
            self._solver = self._new(timeout=timeout)
            for n, (key, cs) in enumerate(self.groups.items()):
                lit = self._lits[key] = z3.Bool(f"g{n}", self.ctx)
                self._solver.add(z3.Implies(lit, z3.And(cs)))
        s = self._solver
        s.set("timeout", max(1, int(timeout * 1000)))
        keys = [k for k in self.groups if active is None or k in active]
        back = {self._lits[k]: k for k in keys}
        res = s.check(*[self._lits[k] for k in keys])
        return self._result(res, s, back)

    def _result(self, res, s, back):
        if res == z3.sat:
            return SAT, self.decode(s.model()), []
        if res == z3.unsat:
            core = {back[lit] for lit in s.unsat_core() if lit in back} if back else set()
            return UNSAT, None, [k for k in self.groups if k in core]
        return UNKNOWN, None, []

    def optimum(self, active, objective, maximise: bool, timeout: float):
        """``(status, int value)`` of ``objective`` over the groups in ``active``."""
        if timeout <= 0:
            return UNKNOWN, None
        o = self._new(z3.Optimize, timeout)
        for k in self.groups:
            if k in active:
                o.add(*self.groups[k])
        h = o.maximize(objective) if maximise else o.minimize(objective)
        res = o.check()
        if res != z3.sat:
            return (UNSAT if res == z3.unsat else UNKNOWN), None
        value = o.upper(h) if maximise else o.lower(h)
        return (SAT, value.as_long()) if z3.is_int_value(value) else (UNKNOWN, None)

    def decode(self, m) -> tuple:
        out = []
        for i in range(self.p.n_services):
            where: list[int] = []
            for j in range(self.p.n_nodes):
                if (i, j) in self.x and z3.is_true(m.eval(self.x[i, j], model_completion=True)):
                    where += [j] * sum(1 for b in self.count_terms(i, j)
                                       if z3.is_true(m.eval(b, model_completion=True)))
            out.append(tuple(where))
        return tuple(out)


def _int_scales(p: Problem) -> list[Fraction]:
    """Per dimension, the factor that makes every demand and capacity an integer (and their
    greatest common divisor 1, to keep pseudo-Boolean coefficients small)."""
    out = []
    for d in range(len(p.dims)):
        vals = [demand(p, i, d) for i in range(p.n_services)]
        vals += [capacity(p, j, d) for j in range(p.n_nodes)]
        den = lcm(1, *(v.denominator for v in vals))
        g = gcd(0, *(int(v * den) for v in vals)) or 1
        out.append(Fraction(den, g))
    return out


# ---------------------------------------------------------------------------------- counting
@dataclass(frozen=True)
class Obstacle:
    """A proof by counting alone that no placement exists (explain.py puts it in words).

    ``kind``: ``no-nodes`` (services but no nodes), ``no-node`` (no node admits a service),
    ``few-nodes`` (fewer admitting nodes than distinct replicas), ``stranded`` (replicas to
    place beside pinned ones, and fewer places left; ``holds`` lists ``(node, room, dim,
    free)``, room −1 where the node already runs the service), ``count`` (a class of services
    needs more replicas than its admitting nodes can hold; ``holds`` lists ``(node, at most,
    dim, smallest demand, free)``) or ``volume`` (a class needs more of dimension ``dim`` than
    its admitting nodes have; ``others`` is held there by pinned replicas outside the class).
    """
    kind: str
    services: tuple[int, ...]
    nodes: tuple[int, ...] = ()
    dim: int | None = None
    need: Fraction = Fraction(0)
    have: Fraction = Fraction(0)
    others: Fraction = Fraction(0)
    holds: tuple = ()


def kept_load(p: Problem, fx: dict[int, Counter]) -> list[list[Fraction]]:
    """Per node and dimension, the load of the pinned replicas."""
    load = [[Fraction(0)] * len(p.dims) for _ in p.nodes]
    for i, cnt in fx.items():
        for j, c in cnt.items():
            if isinstance(j, int) and 0 <= j < p.n_nodes:
                for d in range(len(p.dims)):
                    load[j][d] += c * demand(p, i, d)
    return load


def class_holds(p: Problem, fx, kept, cls, nodes, dims) -> list[tuple]:
    """Per node, at most how many replicas of ``cls`` fit beside the pinned replicas of other
    services: ``(node, count, binding dim | None, smallest demand, free)``."""
    # a dimension bounds the count only if every replica of the class takes some of it
    least = {d: min((demand(p, i, d) for i in cls), default=None) for d in dims}
    least = {d: v if v is not None and v > 0 else None for d, v in least.items()}
    limit = sum(1 if p.services[i].spread else max(0, p.services[i].replicas) for i in cls)
    out = []
    for j in nodes:
        best = (j, limit, None, None, None)
        for d in dims:
            if least[d] is None:
                continue
            own = sum((c * demand(p, i, d) for i in cls for jj, c in fx.get(i, {}).items()
                       if jj == j), Fraction(0))
            free = capacity(p, j, d) - (kept[j][d] - own)
            h = max(0, floor(free / least[d]))
            if h < best[1]:
                best = (j, h, d, least[d], free)
        out.append(best)
    return out


def obstacles(p: Problem, fixed=None, limit: int = 3) -> list[Obstacle]:
    """Counting arguments that show ``p`` (with ``fixed`` pinned) has no placement; at most
    ``limit`` class arguments (smallest classes first). Empty: no such argument — which
    proves nothing either way."""
    fx = normalise_fixed(p, fixed)
    live = [i for i, s in enumerate(p.services) if s.replicas > 0]
    if not live:
        return []
    if p.n_nodes == 0:
        return [Obstacle("no-nodes", tuple(live),
                         need=Fraction(sum(p.services[i].replicas for i in live)))]
    out: list[Obstacle] = []
    cands = {i: p.candidates(i) for i in live}
    for i in live:
        s = p.services[i]
        if not cands[i]:
            out.append(Obstacle("no-node", (i,)))
        elif s.spread and len(cands[i]) < s.replicas:
            out.append(Obstacle("few-nodes", (i,), tuple(cands[i]), need=Fraction(s.replicas),
                                have=Fraction(len(cands[i]))))
    told = {i for ob in out for i in ob.services}
    kept = kept_load(p, fx)
    dims = range(len(p.dims))
    for i in live if fx else ():
        cnt, s = fx.get(i, Counter()), p.services[i]
        need = s.replicas - sum(cnt.values())
        if need <= 0 or i in told:
            continue
        rooms = []
        for j in cands[i]:
            if s.spread and cnt.get(j):
                rooms.append((j, -1, None, None))
                continue
            room, binding, free = (1 if s.spread else need), None, None
            for d in dims:
                if demand(p, i, d) > 0:
                    left = capacity(p, j, d) - kept[j][d]
                    r = max(0, floor(left / demand(p, i, d)))
                    if r < room:
                        room, binding, free = r, d, max(left, Fraction(0))
            rooms.append((j, room, binding, free))
        spots = sum(max(r, 0) for _, r, _, _ in rooms)
        if spots < need:
            out.append(Obstacle("stranded", (i,), need=Fraction(need), have=Fraction(spots),
                                holds=tuple(rooms)))
            told.add(i)
    rest = [i for i in live if i not in told and cands[i]]
    sets = sorted({frozenset(cands[i]) for i in rest} | {frozenset(range(p.n_nodes))},
                  key=lambda c: (len(c), sorted(c)))
    found: list[Obstacle] = []
    for nodes in sets:
        cls = tuple(i for i in rest if cands[i] and set(cands[i]) <= nodes)
        if not cls:
            continue
        total = sum(p.services[i].replicas for i in cls)
        holds = class_holds(p, fx, kept, cls, sorted(nodes), dims)
        if sum(h[1] for h in holds) < total:
            found.append(Obstacle("count", cls, tuple(sorted(nodes)), need=Fraction(total),
                                  have=Fraction(sum(h[1] for h in holds)), holds=tuple(holds)))
            continue
        for d in dims:
            need = sum((p.services[i].replicas * demand(p, i, d) for i in cls), Fraction(0))
            others = sum((kept[j][d] for j in nodes), Fraction(0)) - sum(
                (c * demand(p, i, d) for i in cls for j, c in fx.get(i, {}).items()
                 if j in nodes), Fraction(0))
            have = sum((capacity(p, j, d) for j in nodes), Fraction(0))
            if need > 0 and need + others > have:
                found.append(Obstacle("volume", cls, tuple(sorted(nodes)), d, need, have, others))
                break
    found.sort(key=lambda ob: (len(ob.services), len(ob.nodes), ob.kind != "count"))
    for ob in found:
        if len([o for o in out if o.kind in ("count", "volume")]) >= limit:
            break
        if not any(set(o.services) <= set(ob.services) for o in out
                   if o.kind in ("count", "volume")):
            out.append(ob)
    return out


# ---------------------------------------------------------------------------------- front
def find_placement(problem: Problem, *, fixed=None, time_limit: float = 10.0):
    """``(status, placement | None)``: ``"sat"`` with a placement the evaluator accepts (and
    that keeps every replica in ``fixed`` — {service index: node indices} — where it is),
    ``"unsat"`` when none exists, ``"unknown"`` when the time limit ran out.

    >>> find_placement(problem)            # doctest: +SKIP
    ('sat', ((0,), (0, 1)))
    """
    dl = Deadline(time_limit)
    fx = normalise_fixed(problem, fixed)
    pl = greedy(problem, fx)
    if pl is not None:
        return SAT, pl
    if obstacles(problem, fx, limit=1):
        return UNSAT, None
    status, pl, _ = Model(problem, fixed=fx).check(timeout=dl.left())
    if status == SAT and not (includes(pl, fx) and evaluate(problem, pl).valid):
        return UNKNOWN, None            # an encoding fault must never pass as an answer
    return status, pl


def minimise_core(model: Model, core, deadline: Deadline):
    """Deletion-based minimisation of an unsat ``core`` of a tracked model: ``(keys,
    complete)``; ``complete`` is False when some deletion was undecided or time ran out.

    Groups are deleted in chunks first (half the candidates, then halving on failure), so a
    large core with few essential groups costs few checks; each check gets a share of the
    time left, so one hard sub-problem cannot eat the budget of the others."""
    order = {k: n for n, k in enumerate(core)}
    todo = sorted(core, key=lambda k: (_DELETE_FIRST.get(k[0], 9), order[k]))
    kept: list[tuple] = []
    complete = True
    chunk = max(1, len(todo) // 2)
    while todo:
        if deadline.expired():
            kept += todo
            complete = False
            break
        chunk = min(chunk, len(todo))
        part, rest = todo[:chunk], todo[chunk:]
        share = max(deadline.left() / (len(todo) + 1) * 4, 0.05)
        status, _, smaller = model.check(set(kept) | set(rest),
                                         timeout=min(share, deadline.left()))
        if status == UNSAT:
            inside = set(smaller)
            todo = [k for k in rest if k in inside]
            kept = [k for k in kept if k in inside]
        elif chunk > 1:
            chunk //= 2
        else:
            kept.append(part[0])
            todo = rest
            complete = complete and status == SAT
    return sorted(kept, key=order.get), complete


def corrections(model: Model, core, deadline: Deadline, *, max_size: int = 3,
                max_found: int = 8, max_checks: int = 400):
    """Minimal correction sets over the relaxable groups, smallest first: sets of groups whose
    removal alone makes the tracked ``model`` satisfiable (a hitting-set tree over cores,
    breadth first). ``(list of frozensets, complete)``."""
    every = set(model.groups)
    found: list[frozenset] = []
    complete = True
    checks = 0
    queue = deque([(frozenset(), list(core))])
    seen = {frozenset()}

    def slice_() -> float:
        # one hard sub-problem may not eat the time of all the others
        return min(deadline.left(), max(deadline.left() / 4, 0.05))

    def shrink(ks: frozenset) -> frozenset:
        # a correction set found deep in the tree may hold a smaller one: dropping fewer
        # groups only constrains more, so one pass over the members leaves a minimal set
        nonlocal checks, complete
        for h in sorted(ks, key=str):
            if len(ks) == 1:
                break
            checks += 1
            st, _, _ = model.check(every - (ks - {h}), timeout=slice_())
            complete = complete and st != UNKNOWN
            if st == SAT:
                ks = ks - {h}
        return ks

    while queue and len(found) < max_found:
        dropped, conflict = queue.popleft()
        for g in conflict:
            if g[0] not in RELAXABLE or g in dropped:
                continue
            cand = dropped | {g}
            if cand in seen or any(f <= cand for f in found):
                continue
            seen.add(cand)
            if deadline.expired() or checks >= max_checks:
                return found, False
            checks += 1
            st, _, again = model.check(every - cand, timeout=slice_())
            if st == SAT:
                small = shrink(cand)
                if not any(f <= small for f in found):
                    found.append(small)
                    if len(found) >= max_found:
                        break
            elif st == UNSAT and len(cand) < max_size:
                queue.append((cand, again))
            elif st == UNKNOWN:
                complete = False
    return found, complete and not queue
