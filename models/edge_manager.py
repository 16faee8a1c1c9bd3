"""The edge container manager of the seed's §9.4, in memory, with exact arithmetic.

The seed's ``EdgeContainerManager`` keeps edge nodes and the services deployed on them.
``deploy_to_edge(service)`` selects a node (``select_edge_node``), checks the node's resource
constraints (``InsufficientResources`` when they fail), deploys, and configures the network.
``select_edge_node`` keeps the node with the highest ``calculate_node_score``, the first one on
a tie (the seed compares with a strict ``>``), and fails with ``NoSuitableNode`` when there is
none. The score is, exactly as in the seed::

    latency_score × 0.4 + resource_score × 0.4 + security_score × 0.2

with the three partial scores of ``specs/edge.iot`` (``LatencyScore``, ``ResourceScore``,
``SecurityScore``; ``NodeScore(seedStrategy, n, s)`` is the sum), computed as
:class:`~fractions.Fraction` values, never floats, so a score can be compared with the spec's
``=``.

What the seed leaves open, and what this module decides:

- *Which nodes are candidates.* A node is **suitable** for a service when it can run it at all:
  the service's runtime is one of the node's, the node's CPU architecture is one of the
  service's, the node's latency is within the service's budget and its trust is at least the
  service's minimum (the non-resource part of ``Eligible`` in specs/edge.iot). Only suitable
  nodes are scored; none suitable is ``NoSuitableNode``.
- *Which resources count.* A node is scored and checked on what is **free** on it now (its
  capacity minus the requests of the services deployed there), i.e. the spec's ``NodeScore`` of
  a node whose ``resources`` are the free ones. On a fresh manager that is the node itself.
- *Resources are checked after the choice*, as in the seed. So a node that scores higher but
  has no room shadows a lower-scoring node that has: ``deploy_to_edge`` then raises
  ``InsufficientResources`` although the service would fit elsewhere. That is the seed's
  procedure, kept on purpose (see ``test_models.py::test_edge_seed_shadowing``); the resource
  score of a node without room is 0, which makes the case rare but not impossible.

Data types (all frozen dataclasses; quantities in the base units formalc's evaluator uses:
CPU in cores, memory and storage in bytes, bandwidth in **bytes** per second, time in seconds,
all ``Fraction``/``int``; enumeration members as their spec names, e.g. ``"Beijing"``):

``Resources(cpu, memory, storage=0, network=0, io=0)``
    the spec's ``ResourceVector``.
``Connectivity(link, uplink, latency)``
    the spec's ``Connectivity``.
``EdgeNode(name, location, resources, connectivity, arch, runtimes, trust, services=frozenset(),
load=0, cost_per_core=1)``
    the spec's ``EdgeNode`` (``costPerCore`` is ``cost_per_core``).
``EdgeService(name, kind, request, max_latency, min_trust, runtime, archs, home)``
    the spec's ``EdgeService`` (``maxLatency``, ``minTrust``).
``Deployment(service, node, score)``
    what ``deploy_to_edge`` returns.

Each has ``to_value()`` (a record value with the spec's field names, as
:mod:`formalc.machines.evaluate` computes them, so spec predicates can be evaluated on it) and
``from_value(v)`` (the inverse, e.g. for ``schedGateway`` of specs/scheduling.iot).

``place(problem, score="score")`` runs the same procedure on a
:class:`formalc.schedule.problem.Problem` (see its docstring).

>>> gw = EdgeNode("gw", "Beijing", Resources(4, 4 * GiB, network=100 * Mbps),
...               Connectivity("Ethernet", 100 * Mbps, 3 * ms), "Arm64", {"Runc"}, trust=3)
>>> svc = EdgeService("ingest", "TelemetryIngest", Resources(Fraction(1, 2), 256 * MiB),
...                   10 * ms, 2, "Runc", {"Arm64"}, "Beijing")
>>> m = EdgeContainerManager([gw])
>>> m.calculate_node_score(gw, svc)
Fraction(1, 1)
>>> m.deploy_to_edge(svc).node.name
'gw'
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

# Units, in the base units above.
KiB, MiB, GiB = 2**10, 2**20, 2**30
GB = 10**9
Mbps, Gbps = Fraction(10**6, 8), Fraction(10**9, 8)   # bytes per second
ms = Fraction(1, 1000)

#: The seed's weights: latency, resource, security (§9.4; ``seedStrategy`` in specs/edge.iot).
LATENCY_WEIGHT = Fraction(2, 5)
RESOURCE_WEIGHT = Fraction(2, 5)
SECURITY_WEIGHT = Fraction(1, 5)

#: The resource dimensions checked against a node (the spec's ``Within``/``NodeLimits``: the
#: request's network against the node's uplink; I/O is not limited).
CHECKED = ("cpu", "memory", "storage", "network")


class EdgeError(Exception):
    """A deployment the manager refuses."""


class NoSuitableNode(EdgeError):
    """No node can run the service at all. ``reasons`` maps each node to why not."""

    def __init__(self, service: str, reasons: Mapping[str, str]):
        self.service, self.reasons = service, dict(reasons)
        why = "; ".join(f"{n}: {r}" for n, r in self.reasons.items()) or "there are no nodes"
        super().__init__(f"no suitable edge node for `{service}` ({why})")


class InsufficientResources(EdgeError):
    """The chosen node lacks free resources. ``missing`` maps each short dimension to
    (requested, free)."""

    def __init__(self, service: str, node: str, missing: Mapping[str, tuple]):
        self.service, self.node, self.missing = service, node, dict(missing)
        what = ", ".join(f"{d} {_show(d, r)} > free {_show(d, f)}"
                         for d, (r, f) in self.missing.items())
        super().__init__(f"`{service}` does not fit on `{node}`: {what}")


class AlreadyDeployed(EdgeError):
    """A service of that name is deployed already."""


def _show(dim: str, v) -> str:
    v = Fraction(v)
    if dim in ("memory", "storage"):
        return f"{float(v / MiB):g}MiB"
    if dim == "network":
        return f"{float(v / Mbps):g}Mbps"
    return f"{float(v):g}" + ("core" if dim == "cpu" else "")


def _record(**fields):
    from formalc.machines.evaluate import Record  # only for spec values
    return Record(**fields)


# ------------------------------------------------------------------------------ data types
@dataclass(frozen=True)
class Resources:
    """A resource vector: the spec's ``ResourceVector`` (cores, bytes, bytes, bytes/s, IOPS)."""
    cpu: Fraction
    memory: Fraction
    storage: Fraction = Fraction(0)
    network: Fraction = Fraction(0)
    io: int = 0

    def __post_init__(self):
        for f in ("cpu", "memory", "storage", "network"):
            object.__setattr__(self, f, Fraction(getattr(self, f)))

    def __add__(self, o: Resources) -> Resources:
        return Resources(self.cpu + o.cpu, self.memory + o.memory, self.storage + o.storage,
                         self.network + o.network, self.io + o.io)

    def __sub__(self, o: Resources) -> Resources:
        return Resources(self.cpu - o.cpu, self.memory - o.memory, self.storage - o.storage,
                         self.network - o.network, self.io - o.io)

    def to_value(self):
        return _record(cpu=self.cpu, memory=self.memory, storage=self.storage,
                       network=self.network, io=self.io)

    @classmethod
    def from_value(cls, v) -> Resources:
        return cls(v["cpu"], v["memory"], v["storage"], v["network"], int(v["io"]))


