"""The adapter protocol: how the conformance engine drives an implementation.

An adapter is small on purpose. It has four methods:

``reset()``
    Start a fresh instance, in the state the spec calls initial (the engine calls it before
    every generated trace, and after a trace whatever happened).
``apply(event) -> Outcome``
    Perform the operation the spec calls ``event``; say whether the implementation accepted it
    (``Outcome(True)``) or refused it (``Outcome(False, detail)``, detail in its own words).
``observe() -> str``
    The name of the current state. The engine matches it with the machine's states exactly,
    then ignoring case, then through :attr:`aliases` (e.g. a runtime's "absent" is a spec's
    ``Deleted``).
``close()``
    Release everything the adapter made (containers, files), even after a failure.

and three optional attributes: ``name`` (for reports), ``events`` (the operations it can
perform; events of the machine outside it are reported as not exercised instead of failing),
``aliases`` (observed name → candidate state names), and ``seconds`` (time spent inside the
implementation, for the engine's overhead figure). ``transcript_setup()`` may return Python
source that rebuilds an equivalent adapter, for replay transcripts.

:class:`ObjectAdapter` wraps a plain Python object: a factory, a mapping from events to
methods, a way to read the state, and the exceptions that mean "refused".
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Outcome:
    """What the implementation did with one event."""
    accepted: bool
    detail: str = ""

    def __str__(self) -> str:
        word = "accepted" if self.accepted else "refused"
        return f"{word} ({self.detail})" if self.detail else word


ACCEPTED = Outcome(True)


@runtime_checkable
class Adapter(Protocol):
    """See the module documentation."""

    def reset(self) -> None: ...

    def apply(self, event: str) -> Outcome: ...

    def observe(self) -> str: ...

    def close(self) -> None: ...


def instantiate(a: Any):
    """An adapter from ``a``: ``a`` itself when it is one, else ``a()`` (a class or a
    zero-argument factory)."""
    if isinstance(a, type) or (callable(a) and not hasattr(a, "apply")):
        return a()
    return a


def adapter_name(a: Any) -> str:
    return str(getattr(a, "name", None) or type(a).__name__)


def adapter_events(a: Any) -> frozenset[str] | None:
    ev = getattr(a, "events", None)
    return frozenset(ev) if ev is not None else None


def state_name(value: Any) -> str:
    """A state value as a name: an Enum member's name, anything else as ``str``."""
    if isinstance(value, enum.Enum):
        return value.name
    return str(value)


class ObjectAdapter:
    """Drive a plain Python object.

    ``factory()`` makes a fresh object in the initial state. ``events`` maps each event name to
    a method name of the object or to a callable ``f(obj)``; events of the machine that are not
    in it are reported as not exercised. ``state`` is an attribute name or a callable
    ``f(obj)``; Enum values are read by name. A call that raises one of ``refused`` is a
    refusal (its message is the detail); any other exception is a crash of the implementation
    and propagates (the engine reports it as a finding with the trace).

    >>> class Door:
    ...     def __init__(self): self.state = "Closed"
    ...     def open(self):
    ...         if self.state != "Closed": raise ValueError("not closed")
    ...         self.state = "Open"
    >>> a = ObjectAdapter(Door, {"open": "open"})
    >>> a.reset(); a.apply("open"), a.observe(), a.apply("open")
    (Outcome(accepted=True, detail=''), 'Open', Outcome(accepted=False, detail='ValueError: not closed'))
    """

    def __init__(self, factory: Callable[[], Any], events: Mapping[str, str | Callable] | Iterable[str],
                 state: str | Callable[[Any], Any] = "state",
                 refused: tuple[type[BaseException], ...] = (ValueError, RuntimeError),
                 name: str | None = None, aliases: Mapping[str, tuple[str, ...]] | None = None,
                 variables: Mapping[str, str | Callable] | Iterable[str] = ()):
        self.factory = factory
        if not isinstance(events, Mapping):
            events = {e: e for e in events}
        self._ops = dict(events)
        self.events = frozenset(self._ops)
        self._state = state
        self.refused = tuple(refused)
        self.name = name or getattr(factory, "__name__", type(factory).__name__)
        self.aliases = dict(aliases or {})
        if not isinstance(variables, Mapping):
            variables = {v: v for v in variables}
        self._vars = dict(variables)
        self.obj: Any = None
        self.seconds = 0.0

    def reset(self) -> None:
        self.close()
        t0 = time.perf_counter()
        self.obj = self.factory()
        self.seconds += time.perf_counter() - t0

    def apply(self, event: str) -> Outcome:
        op = self._ops[event]
        t0 = time.perf_counter()
        try:
            if callable(op):
                op(self.obj)
            else:
                getattr(self.obj, op)()
        except self.refused as e:
            if isinstance(e, (NotImplementedError, RecursionError)):
                raise  # an unfinished or broken method is never a refusal
            return Outcome(False, f"{type(e).__name__}: {e}")
        finally:
            self.seconds += time.perf_counter() - t0
        return ACCEPTED

    def observe(self) -> str | dict:
        """The state's name; with ``variables``, a dict of it (``"state"``) and their values
        (Enum members by name), which the engine matches with the machine's variables."""
        t0 = time.perf_counter()
        try:
            v = self._state(self.obj) if callable(self._state) else getattr(self.obj, self._state)
            if not self._vars:
                return state_name(v)
            out = {"state": state_name(v)}
            for k, how in self._vars.items():
                x = how(self.obj) if callable(how) else getattr(self.obj, how)
                out[k] = x.name if isinstance(x, enum.Enum) else x
            return out
        finally:
            self.seconds += time.perf_counter() - t0

    def close(self) -> None:
        """Drop the object, calling its ``close()`` first when it has one."""
        obj, self.obj = self.obj, None
        closer = getattr(obj, "close", None)
        if callable(closer):
            closer()

    def transcript_setup(self) -> str | None:
        mod = getattr(self.factory, "__module__", None)
        qual = getattr(self.factory, "__qualname__", None)
        if not mod or not qual or "<" in qual or mod == "__main__":
            return None
        ops = {k: v for k, v in self._ops.items() if isinstance(v, str)}
        if len(ops) != len(self._ops) or not isinstance(self._state, str) or \
                not all(isinstance(v, str) for v in self._vars.values()):
            return None
        refused = ", ".join(f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins"
                            else t.__qualname__ for t in self.refused)
        imports = sorted({t.__module__ for t in self.refused if t.__module__ != "builtins"})
        lines = [f"import {mod}", *(f"import {m}" for m in imports if m != mod),
                 "from formalc.conform import ObjectAdapter",
                 f"adapter = ObjectAdapter({mod}.{qual}, {ops!r}, state={self._state!r}, "
                 f"refused=({refused},)"
                 + (f", variables={tuple(self._vars)!r})" if self._vars else ")")]
        return "\n".join(lines)
