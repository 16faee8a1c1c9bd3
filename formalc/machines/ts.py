"""Transition systems: the one form every machine engine works on.

A :class:`~formalc.model.nodes.Machine` is lowered to a :class:`TransitionSystem`: state
variables, initial constraints, guarded transitions with simultaneous assignments, and the
predicate "in a final state". Every expression is a typed model expression over
:class:`~formalc.model.nodes.Var` nodes named like the state variables, so the explicit engine
evaluates them in Python and the symbolic engine encodes them with the ordinary encoder.

Semantics (both engines implement exactly this):

- a run starts in a state satisfying ``init`` (and ``axioms``); each step takes one enabled
  transition (its guard holds) and assigns its updates simultaneously; variables not updated
  keep their values; ``rigid`` variables (parameters) never change;
- a state where no transition is enabled repeats forever (a deadlock stutters), so every run is
  infinite and temporal operators are read over infinite runs;
- weak fairness on a label: a run on which a transition with that label is enabled in every
  state from some point on must take such a transition infinitely often.

A composition of N instances of a machine is lowered by *counting*: one Int variable per
(component, state) holds how many instances are in that state. Instances are interchangeable,
so this is exact for every property that the language can state about a composition (they
speak of counts, never of one instance), and its size does not grow with N. Traces name
instances again: :func:`make_trace` assigns each move to the lowest-numbered instance in the
source state, which is one of the concrete runs the counted run stands for.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Span
from ..model import nodes as m
from ..model.machines import STATE, count_var
from ..model.types import BOOL, INT, STRING, Type


@dataclass(frozen=True)
class StateVar:
    """A state variable. ``kind`` is "state" (a basic machine's control state), "var",
    "param" (rigid: never changes) or "count" (instances of ``component`` in ``state``)."""
    name: str
    type: Type
    kind: str = "var"
    component: str | None = None
    state: str | None = None

    @property
    def rigid(self) -> bool:
        return self.kind == "param"


@dataclass(frozen=True)
class Transition:
    """One guarded transition. ``guard`` is the whole enabling condition (it includes
    ``state = src``, or ``c#src ≥ 1`` in a composition); ``updates`` assign the next values of
    the variables that change (the control state or counts included)."""
    label: str  # the event, or "c.event" in a composition
    event: str
    component: str | None
    src: str
    dst: str
    guard: m.Expr
    updates: tuple[tuple[str, m.Expr], ...]
    actions: tuple[str, ...] = ()
    internal: bool = False
    span: Span | None = None


@dataclass(frozen=True)
class TransitionSystem:
    machine: m.Machine
    vars: tuple[StateVar, ...]
    init: tuple[m.Expr, ...]
    axioms: tuple[m.Expr, ...]  # true in every state by construction (bounds, counts)
    transitions: tuple[Transition, ...]
    final: m.Expr
    fair: frozenset[str]
    spec: m.Spec

    def var(self, name: str) -> StateVar:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(name)

    @property
    def labels(self) -> tuple[str, ...]:
        seen: list[str] = []
        for t in self.transitions:
            if t.label not in seen:
                seen.append(t.label)
        return tuple(seen)


# ------------------------------------------------------------------------------ building blocks
def var(name: str, t: Type) -> m.Var:
    return m.Var(name, t)


def lit(v: int) -> m.Lit:
    return m.Lit(v, INT)


TRUE = m.Lit(True, BOOL)
FALSE = m.Lit(False, BOOL)


def conj(*xs) -> m.Expr:
    xs = tuple(x for x in xs if x is not None and x != TRUE)
    if not xs:
        return TRUE
    return xs[0] if len(xs) == 1 else m.BoolOp("∧", xs)


def disj(*xs) -> m.Expr:
    xs = tuple(x for x in xs if x is not None and x != FALSE)
    if not xs:
        return FALSE
    return xs[0] if len(xs) == 1 else m.BoolOp("∨", xs)


def eq(a, b) -> m.Expr:
    return m.Cmp("=", a, b)


def _plus(a, k: int) -> m.Expr:
    return m.Arith(("+" if k >= 0 else "-",), (a, lit(abs(k))), INT)


def instance_count(c: m.Component) -> m.Expr:
    """``hi - lo + 1`` for ``c[lo..hi]``."""
    if isinstance(c.lo, m.Lit) and c.lo.value == 1:
        return c.hi
    return m.Arith(("-", "+"), (c.hi, c.lo, lit(1)), INT)


# ------------------------------------------------------------------------------ lowering
def lower(spec: m.Spec, mach: m.Machine) -> TransitionSystem:
    """The transition system of ``mach`` (a basic machine or a composition)."""
    if mach.is_composition:
        return _lower_composition(spec, mach)
    return _lower_basic(spec, mach)


def _params(mach: m.Machine):
    vars_, axioms = [], []
    for p in mach.params:
        vars_.append(StateVar(p.name, INT, "param"))
        v = var(p.name, INT)
        axioms.append(m.Cmp("≤", p.lo, v))
        axioms.append(m.Cmp("≤", v, p.hi))
    return vars_, axioms


def _var_inits(mach: m.Machine):
    return [eq(var(v.name, v.type), v.init) for v in mach.vars if v.init is not None]


def _lower_basic(spec: m.Spec, mach: m.Machine) -> TransitionSystem:
    S = mach.state_type
    state = var(STATE, S)
    pvars, axioms = _params(mach)
    vars_ = [StateVar(STATE, S, "state"), *pvars,
             *(StateVar(v.name, v.type) for v in mach.vars)]
    init = [eq(state, m.EnumConst(mach.initial, S)), *_var_inits(mach)]
    ts = []
    for r in mach.rows:
        guard = conj(eq(state, m.EnumConst(r.src, S)), r.guard)
        updates = (((STATE, m.EnumConst(r.dst, S)),) if r.dst != r.src else ()) + r.updates
        ts.append(Transition(r.event, r.event, None, r.src, r.dst, guard, updates, r.actions,
                             r.event in mach.internal, r.span))
    final = disj(*(eq(state, m.EnumConst(f, S)) for f in mach.finals))
    fair = frozenset(e for _, e in mach.fair)
    return TransitionSystem(mach, tuple(vars_), tuple(init), tuple(axioms), tuple(ts), final,
                            fair, spec)


def _lower_composition(spec: m.Spec, mach: m.Machine) -> TransitionSystem:
    pvars, axioms = _params(mach)
    vars_ = list(pvars)
    init: list = []
    finals = []
    ts = []
    for c in mach.components:
        sub: m.Machine = spec.machines[c.machine]
        n = instance_count(c)
        counts = {s: var(count_var(c.name, s), INT) for s in sub.state_type.members}
        for s in sub.state_type.members:
            vars_.append(StateVar(count_var(c.name, s), INT, "count", c.name, s))
            axioms.append(m.Cmp("≥", counts[s], lit(0)))
            init.append(eq(counts[s], n if s == sub.initial else lit(0)))
        total = m.Arith(("+",) * (len(counts) - 1), tuple(counts.values()), INT) \
            if len(counts) > 1 else next(iter(counts.values()))
        axioms.append(eq(total, n))
        axioms.append(m.Cmp("≥", n, lit(0)))
        fin = [counts[f] for f in sub.finals]
        finals.append(eq(m.Arith(("+",) * (len(fin) - 1), tuple(fin), INT) if len(fin) > 1
                         else fin[0], n) if fin else FALSE)
        for r in sub.rows:
            guard = [m.Cmp("≥", counts[r.src], lit(1))]
            updates: list = []
            actions = list(r.actions)
            if r.dst != r.src:
                updates += [(counts[r.src].name, _plus(counts[r.src], -1)),
                            (counts[r.dst].name, _plus(counts[r.dst], 1))]
            for sy in mach.syncs:
                if (c.name, r.event) in sy.events:
                    guard.append(sy.guard)
                    updates += list(sy.updates)
                    actions += list(sy.actions)
            label = f"{c.name}.{r.event}"
            ts.append(Transition(label, r.event, c.name, r.src, r.dst, conj(*guard),
                                 tuple(updates), tuple(actions), r.event in sub.internal, r.span))
    vars_ += [StateVar(v.name, v.type) for v in mach.vars]
    init += _var_inits(mach)
    fair = frozenset(f"{c}.{e}" for c, e in mach.fair)
    return TransitionSystem(mach, tuple(vars_), tuple(init), tuple(axioms), tuple(ts),
                            conj(*finals) if finals else FALSE, fair, spec)


# ------------------------------------------------------------------------------ traces
def make_trace(ts: TransitionSystem, states: list[dict], taken: list, *, loop: int | None = None,
               failed_at: int | None = None, formula: str | None = None):
    """A readable :class:`~formalc.checks.results.Trace` from a run of ``ts``.

    ``states[i]`` maps every state variable to its plain value (enum members as str, Int as
    int, Real and quantities as Fraction, sets as sorted lists); ``taken[i]`` is the
    :class:`Transition` that led to ``states[i]`` (``taken[0]`` is None). In a composition,
    counts are replaced by one entry per instance, ``c[i]``.
    """
    from ..checks.results import Trace, TraceStep
    from ..model.types import QuantT, RecordT, SetT, value_text
    views = _views(ts, states, taken)
    shown = {v.name: v.type for v in ts.vars
             if isinstance(v.type, (QuantT, RecordT, SetT)) or v.type == STRING}
    steps = []
    prev = None
    for i, (view, t, inst) in enumerate(views):
        changed = tuple(k for k, v in view.items() if prev is not None and prev.get(k) != v)
        texts = {k: value_text(view[k], ty) for k, ty in shown.items() if k in view}
        steps.append(TraceStep(i, t.event if t is not None else None, inst,
                               tuple(t.actions) if t is not None else (), view, changed, texts))
        prev = view
    return Trace(ts.machine.name, tuple(steps), loop, failed_at, formula)


def _views(ts: TransitionSystem, states, taken):
    mach = ts.machine
    if not mach.is_composition:
        return [(dict(s), t, None) for s, t in zip(states, taken)]
    out = []
    inst: dict[str, list[str]] = {}
    for i, (s, t) in enumerate(zip(states, taken)):
        moved = None
        if i == 0:
            for c in mach.components:
                sub = ts.spec.machines[c.machine]
                n = sum(s[count_var(c.name, x)] for x in sub.state_type.members)
                inst[c.name] = [sub.initial] * n
        elif t is not None and t.component is not None:
            row = inst[t.component]
            k = next((j for j, x in enumerate(row) if x == t.src), None)
            if k is not None:
                row[k] = t.dst
                moved = f"{t.component}[{k + 1}]"
        view: dict = {}
        for v in ts.vars:
            if v.kind == "param":
                view[v.name] = s[v.name]
        for c in mach.components:
            for j, x in enumerate(inst[c.name]):
                view[f"{c.name}[{j + 1}]"] = x
        for v in ts.vars:
            if v.kind == "var":
                view[v.name] = s[v.name]
        out.append((view, t, moved))
    return out
