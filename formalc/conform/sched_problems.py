"""Placement problems to check a scheduler on: Hypothesis strategies (:func:`problems`, from a
spec's schedule or synthetic edge fleets), sub-problems (:func:`restrict`), and the Python
source that rebuilds a problem for replay transcripts (:func:`problem_source`)."""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from hypothesis import strategies as st

from ..schedule.problem import (Affinity, CostTerm, Dim, Linear, Node, Problem, Requirement,
                                Service, Term)


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