ZERO = Resources(0, 0)


@dataclass(frozen=True)
class Connectivity:
    """The spec's ``Connectivity``: link kind, uplink (bytes/s), latency (seconds)."""
    link: str
    uplink: Fraction
    latency: Fraction

    def __post_init__(self):
        object.__setattr__(self, "uplink", Fraction(self.uplink))
        object.__setattr__(self, "latency", Fraction(self.latency))

    def to_value(self):
        return _record(link=self.link, uplink=self.uplink, latency=self.latency)

    @classmethod
    def from_value(cls, v) -> Connectivity:
        return cls(v["link"], v["uplink"], v["latency"])


@dataclass(frozen=True)
class EdgeNode:
    """An edge node (Definition 6.1; the spec's ``EdgeNode``)."""
    name: str
    location: str
    resources: Resources
    connectivity: Connectivity
    arch: str
    runtimes: frozenset
    trust: int
    services: frozenset = frozenset()
    load: Fraction = Fraction(0)
    cost_per_core: Fraction = Fraction(1)

    def __post_init__(self):
        object.__setattr__(self, "runtimes", frozenset(self.runtimes))
        object.__setattr__(self, "services", frozenset(self.services))
        object.__setattr__(self, "load", Fraction(self.load))
        object.__setattr__(self, "cost_per_core", Fraction(self.cost_per_core))

    def limits(self) -> Resources:
        """What the node offers in the checked dimensions (the spec's ``NodeLimits``: the
        uplink is the network limit)."""
        r = self.resources
        return Resources(r.cpu, r.memory, r.storage, self.connectivity.uplink, r.io)

    def to_value(self):
        return _record(name=self.name, location=self.location,
                       resources=self.resources.to_value(),
                       connectivity=self.connectivity.to_value(), services=self.services,
                       arch=self.arch, runtimes=self.runtimes, trust=self.trust,
                       load=self.load, costPerCore=self.cost_per_core)

    @classmethod
    def from_value(cls, v) -> EdgeNode:
        return cls(v["name"], v["location"], Resources.from_value(v["resources"]),
                   Connectivity.from_value(v["connectivity"]), v["arch"], v["runtimes"],
                   int(v["trust"]), v["services"], v["load"], v["costPerCore"])


