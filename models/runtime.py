"""The container runtime of the seed's §9.1, simulated in memory, and the same interface over a
real ``runc``.

:class:`ContainerRuntime` keeps containers by id, each with a lifecycle state, and performs
the operations of Definition 3.1 with the semantics of ``δ`` in ``specs/lifecycle.iot``
(machine ``Lifecycle``)::

    create → Created          start:  Created, Stopped → Running     (SpawnInit)
    pause:  Running → Paused  (FreezeCgroup)    resume: Paused → Running  (ThawCgroup)
    stop:   Running → Stopped (SendSigterm)     kill:   Running, Paused → Stopped (SendSigkill)
    remove: Created, Stopped → Deleted (ReleaseRootfs)

Any other operation raises :class:`InvalidTransition` (a ``ValueError``) and changes nothing.
Each container records the actions it went through (``Container.actions``, the spec's
``Actions`` by name), so the ``action`` table of the spec can be checked too.

The four runtime types of the seed share these semantics and differ where real ones differ:
the component stack, the isolation (Kata runs each container in a VM: ``vm`` is true and the
isolation is ``"hardware"``), the runtime the spec calls it (``Runc`` for the runc-based
three, ``Kata``) and so the simulated start-up time, ``RuntimeStartup`` of
``specs/performance.iot`` (120 ms for runc, 650 ms for Kata's VM boot). Time is simulated:
:attr:`ContainerRuntime.clock` advances by the start-up time on every start, nothing sleeps.

:class:`SingleContainer` is a one-container facade for conformance engines (an object whose
``state`` is a ``Lifecycle`` state and whose methods are its events). The buggy twins
(:class:`LeakyRuntime`, :class:`FrozenKillRuntime`, :class:`ThawingStopRuntime`) each break one
row of ``δ`` the way real runtimes have.

>>> rt = ContainerRuntime(RuntimeType.Kata)
>>> c = rt.create_container(ContainerConfig("busybox", ["sleep", "60"]))
>>> rt.start(c.id); rt.pause(c.id); rt.state(c.id), c.vm, rt.clock
(<State.Paused: 'Paused'>, True, Fraction(13, 20))
>>> rt.remove(c.id)
Traceback (most recent call last):
  ...
models.runtime.InvalidTransition: cannot remove container c1: it is Paused (remove needs Created or Stopped)
"""
from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Self


class State(enum.Enum):
    """Definition 3.1's states (the names of ``States`` in specs/lifecycle.iot)."""
    Created = "Created"
    Running = "Running"
    Paused = "Paused"
    Stopped = "Stopped"
    Deleted = "Deleted"


class RuntimeType(enum.Enum):
    """The runtimes of the seed's ``enum RuntimeType``."""
    Docker = "docker"
    Containerd = "containerd"
    CRIO = "cri-o"
    Kata = "kata"


@dataclass(frozen=True)
class RuntimeProfile:
    """How a runtime type runs containers: its component stack (outermost first), its
    isolation ("namespaces" or "hardware"), whether each container gets a VM, the runtime
    of specs/container.iot that executes the container, and its start-up time (seconds,
    ``RuntimeStartup`` of specs/performance.iot)."""
    stack: tuple[str, ...]
    isolation: str
    vm: bool
    spec_runtime: str
    startup: Fraction


PROFILES: dict[RuntimeType, RuntimeProfile] = {
    RuntimeType.Docker: RuntimeProfile(("dockerd", "containerd", "containerd-shim-runc-v2", "runc"),
                                       "namespaces", False, "Runc", Fraction(120, 1000)),
    RuntimeType.Containerd: RuntimeProfile(("containerd", "containerd-shim-runc-v2", "runc"),
                                           "namespaces", False, "Runc", Fraction(120, 1000)),
    RuntimeType.CRIO: RuntimeProfile(("crio", "conmon", "runc"),
                                     "namespaces", False, "Runc", Fraction(120, 1000)),
    RuntimeType.Kata: RuntimeProfile(("containerd", "containerd-shim-kata-v2", "qemu", "kata-agent"),
                                     "hardware", True, "Kata", Fraction(650, 1000)),
}


