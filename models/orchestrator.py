"""The container orchestrator of the seed's §9.2, in memory, over :mod:`models.runtime`.

``ContainerOrchestrator`` has the seed's three parts — a :class:`Scheduler`, a
:class:`LoadBalancer` and a :class:`ServiceDiscovery` — over a list of :class:`Node` values and
one simulated :class:`~models.runtime.ContainerRuntime` that runs every pod's container.

``deploy_service(service)`` follows the seed step by step: the scheduler places the service's
pods (``PlacePods``), each pod's container is created and started (``StartPods``), the load
balancer is configured with the pods (``ConfigureLB``) and the service is registered with
service discovery (``RegisterService``). ``scale_service(name, replicas)`` compares the desired
count with ``get_current_replicas`` and calls ``scale_up`` or ``scale_down`` by the difference.
``remove_service(name)`` undoes it all. One service's life is the machine ``ServiceScaling`` of
``specs/orchestrator.iot``; :class:`SingleService` exposes it to a conformance engine.

Decisions the seed leaves open:

- *Placement.* The scheduler puts at most one replica of a service on a node (anti-affinity,
  like the distinct replicas of a ``schedule``), on the node with the most free CPU that fits
  the pod's CPU and memory request (the first on a tie). So a service has at most as many
  replicas as there are nodes with room.
- *All or nothing.* A deploy or a scale-up that cannot place every pod changes nothing
  (``InsufficientCapacity``). Scaling to fewer than one replica is refused: removing a service
  is ``remove_service``.
- *Names.* A service name is deployed once: deploying it again is ``AlreadyDeployed``; a
  removed service keeps its name (``ServiceRemoved``), so a stale call cannot resurrect it.

Every refusal is an :class:`OrchestrationError` (a ``ValueError``) and changes nothing.

>>> o = ContainerOrchestrator([Node("n1", 2, 2 * GiB), Node("n2", 1, 1 * GiB)])
>>> o.deploy_service(Service("mqtt", "eclipse-mosquitto", replicas=2))
>>> o.get_current_replicas("mqtt"), o.load_balancer.endpoints["mqtt"]
(2, ['mqtt-1@n1', 'mqtt-2@n2'])
>>> o.scale_service("mqtt", 3)
Traceback (most recent call last):
  ...
models.orchestrator.InsufficientCapacity: cannot place 1 more pod of `mqtt`: room for 0 (one per node)
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from fractions import Fraction

from .runtime import (
    ContainerConfig,
    ContainerRuntime,
    ResourceLimits,
    RuntimeType,
    State,
)

GiB, MiB = 2**30, 2**20


class Phase(enum.Enum):
    """A service's phase (``ServicePhase`` of specs/orchestrator.iot)."""
    NotDeployed = "NotDeployed"
    Deployed = "Deployed"
    Removed = "Removed"


class OrchestrationError(ValueError):
    """An operation the orchestrator refuses; nothing was changed."""


class ServiceNotFound(OrchestrationError):
    pass


class AlreadyDeployed(OrchestrationError):
    pass


class ServiceRemoved(OrchestrationError):
    pass


class InvalidReplicas(OrchestrationError):
    pass


class InsufficientCapacity(OrchestrationError):
    pass


# ------------------------------------------------------------------------------ data
@dataclass(frozen=True)
class Service:
    """What to deploy: an image, a replica count and each pod's request (cores, bytes)."""
    name: str
    image: str
    replicas: int = 1
    cpu: Fraction = Fraction(1, 2)
    memory: int = 256 * MiB
    port: int = 8080


@dataclass(frozen=True)
class Node:
    """A cluster node with its allocatable CPU (cores) and memory (bytes)."""
    name: str
    cpu: Fraction
    memory: int


@dataclass(frozen=True)
class Pod:
    """One replica: its name, its service and node, and its container's id."""
    name: str
    service: str
    node: str
    container: str


@dataclass
class ServiceRecord:
    service: Service
    phase: Phase = Phase.Deployed
    pods: list[Pod] = field(default_factory=list)
    serial: int = 0          # pod names are never reused within a service


# ------------------------------------------------------------------------------ the parts
class Scheduler:
    """Places pods: one replica of a service per node, on the node with the most free CPU."""

    def schedule(self, service: Service, count: int, nodes: list[Node],
                 used: dict[str, tuple[Fraction, int]], taken: set[str]) -> list[str]:
        """The nodes for ``count`` more pods of ``service`` (``used``: CPU and memory in use
        per node; ``taken``: nodes that run a pod of it already), or
        :class:`InsufficientCapacity`."""
        used = dict(used)
        taken = set(taken)
        out = []
        for _ in range(count):
            room = [n for n in nodes if n.name not in taken
                    and used[n.name][0] + service.cpu <= n.cpu
                    and used[n.name][1] + service.memory <= n.memory]
            if not room:
                raise InsufficientCapacity(
                    f"cannot place {count} more pod{'s' if count > 1 else ''} of "
                    f"`{service.name}`: room for {len(out)} (one per node)")
            best = max(room, key=lambda n: (n.cpu - used[n.name][0], -nodes.index(n)))
            c, m = used[best.name]
            used[best.name] = (c + service.cpu, m + service.memory)
            taken.add(best.name)
            out.append(best.name)
        return out


