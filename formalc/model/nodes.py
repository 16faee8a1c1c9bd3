"""The typed model: what a spec means, with names resolved and every expression typed.

This is the library's central data type; nothing downstream re-reads text. Nodes are frozen
dataclasses; spans are excluded from equality, so two parses of the same meaning compare equal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union

from ..diagnostics import Span
from .types import BOOL, INT, Type


def _span():
    return field(default=None, compare=False, repr=False)


# ------------------------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Lit:
    """A literal: bool, int, Fraction (Real or a quantity in base units) or str."""
    value: bool | int | Fraction | str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class EnumConst:
    member: str
    type: Type  # an EnumT
    span: Span = _span()


@dataclass(frozen=True)
class Var:
    """A bound variable: a parameter of a definition or a quantifier's variable."""
    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class ConstRef:
    """An uninterpreted constant declared ``x: T``."""
    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Apply:
    """Use of a definition (predicate, metric or named value); ``args`` match its parameters."""
    name: str
    args: tuple["Expr", ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class FuncApp:
    """Application of a declared function (table or uninterpreted)."""
    name: str
    args: tuple["Expr", ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Construct:
    """A tuple value; ``args`` in field order."""
    record: str
    args: tuple["Expr", ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class FieldGet:
    obj: "Expr"
    field: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    operand: "Expr"
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class BoolOp:
    op: str  # ∧ ∨ ⇔
    operands: tuple["Expr", ...]
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Implies:
    left: "Expr"
    right: "Expr"
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Cmp:
    op: str  # = ≠ < ≤ > ≥
    left: "Expr"
    right: "Expr"
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Member:
    elem: "Expr"
    set: "Expr"
    negated: bool = False
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Subset:
    left: "Expr"
    right: "Expr"
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Arith:
    """Left-associative arithmetic ``a ops[0] b ops[1] c``: + - × /."""
    ops: tuple[str, ...]
    operands: tuple["Expr", ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class SetOp:
    """Left-associative set algebra ``A ops[0] B …``: ∪ ∩ \\."""
    ops: tuple[str, ...]
    operands: tuple["Expr", ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class ToReal:
    """An Int used where a Real is expected."""
    operand: "Expr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class SetLit:
    elems: tuple["Expr", ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class AllOf:
    """Every member of an enumeration (a type name used as a set)."""
    type: Type  # SetT(EnumT)
    span: Span = _span()


@dataclass(frozen=True)
class Binder:
    """``name: T`` (domain is None) or ``name ∈ domain``."""
    name: str
    var_type: Type
    domain: "Expr | None"
    span: Span = _span()


#: Items of a quantifier, sum or comprehension: binders and filter conditions, in order.
Item = Union[Binder, "Expr"]


@dataclass(frozen=True)
class SetCompr:
    head: "Expr"
    items: tuple[Item, ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Card:
    operand: "Expr"
    type: Type = INT
    span: Span = _span()


@dataclass(frozen=True)
class Quant:
    kind: str  # ∀ ∃
    items: tuple[Item, ...]
    body: "Expr"
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Sum:
    items: tuple[Item, ...]
    body: "Expr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Ite:
    cond: "Expr"
    then: "Expr"
    orelse: "Expr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Total:
    """``total(f)``: every argument tuple of f's finite domain has a table row."""
    func: str
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Temporal:
    """A temporal operator over a machine's runs: ``always``, ``eventually``, ``next`` (one
    operand; ``bound`` is the ``within k`` of always/eventually), ``until`` and ``~>``."""
    op: str
    operands: tuple["Expr", ...]
    bound: int | None = None
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class Structural:
    """A structural property of a machine, used as ``M ⊨ deterministic`` and alike; see
    :data:`STRUCTURAL`."""
    name: str
    type: Type = BOOL
    span: Span = _span()


#: The structural properties, with what each one means.
STRUCTURAL = {
    "deterministic": "in every reachable state, each event (of each instance) has at most one "
                     "enabled transition",
    "total": "in every reachable state, every event has an enabled transition",
    "reachable": "every state of the machine is reachable from the initial state",
    "no_trap": "from every reachable state a final state is reachable",
    "deadlock_free": "every reachable state outside the final states has an enabled transition",
    "final_absorbing": "no transition leaves a final state",
}


@dataclass(frozen=True)
class Models:
    """``M ⊨ φ``: the machine named ``machine`` satisfies ``prop`` on all its runs."""
    machine: str
    prop: "Expr"
    type: Type = BOOL
    span: Span = _span()


@dataclass(frozen=True)
class ScheduleProp:
    """``S ⊨ feasible``, ``S ⊨ failover(k)``, ``S ⊨ scale(service, n)``, ``S ⊨ placed_by(p)``:
    a property of the schedule named ``schedule``; ``args`` are constant expressions, as
    :data:`SCHEDULE_PROPS` lists them (:func:`formalc.schedule.lower.lower_property` turns
    them into plain values)."""
    schedule: str
    kind: str
    args: tuple["Expr", ...] = ()
    type: Type = BOOL
    span: Span = _span()


#: The schedule properties: their parameters, and what each one states.
SCHEDULE_PROPS = {
    "feasible": ((), "some placement satisfies every hard constraint"),
    "failover": (("k",), "after any k nodes fail, the services can be placed on the others"),
    "scale": (("service", "replicas"), "the schedule stays feasible with the service's number "
                                       "of replicas changed to the given one"),
    "placed_by": (("placement",), "the given placement (a set of service–node bindings) "
                                  "satisfies every hard constraint"),
}


Expr = Union[Lit, EnumConst, Var, ConstRef, Apply, FuncApp, Construct, FieldGet, Not, BoolOp,
             Implies, Cmp, Member, Subset, Arith, SetOp, Neg, ToReal, SetLit, AllOf, SetCompr,
             Card, Quant, Sum, Ite, Total, Temporal, Structural, Models, ScheduleProp]


def children(e) -> tuple:
    """The sub-expressions of ``e`` (binders' domains included), in source order."""
    out = []
    for name in e.__dataclass_fields__:
        if name in ("type", "span", "var_type"):
            continue
        v = getattr(e, name)
        if isinstance(v, tuple):
            out.extend(x for x in v if not isinstance(x, (str, Fraction, int)))
        elif v is not None and not isinstance(v, (str, bool, int, Fraction)):
            out.append(v)
    return tuple(out)


# ------------------------------------------------------------------------------ declarations
@dataclass(frozen=True)
class Annotations:
    defs: tuple[str, ...] = ()  # cited seed definitions, e.g. ("3.1",)
    doc: str | None = None
    tags: tuple[str, ...] = ()  # other annotations without a value, e.g. ("policy",)


@dataclass(frozen=True)
class TypeDecl:
    """A declared type: an enumeration, a tuple type or an (implicit) uninterpreted sort."""
    name: str
    type: Type
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Function:
    """``f: A × B → C``; ``table`` maps argument tuples (plain values) to values."""
    name: str
    domain: tuple[Type, ...]
    codomain: Type
    table: tuple[tuple[tuple, "Expr"], ...] = ()
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Constant:
    """``x: T``, an uninterpreted constant."""
    name: str
    type: Type
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Definition:
    """A predicate (Boolean body), metric (numeric body) or named value (no parameters)."""
    name: str
    params: tuple[tuple[str, Type], ...]
    body: Expr
    type: Type
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()

    @property
    def kind(self) -> str:
        if not self.params:
            return "value"
        return "predicate" if self.type == BOOL else "metric"


@dataclass(frozen=True)
class Check:
    """A proof obligation written in a spec."""
    name: str
    kind: str  # "valid" or "sat"
    formula: Expr
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Assumption:
    name: str
    formula: Expr
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()


# ------------------------------------------------------------------------------ machines
@dataclass(frozen=True)
class MachineVar:
    """``var x: T = e``; ``init`` is None when any initial value is allowed."""
    name: str
    type: Type
    init: Expr | None
    span: Span = _span()


@dataclass(frozen=True)
class Param:
    """``param N ∈ lo..hi``: a rigid integer chosen once per run, within its bounds."""
    name: str
    lo: Expr
    hi: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Row:
    """One row of δ: ``δ(src, event) = dst when guard do updates, actions``."""
    src: str
    event: str
    dst: str
    guard: Expr | None
    updates: tuple[tuple[str, Expr], ...]
    actions: tuple[str, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Component:
    """``c[1..N]: M``: instances ``lo..hi`` of machine ``machine``, interleaved."""
    name: str
    machine: str
    lo: Expr
    hi: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Sync:
    """``c.start, c.resume when g do u``: a composition's extra guard and effects on its
    components' events."""
    events: tuple[tuple[str, str], ...]  # (component, event)
    guard: Expr | None
    updates: tuple[tuple[str, Expr], ...]
    actions: tuple[str, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Machine:
    """A state machine (Definition 3.1): a basic machine with δ as a partial table, or a
    composition of interleaved instances of basic machines with shared variables.

    ``state_type``/``event_type`` are the EnumTs of δ's signature (None for a composition).
    ``internal`` events happen spontaneously (no command); ``fair`` lists the events under
    weak fairness, as ``(component or None, event)``.
    """
    name: str
    state_type: Type | None
    event_type: Type | None
    initial: str | None
    finals: tuple[str, ...]
    internal: tuple[str, ...]
    fair: tuple[tuple[str | None, str], ...]
    vars: tuple[MachineVar, ...]
    params: tuple[Param, ...]
    rows: tuple[Row, ...]
    components: tuple[Component, ...] = ()
    syncs: tuple[Sync, ...] = ()
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()

    @property
    def is_composition(self) -> bool:
        return bool(self.components)


# ------------------------------------------------------------------------------ schedules
#: The name of the objective's constant Σ replicas inside a weight (``4 × placements × peak``);
#: a weight's expression sees it as an Int variable.
PLACEMENTS = "placements"


@dataclass(frozen=True)
class ScheduleSet:
    """``services s ∈ S`` / ``nodes n ∈ N``: the variable and the constant set it ranges over."""
    var: str
    set: Expr
    elem: Type
    span: Span = _span()


@dataclass(frozen=True)
class Capacity:
    """``capacity cpu: demand ≤ capacity``: per node, the demands of the replicas placed there
    sum to at most its capacity. ``demand`` speaks of the service variable only, ``capacity``
    of the node variable only; both have the quantity type ``type`` (a QuantT, Int or Real)."""
    name: str
    demand: Expr
    capacity: Expr
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Require:
    """``require security: n.trust ≥ s.minTrust``: a hard filter on (service, node) pairs."""
    name: str
    predicate: Expr
    span: Span = _span()


@dataclass(frozen=True)
class PairRule:
    """``near r (a, b): p`` (each replica of a runs on a node that runs b) or ``apart r (a, b):
    p`` (no node runs both), for every pair of distinct services a, b satisfying ``p``."""
    kind: str  # "near" | "apart"
    name: str
    a: str
    b: str
    predicate: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Cost:
    """``cost latency: e``: a per-placement cost over the service and node variables (a plain
    number: Int or Real)."""
    name: str
    body: Expr
    span: Span = _span()


@dataclass(frozen=True)
class ObjectiveTerm:
    """A term of an objective: a cost (``kind`` "cost", ``name``), the peak utilisation
    (``kind`` "peak", over the capacities ``dims``; all when empty) or the number of nodes
    used (``kind`` "nodes")."""
    kind: str
    name: str = ""
    dims: tuple[str, ...] = ()


@dataclass(frozen=True)
class Objective:
    """``minimize Σ wᵢ × termᵢ + c``: each weight and ``const`` is a constant Real expression
    (literals, named values, and the Int variable :data:`PLACEMENTS`)."""
    terms: tuple[tuple[ObjectiveTerm, Expr], ...]
    const: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Schedule:
    """A ``schedule`` block (Definitions 6.1–7.2): services placed on nodes, with their replica
    count (``None``: one each), capacities, requirements, affinity rules, costs and the
    objective's levels (minimised lexicographically; none: a feasibility problem)."""
    name: str
    services: ScheduleSet
    nodes: ScheduleSet
    replicas: Expr | None
    capacities: tuple[Capacity, ...] = ()
    requires: tuple[Require, ...] = ()
    pairs: tuple[PairRule, ...] = ()
    costs: tuple[Cost, ...] = ()
    objectives: tuple[Objective, ...] = ()
    annotations: Annotations = Annotations()
    module: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Spec:
    """A checked spec: the declarations of a file and of everything it imports.

    ``checks`` are the root file's own checks; ``assumptions`` are all that it sees.
    ``sources`` maps file names to their text (for rendering diagnostics and reports).
    """
    file: str
    types: dict = field(compare=False)
    functions: dict = field(compare=False)
    constants: dict = field(compare=False)
    definitions: dict = field(compare=False)
    checks: tuple[Check, ...]
    assumptions: tuple[Assumption, ...]
    imports: tuple[str, ...] = field(default=(), compare=False)
    sources: dict = field(default_factory=dict, compare=False, repr=False)
    machines: dict = field(default_factory=dict, compare=False)
    schedules: dict = field(default_factory=dict, compare=False)

    def _key(self):
        return (sorted(self.types.items()), sorted(self.functions.items()),
                sorted(self.constants.items()), sorted(self.definitions.items()),
                self.checks, self.assumptions, sorted(self.machines.items()),
                sorted(self.schedules.items()))

    def __eq__(self, other) -> bool:  # dicts compared in order-independent form
        return isinstance(other, Spec) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self.file)