class InvalidTransition(ValueError):
    """An operation the container's state does not allow (or, for :class:`RuncRuntime`, that
    the real runtime refused). The container is left as it was."""

    def __init__(self, cid: str, state, event: str, detail: str = ""):
        self.cid, self.state, self.event = cid, state, event
        name = state.name if isinstance(state, State) else str(state)
        super().__init__(f"cannot {event} container {cid}: it is {name}"
                         + (f" ({detail})" if detail else ""))


class NoSuchContainer(KeyError):
    """No container with that id was ever created by this runtime."""


# ------------------------------------------------------------------------------ configuration
@dataclass(frozen=True)
class ResourceLimits:
    """cgroup limits; None is unlimited."""
    cpu: Fraction | None = None        # cores
    memory: int | None = None          # bytes
    pids: int | None = None


@dataclass(frozen=True)
class VolumeMount:
    source: str
    destination: str
    read_only: bool = True


@dataclass(frozen=True)
class ContainerConfig:
    """The seed's ``ContainerConfig``."""
    image: str
    command: list = field(default_factory=list)
    environment: dict = field(default_factory=dict)
    volumes: tuple = ()
    network: str = "bridge"
    resources: ResourceLimits = ResourceLimits()


@dataclass
class Container:
    """A container of a :class:`ContainerRuntime`. ``actions`` lists the Definition 3.1 actions
    executed on it, in order; ``pid`` is its (simulated) init process while it has one."""
    id: str
    config: ContainerConfig
    runtime_type: RuntimeType
    state: State = State.Created
    actions: list[str] = field(default_factory=list)
    pid: int | None = None
    starts: int = 0

    @property
    def vm(self) -> bool:
        return PROFILES[self.runtime_type].vm

    @property
    def isolation(self) -> str:
        return PROFILES[self.runtime_type].isolation


