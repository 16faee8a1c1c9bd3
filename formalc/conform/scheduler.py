"""Scheduler conformance: does a placement algorithm respect the spec, and how far from the
optimum is it?

:func:`check_scheduler` runs a *scheduler* — any callable — on placement problems (a list of
:class:`~formalc.schedule.problem.Problem`, or a Hypothesis strategy such as :func:`problems`)
and judges every answer with formalc's own machinery:

* the placement is re-checked by the independent evaluator
  (:func:`formalc.schedule.evaluate.evaluate`, exact rationals, no Z3); every broken hard
  constraint is named: ``capacity cpu on n1``, ``requirement trust: a on n1``,
  ``spread of a``, ``replicas of a``, ``near twin: a on n2``, ``apart split: a on n2``;
* formalc's optimiser solves the same instance (:func:`formalc.schedule.solve.solve`), and the
  scheduler's cost is divided by formalc's (the first objective level): exact against a proven
  optimum, otherwise against the best placement found, with the proven bound as an upper
  estimate of the ratio;
* a refusal (``None``, :class:`NoPlacement`, or an exception listed in ``refuse``) is correct
  when formalc proves the instance infeasible and a finding when formalc places it;
* any other exception is a crash, a finding with its message.

With a strategy, every finding is shrunk by Hypothesis to the smallest instance that still
shows it, and the report ends with a Python transcript that replays it.

The scheduler sees one of two *views* (``view=``):

``"plain"`` (the default) — a dict of plain Python values, so a scheduler needs no formalc
types (see :func:`plain_view`)::

    {"name": "Tiny", "dims": ["cpu"],
     "nodes": [{"name": "n1", "capacity": {"cpu": 4}, "attrs": {"trust": "2"}}, …],
     "services": [{"name": "a", "demand": {"cpu": 3}, "replicas": 2, "spread": True,
                   "allowed": ["n2", "n3"], "attrs": {"minTrust": "4"}}, …],
     "near": [{"rule": "r", "service": "a", "with": "b"}], "apart": […],
     "objective": [{"text": "…", "per_replica": {"a": {"n1": 1.5, …}, …},
                    "peak": 4, "peak_dims": ["cpu"], "nodes_used": 0, "const": 0}]}

``"problem"`` — the :class:`Problem` itself (a deep copy; the scheduler may scribble on it).

Either way it returns ``{service name: [node name, …]}`` (node indices are accepted too), or
a list with one entry per service in the order given, or ``None`` / raises
:class:`NoPlacement` to say the instance cannot be placed.

>>> def first_fit(view):                                    # doctest: +SKIP
...     free = {n["name"]: dict(n["capacity"]) for n in view["nodes"]}
...     out = {}
...     for s in view["services"]:
...         out[s["name"]] = []
...         for _ in range(s["replicas"]):
...             node = next((n for n in s["allowed"] if n not in out[s["name"]] and
...                          all(free[n][d] >= s["demand"][d] for d in view["dims"])), None)
...             if node is None:
...                 raise NoPlacement(f"{s['name']} does not fit")
...             out[s["name"]].append(node)
...             for d in view["dims"]:
...                 free[node][d] -= s["demand"][d]
...     return out
>>> report = check_scheduler(first_fit, problems(), examples=20)   # doctest: +SKIP
>>> print(report.to_text())                                 # doctest: +SKIP
"""
from __future__ import annotations

import copy
import enum
import importlib
import importlib.util
import math
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from ..schedule.evaluate import Evaluation, evaluate
from ..schedule.problem import (Affinity, CostTerm, Dim, Linear, Node, Problem, Requirement,
                                Service, Term)

__all__ = ["Broken", "NoPlacement", "Outcome", "SchedulerReport", "SchedulerRow", "Shrunk",
           "check_scheduler", "load_scheduler", "plain_view", "problem_source", "problems",
           "restrict", "to_placement", "transcript"]


class NoPlacement(Exception):
    """Raise it from a scheduler to say "this instance cannot be placed" (a refusal, judged
    against formalc's answer: correct when formalc proves the instance infeasible)."""


class Outcome(str, enum.Enum):
    """What happened on one instance, worst first. The first three are findings."""
    VIOLATION = "violation"                  # the placement breaks a hard constraint
    CRASHED = "crashed"                      # the scheduler raised an unexpected exception
    REFUSED_FEASIBLE = "refused-feasible"    # it refused; formalc found a placement
    UNDECIDED = "undecided"                  # it refused; formalc could not decide in time
    REFUSED_INFEASIBLE = "refused-infeasible"  # it refused; formalc proves none exists
    VALID = "valid"                          # every hard constraint holds

    @property
    def finding(self) -> bool:
        return self in (Outcome.VIOLATION, Outcome.CRASHED, Outcome.REFUSED_FEASIBLE)


@dataclass(frozen=True)
class Broken:
    """One violated hard constraint. ``constraint`` names it (``capacity cpu on n1``);
    ``kind`` is replicas / spread / requirement / capacity / near / apart / shape; ``rule`` is
    the requirement's or affinity rule's name, ``dim`` the resource dimension."""
    kind: str
    constraint: str
    message: str
    service: str | None = None
    node: str | None = None
    dim: str | None = None
    rule: str | None = None

    @property
    def group(self) -> str:
        """The constraint without the instance's names: ``capacity cpu``, ``requirement trust``,
        ``spread`` — what the summary counts."""
        return f"{self.kind} {self.dim or self.rule}" if (self.dim or self.rule) else self.kind

    def to_json(self) -> dict:
        return {"kind": self.kind, "constraint": self.constraint, "message": self.message,
                "service": self.service, "node": self.node, "dim": self.dim, "rule": self.rule}