@dataclass(frozen=True)
class EdgeService:
    """A service to run at the edge (Definition 6.1; the spec's ``EdgeService``)."""
    name: str
    kind: str
    request: Resources
    max_latency: Fraction
    min_trust: int
    runtime: str
    archs: frozenset
    home: str

    def __post_init__(self):
        object.__setattr__(self, "max_latency", Fraction(self.max_latency))
        object.__setattr__(self, "archs", frozenset(self.archs))

    def to_value(self):
        return _record(name=self.name, kind=self.kind, request=self.request.to_value(),
                       maxLatency=self.max_latency, minTrust=self.min_trust,
                       runtime=self.runtime, archs=self.archs, home=self.home)

    @classmethod
    def from_value(cls, v) -> EdgeService:
        return cls(v["name"], v["kind"], Resources.from_value(v["request"]), v["maxLatency"],
                   int(v["minTrust"]), v["runtime"], v["archs"], v["home"])


@dataclass(frozen=True)
class Deployment:
    """A service placed on a node, with the score that chose the node."""
    service: EdgeService
    node: EdgeNode
    score: Fraction


# ------------------------------------------------------------------------------ the manager
class EdgeContainerManager:
    """The seed's ``EdgeContainerManager``: nodes, deployed services, the node score.

    ``edge_nodes`` keeps the order given (it breaks ties); ``edge_services`` lists the
    deployed services in deployment order; ``placement`` maps a service name to its node
    name; ``routes`` is the network configuration (service name → node name).
    """

    def __init__(self, nodes: Iterable[EdgeNode]):
        self.edge_nodes: list[EdgeNode] = list(nodes)
        names = [n.name for n in self.edge_nodes]
        if len(set(names)) != len(names):
            raise ValueError(f"edge node names must be distinct: {names}")
        self.edge_services: list[EdgeService] = []
        self.placement: dict[str, str] = {}
        self.routes: dict[str, str] = {}
        self._used: dict[str, Resources] = {n: ZERO for n in names}

    # ---------------------------------------------------------------- resources
    def node(self, name: str) -> EdgeNode:
        """The node called ``name`` (KeyError if there is none)."""
        for n in self.edge_nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def used(self, node: EdgeNode) -> Resources:
        """The requests of the services deployed on ``node``, summed."""
        return self._used[node.name]

    def free(self, node: EdgeNode) -> Resources:
        """What is left of ``node``'s limits (cpu, memory, storage, uplink)."""
        return node.limits() - self.used(node)

    def current(self, node: EdgeNode) -> EdgeNode:
        """``node`` as it is now: its resources and uplink are the free ones."""
        f = self.free(node)
        return replace(node, resources=replace(node.resources, cpu=f.cpu, memory=f.memory,
                                               storage=f.storage),
                       connectivity=replace(node.connectivity, uplink=f.network))

    def check_resource_constraints(self, node: EdgeNode, service: EdgeService) -> dict:
        """The dimensions in which ``service`` does not fit on ``node`` now: {dimension:
        (requested, free)}; empty when it fits."""
        free, req = self.free(node), service.request
        return {d: (getattr(req, d), getattr(free, d)) for d in CHECKED
                if getattr(req, d) > getattr(free, d)}

    # ---------------------------------------------------------------- scores
    def calculate_latency_score(self, node: EdgeNode, service: EdgeService) -> Fraction:
        """1 within half the latency budget, 1/2 within it, else 0 (``LatencyScore``)."""
        lat = node.connectivity.latency
        if lat <= service.max_latency / 2:
            return Fraction(1)
        return Fraction(1, 2) if lat <= service.max_latency else Fraction(0)

    def calculate_resource_score(self, node: EdgeNode, service: EdgeService) -> Fraction:
        """1 when twice the CPU and memory requested are free, 1/2 when the request fits,
        else 0 (``ResourceScore`` of the node as it is now)."""
        free, req = self.free(node), service.request
        if 2 * req.memory <= free.memory and 2 * req.cpu <= free.cpu:
            return Fraction(1)
        return Fraction(1, 2) if not self.check_resource_constraints(node, service) else Fraction(0)

    def calculate_security_score(self, node: EdgeNode, service: EdgeService) -> Fraction:
        """1 when the node's trust exceeds the service's minimum, 1/2 when equal, else 0
        (``SecurityScore``)."""
        if node.trust > service.min_trust:
            return Fraction(1)
        return Fraction(1, 2) if node.trust == service.min_trust else Fraction(0)

    def calculate_node_score(self, node: EdgeNode, service: EdgeService) -> Fraction:
        """The seed's ``latency × 0.4 + resource × 0.4 + security × 0.2``, exactly."""
        return (LATENCY_WEIGHT * self.calculate_latency_score(node, service)
                + RESOURCE_WEIGHT * self.calculate_resource_score(node, service)
                + SECURITY_WEIGHT * self.calculate_security_score(node, service))

    # ---------------------------------------------------------------- selection
    def unsuitable(self, node: EdgeNode, service: EdgeService) -> str | None:
        """Why ``node`` cannot run ``service`` whatever its free resources, or None."""
        if service.runtime not in node.runtimes:
            return f"no {service.runtime} runtime"
        if node.arch not in service.archs:
            return f"architecture {node.arch}"
        if node.connectivity.latency > service.max_latency:
            return f"latency {float(node.connectivity.latency / ms):g}ms over the budget"
        if node.trust < service.min_trust:
            return f"trust {node.trust} < {service.min_trust}"
        return None

    def select_edge_node(self, service: EdgeService) -> EdgeNode:
        """The suitable node with the highest score (the first on a tie), or
        :class:`NoSuitableNode`."""
        best, best_score, reasons = None, None, {}
        for node in self.edge_nodes:
            why = self.unsuitable(node, service)
            if why is not None:
                reasons[node.name] = why
                continue
            score = self.calculate_node_score(node, service)
            if best_score is None or score > best_score:
                best, best_score = node, score
        if best is None:
            raise NoSuitableNode(service.name, reasons)
        return best

    # ---------------------------------------------------------------- deployment
    def deploy_to_edge(self, service: EdgeService) -> Deployment:
        """Select a node, check its free resources, deploy, configure the route."""
        if service.name in self.placement:
            raise AlreadyDeployed(f"`{service.name}` is deployed already (on "
                                  f"`{self.placement[service.name]}`)")
        target = self.select_edge_node(service)
        score = self.calculate_node_score(target, service)
        missing = self.check_resource_constraints(target, service)
        if missing:
            raise InsufficientResources(service.name, target.name, missing)
        self._used[target.name] = self._used[target.name] + service.request
        self.edge_services.append(service)
        self.placement[service.name] = target.name
        self.configure_edge_network(service, target)
        return Deployment(service, target, score)

    def configure_edge_network(self, service: EdgeService, node: EdgeNode) -> None:
        """Route the service's traffic to its node."""
        self.routes[service.name] = node.name

    def remove_from_edge(self, name: str) -> None:
        """Undeploy service ``name`` and give its resources back (KeyError if unknown)."""
        node = self.placement.pop(name)
        svc = next(s for s in self.edge_services if s.name == name)
        self.edge_services.remove(svc)
        self._used[node] = self._used[node] - svc.request
        self.routes.pop(name, None)

    def bindings(self) -> list[tuple[EdgeService, EdgeNode]]:
        """Every deployed (service, node) pair, in deployment order."""
        return [(s, self.node(self.placement[s.name])) for s in self.edge_services]