# ------------------------------------------------------------------------------ the runtime
class ContainerRuntime:
    """An in-memory container runtime of one :class:`RuntimeType`.

    Operations take a container id (or a :class:`Container`). The seed's names
    (``create_container``, ``start_container``, ``stop_container``, and ``pause_container``
    … ``remove_container`` alike) and short ones (``create``, ``start``, …) are the same
    operations.
    """

    def __init__(self, runtime_type: RuntimeType = RuntimeType.Docker):
        self.runtime_type = RuntimeType(runtime_type)
        self.profile = PROFILES[self.runtime_type]
        self.clock = Fraction(0)             # simulated seconds spent starting containers
        self._containers: dict[str, Container] = {}
        self._next_id = 0
        self._next_pid = 100

    # ---------------------------------------------------------------- queries
    def get(self, ref) -> Container:
        cid = ref.id if isinstance(ref, Container) else str(ref)
        try:
            return self._containers[cid]
        except KeyError:
            raise NoSuchContainer(cid) from None

    def state(self, ref) -> State:
        """The container's state (Deleted once removed: the id is never reused)."""
        return self.get(ref).state

    def containers(self) -> list[Container]:
        """The containers that are not deleted, in creation order."""
        return [c for c in self._containers.values() if c.state is not State.Deleted]

    # ---------------------------------------------------------------- helpers
    def _require(self, c: Container, event: str, *allowed: State) -> None:
        if c.state not in allowed:
            raise InvalidTransition(c.id, c.state, event,
                                    f"{event} needs {' or '.join(s.name for s in allowed)}")

    def _spawn(self, c: Container) -> None:
        self._next_pid += 1
        c.pid = self._next_pid
        c.starts += 1
        self.clock += self.profile.startup

    # ---------------------------------------------------------------- operations (seed names)
    def create_container(self, config: ContainerConfig | None = None, cid: str | None = None
                         ) -> Container:
        """A new container in state Created (ids c1, c2, … unless ``cid`` is given)."""
        if cid is None:
            self._next_id += 1
            cid = f"c{self._next_id}"
        if cid in self._containers:
            raise ValueError(f"container id {cid} is taken")
        c = Container(cid, config or ContainerConfig("busybox", ["sleep", "infinity"]),
                      self.runtime_type)
        self._containers[cid] = c
        return c

    def start_container(self, ref) -> None:
        """Created or Stopped → Running: spawn the init process (a VM boot first on Kata)."""
        c = self.get(ref)
        self._require(c, "start", State.Created, State.Stopped)
        self._spawn(c)
        c.state = State.Running
        c.actions.append("SpawnInit")

    def pause_container(self, ref) -> None:
        """Running → Paused: freeze the container's cgroup."""
        c = self.get(ref)
        self._require(c, "pause", State.Running)
        c.state = State.Paused
        c.actions.append("FreezeCgroup")

    def resume_container(self, ref) -> None:
        """Paused → Running: thaw the cgroup."""
        c = self.get(ref)
        self._require(c, "resume", State.Paused)
        c.state = State.Running
        c.actions.append("ThawCgroup")

    def stop_container(self, ref) -> None:
        """Running → Stopped: SIGTERM to the init process (a paused one cannot handle it)."""
        c = self.get(ref)
        self._require(c, "stop", State.Running)
        c.pid = None
        c.state = State.Stopped
        c.actions.append("SendSigterm")

    def kill_container(self, ref) -> None:
        """Running or Paused → Stopped: SIGKILL (it reaches frozen tasks too)."""
        c = self.get(ref)
        self._require(c, "kill", State.Running, State.Paused)
        c.pid = None
        c.state = State.Stopped
        c.actions.append("SendSigkill")

    def remove_container(self, ref) -> None:
        """Created or Stopped → Deleted: release the root filesystem. A container with live
        processes is never removed."""
        c = self.get(ref)
        self._require(c, "remove", State.Created, State.Stopped)
        c.state = State.Deleted
        c.actions.append("ReleaseRootfs")

    # ---------------------------------------------------------------- short names
    def create(self, config: ContainerConfig | None = None, cid: str | None = None) -> str:
        """:meth:`create_container`, returning the id."""
        return self.create_container(config, cid).id

    def start(self, ref) -> None:
        self.start_container(ref)

    def pause(self, ref) -> None:
        self.pause_container(ref)

    def resume(self, ref) -> None:
        self.resume_container(ref)

    def stop(self, ref) -> None:
        self.stop_container(ref)

    def kill(self, ref) -> None:
        self.kill_container(ref)

    def remove(self, ref) -> None:
        self.remove_container(ref)


# ------------------------------------------------------------------------------ buggy twins
class LeakyRuntime(ContainerRuntime):
    """BUGGY on purpose: ``remove`` does not check for live processes, so a Running or Paused
    container is removed and its processes leak (spec: ``remove`` only from Created or
    Stopped). Caught as kind "accepted" on ``remove`` after ``start``."""

    def remove_container(self, ref) -> None:
        c = self.get(ref)
        self._require(c, "remove", State.Created, State.Stopped, State.Running, State.Paused)
        c.state = State.Deleted
        c.actions.append("ReleaseRootfs")


class FrozenKillRuntime(ContainerRuntime):
    """BUGGY on purpose: ``kill`` of a Paused container sends SIGKILL into a frozen cgroup
    without thawing it (cgroup v1 behaviour), reports success, and the container stays
    Paused (spec: ``δ(Paused, kill) = Stopped``). Caught as kind "state"."""

    def kill_container(self, ref) -> None:
        c = self.get(ref)
        self._require(c, "kill", State.Running, State.Paused)
        c.actions.append("SendSigkill")
        if c.state is State.Running:
            c.pid = None
            c.state = State.Stopped