# ------------------------------------------------------------------------------ the views
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


# ------------------------------------------------------------------------------ strategies
#: Capacity factors a spec-derived instance draws per node; the first is what shrinking aims at.
FACTORS = (Fraction(1), Fraction(1, 2), Fraction(3, 4), Fraction(5, 4), Fraction(3, 2),
           Fraction(2))


def restrict(problem: Problem, services: Sequence[int], nodes: Sequence[int], *,
             replicas: Sequence[int] | None = None,
             factors: Sequence[Fraction] | None = None) -> Problem:
    """The sub-problem on some services and nodes (indices, kept in the problem's order), with
    other replica counts and node capacities scaled by ``factors`` if given. Affinity pairs
    between kept services stay; the objective's weights are the problem's (a ``placements``
    weight lowered from the whole schedule is not recomputed)."""
    si, nj = sorted(services), sorted(nodes)
    newi = {i: k for k, i in enumerate(si)}
    reps = list(replicas) if replicas is not None else [problem.services[i].replicas for i in si]
    fac = list(factors) if factors is not None else [Fraction(1)] * len(nj)
    svcs = [Service(problem.services[i].name, problem.services[i].demand, r,
                    problem.services[i].spread, problem.services[i].attrs,
                    problem.services[i].loc) for i, r in zip(si, reps)]
    nds = [Node(problem.nodes[j].name, tuple(c * f for c in problem.nodes[j].cap),
                problem.nodes[j].attrs, problem.nodes[j].loc) for j, f in zip(nj, fac)]
    aff = []
    for rule in problem.affinities:
        pairs = tuple((newi[a], newi[b]) for a, b in rule.pairs if a in newi and b in newi)
        if pairs:
            aff.append(Affinity(rule.kind, rule.name, pairs, rule.loc))
    costs = {k: CostTerm(c.name, tuple(tuple(c.table[i][j] for j in nj) for i in si), c.loc)
             for k, c in problem.costs.items()}
    return Problem(problem.name, problem.dims, nds, svcs, problem.requirements,
                   [[problem.blocked[i][j] for j in nj] for i in si], aff, costs,
                   problem.objective, problem.loc)


OBJECTIVES = ("latency+peak", "latency", "nodes_used")


def problems(base=None, name: str | None = None, *, max_services: int = 5, max_nodes: int = 4,
             min_nodes: int = 1, max_replicas: int = 3, vary_capacity: bool = True,
             vary_replicas: bool = True, affinities: bool = True,
             objectives: Sequence[str] = ("latency+peak",)) -> st.SearchStrategy[Problem]:
    """A Hypothesis strategy of small placement problems; shrinking makes them smaller.

    With ``base`` (a :class:`Problem`, or a spec with ``name`` choosing its schedule): a
    subset of at most ``max_services`` services and ``max_nodes`` nodes, each node's capacity
    scaled by one of :data:`FACTORS`, each service at its replicas, 1, one more or one fewer.

    ``min_nodes`` keeps at least that many nodes (shrinking stops there): random subsets of a
    spec's nodes are often too few for its requirements.

    Without: synthetic edge fleets — dimensions ``cpu`` and ``memory``; nodes with integer
    capacities, a ``trust`` level 0–3 and a ``latency`` 1–20 (attributes, as text); services
    with demands, 1 to ``max_replicas`` replicas (on distinct nodes unless drawn otherwise), a
    ``minTrust``; one requirement ``trust`` (n.trust ≥ s.minTrust); with ``affinities``, up
    to two near/apart rules; one cost ``latency`` (the node's latency / 20 per replica) and an
    objective drawn from ``objectives``: ``latency+peak`` (latency + placements × peak
    utilisation, the seed's latency/resource balance), ``latency``, ``nodes_used``."""
    if base is not None and not isinstance(base, Problem):
        from ..api import schedule_problem
        base = schedule_problem(base, name)
    if base is not None:
        return _from_base(base, max_services, max_nodes, min_nodes, vary_capacity,
                          vary_replicas)
    bad = [o for o in objectives if o not in OBJECTIVES]
    if bad or not objectives:
        raise ValueError(f"unknown objective {bad[0] if bad else None!r}: choose from "
                         f"{', '.join(OBJECTIVES)}")
    return _synthetic(max_services, max_nodes, min_nodes, max_replicas, affinities,
                      tuple(objectives))