class LoadBalancer:
    """Routes a service's traffic to its pods: ``endpoints[service]`` lists pod names."""

    def __init__(self):
        self.endpoints: dict[str, list[str]] = {}

    def configure(self, service: str, pods: list[Pod]) -> None:
        self.endpoints[service] = [p.name for p in pods]

    def remove(self, service: str) -> None:
        self.endpoints.pop(service, None)


class ServiceDiscovery:
    """The registry: ``registry[service]`` is its address (``name.svc:port``)."""

    def __init__(self):
        self.registry: dict[str, str] = {}

    def register(self, service: Service) -> None:
        self.registry[service.name] = f"{service.name}.svc:{service.port}"

    def deregister(self, name: str) -> None:
        self.registry.pop(name, None)


# ------------------------------------------------------------------------------ the orchestrator
class ContainerOrchestrator:
    """The seed's ``ContainerOrchestrator`` over ``nodes`` and one simulated runtime."""

    def __init__(self, nodes: list[Node], runtime_type: RuntimeType = RuntimeType.Containerd,
                 scheduler: Scheduler | None = None):
        self.nodes = list(nodes)
        self.runtime = ContainerRuntime(runtime_type)
        self.scheduler = scheduler or Scheduler()
        self.load_balancer = LoadBalancer()
        self.service_discovery = ServiceDiscovery()
        self.services: dict[str, ServiceRecord] = {}

    # ---------------------------------------------------------------- queries
    def phase(self, name: str) -> Phase:
        r = self.services.get(name)
        return r.phase if r is not None else Phase.NotDeployed

    def _record(self, name: str) -> ServiceRecord:
        r = self.services.get(name)
        if r is None:
            raise ServiceNotFound(f"no service `{name}`")
        if r.phase is Phase.Removed:
            raise ServiceRemoved(f"service `{name}` was removed")
        return r

    def get_current_replicas(self, name: str) -> int:
        """The number of running pods of a deployed service."""
        return len(self._record(name).pods)

    def pods(self, name: str) -> list[Pod]:
        r = self.services.get(name)
        return list(r.pods) if r is not None else []

    def used(self) -> dict[str, tuple[Fraction, int]]:
        """CPU and memory requested by the pods on each node."""
        out = {n.name: (Fraction(0), 0) for n in self.nodes}
        for r in self.services.values():
            for p in r.pods:
                c, m = out[p.node]
                out[p.node] = (c + r.service.cpu, m + r.service.memory)
        return out

    # ---------------------------------------------------------------- pods
    def _place(self, r: ServiceRecord, count: int) -> list[str]:
        taken = {p.node for p in r.pods}
        return self.scheduler.schedule(r.service, count, self.nodes, self.used(), taken)

    def deploy_pod(self, r: ServiceRecord, node: str) -> Pod:
        """Create and start the pod's container."""
        s = r.service
        cfg = ContainerConfig(s.image, resources=ResourceLimits(cpu=s.cpu, memory=s.memory))
        cid = self.runtime.create(cfg)
        self.runtime.start(cid)
        r.serial += 1
        pod = Pod(f"{s.name}-{r.serial}@{node}", s.name, node, cid)
        r.pods.append(pod)
        return pod

    def delete_pod(self, r: ServiceRecord, pod: Pod) -> None:
        """Stop (SIGTERM) and remove the pod's container."""
        if self.runtime.state(pod.container) is State.Running:
            self.runtime.stop(pod.container)
        self.runtime.remove(pod.container)
        r.pods.remove(pod)

    # ---------------------------------------------------------------- the seed's operations
    def deploy_service(self, service: Service) -> None:
        """Schedule, deploy the pods, configure the load balancer, register the service."""
        old = self.services.get(service.name)
        if old is not None:
            if old.phase is Phase.Removed:
                raise ServiceRemoved(f"service `{service.name}` was removed; its name is taken")
            raise AlreadyDeployed(f"service `{service.name}` is deployed already")
        if service.replicas < 1:
            raise InvalidReplicas(f"a service needs at least one replica, not {service.replicas}")
        r = ServiceRecord(service)
        nodes = self._place(r, service.replicas)
        for n in nodes:
            self.deploy_pod(r, n)
        self.services[service.name] = r
        self.load_balancer.configure(service.name, r.pods)
        self.service_discovery.register(service)

    def scale_service(self, name: str, replicas: int) -> None:
        """Scale to ``replicas`` (≥ 1) pods: ``scale_up`` or ``scale_down`` by the difference."""
        current = self.get_current_replicas(name)
        if replicas < 1:
            raise InvalidReplicas(f"cannot scale `{name}` to {replicas} replicas (at least 1; "
                                  "use remove_service)")
        if replicas > current:
            self.scale_up(name, replicas - current)
        elif replicas < current:
            self.scale_down(name, current - replicas)

    def scale_up(self, name: str, count: int) -> None:
        """Place and start ``count`` more pods (all or none), then reconfigure the balancer."""
        r = self._record(name)
        for n in self._place(r, count):
            self.deploy_pod(r, n)
        self.load_balancer.configure(name, r.pods)

    def scale_down(self, name: str, count: int) -> None:
        """Take the ``count`` newest pods out of the balancer, then stop and remove them."""
        r = self._record(name)
        if count >= len(r.pods):
            raise InvalidReplicas(f"cannot remove {count} of the {len(r.pods)} pods of `{name}`")
        victims = r.pods[-count:]
        self.load_balancer.configure(name, r.pods[:-count])
        for p in victims:
            self.delete_pod(r, p)

    def remove_service(self, name: str) -> None:
        """Deregister, drop from the balancer, stop and remove every pod."""
        r = self._record(name)
        self.service_discovery.deregister(name)
        self.load_balancer.remove(name)
        for p in list(r.pods):
            self.delete_pod(r, p)
        r.phase = Phase.Removed