class ThawingStopRuntime(ContainerRuntime):
    """BUGGY on purpose: ``stop`` of a Paused container thaws it to deliver SIGTERM, then
    gives up (the spec refuses ``stop`` on Paused) — but leaves it Running. Caught as kind
    "unchanged": a refused operation changed the state."""

    def stop_container(self, ref) -> None:
        c = self.get(ref)
        if c.state is State.Paused:
            c.state = State.Running
            c.actions.append("ThawCgroup")
            raise InvalidTransition(c.id, State.Paused, "stop", "SIGTERM not handled in time")
        super().stop_container(ref)


# ------------------------------------------------------------------------------ one container
class SingleContainer:
    """One container of a runtime, seen as a ``Lifecycle`` machine: ``state`` is its state,
    and ``start`` … ``remove`` are the events (for ``ObjectAdapter``).

    >>> c = SingleContainer(RuntimeType.CRIO)
    >>> c.start(); c.stop(); c.state
    <State.Stopped: 'Stopped'>
    """

    runtime_class: type = ContainerRuntime

    def __init__(self, runtime_type: RuntimeType = RuntimeType.Docker,
                 runtime_class: type | None = None):
        self.runtime = (runtime_class or self.runtime_class)(runtime_type)
        self.id = self.runtime.create()

    @property
    def state(self) -> State:
        return self.runtime.state(self.id)

    @property
    def container(self) -> Container:
        return self.runtime.get(self.id)

    def start(self) -> None:
        self.runtime.start(self.id)

    def pause(self) -> None:
        self.runtime.pause(self.id)

    def resume(self) -> None:
        self.runtime.resume(self.id)

    def stop(self) -> None:
        self.runtime.stop(self.id)

    def kill(self) -> None:
        self.runtime.kill(self.id)

    def remove(self) -> None:
        self.runtime.remove(self.id)


#: The events of ``Lifecycle`` a :class:`SingleContainer` performs (event → method).
EVENTS = {e: e for e in ("start", "pause", "resume", "stop", "kill", "remove")}


# Factories with a module-level name, so a conformance transcript can rebuild them.
def docker_container() -> SingleContainer:
    return SingleContainer(RuntimeType.Docker)


def containerd_container() -> SingleContainer:
    return SingleContainer(RuntimeType.Containerd)


def crio_container() -> SingleContainer:
    return SingleContainer(RuntimeType.CRIO)


def kata_container() -> SingleContainer:
    return SingleContainer(RuntimeType.Kata)


def leaky_container() -> SingleContainer:
    return SingleContainer(RuntimeType.Docker, LeakyRuntime)


def frozen_kill_container() -> SingleContainer:
    return SingleContainer(RuntimeType.Containerd, FrozenKillRuntime)


def thawing_stop_container() -> SingleContainer:
    return SingleContainer(RuntimeType.Docker, ThawingStopRuntime)


# ------------------------------------------------------------------------------ a real runc
_RUNC_STATES = {"created": State.Created, "running": State.Running, "paused": State.Paused,
                "stopped": State.Stopped, "absent": State.Deleted}