def _from_base(base: Problem, max_services: int, max_nodes: int, min_nodes: int,
               vary_capacity: bool, vary_replicas: bool):
    S, N = base.n_services, base.n_nodes
    # one list element per kept service / node, with its variation, so that shrinking by
    # deleting an element drops the service or node together with what was drawn for it;
    # 0 (where shrinking goes) keeps the service's replicas and the node's capacity
    reps = st.integers(0, 3) if vary_replicas else st.just(0)
    fac = st.integers(0, len(FACTORS) - 1) if vary_capacity else st.just(0)

    @st.composite
    def draw(draw):
        svcs = sorted(draw(st.lists(st.tuples(st.integers(0, S - 1), reps), min_size=1,
                                    max_size=min(S, max_services), unique_by=lambda t: t[0])))
        nodes = sorted(draw(st.lists(st.tuples(st.integers(0, N - 1), fac),
                                     min_size=min(N, max(1, min_nodes)),
                                     max_size=min(N, max(max_nodes, min_nodes)),
                                     unique_by=lambda t: t[0])))
        r = [base.services[i].replicas for i, _ in svcs]
        r = [(x, 1, x + 1, max(1, x - 1))[k] for x, (_, k) in zip(r, svcs)]
        return restrict(base, [i for i, _ in svcs], [j for j, _ in nodes], replicas=r,
                        factors=[FACTORS[k] for _, k in nodes])
    return draw()


_SYN_DIMS = [Dim("cpu", "core", "core"), Dim("memory", "GiB", "GiB")]
_TRUST = Requirement("trust")
#: (cpu, memory, trust, latency) of a synthetic node; (cpu, memory, replicas, minTrust, spread)
#: of a service. Lists of them shrink by dropping elements, numbers towards the small end.
_NODE = st.tuples(st.integers(4, 16), st.integers(8, 32), st.integers(0, 3), st.integers(1, 20))


def _service(max_replicas: int):
    return st.tuples(st.integers(1, 4), st.integers(1, 8), st.integers(1, max_replicas),
                     st.integers(0, 2), st.booleans().map(lambda b: not b))


def _synthetic(max_services: int, max_nodes: int, min_nodes: int, max_replicas: int,
               affinities: bool, objectives: tuple):
    @st.composite
    def draw(draw):
        raw_nodes = draw(st.lists(_NODE, min_size=max(1, min_nodes),
                                  max_size=max(max_nodes, min_nodes)))
        raw_svcs = draw(st.lists(_service(max_replicas), min_size=1, max_size=max_services))
        n, s = len(raw_nodes), len(raw_svcs)
        nodes = [Node(f"n{j + 1}", (Fraction(c), Fraction(m)),
                      (("trust", str(t)), ("latency", str(lat))))
                 for j, (c, m, t, lat) in enumerate(raw_nodes)]
        svcs = [Service(f"s{i + 1}", (Fraction(c), Fraction(m)), r, spread,
                        (("minTrust", str(need)),))
                for i, (c, m, r, need, spread) in enumerate(raw_svcs)]
        blocked = [[frozenset({0}) if raw_nodes[j][2] < raw_svcs[i][3] else frozenset()
                    for j in range(n)] for i in range(s)]
        rules = []
        if affinities and s >= 2:
            pairs = draw(st.lists(st.tuples(st.sampled_from(("apart", "near")),
                                            st.integers(0, s - 1), st.integers(0, s - 1))
                                  .filter(lambda t: t[1] != t[2]), max_size=2, unique=True))
            for k, (kind, a, b) in enumerate(pairs):
                rules.append(Affinity(kind, f"{kind}{k + 1}", ((a, b),)))
        table = tuple(tuple(Fraction(raw_nodes[j][3], 20) for j in range(n)) for _ in range(s))
        costs = {"latency": CostTerm("latency", table)}
        kind = draw(st.sampled_from(objectives))
        reps_total = Fraction(sum(x.replicas for x in svcs))
        if kind == "latency+peak":
            obj = Linear(((Term("cost", "latency"), Fraction(1)), (Term("peak"), reps_total)),
                         text="latency + placements × peak")
        elif kind == "latency":
            obj = Linear(((Term("cost", "latency"), Fraction(1)),), text="latency")
        else:
            obj = Linear(((Term("nodes"), Fraction(1)),), text="nodes_used")
        return Problem(f"fleet-{s}x{n}", list(_SYN_DIMS), nodes, svcs, [_TRUST], blocked,
                       rules, costs, [obj])
    return draw()


def problem_source(problem: Problem) -> str:
    """Python source that rebuilds ``problem`` (source locations left out), for transcripts;
    it needs ``Fraction`` and the classes of :mod:`formalc.schedule.problem` in scope."""
    def fr(x) -> str:
        x = Fraction(x)
        return f"Fraction({x.numerator})" if x.denominator == 1 else \
            f"Fraction({x.numerator}, {x.denominator})"

    def vec(xs) -> str:
        return "(" + ", ".join(map(fr, xs)) + ("," if len(xs) == 1 else "") + ")"

    def dim(d: Dim) -> str:
        extra = (f", show_scale={fr(d.show_scale)}" if d.show_scale != 1 else "") + \
            (f", units=({', '.join(f'({u!r}, {fr(v)})' for u, v in d.units)},)"
             if d.units else "")
        return f"Dim({d.name!r}, {d.unit!r}, {d.show!r}{extra})"

    def term(t: Term) -> str:
        return f"Term({t.kind!r}" + (f", {t.name!r}" if t.name else "") + \
            (f", dims={t.dims!r}" if t.dims else "") + ")"

    p = problem
    blocked = "[" + ", ".join("[" + ", ".join(f"frozenset({set(b)!r})" if b else "frozenset()"
                                              for b in row) + "]" for row in p.blocked) + "]"
    lines = [
        "Problem(",
        f"    name={p.name!r},",
        f"    dims=[{', '.join(map(dim, p.dims))}],",
        "    nodes=[" + ",\n           ".join(f"Node({n.name!r}, {vec(n.cap)}, {n.attrs!r})"
                                            for n in p.nodes) + "],",
        "    services=[" + ",\n              ".join(
            f"Service({s.name!r}, {vec(s.demand)}, {s.replicas}, {s.spread}, {s.attrs!r})"
            for s in p.services) + "],",
        f"    requirements=[{', '.join(f'Requirement({r.name!r})' for r in p.requirements)}],",
        f"    blocked={blocked},",
        "    affinities=[" + ", ".join(f"Affinity({a.kind!r}, {a.name!r}, {a.pairs!r})"
                                   for a in p.affinities) + "],",
        "    costs={" + ", ".join(
            f"{k!r}: CostTerm({c.name!r}, (" + ", ".join(vec(r) for r in c.table)
            + ("," if len(c.table) == 1 else "") + "))" for k, c in p.costs.items()) + "},",
        "    objective=[" + ", ".join(
            "Linear((" + ", ".join(f"({term(t)}, {fr(c)})" for t, c in lin.coefs)
            + ("," if len(lin.coefs) == 1 else "") + f"), {fr(lin.const)}, {lin.text!r})"
            for lin in p.objective) + "])"]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ results