# ------------------------------------------------------------------------------ buggy twins
class OvershootingOrchestrator(ContainerOrchestrator):
    """BUGGY on purpose: ``scale_up`` places one pod too many when there is room (an
    off-by-one in the count), so the service overshoots its target and a later scale-up that
    the spec allows finds the cluster full. Caught as kind "refused" (and by the replica
    count)."""

    def scale_up(self, name: str, count: int) -> None:
        r = self._record(name)
        try:
            nodes = self._place(r, count + 1)
        except InsufficientCapacity:
            nodes = self._place(r, count)
        for n in nodes:
            self.deploy_pod(r, n)
        self.load_balancer.configure(name, r.pods)


class RedeployingOrchestrator(ContainerOrchestrator):
    """BUGGY on purpose: deploying a service that is deployed already is taken as a
    "re-apply" and silently succeeds (spec: ``deploy_service`` only from NotDeployed).
    Caught as kind "accepted"."""

    def deploy_service(self, service: Service) -> None:
        old = self.services.get(service.name)
        if old is not None and old.phase is Phase.Deployed:
            self.load_balancer.configure(service.name, old.pods)
            return
        super().deploy_service(service)


# ------------------------------------------------------------------------------ one service
class SingleService:
    """One service of an orchestrator, seen as the ``ServiceScaling`` machine: ``state`` is its
    phase; ``deploy_service``, ``scale_up``, ``scale_down`` and ``remove_service`` are the
    events (one replica at a time); ``replicas``, ``endpoints`` and ``registered`` are the
    machine's variables. The cluster has ``ClusterNodes`` = 3 nodes, each with room for several
    pods of the service, so anti-affinity is what bounds it to 3 replicas.

    >>> s = SingleService()
    >>> s.deploy_service(); s.scale_up(); s.state, s.replicas, s.endpoints, s.registered
    (<Phase.Deployed: 'Deployed'>, 2, 2, True)
    """

    orchestrator_class: type = ContainerOrchestrator
    NODES = 3

    def __init__(self, orchestrator_class: type | None = None):
        cls = orchestrator_class or self.orchestrator_class
        self.orchestrator = cls([Node(f"node{i}", Fraction(2), 2 * GiB)
                                 for i in range(1, self.NODES + 1)])
        self.service = Service("telemetry", "formalc/telemetry:1", replicas=1)

    @property
    def state(self) -> Phase:
        return self.orchestrator.phase(self.service.name)

    @property
    def replicas(self) -> int:
        return len(self.orchestrator.pods(self.service.name))

    @property
    def endpoints(self) -> int:
        return len(self.orchestrator.load_balancer.endpoints.get(self.service.name, []))

    @property
    def registered(self) -> bool:
        return self.service.name in self.orchestrator.service_discovery.registry

    def deploy_service(self) -> None:
        self.orchestrator.deploy_service(self.service)

    def scale_up(self) -> None:
        o, name = self.orchestrator, self.service.name
        o.scale_service(name, o.get_current_replicas(name) + 1)

    def scale_down(self) -> None:
        o, name = self.orchestrator, self.service.name
        o.scale_service(name, o.get_current_replicas(name) - 1)

    def remove_service(self) -> None:
        self.orchestrator.remove_service(self.service.name)


#: The events of ``ServiceScaling`` a :class:`SingleService` performs (event → method).
EVENTS = {e: e for e in ("deploy_service", "scale_up", "scale_down", "remove_service")}


def single_service() -> SingleService:
    return SingleService()


def overshooting_service() -> SingleService:
    return SingleService(OvershootingOrchestrator)


def redeploying_service() -> SingleService:
    return SingleService(RedeployingOrchestrator)


__all__ = [
    "EVENTS",
    "AlreadyDeployed",
    "ContainerOrchestrator",
    "InsufficientCapacity",
    "InvalidReplicas",
    "LoadBalancer",
    "Node",
    "OrchestrationError",
    "OvershootingOrchestrator",
    "Phase",
    "Pod",
    "RedeployingOrchestrator",
    "Scheduler",
    "Service",
    "ServiceDiscovery",
    "ServiceNotFound",
    "ServiceRemoved",
    "SingleService",
    "overshooting_service",
    "redeploying_service",
    "single_service",
]