# ------------------------------------------------------------------------------ buggy twin
class LaxEdgeManager(EdgeContainerManager):
    """BUGGY on purpose: checks CPU, storage and network but forgets memory, so it
    overcommits a node's memory (and scores a node whose memory is gone as if it fitted).
    Caught by ``test_models.py`` through specs/scheduling.iot's ``Feasible``."""

    def check_resource_constraints(self, node: EdgeNode, service: EdgeService) -> dict:
        missing = super().check_resource_constraints(node, service)
        missing.pop("memory", None)
        return missing


# ------------------------------------------------------------------------------ Problem adapter
def place(problem, score: str = "score", *, unchecked: Iterable[str] = ()):
    """The seed's procedure (§9.4) on a :class:`formalc.schedule.problem.Problem`.

    Services are deployed in the problem's order, each replica on its own: the candidates
    are the nodes no requirement blocks (``problem.blocked``) and, for a service whose
    replicas must be spread, that hold no replica of it yet; none is ``NoSuitableNode``. The
    candidate with the lowest cost ``score`` (``1 - NodeScore`` in specs/scheduling.iot's
    ``SeedPlacement``; the first on a tie) is chosen; if the replica's demand does not fit the
    node's free capacity in every dimension of the problem, ``InsufficientResources``.
    Returns a placement (``placement[i]``: the sorted node indices of service ``i``).

    Unlike :class:`EdgeContainerManager`, the score is the problem's static table: it does not
    fall as nodes fill up. ``unchecked``: capacity names not checked (the buggy twin
    :func:`lax_place` leaves out ``memory``).
    """
    if score not in problem.costs:
        raise ValueError(f"the problem has no cost `{score}` (it has: "
                         f"{', '.join(problem.costs) or 'none'})")
    table = problem.costs[score].table
    dims = [d.name for d in problem.dims]
    skip = set(unchecked)
    free = [list(n.cap) for n in problem.nodes]
    out = []
    for i, svc in enumerate(problem.services):
        mine: list[int] = []
        for _ in range(svc.replicas):
            cands = [j for j in range(problem.n_nodes) if not problem.blocked[i][j]
                     and not (svc.spread and j in mine)]
            if not cands:
                raise NoSuitableNode(svc.name, {problem.nodes[j].name: "blocked or taken"
                                                for j in range(problem.n_nodes)})
            j = min(cands, key=lambda k: (table[i][k], k))
            missing = {d: (a, f) for d, a, f in zip(dims, svc.demand, free[j])
                       if a > f and d not in skip}
            if missing:
                raise InsufficientResources(svc.name, problem.nodes[j].name, missing)
            free[j] = [f - a for f, a in zip(free[j], svc.demand)]
            mine.append(j)
        out.append(tuple(sorted(mine)))
    return tuple(out)


def lax_place(problem, score: str = "score"):
    """BUGGY on purpose: :func:`place` without the memory check (:class:`LaxEdgeManager`'s
    bug on a Problem)."""
    return place(problem, score, unchecked=("memory",))


__all__ = [
    "GB",
    "AlreadyDeployed",
    "Connectivity",
    "Deployment",
    "EdgeContainerManager",
    "EdgeError",
    "EdgeNode",
    "EdgeService",
    "Gbps",
    "GiB",
    "InsufficientResources",
    "KiB",
    "LaxEdgeManager",
    "Mbps",
    "MiB",
    "NoSuitableNode",
    "Resources",
    "lax_place",
    "ms",
    "place",
]