@dataclass
class SchedulerRow:
    """One instance: what the scheduler did, what the evaluator says, what formalc found.

    ``ratio`` is the scheduler's first objective level over formalc's (``math.inf`` when
    formalc's is 0 and the scheduler's is not); ``ratio_bound`` the scheduler's over formalc's
    proven lower bound — the largest the true ratio can be when the optimum is not proved."""
    index: int
    problem: Problem
    outcome: Outcome
    source: str = "generated"                 # generated | given | shrunk
    violations: list[Broken] = field(default_factory=list)
    detail: str = ""                          # the refusal's or the crash's message
    placement: tuple | None = None
    levels: list[Fraction] = field(default_factory=list)
    status: str | None = None                 # formalc: optimal/feasible/infeasible/unknown
    optimum: list[Fraction] = field(default_factory=list)
    bound: Fraction | None = None
    formalc_placement: tuple | None = None
    ratio: Fraction | float | None = None
    ratio_bound: Fraction | float | None = None
    notes: list[str] = field(default_factory=list)
    scheduler_s: float = 0.0
    check_s: float = 0.0
    optimum_s: float = 0.0

    @property
    def proven(self) -> bool:
        return self.status == "optimal"

    def size(self) -> str:
        """``services×nodes (replicas)``."""
        p, r = self.problem, self.problem.placements_count()
        return f"{p.n_services}×{p.n_nodes} ({r} replica{'s' if r != 1 else ''})"

    def to_json(self) -> dict:
        p = self.problem
        return {
            "index": self.index, "source": self.source, "problem": p.name,
            "size": {"services": p.n_services, "replicas": p.placements_count(),
                     "nodes": p.n_nodes},
            "outcome": self.outcome.value, "finding": self.outcome.finding,
            "violations": [b.to_json() for b in self.violations], "detail": self.detail or None,
            "placement": None if self.placement is None else _named(p, self.placement),
            "cost": [_exact(x) for x in self.levels],
            "formalc": {"status": self.status, "optimum": [_exact(x) for x in self.optimum],
                        "bound": _exact(self.bound),
                        "placement": None if self.formalc_placement is None
                        else _named(p, self.formalc_placement)},
            "ratio": _exact(self.ratio), "ratio_bound": _exact(self.ratio_bound),
            "notes": list(self.notes),
            "seconds": {"scheduler": round(self.scheduler_s, 6), "check": round(self.check_s, 6),
                        "formalc": round(self.optimum_s, 4)}}


@dataclass
class Shrunk:
    """The smallest instance Hypothesis found for one kind of finding (``target``:
    ``violation capacity``, ``crashed ValueError``, ``refused-feasible``), fully judged, and a
    Python program that replays it. When ``shrunk`` is False, ``note`` says why the instance
    is shown as it was (given, not from a strategy; shrinking off; not found again)."""
    target: str
    row: SchedulerRow
    transcript: str
    shrunk: bool = True
    tried: int = 0
    note: str = ""

    def to_json(self) -> dict:
        return {"target": self.target, "shrunk": self.shrunk, "tried": self.tried,
                "note": self.note or None,
                "instance": self.row.to_json(), "transcript": self.transcript}


