"""The spec side of conformance: one basic machine of a spec, run in Python.

A :class:`SpecMachine` answers the questions the engine asks at every step: which states may
the implementation be in now (a *belief*: a set of the machine's states, because spontaneous
``internal`` events may have happened unseen and parameters or variables may not be
observable), which of them accept an event and where they lead, and which states an
observation is consistent with. States are tuples of plain values in the transition system's
variable order (``state`` first), evaluated with the explicit engine's compiled expressions,
so the conformance engine and ``formalc check`` read δ exactly the same way.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..diagnostics import suggest
from ..machines.evaluate import compile_expr
from ..machines.explicit import initial_states
from ..machines.ltl import has_temporal
from ..machines.outcome import NotApplicable
from ..machines.ts import lower
from ..model import nodes as m
from ..model.machines import STATE
from ..model.types import value_text

#: More states than this in one belief means the spec leaves too much unobserved.
MAX_BELIEF = 20_000


class ConformError(Exception):
    """The conformance question cannot be asked: an unknown machine, a composition, a guard
    that cannot be evaluated. ``code`` and ``hint`` follow formalc's diagnostics."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Invariant:
    """``check name: M ⊨ always φ`` with φ a state predicate: checked on every observation."""
    name: str
    text: str
    holds: object  # compiled φ: env → bool


