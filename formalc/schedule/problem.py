"""The placement problem every scheduling engine works on (Definitions 6.1–7.2, §9.4).

A :class:`Problem` is what a `schedule` block of a spec lowers to, and what the library API
accepts directly: nodes with a capacity per resource dimension, services with a demand per
dimension and a number of replicas, the (service, node) pairs that hard requirements forbid,
affinity and anti-affinity rules, per-placement cost terms and a (possibly lexicographic)
objective. It holds plain values only — no Z3, no spec AST — so engines, the independent
evaluator, explanations and verification all read the same thing.

Vocabulary:

* a *placement* assigns every service as many distinct-or-not nodes as it has replicas:
  ``placement[i]`` is the tuple of node indices of service ``i``'s replicas (sorted);
* a *requirement* is a named hard filter on (service, node) pairs (security level ≥ required,
  region, latency bound, taints, …); ``Problem.blocked[i][j]`` is the set of requirement
  indices that forbid service ``i`` on node ``j`` (empty: allowed);
* *capacity*: in every dimension ``d`` and node ``j``, the demands of the replicas placed on
  ``j`` sum to at most ``nodes[j].cap[d]``;
* *distinct*: the replicas of a service with ``Service.spread`` sit on different nodes;
* an :class:`Affinity` ``near`` rule says each replica of ``a`` runs on a node that also runs
  ``b``; an ``apart`` rule says no node runs both ``a`` and ``b``;
* the objective is a list of :class:`Linear` levels, minimised lexicographically; a level is
  a weighted sum of *terms*: a per-placement cost (``Term("cost", name)``: the sum over every
  replica of ``costs[name][i][j]``), the peak utilisation (``Term("peak")``: the largest
  load/capacity fraction over nodes and the dimensions in ``Term.dims``, all when empty), or
  the number of nodes used (``Term("nodes")``).

Quantities are exact: :class:`fractions.Fraction` in the dimension's base unit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

Placement = tuple  # tuple[tuple[int, ...], ...]: per service, the node indices of its replicas


@dataclass(frozen=True)
class Loc:
    """Where a piece of the problem was written (for explanations); all optional."""
    file: str | None = None
    line: int | None = None
    col: int | None = None
    text: str | None = None   # the source text, e.g. "n.trust ≥ s.minTrust"

    def where(self) -> str:
        if self.line is None:
            return ""
        return f"{self.file}:{self.line}" if self.file else f"line {self.line}"


@dataclass(frozen=True)
class Dim:
    """A resource dimension; ``unit`` is the base unit values are expressed in ("" for a
    plain number) and ``show`` how a person writes it (e.g. ``GiB``: 2**30 base units)."""
    name: str
    unit: str = ""
    show: str = ""
    show_scale: Fraction = Fraction(1)
    loc: Loc = field(default_factory=Loc, compare=False)
    #: other display units (name, base units per one) a value may print in: the largest in
    #: which it shows exactly in 4 significant digits, else the largest not above it
    #: (`6.5core`, `9.5GiB`, `13.05TB`)
    units: tuple[tuple[str, Fraction], ...] = field(default=(), compare=False)

    def fmt(self, v) -> str:
        """``v`` (base units) as a person reads it."""
        x = Fraction(v)
        if self.units and x != 0:
            above = sorted(((u, f) for u, f in self.units if abs(x) >= f),
                           key=lambda uf: -uf[1])
            for u, f in above:               # the largest unit that shows it exactly, briefly
                y = x / f
                if Fraction(f"{float(y):.4g}") == y:
                    return (f"{y.numerator}" if y.denominator == 1 else f"{float(y):.4g}") + u
            if above:
                u, f = above[0]
                return f"{float(x / f):.4g}{u}"
        x = x / self.show_scale
        num = f"{x.numerator}" if x.denominator == 1 else f"{float(x):.4g}"
        unit = self.show or self.unit
        return f"{num}{unit}" if unit else num


@dataclass(frozen=True)
class Node:
    name: str
    cap: tuple[Fraction, ...]
    attrs: tuple[tuple[str, str], ...] = ()     # shown in explanations, e.g. (("trust", "3"),)
    loc: Loc = field(default_factory=Loc, compare=False)


@dataclass(frozen=True)
class Service:
    name: str
    demand: tuple[Fraction, ...]
    replicas: int = 1
    spread: bool = True                          # replicas on distinct nodes
    attrs: tuple[tuple[str, str], ...] = ()
    loc: Loc = field(default_factory=Loc, compare=False)


@dataclass(frozen=True)
class Requirement:
    """A named hard filter on (service, node) pairs."""
    name: str
    loc: Loc = field(default_factory=Loc, compare=False)


@dataclass(frozen=True)
class Affinity:
    """``near``: each replica of ``a`` on a node running ``b``; ``apart``: never together."""
    kind: str                                    # "near" | "apart"
    name: str
    pairs: tuple[tuple[int, int], ...]           # (a, b) service indices
    loc: Loc = field(default_factory=Loc, compare=False)


@dataclass(frozen=True)
class Term:
    kind: str                                    # "cost" | "peak" | "nodes"
    name: str = ""                               # the cost's name for kind "cost"
    dims: tuple[int, ...] = ()                   # peak: the dimensions (empty = all)

    def label(self) -> str:
        if self.kind == "cost":
            return self.name
        if self.kind == "peak":
            return "peak" if not self.dims else f"peak({','.join(map(str, self.dims))})"
        return "nodes_used"


@dataclass(frozen=True)
class Linear:
    """Σ coef × term + const (coefficients are non-negative: FC7xx otherwise)."""
    coefs: tuple[tuple[Term, Fraction], ...]
    const: Fraction = Fraction(0)
    text: str = ""

    def terms(self) -> list[Term]:
        return [t for t, _ in self.coefs]


@dataclass(frozen=True)
class CostTerm:
    """A per-placement cost: ``table[i][j]`` is its value for one replica of i on node j."""
    name: str
    table: tuple[tuple[Fraction, ...], ...]
    loc: Loc = field(default_factory=Loc, compare=False)


@dataclass
class Problem:
    name: str
    dims: list[Dim]
    nodes: list[Node]
    services: list[Service]
    requirements: list[Requirement] = field(default_factory=list)
    blocked: list[list[frozenset]] = field(default_factory=list)   # [i][j] -> requirement idx
    affinities: list[Affinity] = field(default_factory=list)
    costs: dict[str, CostTerm] = field(default_factory=dict)
    objective: list[Linear] = field(default_factory=list)          # lexicographic levels
    loc: Loc = field(default_factory=Loc)

    def __post_init__(self):
        if not self.blocked:
            self.blocked = [[frozenset() for _ in self.nodes] for _ in self.services]

    # ------------------------------------------------------------------ queries
    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_services(self) -> int:
        return len(self.services)

    def allowed(self, i: int, j: int) -> bool:
        """Service i may run on node j: no requirement forbids it and one replica fits."""
        return not self.blocked[i][j] and self.fits_alone(i, j)

    def fits_alone(self, i: int, j: int) -> bool:
        s, n = self.services[i], self.nodes[j]
        return all(a <= c for a, c in zip(s.demand, n.cap))

    def candidates(self, i: int) -> list[int]:
        return [j for j in range(self.n_nodes) if self.allowed(i, j)]

    def placements_count(self) -> int:
        return sum(s.replicas for s in self.services)

    def index(self) -> tuple[dict[str, int], dict[str, int]]:
        return ({s.name: i for i, s in enumerate(self.services)},
                {n.name: j for j, n in enumerate(self.nodes)})

    # ------------------------------------------------------------------ derived problems
    def without_nodes(self, gone: Sequence[int]) -> "Problem":
        """The same problem on the nodes not in ``gone`` (node indices are renumbered)."""
        keep = [j for j in range(self.n_nodes) if j not in set(gone)]
        return Problem(
            name=self.name, dims=self.dims, nodes=[self.nodes[j] for j in keep],
            services=self.services, requirements=self.requirements,
            blocked=[[row[j] for j in keep] for row in self.blocked],
            affinities=self.affinities,
            costs={k: CostTerm(c.name, tuple(tuple(r[j] for j in keep) for r in c.table), c.loc)
                   for k, c in self.costs.items()},
            objective=self.objective, loc=self.loc)

    def with_replicas(self, changes: dict[int, int]) -> "Problem":
        """The same problem with some services' replica counts changed."""
        svcs = [Service(s.name, s.demand, changes.get(i, s.replicas), s.spread, s.attrs, s.loc)
                for i, s in enumerate(self.services)]
        return Problem(self.name, self.dims, self.nodes, svcs, self.requirements, self.blocked,
                       self.affinities, self.costs, self.objective, self.loc)

    def named(self, placement) -> dict[str, list[str]]:
        """A placement by names: {service: [node, …]}."""
        return {s.name: [self.nodes[j].name for j in where]
                for s, where in zip(self.services, placement)}

    def from_names(self, by_name: dict[str, Sequence[str]]) -> Placement:
        """The inverse of :meth:`named`; unknown names raise KeyError."""
        si, nj = self.index()
        out: list[tuple[int, ...]] = [() for _ in self.services]
        for s, nodes in by_name.items():
            out[si[s]] = tuple(sorted(nj[n] for n in nodes))
        return tuple(out)