@dataclass
class SchedulerReport:
    """Every instance's row, the shrunk findings, and the totals. ``exit_code``: 0 no finding,
    1 a finding, 3 no finding but a refusal formalc could not judge (or a disagreement with
    formalc, see ``notes``)."""
    scheduler: str
    rows: list[SchedulerRow]
    smallest: list[Shrunk] = field(default_factory=list)
    seed: int | None = None
    view: str = "plain"
    time_limit: float = 0.0
    wall_s: float = 0.0
    duplicates: int = 0                       # drawn instances equal to an earlier one

    @property
    def findings(self) -> list[SchedulerRow]:
        return [r for r in self.rows if r.outcome.finding]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def disagreements(self) -> list[SchedulerRow]:
        return [r for r in self.rows if any(n.startswith("formalc disagrees") for n in r.notes)]

    @property
    def exit_code(self) -> int:
        if self.findings:
            return 1
        if self.disagreements or any(r.outcome is Outcome.UNDECIDED for r in self.rows):
            return 3
        return 0

    def ratios(self) -> list[Fraction | float]:
        return [r.ratio for r in self.rows if r.ratio is not None]

    def summary(self) -> dict:
        counts = {o.value: sum(1 for r in self.rows if r.outcome is o) for o in Outcome}
        broken: dict[str, int] = {}
        for r in self.rows:
            for g in {b.group for b in r.violations}:
                broken[g] = broken.get(g, 0) + 1
        broken = dict(sorted(broken.items(), key=lambda kv: (-kv[1], kv[0])))
        ratios = [float(x) for x in self.ratios()]
        proven = [float(r.ratio) for r in self.rows if r.ratio is not None and r.proven]
        sched = sum(r.scheduler_s for r in self.rows)
        check = sum(r.check_s for r in self.rows)
        opt = sum(r.optimum_s for r in self.rows)
        n = len(self.rows)
        return {
            "instances": n, "duplicates_dropped": self.duplicates, "outcomes": counts,
            "findings": len(self.findings),
            "violated_constraints": broken,
            "ratio": {"count": len(ratios), "proven": len(proven),
                      "median": statistics.median(ratios) if ratios else None,
                      "max": max(ratios) if ratios else None,
                      "median_proven": statistics.median(proven) if proven else None,
                      "max_proven": max(proven) if proven else None},
            "optima_proven": sum(1 for r in self.rows if r.proven),
            "infeasible": sum(1 for r in self.rows if r.status == "infeasible"),
            "disagreements": len(self.disagreements),
            "seconds": {"scheduler": round(sched, 4), "check": round(check, 4),
                        "formalc": round(opt, 3), "wall": round(self.wall_s, 3)},
            "instances_per_s": round(n / self.wall_s, 2) if self.wall_s else None,
            "checked_per_s": round(n / (sched + check), 1) if sched + check else None}

    def to_json(self) -> dict:
        """The whole report as plain JSON data (exact rationals as ``{"value", "exact"}``)."""
        return {"schema": "formalc-conform-scheduler/1", "scheduler": self.scheduler,
                "view": self.view, "seed": self.seed, "time_limit": self.time_limit,
                "exit_code": self.exit_code, "summary": self.summary(),
                "instances": [r.to_json() for r in self.rows],
                "smallest": [s.to_json() for s in self.smallest]}

    def to_text(self, *, all_rows: bool = True) -> str:
        """The human report: a verdict line, the counts, the cost ratios, one line per
        instance (``all_rows=False``: findings only), then each shrunk finding with its
        transcript."""
        return "\n".join(_text(self, all_rows)) + "\n"


def _exact(x):
    if x is None:
        return None
    if isinstance(x, float) and math.isinf(x):
        return {"value": None, "exact": "inf"}
    x = Fraction(x)
    return {"value": float(x), "exact": str(x)}


def _named(p: Problem, placement) -> dict[str, list[str]]:
    return p.named(placement)


def _num(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.6g}"


def _ratio(x) -> str:
    if x is None:
        return "—"
    return "∞" if isinstance(x, float) and math.isinf(x) else f"{float(x):.3f}"