class RuncRuntime:
    """The same operations on a real OCI runtime (``runc`` by default) through
    :class:`formalc.conform.bundle.Runtime`: busybox bundles in a private state root.

    Nothing is filtered here: each operation is the runtime's own command, and a non-zero exit
    status is an :class:`InvalidTransition` carrying the runtime's words, so a conformance
    test sees what runc really does. ``stop`` is SIGTERM, then SIGKILL after ``grace``
    seconds (runc has no stop command; busybox ``sleep`` as PID 1 ignores SIGTERM);
    ``kill`` is SIGKILL; both wait (at most ``settle`` seconds) for the state to change.
    ``remove`` is ``delete`` without ``--force``. States are read with ``runc state``
    (``absent`` is Deleted). Use as a context manager, or call :meth:`close`: every
    container made is force-deleted.

    Raises :class:`formalc.conform.bundle.RuntimeUnavailable` when the runtime cannot be used.
    """

    def __init__(self, name: str = "runc", args: tuple[str, ...] = ("/bin/sleep", "3600"),
                 grace: float = 1.0, settle: float = 5.0):
        from formalc.conform.bundle import Runtime
        self.rt = Runtime(name)
        self.name, self.args, self.grace, self.settle = name, tuple(args), grace, settle
        self._next_id = 0
        self._known: set[str] = set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Force-delete every container and remove the work directory."""
        self.rt.cleanup()

    # ---------------------------------------------------------------- helpers
    def state(self, cid: str) -> State | str:
        """The container's state as runc reports it (a string when runc's answer is not one
        of the four states)."""
        s = self.rt.state(cid)
        if s == "absent" and cid not in self._known:
            raise NoSuchContainer(cid)
        return _RUNC_STATES.get(s, s)

    def _check(self, call, cid: str, event: str, before) -> None:
        if not call.ok:
            raise InvalidTransition(cid, before, event, f"{self.name}: {call.detail}")

    def _wait_until_not(self, cid: str, states: set, limit: float) -> None:
        end = time.monotonic() + limit
        while self.state(cid) in states and time.monotonic() < end:
            time.sleep(0.02)

    # ---------------------------------------------------------------- operations
    def create_container(self, config: ContainerConfig | None = None, cid: str | None = None,
                         oci_config: dict | None = None) -> str:
        """``runc create`` a busybox bundle running the config's command (or ``args``);
        ``oci_config``: a whole config.json to use instead. Returns the id."""
        if cid is None:
            self._next_id += 1
            cid = f"formalc-{self._next_id}"
        args = list(config.command) if config is not None and config.command else list(self.args)
        bundle = self.rt.bundle(args, config=oci_config)
        call = self.rt.create(cid, bundle)
        if not call.ok:
            raise InvalidTransition(cid, "absent", "create", f"{self.name}: {call.detail}")
        self._known.add(cid)
        return cid

    def start_container(self, cid: str) -> None:
        before = self.state(cid)
        self._check(self.rt.start(cid), cid, "start", before)

    def pause_container(self, cid: str) -> None:
        before = self.state(cid)
        self._check(self.rt.pause(cid), cid, "pause", before)

    def resume_container(self, cid: str) -> None:
        before = self.state(cid)
        self._check(self.rt.resume(cid), cid, "resume", before)

    def stop_container(self, cid: str) -> None:
        before = self.state(cid)
        self._check(self.rt.kill(cid, "TERM"), cid, "stop", before)
        self._wait_until_not(cid, {State.Running}, self.grace)
        if self.state(cid) is State.Running:
            self.rt.kill(cid, "KILL")
            self._wait_until_not(cid, {State.Running}, self.settle)

    def kill_container(self, cid: str) -> None:
        before = self.state(cid)
        self._check(self.rt.kill(cid, "KILL"), cid, "kill", before)
        self._wait_until_not(cid, {State.Running, State.Paused}, self.settle)

    def remove_container(self, cid: str) -> None:
        before = self.state(cid)
        self._check(self.rt.delete(cid), cid, "remove", before)

    create = create_container
    start = start_container
    pause = pause_container
    resume = resume_container
    stop = stop_container
    kill = kill_container
    remove = remove_container


class RuncContainer(SingleContainer):
    """:class:`SingleContainer` over a :class:`RuncRuntime` (one runc state root per object);
    call :meth:`close` when done."""

    def __init__(self, name: str = "runc"):
        self.runtime = RuncRuntime(name)
        self.id = self.runtime.create()

    def close(self) -> None:
        self.runtime.close()


__all__ = [
    "EVENTS",
    "PROFILES",
    "Container",
    "ContainerConfig",
    "ContainerRuntime",
    "FrozenKillRuntime",
    "InvalidTransition",
    "LeakyRuntime",
    "NoSuchContainer",
    "ResourceLimits",
    "RuncContainer",
    "RuncRuntime",
    "RuntimeProfile",
    "RuntimeType",
    "SingleContainer",
    "State",
    "ThawingStopRuntime",
    "VolumeMount",
    "containerd_container",
    "crio_container",
    "docker_container",
    "frozen_kill_container",
    "kata_container",
    "leaky_container",
    "thawing_stop_container",
]