class SpecMachine:
    """The machine ``name`` of ``spec`` as an executable oracle."""

    def __init__(self, spec: m.Spec, name: str):
        if name not in spec.machines:
            raise ConformError("FC801", f"the spec has no machine `{name}`",
                               suggest(name, list(spec.machines)) or
                               ("its machines: " + ", ".join(sorted(spec.machines))
                                if spec.machines else "declare one with `machine M { … }`"))
        mach: m.Machine = spec.machines[name]
        if mach.is_composition:
            raise ConformError("FC802", f"`{name}` is a composition of machines",
                               "conformance drives one implementation of a basic machine; "
                               "check one of its components: " +
                               ", ".join(sorted({c.machine for c in mach.components})))
        self.spec = spec
        self.machine = mach
        self.name = name
        self.ts = lower(spec, mach)
        self.names = tuple(v.name for v in self.ts.vars)
        self.types = {v.name: v.type for v in self.ts.vars}
        self.si = self.names.index(STATE)
        self.states = tuple(mach.state_type.members)
        self.internal = tuple(mach.internal)
        self.commands = tuple(e for e in mach.event_type.members if e not in mach.internal)
        pos = {n: i for i, n in enumerate(self.names)}
        self._by_event: dict[str, list] = {}
        self._internal: list = []
        for t in self.ts.transitions:
            c = (t, compile_expr(t.guard, spec),
                 tuple((pos[n], compile_expr(e, spec)) for n, e in t.updates))
            (self._internal if t.internal else self._by_event.setdefault(t.event, [])).append(c)
        try:
            self.initial = frozenset(initial_states(self.ts))
        except NotApplicable as e:
            raise ConformError("FC803", f"the initial states of `{name}` cannot be computed: {e}",
                               "give every variable an initial value and parameters finite "
                               "ranges") from None
        #: temporal properties of the machine a run cannot check (name, why): proved by
        #: `formalc check` on the spec, listed by the report
        self.unchecked: list[tuple[str, str]] = []
        #: invariants that could not be evaluated in some state met (the verdict is unknown)
        self.unevaluated: set[str] = set()
        self.invariants = tuple(self._invariants())
        # the spec is fixed: successors and closures are computed once (bounded caches)
        self._succ_cache: dict = {}
        self._closure_cache: dict = {}
        self._reachable: set | None = None

    # ---------------------------------------------------------------- stepping
    def env(self, s: tuple) -> dict:
        return dict(zip(self.names, s))

    def state_of(self, s: tuple) -> str:
        return s[self.si]

    def _fire(self, s: tuple, compiled) -> list[tuple]:
        env = self.env(s)
        out = []
        for _t, guard, updates in compiled:
            try:
                if not guard(env):
                    continue
                new = list(s)
                for p, f in updates:
                    new[p] = f(env)
            except NotApplicable as e:
                raise ConformError("FC803", f"`{self.name}` cannot be evaluated in state "
                                   f"{self.describe(s)}: {e}",
                                   "conformance evaluates guards and updates on concrete "
                                   "values; give the constants they use values") from None
            out.append(tuple(new))
        return out

    def successors(self, s: tuple, event: str) -> list[tuple]:
        """The states event ``event`` leads to from ``s`` (empty: the spec refuses it)."""
        key = (s, event)
        hit = self._succ_cache.get(key)
        if hit is None:
            hit = self._succ_cache[key] = self._fire(s, self._by_event.get(event, ()))
        return hit

    def closure(self, states: Iterable[tuple]) -> frozenset[tuple]:
        """``states`` and every state reachable from them by internal events alone."""
        start = frozenset(states)
        if not self._internal:
            return start
        hit = self._closure_cache.get(start)
        if hit is None:
            hit = self._closure_cache[start] = self._closure(start)
        return hit

    def _closure(self, start: frozenset) -> frozenset[tuple]:
        seen = set(start)
        todo = list(seen)
        while todo:
            s = todo.pop()
            for n in self._fire(s, self._internal):
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
                    if len(seen) > MAX_BELIEF:
                        raise ConformError("FC804", f"more than {MAX_BELIEF:,} states of "
                                           f"`{self.name}` are consistent with the observations",
                                           "observe the machine's variables too (return a "
                                           "dict from observe())")
        return frozenset(seen)

    def reachable_named(self, state: str) -> list[tuple]:
        """The reachable states (every event, internal ones too) whose control state is
        ``state``; computed once, at most :data:`MAX_BELIEF` states."""
        if self._reachable is None:
            seen = set(self.initial)
            todo = list(seen)
            every = [c for cs in self._by_event.values() for c in cs] + self._internal
            while todo and len(seen) <= MAX_BELIEF:
                for n in self._fire(todo.pop(), every):
                    if n not in seen:
                        seen.add(n)
                        todo.append(n)
            self._reachable = seen
        return [s for s in self._reachable if self.state_of(s) == state]

    def with_state(self, s: tuple, state: str) -> tuple:
        return s[:self.si] + (state,) + s[self.si + 1:]

    # ---------------------------------------------------------------- text
    def describe(self, s: tuple) -> str:
        """``Running`` or ``Running (restarts=1, MaxRestarts=3)``."""
        extra = [f"{n}={value_text(v, self.types[n])}" for n, v in zip(self.names, s)
                 if n != STATE]
        return s[self.si] + (f" ({', '.join(extra)})" if extra else "")

    def states_text(self, states: Iterable[tuple]) -> str:
        names = sorted({self.state_of(s) for s in states}, key=self.states.index)
        return " or ".join(names) if names else "nothing"

    # ---------------------------------------------------------------- invariants
    def _invariants(self):
        for c in self.spec.checks:
            f = c.formula
            if c.kind != "valid" or not isinstance(f, m.Models) or f.machine != self.name:
                continue
            p = f.prop
            if isinstance(p, m.Temporal) and p.op == "always" and p.bound is None \
                    and not has_temporal(p.operands[0]):
                text = self.spec_text(c.span) or c.name
                yield Invariant(c.name, text, compile_expr(p.operands[0], self.spec))
            elif not isinstance(p, m.Structural):
                self.unchecked.append((c.name, "a temporal property of whole runs, not a "
                                       "state invariant"))

    def spec_text(self, span) -> str | None:
        src = self.spec.sources.get(span.file) if span else None
        if not src:
            return None
        lines = src.splitlines()
        try:
            return " ".join(x.strip() for x in lines[span.line - 1:span.end_line]) or None
        except (AttributeError, IndexError):
            return None

    def violated(self, s: tuple) -> list[Invariant]:
        env = self.env(s)
        bad = []
        for inv in self.invariants:
            try:
                if not inv.holds(env):
                    bad.append(inv)
            except NotApplicable:
                self.unevaluated.add(inv.name)  # never a silent pass: the verdict says so
        return bad


class SpecAdapter:
    """The machine itself as an implementation: it accepts an event exactly when δ has an
    enabled row (the first such row, in the spec's order, when several are) and never takes an
    internal event. Useful for differential runs (an implementation against its spec's own
    simulation) and for testing adapters.

    >>> import formalc
    >>> a = SpecAdapter(formalc.load("specs/lifecycle.iot"), "Lifecycle")  # doctest: +SKIP
    """

    def __init__(self, spec: m.Spec, machine: str):
        self.sm = SpecMachine(spec, machine)
        self.name = f"spec {machine}"
        self.events = frozenset(self.sm.commands)
        self.current: tuple | None = None

    def reset(self) -> None:
        self.current = min(self.sm.initial)

    def apply(self, event: str):
        from .adapter import Outcome
        nxt = self.sm.successors(self.current, event)
        if not nxt:
            return Outcome(False, f"δ({self.sm.describe(self.current)}, {event}) is undefined")
        self.current = nxt[0]
        return Outcome(True)

    def observe(self) -> str:
        return self.sm.state_of(self.current)

    def close(self) -> None:
        self.current = None