def _table(header: list[str], rows: list[list[str]], indent: str = "    ") -> list[str]:
    widths = [max([len(h)] + [len(r[k]) for r in rows]) for k, h in enumerate(header)]
    out = [indent + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
           indent + "  ".join("─" * w for w in widths)]
    out += [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return out


def _placement_text(p: Problem, placement) -> str:
    return "; ".join(f"{s} → {', '.join(ns) or '—'}" for s, ns in p.named(placement).items())


def _row_cells(r: SchedulerRow) -> list[str]:
    formalc = "—" if r.status is None else (
        f"{_num(r.optimum[0])} {r.status}" if r.optimum else r.status)
    if r.status == "feasible" and r.bound is not None:
        formalc += f" (bound {_num(r.bound)})"
    if r.violations:
        note = "; ".join(dict.fromkeys(b.constraint for b in r.violations))
    else:
        note = r.detail
    note = "; ".join([x for x in [note, *r.notes] if x])
    return [str(r.index), r.size(), r.outcome.value, _num(r.levels[0]) if r.levels else "—",
            formalc, _ratio(r.ratio), note[:110] + ("…" if len(note) > 110 else "")]


def _text(rep: SchedulerReport, all_rows: bool) -> list[str]:
    s = rep.summary()
    n, f = s["instances"], s["findings"]
    verdict = "no finding" if not f else f"{f} finding{'s' if f != 1 else ''}"
    out = [f"scheduler {rep.scheduler}: {n} instance{'s' if n != 1 else ''}, {verdict}"
           + (f" (seed {rep.seed})" if rep.seed is not None else "")]
    labels = {Outcome.VALID: "valid placement", Outcome.VIOLATION: "breaks a hard constraint",
              Outcome.CRASHED: "crashed", Outcome.REFUSED_FEASIBLE: "refused a feasible instance",
              Outcome.REFUSED_INFEASIBLE: "refused an infeasible instance (correct)",
              Outcome.UNDECIDED: "refused, formalc undecided"}
    for o in Outcome:
        if s["outcomes"][o.value]:
            out.append(f"  {s['outcomes'][o.value]:>4}  {labels[o]}")
    for g, k in s["violated_constraints"].items():
        out.append(f"        {g}: broken on {k} instance{'s' if k != 1 else ''}")
    ra = s["ratio"]
    if ra["count"]:
        out.append(f"  cost / formalc's optimum: median {_ratio(ra['median'])}, max "
                   f"{_ratio(ra['max'])} over {ra['count']} placements "
                   f"({ra['proven']} against a proven optimum)")
    out.append(f"  formalc: {s['optima_proven']} optimum proven, {s['infeasible']} infeasible "
               f"proven, of {n}")
    if s["disagreements"]:
        out.append(f"  note: {s['disagreements']} instance(s) where the scheduler's valid "
                   "placement contradicts formalc's answer (a formalc bug: please report it)")
    sec = s["seconds"]
    out.append(f"  time: scheduler {sec['scheduler']:.3f} s, checks {sec['check']:.3f} s, "
               f"formalc {sec['formalc']:.2f} s, wall {sec['wall']:.2f} s "
               f"({s['instances_per_s']} instances/s)")
    rows = rep.rows if all_rows else rep.findings
    if rows:
        out += ["", "  instances"]
        out += _table(["#", "size", "outcome", "cost", "formalc", "ratio", "why"],
                      [_row_cells(r) for r in rows])
    for sh in rep.smallest:
        r = sh.row
        how = f"shrunk by Hypothesis ({sh.tried} instances tried)" if sh.shrunk else sh.note
        out += ["", (f"  smallest instance for {sh.target} — {how}: {r.size()}, "
                     f"outcome {r.outcome.value}")]
        p = r.problem
        for nd in p.nodes:
            cap = ", ".join(f"{d.name} {d.fmt(c)}" for d, c in zip(p.dims, nd.cap))
            attrs = " ".join(f"{k}={v}" for k, v in nd.attrs)
            out.append(f"    node {nd.name}: {cap}" + (f"  [{attrs}]" if attrs else ""))
        for i, sv in enumerate(p.services):
            dem = ", ".join(f"{d.name} {d.fmt(c)}" for d, c in zip(p.dims, sv.demand))
            allowed = [nd.name for j, nd in enumerate(p.nodes) if not p.blocked[i][j]]
            plural = "s" if sv.replicas != 1 else ""
            out.append(f"    service {sv.name}: {sv.replicas} replica{plural}"
                       f"{' on distinct nodes' if sv.spread and sv.replicas > 1 else ''}, {dem};"
                       f" allowed on {', '.join(allowed) or 'no node'}")
        for rule in p.affinities:
            for a, b in rule.pairs:
                out.append(f"    {rule.kind} {rule.name}: {p.services[a].name}, "
                           f"{p.services[b].name}")
        if r.placement is not None:
            out.append(f"    scheduler: {_placement_text(p, r.placement)}")
        elif r.detail:
            out.append(f"    scheduler: {r.detail}")
        for b in r.violations:
            out.append(f"    ✘ {b.constraint}: {b.message}")
        if r.formalc_placement is not None:
            out.append(f"    formalc ({r.status}): {_placement_text(p, r.formalc_placement)}")
        elif r.status:
            out.append(f"    formalc: {r.status}")
        out.append("    replay:")
        out += ["      " + ln for ln in sh.transcript.splitlines()]
    return out


# ------------------------------------------------------------------------------ running
def load_scheduler(ref: str) -> Callable:
    """``"package.module:function"`` or ``"path/to/file.py:function"`` (dots after the colon
    reach attributes: ``"mod:Planner.place"``) as the callable it names."""
    mod_name, sep, attr = ref.partition(":")
    if not sep or not mod_name or not attr:
        raise ValueError(f"scheduler {ref!r}: write it as module:function "
                         "(e.g. models.edge_manager:schedule)")
    if mod_name.endswith(".py") or "/" in mod_name:
        path = Path(mod_name)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ValueError(f"scheduler {ref!r}: no Python file {mod_name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, module)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(mod_name)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"scheduler {ref!r}: {mod_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"scheduler {ref!r}: {attr} is a {type(obj).__name__}, not a callable")
    return obj


def _callable_name(f: Callable) -> str:
    mod, qual = getattr(f, "__module__", None), getattr(f, "__qualname__", None)
    if mod and qual:
        return f"{mod}:{qual}"
    return getattr(f, "__name__", None) or type(f).__name__


@dataclass
class _Run:
    """One call of the scheduler and the evaluator's judgement, before formalc is asked (a
    refusal is UNDECIDED until formalc says whether the instance is feasible)."""
    outcome: Outcome
    placement: tuple | None = None
    violations: list[Broken] = field(default_factory=list)
    levels: list[Fraction] = field(default_factory=list)
    detail: str = ""
    scheduler_s: float = 0.0
    check_s: float = 0.0


class _Judge:
    def __init__(self, scheduler: Callable, view: str, refuse: tuple, time_limit: float,
                 seed: int, optimum: bool):
        if view not in ("plain", "problem"):
            raise ValueError(f"view {view!r}: use 'plain' (dicts and lists) or 'problem' "
                             "(formalc.schedule.problem.Problem)")
        if time_limit <= 0:
            raise ValueError("time_limit must be positive (seconds for formalc per instance)")
        self.scheduler, self.view = scheduler, view
        self.refuse = (NoPlacement, *refuse)
        self.time_limit, self.seed, self.optimum = time_limit, seed, optimum

    def run(self, problem: Problem) -> _Run:
        arg = plain_view(problem) if self.view == "plain" else copy.deepcopy(problem)
        t0 = time.perf_counter()
        try:
            answer = self.scheduler(arg)
        except self.refuse as e:
            return _Run(Outcome.UNDECIDED, detail=_exc(e), scheduler_s=time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - the implementation's failure is a finding
            return _Run(Outcome.CRASHED, detail=_exc(e), scheduler_s=time.perf_counter() - t0)
        t1 = time.perf_counter()
        if answer is None:
            return _Run(Outcome.UNDECIDED, detail="returned None", scheduler_s=t1 - t0)
        placement, bad = to_placement(problem, answer)
        if placement is None:
            return _Run(Outcome.VIOLATION, None, bad, scheduler_s=t1 - t0,
                        check_s=time.perf_counter() - t1)
        ev = evaluate(problem, placement)
        broken = name_violations(problem, ev)
        return _Run(Outcome.VALID if ev.valid else Outcome.VIOLATION, placement, broken,
                    list(ev.levels) if ev.valid else [], scheduler_s=t1 - t0,
                    check_s=time.perf_counter() - t1)

    def feasible(self, problem: Problem) -> bool | None:
        """Whether formalc finds a placement (None: undecided in time) — the cheap question
        shrinking asks of a refusal."""
        from ..schedule.feasible import SAT, UNSAT, find_placement
        status, _ = find_placement(problem, time_limit=min(self.time_limit, 5.0))
        return True if status == SAT else False if status == UNSAT else None

    def row(self, index: int, problem: Problem, source: str) -> SchedulerRow:
        run = self.run(problem)
        r = SchedulerRow(index, problem, run.outcome, source, run.violations, run.detail,
                         run.placement, run.levels, scheduler_s=run.scheduler_s,
                         check_s=run.check_s)
        refused = run.outcome is Outcome.UNDECIDED
        if not self.optimum and not refused:
            return r
        t0 = time.perf_counter()
        if self.optimum:
            from ..schedule.solve import solve
            sol = solve(problem, self.time_limit, seed=self.seed, explain=False)
            r.status, r.optimum = sol.status, list(sol.levels)
            r.formalc_placement = sol.placement
            r.bound = sol.bounds[0] if sol.bounds else None
            feasible = True if sol.status in ("optimal", "feasible") else \
                False if sol.status == "infeasible" else None
            if sol.status == "unknown" and sol.reason:
                r.notes.append(f"formalc: {sol.reason}")
        else:
            feasible = self.feasible(problem)
            r.status = {True: "feasible", False: "infeasible", None: "unknown"}[feasible]
        r.optimum_s = time.perf_counter() - t0
        if refused:
            r.outcome = {True: Outcome.REFUSED_FEASIBLE, False: Outcome.REFUSED_INFEASIBLE,
                         None: Outcome.UNDECIDED}[feasible]
        elif run.outcome is Outcome.VIOLATION and feasible is False:
            r.notes.append("formalc proves the instance infeasible: no placement can be right")
        elif run.outcome is Outcome.VALID:
            _compare(r)
        return r


def _exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _compare(r: SchedulerRow) -> None:
    if r.status == "infeasible":
        r.notes.append("formalc disagrees: it calls the instance infeasible, yet the "
                       "scheduler's placement is valid")
        return
    if not (r.levels and r.optimum):
        return
    mine, best = r.levels[0], r.optimum[0]
    if r.proven and mine < best:
        r.notes.append(f"formalc disagrees: its proven optimum {_num(best)} is above the "
                       f"scheduler's valid placement ({_num(mine)})")
    r.ratio = _div(mine, best)
    if r.status == "feasible" and r.bound is not None:
        r.ratio_bound = _div(mine, r.bound)
        if mine < best:
            r.notes.append("cheaper than formalc's best found within the time limit")


def _div(a: Fraction, b: Fraction):
    if b > 0:
        return a / b
    if b == 0:
        return Fraction(1) if a == 0 else math.inf
    return None          # a negative optimum: no meaningful ratio


def _target(r: SchedulerRow) -> list[str]:
    if r.outcome is Outcome.VIOLATION:
        return [f"violation {k}" for k in dict.fromkeys(b.kind for b in r.violations)]
    if r.outcome is Outcome.CRASHED:
        return [f"crashed {r.detail.split(':')[0]}"]
    if r.outcome is Outcome.REFUSED_FEASIBLE:
        return ["refused-feasible"]
    return []


def _shows(judge: _Judge, problem: Problem, target: str) -> bool:
    run = judge.run(problem)
    kind, _, what = target.partition(" ")
    if kind == "violation":
        return any(b.kind == what for b in run.violations)
    if kind == "crashed":
        return run.outcome is Outcome.CRASHED and run.detail.split(":")[0] == what
    return run.outcome is Outcome.UNDECIDED and judge.feasible(problem) is True


def _settings(examples: int, phases):
    from hypothesis import HealthCheck, Verbosity, settings
    return settings(max_examples=examples, phases=phases, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                    report_multiple_bugs=False)


def _draw_all(strategy, examples: int, seed: int) -> list[Problem]:
    from hypothesis import Phase, given
    from hypothesis import seed as hseed
    got: list[Problem] = []

    @hseed(seed)
    @_settings(examples, (Phase.generate,))
    @given(strategy)
    def collect(p):
        got.append(p)
    collect()
    return got


class _Found(Exception):
    pass


def _shrink(judge: _Judge, strategy, target: str, examples: int, seed: int):
    """The smallest instance the strategy yields that shows ``target``, and how many
    instances were tried; None when it is not found again. The same seed as the first pass
    regenerates the same instances in order, so the search meets the finding there."""
    from hypothesis import Phase, given
    from hypothesis import seed as hseed
    last: list[Problem] = []
    tried = [0]

    @hseed(seed)
    @_settings(examples, (Phase.generate, Phase.shrink))
    @given(strategy)
    def search(p):
        tried[0] += 1
        if _shows(judge, p, target):
            last[:] = [p]
            raise _Found
    try:
        search()
    except _Found:
        return last[0], tried[0]
    return None, tried[0]


def transcript(scheduler: Callable, problem: Problem, view: str, refuse: tuple = ()) -> str:
    """Python source that rebuilds ``problem`` and checks ``scheduler`` on it alone."""
    mod, qual = getattr(scheduler, "__module__", None), getattr(scheduler, "__qualname__", "")
    names = "Affinity, CostTerm, Dim, Linear, Node, Problem, Requirement, Service, Term"
    lines = ["from fractions import Fraction",
             f"from formalc.schedule.problem import {names}",
             "from formalc.conform.scheduler import check_scheduler"]
    importable = mod and qual and "<" not in qual and mod != "__main__"
    if importable:
        lines.append(f"import {mod}")
        call = f"{mod}.{qual}"
    else:
        lines.append(f"# define the scheduler here: {getattr(scheduler, '__name__', 'scheduler')}"
                     " is not importable")
        call = "scheduler"
    extra = list(refuse)
    for m in sorted({t.__module__ for t in extra} - {"builtins", mod}):
        lines.append(f"import {m}")
    ref = ", ".join(t.__qualname__ if t.__module__ == "builtins"
                    else f"{t.__module__}.{t.__qualname__}" for t in extra)
    lines.append(f"problem = {problem_source(problem)}")
    lines.append(f"report = check_scheduler({call}, [problem], view={view!r}"
                 + (f", refuse=({ref},)" if extra else "") + ")")
    lines.append("print(report.to_text())")
    return "\n".join(lines)


def check_scheduler(scheduler: Callable, problems: Iterable[Problem] | st.SearchStrategy, *,
                    view: str = "plain", examples: int = 25, time_limit: float = 10.0,
                    seed: int = 0, refuse: Iterable[type[BaseException]] = (),
                    explicit: Iterable[Problem] = (), optimum: bool = True,
                    shrink: bool = True, name: str | None = None) -> SchedulerReport:
    """Run ``scheduler`` on every instance and judge it (see the module documentation).

    ``problems``: Problems, or a Hypothesis strategy (such as :func:`problems`) from which
    ``examples`` instances are drawn, deterministically for a ``seed``; ``explicit``
    instances (e.g. the spec's schedule as written) are checked first. ``refuse``: exception
    types that mean "cannot place" besides :class:`NoPlacement`. ``time_limit``: seconds
    formalc may spend on one instance's optimum. ``optimum=False`` skips the optimum (no
    ratios; refusals are judged by a feasibility search). ``shrink``: with a strategy, shrink
    every kind of finding to its smallest instance.

    Never raises for what the scheduler does; raises ValueError for a bad ``view`` or
    ``time_limit``."""
    t0 = time.perf_counter()
    refuse = tuple(refuse)
    judge = _Judge(scheduler, view, refuse, time_limit, seed, optimum)
    strategy = problems if isinstance(problems, st.SearchStrategy) else None
    if isinstance(problems, Problem):
        problems = [problems]
    given = list(explicit)
    drawn = _draw_all(strategy, examples, seed) if strategy is not None else list(problems)
    n_drawn = len(drawn)
    if strategy is not None:     # different draws can make the same instance: judge it once
        drawn = list({problem_source(p): p for p in drawn}.values())
    rows = [judge.row(k, p, "given") for k, p in enumerate(given)]
    src = "generated" if strategy is not None else "given"
    rows += [judge.row(len(given) + k, p, src) for k, p in enumerate(drawn)]
    report = SchedulerReport(name or _callable_name(scheduler), rows, seed=seed, view=view,
                             time_limit=time_limit, duplicates=n_drawn - len(drawn))
    targets: dict[str, SchedulerRow] = {}
    for r in rows:
        for t in _target(r):
            targets.setdefault(t, r)
    for t, first in targets.items():
        small, tried, note = first.problem, 0, ""
        if first.source != "generated":
            note = "as given (only instances drawn from a strategy are shrunk)"
        elif not shrink:
            note = "as generated (shrink=False)"
        else:
            found, tried = _shrink(judge, strategy, t, examples, seed)
            if found is None:
                note = "as generated: the shrinking search did not meet it again"
            else:
                small = found
        row = judge.row(first.index, small, "shrunk" if not note else first.source)
        report.smallest.append(Shrunk(t, row, transcript(scheduler, small, view, refuse),
                                      not note, tried, note))
    report.wall_s = time.perf_counter() - t0
    return report
